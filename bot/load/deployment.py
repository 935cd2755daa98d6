"""A private production-mode deployment for load runs and tests.

Fresh PostgreSQL databases for the tickets and the tracker store, the Redis lock store, and
``workers`` Rasa and action processes behind nginx — `make run` in production mode (README,
"Production") on free loopback ports. The databases are dropped afterwards.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from bot.bench.live import STARTUP_TIMEOUT_S, LiveBot, free_port, live_bot
from bot.store.pg_admin import create_database, drop_database


def _wait_for_workers(bot: LiveBot, ports: list[int]) -> None:
    # The supervisor is up once nginx answers; each Rasa worker loads the model on its own.
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    waiting = list(ports)
    while waiting and time.monotonic() < deadline:
        port = waiting[0]
        try:
            status = requests.get(
                f"http://127.0.0.1:{port}/status?token={bot.rasa_token}", timeout=2
            )
            if status.status_code == 200 and status.json().get("model_file"):
                waiting.pop(0)
                continue
        except requests.RequestException:
            pass
        time.sleep(1)
    if waiting:
        raise RuntimeError(f"Rasa workers on {waiting} not up:\n{bot.log_tail()}")


@contextmanager
def production_bot(
    model: Path, root: Path, admin_url: str, redis_url: str, workers: int = 2
) -> Iterator[tuple[LiveBot, list[int]]]:
    """Run the product in production mode with ``model`` until the block ends.

    Args:
        model: A trained model (``.tar.gz``).
        root: An empty private folder for the model copy, nginx's files and the log.
        admin_url: A PostgreSQL URL whose user may create databases.
        redis_url: The Redis server for the lock store.
        workers: Rasa processes and action processes (each).

    Yields:
        The running deployment (its public URLs are nginx's) and the Rasa workers' ports.
    """
    tickets_db = asyncio.run(create_database(admin_url, "load"))
    tracker_db = asyncio.run(create_database(admin_url, "load"))
    first_rasa, first_action = free_port(workers), free_port(workers)
    env = {
        "DATABASE_URL": tickets_db,
        "TRACKER_DB_URL": tracker_db,
        "REDIS_URL": redis_url,
        "RASA_WORKERS": str(workers),
        "ACTION_WORKERS": str(workers),
        "RASA_INTERNAL_PORT": str(first_rasa),
        "ACTION_INTERNAL_PORT": str(first_action),
    }
    try:
        with live_bot(model, root, env) as bot:
            ports = [first_rasa + n for n in range(workers)]
            _wait_for_workers(bot, ports)
            yield bot, ports
    finally:
        for url in (tickets_db, tracker_db):
            asyncio.run(drop_database(admin_url, url))
