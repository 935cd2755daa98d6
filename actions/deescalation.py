"""What the bot says when it de-escalates: empathy, an invitation to vent, a person.

Texts live in domain.yml with several variants each; these actions pick the variant, so the
same apology is never sent twice in a row (DESIGN.md §2, point 3).
"""

from __future__ import annotations

import random
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.emotion import NEGATIVE
from bot.validation import (
    COMPLAINT_CATEGORIES,
    is_generic_complaint,
    parse_order_id,
    parse_phone,
)

VENT_INTENSITY = 3
EMPATHY_BY_EMOTION = {
    "anger": "utter_empathy_anger",
    "anxiety": "utter_empathy_anxiety",
    "sadness": "utter_empathy_sadness",
}


def last_bot_text(tracker: Tracker) -> str | None:
    """Text of the bot's most recent message in this conversation."""
    return next((e.get("text") for e in reversed(tracker.events) if e.get("event") == "bot"), None)


def fresh_variant(
    response: str, domain: DomainDict, avoid: str | None, rng: random.Random | None = None
) -> dict[str, Any]:
    """A variant of ``response`` whose text differs from ``avoid`` (the last thing said)."""
    variants = list(domain.get("responses", {}).get(response, []))
    usable = [v for v in variants if v.get("text") != avoid] or variants
    return dict((rng or random).choice(usable)) if usable else {"text": ""}


def empathy_response(emotion: str | None, intensity: float) -> str:
    """Which response fits the customer's state."""
    if emotion in NEGATIVE and intensity >= VENT_INTENSITY:
        return "utter_vent_invite"
    if emotion in NEGATIVE and intensity >= 2:
        return EMPATHY_BY_EMOTION[str(emotion)]
    return "utter_complaint_ack"


def record_complaint(tracker: Tracker) -> dict[str, Any]:
    """Slots to keep from a complaint message said while the form is not asking.

    When the bot listens instead of asking (a customer venting), their words must still reach
    the ticket: the first descriptive message becomes the description, later ones are appended,
    and an order number or phone in them is kept.
    """
    message = tracker.latest_message or {}
    text = (message.get("text") or "").strip()
    intent = (message.get("intent") or {}).get("name") or ""
    if not text or text.startswith("/") or not intent.startswith("complain_"):
        return {}
    if is_generic_complaint(text):
        return {}
    values: dict[str, Any] = {}
    description = tracker.get_slot("complaint_description")
    if not description:
        values["complaint_description"] = text
    elif text not in description:
        values["complaint_description"] = f"{description}\n{text}"
    if intent in COMPLAINT_CATEGORIES and tracker.get_slot("complaint_category") in (
        None,
        "complain_other",
    ):
        values["complaint_category"] = intent
    for slot, parse in (("order_id", parse_order_id), ("phone", parse_phone)):
        found = parse(text).value
        if found and not tracker.get_slot(slot):
            values[slot] = found
    return values


def record_events(tracker: Tracker) -> list[dict[str, Any]]:
    """SlotSets keeping a complaint said in the message that triggered an offer or handoff."""
    return [SlotSet(slot, value) for slot, value in record_complaint(tracker).items()]


class ActionAcknowledge(Action):
    """Thanks and apologises in a way that fits the emotion; invites venting when it is strong."""

    def name(self) -> str:
        """Name used by rules and the de-escalation policy."""
        return "action_acknowledge"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        """Send one empathy message; when listening to a vent, record what was said."""
        emotion = tracker.get_slot("emotion")
        intensity = float(tracker.get_slot("emotion_intensity") or 1)
        response = empathy_response(emotion, intensity)
        dispatcher.utter_message(**fresh_variant(response, domain, last_bot_text(tracker)))
        if response != "utter_vent_invite" and not tracker.get_slot("complaint_description"):
            return []  # a fresh complaint: the form asks next and extracts the slots itself
        # Venting, or more details after venting: the form will not take them, so keep them.
        return record_events(tracker)


class ActionOfferHandoff(Action):
    """Offers a person, once per conversation, with quick-reply buttons."""

    def name(self) -> str:
        """Name used by the de-escalation policy."""
        return "action_offer_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        """Make the offer and remember it was made."""
        dispatcher.utter_message(
            **fresh_variant("utter_offer_handoff", domain, last_bot_text(tracker))
        )
        return [SlotSet("handoff_offered", True), *record_events(tracker)]
