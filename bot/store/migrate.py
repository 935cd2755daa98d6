"""Apply the tickets database migrations programmatically (no ``alembic.ini`` needed).

Usage::

    from bot.store.migrate import upgrade
    upgrade()                      # DATABASE_URL from the settings
    upgrade("sqlite:///tmp/x.db")  # any URL, sync or async spelling

Call these outside a running event loop (from async code: ``loop.run_in_executor`` or
``asyncio.to_thread``): Alembic is synchronous.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool

from bot.settings import get_settings
from bot.store.db import make_engine, needs_async_engine, sqlite_file, sync_url

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# Alembic's ``context`` and ``op`` are module-level proxies: two migrations running in threads
# of one process would clobber each other. Other processes are kept out by the database lock
# taken in env.py.
_ALEMBIC_LOCK = threading.Lock()


def alembic_config(url: str | None = None) -> Config:
    """Build the Alembic configuration in code.

    Args:
        url: Database URL; defaults to the configured ``DATABASE_URL``.

    Returns:
        A ``Config`` usable with any ``alembic.command`` function.
    """
    config = Config()
    # Config options go through ConfigParser interpolation, hence the doubled percent signs.
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    config.attributes["url"] = url or get_settings().database_url
    return config


def upgrade(url: str | None = None, revision: str = "head") -> None:
    """Migrate the database up to ``revision``; a no-op when it is already there.

    Args:
        url: Database URL; defaults to the configured ``DATABASE_URL``.
        revision: Target revision.
    """
    with _ALEMBIC_LOCK:
        command.upgrade(alembic_config(url), revision)


def downgrade(url: str | None = None, revision: str = "base") -> None:
    """Migrate the database down to ``revision`` (``base`` drops every table).

    Args:
        url: Database URL; defaults to the configured ``DATABASE_URL``.
        revision: Target revision.
    """
    with _ALEMBIC_LOCK:
        command.downgrade(alembic_config(url), revision)


def current_revision(url: str | None = None) -> str | None:
    """Return the revision the database is at, or ``None`` when it was never migrated.

    Like ``upgrade``, call it outside a running event loop.

    Args:
        url: Database URL; defaults to the configured ``DATABASE_URL``.
    """
    resolved = sync_url(url or get_settings().database_url)
    path = sqlite_file(resolved)
    if path is not None and not path.exists():
        return None
    if needs_async_engine(resolved):
        return asyncio.run(_current_revision_async(resolved))
    engine = create_engine(resolved, future=True, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return _revision_of(connection)
    finally:
        engine.dispose()


def _revision_of(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def _current_revision_async(url: str) -> str | None:
    engine = make_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_revision_of)
    finally:
        await engine.dispose()
