"""Logging in and out: sessions, cookie flags, rate limiting, ended sessions, redirects."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from bot.console.views_auth import MAX_FAILURES_PER_USER, safe_next
from bot.store.audit import list_audit
from bot.store.staff import find_user, update_user
from tests.console.conftest import PASSWORD, add_staff, csrf_of, login, sessions


async def _post_login(client: TestClient, username: str, password: str, **extra: str) -> object:
    token = csrf_of(await (await client.get("/login")).text())
    return await client.post(
        "/login",
        data={"_csrf": token, "username": username, "password": password, **extra},
        allow_redirects=False,
    )


async def test_login_sets_a_strict_http_only_cookie_and_goes_to_the_role_home(
    client: TestClient,
) -> None:
    await add_staff(client, "wang", "agent")
    response = await _post_login(client, "Wang", PASSWORD)  # usernames are case-insensitive
    assert response.status == 302 and response.headers["Location"] == "/queue"
    cookie = response.headers["Set-Cookie"]
    assert "console_session=" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    page = await client.get("/queue")
    assert page.status == 200 and "待处理队列" in await page.text()


async def test_trainers_start_in_the_inbox_and_next_is_followed_only_on_site(
    client: TestClient,
) -> None:
    await add_staff(client, "ann", "trainer")
    response = await _post_login(client, "ann", PASSWORD)
    assert response.headers["Location"] == "/training"
    await client.post(
        "/logout", data={"_csrf": csrf_of(await (await client.get("/account")).text())}
    )
    response = await _post_login(client, "ann", PASSWORD, next="/training/report")
    assert response.headers["Location"] == "/training/report"
    for evil in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        assert safe_next(evil) is None


async def test_wrong_password_is_refused_in_chinese_and_audited(client: TestClient) -> None:
    await add_staff(client, "wang", "agent")
    response = await _post_login(client, "wang", "wrong-password")
    assert response.status == 401
    assert "用户名或密码不正确" in await response.text()
    assert (await client.get("/queue", allow_redirects=False)).status == 302
    async with sessions(client)() as session:
        failures = await list_audit(session, action="login_failed")
    assert [(f.target, f.actor) for f in failures] == [("wang", "anonymous")]


async def test_login_needs_the_form_csrf_token(client: TestClient) -> None:
    await add_staff(client, "wang", "agent")
    await client.get("/login")
    response = await client.post(
        "/login",
        data={"_csrf": "forged", "username": "wang", "password": PASSWORD},
        allow_redirects=False,
    )
    assert response.status == 403 and "页面已过期" in await response.text()


async def test_too_many_failures_block_even_the_right_password(client: TestClient) -> None:
    await add_staff(client, "wang", "agent")
    for _ in range(MAX_FAILURES_PER_USER):
        assert (await _post_login(client, "wang", "guess")).status == 401
    blocked = await _post_login(client, "wang", PASSWORD)
    assert blocked.status == 429
    assert blocked.headers["Retry-After"] == "900"
    assert "登录失败次数过多" in await blocked.text()
    # Another account from the same address is not locked out by wang's failures.
    await add_staff(client, "li", "agent")
    assert (await _post_login(client, "li", PASSWORD)).status == 302


async def test_logout_ends_the_session(client: TestClient) -> None:
    await add_staff(client, "wang", "agent")
    token = await login(client, "wang")
    response = await client.post("/logout", data={"_csrf": token}, allow_redirects=False)
    assert response.headers["Location"] == "/login"
    assert (await client.get("/queue", allow_redirects=False)).status == 302


async def test_deactivating_an_account_ends_its_sessions_at_once(client: TestClient) -> None:
    await add_staff(client, "wang", "agent")
    await login(client, "wang")
    async with sessions(client)() as session:
        user = await find_user(session, "wang")
        assert user is not None
        await update_user(session, user, active=False)
    assert (await client.get("/queue", allow_redirects=False)).status == 302
    assert (await _post_login(client, "wang", PASSWORD)).status == 401


async def test_changing_the_password_keeps_this_session_and_needs_the_old_one(
    client: TestClient,
) -> None:
    await add_staff(client, "wang", "agent")
    token = await login(client, "wang")
    wrong = await client.post(
        "/account/password",
        data={
            "_csrf": token,
            "current": "nope-nope",
            "new": "new-pass-22",
            "confirm": "new-pass-22",
        },
    )
    assert "当前密码不正确" in await wrong.text()
    short = await client.post(
        "/account/password",
        data={"_csrf": token, "current": PASSWORD, "new": "short", "confirm": "short"},
    )
    assert "至少需要 8 个字符" in await short.text()
    done = await client.post(
        "/account/password",
        data={"_csrf": token, "current": PASSWORD, "new": "new-pass-22", "confirm": "new-pass-22"},
    )
    assert "密码已修改" in await done.text()
    assert (await client.get("/queue")).status == 200
    client.session.cookie_jar.clear()
    assert (await _post_login(client, "wang", PASSWORD)).status == 401
    assert (await _post_login(client, "wang", "new-pass-22")).status == 302


async def test_error_pages_are_chinese_html_for_browsers(client: TestClient) -> None:
    await add_staff(client, "ann", "trainer")
    await login(client, "ann")
    html = {"Accept": "text/html"}
    forbidden = await client.get("/queue", headers=html)
    assert forbidden.status == 403 and "没有权限" in await forbidden.text()
    missing = await client.get("/nowhere", headers=html)
    assert missing.status == 404 and "找不到" in await missing.text()
