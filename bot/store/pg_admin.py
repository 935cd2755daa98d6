"""Create and drop whole PostgreSQL databases (private deployments for tests and load runs)."""

from __future__ import annotations

import uuid

from sqlalchemy.engine import make_url


def asyncpg_dsn(url: str) -> str:
    """``url`` as asyncpg takes it: a plain libpq-style URL without a SQLAlchemy driver."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def admin_execute(admin_url: str, *statements: str) -> None:
    """Run ``statements`` one by one on ``admin_url`` outside a transaction.

    ``CREATE DATABASE`` and ``DROP DATABASE`` refuse to run inside one, which is why this
    uses a plain asyncpg connection rather than a SQLAlchemy session.
    """
    import asyncpg

    connection = await asyncpg.connect(asyncpg_dsn(admin_url), timeout=5)
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


async def create_database(admin_url: str, prefix: str = "test") -> str:
    """Create an empty database on ``admin_url``'s server; return its URL.

    Args:
        admin_url: A database URL whose user may create databases.
        prefix: Start of the new database's name (a random suffix follows).
    """
    name = f"{prefix}_{uuid.uuid4().hex[:16]}"
    await admin_execute(admin_url, f'CREATE DATABASE "{name}"')
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


async def drop_database(admin_url: str, url: str) -> None:
    """Drop ``url``'s database, ending any connection still open to it (PostgreSQL 13+)."""
    name = make_url(url).database
    await admin_execute(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
