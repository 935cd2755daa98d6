"""Figures of the supervisor dashboard: volumes, SLA, CSAT over time, promises kept.

Volumes, promise states and survey counts are counted by the database (GROUP BY, with the
promise state as a SQL CASE); only rated surveys are read row by row, to split CSAT by week and
group in Python, where weekly buckets are easy to write for SQLite and PostgreSQL alike.
Reading every ticket into Python instead costs more than the 200 ms a page may take.

Satisfaction is measured against expectation: a ticket's *promise* is the ``due_at`` the bot
told the customer; it was kept when the ticket was resolved by then.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import case, func, null, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bot.store.models import ACTIVE_STATUSES, Survey, Ticket, utcnow
from bot.store.surveys import SATISFIED_MIN
from bot.store.tickets import NUMBER_TIMEZONE

#: Columns of one ticket row of the report (also the CSV export's columns).
ROW_FIELDS = (
    "number", "category", "channel", "status", "priority", "emotion", "threat", "assignee",
    "created_at", "due_at", "resolved_at", "rating", "solved", "asked_at", "answered_at",
)  # fmt: skip

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


def promise_state(row: dict[str, Any], now: datetime) -> str | None:
    """``kept``, ``broken``, ``pending`` (not due yet) or ``None`` (no promise made)."""
    due = row["due_at"]
    if due is None or row["status"] == "cancelled":
        return None
    resolved = row["resolved_at"]
    if resolved is not None:
        return "kept" if resolved <= due else "broken"
    return "broken" if now > due else "pending"


async def ticket_rows(
    session: AsyncSession, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """Return the report columns (``ROW_FIELDS``) of tickets created in ``[start, end)``."""
    columns = [getattr(Ticket, name) for name in ROW_FIELDS[:11]]
    columns += [Survey.rating, Survey.solved, Survey.asked_at, Survey.answered_at]
    query = (
        select(*columns)
        .outerjoin(Survey, Survey.ticket_id == Ticket.id)
        .where(Ticket.created_at >= start, Ticket.created_at < end)
        .order_by(Ticket.created_at, Ticket.id)
    )
    result = await session.execute(query)
    return [dict(zip(ROW_FIELDS, values, strict=True)) for values in result.all()]


def promise_case(now: datetime) -> Any:
    """SQL for ``promise_state``: ``kept``, ``broken``, ``pending`` or NULL."""
    return case(
        (or_(Ticket.due_at.is_(None), Ticket.status == "cancelled"), null()),
        (Ticket.resolved_at.isnot(None),
         case((Ticket.resolved_at <= Ticket.due_at, "kept"), else_="broken")),
        (Ticket.due_at < now, "broken"),
        else_="pending",
    )  # fmt: skip


async def _volumes(
    connection: AsyncConnection, period: tuple[Any, ...], now: datetime
) -> list[Any]:
    """Ticket and survey counts per (category, status, channel, promise state), in one query."""
    # Grouped by a subquery's columns: PostgreSQL does not see two copies of an expression
    # with bound parameters (the promise CASE) as the same GROUP BY expression.
    facts = (
        select(
            Ticket.category, Ticket.status, Ticket.channel,
            promise_case(now).label("promise"),
            Survey.id.label("survey"), Survey.answered_at.label("answered"),
        )
        .outerjoin(Survey, Survey.ticket_id == Ticket.id)
        .where(*period)
        .subquery()
    )  # fmt: skip
    keys = (facts.c.category, facts.c.status, facts.c.channel, facts.c.promise)
    query = select(
        *keys, func.count().label("tickets"), func.count(facts.c.survey).label("asked"),
        func.count(facts.c.answered).label("answered"),
    ).group_by(*keys)  # fmt: skip
    return list((await connection.execute(query)).all())


def _tally(groups: list[Any], key: str) -> list[tuple[str, int]]:
    totals: Counter[str] = Counter()
    for group in groups:
        totals[getattr(group, key)] += group.tickets
    return totals.most_common()


async def rated_facts(
    connection: AsyncConnection, period: tuple[Any, ...], now: datetime
) -> list[Any]:
    """Rated surveys of the period's tickets: the groups CSAT is split by, and when."""
    query = (
        select(
            Ticket.category, Ticket.channel, Ticket.assignee, Ticket.emotion, Survey.rating,
            Survey.answered_at, promise_case(now).label("promise"),
        )
        .join(Survey, Survey.ticket_id == Ticket.id)
        .where(*period, Survey.rating.isnot(None), Survey.answered_at.isnot(None))
    )  # fmt: skip
    return list((await connection.execute(query)).all())


async def _overdue(connection: AsyncConnection, now: datetime) -> tuple[int, list[dict[str, Any]]]:
    overdue = (Ticket.status.in_(ACTIVE_STATUSES), Ticket.due_at < now)
    count = (await connection.execute(select(func.count(Ticket.id)).where(*overdue))).scalar_one()
    rows = await connection.execute(
        select(Ticket.number, Ticket.category, Ticket.status, Ticket.assignee, Ticket.due_at)
        .where(*overdue)
        .order_by(Ticket.due_at)
        .limit(BREACH_LIST)
    )
    listed = [
        {**row._asdict(), "hours_over": (now - row.due_at).total_seconds() / 3600}
        for row in rows.all()
    ]
    return int(count), listed


#: Seconds east of UTC of the China time that weeks are counted in (see ``week_of``).
_CHINA_OFFSET_S = 8 * 3600
#: ``date(1970, 1, 1).toordinal()``: turns days since the epoch into date ordinals.
_EPOCH_ORDINAL = 719163


def _monday_ordinal(moment: datetime) -> int:
    """``week_of(moment).toordinal()``, in integer arithmetic (it runs once per rating)."""
    ordinal = int((moment.timestamp() + _CHINA_OFFSET_S) // 86400) + _EPOCH_ORDINAL
    return ordinal - (ordinal - 1) % 7  # ordinal 1 (0001-01-01) was a Monday


class _Tally:
    """Ratings and satisfied ratings of one group, counted as they come."""

    __slots__ = ("rated", "satisfied")

    def __init__(self) -> None:
        self.rated = 0
        self.satisfied = 0

    def add(self, satisfied: bool) -> None:
        self.rated += 1
        self.satisfied += satisfied

    def csat(self) -> Csat:
        return Csat(self.satisfied / self.rated if self.rated else None, self.rated)


def summarise_ratings(report: Report, rows: list[Any]) -> None:
    """Fill the CSAT figures of ``report`` from ``rated_facts`` rows, in one pass."""
    first, last = week_of(report.start), week_of(report.end - timedelta(microseconds=1))
    report.weeks = [first + timedelta(weeks=i) for i in range((last - first).days // 7 + 1)]
    column = {week.toordinal(): i for i, week in enumerate(report.weeks)}
    overall, kept, broken = _Tally(), _Tally(), _Tally()
    by_emotion: dict[str, _Tally] = defaultdict(_Tally)
    dimensions = ("category", "channel", "agent", "all")
    weekly: dict[tuple[str, str, int], _Tally] = defaultdict(_Tally)
    for row in rows:
        good = row.rating >= SATISFIED_MIN
        overall.add(good)
        if row.promise == "kept":
            kept.add(good)
        elif row.promise == "broken":
            broken.add(good)
        by_emotion[row.emotion or "neutral"].add(good)
        week = column.get(_monday_ordinal(row.answered_at))
        if week is None:
            continue  # answered after the period's last week (tickets near its end)
        for dimension, group in zip(
            dimensions, (row.category, row.channel, row.assignee, "all"), strict=True
        ):
            weekly[(dimension, group or "—", week)].add(good)
    report.csat, report.csat_kept, report.csat_broken = overall.csat(), kept.csat(), broken.csat()
    report.csat_by_emotion = [(e, by_emotion[e].csat()) for e in sorted(by_emotion)]
    empty = Csat(None, 0)
    series: dict[str, dict[str, list[Csat]]] = {d: {} for d in dimensions}
    for (dimension, group, week), tally in weekly.items():
        values = series[dimension].setdefault(group, [empty] * len(report.weeks))
        values[week] = tally.csat()
    report.csat_weekly = {
        name: dict(sorted(series[dimension].items()))
        for name, dimension in (
            ("category", "category"),
            ("channel", "channel"),
            ("agent", "agent"),
        )
    }
    report.csat_overall_weekly = series["all"].get("all", [empty] * len(report.weeks))


async def build_report(session: AsyncSession, days: int, now: datetime | None = None) -> Report:
    """Return the dashboard report of the tickets created in the last ``days`` days.

    Volumes and promise counts are counted by the database (GROUP BY); only rated surveys
    are read row by row (CSAT per week and group).
    """
    now = now or utcnow()
    start = now - timedelta(days=days)
    report = Report(start=start, end=now)
    period = (Ticket.created_at >= start, Ticket.created_at < now)
    # Core statements on the session's connection: no ORM row processing for plain tuples.
    connection = await session.connection()
    groups = await _volumes(connection, period, now)
    report.by_category = _tally(groups, "category")
    report.by_status = _tally(groups, "status")
    report.by_channel = _tally(groups, "channel")
    report.total = sum(group.tickets for group in groups)
    promises = dict(_tally(groups, "promise"))
    report.promised = sum(count for state, count in promises.items() if state is not None)
    report.promise_kept, report.promise_broken = promises.get("kept", 0), promises.get("broken", 0)
    report.asked = sum(group.asked for group in groups)
    report.answered = sum(group.answered for group in groups)
    summarise_ratings(report, await rated_facts(connection, period, now))
    report.overdue_now, report.breaches = await _overdue(connection, now)
    return report
