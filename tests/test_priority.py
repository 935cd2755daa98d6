"""Ticket priority rules."""

from __future__ import annotations

import pytest

from bot.priority import ticket_priority


@pytest.mark.parametrize(
    ("category", "emotion", "intensity", "threat", "expected"),
    [
        ("complain_quality", "anger", 1.0, True, 1),
        ("complain_quality", "anger", 3.0, False, 2),
        ("complain_refund", "anger", 3.0, False, 1),
        ("complain_quality", "anxiety", 2.0, False, 3),
        ("complain_billing", "sadness", 2.0, False, 2),
        ("complain_quality", "anger", 1.0, False, 4),
        ("complain_billing", "anger", 1.0, False, 3),
        ("complain_other", "neutral", 1.0, False, 4),
        ("complain_refund", "positive", 1.0, False, 3),
        (None, None, 0.0, False, 4),
    ],
)
def test_priority(
    category: str | None, emotion: str | None, intensity: float, threat: bool, expected: int
) -> None:
    assert ticket_priority(category, emotion, intensity, threat) == expected


def test_more_emotion_is_never_less_urgent() -> None:
    for category in ("complain_quality", "complain_refund"):
        levels = [ticket_priority(category, "anger", i, False) for i in (1.0, 2.0, 3.0)]
        assert levels == sorted(levels, reverse=True)
