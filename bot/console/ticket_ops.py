"""What staff do to a ticket, shared by the JSON API and the console pages.

Each operation runs in one database transaction; the conversation (Rasa) is reached only
after the ticket change is committed (resolve) or before it is recorded (reply), so that a
Rasa outage never loses a resolution and never records a reply the customer did not get.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.console.rasa_client import RasaUnavailable
from bot.console.state import RASA, SESSIONMAKER
from bot.store.db import SQLITE_IMMEDIATE
from bot.store.lifecycle import change_status, record_event
from bot.store.serializers import ticket_to_dict
from bot.store.tickets import get_ticket

logger = logging.getLogger(__name__)

#: Longest staff reply accepted (WeChat's customer-service API takes about 2,000 characters).
MAX_REPLY_CHARS = 2000


class TicketNotFound(LookupError):
    """No ticket has the given number."""


@dataclass(frozen=True)
class Resolution:
    """Outcome of resolving a ticket."""

    ticket: dict[str, Any]
    changed: bool
    survey_started: bool


async def resolve_ticket(
    app: web.Application, number: str, actor: str, note: str | None = None
) -> Resolution:
    """Resolve the ticket and have the bot ask the satisfaction survey in its conversation.

    Resolving twice is harmless: the second call changes nothing and does not ask the
    survey again. The survey starts only after the status change is committed.

    Raises:
        TicketNotFound: No such ticket.
        InvalidTransition: The ticket cannot be resolved from its status.
    """
    async with app[SESSIONMAKER]() as session:
        # SQLite: read-then-write under load (the action server writes too) needs the write
        # lock up front, or the commit fails with "database is locked" (seen by `make load`).
        await session.connection(execution_options={SQLITE_IMMEDIATE: True})
        ticket = await get_ticket(session, number)
        if ticket is None:
            raise TicketNotFound(number)
        changed = await change_status(session, ticket, "resolved", actor, note)
        await session.commit()
        data = ticket_to_dict(ticket)
        sender_id = ticket.sender_id
    survey_started = False
    if changed:
        try:
            await app[RASA].start_survey(sender_id, number)
            survey_started = True
        except RasaUnavailable:
            logger.exception("survey for %s could not be started", number)
    return Resolution(data, changed, survey_started)


def check_reply(text: object) -> str:
    """Return the reply text stripped.

    Raises:
        ValueError: Not a non-empty string of at most ``MAX_REPLY_CHARS`` characters.
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError("text must be a non-empty string")
    if len(text) > MAX_REPLY_CHARS:
        raise ValueError(f"text must be at most {MAX_REPLY_CHARS} characters")
    return text.strip()


async def send_reply(
    app: web.Application, number: str, text: str, actor: str, agent: str
) -> dict[str, Any]:
    """Deliver a staff reply to the customer's channel, then log it on the ticket.

    A first reply moves an open or handed-off ticket to ``in_progress``.

    Returns:
        The ticket's JSON form after the change.

    Raises:
        TicketNotFound: No such ticket.
        ValueError: The text is empty or too long (``check_reply``).
        RasaUnavailable: The conversation could not be reached; nothing was recorded.
    """
    text = check_reply(text)
    async with app[SESSIONMAKER]() as session:
        ticket = await get_ticket(session, number)
        if ticket is None:
            raise TicketNotFound(number)
        await app[RASA].send_staff_reply(ticket.sender_id, text, agent)
        await record_event(session, ticket, actor, "staff_reply", text)
        if ticket.status in ("open", "handed_off"):
            await change_status(session, ticket, "in_progress", actor)
        await session.commit()
        return ticket_to_dict(ticket)
