"""「我的投诉怎么样了」: where the customer's own tickets stand — never anyone else's."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.db import get_sessionmaker
from bot.store.models import Ticket
from bot.store.tickets import NUMBER_TIMEZONE, get_ticket, list_tickets

logger = logging.getLogger(__name__)

STATUS_TEXT = {
    "open": "已受理，正在排队处理",
    "handed_off": "已转给人工客服",
    "in_progress": "正在处理中",
    "resolved": "已经处理完毕",
    "closed": "已结案",
    "cancelled": "已撤销",
}
ACTIVE = ("open", "handed_off", "in_progress")
MAX_LISTED = 3


def describe(ticket: Ticket) -> dict[str, str]:
    """Template values for one ticket: its number, status in words and promised time."""
    due = ""
    if ticket.due_at is not None and ticket.status in ACTIVE:
        local = ticket.due_at.astimezone(NUMBER_TIMEZONE)
        due = f"，预计 {local.month}月{local.day}日 {local:%H:%M} 前给您答复"
    return {
        "ticket_number": ticket.number,
        "status_text": STATUS_TEXT.get(ticket.status, ticket.status),
        "due_text": due,
    }


class ActionCheckStatus(Action):
    """Reports the status of a named ticket, or of the customer's open tickets."""

    def name(self) -> str:
        """Name used in rules."""
        return "action_check_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        """Look the tickets up in one session and answer in the customer's conversation."""
        asked = next(tracker.get_latest_entity_values("ticket_number"), None)
        try:
            async with get_sessionmaker()() as session:
                if asked:
                    ticket = await get_ticket(session, asked.upper())
                    # Another customer's ticket is answered exactly like a missing one.
                    found = [ticket] if ticket and ticket.sender_id == tracker.sender_id else []
                else:
                    found, _ = await list_tickets(
                        session, sender_id=tracker.sender_id, limit=MAX_LISTED
                    )
        except SQLAlchemyError:
            logger.exception("status lookup failed")
            dispatcher.utter_message(response="utter_status_unavailable")
            return []
        if not found:
            dispatcher.utter_message(
                response="utter_ticket_not_found" if asked else "utter_no_tickets"
            )
            return []
        for ticket in found:
            dispatcher.utter_message(response="utter_ticket_status", **describe(ticket))
        return []
