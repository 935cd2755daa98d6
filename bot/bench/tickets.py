"""What writing the ticket adds to the turn that completes a complaint.

The turn that completes the form runs ``action_submit_complaint``: one database transaction
(day counter, ticket row, its first history event, encrypted phone) and the read-back. This
runs that action as the action server does, many times over on a fresh database, and reports
its wall time per call — the cost the ticket adds to that turn.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.bench.stats import percentile

TARGET_P95_MS = 50.0


@dataclass(frozen=True)
class TicketFigures:
    """Wall time of ``action_submit_complaint`` per call, in milliseconds."""

    backend: str
    calls: int
    p50_ms: float
    p95_ms: float
    max_ms: float


def _tracker(index: int) -> Tracker:
    sender = f"bench-{index}"
    return Tracker.from_dict(
        {
            "sender_id": sender,
            "slots": {
                "complaint_description": "快递十天了还没到，一直显示运输中，太耽误事了",
                "complaint_category": "complain_delivery",
                "order_id": "2023112400123",
                "phone": "13812345678",
                "desired_outcome": "refund",
                "peak_emotion": "anger",
                "peak_intensity": 2.0,
            },
            "latest_message": {"text": "退款", "intent": {"name": "inform"}, "entities": []},
            "events": [
                {"event": "active_loop", "name": "complaint_form", "timestamp": float(index)},
                {"event": "user", "text": "退款", "input_channel": "rest", "timestamp": 1.0},
            ],
            "paused": False,
            "followup_action": None,
            "active_loop": {"name": "complaint_form"},
            "latest_action_name": "action_listen",
        }
    )


async def _measure(calls: int) -> list[float]:
    from actions.db import dispose_engine
    from actions.tickets import ActionSubmitComplaint

    action = ActionSubmitComplaint()
    durations = []
    try:
        for index in range(calls):
            tracker = _tracker(index)
            started = time.perf_counter()
            await action.run(CollectingDispatcher(), tracker, {})
            durations.append((time.perf_counter() - started) * 1000)
    finally:
        await dispose_engine()  # the pooled connections' threads would keep the process alive
    return durations


def bench_ticket_creation(database_url: str | None = None, calls: int = 300) -> TicketFigures:
    """Measure ``action_submit_complaint`` against ``database_url`` (a fresh SQLite file if None).

    Settings are read from the environment, so the URL is put there for the duration.
    """
    from actions.db import get_sessionmaker
    from bot.settings import get_settings
    from bot.store.migrate import upgrade

    with tempfile.TemporaryDirectory() as scratch:
        url = database_url or f"sqlite:///{Path(scratch) / 'tickets.db'}"
        saved = {name: os.environ.get(name) for name in ("DATABASE_URL", "VAR_DIR")}
        os.environ["DATABASE_URL"] = url
        os.environ.setdefault("VAR_DIR", scratch)
        for cached in (get_settings, get_sessionmaker):
            cached.cache_clear()
        try:
            upgrade(url)
            durations = asyncio.run(_measure(calls))
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
            for cached in (get_settings, get_sessionmaker):
                cached.cache_clear()
    warm = durations[5:] or durations  # the first calls open connections and compile queries
    return TicketFigures(
        backend=url.split(":", 1)[0].split("+", 1)[0],
        calls=len(warm),
        p50_ms=percentile(warm, 0.50),
        p95_ms=percentile(warm, 0.95),
        max_ms=max(warm),
    )


def format_figures(figures: TicketFigures) -> str:
    """One line for ``make bench``."""
    verdict = "ok" if figures.p95_ms <= TARGET_P95_MS else "OVER TARGET"
    return (
        f"ticket creation ({figures.backend}, {figures.calls} calls): "
        f"p50 {figures.p50_ms:.1f} ms · p95 {figures.p95_ms:.1f} ms · max {figures.max_ms:.1f} ms"
        f" — target p95 ≤ {TARGET_P95_MS:.0f} ms: {verdict}"
    )


@contextmanager
def scratch_postgres(admin_url: str) -> Iterator[str]:
    """A fresh PostgreSQL database next to ``admin_url``'s, dropped afterwards."""
    import asyncpg
    from sqlalchemy.engine import make_url

    name = f"bench_{uuid.uuid4().hex[:12]}"
    dsn = make_url(admin_url).set(drivername="postgresql").render_as_string(hide_password=False)

    async def execute(statement: str) -> None:
        connection = await asyncpg.connect(dsn, timeout=5)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(execute(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
