"""Bearer tokens of the staff console API.

Only the SHA-256 of a token is stored: a leaked database does not give API access, and a
lost token is replaced, never recovered.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import ApiToken

#: Random bytes per token (43 URL-safe characters).
TOKEN_BYTES = 32


def hash_token(token: str) -> str:
    """Return the hex SHA-256 under which ``token`` is stored."""
    # surrogatepass: a header with non-UTF-8 bytes reaches us as lone surrogates (no 500).
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


async def create_token(session: AsyncSession, name: str) -> str:
    """Create and store a new API token; commits.

    Args:
        session: The session to use.
        name: Who or what the token is for (shown in listings, not secret).

    Returns:
        The token itself, which exists nowhere else afterwards.
    """
    token = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(ApiToken(name=name, token_hash=hash_token(token), revoked=False))
    await session.commit()
    return token


async def verify_token(session: AsyncSession, token: str) -> bool:
    """Tell whether ``token`` is a stored, unrevoked API token."""
    return await token_name(session, token) is not None


async def token_name(session: AsyncSession, token: str) -> str | None:
    """Return the name of the stored, unrevoked API token ``token``, or ``None``."""
    if not token:
        return None
    result = await session.execute(
        select(ApiToken.name).where(
            ApiToken.token_hash == hash_token(token), ApiToken.revoked.is_(False)
        )
    )
    return result.scalar_one_or_none()


async def revoke_tokens(session: AsyncSession, name: str) -> int:
    """Revoke every token called ``name``; commits.

    Returns:
        How many tokens were revoked.
    """
    result = await session.execute(
        update(ApiToken)
        .where(ApiToken.name == name, ApiToken.revoked.is_(False))
        .values(revoked=True)
    )
    await session.commit()
    return int(result.rowcount or 0)
