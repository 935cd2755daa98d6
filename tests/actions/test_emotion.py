"""Conversation emotion state from the NLU's per-message emotion."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.emotion import ActionTrackEmotion


def tracker(output: dict[str, Any] | None, says_threat: bool = False, **slots: Any) -> Tracker:
    message: dict[str, Any] = {"text": "…", "intent": {"name": "complain_quality"}}
    if output is not None:
        message.update(emotion=output, escalation_threat=says_threat)
    return Tracker.from_dict(
        {
            "sender_id": "s",
            "slots": slots,
            "latest_message": message,
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        }
    )


async def track(t: Tracker) -> dict[str, Any]:
    events = await ActionTrackEmotion().run(CollectingDispatcher(), t, {})
    return {e["name"]: e["value"] for e in events}


async def test_upset_turns_count_and_reset() -> None:
    angry = {"name": "anger", "confidence": 0.8, "intensity": 2}
    first = await track(tracker(angry))
    assert first["upset_turns"] == 1
    second = await track(tracker(angry, upset_turns=1.0, emotion="anger", emotion_intensity=2.0))
    assert second["upset_turns"] == 2
    calm = await track(
        tracker(
            {"name": "neutral", "confidence": 0.9, "intensity": 1},
            upset_turns=2.0,
            emotion="anger",
            emotion_intensity=2.0,
        )
    )
    assert calm["upset_turns"] == 0 and calm["emotion"] == "neutral"


@pytest.mark.parametrize(
    ("peak", "peak_intensity", "now", "now_intensity", "new_peak"),
    [
        (None, 0.0, "neutral", 1, "neutral"),
        ("neutral", 1.0, "anger", 1, "anger"),
        ("anger", 2.0, "sadness", 3, "sadness"),
        ("anger", 3.0, "anxiety", 2, None),
        ("anger", 1.0, "positive", 1, None),
    ],
)
async def test_peak(
    peak: str | None, peak_intensity: float, now: str, now_intensity: int, new_peak: str | None
) -> None:
    values = await track(
        tracker(
            {"name": now, "confidence": 0.9, "intensity": now_intensity},
            peak_emotion=peak,
            peak_intensity=peak_intensity,
        )
    )
    assert values.get("peak_emotion") == new_peak


async def test_threat_is_set_once() -> None:
    angry = {"name": "anger", "confidence": 0.9, "intensity": 2}
    assert (await track(tracker(angry, says_threat=True)))["threat"] is True
    assert "threat" not in await track(tracker(angry, says_threat=True, threat=True))


async def test_button_press_changes_nothing() -> None:
    assert await track(tracker(None, upset_turns=1.0)) == {}
