"""Rasa's SQL tracker store saves the same events without counting them in the database."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import (
    ActionExecuted,
    SessionStarted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

import bot.channels  # noqa: F401 - importing the channels installs the fixes, as in Rasa
from bot import rasa_tracker_store
from tests.fixtures.trackers import DOMAIN, add_turn


def _rows(store: SQLTrackerStore, sender: str) -> list[dict[str, Any]]:
    import json

    with store.session_scope() as session:
        query = session.query(store.SQLEvent).filter(store.SQLEvent.sender_id == sender)
        return [json.loads(row.data) for row in query.order_by(store.SQLEvent.id)]


@pytest.fixture
def store(tmp_path: Path) -> SQLTrackerStore:
    return SQLTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp_path / "tracker.db"))


def test_the_fix_is_installed() -> None:
    assert getattr(SQLTrackerStore, rasa_tracker_store._APPLIED)
    rasa_tracker_store.apply()  # idempotent


def test_turns_are_stored_once_each_without_a_count(
    store: SQLTrackerStore, event_queries: list[str]
) -> None:
    async def scenario() -> None:
        tracker = await store.get_or_create_tracker("c1")  # new: saved with Rasa's count
        add_turn(tracker, "第一句")
        await store.save(tracker)
        for text in ("第二句", "第三句"):
            loaded = await store.retrieve("c1")
            assert loaded is not None
            add_turn(loaded, text)
            event_queries.clear()
            await store.save(loaded)
            assert event_queries == []  # no count query: the store knew what it held
        final = await store.retrieve("c1")
        assert final is not None and len(final.events) == len(_rows(store, "c1"))
        assert [e.text for e in final.events if isinstance(e, UserUttered)] == [
            "第一句",
            "第二句",
            "第三句",
        ]

    asyncio.run(scenario())


def test_a_session_started_in_the_turn_is_stored_as_rasa_stores_it(
    store: SQLTrackerStore,
) -> None:
    async def scenario() -> None:
        tracker = await store.get_or_create_tracker("c2")
        add_turn(tracker, "旧的会话")
        await store.save(tracker)
        loaded = await store.retrieve("c2")
        assert loaded is not None
        loaded.update(ActionExecuted("action_session_start"))
        loaded.update(SessionStarted())
        loaded.update(ActionExecuted("action_listen"))
        add_turn(loaded, "新的会话")
        # What Rasa's count would insert is what the remembered number inserts.
        with store.session_scope() as session:
            rasa_additional_events = SQLTrackerStore._additional_events.__wrapped__  # type: ignore[attr-defined]
            rasa_way = list(rasa_additional_events(store, session, loaded))
            ours = list(store._additional_events(session, loaded))
        assert ours == rasa_way and ours
        await store.save(loaded)
        latest = await store.retrieve("c2")
        assert latest is not None
        assert [e.text for e in latest.events if isinstance(e, UserUttered)] == ["新的会话"]
        assert len(_rows(store, "c2")) == len(loaded.events)

    asyncio.run(scenario())


def test_trackers_from_elsewhere_are_counted_as_before(
    store: SQLTrackerStore, event_queries: list[str]
) -> None:
    async def scenario() -> None:
        tracker = await store.get_or_create_tracker("c3")
        add_turn(tracker, "一")
        await store.save(tracker)
        # Built from events (not loaded by the store): Rasa's count decides.
        rebuilt = DialogueStateTracker.from_events("c3", list(tracker.events), DOMAIN.slots)
        add_turn(rebuilt, "二")
        event_queries.clear()
        await store.save(rebuilt)
        assert event_queries == ["c3"]
        # Loaded with every session: its events are not all in the latest session.
        full = await store.retrieve_full_tracker("c3")
        assert full is not None and rasa_tracker_store._stored_count(store, full) is None
        # A capped history drops old events, so positions shift: never remembered.
        capped = DialogueStateTracker.from_events(
            "c4", list(tracker.events), DOMAIN.slots, max_event_history=3
        )
        await store.save(capped)
        assert rasa_tracker_store._stored_count(store, capped) is None
        assert len(_rows(store, "c3")) == len(rebuilt.events)

    asyncio.run(scenario())


def test_rows_are_the_ones_rasa_writes(store: SQLTrackerStore) -> None:
    import inspect

    rasa_save = inspect.unwrap(SQLTrackerStore.save)

    def conversation(sender: str) -> DialogueStateTracker:
        tracker = DialogueStateTracker(sender, DOMAIN.slots)
        add_turn(tracker, "快递丢了")
        add_turn(tracker, "13812345678")
        return tracker

    asyncio.run(rasa_save(store, conversation("rasa")))
    asyncio.run(store.save(conversation("ours")))

    def comparable(sender: str) -> list[dict[str, Any]]:
        rows = _rows(store, sender)
        for row in rows:
            row.pop("timestamp")
        return rows

    assert comparable("ours") == comparable("rasa") and len(comparable("ours")) == 10
