"""The process supervisor behind `make run`, on real child processes."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest
import yaml

from bot.runner import (
    Service,
    lock_store_config,
    render_endpoints,
    supervise,
    tracker_store_config,
)
from bot.settings import get_settings


def test_sqlite_tracker_store() -> None:
    config = tracker_store_config("sqlite:////srv/bot/var/tracker.db")
    assert config == {"type": "SQL", "dialect": "sqlite", "db": "/srv/bot/var/tracker.db"}


def test_postgres_tracker_store() -> None:
    config = tracker_store_config("postgresql://rasa:secret@db.internal:5433/tracker")
    assert config == {
        "type": "SQL",
        "dialect": "postgresql",
        "url": "db.internal",
        "db": "tracker",
        "port": 5433,
        "username": "rasa",
        "password": "secret",
    }


def test_lock_store() -> None:
    assert lock_store_config("") == {"type": "in_memory"}
    assert lock_store_config("redis://:pw@127.0.0.1:6380/2") == {
        "type": "bot.store.lock_store.AtomicRedisLockStore",
        "url": "127.0.0.1",
        "port": 6380,
        "db": 2,
        "password": "pw",
    }


def test_endpoints_follow_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("ACTION_PORT", "6055")
    get_settings.cache_clear()
    try:
        path = render_endpoints(get_settings())
    finally:
        get_settings.cache_clear()
    endpoints = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert endpoints["action_endpoint"]["url"] == "http://127.0.0.1:6055/webhook"
    # Only the actions marked `send_domain` in domain.yml get the domain.
    assert endpoints["action_endpoint"]["enable_selective_domain"] is True
    assert endpoints["lock_store"]["type"] == "bot.store.lock_store.AtomicRedisLockStore"
    assert endpoints["tracker_store"]["db"] == str(tmp_path / "tracker.db")


def _sleeper(name: str, seconds: float, code: int = 0) -> Service:
    script = f"import time, sys; time.sleep({seconds}); sys.exit({code})"
    return Service(name, [sys.executable, "-c", script])


async def test_one_service_dying_stops_the_others() -> None:
    group = [_sleeper("long", 60), _sleeper("crashes", 0.5, code=3)]
    code = await asyncio.wait_for(supervise(group), 30)
    assert code == 1
    assert group[0].process is not None and group[0].process.returncode is not None
    assert group[1].process is not None and group[1].process.returncode == 3


async def test_sigint_stops_everything_cleanly() -> None:
    group = [_sleeper("a", 60), _sleeper("b", 60)]
    task = asyncio.create_task(supervise(group))
    await asyncio.sleep(1.0)
    os.kill(os.getpid(), signal.SIGINT)
    assert await asyncio.wait_for(task, 30) == 0
    assert all(s.process is not None and s.process.returncode is not None for s in group)
