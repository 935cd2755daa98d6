"""The submit action writes exactly one ticket per complaint and reads it back to the customer."""

from __future__ import annotations

from typing import Any

from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import func, select

from actions.ask import ActionAskOrderId, ActionAskPhone
from actions.constants import SKIPPED
from actions.db import get_sessionmaker
from actions.tickets import ActionSubmitComplaint, idempotency_key
from bot.store.models import Ticket
from tests.actions.conftest import TrackerFactory

SLOTS = {
    "complaint_description": "你们的快递十天了还没到，订单号 2023112400123，太气人了",
    "complaint_category": "complain_delivery",
    "order_id": "2023112400123",
    "phone": "13812345678",
    "desired_outcome": "refund",
}
FORM_STARTED = [{"event": "active_loop", "name": "complaint_form", "timestamp": 1.5}]


async def submit(tracker: Any) -> tuple[list[dict[str, Any]], CollectingDispatcher]:
    dispatcher = CollectingDispatcher()
    events = await ActionSubmitComplaint().run(dispatcher, tracker, {})
    return events, dispatcher


async def count_tickets() -> int:
    async with get_sessionmaker()() as session:
        return int((await session.execute(select(func.count(Ticket.id)))).scalar_one())


async def test_ticket_created_and_read_back(tickets_db: str, make_tracker: TrackerFactory) -> None:
    tracker = make_tracker("退款", slots=SLOTS, events=FORM_STARTED)
    events, dispatcher = await submit(tracker)

    created, promise = dispatcher.messages
    assert created["response"] == "utter_ticket_created"
    number = created["ticket_number"]
    assert number.startswith("TS") and len(number) == len("TS20261124-0007")
    assert "物流配送" in created["summary"]
    assert "2023112400123" in created["summary"]
    assert "138****5678" in created["summary"] and "13812345678" not in created["summary"]
    assert "退款" in created["summary"]
    assert promise == {**promise, "response": "utter_promise", "hours": 24}

    slot_events = {e["name"]: e["value"] for e in events}
    assert slot_events["ticket_number"] == number
    assert slot_events["complaint_description"] is None  # ready for a second complaint

    async with get_sessionmaker()() as session:
        ticket = (await session.execute(select(Ticket))).scalar_one()
    assert ticket.number == number
    assert ticket.category == "complain_delivery"
    assert ticket.description == SLOTS["complaint_description"]
    assert ticket.order_id == "2023112400123"
    assert ticket.channel == "rest"
    assert ticket.sender_id == "customer-1"
    assert ticket.due_at is not None


async def test_retry_does_not_duplicate(tickets_db: str, make_tracker: TrackerFactory) -> None:
    tracker = make_tracker("退款", slots=SLOTS, events=FORM_STARTED)
    _, first = await submit(tracker)
    _, second = await submit(tracker)
    assert first.messages[0]["ticket_number"] == second.messages[0]["ticket_number"]
    assert await count_tickets() == 1


async def test_second_complaint_gets_second_ticket(
    tickets_db: str, make_tracker: TrackerFactory
) -> None:
    _, first = await submit(make_tracker("退款", slots=SLOTS, events=FORM_STARTED))
    later = [*FORM_STARTED, {"event": "active_loop", "name": "complaint_form", "timestamp": 9.0}]
    _, second = await submit(make_tracker("退款", slots=SLOTS, events=later))
    assert first.messages[0]["ticket_number"] != second.messages[0]["ticket_number"]
    assert await count_tickets() == 2


async def test_skipped_values_are_stored_empty(
    tickets_db: str, make_tracker: TrackerFactory
) -> None:
    slots = {**SLOTS, "order_id": SKIPPED, "phone": SKIPPED}
    _, dispatcher = await submit(make_tracker("退款", slots=slots, events=FORM_STARTED))
    assert "；订单号" not in dispatcher.messages[0]["summary"]
    assert "联系电话" not in dispatcher.messages[0]["summary"]
    async with get_sessionmaker()() as session:
        ticket = (await session.execute(select(Ticket))).scalar_one()
    assert ticket.order_id is None and ticket.phone is None


async def test_database_down_gives_calm_message(
    tickets_db: str, make_tracker: TrackerFactory, monkeypatch: Any
) -> None:
    from actions import tickets as module
    from bot.store.db import make_engine, make_sessionmaker

    broken = make_sessionmaker(make_engine("sqlite:////nonexistent-dir/x/tickets.db"))
    monkeypatch.setattr(module, "get_sessionmaker", lambda: broken)
    events, dispatcher = await submit(make_tracker("退款", slots=SLOTS, events=FORM_STARTED))
    assert [m["response"] for m in dispatcher.messages] == ["utter_ticket_failed"]
    assert events == [SlotSet("ticket_unsaved", True)]  # retried at the next message


def test_idempotency_key_uses_form_start(make_tracker: TrackerFactory) -> None:
    tracker = make_tracker("x", events=FORM_STARTED)
    assert idempotency_key(tracker) == "customer-1:1.5"


async def test_ask_actions_explain_a_rejected_answer(make_tracker: TrackerFactory) -> None:
    for action, slot in ((ActionAskOrderId(), "order_id"), (ActionAskPhone(), "phone")):
        plain, rejected = CollectingDispatcher(), CollectingDispatcher()
        await action.run(plain, make_tracker("x"), {})
        await action.run(rejected, make_tracker("x", slots={"form_error": slot}), {})
        assert plain.messages[0]["response"] == f"utter_ask_{slot}"
        assert rejected.messages[0]["response"] == f"utter_invalid_{slot}"


def test_read_back_names_the_category_once() -> None:
    from actions.tickets import read_back
    from bot.store.tickets import TicketDraft

    draft = TicketDraft(
        sender_id="s",
        channel="rest",
        category="complain_other",
        description="天天骚扰电话",
        order_id=None,
        phone=None,
        desired_outcome="apology",
        idempotency_key="k",
    )
    assert read_back(draft) == "其他问题，「天天骚扰电话」；您希望：道歉或给个说法。"


async def test_peak_emotion_and_threat_raise_priority(
    tickets_db: str, make_tracker: TrackerFactory
) -> None:
    slots = {**SLOTS, "peak_emotion": "anger", "peak_intensity": 3.0, "threat": True}
    await submit(make_tracker("退款", slots=slots, events=FORM_STARTED))
    async with get_sessionmaker()() as session:
        ticket = (await session.execute(select(Ticket))).scalar_one()
    assert (ticket.emotion, ticket.threat, ticket.priority) == ("anger", True, 1)
