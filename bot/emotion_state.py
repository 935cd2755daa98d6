"""The conversation's emotion state, updated from each customer message's emotion.

One function serves both places that keep it: the Rasa server (``bot/rasa_emotion.py``, the
usual path, without a call to the action server) and ``action_track_emotion`` in the action
server (what a Rasa without the project's fixes calls for the slots' custom mapping).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

NEGATIVE = frozenset({"anger", "anxiety", "sadness"})
UPSET_INTENSITY = 2
#: The slots this module keeps (their mappings in domain.yml name ``action_track_emotion``).
SLOTS = ("emotion", "emotion_intensity", "upset_turns", "peak_emotion", "peak_intensity", "threat")


def is_upset(emotion: str | None, intensity: float) -> bool:
    """A negative emotion of at least clear intensity (2)."""
    return emotion in NEGATIVE and intensity >= UPSET_INTENSITY


def peak_rank(emotion: str | None, intensity: float) -> float:
    """Order of severity for the peak: any negative emotion outranks neutral and positive."""
    return intensity + (10 if emotion in NEGATIVE else 0)


def slot_updates(message: Mapping[str, Any], slot: Callable[[str], Any]) -> dict[str, Any]:
    """The emotion slots that change with ``message``.

    Only changed slots are returned, so a threat shows up once, on the turn it is made.

    Args:
        message: The latest message's parse data (``emotion``, ``escalation_threat``).
        slot: The current value of a slot by name.
    """
    emotion = message.get("emotion")
    if not isinstance(emotion, dict) or not emotion.get("name"):
        return {}  # a button press or an intent payload carries no emotion
    name = str(emotion["name"])
    intensity = float(emotion.get("intensity") or 1)
    upset_turns = float(slot("upset_turns") or 0)
    new_values: dict[str, Any] = {
        "emotion": name,
        "emotion_intensity": intensity,
        "upset_turns": upset_turns + 1 if is_upset(name, intensity) else 0.0,
    }
    peak = slot("peak_emotion")
    peak_intensity = float(slot("peak_intensity") or 0)
    if peak is None or peak_rank(name, intensity) > peak_rank(peak, peak_intensity):
        new_values.update(peak_emotion=name, peak_intensity=intensity)
    if message.get("escalation_threat") and not slot("threat"):
        new_values["threat"] = True
    return {key: value for key, value in new_values.items() if slot(key) != value}
