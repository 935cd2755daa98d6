"""Rasa's calls to the action server over kept-alive connections.

``EndpointConfig.request`` opens ``async with self.session()``: a new aiohttp ``ClientSession``
— a new connection pool, so a new TCP connection to the action server, and its teardown — for
every custom-action call. A complaint-form turn makes two such calls (validation, question);
connecting was about a tenth of the Rasa process's cost of calling the action server, and the
action server paid again for accepting and closing.

Here ``EndpointConfig.session()`` hands out one session per endpoint and event loop, wrapped so
that Rasa's ``async with`` leaves it open: the request code stays Rasa's own (headers, token,
timeout, errors), only the connections are reused. Idle connections are dropped after
``KEEPALIVE_S``, well before the action server's own keep-alive timeout (Sanic's default, 5 s),
so Rasa never sends on a connection the server is closing. A restarted or killed action server
closes its connections; aiohttp notices and connects afresh, so the outage handling in
``bot/rasa_outage.py`` sees the same errors as before.

Installed by :func:`bot.rasa_fixes.apply` in the Rasa server process.
"""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Any

import aiohttp

#: Seconds an idle connection is kept (Sanic closes idle ones after 5 s).
KEEPALIVE_S = 2.0
#: Attribute on an ``EndpointConfig``: (event loop, its session).
_SHARED = "_complaint_bot_shared_session"


class _KeptOpen:
    """``async with`` over a shared session that does not close it on exit."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self._session

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        return None


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def shared_session(endpoint: Any, create: Any, loop: asyncio.AbstractEventLoop) -> _KeptOpen:
    """The session ``create(endpoint)`` made for ``endpoint`` on ``loop``, kept open."""
    kept = endpoint.__dict__.get(_SHARED)
    if kept is None or kept[0] is not loop or kept[1].closed:
        kept = (loop, create(endpoint))
        setattr(endpoint, _SHARED, kept)
    return _KeptOpen(kept[1])


async def close_shared_session(endpoint: Any) -> None:
    """Close and forget ``endpoint``'s shared session (a server closes it with its process)."""
    kept = endpoint.__dict__.pop(_SHARED, None)
    if kept is not None and not kept[1].closed:
        await kept[1].close()


def _keeping_connections(original: Any) -> Any:
    def create(endpoint: Any) -> aiohttp.ClientSession:
        plain = original(endpoint)
        # Rasa's own session, on a connector that keeps idle connections for KEEPALIVE_S.
        session = aiohttp.ClientSession(
            headers=plain.headers,
            auth=plain.auth,
            timeout=plain.timeout,
            connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_S),
        )
        plain.detach()  # it never connected: dropped without an "unclosed session" warning
        return session

    def session(self: Any) -> Any:
        loop = _running_loop()
        if loop is None:  # nothing to reuse outside a loop: Rasa's own session
            return original(self)
        return shared_session(self, create, loop)

    return session


def apply() -> None:
    """Install the kept-alive sessions (once per process)."""
    from rasa.utils.endpoints import EndpointConfig

    from bot.rasa_patch import patch_method

    patch_method(EndpointConfig, "session", _keeping_connections)
