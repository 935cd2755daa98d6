"""Tracker fixtures for driving actions the way the Rasa server does."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker

from actions.db import dispose_engine, get_sessionmaker
from bot.settings import get_settings
from bot.sla import get_sla
from bot.store.migrate import upgrade

TrackerFactory = Callable[..., Tracker]


@pytest.fixture
def make_tracker() -> TrackerFactory:
    """Build a tracker whose latest user message has ``text``, ``intent`` and ``entities``."""

    def build(
        text: str = "",
        intent: str = "inform",
        entities: list[dict[str, Any]] | None = None,
        slots: dict[str, Any] | None = None,
        requested_slot: str | None = None,
        channel: str = "rest",
        sender_id: str = "customer-1",
        events: list[dict[str, Any]] | None = None,
    ) -> Tracker:
        message = {
            "text": text,
            "intent": {"name": intent, "confidence": 0.95},
            "entities": entities or [],
        }
        user_event = {
            "event": "user",
            "timestamp": 2.0,
            "text": text,
            "parse_data": message,
            "input_channel": channel,
        }
        all_slots = {"order_id_failures": 0.0, "phone_failures": 0.0, **(slots or {})}
        all_slots["requested_slot"] = requested_slot
        return Tracker.from_dict(
            {
                "sender_id": sender_id,
                "slots": all_slots,
                "latest_message": message,
                "events": [*(events or []), user_event],
                "paused": False,
                "followup_action": None,
                "active_loop": {"name": "complaint_form"},
                "latest_action_name": "action_listen",
            }
        )

    return build


@pytest.fixture
def tickets_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A migrated SQLite tickets database that the actions' session factory points at."""
    url = f"sqlite:///{tmp_path / 'tickets.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    for cached in (get_settings, get_sessionmaker, get_sla):
        cached.cache_clear()
    upgrade(url)
    yield url
    # The engine pools its connections, whose aiosqlite threads would keep pytest from exiting.
    asyncio.run(dispose_engine())
    for cached in (get_settings, get_sla):
        cached.cache_clear()
