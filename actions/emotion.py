"""Conversation-level emotion state, updated after every customer message.

Rasa runs this action from ``action_extract_slots`` (the emotion slots map to it), so the
slots are current before any policy predicts. The de-escalation policy and the ticket read
them: the peak emotion and the threat flag are stored with the ticket and raise its priority.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

NEGATIVE = frozenset({"anger", "anxiety", "sadness"})
UPSET_INTENSITY = 2


def is_upset(emotion: str | None, intensity: float) -> bool:
    """A negative emotion of at least clear intensity (2)."""
    return emotion in NEGATIVE and intensity >= UPSET_INTENSITY


def peak_rank(emotion: str | None, intensity: float) -> float:
    """Order of severity for the peak: any negative emotion outranks neutral and positive."""
    return intensity + (10 if emotion in NEGATIVE else 0)


class ActionTrackEmotion(Action):
    """Turns the NLU's per-message emotion into the conversation's emotion slots."""

    def name(self) -> str:
        """Name the slot mappings in domain.yml refer to."""
        return "action_track_emotion"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        """Set only the slots that change, so a threat shows up once, on the turn it is made."""
        message = tracker.latest_message or {}
        emotion = message.get("emotion")
        if not isinstance(emotion, dict) or not emotion.get("name"):
            return []  # a button press or an intent payload carries no emotion
        name = str(emotion["name"])
        intensity = float(emotion.get("intensity") or 1)
        upset_turns = float(tracker.get_slot("upset_turns") or 0)
        new_values: dict[str, Any] = {
            "emotion": name,
            "emotion_intensity": intensity,
            "upset_turns": upset_turns + 1 if is_upset(name, intensity) else 0.0,
        }
        peak = tracker.get_slot("peak_emotion")
        peak_intensity = float(tracker.get_slot("peak_intensity") or 0)
        if peak is None or peak_rank(name, intensity) > peak_rank(peak, peak_intensity):
            new_values.update(peak_emotion=name, peak_intensity=intensity)
        if message.get("escalation_threat") and not tracker.get_slot("threat"):
            new_values["threat"] = True
        return [
            SlotSet(slot, value)
            for slot, value in new_values.items()
            if tracker.get_slot(slot) != value
        ]
