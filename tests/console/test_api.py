"""Console JSON API: authentication, ticket list and detail, error shapes."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.console.app import init_app
from bot.settings import get_settings
from bot.store.tokens import create_token
from tests.console.conftest import DAY, sessions


async def test_health_needs_no_token(client: TestClient) -> None:
    response = await client.get("/health")
    assert response.status == 200
    assert await response.json() == {"status": "ok"}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer "},
    ],
)
async def test_api_rejects_missing_or_wrong_token(
    client: TestClient, token: str, headers: dict[str, str]
) -> None:
    for path in ("/api/tickets", "/api/tickets/TS20261124-0001"):
        response = await client.get(path, headers=headers)
        assert response.status == 401
        assert "error" in await response.json()
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


async def test_list_tickets(client: TestClient, auth: dict, tickets: list[str]) -> None:
    response = await client.get("/api/tickets", headers=auth)
    assert response.status == 200
    body = await response.json()
    assert body["total"] == 3
    assert [t["number"] for t in body["tickets"]] == list(reversed(tickets))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("sender_id=alice", [1, 0]),
        ("category=complain_delivery", [2, 0]),
        ("sender_id=alice&category=complain_delivery", [0]),
        ("status=open", [2, 1, 0]),
        ("status=resolved", []),
        ("sender_id=&status=&category=", [2, 1, 0]),
        ("limit=1", [2]),
        ("limit=2&offset=1", [1, 0]),
    ],
)
async def test_list_filters(
    client: TestClient, auth: dict, tickets: list[str], query: str, expected: list[int]
) -> None:
    response = await client.get(f"/api/tickets?{query}", headers=auth)
    assert response.status == 200
    body = await response.json()
    assert [t["number"] for t in body["tickets"]] == [tickets[i] for i in expected]
    if "limit" not in query:
        assert body["total"] == len(expected)


async def test_detail_masks_phone(client: TestClient, auth: dict, tickets: list[str]) -> None:
    response = await client.get(f"/api/tickets/{tickets[0]}", headers=auth)
    assert response.status == 200
    body = await response.json()
    assert body["number"] == tickets[0]
    assert body["phone"] == "138****5678"
    assert "13812345678" not in await response.text()
    assert body["description"] == "快递没到，联系我138****5678"
    assert datetime.fromisoformat(body["created_at"]) == DAY
    assert datetime.fromisoformat(body["due_at"]) == DAY + timedelta(hours=24)
    assert body["survey"] is None
    for key in ("sender_id", "channel", "category", "order_id", "status", "priority", "emotion"):
        assert key in body


async def test_list_masks_phone(client: TestClient, auth: dict, tickets: list[str]) -> None:
    response = await client.get("/api/tickets", headers=auth)
    assert "13812345678" not in await response.text()


async def test_detail_404(client: TestClient, auth: dict) -> None:
    response = await client.get("/api/tickets/TS20000101-0001", headers=auth)
    assert response.status == 404
    assert (await response.json())["error"] == "ticket TS20000101-0001 not found"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("limit=abc", "limit must be an integer"),
        ("limit=100000", "limit must be between 1 and 200"),
        ("limit=0", "limit must be between 1 and 200"),
        ("offset=-1", "offset must be between"),
        ("offset=x", "offset must be an integer"),
        ("status=lost", "status must be one of"),
    ],
)
async def test_bad_query_is_400(client: TestClient, auth: dict, query: str, message: str) -> None:
    response = await client.get(f"/api/tickets?{query}", headers=auth)
    assert response.status == 400
    assert message in (await response.json())["error"]


async def test_unknown_route_is_json_404(client: TestClient) -> None:
    response = await client.get("/nowhere")
    assert response.status == 404
    assert await response.json() == {"error": "not found"}


async def test_wrong_method_is_json_405(client: TestClient) -> None:
    response = await client.post("/health")
    assert response.status == 405
    assert "error" in await response.json()
    assert "GET" in response.headers["Allow"]


async def test_unexpected_error_is_json_500_without_details(
    client: TestClient, auth: dict, caplog: pytest.LogCaptureFixture
) -> None:
    response = await client.get("/api/explode", headers=auth)
    assert response.status == 500
    assert await response.json() == {"error": "internal error"}
    assert any("unhandled error" in r.getMessage() for r in caplog.records)


async def test_app_migrates_an_empty_database_on_start(database_url: str, tmp_path: Path) -> None:
    settings = dataclasses.replace(get_settings(), database_url=database_url, var_dir=tmp_path)
    async with TestClient(TestServer(init_app(settings))) as client:
        async with sessions(client)() as session:
            token = await create_token(session, "fresh")
        response = await client.get("/api/tickets", headers={"Authorization": f"Bearer {token}"})
        assert response.status == 200
        assert (await response.json())["total"] == 0
