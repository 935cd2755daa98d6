"""Shared fixtures of the console tests: a started app, an API token, sample tickets."""

from __future__ import annotations

import dataclasses
import json
import re
import sys
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.orm import sessionmaker

from bot.console.app import SESSIONMAKER, init_app
from bot.console.state import TRAINER
from bot.console.training import TrainerConfig, TrainerJobs
from bot.settings import Settings
from bot.store.db import make_engine
from bot.store.staff import create_user
from bot.store.tickets import TicketDraft, create_ticket
from bot.store.tokens import create_token
from bot.store.transcripts import events, tracker_metadata

DAY = datetime(2026, 11, 24, 3, 0, tzinfo=timezone.utc)


def sessions(client: TestClient) -> sessionmaker:
    """The session factory of the app behind ``client``."""
    assert client.app is not None
    return client.app[SESSIONMAKER]


@pytest.fixture
def trainer_config(settings: Settings, tmp_path: Path) -> TrainerConfig:
    """Trainer views write to tmp_path, never to the repository's data/ or reports/."""
    project = TrainerConfig.from_settings(settings)
    return dataclasses.replace(
        project,
        export_path=tmp_path / "exported" / "inbox.yml",
        reports_dir=tmp_path / "reports",
        models_dir=tmp_path / "models",
        log_dir=tmp_path / "logs",
        commands={
            **project.commands,
            "export": [*project.commands["export"][:-4], "--out",
                       str(tmp_path / "exported" / "inbox.yml"), "--nlu-dir", str(project.nlu_dir)],
            # Real training takes minutes (the end-to-end tests train a model); this stands in
            # for it so that the job runner itself is what is tested here.
            "train": [sys.executable, "-c", "print('training finished')"],
        },
    )  # fmt: skip


@pytest.fixture
async def client(settings: Settings, trainer_config: TrainerConfig) -> AsyncIterator[TestClient]:
    """Test client of a started console app (migrations applied by its startup)."""
    # Nothing listens on port 9: calls to Rasa fail fast, as when Rasa is down.
    app = init_app(dataclasses.replace(settings, rasa_url="http://127.0.0.1:9"))
    app[TRAINER] = TrainerJobs(trainer_config)

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


# --- staff sessions and conversations (console pages) ---

PASSWORD = "correct-horse-1"


def csrf_of(html: str) -> str:
    """The CSRF token of a console page."""
    match = re.search(r'name="csrf-token" content="([^"]+)"', html) or re.search(
        r'name="_csrf" value="([^"]+)"', html
    )
    assert match, "no CSRF token on the page"
    return match.group(1)


async def add_staff(client: TestClient, username: str, role: str, display: str = "") -> None:
    """Create a staff account with ``PASSWORD``."""
    async with sessions(client)() as session:
        await create_user(session, username, PASSWORD, role, display or None)


async def login(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Log ``username`` in on ``client``'s cookie jar; return the session's CSRF token."""
    token = csrf_of(await (await client.get("/login")).text())
    response = await client.post(
        "/login",
        data={"_csrf": token, "username": username, "password": password},
        allow_redirects=False,
    )
    assert response.status == 302, await response.text()
    return csrf_of(await (await client.get("/account")).text())


@pytest.fixture
async def agent(client: TestClient) -> str:
    """An agent ``wang`` (客服小王), logged in; returns the CSRF token."""
    await add_staff(client, "wang", "agent", "客服小王")
    return await login(client, "wang")


def customer_event(
    text: str,
    at: float,
    intent: str = "complain_delivery",
    confidence: float = 0.9,
    emotion: str = "anger",
    intensity: int = 2,
    threat: bool = False,
) -> dict[str, Any]:
    """A ``user`` event as Rasa's tracker store keeps it."""
    parse = {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "intent_ranking": [{"name": intent, "confidence": confidence}],
        "emotion": {"name": emotion, "confidence": 0.9, "intensity": intensity},
        "escalation_threat": threat,
    }
    data = {"event": "user", "timestamp": at, "text": text, "parse_data": parse}
    return {"type_name": "user", "timestamp": at, "intent_name": intent, "data": json.dumps(data)}


def bot_event(text: str, at: float, agent: str | None = None) -> dict[str, Any]:
    """A ``bot`` event; with ``agent`` it is a staff reply relayed by the console."""
    data: dict[str, Any] = {"event": "bot", "timestamp": at, "text": text, "data": {}}
    if agent is not None:
        data["data"] = {"custom": {"staff_reply": {"agent": agent}}}
    return {"type_name": "bot", "timestamp": at, "data": json.dumps(data)}


async def write_conversation(
    settings: Settings, sender_id: str, rows: list[dict[str, Any]]
) -> None:
    """Append events to the tracker store the console reads (created as Rasa creates it)."""
    engine = make_engine(settings.tracker_db_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(tracker_metadata.create_all)
            for row in rows:
                await connection.execute(events.insert().values(sender_id=sender_id, **row))
    finally:
        await engine.dispose()
