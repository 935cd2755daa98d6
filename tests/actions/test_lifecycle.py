"""Add details, withdraw, mark solved — on the customer's own active tickets only."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.db import get_sessionmaker
from actions.lifecycle import (
    ActionCancelTicket,
    ActionConfirmCancel,
    ActionFindInfoTicket,
    ActionMarkSolved,
    ActionSubmitInfo,
    ValidateAddInfoForm,
    details_in,
)
from bot.store.lifecycle import change_status
from bot.store.tickets import TicketDraft, create_ticket, get_ticket
from tests.actions.conftest import TrackerFactory


async def new_ticket(sender: str = "customer-1", key: str | None = None) -> str:
    async with get_sessionmaker()() as session:
        ticket, _ = await create_ticket(
            session,
            TicketDraft(
                sender_id=sender,
                channel="rest",
                category="complain_quality",
                description="杯子有裂缝",
                idempotency_key=key,
            ),
        )
        return ticket.number


async def status_of(number: str) -> str:
    async with get_sessionmaker()() as session:
        ticket = await get_ticket(session, number)
        assert ticket is not None
        return ticket.status


def slots_of(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


async def run(action: Any, tracker: Any) -> tuple[list[dict[str, Any]], CollectingDispatcher]:
    dispatcher = CollectingDispatcher()
    return await action.run(dispatcher, tracker, {}), dispatcher


@pytest.mark.parametrize(
    ("text", "details"),
    [
        ("我想补充一下", ""),
        ("补充：快递单号是SF123456789", "快递单号是SF123456789"),
        ("再补充一点，杯底也有裂纹", "杯底也有裂纹"),
        ("还有一件事忘了说", ""),
        ("对了，还有个事：发票也没开", "发票也没开"),
        ("補充一下", ""),
    ],
)
def test_details_in(text: str, details: str) -> None:
    assert details_in(text) == details


async def test_info_goes_to_the_latest_own_ticket(
    tickets_db: str, make_tracker: TrackerFactory
) -> None:
    await new_ticket("someone-else", key="x")
    mine = await new_ticket(key="y")
    events, _ = await run(ActionFindInfoTicket(), make_tracker("我要补充", "add_info"))
    assert slots_of(events) == {"info_ticket": mine}

    form = ValidateAddInfoForm()
    triggering = make_tracker("补充：杯子底部也裂了", "add_info", slots={"info_ticket": mine})
    assert await form.extract_extra_info(CollectingDispatcher(), triggering, {}) == {
        "extra_info": "杯子底部也裂了"
    }
    announcing = make_tracker("我想补充一下", "add_info", slots={"info_ticket": mine})
    assert await form.extract_extra_info(CollectingDispatcher(), announcing, {}) == {}
    answering = make_tracker("是昨天晚上收到的", "inform", requested_slot="extra_info")
    assert await form.extract_extra_info(CollectingDispatcher(), answering, {}) == {
        "extra_info": "是昨天晚上收到的"
    }

    slots = {"info_ticket": mine, "extra_info": "杯子底部也裂了"}
    for _ in range(2):  # retried: added once
        events, dispatcher = await run(ActionSubmitInfo(), make_tracker("…", slots=slots))
        assert dispatcher.messages[0]["response"] == "utter_info_added"
    async with get_sessionmaker()() as session:
        ticket = await get_ticket(session, mine)
        assert ticket is not None
        assert ticket.description == "杯子有裂缝\n【补充】杯子底部也裂了"


async def test_no_ticket_no_question(tickets_db: str, make_tracker: TrackerFactory) -> None:
    events, dispatcher = await run(ActionFindInfoTicket(), make_tracker("我要补充", "add_info"))
    assert slots_of(events) == {"info_ticket": None}
    assert dispatcher.messages[0]["response"] == "utter_no_open_ticket"
    form = ValidateAddInfoForm()
    assert (
        await form.required_slots(["extra_info"], CollectingDispatcher(), make_tracker(), {}) == []
    )


async def test_someone_elses_number_is_not_found(
    tickets_db: str, make_tracker: TrackerFactory
) -> None:
    theirs = await new_ticket("someone-else")
    tracker = make_tracker(
        f"撤销{theirs}", "cancel_complaint", entities=[{"entity": "ticket_number", "value": theirs}]
    )
    events, dispatcher = await run(ActionConfirmCancel(), tracker)
    assert dispatcher.messages[0]["response"] == "utter_no_open_ticket"
    assert slots_of(events) == {"pending_cancel": None}
    assert await status_of(theirs) == "open"


@pytest.mark.parametrize(("answer", "status"), [("affirm", "cancelled"), ("deny", "open")])
async def test_cancel_after_confirmation(
    tickets_db: str, make_tracker: TrackerFactory, answer: str, status: str
) -> None:
    number = await new_ticket()
    events, dispatcher = await run(
        ActionConfirmCancel(), make_tracker("撤销投诉", "cancel_complaint")
    )
    assert dispatcher.messages[0] == {
        **dispatcher.messages[0],
        "response": "utter_confirm_cancel",
        "ticket_number": number,
    }
    tracker = make_tracker("好", answer, slots={"pending_cancel": number})
    events, dispatcher = await run(ActionCancelTicket(), tracker)
    assert await status_of(number) == status
    expected = "utter_cancelled" if answer == "affirm" else "utter_cancel_kept"
    assert dispatcher.messages[0]["response"] == expected
    assert slots_of(events) == {"pending_cancel": None}


async def test_cancel_of_a_resolved_ticket_is_too_late(
    tickets_db: str, make_tracker: TrackerFactory
) -> None:
    number = await new_ticket()
    async with get_sessionmaker()() as session:
        ticket = await get_ticket(session, number)
        assert ticket is not None
        await change_status(session, ticket, "resolved", "api:ops")
        await session.commit()
    tracker = make_tracker("是的", "affirm", slots={"pending_cancel": number})
    _, dispatcher = await run(ActionCancelTicket(), tracker)
    assert dispatcher.messages[0]["response"] == "utter_cancel_too_late"
    assert await status_of(number) == "resolved"


async def test_marking_solved_resolves_and_hands_over_to_the_survey(
    tickets_db: str, make_tracker: TrackerFactory
) -> None:
    number = await new_ticket()
    events, dispatcher = await run(ActionMarkSolved(), make_tracker("问题解决了", "problem_solved"))
    assert await status_of(number) == "resolved"
    assert slots_of(events) == {"survey_ticket": number}
    assert dispatcher.messages[0]["response"] == "utter_marked_solved"

    events, dispatcher = await run(ActionMarkSolved(), make_tracker("问题解决了", "problem_solved"))
    assert slots_of(events) == {"survey_ticket": None}
    assert dispatcher.messages[0]["response"] == "utter_glad_solved"
