"""The staff handoff queue: tickets a person has to handle, most urgent first.

Urgency, in order: a threat to escalate outside (12315, media, lawyers); priority, which
folds in the customer's peak emotion intensity and the money at stake (``bot.priority``);
a broken SLA promise; then the longest wait.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import ACTIVE_STATUSES, Ticket, utcnow

#: Most rows one queue page shows.
MAX_QUEUE = 200

#: What a queue row carries: no phone number (nothing to decrypt, nothing to leak).
QUEUE_COLUMNS = (
    Ticket.number, Ticket.channel, Ticket.category, Ticket.status, Ticket.priority,
    Ticket.emotion, Ticket.threat, Ticket.assignee, Ticket.description, Ticket.created_at,
    Ticket.due_at,
)  # fmt: skip


async def urgent_queue(
    session: AsyncSession,
    *,
    statuses: Sequence[str] = ACTIVE_STATUSES,
    assignee: str | None = None,
    limit: int = 100,
    now: datetime | None = None,
) -> tuple[list[Any], int]:
    """Return the most urgent tickets with one of ``statuses`` and how many there are.

    Rows carry ``QUEUE_COLUMNS`` by name (``row.number``, ``row.threat``, …).

    Args:
        session: The session to use.
        statuses: Which statuses are in the queue (default: every active one).
        assignee: Only tickets assigned to this username.
        limit: At most this many, 1..``MAX_QUEUE``.
        now: The time SLA breaches are measured at (tests); defaults to now.

    Raises:
        ValueError: ``limit`` out of range.
    """
    if not 1 <= limit <= MAX_QUEUE:
        raise ValueError(f"limit must be between 1 and {MAX_QUEUE}")
    now = now or utcnow()
    conditions = [Ticket.status.in_(list(statuses))]
    if assignee is not None:
        conditions.append(Ticket.assignee == assignee)
    total = (await session.execute(select(func.count(Ticket.id)).where(*conditions))).scalar_one()
    overdue = case((Ticket.due_at < now, 0), else_=1)
    query = (
        select(*QUEUE_COLUMNS)
        .where(*conditions)
        .order_by(Ticket.threat.desc(), Ticket.priority, overdue, Ticket.created_at, Ticket.id)
        .limit(limit)
    )
    return list((await session.execute(query)).all()), int(total)
