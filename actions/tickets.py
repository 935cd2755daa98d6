"""Turns a completed complaint form into exactly one ticket and tells the customer its number."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any

import asyncpg
from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.constants import FORM_SLOTS, SKIPPED
from actions.db import get_sessionmaker
from bot.priority import ticket_priority
from bot.privacy import mask_phone
from bot.sla import get_sla
from bot.store.tickets import TicketDraft, create_ticket
from bot.validation import COMPLAINT_CATEGORIES, DESIRED_OUTCOMES, summarize

# What a database outage raises: asyncpg's connect-time errors (e.g. a database that refuses
# connections) and refused sockets reach us unwrapped by SQLAlchemy.
STORAGE_ERRORS = (
    SQLAlchemyError,
    ValueError,
    OSError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
)

logger = logging.getLogger(__name__)


def _optional(value: Any) -> str | None:
    return None if value in (None, "", SKIPPED) else str(value)


def idempotency_key(tracker: Tracker) -> str:
    """Identify one complaint: the conversation plus the moment its form was activated.

    Rasa may run an action twice (a retry after a timeout); the key stays the same, so the
    second run finds the first ticket instead of writing another. A second complaint in the
    same conversation activates the form again and gets a new key.
    """
    started = next(
        (
            event.get("timestamp")
            for event in reversed(tracker.events)
            if event.get("event") == "active_loop" and event.get("name") == "complaint_form"
        ),
        None,
    )
    return f"{tracker.sender_id}:{started}"


def draft_from_tracker(tracker: Tracker) -> TicketDraft:
    """Collect the form's slots into a ticket draft."""
    return TicketDraft(
        sender_id=tracker.sender_id,
        channel=tracker.get_latest_input_channel() or "unknown",
        category=tracker.get_slot("complaint_category") or "complain_other",
        description=tracker.get_slot("complaint_description") or "",
        order_id=_optional(tracker.get_slot("order_id")),
        phone=_optional(tracker.get_slot("phone")),
        desired_outcome=_optional(tracker.get_slot("desired_outcome")),
        idempotency_key=idempotency_key(tracker),
        emotion=tracker.get_slot("peak_emotion"),
        threat=bool(tracker.get_slot("threat")),
        priority=ticket_priority(
            tracker.get_slot("complaint_category"),
            tracker.get_slot("peak_emotion"),
            float(tracker.get_slot("peak_intensity") or 0),
            bool(tracker.get_slot("threat")),
        ),
    )


def read_back(draft: TicketDraft) -> str:
    """The short summary of what was recorded, read back to the customer (「我已记录：…」)."""
    label = COMPLAINT_CATEGORIES.get(draft.category, "其他")
    parts = [f"{label}问题，「{summarize(draft.description)}」"]
    if draft.order_id:
        parts.append(f"订单号 {draft.order_id}")
    if draft.phone:
        parts.append(f"联系电话 {mask_phone(draft.phone)}")
    if draft.desired_outcome:
        parts.append(f"您希望：{DESIRED_OUTCOMES.get(draft.desired_outcome, '其他处理方式')}")
    return "；".join(parts) + "。"


class ActionSubmitComplaint(Action):
    """Creates the ticket once, reads back what was recorded and promises only the SLA."""

    def name(self) -> str:
        """Name used in rules and stories."""
        return "action_submit_complaint"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        """Write the ticket and confirm it; on a database error, say so and keep the slots."""
        draft = draft_from_tracker(tracker)
        now = datetime.now(timezone.utc)
        sla = get_sla()
        draft.due_at = sla.due_at(draft.category, now)
        try:
            async with get_sessionmaker()() as session:
                ticket, created = await create_ticket(session, draft, now=now)
                await session.commit()
                number = ticket.number
        except STORAGE_ERRORS:
            # The slots are kept, so nothing the customer said is lost; the message is calm.
            logger.exception("could not store the ticket for %s", draft.idempotency_key)
            dispatcher.utter_message(response="utter_ticket_failed")
            # The policy submits again at the customer's next message (bot/policies).
            return [SlotSet("ticket_unsaved", True)]
        if not created:
            logger.info("ticket %s already existed for %s", number, draft.idempotency_key)
        dispatcher.utter_message(
            response="utter_ticket_created", ticket_number=number, summary=read_back(draft)
        )
        dispatcher.utter_message(response="utter_promise", hours=sla.hours_for(draft.category))
        return [SlotSet("ticket_number", number), SlotSet("ticket_unsaved", False)] + [
            SlotSet(slot, None) for slot in FORM_SLOTS
        ]
