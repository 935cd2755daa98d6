"""The simulated customers' pauses (``bot.load.runner.Pace``)."""

from __future__ import annotations

import asyncio
import random

import pytest

from bot.load.runner import Pace


@pytest.fixture
def slept(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record every ``asyncio.sleep`` instead of waiting (the durations are what is tested)."""
    durations: list[float] = []

    async def record(seconds: float) -> None:
        durations.append(seconds)

    monkeypatch.setattr(asyncio, "sleep", record)
    return durations


def test_first_message_starts_within_one_think_time(slept: list[float]) -> None:
    pace = Pace(random.Random(1), think_s=2.0)
    for _ in range(200):
        asyncio.run(pace.pause(first=True))
    assert len(slept) == 200
    assert all(0.0 <= s <= 2.0 for s in slept)
    assert min(slept) < 0.2 and max(slept) > 1.8  # spread over the whole window


def test_later_messages_wait_half_to_one_and_a_half_think_times(slept: list[float]) -> None:
    pace = Pace(random.Random(2), think_s=3.0)
    for _ in range(500):
        asyncio.run(pace.pause(first=False))
    assert all(1.5 <= s <= 4.5 for s in slept)
    assert 2.8 < sum(slept) / len(slept) < 3.2  # the mean is the think time


def test_no_think_time_never_sleeps(slept: list[float]) -> None:
    pace = Pace(random.Random(3), think_s=0.0)
    asyncio.run(pace.pause(first=True))
    asyncio.run(pace.pause(first=False))
    assert slept == []


def test_same_seed_same_pauses(slept: list[float]) -> None:
    for _ in range(2):
        pace = Pace(random.Random(7), think_s=1.0)
        for first in (True, False, False):
            asyncio.run(pace.pause(first))
    assert slept[:3] == slept[3:]
