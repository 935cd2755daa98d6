"""Staff accounts of the console: argon2id password hashes, roles, activation.

Only hashes are stored (argon2id through ``argon2-cffi``, its default parameters); a login
with an unknown username still spends one hash verification so that response times do not
tell which usernames exist. Functions that change rows commit.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import STAFF_ROLES, StaffUser, utcnow

#: Shortest and longest password accepted.
MIN_PASSWORD_CHARS = 8
MAX_PASSWORD_CHARS = 256

#: Usernames: lower-case letters, digits, ``.``, ``_``, ``-``; 2 to 64 characters.
USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


class StaffError(ValueError):
    """A staff account change was refused; ``code`` names the reason for translated messages.

    Codes: ``username`` (malformed), ``duplicate`` (taken), ``role`` (unknown),
    ``password_short``, ``password_long``.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    return PasswordHasher()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    # Verified against when the username is unknown (see the module docstring).
    return _hasher().hash("not a real password")


def normalise_username(username: str) -> str:
    """Return ``username`` as stored: stripped and lower-cased."""
    return username.strip().lower()


def check_password(password: str) -> None:
    """Raise ``StaffError`` for a password too short or too long to be accepted."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise StaffError(
            "password_short", f"password must have at least {MIN_PASSWORD_CHARS} characters"
        )
    if len(password) > MAX_PASSWORD_CHARS:
        raise StaffError(
            "password_long", f"password must have at most {MAX_PASSWORD_CHARS} characters"
        )


def hash_password(password: str) -> str:
    """Return the argon2id hash of ``password`` (after ``check_password``)."""
    check_password(password)
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Tell whether ``password`` matches ``password_hash``; malformed hashes never match."""
    try:
        return bool(_hasher().verify(password_hash, password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def password_fingerprint(user: StaffUser) -> str:
    """A short digest of the user's current hash: sessions carry it, so that changing the
    password (or an admin resetting it) ends every session opened with the old one."""
    return hashlib.sha256(user.password_hash.encode("utf-8")).hexdigest()[:16]


async def get_user(session: AsyncSession, user_id: int) -> StaffUser | None:
    """Return the account with id ``user_id``, or ``None``."""
    return await session.get(StaffUser, user_id)


async def find_user(session: AsyncSession, username: str) -> StaffUser | None:
    """Return the account named ``username`` (case-insensitive), or ``None``."""
    result = await session.execute(
        select(StaffUser).where(StaffUser.username == normalise_username(username))
    )
    return result.scalar_one_or_none()


async def list_users(session: AsyncSession) -> list[StaffUser]:
    """Return every account, by username."""
    result = await session.execute(select(StaffUser).order_by(StaffUser.username))
    return list(result.scalars().all())


async def create_user(
    session: AsyncSession,
    username: str,
    password: str,
    role: str,
    display_name: str | None = None,
) -> StaffUser:
    """Create an active account; commits.

    Raises:
        StaffError: Malformed or taken username, unknown role, unacceptable password.
    """
    name = normalise_username(username)
    if not USERNAME_PATTERN.match(name):
        raise StaffError(
            "username", "username must be 2-64 of a-z, 0-9, '.', '_', '-' (letter or digit first)"
        )
    if role not in STAFF_ROLES:
        raise StaffError("role", f"role must be one of {', '.join(STAFF_ROLES)}")
    user = StaffUser(
        username=name,
        display_name=(display_name or "").strip()[:128] or None,
        password_hash=hash_password(password),
        role=role,
        active=True,
        created_at=utcnow(),
    )
    session.add(user)
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise StaffError("duplicate", f"user {name!r} already exists") from None
    return user


async def authenticate(session: AsyncSession, username: str, password: str) -> StaffUser | None:
    """Return the active account matching the credentials, or ``None``; commits.

    A successful login records ``last_login_at`` and upgrades the hash when argon2's
    recommended parameters have changed since it was made.
    """
    user = await find_user(session, username)
    if user is None or not user.active:
        verify_password(_dummy_hash(), password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    if _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = _hasher().hash(password)
    user.last_login_at = utcnow()
    await session.commit()
    return user


async def set_password(session: AsyncSession, user: StaffUser, password: str) -> None:
    """Replace the user's password; commits. Ends the user's other sessions (fingerprint)."""
    user.password_hash = hash_password(password)
    await session.commit()


async def update_user(
    session: AsyncSession,
    user: StaffUser,
    *,
    role: str | None = None,
    active: bool | None = None,
    display_name: str | None = None,
) -> None:
    """Change an account's role, activation or display name; commits.

    Raises:
        StaffError: Unknown role.
    """
    if role is not None:
        if role not in STAFF_ROLES:
            raise StaffError("role", f"role must be one of {', '.join(STAFF_ROLES)}")
        user.role = role
    if active is not None:
        user.active = active
    if display_name is not None:
        user.display_name = display_name.strip()[:128] or None
    await session.commit()
