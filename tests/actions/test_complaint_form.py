"""The complaint form's extraction and validation, driven like the Rasa server drives it."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.complaint_form import ValidateComplaintForm
from actions.constants import SKIPPED
from tests.actions.conftest import TrackerFactory

DOMAIN: dict[str, Any] = {
    "forms": {
        "complaint_form": {
            "required_slots": [
                "complaint_description",
                "complaint_category",
                "order_id",
                "phone",
                "desired_outcome",
            ]
        }
    },
    "slots": {},
}


async def run_form(tracker: Any) -> tuple[dict[str, Any], CollectingDispatcher]:
    """Run the validation action and fold its SlotSet events into a dict."""
    dispatcher = CollectingDispatcher()
    events = await ValidateComplaintForm().run(dispatcher, tracker, DOMAIN)
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    return slots, dispatcher


def next_question(tracker: Any, slots: dict[str, Any]) -> str | None:
    """The slot the form asks next: the first required slot still empty (as FormAction does)."""
    merged = {**tracker.slots, **slots}
    required = DOMAIN["forms"]["complaint_form"]["required_slots"]
    return next((name for name in required if merged.get(name) is None), None)


def responses(dispatcher: CollectingDispatcher) -> list[str]:
    return [m["response"] for m in dispatcher.messages]


async def test_first_message_fills_description_category_and_order(
    make_tracker: TrackerFactory,
) -> None:
    text = "你们的快递十天了还没到，订单号 2023112400123，太气人了"
    tracker = make_tracker(
        text,
        intent="complain_delivery",
        entities=[{"entity": "order_id", "value": "2023112400123", "start": 15, "end": 28}],
    )
    slots, _ = await run_form(tracker)
    assert slots["complaint_description"] == text
    assert slots["complaint_category"] == "complain_delivery"
    assert slots["order_id"] == "2023112400123"
    assert next_question(tracker, slots) == "phone"


async def test_generic_opener_asks_for_the_story_first(make_tracker: TrackerFactory) -> None:
    tracker = make_tracker("我要投诉", intent="complain_other")
    slots, _ = await run_form(tracker)
    assert "complaint_description" not in slots
    assert "complaint_category" not in slots
    assert next_question(tracker, slots) == "complaint_description"


async def test_description_answer_sets_category_from_its_intent(
    make_tracker: TrackerFactory,
) -> None:
    text = "上个月买的空调，装好第二天就不制冷了"
    tracker = make_tracker(text, intent="complain_quality", requested_slot="complaint_description")
    slots, _ = await run_form(tracker)
    assert slots["complaint_description"] == text
    assert slots["complaint_category"] == "complain_quality"


async def test_description_with_unclear_intent_asks_category(make_tracker: TrackerFactory) -> None:
    tracker = make_tracker(
        "就是那个事情你们看着办", intent="nlu_fallback", requested_slot="complaint_description"
    )
    slots, _ = await run_form(tracker)
    assert slots["complaint_description"] == "就是那个事情你们看着办"
    assert next_question(tracker, slots) == "complaint_category"


async def test_category_button(make_tracker: TrackerFactory) -> None:
    tracker = make_tracker(
        '/inform{"complaint_category": "complain_billing"}',
        entities=[{"entity": "complaint_category", "value": "complain_billing"}],
        slots={"complaint_description": "多扣了我五十块"},
        requested_slot="complaint_category",
    )
    slots, _ = await run_form(tracker)
    assert slots["complaint_category"] == "complain_billing"


async def test_off_topic_message_is_left_to_the_rules(make_tracker: TrackerFactory) -> None:
    filled = {"complaint_description": "x", "complaint_category": "complain_other"}
    tracker = make_tracker(
        "你们几点下班", intent="out_of_scope", slots=filled, requested_slot="order_id"
    )
    slots, dispatcher = await run_form(tracker)
    assert "order_id" not in slots
    assert dispatcher.messages == []


FILLED = {"complaint_description": "坏了", "complaint_category": "complain_quality"}


async def test_invalid_order_id_twice_then_skipped(make_tracker: TrackerFactory) -> None:
    tracker = make_tracker("12345", requested_slot="order_id", slots=FILLED)
    first, dispatcher = await run_form(tracker)
    assert first["order_id"] is None
    assert first["form_error"] == "order_id"
    assert first["order_id_failures"] == 1
    assert next_question(tracker, first) == "order_id"
    assert responses(dispatcher) == []  # the ask action says what was wrong

    tracker = make_tracker(
        "6789",
        requested_slot="order_id",
        slots={**FILLED, "order_id_failures": 1.0, "form_error": "order_id"},
    )
    second, dispatcher = await run_form(tracker)
    assert second["order_id"] == SKIPPED
    assert second["form_error"] is None
    assert next_question(tracker, second) == "phone"
    assert responses(dispatcher) == ["utter_skip_order_id"]


async def test_no_order_id_is_accepted_at_once(make_tracker: TrackerFactory) -> None:
    slots, dispatcher = await run_form(
        make_tracker("没有订单号", intent="deny", requested_slot="order_id", slots=FILLED)
    )
    assert slots["order_id"] == SKIPPED
    assert responses(dispatcher) == ["utter_skip_order_id"]


async def test_refusing_the_phone_moves_on(make_tracker: TrackerFactory) -> None:
    filled = {**FILLED, "order_id": SKIPPED}
    tracker = make_tracker("不想留电话", intent="deny", requested_slot="phone", slots=filled)
    slots, dispatcher = await run_form(tracker)
    assert slots["phone"] == SKIPPED
    assert next_question(tracker, slots) == "desired_outcome"
    assert responses(dispatcher) == ["utter_skip_phone"]


async def test_valid_phone_and_outcome(make_tracker: TrackerFactory) -> None:
    filled = {**FILLED, "order_id": SKIPPED}
    slots, _ = await run_form(
        make_tracker("电话 139 1234 5678", requested_slot="phone", slots=filled)
    )
    assert slots["phone"] == "13912345678"
    tracker = make_tracker(
        "换个新的吧", requested_slot="desired_outcome", slots={**filled, "phone": "13912345678"}
    )
    outcome, _ = await run_form(tracker)
    assert outcome["desired_outcome"] == "exchange"
    assert next_question(tracker, outcome) is None


async def test_wechat_customer_is_not_asked_for_a_phone(make_tracker: TrackerFactory) -> None:
    tracker = make_tracker(
        "没有", intent="deny", requested_slot="order_id", slots=FILLED, channel="wechat"
    )
    slots, _ = await run_form(tracker)
    assert slots["requested_slot"] == "desired_outcome"


@pytest.mark.parametrize("intent", ["request_human", "bot_challenge", "out_of_scope"])
async def test_control_intents_do_not_become_a_description(
    make_tracker: TrackerFactory, intent: str
) -> None:
    slots, _ = await run_form(
        make_tracker("转人工", intent=intent, requested_slot="complaint_description")
    )
    assert "complaint_description" not in slots


def test_slotset_shape_is_rasa_sdk() -> None:
    assert SlotSet("phone", None)["event"] == "slot"


async def test_outcome_word_in_the_complaint_is_not_the_wish(make_tracker: TrackerFactory) -> None:
    text = "退款申请提交半个月了还没到账"
    entities = [{"entity": "desired_outcome", "value": "refund", "start": 0, "end": 2}]
    slots, _ = await run_form(make_tracker(text, intent="complain_refund", entities=entities))
    assert "desired_outcome" not in slots
    asked = make_tracker("退款", entities=entities, slots=FILLED, requested_slot="desired_outcome")
    slots, _ = await run_form(asked)
    assert slots["desired_outcome"] == "refund"


VENT_INVITE = [
    {"event": "action", "timestamp": 1.0, "name": "action_acknowledge"},
    {"event": "bot", "timestamp": 1.1, "text": "您慢慢说，我都记着。"},
    {"event": "action", "timestamp": 1.2, "name": "action_listen"},
]
FIRST = "你们的快递十天了还没到，太气人了"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("快递一直显示在运输中，麻烦帮我查一下", "out_of_scope"),
        ("打了三次电话都没人接", "complain_service"),
        ("还有，包装也是破的", "add_info"),
    ],
)
async def test_what_is_said_after_the_vent_invitation_is_appended(
    make_tracker: TrackerFactory, text: str, intent: str
) -> None:
    tracker = make_tracker(
        text, intent=intent, slots={"complaint_description": FIRST}, events=VENT_INVITE
    )
    slots, _ = await run_form(tracker)
    assert slots["complaint_description"] == f"{FIRST}\n{text}"


@pytest.mark.parametrize(
    ("text", "intent", "events"),
    [
        ("转人工", "request_human", VENT_INVITE),  # a request, not a detail
        ("/inform", "inform", VENT_INVITE),  # a button
        (FIRST, "complain_delivery", VENT_INVITE),  # already in the description
        # The form asked its question after a plain apology: an answer, not a vent.
        ("快递一直显示在运输中", "out_of_scope", [
            {"event": "action", "timestamp": 1.0, "name": "action_acknowledge"},
            {"event": "action", "timestamp": 1.1, "name": "complaint_form"},
            {"event": "action", "timestamp": 1.2, "name": "action_listen"},
        ]),
    ],
)  # fmt: skip
async def test_other_messages_leave_the_description_alone(
    make_tracker: TrackerFactory, text: str, intent: str, events: list[dict[str, Any]]
) -> None:
    tracker = make_tracker(
        text, intent=intent, slots={"complaint_description": FIRST}, events=events
    )
    slots, _ = await run_form(tracker)
    assert slots.get("complaint_description", FIRST) == FIRST


def _said(text: str, intent: str, entities: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """An earlier user event as the tracker store keeps it."""
    parse_data = {"text": text, "intent": {"name": intent}, "entities": entities or []}
    return {"event": "user", "timestamp": 1.0, "text": text, "parse_data": parse_data}


def _did(action: str) -> dict[str, Any]:
    return {"event": "action", "timestamp": 1.5, "name": action}


FELL_BACK = [
    _said(
        "售后一直推脱，订单号 DD202401050001234，电话 13912345678，你们看着办",
        "nlu_fallback",
        [{"entity": "order_id", "value": "DD202401050001234", "start": 10, "end": 27}],
    ),
    _did("utter_please_rephrase"),
    _did("action_listen"),
]


async def test_numbers_from_a_message_that_fell_back_are_kept(
    make_tracker: TrackerFactory,
) -> None:
    """The opening was not understood; the number in it is not asked for again."""
    tracker = make_tracker("就是维修一个月了还没修好", intent="complain_refund", events=FELL_BACK)
    slots, _ = await run_form(tracker)
    assert slots["complaint_description"] == "就是维修一个月了还没修好"
    assert slots["order_id"] == "DD202401050001234"
    assert slots["phone"] == "13912345678"  # no entity there: parsed from the text
    assert next_question(tracker, slots) == "desired_outcome"


@pytest.mark.parametrize(
    "closed",
    [
        "action_submit_complaint",
        "action_handoff",
        "action_submit_info",
        "action_cancel_ticket",
        "action_check_status",
    ],
)
async def test_numbers_of_closed_business_are_not_reused(
    make_tracker: TrackerFactory, closed: str
) -> None:
    """A number said before a ticket was filed, added to or asked about belongs to that ticket."""
    events = [*FELL_BACK, _did(closed), _did("action_listen")]
    tracker = make_tracker("新买的耳机左边没声音", intent="complain_quality", events=events)
    slots, _ = await run_form(tracker)
    assert "order_id" not in slots
    assert "phone" not in slots
    assert next_question(tracker, slots) == "order_id"


async def test_the_newest_number_wins(make_tracker: TrackerFactory) -> None:
    events = [
        *FELL_BACK,
        _said("不对，订单号是 JD20231124001234", "inform"),
        _did("action_listen"),
    ]
    tracker = make_tracker("快点处理", intent="complain_refund", events=events)
    slots, _ = await run_form(tracker)
    assert slots["order_id"] == "JD20231124001234"
