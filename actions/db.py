"""The action server's connection to the tickets database: one engine per process."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy.orm import sessionmaker

from bot.settings import get_settings
from bot.store.db import make_engine, make_sessionmaker


@lru_cache(maxsize=1)
def get_sessionmaker() -> sessionmaker:
    """Return the process-wide session factory, creating the engine on first use.

    Each action call opens its own session from it (``async with get_sessionmaker()() as s``),
    so no session is shared between concurrent conversations.
    """
    return make_sessionmaker(make_engine(get_settings().database_url))
