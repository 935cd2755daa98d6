"""The staff console's aiohttp application.

``init_app`` builds the app; the database is migrated and connected when the app starts and
disconnected when it stops (``cleanup_ctx``), so tests and ``python -m bot.console`` share
one code path.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

from bot.console import api, lifecycle_api, widget
from bot.console.auth import auth_middleware
from bot.console.errors import error_middleware
from bot.console.rasa_client import RasaClient
from bot.console.state import ENGINE, RASA, SESSIONMAKER, SETTINGS
from bot.settings import Settings, get_settings
from bot.store.db import make_engine, make_sessionmaker
from bot.store.migrate import upgrade

__all__ = ["ENGINE", "RASA", "SESSIONMAKER", "SETTINGS", "init_app"]


async def database_ctx(app: web.Application) -> AsyncIterator[None]:
    """Migrate the tickets database, open the engine for the app's lifetime, then dispose it."""
    url = app[SETTINGS].database_url
    # Alembic is synchronous: keep it off the event loop.
    await asyncio.get_running_loop().run_in_executor(None, upgrade, url)
    engine = make_engine(url)
    app[ENGINE] = engine
    app[SESSIONMAKER] = make_sessionmaker(engine)
    try:
        yield
    finally:
        await engine.dispose()


async def rasa_ctx(app: web.Application) -> AsyncIterator[None]:
    """Open the HTTP session the console talks to Rasa with; close it on shutdown."""
    settings = app[SETTINGS]
    async with aiohttp.ClientSession() as http:
        app[RASA] = RasaClient(settings.rasa_url, settings.rasa_token(), http)
        yield


async def health(_request: web.Request) -> web.Response:
    """``GET /health``: liveness probe, no authentication."""
    return web.json_response({"status": "ok"})


def init_app(settings: Settings | None = None) -> web.Application:
    """Build the console application.

    Args:
        settings: Settings to use; defaults to ``get_settings()``.

    Returns:
        The application, ready for ``web.run_app`` or a test server.
    """
    # error_middleware comes first so that it also catches failures in auth_middleware.
    app = web.Application(middlewares=[error_middleware, auth_middleware])
    app[SETTINGS] = settings or get_settings()
    app.cleanup_ctx.append(database_ctx)
    app.cleanup_ctx.append(rasa_ctx)
    app.router.add_get("/health", health)
    api.setup_routes(app)
    lifecycle_api.setup_routes(app)
    widget.setup_routes(app)
    return app
