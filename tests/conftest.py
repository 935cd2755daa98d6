"""Shared fixtures.

Database fixtures run each test against SQLite (a file under ``tmp_path``) and PostgreSQL
(the server at ``TEST_POSTGRES_URL``; skipped when none is reachable). Request
``database_url`` for a never-migrated database (PostgreSQL: a fresh database per test),
``migrated_url`` for an empty one at the latest revision (PostgreSQL: one shared database,
truncated before each test), ``session_factory`` / ``session`` to work in it, and ``settings``
to point ``get_settings()`` (and so the CLI and the console) at it.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import sessionmaker

from bot.settings import Settings, get_settings
from bot.store.db import make_engine, make_sessionmaker
from bot.store.migrate import upgrade
from bot.store.models import metadata
from bot.store.pg_admin import admin_execute, asyncpg_dsn, create_database, drop_database

# The session-wide trained model used by the NLU and conversation tests.
pytest_plugins = ["tests.fixtures.model", "tests.fixtures.trackers"]

T = TypeVar("T")

POSTGRES_ENV = "TEST_POSTGRES_URL"
_POSTGRES_DEFAULTS = (
    "postgresql://postgres@127.0.0.1:5432/test",
    "postgresql://root@127.0.0.1:5432/test",
)


def run_in_thread(factory: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to completion on a private event loop, from sync or async code."""

    async def runner() -> T:
        return await factory()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, runner()).result()


@lru_cache(maxsize=1)
def postgres_admin_url() -> tuple[str | None, str]:
    """Return ``(url, "")`` of a reachable PostgreSQL server, or ``(None, why_not)``."""
    import asyncpg

    configured = os.environ.get(POSTGRES_ENV, "").strip()
    candidates = (configured,) if configured else _POSTGRES_DEFAULTS
    errors = []
    for url in candidates:

        async def probe(url: str = url) -> None:
            connection = await asyncpg.connect(asyncpg_dsn(url), timeout=5)
            await connection.close()

        try:
            run_in_thread(probe)
        except Exception as error:  # noqa: BLE001 - any failure means "not usable"
            errors.append(f"{url}: {error}")
            continue
        return url, ""
    return None, "; ".join(errors)


def _create_database(admin_url: str) -> str:
    """Create an empty database next to ``admin_url``'s; return its URL (skip if impossible)."""
    try:
        return run_in_thread(lambda: create_database(admin_url))
    except Exception as error:  # noqa: BLE001 - e.g. no CREATEDB privilege
        pytest.skip(f"cannot create a test database on {admin_url}: {error}")


def _drop_database(admin_url: str, url: str) -> None:
    run_in_thread(lambda: drop_database(admin_url, url))


def _require_postgres() -> str:
    admin_url, why = postgres_admin_url()
    if admin_url is None:
        pytest.skip(f"PostgreSQL not reachable at {why}: set {POSTGRES_ENV}")
    return admin_url


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """URL of a fresh, empty PostgreSQL database, dropped after the test."""
    admin_url = _require_postgres()
    url = _create_database(admin_url)
    try:
        yield url
    finally:
        _drop_database(admin_url, url)


@pytest.fixture(scope="session")
def _postgres_migrated_session_db() -> Iterator[str]:
    # Creating and migrating a database costs ~0.5 s; tests that only need a migrated
    # database share this one and get it emptied instead.
    admin_url = _require_postgres()
    url = _create_database(admin_url)
    try:
        upgrade(url)
        yield url
    finally:
        _drop_database(admin_url, url)


@pytest.fixture
def postgres_migrated_url(_postgres_migrated_session_db: str) -> str:
    """URL of a PostgreSQL database at the latest revision with every table empty."""
    url = _postgres_migrated_session_db
    upgrade(url)  # no-op unless a test downgraded it
    tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    run_in_thread(
        lambda: admin_execute(
            url, "SET lock_timeout = '10s'", f"TRUNCATE {tables} RESTART IDENTITY CASCADE"
        )
    )
    return url


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """URL of an empty (never migrated) tickets database, once per backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'db' / 'tickets.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture(params=BACKENDS)
def migrated_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """URL of an empty tickets database at the latest revision, once per backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'db' / 'tickets.db'}"
        upgrade(url)
        return url
    return str(request.getfixturevalue("postgres_migrated_url"))


@pytest.fixture
async def engine(migrated_url: str) -> AsyncIterator[AsyncEngine]:
    """Async engine of the migrated test database."""
    engine = make_engine(migrated_url)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
def session_factory(engine: AsyncEngine) -> sessionmaker:
    """Factory of sessions on the migrated test database."""
    return make_sessionmaker(engine)


@pytest.fixture
async def session(session_factory: sessionmaker) -> AsyncIterator[AsyncSession]:
    """One session on the migrated test database."""
    async with session_factory() as session:
        yield session


@pytest.fixture
def settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, migrated_url: str
) -> Iterator[Settings]:
    """Settings (and environment) pointing at the test database and a private var/ folder."""
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("DATABASE_URL", migrated_url)
    get_settings.cache_clear()
    try:
        yield get_settings()
    finally:
        get_settings.cache_clear()
