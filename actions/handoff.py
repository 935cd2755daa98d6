"""Handing the conversation to a person: the ticket is marked ``handed_off`` and the bot
pauses, so it stays silent while staff answer through the console.

The customer is told honestly what happens next and how soon someone usually answers
(``handoff_minutes`` in sla.yml). Staff replies reach them in the same conversation; when
staff resolve the ticket the bot resumes and asks the satisfaction survey.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, ConversationPaused, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from actions.constants import FORM_SLOTS
from actions.db import write_session
from actions.deescalation import fresh_variant, last_bot_text, record_complaint
from actions.tickets import draft_from_tracker, idempotency_key
from bot.sla import get_sla
from bot.store.lifecycle import InvalidTransition, change_status, latest_active_ticket
from bot.store.models import Ticket
from bot.store.tickets import create_ticket, get_ticket

logger = logging.getLogger(__name__)

#: Description of a ticket opened by a handoff before the customer said what happened.
NO_DESCRIPTION = "（客户在说明问题前要求转人工，详见对话记录）"


def customer_words(tracker: Tracker) -> str:
    """Everything the customer typed in this conversation (no button payloads), in order."""
    texts = [
        (event.get("text") or "").strip()
        for event in tracker.events
        if event.get("event") == "user"
    ]
    return "\n".join(t for t in texts if t and not t.startswith("/"))


async def ticket_for_handoff(
    session: AsyncSession, tracker: Tracker, kept: dict[str, Any]
) -> Ticket:
    """The ticket staff take over: the complaint being told now, else the open one, else new.

    A complaint in progress (its description collected, the form perhaps unfinished) becomes
    a ticket with what is known so far; the idempotency key makes a retried handoff find it.
    """
    in_progress = kept.get("complaint_description") or tracker.get_slot("complaint_description")
    named = tracker.get_slot("ticket_number")
    if not in_progress:
        ticket = await get_ticket(session, named) if named else None
        if (
            ticket is None
            or ticket.sender_id != tracker.sender_id
            or ticket.status
            not in (
                "open",
                "handed_off",
                "in_progress",
            )
        ):
            ticket = await latest_active_ticket(session, tracker.sender_id)
        if ticket is not None:
            return ticket
    tracker.slots.update(kept)
    draft = draft_from_tracker(tracker)
    draft.description = in_progress or customer_words(tracker) or NO_DESCRIPTION
    now = datetime.now(timezone.utc)
    draft.due_at = get_sla().due_at(draft.category, now)
    if tracker.active_loop.get("name") != "complaint_form":
        # Not from the form: one handoff per customer message (a retry sends the same one).
        latest = next(
            (e.get("timestamp") for e in reversed(tracker.events) if e.get("event") == "user"),
            None,
        )
        draft.idempotency_key = f"{tracker.sender_id}:handoff:{latest}"
    else:
        draft.idempotency_key = idempotency_key(tracker)
    ticket, _ = await create_ticket(session, draft, now=now)
    return ticket


class ActionHandoff(Action):
    """Marks the ticket ``handed_off``, tells the customer what happens, pauses the bot."""

    def name(self) -> str:
        """Name used by rules and the de-escalation policy."""
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        """Hand over; if the ticket cannot be written, say so and keep the bot talking."""
        kept = record_complaint(tracker)
        threat = bool(tracker.get_slot("threat"))
        reason = "客户提到向外部投诉，升级人工处理" if threat else "客户要求人工客服"
        try:
            async with write_session() as session:
                ticket = await ticket_for_handoff(session, tracker, kept)
                if ticket.status != "handed_off":
                    await change_status(session, ticket, "handed_off", "bot", reason)
                await session.commit()
                number = ticket.number
        except (SQLAlchemyError, InvalidTransition, ValueError):
            logger.exception("handoff of %s could not be recorded", tracker.sender_id)
            dispatcher.utter_message(response="utter_handoff_failed")
            return [SlotSet(slot, value) for slot, value in kept.items()]
        response = "utter_handoff_threat" if threat else "utter_handoff"
        variant = fresh_variant(response, domain, last_bot_text(tracker))
        variant["text"] = str(variant.get("text", "")).format(
            ticket_number=number, minutes=get_sla().handoff_minutes
        )
        dispatcher.utter_message(**variant)
        events: list[dict[str, Any]] = [SlotSet("ticket_number", number)]
        if tracker.active_loop.get("name"):
            events += [ActiveLoop(None), SlotSet("requested_slot", None)]
        # The complaint now lives in the ticket: a later complaint starts from a clean form.
        events += [SlotSet(slot, None) for slot in FORM_SLOTS]
        events.append(ConversationPaused())
        return events
