"""Shared fixtures of the console tests: a started app, an API token, sample tickets."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.orm import sessionmaker

from bot.console.app import SESSIONMAKER, init_app
from bot.settings import Settings
from bot.store.tickets import TicketDraft, create_ticket
from bot.store.tokens import create_token

DAY = datetime(2026, 11, 24, 3, 0, tzinfo=timezone.utc)


def sessions(client: TestClient) -> sessionmaker:
    """The session factory of the app behind ``client``."""
    assert client.app is not None
    return client.app[SESSIONMAKER]


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[TestClient]:
    """Test client of a started console app (migrations applied by its startup)."""
    # Nothing listens on port 9: calls to Rasa fail fast, as when Rasa is down.
    app = init_app(dataclasses.replace(settings, rasa_url="http://127.0.0.1:9"))

    async def explode(_request: web.Request) -> web.Response:
        raise RuntimeError("secret detail 13812345678")

    app.router.add_get("/api/explode", explode)
    async with TestClient(TestServer(app)) as client:
        yield client


@pytest.fixture
async def token(client: TestClient) -> str:
    async with sessions(client)() as session:
        return await create_token(session, "test")


@pytest.fixture
def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def tickets(client: TestClient) -> list[str]:
    """Three tickets: alice/delivery, alice/refund, bob/delivery (oldest first)."""
    specs = [
        ("alice", "complain_delivery"),
        ("alice", "complain_refund"),
        ("bob", "complain_delivery"),
    ]
    numbers = []
    async with sessions(client)() as session:
        for minute, (sender, category) in enumerate(specs):
            ticket, _ = await create_ticket(
                session,
                TicketDraft(
                    sender_id=sender,
                    channel="rest",
                    category=category,
                    description="快递没到，联系我13812345678",
                    phone="13812345678",
                    due_at=DAY + timedelta(hours=24),
                ),
                now=DAY + timedelta(minutes=minute),
            )
            numbers.append(ticket.number)
    return numbers
