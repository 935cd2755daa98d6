"""Figures of the supervisor dashboard: volumes, SLA, CSAT over time, promises kept.

Everything is counted by the database (GROUP BY, with the promise state as a SQL CASE and the
week of a rating from ``sqlfuncs.china_monday``): Python only sees counted groups, never a row
per ticket or per rating, which is what kept the page over its 200 ms budget with thousands of
tickets.

Satisfaction is measured against expectation: a ticket's *promise* is the ``due_at`` the bot
told the customer; it was kept when the ticket was resolved by then.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import (
    String,
    bindparam,
    case,
    func,
    literal_column,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bot.store.models import ACTIVE_STATUSES, Survey, Ticket, utcnow
from bot.store.sqlfuncs import china_monday
from bot.store.surveys import SATISFIED_MIN
from bot.store.tickets import NUMBER_TIMEZONE

#: Most overdue tickets listed on the dashboard.
BREACH_LIST = 15


@dataclass(frozen=True)
class Csat:
    """CSAT of a group: share of ratings >= 4 (``None`` without ratings) and how many."""

    csat: float | None
    rated: int


@dataclass
class Report:
    """Everything the dashboard shows for one period."""

    start: datetime
    end: datetime
    total: int = 0
    by_category: list[tuple[str, int]] = field(default_factory=list)
    by_status: list[tuple[str, int]] = field(default_factory=list)
    by_channel: list[tuple[str, int]] = field(default_factory=list)
    overdue_now: int = 0
    breaches: list[dict[str, Any]] = field(default_factory=list)
    promised: int = 0
    promise_kept: int = 0
    promise_broken: int = 0
    asked: int = 0
    answered: int = 0
    csat: Csat = Csat(None, 0)
    csat_kept: Csat = Csat(None, 0)
    csat_broken: Csat = Csat(None, 0)
    csat_by_emotion: list[tuple[str, Csat]] = field(default_factory=list)
    weeks: list[date] = field(default_factory=list)
    #: dimension (category/channel/agent) -> group -> CSAT per week (aligned with ``weeks``).
    csat_weekly: dict[str, dict[str, list[Csat]]] = field(default_factory=dict)
    csat_overall_weekly: list[Csat] = field(default_factory=list)

    @property
    def promise_kept_rate(self) -> float | None:
        """Kept promises / promises that came due (resolved, or past due and unresolved)."""
        due = self.promise_kept + self.promise_broken
        return self.promise_kept / due if due else None

    @property
    def response_rate(self) -> float | None:
        """Answered surveys / surveys asked."""
        return self.answered / self.asked if self.asked else None


def week_of(moment: datetime) -> date:
    """The Monday (China time) of the week ``moment`` falls in."""
    local = moment.astimezone(NUMBER_TIMEZONE).date()
    return local - timedelta(days=local.weekday())


def promise_case(now: Any) -> Any:
    """A ticket's promise as SQL: ``kept`` (resolved by ``due_at``), ``broken`` (resolved
    late, or unresolved past ``due_at`` at ``now``), ``pending`` (not due yet) or NULL (no
    promise: no ``due_at``, or cancelled). ``now`` is a time or a parameter standing for one."""
    return case(
        (or_(Ticket.due_at.is_(None), Ticket.status == "cancelled"), null()),
        (Ticket.resolved_at.isnot(None),
         case((Ticket.resolved_at <= Ticket.due_at, "kept"), else_="broken")),
        (Ticket.due_at < now, "broken"),
        else_="pending",
    )  # fmt: skip


# The report's statements are built once, with these parameters, and run with their values
# (``_params``): building a statement and its cache key cost as much as some of the queries.
#: Tickets created in the period ``[start, end)``.
_PERIOD = (Ticket.created_at >= bindparam("start"), Ticket.created_at < bindparam("end"))
#: The time promises are judged at.
_NOW = bindparam("now")


def _params(start: datetime, end: datetime, now: datetime) -> dict[str, datetime]:
    return {"start": start, "end": end, "now": now}


@cache
def _volumes_query() -> Any:
    """Ticket counts per (category, status, channel, promise state)."""
    # Grouped by a subquery's columns: PostgreSQL does not see two copies of an expression
    # with bound parameters (the promise CASE) as the same GROUP BY expression.
    facts = select(
        Ticket.category, Ticket.status, Ticket.channel, promise_case(_NOW).label("promise")
    ).where(*_PERIOD).subquery()  # fmt: skip
    keys = (facts.c.category, facts.c.status, facts.c.channel, facts.c.promise)
    return select(*keys, func.count().label("tickets")).group_by(*keys)


@cache
def _surveys_query() -> Any:
    """Surveys asked and answered about the period's tickets."""
    # Counted apart from the volumes: joining every ticket to its survey there cost more
    # than this second, small query.
    return (
        select(func.count(Survey.id), func.count(Survey.answered_at))
        .join(Ticket, Ticket.id == Survey.ticket_id)
        .where(*_PERIOD)
    )


def _tally(groups: list[Any], key: str) -> list[tuple[str, int]]:
    totals: Counter[str] = Counter()
    for group in groups:
        totals[getattr(group, key)] += group.tickets
    return totals.most_common()


#: Group name of ratings whose ticket has no value for a dimension (no assignee, say).
NO_GROUP = "—"


def _constant(text: str) -> Any:
    # SQL text, not a bound parameter: PostgreSQL must know its type inside a UNION.
    return literal_column(f"'{text}'", String)


def _named(column: Any, missing: str) -> Any:
    """``column``, with NULL and empty text counted as ``missing``."""
    return func.coalesce(func.nullif(column, ""), missing)


async def rating_groups(
    connection: AsyncConnection, start: datetime, end: datetime, now: datetime
) -> list[Any]:
    """Rated surveys of tickets created in ``[start, end)``, counted by the database per group.

    Rows of ``(dimension, name, week, rated, satisfied)``: per week for the dimensions
    ``category``, ``channel``, ``agent`` and ``all``; for the whole period for ``emotion``
    (peak emotion, none counted as ``neutral``) and ``promise`` (``promise_case`` at ``now``).
    """
    result = await connection.execute(_ratings_query(), _params(start, end, now))
    return list(result.all())


@cache
def _ratings_query() -> Any:
    rated = (
        select(
            _named(Ticket.category, NO_GROUP).label("category"),
            _named(Ticket.channel, NO_GROUP).label("channel"),
            _named(Ticket.assignee, NO_GROUP).label("agent"),
            _named(Ticket.emotion, "neutral").label("emotion"),
            promise_case(_NOW).label("promise"),
            china_monday(Survey.answered_at).label("week"),
            case((Survey.rating >= SATISFIED_MIN, 1), else_=0).label("good"),
            _constant("all").label("everyone"),
        )
        .join(Survey, Survey.ticket_id == Ticket.id)
        .where(*_PERIOD, Survey.rating.isnot(None), Survey.answered_at.isnot(None))
        .cte("rated")
    )

    def counted(dimension: str, name: Any, by_week: bool) -> Any:
        week = rated.c.week if by_week else null()
        return select(
            _constant(dimension).label("dimension"), name.label("name"), week.label("week"),
            func.count().label("rated"), func.sum(rated.c.good).label("satisfied"),
        ).group_by(name, *([week] if by_week else []))  # fmt: skip

    c = rated.c
    return union_all(
        counted("category", c.category, by_week=True),
        counted("channel", c.channel, by_week=True),
        counted("agent", c.agent, by_week=True),
        counted("all", c.everyone, by_week=True),
        counted("emotion", c.emotion, by_week=False),
        counted("promise", c.promise, by_week=False),
    )


@cache
def _overdue_queries() -> tuple[Any, Any]:
    """How many tickets are still open past their due time, and the ``BREACH_LIST`` most late."""
    overdue = (Ticket.status.in_(ACTIVE_STATUSES), Ticket.due_at < _NOW)
    count = select(func.count(Ticket.id)).where(*overdue)
    listed = (
        select(Ticket.number, Ticket.category, Ticket.status, Ticket.assignee, Ticket.due_at)
        .where(*overdue)
        .order_by(Ticket.due_at)
        .limit(BREACH_LIST)
    )
    return count, listed


async def _overdue(connection: AsyncConnection, now: datetime) -> tuple[int, list[dict[str, Any]]]:
    count_query, list_query = _overdue_queries()
    count = (await connection.execute(count_query, {"now": now})).scalar_one()
    rows = await connection.execute(list_query, {"now": now})
    listed = [
        {**row._asdict(), "hours_over": (now - row.due_at).total_seconds() / 3600}
        for row in rows.all()
    ]
    return int(count), listed


def summarise_ratings(report: Report, groups: list[Any]) -> None:
    """Fill the CSAT figures of ``report`` from ``rating_groups`` rows."""
    first, last = week_of(report.start), week_of(report.end - timedelta(microseconds=1))
    report.weeks = [first + timedelta(weeks=i) for i in range((last - first).days // 7 + 1)]
    column = {week: i for i, week in enumerate(report.weeks)}
    empty = Csat(None, 0)
    series: dict[str, dict[str, list[Csat]]] = {d: {} for d in ("category", "channel", "agent")}
    series["all"] = {}
    rated = satisfied = 0
    promises: dict[str | None, Csat] = {}
    emotions: list[tuple[str, Csat]] = []
    for group in groups:
        csat = Csat(group.satisfied / group.rated, group.rated)
        if group.dimension == "promise":
            # Every rating has one promise state (or none): these groups add up to all.
            rated, satisfied = rated + group.rated, satisfied + group.satisfied
            promises[group.name] = csat
        elif group.dimension == "emotion":
            emotions.append((group.name, csat))
        elif group.week in column:  # not answered after the period's last week
            values = series[group.dimension].setdefault(group.name, [empty] * len(report.weeks))
            values[column[group.week]] = csat
    report.csat = Csat(satisfied / rated if rated else None, rated)
    report.csat_kept = promises.get("kept", empty)
    report.csat_broken = promises.get("broken", empty)
    report.csat_by_emotion = sorted(emotions, key=lambda item: item[0])
    overall_weekly = series.pop("all")
    report.csat_weekly = {name: dict(sorted(groups.items())) for name, groups in series.items()}
    report.csat_overall_weekly = overall_weekly.get("all", [empty] * len(report.weeks))


async def build_report(session: AsyncSession, days: int, now: datetime | None = None) -> Report:
    """Return the dashboard report of the tickets created in the last ``days`` days.

    Five small queries, the counting done by the database; the covering index
    ``ix_tickets_report`` serves the period's tickets without reading the table (migration 0005).
    """
    now = now or utcnow()
    start = now - timedelta(days=days)
    report = Report(start=start, end=now)
    params = _params(start, now, now)
    # Core statements on the session's connection: no ORM row processing for plain tuples.
    connection = await session.connection()
    groups = list((await connection.execute(_volumes_query(), params)).all())
    report.by_category = _tally(groups, "category")
    report.by_status = _tally(groups, "status")
    report.by_channel = _tally(groups, "channel")
    report.total = sum(group.tickets for group in groups)
    promises = dict(_tally(groups, "promise"))
    report.promised = sum(count for state, count in promises.items() if state is not None)
    report.promise_kept, report.promise_broken = promises.get("kept", 0), promises.get("broken", 0)
    asked, answered = (await connection.execute(_surveys_query(), params)).one()
    report.asked, report.answered = int(asked), int(answered)
    summarise_ratings(report, await rating_groups(connection, start, now, now))
    report.overdue_now, report.breaches = await _overdue(connection, now)
    return report
