"""The tracker store hands back the tracker it saved, only while nobody else wrote after it."""

from __future__ import annotations

import asyncio
import dataclasses
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
from sqlalchemy.engine import make_url

import bot.channels  # noqa: F401 - importing the channels installs the fixes, as in Rasa
from bot import rasa_tracker_cache
from bot.settings import get_settings
from tests.fixtures.trackers import DOMAIN, add_turn


def _store(database_url: str) -> SQLTrackerStore:
    """A tracker store on the test's database, as another Rasa process would open it."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        Path(str(url.database)).parent.mkdir(parents=True, exist_ok=True)
        return SQLTrackerStore(DOMAIN, dialect="sqlite", db=str(url.database))
    return SQLTrackerStore(
        DOMAIN,
        dialect="postgresql",
        host=url.host,
        port=url.port,
        db=url.database,
        username=url.username,
    )


def _state(tracker: DialogueStateTracker) -> dict[str, Any]:
    return {
        "events": [e.as_dict() for e in tracker.events],
        "slots": tracker.current_slot_values(),
        "latest": tracker.latest_message.text if tracker.latest_message else None,
    }


def test_the_saved_tracker_comes_back_without_a_load(
    database_url: str, event_queries: list[str]
) -> None:
    store = _store(database_url)

    async def scenario() -> None:
        tracker = await store.get_or_create_tracker("k1")
        for text in ("快递没到", "13812345678"):
            add_turn(tracker, text)
            await store.save(tracker)
            event_queries.clear()
            again = await store.retrieve("k1")
            assert again is tracker and event_queries == []
            tracker = again
        # What a process without the tracker in memory loads is the same conversation.
        other = await _store(database_url).retrieve("k1")
        assert other is not None and _state(other) == _state(tracker)

    asyncio.run(scenario())


def test_a_write_from_elsewhere_is_loaded(database_url: str, event_queries: list[str]) -> None:
    here, elsewhere = _store(database_url), _store(database_url)

    async def scenario() -> None:
        tracker = await here.get_or_create_tracker("k2")
        add_turn(tracker, "第一句")
        await here.save(tracker)
        theirs = await elsewhere.retrieve("k2")  # another Rasa process takes the next turn
        assert theirs is not None
        add_turn(theirs, "第二句")
        await elsewhere.save(theirs)
        event_queries.clear()
        mine = await here.retrieve("k2")
        assert event_queries == ["k2"] and mine is not tracker
        assert mine is not None and _state(mine) == _state(theirs)

    asyncio.run(scenario())


def test_a_save_keys_the_tracker_on_the_id_it_wrote(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _store(database_url)
    # The save reads the newest id in its own transaction: no separate query after it.
    monkeypatch.setattr(rasa_tracker_cache, "newest_event_id", _no_separate_query)

    async def scenario() -> None:
        tracker = await store.get_or_create_tracker("k4")
        add_turn(tracker, "保存时记下最新的编号")
        await store.save(tracker)
        kept, newest = rasa_tracker_cache._cache(store)["k4"]
        assert kept is tracker
        with store.engine.connect() as connection:
            rows = connection.exec_driver_sql(
                "SELECT max(id), count(*) FROM events WHERE sender_id = 'k4'"
            ).one()
        assert newest == rows[0] and rows[1] == len(tracker.events)

    asyncio.run(scenario())


def _no_separate_query(store: Any, sender_id: str) -> int | None:
    raise AssertionError("the newest id was asked for outside the save")


def test_an_unsaved_turn_leaves_nothing_behind(database_url: str) -> None:
    store = _store(database_url)

    async def scenario() -> None:
        tracker = await store.get_or_create_tracker("k3")
        add_turn(tracker, "保存了")
        await store.save(tracker)
        failing = await store.retrieve("k3")
        assert failing is not None
        add_turn(failing, "这一轮出错了，没有保存")
        again = await store.retrieve("k3")
        assert again is not None and again is not failing
        texts = [e.text for e in again.events if isinstance(e, UserUttered)]
        assert texts == ["保存了"]

    asyncio.run(scenario())


def test_a_new_session_is_kept_as_rasa_loads_it(tmp_path: Path, event_queries: list[str]) -> None:
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    store = _store(url)

    async def scenario() -> None:
        tracker = await store.get_or_create_tracker("k4")
        add_turn(tracker, "旧的会话")
        await store.save(tracker)
        tracker.update(ActionExecuted("action_session_start"))
        tracker.update(SessionStarted())
        tracker.update(ActionExecuted("action_listen"))
        add_turn(tracker, "新的会话")
        await store.save(tracker)
        assert len(tracker.events) == 14  # the turn's own tracker is left as it was
        event_queries.clear()
        latest = await store.retrieve("k4")
        assert event_queries == [] and latest is not None and latest is not tracker
        assert [e.text for e in latest.events if isinstance(e, UserUttered)] == ["新的会话"]
        loaded = await _store(url).retrieve("k4")
        assert loaded is not None and _state(latest) == _state(loaded)
        add_turn(latest, "再说一句")  # and it saves what it adds, once
        await store.save(latest)
        rows = await _store(url).retrieve("k4")
        assert rows is not None and _state(rows) == _state(latest)

    asyncio.run(scenario())


def test_only_the_most_recent_conversations_are_kept(
    tmp_path: Path, event_queries: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    small = dataclasses.replace(get_settings(), tracker_cache_size=2)
    monkeypatch.setattr(rasa_tracker_cache, "get_settings", lambda: small)
    store = _store(f"sqlite:///{tmp_path / 'tracker.db'}")

    async def scenario() -> None:
        for sender in ("a", "b", "c"):
            tracker = await store.get_or_create_tracker(sender)
            add_turn(tracker, sender)
            await store.save(tracker)
        event_queries.clear()
        for sender in ("a", "b", "c"):
            assert await store.retrieve(sender) is not None
        assert event_queries == ["a"]

    asyncio.run(scenario())
