"""Reading uncertain customer messages from Rasa's SQL tracker store (SQLite and PostgreSQL).

The ``events`` table is created here column for column as Rasa 3.6's ``SQLTrackerStore``
creates it, independently of ``bot.store.transcripts.events``, so a mismatch shows up.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timezone
from typing import Any

import pytest
from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, create_engine
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import NullPool

from bot.store.db import make_engine, prepare_sqlite_folder, sync_url
from bot.store.transcripts import CustomerMessage, uncertain_messages

T0 = 1_732_600_000.0  # 2024-11-26 05:46:40 UTC

_rasa_metadata = MetaData()
RASA_EVENTS = Table(
    "events",
    _rasa_metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)


def user_event(
    sender_id: str,
    text: str,
    ranking: Sequence[tuple[str, float]],
    timestamp: float,
    *,
    fallback: float | None = None,
    channel: str = "rest",
    message_id: str | None = None,
) -> dict[str, Any]:
    """Return an ``events`` row of a user message as Rasa 3.6 stores it.

    Args:
        sender_id: Conversation id.
        text: What the customer typed.
        ranking: The classifier's ``(intent, confidence)`` ranking, best first.
        timestamp: Unix time.
        fallback: When set, the FallbackClassifier caught the message with this threshold.
        channel: Input channel.
        message_id: Rasa's message id (default derived from text and time).
    """
    message_id = message_id or f"m{int(timestamp * 1000)}"
    intent_ranking = [{"name": name, "confidence": conf} for name, conf in ranking]
    if fallback is not None:
        intent_ranking.insert(0, {"name": "nlu_fallback", "confidence": fallback})
    data = {
        "event": "user",
        "timestamp": timestamp,
        "metadata": {"model_id": "0f3b6c", "assistant_id": "complaint-intake-bot"},
        "text": text,
        "parse_data": {
            "intent": intent_ranking[0],
            "entities": [],
            "text": text,
            "message_id": message_id,
            "metadata": {},
            "text_tokens": [[0, len(text)]],
            "intent_ranking": intent_ranking,
            "emotion": {"name": "anger", "confidence": 0.8, "intensity": 2},
        },
        "input_channel": channel,
        "message_id": message_id,
    }
    return {
        "sender_id": sender_id,
        "type_name": "user",
        "timestamp": timestamp,
        "intent_name": intent_ranking[0]["name"],
        "action_name": None,
        "data": json.dumps(data, ensure_ascii=False),
    }


def other_event(sender_id: str, type_name: str, timestamp: float, **data: Any) -> dict[str, Any]:
    """Return a non-user ``events`` row (action, bot utterance, slot)."""
    payload = {"event": type_name, "timestamp": timestamp, **data}
    return {
        "sender_id": sender_id,
        "type_name": type_name,
        "timestamp": timestamp,
        "intent_name": None,
        "action_name": data.get("name"),
        "data": json.dumps(payload, ensure_ascii=False),
    }


def create_tracker(url: str, rows: Sequence[dict[str, Any]]) -> None:
    """Create Rasa's ``events`` table at ``url`` (if missing) and insert ``rows`` in order."""
    prepare_sqlite_folder(url)
    engine = create_engine(sync_url(url), future=True, poolclass=NullPool)
    try:
        _rasa_metadata.create_all(engine)
        with engine.begin() as connection:
            for row in rows:
                connection.execute(RASA_EVENTS.insert().values(**row))
    finally:
        engine.dispose()


def conversation() -> list[dict[str, Any]]:
    """Two customers' conversations with sure, unsure and fallback messages."""
    return [
        user_event("alice", "你好", [("greet", 0.99)], T0),
        other_event("alice", "action", T0 + 0.1, name="action_listen"),
        other_event("alice", "bot", T0 + 0.2, text="您好，请问有什么可以帮您？"),
        user_event("alice", "扣了我两次钱", [("complain_billing", 0.55), ("inform", 0.3)], T0 + 10),
        user_event(
            "bob",
            "这个到底怎么回事啊",
            [("complain_other", 0.31), ("complain_service", 0.29)],
            T0 + 20,
            fallback=0.4,
            channel="wechat",
        ),
        other_event("bob", "slot", T0 + 21, name="complaint_category", value=None),
        user_event("alice", "/affirm", [("affirm", 0.2)], T0 + 30),
        user_event(
            "alice",
            "电话13812345678，快点处理",
            [("inform", 0.38), ("complain_service", 0.33)],
            T0 + 40,
        ),
        user_event("bob", "谢谢", [("thank", 0.97)], T0 + 50),
    ]


@pytest.fixture
async def tracker(database_url: str) -> AsyncIterator[AsyncEngine]:
    """Async engine of a tracker store holding ``conversation()``."""
    create_tracker(database_url, conversation())
    engine = make_engine(database_url)
    try:
        yield engine
    finally:
        await engine.dispose()


async def test_selects_uncertain_and_fallback_newest_first(tracker: AsyncEngine) -> None:
    messages = await uncertain_messages(tracker, threshold=0.4)
    assert [m.text for m in messages] == ["电话13812345678，快点处理", "这个到底怎么回事啊"]
    newest, caught = messages
    assert isinstance(newest, CustomerMessage)
    assert (newest.intent, newest.confidence) == ("inform", 0.38)
    assert newest.sender_id == "alice" and newest.channel == "rest"
    assert newest.timestamp == datetime.fromtimestamp(T0 + 40, tz=timezone.utc)
    assert newest.message_id == f"m{int((T0 + 40) * 1000)}"
    # nlu_fallback is replaced by the model's own best guess, ranking[1].
    assert (caught.intent, caught.confidence, caught.channel) == ("complain_other", 0.31, "wechat")


async def test_threshold_decides(tracker: AsyncEngine) -> None:
    texts = [m.text for m in await uncertain_messages(tracker, threshold=0.6)]
    assert texts == ["电话13812345678，快点处理", "这个到底怎么回事啊", "扣了我两次钱"]
    # A fallback is uncertain whatever the threshold; button payloads never are.
    assert [m.text for m in await uncertain_messages(tracker, threshold=0.0)] == [
        "这个到底怎么回事啊"
    ]


async def test_since_and_limit(tracker: AsyncEngine) -> None:
    since = datetime.fromtimestamp(T0 + 15, tz=timezone.utc)
    texts = [m.text for m in await uncertain_messages(tracker, 0.6, since=since)]
    assert texts == ["电话13812345678，快点处理", "这个到底怎么回事啊"]
    naive = since.replace(tzinfo=None)
    assert len(await uncertain_messages(tracker, 0.6, since=naive)) == 2
    assert [m.text for m in await uncertain_messages(tracker, 0.6, limit=1)] == [
        "电话13812345678，快点处理"
    ]
    with pytest.raises(ValueError):
        await uncertain_messages(tracker, 0.6, limit=0)


async def test_scans_past_many_certain_messages(database_url: str) -> None:
    # More rows than one read batch, the uncertain ones at the old end.
    rows = [user_event("old", "东西坏了", [("complain_quality", 0.2)], T0 + i) for i in range(3)]
    rows += [user_event("c", f"你好{i}", [("greet", 0.99)], T0 + 100 + i) for i in range(1200)]
    create_tracker(database_url, rows)
    engine = make_engine(database_url)
    try:
        messages = await uncertain_messages(engine, 0.4, limit=10)
    finally:
        await engine.dispose()
    assert [m.timestamp.timestamp() for m in messages] == [T0 + 2, T0 + 1, T0]


async def test_same_timestamp_is_ordered_by_id(database_url: str) -> None:
    rows = [user_event("s", f"不对{i}", [("complain_other", 0.1)], T0) for i in range(3)]
    create_tracker(database_url, rows)
    engine = make_engine(database_url)
    try:
        messages = await uncertain_messages(engine, 0.4)
    finally:
        await engine.dispose()
    assert [m.text for m in messages] == ["不对2", "不对1", "不对0"]
    assert messages[0].event_id > messages[1].event_id


async def test_missing_events_table_gives_nothing(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        assert await uncertain_messages(engine, 0.4) == []
    finally:
        await engine.dispose()


async def test_broken_rows_are_skipped(database_url: str) -> None:
    broken = user_event("x", "坏数据", [("complain_other", 0.1)], T0)
    broken["data"] = "{not json"
    no_parse = other_event("x", "user", T0 + 1, text="注入的消息")
    create_tracker(
        database_url, [broken, no_parse, user_event("x", "好的", [("affirm", 0.1)], T0 + 2)]
    )
    engine = make_engine(database_url)
    try:
        assert [m.text for m in await uncertain_messages(engine, 0.4)] == ["好的"]
    finally:
        await engine.dispose()
