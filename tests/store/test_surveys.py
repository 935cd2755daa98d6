"""Surveys: stored once, unhappy answers flag a follow-up, CSAT figures (SQLite, PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.lifecycle import change_status, list_events
from bot.store.models import Ticket
from bot.store.surveys import (
    SurveyAnswers,
    answer_survey,
    csat_summary,
    list_surveys,
    start_survey,
)
from bot.store.tickets import TicketDraft, create_ticket, get_ticket


async def resolved_ticket(
    session: AsyncSession, key: str, category: str = "complain_delivery", channel: str = "rest"
) -> Ticket:
    ticket, _ = await create_ticket(
        session,
        TicketDraft(
            sender_id=f"user-{key}",
            channel=channel,
            category=category,
            description="快递丢了",
            idempotency_key=key,
        ),
    )
    await change_status(session, ticket, "resolved", "api:ops")
    await session.commit()
    return ticket


async def test_starting_twice_gives_one_survey(session: AsyncSession) -> None:
    ticket = await resolved_ticket(session, "a")
    first = await start_survey(session, ticket, "rest")
    second = await start_survey(session, ticket, "rest")
    assert first.id == second.id and first.answered_at is None


async def test_answers_are_stored_once(session: AsyncSession) -> None:
    ticket = await resolved_ticket(session, "a")
    survey, stored = await answer_survey(session, ticket, SurveyAnswers(5, True, "很快"), "rest")
    assert stored and survey.rating == 5 and survey.solved is True
    again, stored_again = await answer_survey(session, ticket, SurveyAnswers(1, False), "rest")
    assert not stored_again
    assert again.rating == 5 and again.comment == "很快"
    session.expunge_all()
    reloaded = await get_ticket(session, ticket.number)
    assert reloaded is not None and reloaded.survey.rating == 5
    assert reloaded.follow_up is False


@pytest.mark.parametrize(
    ("answers", "follow_up"),
    [
        (SurveyAnswers(2, True), True),
        (SurveyAnswers(1, None), True),
        (SurveyAnswers(3, False), True),
        (SurveyAnswers(3, True), False),
        (SurveyAnswers(None, None, None), False),
    ],
)
async def test_unhappy_answers_flag_a_follow_up(
    session: AsyncSession, answers: SurveyAnswers, follow_up: bool
) -> None:
    ticket = await resolved_ticket(session, "a")
    await answer_survey(session, ticket, answers, "rest")
    assert ticket.follow_up is follow_up
    kinds = [e.kind for e in await list_events(session, ticket)]
    assert ("follow_up" in kinds) is follow_up and "survey" in kinds


async def test_rating_out_of_range_is_refused(session: AsyncSession) -> None:
    ticket = await resolved_ticket(session, "a")
    with pytest.raises(ValueError):
        await answer_survey(session, ticket, SurveyAnswers(10), "rest")


async def test_csat_by_category_and_channel(session: AsyncSession) -> None:
    plan = [
        ("a", "complain_delivery", "rest", SurveyAnswers(5, True)),
        ("b", "complain_delivery", "wechat", SurveyAnswers(2, False)),
        ("c", "complain_refund", "wechat", SurveyAnswers(4, True)),
        ("d", "complain_refund", "rest", SurveyAnswers(None, True)),
    ]
    for key, category, channel, answers in plan:
        ticket = await resolved_ticket(session, key, category, channel)
        await answer_survey(session, ticket, answers, channel)
    unanswered = await resolved_ticket(session, "e")
    await start_survey(session, unanswered, "rest")

    summary = await csat_summary(session)
    overall = summary["overall"]
    assert overall["asked"] == 5 and overall["answered"] == 4 and overall["rated"] == 3
    assert overall["response_rate"] == 0.8
    assert overall["csat"] == round(2 / 3, 3)
    assert overall["mean_rating"] == round(11 / 3, 2)
    assert overall["solved_rate"] == 0.75
    assert summary["by_category"]["complain_delivery"]["csat"] == 0.5
    assert summary["by_category"]["complain_refund"]["rated"] == 1
    assert summary["by_channel"]["wechat"]["mean_rating"] == 3.0

    listed, total = await list_surveys(session)
    assert total == 4
    assert unanswered.number not in {t.number for _, t in listed}


async def test_empty_summary(session: AsyncSession) -> None:
    summary = await csat_summary(session)
    assert summary["overall"]["csat"] is None and summary["overall"]["response_rate"] is None
    assert summary["by_category"] == {}
