"""The load report's figures."""

from __future__ import annotations

import random

from bot.load.checks import CheckResult
from bot.load.report import latency_table, percentile, render
from bot.load.runner import Conversation, Turn
from bot.load.scenarios import make_scenario


def test_percentile_by_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) == 50 and percentile(values, 0.95) == 95
    assert percentile(values, 0.99) == 99 and percentile([], 0.5) == 0


def test_report_counts_turns_errors_and_problems() -> None:
    ok = Conversation(make_scenario(random.Random(1), "a"), ticket_number="TS20261125-0001")
    ok.turns = [Turn("opening", "你好", 0.1), Turn("phone", "13812345678", 0.3)]
    failed = Conversation(make_scenario(random.Random(2), "b"), error="TimeoutError: ")
    failed.turns = [Turn("opening", "你好", 60.0, "TimeoutError: ")]
    table = {row[0]: row for row in latency_table([ok, failed])}
    assert table["opening"][1] == 1 and table["all"][1] == 2  # the failed turn is not timed
    checks = CheckResult(checked=1, duplicate_tickets=["a: 2 tickets"])
    text = render([ok, failed], 2.0, checks, "rest")
    assert "3 turns in 2.0 s → 1.5 turns/s" in text
    assert "errors: 1 conversations" in text and "1 × TimeoutError" in text
    assert "duplicate tickets 1" in text and "a: 2 tickets" in text
