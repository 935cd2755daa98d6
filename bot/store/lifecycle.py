"""What happens to a ticket after it is created: status changes, assignment, added details,
notes — each recorded in the ticket's append-only event log in the same transaction.

Callers own the transaction: these functions add and flush, the caller commits (one session
per action call or request).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import ACTIVE_STATUSES, Ticket, TicketEvent, utcnow

#: Which status may follow which. ``resolved`` and ``closed`` tickets can be re-opened
#: (``in_progress``); a cancelled ticket stays cancelled.
TRANSITIONS: dict[str, frozenset[str]] = {
    "open": frozenset({"handed_off", "in_progress", "resolved", "cancelled"}),
    "handed_off": frozenset({"in_progress", "resolved", "cancelled"}),
    "in_progress": frozenset({"handed_off", "resolved", "cancelled"}),
    "resolved": frozenset({"closed", "in_progress"}),
    "closed": frozenset({"in_progress"}),
    "cancelled": frozenset(),
}

#: Longest detail kept in one event (a pasted essay must not bloat every history view).
MAX_DETAIL_CHARS = 4000


class InvalidTransition(ValueError):
    """The ticket cannot move from its status to the one asked for."""


async def record_event(
    session: AsyncSession,
    ticket: Ticket,
    actor: str,
    kind: str,
    detail: str | None = None,
    *,
    from_status: str | None = None,
    to_status: str | None = None,
    at: datetime | None = None,
) -> TicketEvent:
    """Append one event to ``ticket``'s history.

    Args:
        session: Session of the caller's transaction.
        ticket: A ticket that is already flushed (it has an id).
        actor: Who did it: ``bot``, ``customer``, ``staff:<name>``, ``api:<token>``.
        kind: One of ``bot.store.models.EVENT_KINDS``.
        detail: Free text, cut to ``MAX_DETAIL_CHARS``.
        from_status: Status before, for status changes.
        to_status: Status after, for status changes.
        at: When; defaults to now.
    """
    event = TicketEvent(
        ticket_id=ticket.id,
        at=at or utcnow(),
        actor=actor[:160],
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        detail=detail[:MAX_DETAIL_CHARS] if detail else None,
    )
    session.add(event)
    await session.flush()
    return event


async def change_status(
    session: AsyncSession, ticket: Ticket, to_status: str, actor: str, detail: str | None = None
) -> bool:
    """Move ``ticket`` to ``to_status`` and log it.

    Returns:
        ``False`` when the ticket already had that status (nothing changed, nothing logged:
        a retried resolve or handoff is harmless), ``True`` otherwise.

    Raises:
        InvalidTransition: ``TRANSITIONS`` does not allow the move.
    """
    before = ticket.status
    if before == to_status:
        return False
    if to_status not in TRANSITIONS.get(before, frozenset()):
        raise InvalidTransition(f"ticket {ticket.number} cannot go from {before} to {to_status}")
    now = utcnow()
    ticket.status = to_status
    ticket.updated_at = now
    if to_status == "resolved":
        ticket.resolved_at = now
    await record_event(
        session, ticket, actor, "status", detail, from_status=before, to_status=to_status, at=now
    )
    return True


async def assign(session: AsyncSession, ticket: Ticket, assignee: str | None, actor: str) -> None:
    """Give ``ticket`` to ``assignee`` (``None`` puts it back in the queue) and log it."""
    ticket.assignee = assignee
    ticket.updated_at = utcnow()
    await record_event(session, ticket, actor, "assigned", assignee or "")


async def add_info(session: AsyncSession, ticket: Ticket, text: str, actor: str) -> None:
    """Append the customer's additional details to the description and log them.

    Raises:
        InvalidTransition: The ticket is no longer being worked on.
    """
    if ticket.status not in ACTIVE_STATUSES:
        raise InvalidTransition(f"ticket {ticket.number} is {ticket.status}")
    ticket.description = f"{ticket.description}\n【补充】{text}"
    ticket.updated_at = utcnow()
    await record_event(session, ticket, actor, "info_added", text)


async def flag_follow_up(session: AsyncSession, ticket: Ticket, actor: str, reason: str) -> None:
    """Raise the follow-up flag (an unhappy customer after resolution) and log why."""
    ticket.follow_up = True
    ticket.updated_at = utcnow()
    await record_event(session, ticket, actor, "follow_up", reason)


async def list_events(session: AsyncSession, ticket: Ticket) -> list[TicketEvent]:
    """Return ``ticket``'s history, oldest first."""
    rows = await session.execute(
        select(TicketEvent)
        .where(TicketEvent.ticket_id == ticket.id)
        .order_by(TicketEvent.at, TicketEvent.id)
    )
    return list(rows.scalars().all())


async def latest_active_ticket(session: AsyncSession, sender_id: str) -> Ticket | None:
    """Return the customer's most recent ticket that is still being worked on, if any."""
    rows = await session.execute(
        select(Ticket)
        .where(Ticket.sender_id == sender_id, Ticket.status.in_(ACTIVE_STATUSES))
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(1)
    )
    return rows.scalar_one_or_none()
