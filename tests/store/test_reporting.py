"""Dashboard figures: weeks in China time, CSAT split by promise, emotion, week and group.

The figures are counted by the database, so they are checked on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from itertools import count

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import Survey, Ticket
from bot.store.reporting import build_report, week_of
from bot.store.sqlfuncs import china_monday

START = datetime(2026, 11, 1, tzinfo=timezone.utc)
_numbers = count(1)


async def add_ticket(
    session: AsyncSession,
    created: datetime,
    *,
    due: datetime | None = None,
    resolved: datetime | None = None,
    rating: int | None = None,
    answered: datetime | None = None,
    solved: bool | None = None,
    **fields: object,
) -> Ticket:
    """A ticket created at ``created``; with a survey when ``answered`` or ``rating`` is given."""
    number = next(_numbers)
    status = "resolved" if resolved else "open"
    values = {"category": "complain_refund", "channel": "wechat", "assignee": "wang",
              "emotion": "anger", "status": status, **fields}  # fmt: skip
    ticket = Ticket(
        number=f"TS20261101-{number:04d}", sender_id=f"u{number}", description="…",
        priority=3, created_at=created, updated_at=created, due_at=due, resolved_at=resolved,
        **values,
    )  # fmt: skip
    session.add(ticket)
    await session.flush()
    if answered is not None or rating is not None:
        session.add(
            Survey(ticket_id=ticket.id, sender_id=ticket.sender_id, channel=ticket.channel,
                   rating=rating, solved=solved, asked_at=resolved or created,
                   answered_at=answered)
        )  # fmt: skip
    await session.commit()
    return ticket


async def test_weeks_start_on_monday_in_china_time(session: AsyncSession) -> None:
    moments = [START + timedelta(hours=hours, minutes=7) for hours in range(0, 24 * 21, 5)]
    # Sunday 16:30 UTC is already Monday in China: the next week.
    sunday = datetime(2026, 11, 22, 16, 30, tzinfo=timezone.utc)
    assert week_of(sunday).isoformat() == "2026-11-23"
    moments += [sunday, sunday - timedelta(minutes=31), sunday - timedelta(minutes=30)]
    for moment in moments:
        await add_ticket(session, START, rating=3, answered=moment)
    rows = await session.execute(
        select(Survey.answered_at, china_monday(Survey.answered_at)).order_by(Survey.id)
    )
    weeks = [(answered, monday) for answered, monday in rows.all()]
    assert len(weeks) == len(moments)
    assert all(monday == week_of(answered) for answered, monday in weeks)


async def test_csat_by_promise_emotion_week_and_group(session: AsyncSession) -> None:
    week1, week2 = START + timedelta(days=3), START + timedelta(days=10)
    due = START + timedelta(days=5)
    await add_ticket(session, week1, due=due, resolved=week1, rating=5, answered=week1)
    await add_ticket(session, week1, due=due, resolved=week1, rating=4, answered=week1,
                     channel="socketio", emotion="neutral")  # fmt: skip
    await add_ticket(session, week1, due=due, resolved=week2, rating=1, answered=week2,
                     assignee="li")  # fmt: skip
    await add_ticket(session, week2, resolved=week2, rating=2, answered=week2,
                     category="complain_delivery", assignee=None, emotion=None)  # fmt: skip
    # Not counted: a skipped survey, and a ticket created before the period.
    await add_ticket(session, week2, due=due, resolved=week2, answered=week2)
    await add_ticket(session, START - timedelta(days=1), resolved=week1, rating=1, answered=week1)
    report = await build_report(session, 14, now=START + timedelta(days=14))
    assert (report.total, report.asked, report.answered) == (5, 5, 5)
    assert (report.csat.csat, report.csat.rated) == (0.5, 4)
    assert (report.csat_kept.csat, report.csat_broken.csat) == (1.0, 0.0)
    assert [(e, c.csat) for e, c in report.csat_by_emotion] == [("anger", 0.5), ("neutral", 0.5)]
    assert [w.isoformat() for w in report.weeks] == ["2026-10-26", "2026-11-02", "2026-11-09"]
    assert [c.rated for c in report.csat_overall_weekly] == [0, 2, 2]
    wang = report.csat_weekly["agent"]["wang"]
    assert [(c.csat, c.rated) for c in wang] == [(None, 0), (1.0, 2), (None, 0)]
    assert [c.rated for c in report.csat_weekly["agent"]["—"]] == [0, 0, 1]
    assert sorted(report.csat_weekly["category"]) == ["complain_delivery", "complain_refund"]
    assert sorted(report.csat_weekly["channel"]) == ["socketio", "wechat"]
    assert (report.promise_kept, report.promise_broken) == (2, 2)
