"""The emotion slots, kept in the Rasa server instead of by a call to the action server.

The six emotion slots (``bot/emotion_state.py``) map to the custom action
``action_track_emotion``, so Rasa's ``action_extract_slots`` called the action server after
every customer message — a whole tracker as JSON over HTTP, about a tenth of a turn's CPU, to
run a dozen lines of arithmetic on the message's emotion. Rasa now runs those lines itself for
that one mapping: same slots, same values (the action server's ``action_track_emotion`` calls
the same function), and the emotion is still tracked while the action server is down.
Every other custom mapping still goes to the action server.
"""

from __future__ import annotations

from typing import Any

from bot.emotion_state import slot_updates

TRACK_EMOTION = "action_track_emotion"


def emotion_events(tracker: Any) -> list[Any]:
    """``SlotSet`` events for the emotion slots that the latest message changes.

    Args:
        tracker: Rasa's ``DialogueStateTracker``.
    """
    from rasa.shared.core.events import SlotSet

    message = tracker.latest_message.parse_data if tracker.latest_message else {}
    return [SlotSet(name, value) for name, value in slot_updates(message, tracker.get_slot).items()]


def _tracking_emotion_in_process(original: Any) -> Any:
    async def _run_custom_action(
        self: Any, custom_action: str, output_channel: Any, nlg: Any, tracker: Any, domain: Any
    ) -> list[Any]:
        if custom_action == TRACK_EMOTION:
            return emotion_events(tracker)
        return await original(self, custom_action, output_channel, nlg, tracker, domain)  # type: ignore[no-any-return]

    return _run_custom_action


def apply() -> None:
    """Install the in-process emotion tracking (once per process)."""
    from rasa.core.actions.action import ActionExtractSlots

    from bot.rasa_patch import patch_method

    patch_method(ActionExtractSlots, "_run_custom_action", _tracking_emotion_in_process)
