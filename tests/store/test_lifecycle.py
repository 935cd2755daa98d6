"""Ticket lifecycle: transitions, event log, added details (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.lifecycle import (
    InvalidTransition,
    add_info,
    assign,
    change_status,
    latest_active_ticket,
    list_events,
)
from bot.store.serializers import event_to_dict
from bot.store.tickets import TicketDraft, create_ticket


def draft(sender: str = "user-1", key: str | None = None) -> TicketDraft:
    return TicketDraft(
        sender_id=sender,
        channel="rest",
        category="complain_refund",
        description="退货寄回去半个月了，钱还没退",
        phone="13812345678",
        idempotency_key=key,
    )


async def test_creation_is_the_first_event(session: AsyncSession) -> None:
    ticket, _ = await create_ticket(session, draft())
    events = await list_events(session, ticket)
    assert [(e.kind, e.actor) for e in events] == [("created", "bot")]


async def test_status_changes_are_logged_in_order(session: AsyncSession) -> None:
    ticket, _ = await create_ticket(session, draft())
    assert await change_status(session, ticket, "handed_off", "bot", "客户要求转人工")
    assert await change_status(session, ticket, "in_progress", "staff:alice")
    assert await change_status(session, ticket, "resolved", "staff:alice")
    await session.commit()
    assert ticket.resolved_at is not None
    events = [event_to_dict(e) for e in await list_events(session, ticket)]
    assert [(e["kind"], e["from_status"], e["to_status"]) for e in events] == [
        ("created", None, None),
        ("status", "open", "handed_off"),
        ("status", "handed_off", "in_progress"),
        ("status", "in_progress", "resolved"),
    ]
    assert events[1]["detail"] == "客户要求转人工"
    assert events[2]["actor"] == "staff:alice"


async def test_repeating_a_status_change_logs_nothing(session: AsyncSession) -> None:
    ticket, _ = await create_ticket(session, draft())
    assert await change_status(session, ticket, "resolved", "api:ops")
    assert not await change_status(session, ticket, "resolved", "api:ops")
    await session.commit()
    assert len(await list_events(session, ticket)) == 2


@pytest.mark.parametrize(
    ("path", "forbidden"),
    [(["cancelled"], "open"), (["cancelled"], "resolved"), ([], "closed")],
)
async def test_forbidden_transitions_raise(
    session: AsyncSession, path: list[str], forbidden: str
) -> None:
    ticket, _ = await create_ticket(session, draft())
    for status in path:
        await change_status(session, ticket, status, "bot")
    with pytest.raises(InvalidTransition):
        await change_status(session, ticket, forbidden, "bot")


async def test_resolved_ticket_can_be_reopened(session: AsyncSession) -> None:
    ticket, _ = await create_ticket(session, draft())
    await change_status(session, ticket, "resolved", "bot")
    assert await change_status(session, ticket, "in_progress", "staff:bob", "客户说还没好")
    assert ticket.status == "in_progress"


async def test_added_info_is_appended_and_logged(session: AsyncSession) -> None:
    ticket, _ = await create_ticket(session, draft())
    await add_info(session, ticket, "快递单号是 SF1234567890", "customer")
    await session.commit()
    assert ticket.description.endswith("【补充】快递单号是 SF1234567890")
    assert ticket.description.startswith("退货寄回去半个月了")
    kinds = [e.kind for e in await list_events(session, ticket)]
    assert kinds == ["created", "info_added"]


async def test_no_info_added_to_a_closed_ticket(session: AsyncSession) -> None:
    ticket, _ = await create_ticket(session, draft())
    await change_status(session, ticket, "cancelled", "customer")
    with pytest.raises(InvalidTransition):
        await add_info(session, ticket, "还有一件事", "customer")


async def test_assignment_is_logged(session: AsyncSession) -> None:
    ticket, _ = await create_ticket(session, draft())
    await assign(session, ticket, "alice", "staff:alice")
    await session.commit()
    assert ticket.assignee == "alice"
    assert [e.detail for e in await list_events(session, ticket)][-1] == "alice"


async def test_latest_active_ticket_is_the_customers_own(session: AsyncSession) -> None:
    first, _ = await create_ticket(session, draft(key="a"))
    second, _ = await create_ticket(session, draft(key="b"))
    await create_ticket(session, draft(sender="someone-else", key="c"))
    assert (await latest_active_ticket(session, "user-1")).number == second.number  # type: ignore[union-attr]
    await change_status(session, second, "cancelled", "customer")
    await session.commit()
    assert (await latest_active_ticket(session, "user-1")).number == first.number  # type: ignore[union-attr]
    assert await latest_active_ticket(session, "nobody") is None


async def test_phone_is_encrypted_at_rest(session: AsyncSession) -> None:
    ticket, _ = await create_ticket(session, draft())
    raw = (
        await session.execute(text("SELECT phone FROM tickets WHERE id = :id"), {"id": ticket.id})
    ).scalar_one()
    assert "13812345678" not in raw and "5678" not in raw
    session.expunge_all()
    from bot.store.tickets import get_ticket

    again = await get_ticket(session, ticket.number)
    assert again is not None and again.phone == "13812345678"
