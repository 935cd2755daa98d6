"""Rasa's SQL tracker store on a SQLite file: kept connections, WAL and no sync per commit.

Embedded defaults keep the conversations in ``var/tracker.db`` through Rasa's
``SQLTrackerStore``. Rasa creates that engine with SQLAlchemy's defaults, which for a SQLite
file are the slowest possible for a store written on every message:

- SQLAlchemy 1.4 gives a SQLite file a ``NullPool``: every load and every save of a tracker
  opened a new database connection (and SQLite re-read the schema for it).
- SQLite's default rollback journal with ``synchronous = FULL`` creates, syncs and deletes a
  journal file on every commit: the commit alone was about a sixth of a turn's CPU in the
  Rasa process.

After Rasa has built the store (and its tables), the engine is replaced by one with a small
connection pool and our ticket database's connection hooks (``install_sqlite_hooks`` in
``bot/store/db.py``): WAL, so readers (the console, ``python -m bot nlu inbox``) never block
the bot, a busy timeout, so concurrent writers queue, and ``synchronous = NORMAL``, which in WAL
mode syncs at checkpoints rather than at every commit — a committed turn survives a crash of
any process, and only an OS crash or power cut can lose the last moments. Production runs the
tracker store on PostgreSQL, which this leaves alone, as it does an in-memory SQLite database.

Installed by :func:`bot.rasa_fixes.apply` in the Rasa server process.
"""

from __future__ import annotations

import functools
from typing import Any

from bot.store.db import install_sqlite_hooks

#: Connections kept open. Rasa uses the store from its event-loop thread, one session at a
#: time; a second one covers a request served while another is between statements.
POOL_SIZE = 2


def is_sqlite_file(engine: Any) -> bool:
    """Whether ``engine`` is SQLite on a file (not ``:memory:``)."""
    database = engine.url.database
    return bool(engine.dialect.name == "sqlite" and database and database != ":memory:")


def pooled_sqlite_engine(url: Any) -> Any:
    """A SQLite engine on ``url`` with kept connections and the settings above."""
    import sqlalchemy as sa
    from sqlalchemy.pool import QueuePool

    engine = sa.create_engine(
        url,
        poolclass=QueuePool,
        pool_size=POOL_SIZE,
        # The pool may hand a connection to another thread than the one that opened it.
        connect_args={"check_same_thread": False},
    )
    install_sqlite_hooks(engine)
    return engine


def _with_pooled_sqlite(original: Any) -> Any:
    @functools.wraps(original)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        if not is_sqlite_file(self.engine):
            return
        from sqlalchemy.orm import sessionmaker

        pooled = pooled_sqlite_engine(self.engine.url)
        self.engine.dispose()
        self.engine = pooled
        self.sessionmaker = sessionmaker(bind=pooled)

    return __init__


def apply() -> None:
    """Install the pooled WAL engine for SQLite tracker stores (once per process)."""
    from rasa.core.tracker_store import SQLTrackerStore

    from bot.rasa_patch import patch_method

    patch_method(SQLTrackerStore, "__init__", _with_pooled_sqlite)
