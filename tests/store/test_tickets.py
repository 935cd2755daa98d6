"""Ticket repository: creation, idempotency, numbering, listing (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import sessionmaker

from bot.store.models import Ticket
from bot.store.serializers import ticket_to_dict
from bot.store.tickets import (
    TicketDraft,
    create_ticket,
    format_number,
    get_ticket,
    list_tickets,
    ticket_day,
)

UTC = timezone.utc
# 03:00 UTC is 11:00 in Beijing: the same calendar day in both zones.
DAY1 = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
DAY2 = DAY1 + timedelta(days=1)


def draft(**overrides: object) -> TicketDraft:
    values: dict[str, object] = {
        "sender_id": "user-1",
        "channel": "rest",
        "category": "complain_delivery",
        "description": "快递一周了还没到，电话13812345678打不通",
        "order_id": "SO123456",
        "phone": "13812345678",
        "desired_outcome": "尽快送达",
    }
    values.update(overrides)
    return TicketDraft(**values)  # type: ignore[arg-type]


async def count_tickets(session: AsyncSession) -> int:
    return int((await session.execute(select(func.count()).select_from(Ticket))).scalar_one())


async def test_create_ticket_stores_everything(session: AsyncSession) -> None:
    due = DAY1 + timedelta(hours=24)
    ticket, created = await create_ticket(
        session,
        draft(emotion="anger", threat=True, priority=1, due_at=due, idempotency_key="k1"),
        now=DAY1,
    )
    assert created is True
    assert ticket.number == "TS20261124-0001"
    stored = await get_ticket(session, ticket.number)
    assert stored is not None
    assert stored.description == "快递一周了还没到，电话13812345678打不通"
    assert stored.phone == "13812345678"
    assert (stored.status, stored.priority, stored.emotion, stored.threat) == (
        "open",
        1,
        "anger",
        True,
    )
    assert stored.created_at == DAY1 and stored.created_at.tzinfo is not None
    assert stored.updated_at == DAY1
    assert stored.due_at == due


async def test_fresh_session_reads_aware_datetimes(
    session: AsyncSession, session_factory: sessionmaker
) -> None:
    ticket, _ = await create_ticket(session, draft(), now=DAY1)
    async with session_factory() as other:
        loaded = await get_ticket(other, ticket.number)
    assert loaded is not None
    assert loaded.created_at == DAY1
    assert loaded.created_at.utcoffset() == timedelta(0)


async def test_defaults(session: AsyncSession) -> None:
    ticket, _ = await create_ticket(session, draft(order_id=None, phone=None))
    assert (ticket.status, ticket.priority, ticket.threat, ticket.emotion) == (
        "open",
        3,
        False,
        None,
    )
    assert ticket.number == format_number(ticket_day(ticket.created_at), 1)


async def test_naive_now_is_utc(session: AsyncSession) -> None:
    ticket, _ = await create_ticket(session, draft(), now=DAY1.replace(tzinfo=None))
    assert ticket.created_at == DAY1


@pytest.mark.parametrize(
    ("moment", "day"),
    [
        (datetime(2026, 11, 24, 15, 59, tzinfo=UTC), "20261124"),  # 23:59 in Beijing
        (datetime(2026, 11, 24, 16, 0, tzinfo=UTC), "20261125"),  # midnight in Beijing
        (datetime(2026, 11, 25, 0, 30, tzinfo=timezone(timedelta(hours=8))), "20261125"),
    ],
)
def test_ticket_day_uses_beijing_date(moment: datetime, day: str) -> None:
    assert ticket_day(moment) == day


async def test_idempotent_create_returns_same_ticket(
    session: AsyncSession, session_factory: sessionmaker
) -> None:
    first, created = await create_ticket(session, draft(idempotency_key="abc"), now=DAY1)
    async with session_factory() as other:
        again, created_again = await create_ticket(
            other, draft(idempotency_key="abc", description="重复提交"), now=DAY1
        )
    assert created and not created_again
    assert again.number == first.number
    assert again.description == first.description
    assert await count_tickets(session) == 1


async def test_no_key_means_no_deduplication(session: AsyncSession) -> None:
    await create_ticket(session, draft(), now=DAY1)
    await create_ticket(session, draft(), now=DAY1)
    assert await count_tickets(session) == 2


async def test_numbers_run_per_day(session: AsyncSession) -> None:
    numbers = [(await create_ticket(session, draft(), now=DAY1))[0].number for _ in range(3)]
    numbers.append((await create_ticket(session, draft(), now=DAY2))[0].number)
    numbers.append((await create_ticket(session, draft(), now=DAY1))[0].number)
    assert numbers == [
        "TS20261124-0001",
        "TS20261124-0002",
        "TS20261124-0003",
        "TS20261125-0001",
        "TS20261124-0004",
    ]


async def test_idempotent_hit_does_not_use_a_number(session: AsyncSession) -> None:
    await create_ticket(session, draft(idempotency_key="x"), now=DAY1)
    await create_ticket(session, draft(idempotency_key="x"), now=DAY1)
    ticket, _ = await create_ticket(session, draft(), now=DAY1)
    assert ticket.number == "TS20261124-0002"


async def test_counter_catches_up_with_numbers_already_used(session: AsyncSession) -> None:
    # A row written behind the repository's back (data import, manual fix) took 0001.
    session.add(
        Ticket(
            number="TS20261124-0001",
            sender_id="import",
            channel="rest",
            category="complain_other",
            description="imported",
            created_at=DAY1,
            updated_at=DAY1,
        )
    )
    await session.commit()
    ticket, created = await create_ticket(session, draft(), now=DAY1)
    assert created and ticket.number == "TS20261124-0002"


async def test_concurrent_creates_get_distinct_numbers(session_factory: sessionmaker) -> None:
    async def one(i: int) -> str:
        async with session_factory() as session:
            ticket, created = await create_ticket(session, draft(sender_id=f"u{i}"), now=DAY1)
            assert created
            return str(ticket.number)

    numbers = await asyncio.gather(*(one(i) for i in range(10)))
    assert sorted(numbers) == [f"TS20261124-{n:04d}" for n in range(1, 11)]


async def test_concurrent_same_key_creates_one_ticket(session_factory: sessionmaker) -> None:
    async def one() -> tuple[str, bool]:
        async with session_factory() as session:
            ticket, created = await create_ticket(
                session, draft(idempotency_key="double-click"), now=DAY1
            )
            return str(ticket.number), created

    results = await asyncio.gather(*(one() for _ in range(8)))
    assert sum(created for _, created in results) == 1
    assert {number for number, _ in results} == {"TS20261124-0001"}
    async with session_factory() as session:
        assert await count_tickets(session) == 1


@pytest.mark.parametrize(
    "overrides",
    [{"priority": 0}, {"priority": 6}, {"sender_id": ""}, {"category": "  "}],
)
async def test_invalid_draft_is_rejected(session: AsyncSession, overrides: dict) -> None:
    with pytest.raises(ValueError):
        await create_ticket(session, draft(**overrides))
    assert await count_tickets(session) == 0


async def test_get_missing_ticket(session: AsyncSession) -> None:
    assert await get_ticket(session, "TS20000101-0001") is None


async def _seed(session: AsyncSession) -> list[Ticket]:
    specs = [
        ("alice", "complain_delivery"),
        ("alice", "complain_refund"),
        ("bob", "complain_delivery"),
        ("bob", "complain_quality"),
        ("carol", "complain_delivery"),
    ]
    tickets = []
    for minute, (sender, category) in enumerate(specs):
        ticket, _ = await create_ticket(
            session,
            draft(sender_id=sender, category=category),
            now=DAY1 + timedelta(minutes=minute),
        )
        tickets.append(ticket)
    await session.execute(
        update(Ticket).where(Ticket.number == tickets[2].number).values(status="resolved")
    )
    await session.commit()
    return tickets


async def test_list_is_newest_first_with_total(session: AsyncSession) -> None:
    tickets = await _seed(session)
    page, total = await list_tickets(session)
    assert total == 5
    assert [t.number for t in page] == [t.number for t in reversed(tickets)]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"sender_id": "alice"}, [1, 0]),
        ({"status": "resolved"}, [2]),
        ({"status": "open"}, [4, 3, 1, 0]),
        ({"category": "complain_delivery"}, [4, 2, 0]),
        ({"category": "complain_delivery", "status": "open"}, [4, 0]),
        ({"sender_id": "bob", "category": "complain_quality"}, [3]),
        ({"sender_id": "nobody"}, []),
    ],
)
async def test_list_filters(session: AsyncSession, filters: dict, expected: list[int]) -> None:
    tickets = await _seed(session)
    page, total = await list_tickets(session, **filters)
    assert [t.number for t in page] == [tickets[i].number for i in expected]
    assert total == len(expected)


async def test_list_pages(session: AsyncSession) -> None:
    tickets = await _seed(session)
    page, total = await list_tickets(session, limit=2, offset=1)
    assert total == 5
    assert [t.number for t in page] == [tickets[3].number, tickets[2].number]
    page, total = await list_tickets(session, limit=2, offset=10)
    assert (page, total) == ([], 5)


@pytest.mark.parametrize("bad", [{"limit": 0}, {"limit": 201}, {"offset": -1}, {"status": "lost"}])
async def test_list_rejects_bad_arguments(session: AsyncSession, bad: dict) -> None:
    with pytest.raises(ValueError):
        await list_tickets(session, **bad)


async def test_ticket_to_dict_masks_personal_data(session: AsyncSession) -> None:
    ticket, _ = await create_ticket(
        session,
        draft(
            description="身份证110101199001011234，手机13812345678",
            due_at=DAY1 + timedelta(hours=4),
        ),
        now=DAY1,
    )
    data = ticket_to_dict(ticket)
    assert set(data) == {
        "number",
        "sender_id",
        "channel",
        "category",
        "description",
        "order_id",
        "phone",
        "desired_outcome",
        "status",
        "priority",
        "emotion",
        "threat",
        "created_at",
        "updated_at",
        "due_at",
        "assignee",
        "follow_up",
        "resolved_at",
        "survey",
    }
    assert data["phone"] == "138****5678"
    assert data["description"] == "身份证110101********1234，手机138****5678"
    assert datetime.fromisoformat(data["created_at"]) == DAY1
    assert datetime.fromisoformat(data["due_at"]) == DAY1 + timedelta(hours=4)
    assert data["survey"] is None
    assert data["threat"] is False
