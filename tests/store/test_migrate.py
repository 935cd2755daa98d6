"""Migrations: apply from nothing, re-run as a no-op, downgrade (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect
from sqlalchemy.pool import NullPool

from bot.store.db import needs_async_engine, sync_url
from bot.store.migrate import alembic_config, current_revision, downgrade, upgrade

TABLES = {
    "tickets",
    "ticket_counters",
    "api_tokens",
    "nlu_labels",
    "ticket_events",
    "surveys",
    "staff_users",
    "audit_log",
    "alembic_version",
}


def head_revision() -> str:
    """The newest revision in bot/store/migrations/versions (one head, no branches)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


HEAD = head_revision()


def table_names(url: str) -> set[str]:
    engine = create_engine(sync_url(url), future=True, poolclass=NullPool)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_twice(database_url: str) -> None:
    assert current_revision(database_url) is None
    upgrade(database_url)
    assert TABLES <= table_names(database_url)
    assert current_revision(database_url) == HEAD
    upgrade(database_url)
    assert current_revision(database_url) == HEAD


def test_upgrade_creates_sqlite_folder(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "deeper" / "tickets.db"
    upgrade(f"sqlite:///{path}")
    assert path.exists()


def test_async_url_spelling_works(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'tickets.db'}"
    upgrade(url)
    assert TABLES <= table_names(url)


def test_downgrade_to_base_drops_tables(database_url: str) -> None:
    upgrade(database_url)
    downgrade(database_url)
    assert table_names(database_url) & TABLES <= {"alembic_version"}
    assert current_revision(database_url) is None
    upgrade(database_url)
    assert current_revision(database_url) == HEAD


def test_downgrade_one_step_drops_nlu_labels(database_url: str) -> None:
    upgrade(database_url)
    downgrade(database_url, "0001")
    names = table_names(database_url)
    assert "nlu_labels" not in names and "tickets" in names
    assert current_revision(database_url) == "0001"
    upgrade(database_url)
    assert "nlu_labels" in table_names(database_url)


def test_lifecycle_revision_encrypts_stored_phones_and_back(database_url: str) -> None:
    from sqlalchemy import text

    from bot.store.crypto import decrypt

    upgrade(database_url, "0002")
    engine = create_engine(sync_url(database_url), future=True, poolclass=NullPool)
    insert = text(
        "INSERT INTO tickets (number, sender_id, channel, category, description, phone, status,"
        " priority, threat, created_at, updated_at) VALUES ('TS20261125-0001', 'u', 'rest',"
        " 'complain_other', 'x', '13812345678', 'open', 3, false, :now, :now)"
    )
    select_phone = text("SELECT phone FROM tickets")
    try:
        with engine.begin() as connection:
            connection.execute(insert, {"now": "2026-11-25 00:00:00+00:00"})
        upgrade(database_url, "0003")
        with engine.connect() as connection:
            stored = connection.execute(select_phone).scalar_one()
        assert stored != "13812345678" and decrypt(stored) == "13812345678"
        downgrade(database_url, "0002")
        with engine.connect() as connection:
            assert connection.execute(select_phone).scalar_one() == "13812345678"
    finally:
        engine.dispose()


def test_schema_matches_models(migrated_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from bot.store.models import metadata

    engine = create_engine(sync_url(migrated_url), future=True, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diff = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    assert diff == []


def test_postgres_without_psycopg2_goes_through_asyncpg(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "psycopg2" else real(name)
    )
    url = postgres_url.replace("postgresql://", "postgres://", 1)
    assert needs_async_engine(url)
    upgrade(url)
    upgrade(url)
    assert current_revision(url) == HEAD
