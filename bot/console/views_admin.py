"""Admin views: staff accounts and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from bot.console.access import ADMIN_ROLES, current_staff, roles
from bot.console.pages import audit, flash
from bot.console.state import SESSIONMAKER
from bot.store.audit import list_audit
from bot.store.models import STAFF_ROLES
from bot.store.staff import StaffError, create_user, get_user, list_users, set_password, update_user

AUDIT_PAGE = 100

STAFF_ERRORS = {
    "username": "用户名只能用小写字母、数字和 . _ -，2–64 个字符，以字母或数字开头。",
    "duplicate": "这个用户名已经有人用了。",
    "role": "未知的角色。",
    "password_short": "密码至少需要 8 个字符。",
    "password_long": "密码太长了（最多 256 个字符）。",
}


async def _form(request: web.Request) -> dict[str, str]:
    form = await request.post()
    return {k: v.strip() if k != "password" else v for k, v in form.items() if isinstance(v, str)}


@roles(*ADMIN_ROLES)
@aiohttp_jinja2.template("users.html")
async def users_page(request: web.Request) -> dict[str, Any]:
    """``GET /admin/users``."""
    async with request.app[SESSIONMAKER]() as db:
        users = await list_users(db)
    return {"users": users, "roles": STAFF_ROLES}


@roles(*ADMIN_ROLES)
async def create(request: web.Request) -> web.StreamResponse:
    """``POST /admin/users``: username, display_name, role, password."""
    form = await _form(request)
    async with request.app[SESSIONMAKER]() as db:
        try:
            user = await create_user(
                db,
                form.get("username", ""),
                form.get("password", ""),
                form.get("role", ""),
                form.get("display_name"),
            )
        except StaffError as error:
            await flash(request, STAFF_ERRORS.get(error.code, str(error)), "error")
            raise web.HTTPFound("/admin/users") from None
    await audit(request, "user_create", user.username, f"role={user.role}")
    await flash(request, f"账号 {user.username} 已创建。")
    raise web.HTTPFound("/admin/users")


@roles(*ADMIN_ROLES)
async def update(request: web.Request) -> web.StreamResponse:
    """``POST /admin/users/{id}``: role, active (``1``/``0``), or a new password."""
    try:
        user_id = int(request.match_info["id"])
    except ValueError:
        raise web.HTTPNotFound() from None
    form = await _form(request)
    me = await current_staff(request)
    assert me is not None
    async with request.app[SESSIONMAKER]() as db:
        user = await get_user(db, user_id)
        if user is None:
            raise web.HTTPNotFound()
        if user.id == me.id and (form.get("active") == "0" or form.get("role", "admin") != "admin"):
            await flash(request, "不能停用自己的账号或取消自己的管理员角色。", "error")
            raise web.HTTPFound("/admin/users")
        changes = []
        try:
            if form.get("password"):
                await set_password(db, user, form["password"])
                changes.append("password reset")
            role = form.get("role") or None
            active = {"1": True, "0": False}.get(form.get("active", ""))
            await update_user(db, user, role=role, active=active)
        except StaffError as error:
            await flash(request, STAFF_ERRORS.get(error.code, str(error)), "error")
            raise web.HTTPFound("/admin/users") from None
        changes += [f"role={user.role}", f"active={user.active}"]
    await audit(request, "user_update", user.username, ", ".join(changes))
    await flash(request, f"账号 {user.username} 已更新。")
    raise web.HTTPFound("/admin/users")


@roles(*ADMIN_ROLES)
@aiohttp_jinja2.template("audit.html")
async def audit_page(request: web.Request) -> dict[str, Any]:
    """``GET /admin/audit?actor=&action=&target=&before=``: newest first."""
    query = request.query
    before = None
    if query.get("before"):
        try:
            before = datetime.fromisoformat(query["before"])
        except ValueError:
            raise web.HTTPBadRequest() from None
    async with request.app[SESSIONMAKER]() as db:
        entries = await list_audit(
            db,
            actor=query.get("actor") or None,
            action=query.get("action") or None,
            target=query.get("target") or None,
            before=before,
            limit=AUDIT_PAGE,
        )
    await audit(request, "view_audit")
    filters = {k: query.get(k, "") for k in ("actor", "action", "target")}
    return {
        "entries": entries,
        "filters": filters,
        "next_before": entries[-1].at.isoformat() if len(entries) == AUDIT_PAGE else None,
    }


def setup_routes(app: web.Application) -> None:
    """Register the routes of this module."""
    app.router.add_get("/admin/users", users_page)
    app.router.add_post("/admin/users", create)
    app.router.add_post("/admin/users/{id}", update)
    app.router.add_get("/admin/audit", audit_page)
