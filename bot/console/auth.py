"""Bearer-token authentication of the console's JSON API."""

from __future__ import annotations

from aiohttp import web

from bot.console.errors import Handler, json_error
from bot.console.state import SESSIONMAKER
from bot.store.tokens import token_name

#: Paths under this prefix need ``Authorization: Bearer <token>``.
API_PREFIX = "/api/"

#: Request key holding who is calling, for ticket event logs (``api:<token name>``).
ACTOR = "actor"

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="console"'}


def bearer_token(request: web.Request) -> str | None:
    """Return the token of a ``Authorization: Bearer <token>`` header, or ``None``."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Reject API requests without a valid, unrevoked token with a JSON 401."""
    # Pages, and API calls a logged-in staff session already vouched for (bot.console.access).
    if not request.path.startswith(API_PREFIX) or ACTOR in request:
        return await handler(request)
    token = bearer_token(request)
    if token is None:
        return json_error(401, "missing bearer token", _CHALLENGE)
    async with request.app[SESSIONMAKER]() as session:
        name = await token_name(session, token)
    if name is None:
        return json_error(401, "invalid or revoked token", _CHALLENGE)
    request[ACTOR] = f"api:{name}"
    return await handler(request)
