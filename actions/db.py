"""The action server's connection to the tickets database: one pooled engine per process."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import sessionmaker

from bot.settings import get_settings
from bot.store.db import SQLITE_IMMEDIATE, make_sessionmaker, pooled_engine

#: Name rasa-sdk gives the Sanic app of the action server (``rasa_sdk.endpoint.create_app``).
ACTION_SERVER_APP = "rasa_sdk"

logger = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def get_sessionmaker() -> sessionmaker:
    """Return the process-wide session factory, creating the engine on first use.

    Each action call opens its own session from it (``async with get_sessionmaker()() as s``),
    so no session is shared between concurrent conversations. The engine keeps its connections
    (a new SQLite connection per call cost more than writing the ticket), so whoever clears
    this cache awaits ``dispose_engine()`` instead.
    """
    return make_sessionmaker(pooled_engine(get_settings().database_url))


async def dispose_engine() -> None:
    """Close the pooled connections and forget the engine; the next call makes a new one.

    aiosqlite runs each connection in a non-daemon thread, so a process (or a test run) that
    keeps one open cannot exit. Safe to call when no engine was made.
    """
    if get_sessionmaker.cache_info().currsize == 0:
        return
    engine: AsyncEngine = get_sessionmaker().kw["bind"]
    get_sessionmaker.cache_clear()
    await engine.dispose()


async def _dispose_after_server_stop(_app: Any, _loop: Any) -> None:
    await dispose_engine()


def dispose_at_action_server_stop() -> bool:
    """Have the running action server dispose the engine when it stops (SIGTERM, SIGINT).

    rasa-sdk offers no shutdown hook to action code, but it imports the actions package after
    creating its Sanic app and before serving, so the app can be found by name then. Sanic runs
    ``after_server_stop`` listeners on the server's own loop, where the connections live.

    Returns:
        Whether an action server app was found (not when the actions are imported elsewhere,
        e.g. by tests or ``make bench``).
    """
    try:
        from sanic import Sanic
        from sanic.exceptions import SanicException
    except ImportError:  # pragma: no cover - rasa-sdk depends on sanic
        return False
    try:
        app = Sanic.get_app(ACTION_SERVER_APP)
    except SanicException:
        return False
    app.register_listener(_dispose_after_server_stop, "after_server_stop")
    logger.debug("tickets database connections close when the action server stops")
    return True


dispose_at_action_server_stop()


@asynccontextmanager
async def write_session() -> AsyncIterator[AsyncSession]:
    """A session for an action that reads a ticket and then changes it.

    The write lock is taken before the first read: SQLite cannot upgrade a read transaction
    to a write one while another writer is busy ("database is locked", busy timeout or not),
    so the action queues for the lock up front instead. PostgreSQL ignores the option.
    """
    async with get_sessionmaker()() as session:
        await session.connection(execution_options={SQLITE_IMMEDIATE: True})
        yield session
