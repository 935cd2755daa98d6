"""Ticket repository: create tickets exactly once, number them, find and list them.

All functions take an ``AsyncSession`` from ``bot.store.db.make_sessionmaker`` (one session per
action call or request) and work on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.db import SQLITE_IMMEDIATE
from bot.store.lifecycle import record_event
from bot.store.models import (
    PRIORITY_DEFAULT,
    PRIORITY_MAX,
    PRIORITY_MIN,
    TICKET_STATUSES,
    Ticket,
    TicketCounter,
    utcnow,
)

NUMBER_PREFIX = "TS"

#: Ticket numbers carry the customer's calendar date. Customers are in mainland China, which
#: has one zone and no daylight saving, so a fixed UTC+8 offset is exact (and needs no tzdata).
NUMBER_TIMEZONE = timezone(timedelta(hours=8), "Asia/Shanghai")

#: Most rows ``list_tickets`` returns at once.
MAX_LIST_LIMIT = 200

#: Attempts at inserting a ticket when its number collides (only after manual edits of the
#: table put the day counter behind the numbers already used).
MAX_CREATE_ATTEMPTS = 5


@dataclass
class TicketDraft:
    """What the bot collected for a new ticket.

    Attributes:
        sender_id: Rasa conversation id of the customer.
        channel: Input channel name.
        category: Complaint intent, e.g. ``complain_refund``.
        description: The customer's own words, kept whole.
        order_id: Order number, if given.
        phone: Contact number as given (masked on output, not in storage).
        desired_outcome: What the customer wants (refund, exchange, apology, ...).
        idempotency_key: Same key, same ticket: retried creates return the first ticket.
        emotion: Peak emotion of the conversation.
        threat: Whether the customer threatened to escalate outside.
        priority: 1 (most urgent) to 5.
        due_at: SLA deadline, timezone-aware.
        actor: Who creates it, for the event log (the bot, or staff on the customer's behalf).
    """

    sender_id: str
    channel: str
    category: str
    description: str
    order_id: str | None = None
    phone: str | None = None
    desired_outcome: str | None = None
    idempotency_key: str | None = None
    emotion: str | None = None
    threat: bool = False
    priority: int = PRIORITY_DEFAULT
    due_at: datetime | None = None
    actor: str = "bot"

    def validate(self) -> None:
        """Raise ``ValueError`` for a draft the database would reject."""
        for name in ("sender_id", "channel", "category"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"ticket {name} must be a non-empty string")
        if not isinstance(self.description, str):
            raise ValueError("ticket description must be a string")
        if not PRIORITY_MIN <= self.priority <= PRIORITY_MAX:
            raise ValueError(
                f"ticket priority must be {PRIORITY_MIN}..{PRIORITY_MAX}, got {self.priority}"
            )


def _aware(moment: datetime) -> datetime:
    """Return ``moment`` in UTC, reading a naive value as UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def ticket_day(moment: datetime) -> str:
    """Return the ``YYYYMMDD`` date a ticket created at ``moment`` is numbered under."""
    return _aware(moment).astimezone(NUMBER_TIMEZONE).strftime("%Y%m%d")


def format_number(day: str, sequence: int) -> str:
    """Return the ticket number for ``sequence`` on ``day``: ``TS20261124-0007``."""
    return f"{NUMBER_PREFIX}{day}-{sequence:04d}"


def _sequence_of(number: str) -> int:
    return int(number.rsplit("-", 1)[1])


async def _find_by_key(session: AsyncSession, key: str) -> Ticket | None:
    result = await session.execute(select(Ticket).where(Ticket.idempotency_key == key))
    return result.scalar_one_or_none()


async def _next_sequence(session: AsyncSession, day: str, repair: bool) -> int:
    """Increment and return the counter of ``day`` inside the current transaction.

    The increment locks the counter row (PostgreSQL) or runs under the write lock taken by
    ``BEGIN IMMEDIATE`` (SQLite), so concurrent creates get consecutive numbers; a rolled-back
    create gives its number back.

    Args:
        session: Session with the creating transaction.
        day: ``YYYYMMDD``.
        repair: Move the counter past the highest number already used that day first (after
            a number collision).
    """
    connection = await session.connection()
    dialect = connection.dialect.name
    if dialect == "postgresql":
        insert: Any = pg_insert(TicketCounter)
    elif dialect == "sqlite":
        insert = sqlite_insert(TicketCounter)
    else:  # pragma: no cover - only the two supported backends reach here
        raise NotImplementedError(f"ticket numbering does not support {dialect}")
    # The first create of a day races to add the row; losers simply find it there.
    await session.execute(
        insert.values(day=day, value=0).on_conflict_do_nothing(index_elements=["day"])
    )
    if repair:
        latest = await session.execute(
            select(Ticket.number)
            .where(Ticket.number.like(f"{NUMBER_PREFIX}{day}-%"))
            .order_by(func.length(Ticket.number).desc(), Ticket.number.desc())
            .limit(1)
        )
        highest = latest.scalar_one_or_none()
        if highest is not None:
            await session.execute(
                update(TicketCounter)
                .where(TicketCounter.day == day, TicketCounter.value < _sequence_of(highest))
                .values(value=_sequence_of(highest))
            )
    await session.execute(
        update(TicketCounter).where(TicketCounter.day == day).values(value=TicketCounter.value + 1)
    )
    result = await session.execute(select(TicketCounter.value).where(TicketCounter.day == day))
    return int(result.scalar_one())


async def _settle(session: AsyncSession, ticket: Ticket) -> Ticket:
    """Commit and make sure ``ticket`` stays readable afterwards (no lazy loads in async)."""
    await session.commit()
    if session.sync_session.expire_on_commit:
        await session.refresh(ticket)
    return ticket


async def create_ticket(
    session: AsyncSession, draft: TicketDraft, now: datetime | None = None
) -> tuple[Ticket, bool]:
    """Create a ticket, or return the one already created with the same idempotency key.

    The create runs in its own transaction and commits; work pending in the session before
    the call is committed first. A retried or concurrent create with the same
    ``idempotency_key`` returns the existing ticket (the unique constraint settles races).

    Args:
        session: The session to use.
        draft: The ticket's content.
        now: Creation time (tests); defaults to the current time. Naive values are UTC.

    Returns:
        ``(ticket, created)``: ``created`` is ``False`` when the ticket already existed.

    Raises:
        ValueError: The draft is invalid.
        IntegrityError: No free number after ``MAX_CREATE_ATTEMPTS`` tries.
    """
    draft.validate()
    created_at = _aware(now) if now is not None else utcnow()
    day = ticket_day(created_at)
    if session.in_transaction():
        await session.commit()
    repair = False
    last_error: IntegrityError | None = None
    for _attempt in range(MAX_CREATE_ATTEMPTS):
        # SQLite: take the write lock now, before the first read (see SQLITE_IMMEDIATE).
        await session.connection(execution_options={SQLITE_IMMEDIATE: True})
        try:
            if draft.idempotency_key:
                existing = await _find_by_key(session, draft.idempotency_key)
                if existing is not None:
                    return await _settle(session, existing), False
            sequence = await _next_sequence(session, day, repair)
            ticket = Ticket(
                number=format_number(day, sequence),
                sender_id=draft.sender_id,
                channel=draft.channel,
                category=draft.category,
                description=draft.description,
                order_id=draft.order_id,
                phone=draft.phone,
                desired_outcome=draft.desired_outcome,
                status="open",
                priority=draft.priority,
                emotion=draft.emotion,
                threat=bool(draft.threat),
                idempotency_key=draft.idempotency_key,
                created_at=created_at,
                updated_at=created_at,
                due_at=_aware(draft.due_at) if draft.due_at is not None else None,
                survey=None,  # a new ticket has none: mark it loaded, never lazy-load it
            )
            session.add(ticket)
            await session.flush()
            await record_event(session, ticket, draft.actor, "created", at=created_at)
            return await _settle(session, ticket), True
        except IntegrityError as error:
            await session.rollback()
            last_error = error
            if draft.idempotency_key:
                # Lost a race against a create with the same key: that ticket is ours.
                existing = await _find_by_key(session, draft.idempotency_key)
                if existing is not None:
                    return await _settle(session, existing), False
                await session.rollback()
            # Otherwise the number was taken: catch the counter up and try again.
            repair = True
        except Exception:
            # Release the SQLite write lock / PostgreSQL row lock before the caller sees it.
            await session.rollback()
            raise
    assert last_error is not None
    raise last_error


async def get_ticket(session: AsyncSession, number: str) -> Ticket | None:
    """Return the ticket with ``number``, or ``None``."""
    result = await session.execute(select(Ticket).where(Ticket.number == number))
    return result.scalar_one_or_none()


async def list_tickets(
    session: AsyncSession,
    *,
    sender_id: str | None = None,
    status: str | None = None,
    category: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Ticket], int]:
    """Return a page of tickets, newest first, and the number of tickets matching in all.

    Args:
        session: The session to use.
        sender_id: Only this customer's tickets.
        status: Only tickets with this status (one of ``TICKET_STATUSES``).
        category: Only tickets of this category.
        limit: Page size, 1..``MAX_LIST_LIMIT``.
        offset: Rows to skip, >= 0.

    Returns:
        ``(tickets, total)``.

    Raises:
        ValueError: ``limit``, ``offset`` or ``status`` is out of range.
    """
    if not 1 <= limit <= MAX_LIST_LIMIT:
        raise ValueError(f"limit must be between 1 and {MAX_LIST_LIMIT}")
    if offset < 0:
        raise ValueError("offset must not be negative")
    if status is not None and status not in TICKET_STATUSES:
        raise ValueError(f"status must be one of {', '.join(TICKET_STATUSES)}")
    conditions = []
    if sender_id is not None:
        conditions.append(Ticket.sender_id == sender_id)
    if status is not None:
        conditions.append(Ticket.status == status)
    if category is not None:
        conditions.append(Ticket.category == category)
    total = (
        await session.execute(select(func.count()).select_from(Ticket).where(*conditions))
    ).scalar_one()
    rows = await session.execute(
        select(Ticket)
        .where(*conditions)
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows.scalars().all()), int(total)
