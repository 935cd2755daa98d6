"""Engine and session factories for the tickets database.

One URL (``DATABASE_URL``) serves both the async application code and the synchronous Alembic
migrations, so this module translates between a URL's async and sync driver spellings.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import AsyncAdaptedQueuePool

from bot.settings import get_settings

#: Execution option that makes a SQLite transaction start with ``BEGIN IMMEDIATE``.
#:
#: A deferred SQLite transaction that reads and later writes fails at once with
#: ``database is locked`` when another connection committed in between (the busy timeout does
#: not help there). Transactions that read-then-write under concurrency therefore ask for the
#: write lock up front: ``await session.connection(execution_options={SQLITE_IMMEDIATE: True})``.
#: Other databases ignore the option.
SQLITE_IMMEDIATE = "sqlite_begin_immediate"

#: How long a SQLite connection waits for another writer before giving up, in milliseconds.
SQLITE_BUSY_TIMEOUT_MS = 30_000

_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}


def _backend(url: URL) -> str:
    """Return the backend name of ``url`` with the legacy ``postgres`` alias resolved."""
    backend = url.drivername.split("+", 1)[0]
    return "postgresql" if backend == "postgres" else backend


def _render(url: URL) -> str:
    return url.render_as_string(hide_password=False)


def async_url(url: str) -> str:
    """Return ``url`` with its driver swapped for the async one the application uses.

    ``sqlite://`` becomes ``sqlite+aiosqlite://``; ``postgresql://``, ``postgres://`` and
    ``postgresql+psycopg2://`` become ``postgresql+asyncpg://``. URLs that already name an
    async driver, and other backends, come back unchanged.

    Args:
        url: Any SQLAlchemy database URL.

    Returns:
        The URL to give ``create_async_engine``.
    """
    parsed = make_url(url)
    backend = _backend(parsed)
    driver = parsed.drivername.partition("+")[2]
    if backend not in _ASYNC_DRIVERS or driver in ("aiosqlite", "asyncpg"):
        return url
    return _render(parsed.set(drivername=_ASYNC_DRIVERS[backend]))


def sync_url(url: str) -> str:
    """Return ``url`` with a synchronous driver, for Alembic.

    SQLite URLs use the standard library driver. PostgreSQL URLs use psycopg2 when it is
    installed (Rasa ships ``psycopg2-binary``); otherwise the URL is kept (with the legacy
    ``postgres`` alias spelled ``postgresql``) and the migration environment runs it through
    the async engine instead.

    Args:
        url: Any SQLAlchemy database URL.

    Returns:
        The URL to give Alembic.
    """
    parsed = make_url(url)
    backend = _backend(parsed)
    if backend == "sqlite":
        return _render(parsed.set(drivername="sqlite"))
    if backend == "postgresql":
        if importlib.util.find_spec("psycopg2") is not None:
            return _render(parsed.set(drivername="postgresql+psycopg2"))
        driver = parsed.drivername.partition("+")[2]
        name = f"postgresql+{driver}" if driver else "postgresql"
        return _render(parsed.set(drivername=name))
    return url


def is_async_driver(url: str) -> bool:
    """Tell whether ``url`` names a driver that needs an async engine."""
    return make_url(url).drivername.partition("+")[2] in ("aiosqlite", "asyncpg")


def needs_async_engine(url: str) -> bool:
    """Tell whether synchronous code (Alembic) must reach ``url`` through an async engine.

    True for async driver URLs and for PostgreSQL URLs that default to psycopg2 when
    psycopg2 is not installed.
    """
    if is_async_driver(url):
        return True
    parsed = make_url(url)
    driver = parsed.drivername.partition("+")[2]
    return (
        _backend(parsed) == "postgresql"
        and driver in ("", "psycopg2")
        and importlib.util.find_spec("psycopg2") is None
    )


def sqlite_file(url: str) -> Path | None:
    """Return the database file of a SQLite URL, or ``None`` (other backends, in-memory)."""
    parsed = make_url(url)
    if _backend(parsed) != "sqlite":
        return None
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database)


def prepare_sqlite_folder(url: str) -> None:
    """Create the folder of a SQLite database file so that connecting can create the file."""
    path = sqlite_file(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the console read while the action server writes; the busy timeout makes
    # concurrent writers queue instead of failing. isolation_level=None hands transaction
    # control to SQLAlchemy (the ``begin`` hook below), the documented pysqlite workaround
    # that makes BEGIN IMMEDIATE possible.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        # In WAL mode NORMAL syncs at checkpoints, not at every commit: a committed ticket
        # survives a crash of any of our processes, and only an OS crash or power cut can
        # lose the last moments. Production runs on PostgreSQL (see README).
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def _on_sqlite_begin(connection: Any) -> None:
    immediate = connection.get_execution_options().get(SQLITE_IMMEDIATE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def install_sqlite_hooks(sync_engine: Any) -> None:
    """Install the WAL / busy-timeout / transaction hooks on a (sync side of a) SQLite engine.

    Args:
        sync_engine: A synchronous ``Engine``, e.g. ``AsyncEngine.sync_engine``.
    """
    event.listen(sync_engine, "connect", _on_sqlite_connect)
    event.listen(sync_engine, "begin", _on_sqlite_begin)


def make_engine(url: str | None = None, **kwargs: Any) -> AsyncEngine:
    """Create the async engine of the tickets database.

    Args:
        url: Database URL in sync or async spelling; defaults to the configured
            ``DATABASE_URL``.
        **kwargs: Extra keyword arguments for ``create_async_engine``.

    Returns:
        An ``AsyncEngine``; the caller disposes it.
    """
    resolved = async_url(url or get_settings().database_url)
    prepare_sqlite_folder(resolved)
    if _backend(make_url(resolved)) == "postgresql":
        # Connections idle in the pool can be cut by the server or a proxy.
        kwargs.setdefault("pool_pre_ping", True)
    engine = create_async_engine(resolved, future=True, **kwargs)
    if engine.dialect.name == "sqlite":
        install_sqlite_hooks(engine.sync_engine)
    return engine


def pooled_engine(url: str | None = None) -> AsyncEngine:
    """Create an engine that keeps its connections open between sessions.

    SQLAlchemy 1.4 gives a SQLite file a ``NullPool``: every session opens a new connection
    (and aiosqlite a new thread), and the last connection to close checkpoints and deletes the
    WAL file, which together cost more than the queries of a typical session. PostgreSQL and
    in-memory SQLite keep their default pools. aiosqlite's connection threads are not daemon
    threads, so the owner must ``await engine.dispose()`` before the process exits.

    Args:
        url: As for ``make_engine``.

    Returns:
        The engine; disposing it is not optional (the process hangs at exit otherwise).
    """
    resolved = async_url(url or get_settings().database_url)
    if sqlite_file(resolved) is None:
        return make_engine(resolved)
    return make_engine(resolved, poolclass=AsyncAdaptedQueuePool)


def make_sessionmaker(engine: AsyncEngine) -> sessionmaker:
    """Return a factory of ``AsyncSession`` objects bound to ``engine``.

    ``expire_on_commit=False`` because objects are read after commit (serialised to JSON,
    returned from the repository) and lazy loads are impossible in async code.
    """
    return sessionmaker(engine, class_=AsyncSession, expire_on_commit=False, future=True)
