"""Survey actions: started once, unclear answers re-asked once then skipped, stored once."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.constants import SKIPPED
from actions.db import get_sessionmaker
from actions.survey import (
    ActionAskSurveyComment,
    ActionAskSurveyRating,
    ActionStartSurvey,
    ActionSubmitSurvey,
    ValidateSurveyForm,
)
from bot.store.lifecycle import change_status
from bot.store.models import Survey
from bot.store.tickets import TicketDraft, create_ticket, get_ticket
from tests.actions.conftest import TrackerFactory


async def resolved_ticket(sender: str = "customer-1", resolve: bool = True) -> str:
    async with get_sessionmaker()() as session:
        ticket, _ = await create_ticket(
            session,
            TicketDraft(
                sender_id=sender, channel="rest", category="complain_delivery", description="丢件"
            ),
        )
        if resolve:
            await change_status(session, ticket, "resolved", "api:ops")
            await session.commit()
        return ticket.number


def slots_of(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


async def test_start_asks_for_the_customers_resolved_ticket(
    tickets_db: str, make_tracker: TrackerFactory
) -> None:
    number = await resolved_ticket()
    entities = [{"entity": "ticket_number", "value": number}]
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("", "EXTERNAL_ticket_resolved", entities=entities)
    events = await ActionStartSurvey().run(dispatcher, tracker, {})
    assert slots_of(events)["survey_ticket"] == number
    assert slots_of(events)["survey_rating"] is None
    assert dispatcher.messages[0]["response"] == "utter_survey_intro"
    async with get_sessionmaker()() as session:
        assert (await session.execute(select(Survey))).scalar_one().answered_at is None


@pytest.mark.parametrize("case", ["other customer", "not resolved", "unknown"])
async def test_start_skips_every_question_when_it_must_not_ask(
    tickets_db: str, make_tracker: TrackerFactory, case: str
) -> None:
    number = {
        "other customer": await resolved_ticket("someone-else"),
        "not resolved": await resolved_ticket(resolve=False),
        "unknown": "TS20000101-0001",
    }[case]
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        "", "EXTERNAL_ticket_resolved", entities=[{"entity": "ticket_number", "value": number}]
    )
    events = await ActionStartSurvey().run(dispatcher, tracker, {})
    slots = slots_of(events)
    assert slots["survey_ticket"] is None
    assert {slots[s] for s in ("survey_rating", "survey_solved", "survey_comment")} == {SKIPPED}
    assert dispatcher.messages == []


async def extract_and_validate(
    make_tracker: TrackerFactory, text: str, slot: str, intent: str = "rate", **slots: Any
) -> dict[str, Any]:
    form = ValidateSurveyForm()
    tracker = make_tracker(text, intent, requested_slot=slot, slots=slots)
    tracker.active_loop = {"name": "survey_form"}
    extracted = await getattr(form, f"extract_{slot}")(CollectingDispatcher(), tracker, {})
    if slot not in extracted:
        return {}
    return getattr(form, f"validate_{slot}")(extracted[slot], CollectingDispatcher(), tracker, {})


@pytest.mark.parametrize(
    ("text", "rating"), [("五星", 5.0), ("一般", 3.0), ("很差", 1.0), ("4", 4.0)]
)
async def test_ratings_are_read(make_tracker: TrackerFactory, text: str, rating: float) -> None:
    # 「一般」 may look off-topic to the NLU: a readable rating is taken whatever the intent.
    result = await extract_and_validate(make_tracker, text, "survey_rating", intent="out_of_scope")
    assert result["survey_rating"] == rating


async def test_button_rating_is_read(make_tracker: TrackerFactory) -> None:
    form = ValidateSurveyForm()
    tracker = make_tracker(
        '/rate{"rating": 2}',
        "rate",
        entities=[{"entity": "rating", "value": 2}],
        requested_slot="survey_rating",
    )
    extracted = await form.extract_survey_rating(CollectingDispatcher(), tracker, {})
    assert form.validate_survey_rating(
        extracted["survey_rating"], CollectingDispatcher(), tracker, {}
    ) == {
        "survey_rating": 2.0,
        "survey_error": None,
    }


@pytest.mark.parametrize("bad", ["随便", "10分", "嗯嗯啊啊"])
async def test_bad_rating_is_reasked_once_then_skipped(
    make_tracker: TrackerFactory, bad: str
) -> None:
    first = await extract_and_validate(make_tracker, bad, "survey_rating")
    assert first == {"survey_rating": None, "survey_error": "survey_rating"}
    second = await extract_and_validate(
        make_tracker, bad, "survey_rating", survey_error="survey_rating"
    )
    assert second == {"survey_rating": SKIPPED, "survey_error": None}


async def test_skip_request_skips_at_once(make_tracker: TrackerFactory) -> None:
    assert await extract_and_validate(make_tracker, "跳过", "survey_rating", "deny") == {
        "survey_rating": SKIPPED,
        "survey_error": None,
    }


async def test_request_for_a_person_is_left_to_the_rules(make_tracker: TrackerFactory) -> None:
    assert (
        await extract_and_validate(make_tracker, "转人工", "survey_rating", "request_human") == {}
    )


@pytest.mark.parametrize(
    ("text", "intent", "solved"),
    [
        ("解决了", "affirm", "yes"),
        ("还没有", "deny", "no"),
        ("嗯呢", "affirm", "yes"),
        ("/deny", "deny", "no"),
    ],
)
async def test_solved_answers(
    make_tracker: TrackerFactory, text: str, intent: str, solved: str
) -> None:
    result = await extract_and_validate(make_tracker, text, "survey_solved", intent)
    assert result["survey_solved"] == solved


@pytest.mark.parametrize(
    ("text", "comment"), [("没有", SKIPPED), ("客服态度很好，就是慢", "客服态度很好，就是慢")]
)
async def test_comments(make_tracker: TrackerFactory, text: str, comment: str) -> None:
    result = await extract_and_validate(make_tracker, text, "survey_comment", "inform")
    assert result["survey_comment"] == comment


async def test_questions_are_not_taken_from_other_turns(make_tracker: TrackerFactory) -> None:
    # The rating question was not asked: a 「5」 in another turn is not a rating.
    assert await extract_and_validate(make_tracker, "5", "survey_comment", "inform") == {
        "survey_comment": "5"
    }
    form = ValidateSurveyForm()
    tracker = make_tracker("5", "rate", requested_slot="survey_comment")
    assert await form.extract_survey_rating(CollectingDispatcher(), tracker, {}) == {}


async def test_reask_wording(make_tracker: TrackerFactory) -> None:
    dispatcher = CollectingDispatcher()
    await ActionAskSurveyRating().run(
        dispatcher, make_tracker(slots={"survey_error": "survey_rating"}), {}
    )
    assert dispatcher.messages[0]["response"] == "utter_ask_survey_rating_again"
    dispatcher = CollectingDispatcher()
    await ActionAskSurveyComment().run(dispatcher, make_tracker(slots={"survey_rating": "1.0"}), {})
    assert dispatcher.messages[0]["response"] == "utter_ask_survey_comment_unhappy"


@pytest.mark.parametrize(
    ("rating", "solved", "thanks", "follow_up"),
    [
        ("5.0", "yes", "utter_survey_thanks", False),
        ("2.0", "yes", "utter_survey_thanks_unhappy", True),
        (SKIPPED, "no", "utter_survey_thanks_unhappy", True),
        (SKIPPED, SKIPPED, "utter_survey_thanks", False),
    ],
)
async def test_submit_stores_once(
    tickets_db: str,
    make_tracker: TrackerFactory,
    rating: str,
    solved: str,
    thanks: str,
    follow_up: bool,
) -> None:
    number = await resolved_ticket()
    slots = {
        "survey_ticket": number,
        "survey_rating": rating,
        "survey_solved": solved,
        "survey_comment": "还行",
    }
    for attempt in range(2):  # a second run must not store again or change the answers
        dispatcher = CollectingDispatcher()
        events = await ActionSubmitSurvey().run(dispatcher, make_tracker("还行", slots=slots), {})
        if attempt == 0:
            assert dispatcher.messages[0]["response"] == thanks
        assert slots_of(events)["survey_ticket"] is None
        slots["survey_rating"] = "1.0"  # the second run carries other answers: ignored
    async with get_sessionmaker()() as session:
        ticket = await get_ticket(session, number)
        assert ticket is not None and ticket.follow_up is follow_up
        survey = (await session.execute(select(Survey))).scalar_one()
    assert survey.rating == (None if rating == SKIPPED else int(float(rating)))
    assert survey.solved == {"yes": True, "no": False, SKIPPED: None}[solved]
    assert survey.comment == "还行" and survey.answered_at is not None


def test_cleared_slots_are_not_judged(make_tracker: TrackerFactory) -> None:
    # Starting a survey clears the answers; the form validates those None values at once and
    # must neither count them as unclear answers nor skip a question because of them.
    form = ValidateSurveyForm()
    tracker = make_tracker("", "EXTERNAL_ticket_resolved")
    for slot in ("survey_rating", "survey_solved", "survey_comment"):
        validate = getattr(form, f"validate_{slot}")
        assert validate(None, CollectingDispatcher(), tracker, {}) == {slot: None}
