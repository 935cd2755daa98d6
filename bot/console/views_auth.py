"""Login, logout, the start page and the staff member's own password.

Logins are rate limited per username and per client address, counted from the audit log's
``login_failed`` rows (so every console process sees the same counts). While a limit is hit
even the right password is refused: otherwise guessing would simply go on.
"""

from __future__ import annotations

import hmac
from datetime import timedelta

import aiohttp_jinja2
from aiohttp import web
from aiohttp_session import get_session, new_session

from bot.console.access import (
    ANY_ROLE,
    CSRF_FIELD,
    current_staff,
    public,
    roles,
    start_session,
)
from bot.console.pages import audit, flash
from bot.console.state import SESSIONMAKER
from bot.store.audit import LOGIN_FAILED, recent_failures, record
from bot.store.staff import (
    StaffError,
    authenticate,
    get_user,
    normalise_username,
    set_password,
    verify_password,
)

#: Failed logins allowed per username and per address within ``LOGIN_WINDOW``.
MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_IP = 20
LOGIN_WINDOW = timedelta(minutes=15)

PASSWORD_ERRORS = {
    "password_short": "新密码至少需要 8 个字符。",
    "password_long": "新密码太长了（最多 256 个字符）。",
}


def home_of(role: str) -> str:
    """The first page of a role."""
    return "/training" if role == "trainer" else "/queue"


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site (no open redirects), else ``None``."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def _login_page(
    request: web.Request, error: str | None = None, status: int = 200, username: str = ""
) -> web.Response:
    context = {"error": error, "next": safe_next(request.query.get("next")), "username": username}
    return aiohttp_jinja2.render_template("login.html", request, context, status=status)


@public
async def login_form(request: web.Request) -> web.StreamResponse:
    """``GET /login``."""
    staff = await current_staff(request)
    if staff is not None:
        raise web.HTTPFound(home_of(staff.role))
    return _login_page(request)


@public
async def login(request: web.Request) -> web.StreamResponse:
    """``POST /login``: check the CSRF token, the rate limit, then the credentials."""
    form = await request.post()
    session = await get_session(request)
    username = normalise_username(str(form.get("username", "")))[:64]
    password = str(form.get("password", ""))
    expected = session.get("csrf")
    given = str(form.get(CSRF_FIELD, ""))
    # As bytes: compare_digest raises TypeError on non-ASCII str (a forged form may carry it).
    given_bytes = given.encode("utf-8", "surrogatepass")
    if not isinstance(expected, str) or not hmac.compare_digest(given_bytes, expected.encode()):
        return _login_page(request, "页面已过期，请重新输入用户名和密码。", 403, username)
    if not username or not password:
        return _login_page(request, "请输入用户名和密码。", 400, username)
    async with request.app[SESSIONMAKER]() as db:
        failures = await recent_failures(db, username, request.remote, LOGIN_WINDOW)
        if failures.by_username >= MAX_FAILURES_PER_USER or failures.by_ip >= MAX_FAILURES_PER_IP:
            await record(db, "anonymous", "login_blocked", username, None, request.remote)
            response = _login_page(
                request, "登录失败次数过多，请 15 分钟后再试，或联系管理员。", 429, username
            )
            response.headers["Retry-After"] = str(int(LOGIN_WINDOW.total_seconds()))
            return response
        user = await authenticate(db, username, password)
        if user is None:
            await record(db, "anonymous", LOGIN_FAILED, username, None, request.remote)
            return _login_page(request, "用户名或密码不正确。", 401, username)
        await record(db, f"staff:{user.username}", "login", user.username, None, request.remote)
    fresh = await new_session(request)
    start_session(fresh, user)
    target = safe_next(str(form.get("next", ""))) or home_of(user.role)
    raise web.HTTPFound(target)


@roles(*ANY_ROLE)
async def logout(request: web.Request) -> web.StreamResponse:
    """``POST /logout``."""
    await audit(request, "logout")
    session = await get_session(request)
    session.invalidate()
    raise web.HTTPFound("/login")


@roles(*ANY_ROLE)
async def home(request: web.Request) -> web.StreamResponse:
    """``GET /``: the role's first page."""
    staff = await current_staff(request)
    assert staff is not None
    raise web.HTTPFound(home_of(staff.role))


@roles(*ANY_ROLE)
@aiohttp_jinja2.template("account.html")
async def account(request: web.Request) -> dict[str, object]:
    """``GET /account``: the staff member's own account."""
    return {}


@roles(*ANY_ROLE)
async def change_password(request: web.Request) -> web.StreamResponse:
    """``POST /account/password``: current password, new password twice."""
    staff = await current_staff(request)
    assert staff is not None
    form = await request.post()
    current, new = str(form.get("current", "")), str(form.get("new", ""))
    if new != str(form.get("confirm", "")):
        await flash(request, "两次输入的新密码不一致。", "error")
        raise web.HTTPFound("/account")
    async with request.app[SESSIONMAKER]() as db:
        user = await get_user(db, staff.id)
        assert user is not None
        if not verify_password(user.password_hash, current):
            await flash(request, "当前密码不正确。", "error")
            raise web.HTTPFound("/account")
        try:
            await set_password(db, user, new)
        except StaffError as error:
            await flash(request, PASSWORD_ERRORS.get(error.code, str(error)), "error")
            raise web.HTTPFound("/account") from None
    await audit(request, "password_change", staff.username)
    # The old session carried the old password's fingerprint: open a new one.
    start_session(await new_session(request), user)
    await flash(request, "密码已修改。")
    raise web.HTTPFound("/account")


def setup_routes(app: web.Application) -> None:
    """Register the routes of this module."""
    app.router.add_get("/login", login_form)
    app.router.add_post("/login", login)
    app.router.add_post("/logout", logout)
    app.router.add_get("/", home)
    app.router.add_get("/account", account)
    app.router.add_post("/account/password", change_password)
