"""Transcripts read from the tracker store: speakers, NLU marks, staff replies, paging."""

from __future__ import annotations

import json
from pathlib import Path

from bot.store.conversation import read_transcript
from bot.store.db import make_engine
from bot.store.transcripts import events, tracker_metadata


def _row(sender: str, kind: str, data: dict) -> dict:
    return {"sender_id": sender, "type_name": kind, "timestamp": data["timestamp"],
            "data": json.dumps(data)}  # fmt: skip


async def test_transcript(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'tracker.db'}")
    try:
        assert await read_transcript(engine, "a") == []  # Rasa has not created its table yet
        fallback = {
            "intent": {"name": "nlu_fallback", "confidence": 0.4},
            "intent_ranking": [
                {"name": "nlu_fallback", "confidence": 0.4},
                {"name": "complain_other", "confidence": 0.25},
            ],
            "emotion": {"name": "anger", "intensity": 3},
            "escalation_threat": True,
        }
        rows = [
            _row("a", "user", {"timestamp": 1.0, "text": "我要去12315", "parse_data": fallback}),
            _row("a", "bot", {"timestamp": 2.0, "text": "要转人工吗？",
                              "data": {"buttons": [{"title": "转人工", "payload": "/x"}]}}),
            _row("a", "user", {"timestamp": 3.0, "text": "/request_human",
                               "parse_data": {"intent": {"name": "request_human"}}}),
            _row("a", "bot", {"timestamp": 4.0, "text": "您好",
                              "data": {"custom": {"staff_reply": {"agent": "小王"}}}}),
            _row("b", "user", {"timestamp": 5.0, "text": "别人的", "parse_data": {}}),
            _row("a", "action", {"timestamp": 6.0, "name": "action_listen"}),
        ]  # fmt: skip
        async with engine.begin() as connection:
            await connection.run_sync(tracker_metadata.create_all)
            await connection.execute(events.insert(), rows)
        entries = await read_transcript(engine, "a")
        assert [(e.speaker, e.text) for e in entries] == [
            ("customer", "我要去12315"),
            ("bot", "要转人工吗？ ［转人工］"),
            ("customer", "/request_human"),
            ("staff", "您好"),
        ]
        first = entries[0]
        assert (first.intent, first.fallback, first.emotion, first.intensity, first.threat) == (
            "complain_other", True, "anger", 3, True,
        )  # fmt: skip
        assert entries[2].clicked and entries[3].agent == "小王"
        newer = await read_transcript(engine, "a", after_id=entries[1].event_id)
        assert [e.text for e in newer] == ["/request_human", "您好"]
        assert [e.text for e in await read_transcript(engine, "a", limit=1)] == ["您好"]
    finally:
        await engine.dispose()
