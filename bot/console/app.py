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

from bot.console import (
    api,
    lifecycle_api,
    views_actions,
    views_admin,
    views_auth,
    views_dashboard,
    views_queue,
    views_training,
    widget,
)
from bot.console.access import public, security_middleware
from bot.console.auth import auth_middleware
from bot.console.errors import error_middleware
from bot.console.pages import page_error_middleware, session_storage, setup_pages
from bot.console.rasa_client import RasaClient
from bot.console.state import ENGINE, RASA, SESSIONMAKER, SETTINGS, TRACKER, TRAINER
from bot.console.training import TrainerConfig, TrainerJobs
from bot.settings import Settings, get_settings
from bot.store.db import make_sessionmaker, pooled_engine
from bot.store.migrate import upgrade

__all__ = ["ENGINE", "RASA", "SESSIONMAKER", "SETTINGS", "init_app"]


async def database_ctx(app: web.Application) -> AsyncIterator[None]:
    """Migrate the tickets database, open the engine for the app's lifetime, then dispose it."""
    url = app[SETTINGS].database_url
    # Alembic is synchronous: keep it off the event loop.
    await asyncio.get_running_loop().run_in_executor(None, upgrade, url)
    engine = pooled_engine(url)
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


async def tracker_ctx(app: web.Application) -> AsyncIterator[None]:
    """Open Rasa's tracker store (read-only: transcripts, trainer inbox) for the app's life."""
    engine = pooled_engine(app[SETTINGS].tracker_db_url)
    app[TRACKER] = engine
    try:
        yield
    finally:
        await engine.dispose()


async def trainer_ctx(app: web.Application) -> AsyncIterator[None]:
    """Trainer jobs (export, retrain); running ones are stopped with the console."""
    if TRAINER not in app:
        app[TRAINER] = TrainerJobs(TrainerConfig.from_settings(app[SETTINGS]))
    try:
        yield
    finally:
        await app[TRAINER].stop_all()


@public
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
    settings = settings or get_settings()
    # error_middleware comes first so that it also catches failures in the others; pages get
    # HTML errors inside the session; access checks run before the API's token check.
    app = web.Application(
        middlewares=[
            error_middleware,
            session_storage(settings),
            page_error_middleware,
            security_middleware,
            auth_middleware,
        ]
    )
    app[SETTINGS] = settings
    app.cleanup_ctx.append(database_ctx)
    app.cleanup_ctx.append(tracker_ctx)
    app.cleanup_ctx.append(rasa_ctx)
    app.cleanup_ctx.append(trainer_ctx)
    setup_pages(app, settings)
    app.router.add_get("/health", health)
    api.setup_routes(app)
    lifecycle_api.setup_routes(app)
    for views in (
        views_auth, views_queue, views_actions, views_dashboard, views_training, views_admin,
    ):  # fmt: skip
        views.setup_routes(app)
    widget.setup_routes(app)
    return app
