"""Trainer's inbox repository: idempotent sync, label validation, export marking."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import sessionmaker

from bot.store.models import EMOTIONS, NluLabel
from bot.store.nlu_inbox import (
    LabelNotFoundError,
    label,
    list_inbox,
    mark_exported,
    newest_synced_at,
    pending_export,
    sync_inbox,
)
from bot.store.transcripts import CustomerMessage

T0 = datetime(2025, 11, 26, 8, 0, tzinfo=timezone.utc)
INTENTS = {"complain_billing", "complain_refund", "complain_other", "greet", "inform"}


def message(event_id: int, text: str = "扣了我两次钱", minutes: int = 0) -> CustomerMessage:
    return CustomerMessage(
        event_id=event_id,
        sender_id=f"sender{event_id % 3}",
        text=text,
        intent="complain_billing",
        confidence=0.35,
        timestamp=T0 + timedelta(minutes=minutes),
        channel="rest",
        message_id=f"m{event_id}",
    )


async def count(session: AsyncSession) -> int:
    return int((await session.execute(select(func.count()).select_from(NluLabel))).scalar_one())


async def test_sync_is_idempotent_and_keeps_labels(session: AsyncSession) -> None:
    batch = [message(1, minutes=1), message(2, "退款还没到", minutes=2)]
    assert await sync_inbox(session, batch) == 2
    [row] = [r for r in await list_inbox(session) if r.event_id == 1]
    await label(session, row.id, "complain_billing", allowed_intents=INTENTS)
    # Same events again, one new, one repeated inside the batch.
    again = [*batch, message(3, "在吗", minutes=3), message(3, "在吗", minutes=3)]
    assert await sync_inbox(session, again) == 1
    assert await count(session) == 3
    stored = await session.get(NluLabel, row.id)
    assert stored is not None and stored.label_intent == "complain_billing"
    assert await sync_inbox(session, []) == 0


async def test_sync_stores_the_message(session: AsyncSession) -> None:
    await sync_inbox(session, [message(7, "电话13812345678", minutes=5)])
    [row] = await list_inbox(session)
    assert (row.source, row.event_id, row.message_id) == ("tracker", 7, "m7")
    assert (row.text, row.predicted_intent, row.confidence) == (
        "电话13812345678",
        "complain_billing",
        0.35,
    )
    assert row.message_at == T0 + timedelta(minutes=5)
    assert row.created_at.tzinfo is not None and row.label_intent is None
    assert await newest_synced_at(session) == T0 + timedelta(minutes=5)


async def test_concurrent_syncs_insert_once(session_factory: sessionmaker) -> None:
    batch = [message(i, minutes=i) for i in range(1, 21)]

    async def one() -> int:
        async with session_factory() as session:
            return await sync_inbox(session, batch)

    added = await asyncio.gather(*(one() for _ in range(4)))
    assert sum(added) == 20
    async with session_factory() as session:
        assert await count(session) == 20


async def test_large_sync_is_chunked(session: AsyncSession) -> None:
    assert await sync_inbox(session, [message(i, minutes=i) for i in range(250)]) == 250
    assert await sync_inbox(session, [message(i, minutes=i) for i in range(260)]) == 10


async def test_list_newest_first_and_unlabelled_only(session: AsyncSession) -> None:
    await sync_inbox(session, [message(i, f"消息{i}", minutes=i) for i in range(1, 5)])
    assert [r.text for r in await list_inbox(session)] == ["消息4", "消息3", "消息2", "消息1"]
    newest = (await list_inbox(session, limit=1))[0]
    await label(session, newest.id, "inform", "neutral", allowed_intents=INTENTS)
    assert [r.text for r in await list_inbox(session)] == ["消息3", "消息2", "消息1"]
    assert len(await list_inbox(session, unlabelled_only=False)) == 4
    for bad in (0, 1001):
        with pytest.raises(ValueError):
            await list_inbox(session, limit=bad)


async def test_label_records_who_and_when(session: AsyncSession) -> None:
    await sync_inbox(session, [message(1)])
    [row] = await list_inbox(session)
    labelled = await label(
        session, row.id, "complain_refund", "anger", by="lihua", allowed_intents=INTENTS
    )
    assert (labelled.label_intent, labelled.label_emotion, labelled.labelled_by) == (
        "complain_refund",
        "anger",
        "lihua",
    )
    assert labelled.labelled_at is not None
    # Relabelling before export is allowed.
    relabelled = await label(session, row.id, "complain_billing", allowed_intents=INTENTS)
    assert (relabelled.label_intent, relabelled.label_emotion) == ("complain_billing", None)


@pytest.mark.parametrize(
    ("intent", "emotion", "match"),
    [
        ("complain_weather", None, "unknown intent 'complain_weather'; valid intents: "),
        ("nlu_fallback", None, "unknown intent"),
        ("complain_billing", "rage", "unknown emotion 'rage'"),
    ],
)
async def test_label_validation(
    session: AsyncSession, intent: str, emotion: str | None, match: str
) -> None:
    await sync_inbox(session, [message(1)])
    [row] = await list_inbox(session)
    with pytest.raises(ValueError, match=match):
        await label(session, row.id, intent, emotion, allowed_intents=INTENTS)
    fresh = await session.get(NluLabel, row.id)
    assert fresh is not None and fresh.label_intent is None


async def test_every_emotion_is_accepted(session: AsyncSession) -> None:
    await sync_inbox(session, [message(i) for i in range(len(EMOTIONS))])
    rows = await list_inbox(session, limit=10)
    for row, emotion in zip(rows, EMOTIONS, strict=True):
        await label(session, row.id, "complain_other", emotion, allowed_intents=INTENTS)
    assert await list_inbox(session) == []


async def test_label_missing_id(session: AsyncSession) -> None:
    with pytest.raises(LabelNotFoundError, match="no inbox message with id 99"):
        await label(session, 99, "greet", allowed_intents=INTENTS)


async def test_export_marking(session: AsyncSession) -> None:
    await sync_inbox(session, [message(i, f"消息{i}", minutes=i) for i in range(1, 4)])
    rows = {r.event_id: r for r in await list_inbox(session)}
    assert await pending_export(session) == []
    await label(session, rows[1].id, "complain_billing", allowed_intents=INTENTS)
    await label(session, rows[3].id, "greet", allowed_intents=INTENTS)
    pending = await pending_export(session)
    assert [r.event_id for r in pending] == [1, 3]
    assert await mark_exported(session, [r.id for r in pending]) == 2
    assert await pending_export(session) == []
    # Marking again is a no-op that keeps the first export time.
    first = (await session.get(NluLabel, rows[1].id)).exported_at  # type: ignore[union-attr]
    assert first is not None
    assert await mark_exported(session, [rows[1].id]) == 0
    assert await mark_exported(session, []) == 0
    assert (await session.get(NluLabel, rows[1].id)).exported_at == first  # type: ignore[union-attr]
    # An exported label is corrected in the training data, not in the inbox.
    with pytest.raises(ValueError, match="already in the training data"):
        await label(session, rows[1].id, "complain_other", allowed_intents=INTENTS)
    # A message labelled later is pending on its own.
    await label(session, rows[2].id, "complain_other", allowed_intents=INTENTS)
    assert [r.event_id for r in await pending_export(session)] == [2]
