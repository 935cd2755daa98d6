"""Figures of the supervisor dashboard: volumes, SLA, CSAT over time, promises kept.

One query reads the few columns needed of every ticket created in the period (with its
survey), and the figures are counted in Python: weekly buckets and "promise kept" are awkward
to write portably for SQLite and PostgreSQL, and a few thousand tuples count in milliseconds.

Satisfaction is measured against expectation: a ticket's *promise* is the ``due_at`` the bot
told the customer; it was kept when the ticket was resolved by then.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

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


def _csat(ratings: Iterable[int]) -> Csat:
    values = list(ratings)
    if not values:
        return Csat(None, 0)
    return Csat(sum(1 for r in values if r >= SATISFIED_MIN) / len(values), len(values))


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


async def _overdue(session: AsyncSession, now: datetime) -> tuple[int, list[dict[str, Any]]]:
    overdue = (Ticket.status.in_(ACTIVE_STATUSES), Ticket.due_at < now)
    count = (await session.execute(select(func.count(Ticket.id)).where(*overdue))).scalar_one()
    rows = await session.execute(
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


def _weekly(rows: list[dict[str, Any]], weeks: list[date], key: str) -> dict[str, list[Csat]]:
    ratings: dict[str, dict[date, list[int]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        if row["rating"] is not None and row["answered_at"] is not None:
            group = row[key] or "—"
            ratings[group][week_of(row["answered_at"])].append(row["rating"])
    return {
        group: [_csat(by_week.get(week, [])) for week in weeks]
        for group, by_week in sorted(ratings.items())
    }


def summarise(rows: list[dict[str, Any]], start: datetime, end: datetime, now: datetime) -> Report:
    """Count the figures of ``Report`` (all but the live SLA breaches) from ticket rows."""
    report = Report(start=start, end=end, total=len(rows))
    for name, target in (
        ("category", "by_category"), ("status", "by_status"), ("channel", "by_channel"),
    ):  # fmt: skip
        setattr(report, target, Counter(row[name] for row in rows).most_common())
    states = [promise_state(row, now) for row in rows]
    report.promised = sum(1 for s in states if s is not None)
    report.promise_kept = states.count("kept")
    report.promise_broken = states.count("broken")
    report.asked = sum(1 for row in rows if row["asked_at"] is not None)
    answered = [row for row in rows if row["answered_at"] is not None]
    report.answered = len(answered)
    rated = [
        (row, state) for row, state in zip(rows, states, strict=True) if row["rating"] is not None
    ]
    report.csat = _csat(row["rating"] for row, _ in rated)
    report.csat_kept = _csat(row["rating"] for row, state in rated if state == "kept")
    report.csat_broken = _csat(row["rating"] for row, state in rated if state == "broken")
    emotions = sorted({row["emotion"] or "neutral" for row, _ in rated})
    report.csat_by_emotion = [
        (e, _csat(row["rating"] for row, _ in rated if (row["emotion"] or "neutral") == e))
        for e in emotions
    ]
    first, last = week_of(start), week_of(end - timedelta(microseconds=1))
    report.weeks = [first + timedelta(weeks=i) for i in range((last - first).days // 7 + 1)]
    report.csat_weekly = {
        "category": _weekly(rows, report.weeks, "category"),
        "channel": _weekly(rows, report.weeks, "channel"),
        "agent": _weekly(rows, report.weeks, "assignee"),
    }
    overall = _weekly([{**row, "all": "all"} for row in rows], report.weeks, "all")
    report.csat_overall_weekly = overall.get("all", [Csat(None, 0) for _ in report.weeks])
    return report


async def build_report(
    session: AsyncSession, days: int, now: datetime | None = None
) -> tuple[Report, list[dict[str, Any]]]:
    """Return the dashboard report of the last ``days`` days and the ticket rows behind it."""
    now = now or utcnow()
    start = now - timedelta(days=days)
    rows = await ticket_rows(session, start, now)
    report = summarise(rows, start, now, now)
    report.overdue_now, report.breaches = await _overdue(session, now)
    return report, rows
