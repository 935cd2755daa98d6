"""A SQLite tracker store keeps its connections, in WAL mode, and still stores every event."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

import bot.channels  # noqa: F401 - importing the channels installs the fixes, as in Rasa
from bot import rasa_tracker_sqlite

DOMAIN = Domain.from_dict({})


def _pragma(store: SQLTrackerStore, name: str) -> object:
    with store.engine.connect() as connection:
        return connection.exec_driver_sql(f"PRAGMA {name}").scalar()


def test_a_file_store_keeps_wal_connections(tmp_path: Path) -> None:
    store = SQLTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp_path / "tracker.db"))

    assert rasa_tracker_sqlite.is_sqlite_file(store.engine)
    assert _pragma(store, "journal_mode") == "wal"
    assert _pragma(store, "synchronous") == 1  # NORMAL
    # The same database connection serves one load after another (no NullPool).
    with store.session_scope() as first:
        first_connection = first.connection().connection.dbapi_connection
    with store.session_scope() as second:
        assert second.connection().connection.dbapi_connection is first_connection


def test_events_survive_a_new_store_on_the_same_file(tmp_path: Path) -> None:
    path = tmp_path / "tracker.db"
    store = SQLTrackerStore(DOMAIN, dialect="sqlite", db=str(path))
    tracker = DialogueStateTracker("customer-1", DOMAIN.slots)
    tracker.update(
        UserUttered("快递十天了还没到", {"name": "complain_delivery", "confidence": 1.0})
    )
    tracker.update(ActionExecuted("utter_x"))
    tracker.update(BotUttered("非常抱歉"))
    asyncio.run(store.save(tracker))
    store.engine.dispose()

    # Another process (the console, a restarted Rasa) reads what was committed.
    with sqlite3.connect(path) as reader:
        (rows,) = reader.execute("SELECT count(*) FROM events").fetchone()
    assert rows == len(tracker.events)
    again = asyncio.run(
        SQLTrackerStore(DOMAIN, dialect="sqlite", db=str(path)).retrieve("customer-1")
    )
    assert again is not None and list(again.events) == list(tracker.events)


def test_memory_and_postgres_engines_are_left_alone() -> None:
    store = SQLTrackerStore(DOMAIN, dialect="sqlite", db=":memory:")

    assert not rasa_tracker_sqlite.is_sqlite_file(store.engine)
    assert _pragma(store, "journal_mode") == "memory"
