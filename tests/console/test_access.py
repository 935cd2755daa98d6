"""Every route of the console: who may reach it, and CSRF on every state-changing request.

The router is enumerated, so a route added later without a role declaration (or a new public
path) fails here until the expectations below say who may use it.
"""

from __future__ import annotations

import re

import pytest
from aiohttp.test_utils import TestClient

from bot.console.access import PUBLIC, ROLES_ATTR
from tests.console.conftest import add_staff, login

#: Reachable without login (the issue's list, plus the CSS/JS the login page needs).
PUBLIC_ROUTES = {
    ("GET", "/health"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("GET", "/chat"),
    ("GET", "/chat/static"),  # static folders: every file under them
    ("GET", "/assets"),
}

AGENT, TRAINER, ADMIN = "agent", "trainer", "admin"
#: Who may use each route (the API: Bearer tokens, or agents' and admins' sessions).
EXPECTED = {
    ("GET", "/"): {AGENT, TRAINER, ADMIN},
    ("POST", "/logout"): {AGENT, TRAINER, ADMIN},
    ("GET", "/account"): {AGENT, TRAINER, ADMIN},
    ("POST", "/account/password"): {AGENT, TRAINER, ADMIN},
    ("GET", "/queue"): {AGENT, ADMIN},
    ("GET", "/queue/rows"): {AGENT, ADMIN},
    ("GET", "/tickets/{number}"): {AGENT, ADMIN},
    ("GET", "/tickets/{number}/transcript"): {AGENT, ADMIN},
    **{
        ("POST", f"/tickets/{{number}}/{action}"): {AGENT, ADMIN}
        for action in ("reply", "assign", "note", "resolve", "reopen", "phone", "flag")
    },
    ("GET", "/dashboard"): {ADMIN},
    ("GET", "/dashboard.csv"): {ADMIN},
    ("GET", "/training"): {TRAINER, ADMIN},
    ("POST", "/training/inbox/{id}/intent"): {TRAINER, ADMIN},
    ("POST", "/training/inbox/{id}/emotion"): {TRAINER, ADMIN},
    ("POST", "/training/sync"): {TRAINER, ADMIN},
    ("POST", "/training/jobs/{name}"): {TRAINER, ADMIN},
    ("GET", "/training/jobs"): {TRAINER, ADMIN},
    ("GET", "/training/report"): {TRAINER, ADMIN},
    ("GET", "/training/report/confusion.png"): {TRAINER, ADMIN},
    ("GET", "/admin/users"): {ADMIN},
    ("POST", "/admin/users"): {ADMIN},
    ("POST", "/admin/users/{id}"): {ADMIN},
    ("GET", "/admin/audit"): {ADMIN},
    ("GET", "/api/tickets"): {AGENT, ADMIN},
    ("GET", "/api/tickets/{number}"): {AGENT, ADMIN},
    ("POST", "/api/tickets/{number}/resolve"): {AGENT, ADMIN},
    ("POST", "/api/tickets/{number}/reply"): {AGENT, ADMIN},
    ("GET", "/api/surveys"): {AGENT, ADMIN},
    ("GET", "/api/surveys/summary"): {AGENT, ADMIN},
}

SAMPLE = {"number": "TS20261124-0001", "id": "1", "name": "export", "filename": "console.css"}


def routes(client: TestClient) -> set[tuple[str, str]]:
    """``(method, path template)`` of every route of the app (HEAD twins left out)."""
    assert client.app is not None
    found = set()
    for route in client.app.router.routes():
        if route.method == "HEAD" or route.resource is None:
            continue
        found.add((route.method, route.resource.canonical))
    found.discard(("GET", "/api/explode"))  # added by the test fixture
    return found


def concrete(path: str) -> str:
    return re.sub(r"\{(\w+)[^}]*\}", lambda m: SAMPLE[m.group(1)], path)


def test_every_route_is_public_or_has_expectations(client: TestClient) -> None:
    assert routes(client) == PUBLIC_ROUTES | set(EXPECTED)


def test_every_page_route_declares_its_roles(client: TestClient) -> None:
    assert client.app is not None
    for route in client.app.router.routes():
        path = route.resource.canonical if route.resource else ""
        if path.startswith(("/api/", "/chat", "/assets")) or route.method == "HEAD":
            continue
        declared = getattr(route.handler, ROLES_ATTR, None)
        assert declared is not None, f"{route.method} {path} declares no roles"
        if (route.method, path) not in PUBLIC_ROUTES:
            assert declared != PUBLIC and set(declared) == EXPECTED[(route.method, path)]


async def test_nothing_but_public_routes_without_login(client: TestClient) -> None:
    for method, path in sorted(set(EXPECTED)):
        response = await client.request(method, concrete(path), allow_redirects=False)
        if path.startswith("/api/"):
            assert response.status == 401, (method, path)
        elif method == "GET":
            assert response.status == 302, (method, path)
            assert response.headers["Location"].startswith("/login?next="), (method, path)
        else:
            assert response.status == 401, (method, path)
    for method, path in [("GET", "/health"), ("GET", "/login"), ("GET", "/assets/console.css")]:
        assert (await client.request(method, path)).status == 200, path


@pytest.mark.parametrize("role", [AGENT, TRAINER, ADMIN])
async def test_roles(client: TestClient, role: str) -> None:
    await add_staff(client, f"user-{role}", role)
    token = await login(client, f"user-{role}")
    for method, path in sorted(set(EXPECTED) - {("POST", "/logout")}):
        response = await client.request(
            method,
            concrete(path),
            headers={"X-CSRF-Token": token},
            allow_redirects=False,
        )
        if role in EXPECTED[(method, path)]:
            # Allowed: whatever the sample ticket's fate (404, 409, redirect), never refused.
            assert response.status not in (401, 403), (role, method, path, response.status)
        else:
            assert response.status == 403, (role, method, path, response.status)


async def test_state_changes_need_the_csrf_token(client: TestClient) -> None:
    await add_staff(client, "boss", ADMIN)
    token = await login(client, "boss")
    unsafe = sorted(p for p in EXPECTED if p[0] == "POST")
    for method, path in unsafe:
        for headers in ({}, {"X-CSRF-Token": "forged"}):
            response = await client.request(
                method, concrete(path), headers=headers, allow_redirects=False
            )
            assert response.status == 403, (path, headers)
        # The token works as a form field too.
        response = await client.post(concrete(path), data={"_csrf": token}, allow_redirects=False)
        assert response.status != 403, path
        if path == "/logout":
            token = await login(client, "boss")


async def test_bearer_token_api_needs_no_csrf_and_no_session(
    client: TestClient, auth: dict[str, str], tickets: list[str]
) -> None:
    response = await client.post(f"/api/tickets/{tickets[0]}/resolve", headers=auth)
    assert response.status == 200
    assert (
        await client.get("/api/tickets", headers={"Authorization": "Bearer nope"})
    ).status == 401


async def test_customers_widget_page_gets_no_staff_session_cookie(client: TestClient) -> None:
    response = await client.get("/chat", headers={"Accept": "text/html"})
    assert response.status == 200
    assert "console_session" not in response.headers.get("Set-Cookie", "")
