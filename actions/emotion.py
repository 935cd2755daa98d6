"""Conversation-level emotion state, updated after every customer message.

Rasa runs this action from ``action_extract_slots`` (the emotion slots map to it), so the
slots are current before any policy predicts. The de-escalation policy and the ticket read
them: the peak emotion and the threat flag are stored with the ticket and raise its priority.
The project's Rasa server computes the same slots in process (``bot/rasa_emotion.py``); this
action serves a Rasa without that fix.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.emotion_state import NEGATIVE, UPSET_INTENSITY, is_upset, peak_rank, slot_updates

__all__ = ["NEGATIVE", "UPSET_INTENSITY", "ActionTrackEmotion", "is_upset", "peak_rank"]


class ActionTrackEmotion(Action):
    """Turns the NLU's per-message emotion into the conversation's emotion slots."""

    def name(self) -> str:
        """Name the slot mappings in domain.yml refer to."""
        return "action_track_emotion"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        """Set only the slots that change (``bot.emotion_state.slot_updates``)."""
        updates = slot_updates(tracker.latest_message or {}, tracker.get_slot)
        return [SlotSet(slot, value) for slot, value in updates.items()]
