"""Alembic environment: migrates the tickets database on SQLite or PostgreSQL.

The URL comes from ``config.attributes["url"]`` (set by ``bot.store.migrate``), else the
``sqlalchemy.url`` main option, else ``DATABASE_URL`` from the settings. A caller may also pass
an open synchronous connection as ``config.attributes["connection"]``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from bot.settings import get_settings
from bot.store.db import (
    SQLITE_IMMEDIATE,
    install_sqlite_hooks,
    make_engine,
    needs_async_engine,
    prepare_sqlite_folder,
    sync_url,
)
from bot.store.models import metadata

#: Key of the PostgreSQL advisory lock that serialises concurrent upgrades (the console and
#: the action server may both migrate at start-up). Any fixed 64-bit number works.
PG_MIGRATION_LOCK = 0x54534D4947  # "TSMIG"

config = context.config


def _url() -> str:
    url = config.attributes.get("url") or config.get_main_option("sqlalchemy.url")
    return sync_url(url or get_settings().database_url)


def _configure(connection: Any) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        compare_type=True,
        # SQLite cannot ALTER most things; batch mode rebuilds tables instead.
        render_as_batch=connection.dialect.name == "sqlite",
        # With the driver's own transaction handling switched off (see bot.store.db),
        # SQLite runs DDL inside transactions, so a failed upgrade leaves nothing behind.
        transactional_ddl=True,
    )


def _migrate(connection: Any) -> None:
    """Run the pending revisions in one transaction that excludes concurrent upgrades."""
    if connection.in_transaction():
        # A caller-supplied connection: the caller owns the transaction.
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    # SQLite: BEGIN IMMEDIATE takes the write lock before the version table is read.
    connection = connection.execution_options(**{SQLITE_IMMEDIATE: True})
    with connection.begin():
        if connection.dialect.name == "postgresql":
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_MIGRATION_LOCK}
            )
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()


async def _migrate_async(url: str) -> None:
    engine = make_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_migrate)
    finally:
        await engine.dispose()


def run_migrations_offline() -> None:
    """Print the SQL of the pending revisions (``alembic upgrade --sql``)."""
    context.configure(
        url=_url(),
        target_metadata=metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Apply the pending revisions to the database."""
    supplied = config.attributes.get("connection")
    if supplied is not None:
        _migrate(supplied)
        return
    url = _url()
    if needs_async_engine(url):
        # No sync driver installed (e.g. PostgreSQL without psycopg2): go through the async
        # engine. Callers run migrations outside any event loop (CLI, executor thread).
        asyncio.run(_migrate_async(url))
        return
    prepare_sqlite_folder(url)
    engine = create_engine(url, future=True, poolclass=NullPool)
    if engine.dialect.name == "sqlite":
        install_sqlite_hooks(engine)
    try:
        with engine.connect() as connection:
            _migrate(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
