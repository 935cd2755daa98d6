"""Console API tokens: only hashes stored, verification, revocation."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import ApiToken
from bot.store.tokens import create_token, hash_token, revoke_tokens, verify_token


async def test_created_token_verifies(session: AsyncSession) -> None:
    token = await create_token(session, "ci")
    assert len(token) >= 40
    assert await verify_token(session, token)
    assert not await verify_token(session, token + "x")
    assert not await verify_token(session, "")


async def test_only_the_hash_is_stored(session: AsyncSession) -> None:
    token = await create_token(session, "ci")
    stored = (await session.execute(select(ApiToken))).scalar_one()
    assert stored.token_hash == hash_token(token) != token
    assert stored.name == "ci" and stored.revoked is False


async def test_revoked_token_fails(session: AsyncSession) -> None:
    token = await create_token(session, "old")
    other = await create_token(session, "new")
    assert await revoke_tokens(session, "old") == 1
    assert not await verify_token(session, token)
    assert await verify_token(session, other)
