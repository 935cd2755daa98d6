"""Satisfaction surveys: one per resolved ticket, answered once, summarised as CSAT.

CSAT is the share of answered surveys rated 4 or 5 (the usual "satisfied" definition), with
the mean rating beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.lifecycle import flag_follow_up, record_event
from bot.store.models import Survey, Ticket, utcnow

#: Ratings at or below this mark an unhappy customer: the ticket gets a follow-up flag.
UNHAPPY_MAX = 2
#: Ratings at or above this count as satisfied in CSAT.
SATISFIED_MIN = 4


@dataclass(frozen=True)
class SurveyAnswers:
    """What the customer answered; ``None`` means skipped."""

    rating: int | None = None
    solved: bool | None = None
    comment: str | None = None

    def validate(self) -> None:
        """Raise ``ValueError`` for a rating outside 1..5."""
        if self.rating is not None and not 1 <= self.rating <= 5:
            raise ValueError(f"rating must be 1..5, got {self.rating}")


async def start_survey(session: AsyncSession, ticket: Ticket, channel: str) -> Survey:
    """Return the ticket's survey, creating it (asked now) the first time.

    Commits; a concurrent start for the same ticket loses on the unique constraint and
    returns the winner's survey.
    """
    existing = await survey_of(session, ticket.id)
    if existing is not None:
        return existing
    survey = Survey(ticket_id=ticket.id, sender_id=ticket.sender_id, channel=channel)
    session.add(survey)
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        found = await survey_of(session, ticket.id)
        assert found is not None
        return found
    return survey


async def survey_of(session: AsyncSession, ticket_id: int) -> Survey | None:
    """Return the survey of the ticket with id ``ticket_id``, if one was started."""
    rows = await session.execute(select(Survey).where(Survey.ticket_id == ticket_id))
    return rows.scalar_one_or_none()


async def answer_survey(
    session: AsyncSession, ticket: Ticket, answers: SurveyAnswers, channel: str
) -> tuple[Survey, bool]:
    """Store the answers once; an unhappy rating raises the ticket's follow-up flag.

    Commits. Answers to a survey that was already answered are ignored (a retried action or
    a customer answering twice never overwrites the first answers).

    Returns:
        ``(survey, stored)``: ``stored`` is ``False`` when it had been answered before.
    """
    answers.validate()
    survey = await start_survey(session, ticket, channel)
    if survey.answered_at is not None:
        return survey, False
    survey.rating = answers.rating
    survey.solved = answers.solved
    survey.comment = answers.comment
    survey.answered_at = utcnow()
    await record_event(
        session,
        ticket,
        "customer",
        "survey",
        f"rating={answers.rating} solved={answers.solved}",
    )
    if answers.rating is not None and answers.rating <= UNHAPPY_MAX:
        await flag_follow_up(session, ticket, "bot", f"满意度 {answers.rating} 分")
    elif answers.solved is False:
        await flag_follow_up(session, ticket, "bot", "客户表示问题没有解决")
    await session.commit()
    return survey, True


async def list_surveys(
    session: AsyncSession, *, answered_only: bool = True, limit: int = 50, offset: int = 0
) -> tuple[list[tuple[Survey, Ticket]], int]:
    """Return a page of surveys with their tickets, newest answer first, and the total."""
    conditions = [Survey.answered_at.isnot(None)] if answered_only else []
    total = (
        await session.execute(select(func.count()).select_from(Survey).where(*conditions))
    ).scalar_one()
    rows = await session.execute(
        select(Survey, Ticket)
        .join(Ticket, Ticket.id == Survey.ticket_id)
        .where(*conditions)
        .order_by(Survey.answered_at.desc(), Survey.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [(survey, ticket) for survey, ticket in rows.all()], int(total)


async def csat_summary(session: AsyncSession) -> dict[str, Any]:
    """CSAT overall and by category and channel, plus the survey response rate.

    Returns:
        ``{"overall": {...}, "by_category": {...}, "by_channel": {...}}``; each group has
        ``answered``, ``rated``, ``mean_rating``, ``csat`` (share rated >= 4, or ``None``),
        ``solved_rate``; ``overall`` also has ``asked`` and ``response_rate``.
    """
    satisfied = func.sum(func.cast(Survey.rating >= SATISFIED_MIN, Integer()))
    solved = func.sum(func.cast(Survey.solved.is_(True), Integer()))
    solved_answered = func.count(Survey.solved)
    measures = (
        func.count(Survey.id),
        func.count(Survey.rating),
        func.avg(Survey.rating),
        satisfied,
        solved,
        solved_answered,
    )
    answered = Survey.answered_at.isnot(None)

    async def grouped(column: Any) -> dict[str, dict[str, Any]]:
        rows = await session.execute(
            select(column, *measures)
            .join(Ticket, Ticket.id == Survey.ticket_id)
            .where(answered)
            .group_by(column)
        )
        return {str(key): _figures(*values) for key, *values in rows.all()}

    overall_row = (await session.execute(select(*measures).where(answered))).one()
    asked = (await session.execute(select(func.count(Survey.id)))).scalar_one()
    overall = _figures(*overall_row)
    overall["asked"] = int(asked)
    overall["response_rate"] = round(overall["answered"] / asked, 3) if asked else None
    return {
        "overall": overall,
        "by_category": await grouped(Ticket.category),
        "by_channel": await grouped(Survey.channel),
    }


def _figures(
    answered: int, rated: int, mean: Any, satisfied: Any, solved: Any, solved_answered: int
) -> dict[str, Any]:
    return {
        "answered": int(answered),
        "rated": int(rated),
        "mean_rating": round(float(mean), 2) if mean is not None else None,
        "csat": round(int(satisfied or 0) / rated, 3) if rated else None,
        "solved_rate": round(int(solved or 0) / solved_answered, 3) if solved_answered else None,
    }
