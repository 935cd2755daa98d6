"""Status lookups answer only about the customer's own tickets."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from rasa_sdk.executor import CollectingDispatcher

from actions.db import get_sessionmaker
from actions.status import ActionCheckStatus
from bot.store.tickets import TicketDraft, create_ticket
from tests.actions.conftest import TrackerFactory


async def make_ticket(sender: str, key: str) -> str:
    draft = TicketDraft(
        sender_id=sender,
        channel="rest",
        category="complain_delivery",
        description="快递没到",
        order_id=None,
        phone=None,
        desired_outcome=None,
        idempotency_key=key,
        due_at=datetime.now(timezone.utc) + timedelta(hours=24),
    )
    async with get_sessionmaker()() as session:
        ticket, _ = await create_ticket(session, draft)
        return ticket.number


async def check(tracker: object) -> list[dict[str, object]]:
    dispatcher = CollectingDispatcher()
    await ActionCheckStatus().run(dispatcher, tracker, {})  # type: ignore[arg-type]
    return dispatcher.messages


def number_entity(number: str) -> list[dict[str, object]]:
    return [{"entity": "ticket_number", "value": number}]


async def test_own_open_tickets_are_listed(tickets_db: str, make_tracker: TrackerFactory) -> None:
    first = await make_ticket("customer-1", "a")
    second = await make_ticket("customer-1", "b")
    await make_ticket("someone-else", "c")
    messages = await check(make_tracker("我的投诉怎么样了", intent="check_status"))
    assert [m["ticket_number"] for m in messages] == [second, first]
    assert all(m["status_text"] == "已受理，正在排队处理" for m in messages)
    assert all("前给您答复" in str(m["due_text"]) for m in messages)


async def test_named_ticket(tickets_db: str, make_tracker: TrackerFactory) -> None:
    number = await make_ticket("customer-1", "a")
    tracker = make_tracker(
        f"{number.lower()} 到哪了", intent="check_status", entities=number_entity(number.lower())
    )
    messages = await check(tracker)
    assert messages[0]["response"] == "utter_ticket_status"
    assert messages[0]["ticket_number"] == number


async def test_another_customers_ticket_looks_missing(
    tickets_db: str, make_tracker: TrackerFactory
) -> None:
    theirs = await make_ticket("someone-else", "x")
    tracker = make_tracker(f"{theirs} 进度", intent="check_status", entities=number_entity(theirs))
    messages = await check(tracker)
    assert [m["response"] for m in messages] == ["utter_ticket_not_found"]
    assert theirs not in str(messages)


async def test_no_tickets(tickets_db: str, make_tracker: TrackerFactory) -> None:
    messages = await check(make_tracker("进度怎么样", intent="check_status"))
    assert [m["response"] for m in messages] == ["utter_no_tickets"]
