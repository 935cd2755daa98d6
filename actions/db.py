"""The action server's connection to the tickets database: one engine per process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import lru_cache

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import sessionmaker

from bot.settings import get_settings
from bot.store.db import SQLITE_IMMEDIATE, make_engine, make_sessionmaker


@lru_cache(maxsize=1)
def get_sessionmaker() -> sessionmaker:
    """Return the process-wide session factory, creating the engine on first use.

    Each action call opens its own session from it (``async with get_sessionmaker()() as s``),
    so no session is shared between concurrent conversations.
    """
    return make_sessionmaker(make_engine(get_settings().database_url))


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
