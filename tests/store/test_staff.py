"""Staff accounts: hashes, authentication, activation (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.audit import LOGIN_FAILED, list_audit, recent_failures, record
from bot.store.staff import (
    StaffError,
    authenticate,
    create_user,
    password_fingerprint,
    set_password,
    update_user,
)


async def test_only_an_argon2_hash_is_stored(session: AsyncSession) -> None:
    user = await create_user(session, " Wang ", "s3cret-pass", "agent", "客服小王")
    assert user.username == "wang"
    assert user.password_hash.startswith("$argon2id$") and "s3cret-pass" not in user.password_hash


async def test_authenticate(session: AsyncSession) -> None:
    await create_user(session, "wang", "s3cret-pass", "agent")
    assert await authenticate(session, "nobody", "s3cret-pass") is None
    assert await authenticate(session, "wang", "wrong-pass") is None
    user = await authenticate(session, "WANG", "s3cret-pass")
    assert user is not None and user.last_login_at is not None
    await update_user(session, user, active=False)
    assert await authenticate(session, "wang", "s3cret-pass") is None


@pytest.mark.parametrize(
    ("username", "password", "role", "code"),
    [
        ("x", "long-enough", "agent", "username"),
        ("wang li", "long-enough", "agent", "username"),
        ("wang", "short", "agent", "password_short"),
        ("wang", "long-enough", "root", "role"),
    ],
)
async def test_bad_accounts_are_refused(
    session: AsyncSession, username: str, password: str, role: str, code: str
) -> None:
    with pytest.raises(StaffError) as error:
        await create_user(session, username, password, role)
    assert error.value.code == code


async def test_duplicates_and_password_changes(session: AsyncSession) -> None:
    user = await create_user(session, "wang", "s3cret-pass", "agent")
    with pytest.raises(StaffError) as error:
        await create_user(session, "WANG", "other-pass", "admin")
    assert error.value.code == "duplicate"
    await session.refresh(user)  # the failed insert's rollback expired it
    before = password_fingerprint(user)
    await set_password(session, user, "new-s3cret")
    assert password_fingerprint(user) != before
    assert await authenticate(session, "wang", "new-s3cret") is not None


async def test_failed_logins_are_counted_per_user_and_address(session: AsyncSession) -> None:
    for ip in ("10.0.0.1", "10.0.0.1", "10.0.0.2"):
        await record(session, "anonymous", LOGIN_FAILED, "wang", None, ip)
    await record(session, "anonymous", LOGIN_FAILED, "li", None, "10.0.0.1")
    await record(session, "staff:wang", "login", "wang", None, "10.0.0.1")
    counts = await recent_failures(session, "wang", "10.0.0.1", timedelta(minutes=15))
    assert (counts.by_username, counts.by_ip) == (3, 3)
    assert (await recent_failures(session, "zhao", None, timedelta(minutes=15))).by_username == 0


async def test_audit_detail_is_masked_and_listed_newest_first(session: AsyncSession) -> None:
    await record(session, "staff:wang", "reply", "TS1", "请拨 13812345678")
    await record(session, "staff:wang", "note", "TS1")
    rows = await list_audit(session, target="TS1")
    assert [r.action for r in rows] == ["note", "reply"]
    assert rows[1].detail == "请拨 138****5678"
