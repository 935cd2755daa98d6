"""Who may reach which console route: staff sessions, roles, CSRF, public paths.

Every route declares its roles with ``@roles(...)`` (or ``@public``); a route that declares
nothing is refused to everyone, so a forgotten declaration fails closed. Pages need a logged-in
staff session; ``/api/*`` takes either the Bearer token (``bot.console.auth``) or a staff
session. Every state-changing request made with a session must carry the session's CSRF token
(form field ``_csrf`` or header ``X-CSRF-Token``); Bearer-token calls carry no cookies and need
none.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote

from aiohttp import web
from aiohttp_session import Session, get_session

from bot.console.auth import ACTOR, API_PREFIX
from bot.console.errors import Handler, json_error
from bot.console.state import SESSIONMAKER
from bot.store.audit import record
from bot.store.staff import get_user, password_fingerprint

H = TypeVar("H", bound=Callable[..., Any])

#: Attribute of a route handler naming the roles allowed to use it.
ROLES_ATTR = "console_roles"
PUBLIC = "public"

AGENT_ROLES = ("agent", "admin")
TRAINER_ROLES = ("trainer", "admin")
ADMIN_ROLES = ("admin",)
ANY_ROLE = ("agent", "trainer", "admin")
#: Staff sessions may call the JSON ticket API with these roles.
API_ROLES = AGENT_ROLES

#: Reachable without logging in: the health probe, the login page, the customers' web chat
#: widget page and its assets (issue 6), and the console's own CSS/JS (needed by /login).
PUBLIC_PATHS = frozenset({"/health", "/login", "/chat"})
PUBLIC_PREFIXES = ("/assets/", "/chat/", "/widget/")

#: Request key of the logged-in ``Staff``.
STAFF = "staff"
CSRF_FIELD = "_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

#: A login lasts at most this long, however active the user is.
SESSION_MAX_AGE_S = 12 * 3600


@dataclass(frozen=True)
class Staff:
    """The logged-in staff member of a request."""

    id: int
    username: str
    display_name: str
    role: str

    @property
    def actor(self) -> str:
        """How the ticket event log and the audit log name this person."""
        return f"staff:{self.username}"


def roles(*allowed: str) -> Callable[[H], H]:
    """Declare which roles may use a route handler."""

    def mark(handler: H) -> H:
        setattr(handler, ROLES_ATTR, frozenset(allowed))
        return handler

    return mark


def public(handler: H) -> H:
    """Declare a route handler reachable without logging in."""
    setattr(handler, ROLES_ATTR, PUBLIC)
    return handler


def is_public_path(path: str) -> bool:
    """Tell whether ``path`` is served without login (see ``PUBLIC_PATHS``)."""
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def csrf_token(session: Session) -> str:
    """The session's CSRF token, created on first use."""
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


async def csrf_ok(request: web.Request, session: Session) -> bool:
    """Tell whether an unsafe request carries the session's CSRF token."""
    expected = session.get("csrf")
    if not isinstance(expected, str):
        return False
    given = request.headers.get(CSRF_HEADER, "")
    if not given and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        form = await request.post()
        value = form.get(CSRF_FIELD)
        given = value if isinstance(value, str) else ""
    # surrogatepass: aiohttp decodes non-UTF-8 bytes of a header to lone surrogates.
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), expected.encode())


def start_session(session: Session, user: Any) -> None:
    """Fill a fresh session for ``user`` after a successful login."""
    session["uid"] = user.id
    session["pw"] = password_fingerprint(user)
    session["at"] = int(time.time())
    session["csrf"] = secrets.token_urlsafe(32)


async def current_staff(request: web.Request) -> Staff | None:
    """The staff member logged in on ``request``, or ``None``.

    The account is re-read on every request: deactivating it or changing its password ends
    its sessions at once.
    """
    if STAFF in request:
        return request[STAFF]  # type: ignore[no-any-return]
    session = await get_session(request)
    uid = session.get("uid")
    if not isinstance(uid, int):
        return None
    started = session.get("at")
    if not isinstance(started, int) or time.time() - started > SESSION_MAX_AGE_S:
        session.invalidate()
        return None
    async with request.app[SESSIONMAKER]() as db:
        user = await get_user(db, uid)
    if user is None or not user.active or password_fingerprint(user) != session.get("pw"):
        session.invalidate()
        return None
    staff = Staff(user.id, user.username, user.display_name or user.username, user.role)
    request[STAFF] = staff
    return staff


def route_roles(request: web.Request) -> Any:
    """The roles declared by the handler of the route ``request`` matched (``None``: none)."""
    return getattr(request.match_info.handler, ROLES_ATTR, None)


async def _api(request: web.Request, handler: Handler) -> web.StreamResponse:
    # A Bearer token goes to auth_middleware as before; otherwise a staff session may call.
    if "Authorization" in request.headers:
        return await handler(request)
    staff = await current_staff(request)
    if staff is None:
        return await handler(request)  # auth_middleware answers 401
    if staff.role not in API_ROLES:
        return json_error(403, "your role may not use the ticket API")
    if request.method not in SAFE_METHODS and not await csrf_ok(
        request, await get_session(request)
    ):
        return json_error(403, "missing or invalid CSRF token")
    request[ACTOR] = staff.actor
    return await handler(request)


async def _audited_api(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Run an API call; log successful ones (who read or changed which ticket) for audit."""
    response = await _api(request, handler)
    if response.status < 400 and ACTOR in request:
        detail = f"{request.method} {request.path}"
        async with request.app[SESSIONMAKER]() as db:
            await record(
                db,
                request[ACTOR],
                "api_call",
                request.match_info.get("number"),
                detail,
                request.remote,
            )
    return response


@web.middleware
async def security_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Enforce login, roles and CSRF on every route that is not public."""
    if request.path.startswith(API_PREFIX):
        return await _audited_api(request, handler)
    declared = route_roles(request)
    if declared == PUBLIC or (declared is None and is_public_path(request.path)):
        return await handler(request)
    if request.match_info.http_exception is not None:
        raise request.match_info.http_exception  # 404 / 405: nothing to protect
    staff = await current_staff(request)
    if staff is None:
        if request.method in SAFE_METHODS:
            target = quote(request.path_qs, safe="/?=&")
            raise web.HTTPFound(f"/login?next={target}")
        raise web.HTTPUnauthorized()
    if not declared or staff.role not in declared:
        raise web.HTTPForbidden()
    if request.method not in SAFE_METHODS and not await csrf_ok(
        request, await get_session(request)
    ):
        raise web.HTTPForbidden(reason="CSRF")
    return await handler(request)
