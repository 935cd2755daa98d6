"""Server-rendered pages of the console: templates, sessions, flashes, HTML errors, audit.

Templates are Jinja2 with autoescaping on for every file, so customer text (which may be
HTML) is always shown as text. CSS and JS are served from ``bot/console/static`` under
``/assets/``: nothing is loaded from another host.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web
from aiohttp_session import get_session, session_middleware
from aiohttp_session.cookie_storage import EncryptedCookieStorage
from cryptography.fernet import Fernet

from bot.console import labels
from bot.console.access import SESSION_MAX_AGE_S, csrf_token, current_staff, is_public_path
from bot.console.auth import API_PREFIX
from bot.console.errors import Handler
from bot.console.state import SESSIONMAKER
from bot.settings import Settings, console_secret, console_secure_cookies
from bot.store.audit import record
from bot.store.tickets import NUMBER_TIMEZONE

logger = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent
STATIC_DIR = PACKAGE_DIR / "static"
SESSION_COOKIE = "console_session"

#: What staff read for each error status.
ERROR_TEXT = {
    400: "请求的内容不完整或格式不对。",
    401: "请先登录。",
    403: "您的账号没有权限进行这个操作。",
    404: "找不到这个页面或工单。",
    405: "不支持这个操作。",
    413: "提交的内容太长了。",
    429: "尝试太频繁，请稍后再试。",
    500: "服务器出错了，请稍后再试；问题已记录在日志里。",
}


def local_time(moment: datetime | None, fmt: str = "%m-%d %H:%M") -> str:
    """Format a UTC time in China time for display (empty for ``None``)."""
    return moment.astimezone(NUMBER_TIMEZONE).strftime(fmt) if moment else ""


def percent(value: float | None) -> str:
    """``0.8234`` → ``82%``; ``None`` → ``—``."""
    return "—" if value is None else f"{value * 100:.0f}%"


async def _context(request: web.Request) -> dict[str, Any]:
    session = await get_session(request)

    def flashes() -> list[dict[str, str]]:
        # Popped only by a page that shows them, never by a polled fragment.
        return list(session.pop("flash", []))

    return {
        "request": request,
        "staff": await current_staff(request),
        "csrf_token": csrf_token(session),
        "flashes": flashes,
    }


def setup_pages(app: web.Application, settings: Settings) -> None:
    """Install the template engine and the static assets on ``app``."""
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(str(PACKAGE_DIR / "templates")),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(local_time=local_time, percent=percent)
    # A global (not a context value) so that imported macros see it too.
    env.globals["L"] = labels
    app.router.add_static("/assets/", STATIC_DIR, name="assets")


def session_storage(settings: Settings) -> web.middleware:  # type: ignore[valid-type]
    """The session middleware: encrypted, signed cookie; HttpOnly; SameSite=Strict."""
    storage = EncryptedCookieStorage(
        Fernet(console_secret(settings).encode("ascii")),
        cookie_name=SESSION_COOKIE,
        max_age=SESSION_MAX_AGE_S,
        httponly=True,
        samesite="Strict",
        secure=console_secure_cookies(),
    )
    return session_middleware(storage)


async def flash(request: web.Request, text: str, kind: str = "ok") -> None:
    """Show ``text`` once on the next page (``kind``: ``ok``, ``warn``, ``error``)."""
    session = await get_session(request)
    session["flash"] = [*session.get("flash", []), {"kind": kind, "text": text}]


async def audit(
    request: web.Request, action: str, target: str | None = None, detail: str | None = None
) -> None:
    """Record who (the request's staff member or API token) did ``action`` to ``target``."""
    from bot.console.access import STAFF
    from bot.console.auth import ACTOR

    staff = request.get(STAFF)
    actor = staff.actor if staff is not None else request.get(ACTOR, "anonymous")
    async with request.app[SESSIONMAKER]() as db:
        await record(db, actor, action, target, detail, request.remote)


def _wants_html(request: web.Request) -> bool:
    # Browsers ask for text/html; API clients and scripts (Accept: */* or JSON) keep getting
    # the JSON errors of bot.console.errors.
    return not request.path.startswith(API_PREFIX) and "text/html" in request.headers.get(
        "Accept", ""
    )


def error_page(request: web.Request, status: int, text: str | None = None) -> web.Response:
    """An HTML error page in Chinese."""
    if aiohttp_jinja2.REQUEST_CONTEXT_KEY not in request:
        request[aiohttp_jinja2.REQUEST_CONTEXT_KEY] = {
            "staff": None,
            "csrf_token": "",
            "flashes": list,
            "request": request,
        }
    response = aiohttp_jinja2.render_template(
        "error.html",
        request,
        {"status": status, "message": text or ERROR_TEXT.get(status, ERROR_TEXT[400])},
        status=status,
    )
    return response


@web.middleware
async def page_error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer errors on pages with an HTML page (the JSON API keeps its JSON errors)."""
    if request.path.startswith(API_PREFIX) or (
        is_public_path(request.path) and request.path != "/login"
    ):
        # The API, customers' widget page and static files: no staff session, no cookie.
        return await handler(request)
    # The template context (who is logged in, the CSRF token) is set up before any check
    # runs, so that error pages raised by the checks render with it too.
    request[aiohttp_jinja2.REQUEST_CONTEXT_KEY] = await _context(request)
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400 or not _wants_html(request):
            raise
        headers = {k: v for k, v in exc.headers.items() if k.lower() == "retry-after"}
        response = error_page(request, exc.status, ERROR_TEXT.get(exc.status))
        response.headers.update(headers)
        return response
    except UnicodeDecodeError:  # a form body that is not UTF-8 (see errors.error_middleware)
        if not _wants_html(request):
            raise
        return error_page(request, 400)
    except Exception:
        if not _wants_html(request):
            raise
        logger.exception("unhandled error in %s %s", request.method, request.path)
        return error_page(request, 500)
