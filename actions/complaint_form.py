"""Slot extraction and validation of the complaint form.

Every slot uses a custom mapping so that the rules live in one place: a value is taken from
the customer's message only when it makes sense (the description only from a message that
really describes something, an order number only when it has the right shape), and control
messages such as 「转人工」 or an off-topic question are left to the dialogue rules.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.constants import (
    CONTROL_INTENTS,
    IDENTIFIED_CHANNELS,
    MAX_FAILURES,
    SKIPPED,
)
from bot.validation import (
    COMPLAINT_CATEGORIES,
    DESIRED_OUTCOMES,
    is_generic_complaint,
    is_refusal,
    parse_desired_outcome,
    parse_order_id,
    parse_phone,
)


def _latest(tracker: Tracker) -> tuple[str, str]:
    message = tracker.latest_message or {}
    intent = (message.get("intent") or {}).get("name") or ""
    return intent, message.get("text") or ""


def _entity(tracker: Tracker, name: str) -> str | None:
    return next(tracker.get_latest_entity_values(name), None)


def _asked(tracker: Tracker, slot: str) -> bool:
    return tracker.get_slot("requested_slot") == slot


#: Actions that close a piece of business: an order number or phone said before one of them
#: belongs to that ticket (filed, handed off, added to, cancelled or asked about), not to the
#: complaint the form is taking now.
BUSINESS_CLOSED = frozenset(
    {
        "action_submit_complaint",
        "action_handoff",
        "action_submit_info",
        "action_cancel_ticket",
        "action_check_status",
    }
)


def _typed_for_this_complaint(
    tracker: Tracker, slot: str, parse: Callable[[str], Any]
) -> str | None:
    """The newest ``slot`` value the customer has typed for the complaint in progress.

    Messages are read newest first, the latest one included: its entity of that name (a
    button payload carries one), else what ``parse`` finds in its text. Earlier messages
    count because before the form starts nothing extracts them: an opening the NLU did not
    understand (「售后一直推脱，订单号 DD…，你们看着办」 → ``nlu_fallback``) kept its number in the
    tracker only, and the form then asked for the number it had already been given.
    Validation parses the value again, so a raw entity is enough here.

    Args:
        tracker: The conversation.
        slot: ``order_id`` or ``phone`` (the entity of the same name).
        parse: The slot's parser (``parse_order_id`` or ``parse_phone``).

    Returns:
        The value, or None when no message since the last closed business carries one.
    """
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "session_started" or (kind == "action" and event.get("name") in BUSINESS_CLOSED):
            return None
        if kind != "user":
            continue
        entities = (event.get("parse_data") or {}).get("entities") or []
        text = event.get("text") or ""
        found = next(
            (e["value"] for e in entities if e.get("entity") == slot and e.get("value")), None
        ) or (None if text.startswith("/") else parse(text).value)
        if found:
            return str(found)
    return None


#: After 「您慢慢说」 these are the customer saying more, whatever the NLU made of the words
#: (a detail like 「麻烦帮我查一下」 reads as a calm request on its own).
VENT_DETAIL_INTENTS = frozenset({"out_of_scope", "add_info", "nlu_fallback"})


def _answers_vent_invite(tracker: Tracker) -> bool:
    """Whether the bot's last action before the latest message invited the customer to vent.

    ``action_acknowledge`` is the last action before a message only when it listened (the
    invitation); after a plain apology the form asks its question in the same turn.
    """
    events = list(tracker.events)
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=-1)
    actions = [
        e.get("name")
        for e in events[:last_user]
        if e.get("event") == "action" and e.get("name") != "action_listen"
    ]
    return bool(actions) and actions[-1] == "action_acknowledge"


class ValidateComplaintForm(FormValidationAction):
    """Fills and checks the complaint form's slots."""

    def name(self) -> str:
        """Name the form calls this action by."""
        return "validate_complaint_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        """Skip the phone question where the channel already tells us who the customer is."""
        if tracker.get_latest_input_channel() in IDENTIFIED_CHANNELS:
            return [slot for slot in domain_slots if slot != "phone"]
        return domain_slots

    # --- extraction -------------------------------------------------------------------

    async def extract_complaint_description(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Keep the customer's own words whole, from the first message that says something.

        What the customer adds after being invited to vent is appended, so that nothing said
        while the bot listened is missing from the ticket.
        """
        intent, text = _latest(tracker)
        description = tracker.get_slot("complaint_description")
        if description:
            detail = text.strip()
            if (
                detail
                and not detail.startswith("/")
                and (intent.startswith("complain_") or intent in VENT_DETAIL_INTENTS)
                and detail not in description
                and _answers_vent_invite(tracker)
            ):
                return {"complaint_description": f"{description}\n{detail}"}
            return {}
        if not text.strip() or text.startswith("/"):
            return {}
        if _asked(tracker, "complaint_description"):
            if intent in CONTROL_INTENTS:
                return {}
            return {"complaint_description": text}
        if intent.startswith("complain_") and not is_generic_complaint(text):
            return {"complaint_description": text}
        return {}

    async def extract_complaint_category(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Take the category from a button, or from the intent of a descriptive message.

        A generic 「我要投诉」 says nothing about the category, so its intent is not trusted;
        ``complain_other`` is upgraded when a later message names a specific problem.
        """
        chosen = _entity(tracker, "complaint_category")
        if chosen in COMPLAINT_CATEGORIES:
            return {"complaint_category": chosen}
        intent, text = _latest(tracker)
        if not intent.startswith("complain_") or intent not in COMPLAINT_CATEGORIES:
            return {}
        current = tracker.get_slot("complaint_category")
        if _asked(tracker, "complaint_category"):
            return {"complaint_category": intent}
        if is_generic_complaint(text):
            return {}
        if current is None or (current == "complain_other" and intent != "complain_other"):
            return {"complaint_category": intent}
        return {}

    async def extract_order_id(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Pick up an order number from any message; when asked, pass the answer to validation."""
        if tracker.get_slot("order_id"):
            return {}
        intent, text = _latest(tracker)
        found = _typed_for_this_complaint(tracker, "order_id", parse_order_id)
        if found:
            return {"order_id": found}
        if _asked(tracker, "order_id") and intent not in CONTROL_INTENTS and text.strip():
            return {"order_id": text}
        return {}

    async def extract_phone(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Pick up a phone number from any message; when asked, pass the answer to validation."""
        if tracker.get_slot("phone"):
            return {}
        intent, text = _latest(tracker)
        found = _typed_for_this_complaint(tracker, "phone", parse_phone)
        if found:
            return {"phone": found}
        if _asked(tracker, "phone") and intent not in CONTROL_INTENTS and text.strip():
            return {"phone": text}
        return {}

    async def extract_desired_outcome(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Map the answer to the outcome question (button, synonym or free text) to a code."""
        if tracker.get_slot("desired_outcome"):
            return {}
        intent, text = _latest(tracker)
        chosen = _entity(tracker, "desired_outcome")
        # Outside the question, 「退款」 in 「退款半个月没到账」 is the topic, not the wish;
        # only a button press (a "/inform{…}" payload) counts there.
        if not _asked(tracker, "desired_outcome") and not text.startswith("/"):
            return {}
        if chosen in DESIRED_OUTCOMES:
            return {"desired_outcome": chosen}
        if intent in CONTROL_INTENTS or not text.strip():
            return {}
        return {"desired_outcome": parse_desired_outcome(text) or "other"}

    # --- validation -------------------------------------------------------------------

    def validate_complaint_description(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Accept any non-empty description; the customer's words are not edited."""
        text = str(value or "").strip()
        return {"complaint_description": text or None}

    def validate_complaint_category(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Only the seven fixed categories are valid."""
        return {"complaint_category": value if value in COMPLAINT_CATEGORIES else None}

    def validate_order_id(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Accept a well-formed order number, a refusal, or re-ask with the reason."""
        return self._validate_optional(
            "order_id", value, tracker, dispatcher, parse=lambda t: parse_order_id(t).value
        )

    def validate_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Accept a mobile or landline number, a refusal, or re-ask with the reason."""
        return self._validate_optional(
            "phone", value, tracker, dispatcher, parse=lambda t: parse_phone(t).value
        )

    def validate_desired_outcome(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Keep one of the five outcome codes."""
        return {"desired_outcome": value if value in DESIRED_OUTCOMES else "other"}

    @staticmethod
    def _validate_optional(
        slot: str,
        value: Any,
        tracker: Tracker,
        dispatcher: CollectingDispatcher,
        parse: Any,
    ) -> dict[str, Any]:
        """Shared rules of the two optional slots: valid, declined, or failed (at most twice).

        A failure leaves the slot empty and sets ``form_error`` so the ask action re-asks
        with the specific reason; the second failure skips the slot instead of looping.
        """
        text = str(value or "")
        failures_slot = f"{slot}_failures"
        if text == SKIPPED:
            return {slot: SKIPPED, "form_error": None}
        parsed = parse(text)
        if parsed:
            return {slot: parsed, "form_error": None}
        intent, _ = _latest(tracker)
        declined = intent == "deny" or is_refusal(text)
        if not declined and not any(ch.isdigit() for ch in text):
            # Not an attempt at the number (an upset remark, a question): ask again plainly,
            # without counting it as a wrong answer.
            return {slot: None, "form_error": None}
        failures = int(tracker.get_slot(failures_slot) or 0) + 1
        if declined or failures >= MAX_FAILURES:
            dispatcher.utter_message(response=f"utter_skip_{slot}")
            return {slot: SKIPPED, "form_error": None, failures_slot: float(failures)}
        return {slot: None, "form_error": slot, failures_slot: float(failures)}
