"""URL translation between async and sync drivers; the pooled engine of a SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import event, text

from bot.store.db import async_url, pooled_engine, sqlite_file, sync_url


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sqlite:////var/x/tickets.db", "sqlite+aiosqlite:////var/x/tickets.db"),
        ("sqlite+pysqlite:///rel.db", "sqlite+aiosqlite:///rel.db"),
        ("sqlite+aiosqlite:///rel.db", "sqlite+aiosqlite:///rel.db"),
        ("postgresql://u:p%40ss@db:5432/bot", "postgresql+asyncpg://u:p%40ss@db:5432/bot"),
        ("postgres://u@db/bot", "postgresql+asyncpg://u@db/bot"),
        ("postgresql+psycopg2://u@db/bot", "postgresql+asyncpg://u@db/bot"),
        ("postgresql+asyncpg://u@db/bot", "postgresql+asyncpg://u@db/bot"),
        ("mysql+aiomysql://u@db/bot", "mysql+aiomysql://u@db/bot"),
    ],
)
def test_async_url(given: str, expected: str) -> None:
    assert async_url(given) == expected


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sqlite+aiosqlite:////var/x/tickets.db", "sqlite:////var/x/tickets.db"),
        ("sqlite:///rel.db", "sqlite:///rel.db"),
        ("postgresql+asyncpg://u:p%40ss@db/bot", "postgresql+psycopg2://u:p%40ss@db/bot"),
        ("postgres://u@db/bot", "postgresql+psycopg2://u@db/bot"),
    ],
)
def test_sync_url(given: str, expected: str) -> None:
    pytest.importorskip("psycopg2")
    assert sync_url(given) == expected


def test_sync_url_without_psycopg2(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "psycopg2" else real(name)
    )
    assert sync_url("postgres://u@db/bot") == "postgresql://u@db/bot"
    assert sync_url("postgresql+asyncpg://u@db/bot") == "postgresql+asyncpg://u@db/bot"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:////a/b.db", "/a/b.db"),
        ("sqlite+aiosqlite:///:memory:", None),
        ("sqlite://", None),
        ("postgresql://u@db/bot", None),
    ],
)
def test_sqlite_file(url: str, expected: str | None) -> None:
    path = sqlite_file(url)
    assert (str(path) if path else None) == expected


async def test_pooled_engine_reuses_one_sqlite_connection(tmp_path: Path) -> None:
    engine = pooled_engine(f"sqlite:///{tmp_path / 'tickets.db'}")
    opened: list[object] = []
    event.listen(engine.sync_engine, "connect", lambda connection, _record: opened.append(1))
    try:
        for _ in range(3):
            async with engine.begin() as connection:
                await connection.execute(text("CREATE TABLE IF NOT EXISTS t (x INTEGER)"))
                await connection.execute(text("INSERT INTO t VALUES (1)"))
        async with engine.connect() as connection:
            # Still in WAL mode and seeing every commit through the one reused connection.
            mode = (await connection.execute(text("PRAGMA journal_mode"))).scalar_one()
            rows = (await connection.execute(text("SELECT count(*) FROM t"))).scalar_one()
    finally:
        await engine.dispose()
    assert len(opened) == 1
    assert (mode, rows) == ("wal", 3)
