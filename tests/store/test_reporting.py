"""Dashboard figures: weeks in China time, CSAT split by promise, emotion, week and group."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

from bot.store.reporting import Report, _monday_ordinal, summarise_ratings, week_of

START = datetime(2026, 11, 1, tzinfo=timezone.utc)


def test_weeks_start_on_monday_in_china_time() -> None:
    for hours in range(0, 24 * 21, 5):
        moment = START + timedelta(hours=hours, minutes=7)
        assert _monday_ordinal(moment) == week_of(moment).toordinal()
    # Sunday 16:30 UTC is already Monday in China: the next week.
    sunday = datetime(2026, 11, 22, 16, 30, tzinfo=timezone.utc)
    assert week_of(sunday).isoformat() == "2026-11-23"


def _rating(rating: int, answered: datetime, promise: str | None, **groups: str) -> object:
    values = {"category": "complain_refund", "channel": "wechat", "assignee": "wang",
              "emotion": "anger", **groups}  # fmt: skip
    return SimpleNamespace(rating=rating, answered_at=answered, promise=promise, **values)


def test_summarise_ratings() -> None:
    report = Report(start=START, end=START + timedelta(days=14))
    week1, week2 = START + timedelta(days=3), START + timedelta(days=10)
    rows = [
        _rating(5, week1, "kept"),
        _rating(4, week1, "kept", channel="socketio", emotion="neutral"),
        _rating(1, week2, "broken", assignee="li"),
        _rating(2, week2, None, category="complain_delivery"),
    ]
    summarise_ratings(report, rows)  # type: ignore[arg-type]
    assert (report.csat.csat, report.csat.rated) == (0.5, 4)
    assert (report.csat_kept.csat, report.csat_broken.csat) == (1.0, 0.0)
    assert [(e, c.csat) for e, c in report.csat_by_emotion] == [("anger", 1 / 3), ("neutral", 1.0)]
    assert [w.isoformat() for w in report.weeks] == ["2026-10-26", "2026-11-02", "2026-11-09"]
    assert [c.rated for c in report.csat_overall_weekly] == [0, 2, 2]
    wang = report.csat_weekly["agent"]["wang"]
    assert [(c.csat, c.rated) for c in wang] == [(None, 0), (1.0, 2), (0.0, 1)]
    assert sorted(report.csat_weekly["category"]) == ["complain_delivery", "complain_refund"]
