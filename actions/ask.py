"""Ask actions of the optional form slots: a plain question, or a re-ask saying what was wrong."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.deescalation import fresh_variant, last_bot_text
from actions.emotion import is_upset


class _AskAction(Action):
    """Asks for ``slot``; after a rejected answer, explains the expected shape instead."""

    slot: str = ""

    def name(self) -> str:
        """Rasa calls ``action_ask_<slot>`` when the form requests ``slot``."""
        return f"action_ask_{self.slot}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        """Send the question, or the specific re-ask if the last answer was rejected.

        An upset customer hears a short word of understanding first (empathise before
        asking), unless the bot has just acknowledged them.
        """
        intensity = float(tracker.get_slot("emotion_intensity") or 1)
        if is_upset(tracker.get_slot("emotion"), intensity) and (
            tracker.latest_action_name == "action_listen"
        ):
            avoid = last_bot_text(tracker)
            dispatcher.utter_message(**fresh_variant("utter_empathy_short", domain, avoid))
        rejected = tracker.get_slot("form_error") == self.slot
        dispatcher.utter_message(response=f"utter_{'invalid' if rejected else 'ask'}_{self.slot}")
        return []


class ActionAskOrderId(_AskAction):
    """Asks for the order number."""

    slot = "order_id"


class ActionAskPhone(_AskAction):
    """Asks for a contact phone."""

    slot = "phone"
