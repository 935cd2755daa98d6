"""Handoff: the ticket is marked handed_off once, the customer told honestly, the bot paused."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.db import get_sessionmaker
from actions.handoff import NO_DESCRIPTION, ActionHandoff
from bot.settings import PROJECT_ROOT
from bot.store.lifecycle import list_events
from bot.store.models import Ticket
from bot.store.tickets import TicketDraft, create_ticket
from tests.actions.conftest import TrackerFactory

DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))


async def hand_off(tracker: Any) -> tuple[list[dict[str, Any]], CollectingDispatcher]:
    dispatcher = CollectingDispatcher()
    return await ActionHandoff().run(dispatcher, tracker, DOMAIN), dispatcher


async def all_tickets() -> list[Ticket]:
    async with get_sessionmaker()() as session:
        return list((await session.execute(select(Ticket).order_by(Ticket.id))).scalars())


async def test_complaint_in_progress_becomes_a_handed_off_ticket(
    tickets_db: str, make_tracker: TrackerFactory
) -> None:
    slots = {
        "complaint_description": "快递员把包裹扔在门口，还丢了",
        "complaint_category": "complain_delivery",
        "order_id": "2023112400123",
    }
    tracker = make_tracker(
        "我要找人工",
        "request_human",
        slots=slots,
        events=[{"event": "active_loop", "name": "complaint_form", "timestamp": 1.0}],
    )
    events, dispatcher = await hand_off(tracker)

    (ticket,) = await all_tickets()
    assert ticket.status == "handed_off" and ticket.category == "complain_delivery"
    assert (
        ticket.description == slots["complaint_description"] and ticket.order_id == "2023112400123"
    )
    text = dispatcher.messages[0]["text"]
    assert ticket.number in text and "30 分钟" in text and "{" not in text
    kinds = [e["event"] for e in events]
    assert kinds[-1] == "pause"
    assert {"event": "active_loop", "name": None, "timestamp": None} in events
    assert {e["name"]: e["value"] for e in events if e["event"] == "slot"}[
        "complaint_description"
    ] is None
    async with get_sessionmaker()() as session:
        history = [(e.kind, e.to_status, e.detail) for e in await list_events(session, ticket)]
    assert history[-1] == ("status", "handed_off", "客户要求人工客服")

    # Rasa retries the action: still one ticket, no second status change.
    await hand_off(tracker)
    assert len(await all_tickets()) == 1


async def test_an_open_ticket_is_handed_off_rather_than_a_new_one(
    tickets_db: str, make_tracker: TrackerFactory
) -> None:
    async with get_sessionmaker()() as session:
        existing, _ = await create_ticket(
            session,
            TicketDraft(
                sender_id="customer-1",
                channel="rest",
                category="complain_refund",
                description="退款没到",
            ),
        )
    tracker = make_tracker("转人工", "request_human")
    tracker.active_loop = {}
    await hand_off(tracker)
    (ticket,) = await all_tickets()
    assert ticket.number == existing.number and ticket.status == "handed_off"


async def test_handoff_before_any_complaint_keeps_what_was_said(
    tickets_db: str, make_tracker: TrackerFactory
) -> None:
    earlier = [{"event": "user", "timestamp": 1.0, "text": "你好", "parse_data": {}}]
    tracker = make_tracker("我要人工", "request_human", events=earlier)
    tracker.active_loop = {}
    await hand_off(tracker)
    (ticket,) = await all_tickets()
    assert ticket.description == "你好\n我要人工" and ticket.category == "complain_other"

    bare = make_tracker("", "request_human", sender_id="silent", events=[])
    bare.active_loop = {}
    await hand_off(bare)
    assert (await all_tickets())[-1].description == NO_DESCRIPTION


@pytest.mark.parametrize(
    ("threat", "response"), [(True, "utter_handoff_threat"), (False, "utter_handoff")]
)
async def test_wording_fits_a_threat(
    tickets_db: str, make_tracker: TrackerFactory, threat: bool, response: str
) -> None:
    tracker = make_tracker("我要去12315投诉你们", "request_human", slots={"threat": threat})
    _, dispatcher = await hand_off(tracker)
    templates = [v["text"] for v in DOMAIN["responses"][response]]
    number = (await all_tickets())[0].number
    assert dispatcher.messages[0]["text"] in {
        t.format(ticket_number=number, minutes=30) for t in templates
    }


async def test_storage_failure_is_said_and_does_not_pause(
    make_tracker: TrackerFactory, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    from actions.db import dispose_engine
    from bot.settings import get_settings

    # A database file under a path that cannot exist: every query fails.
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/missing/dir/tickets.db")
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    get_settings.cache_clear()
    await dispose_engine()
    try:
        events, dispatcher = await hand_off(make_tracker("转人工", "request_human"))
    finally:
        get_settings.cache_clear()
        await dispose_engine()
    assert dispatcher.messages[0]["response"] == "utter_handoff_failed"
    assert all(e["event"] != "pause" for e in events)
