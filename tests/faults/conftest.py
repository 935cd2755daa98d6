"""One production-like deployment shared by the fault tests of a module.

PostgreSQL holds the tickets and Rasa's tracker store (two fresh databases), a private
``redis-server`` is the lock store, and the action server and two Rasa servers run as separate
processes on loopback so that each part can be broken and brought back on its own. Starting
Rasa costs about a minute on two cores, so the processes live for the whole module; every
test puts back what it broke.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from sqlalchemy.engine import make_url

from bot.bench.live import free_port
from bot.runner import child_env, render_endpoints, services
from bot.settings import PROJECT_ROOT, get_settings
from bot.store.migrate import upgrade
from bot.store.pg_admin import admin_execute, asyncpg_dsn
from tests.conftest import (
    _create_database,
    _drop_database,
    _require_postgres,
    run_in_thread,
)

STARTUP_TIMEOUT_S = 300


class Deployment:
    """The parts of one deployment, each stoppable and restartable."""

    def __init__(self, root: Path, env: dict[str, str], admin_url: str, redis_port: int) -> None:
        self.root, self.env, self.admin_url, self.redis_port = root, env, admin_url, redis_port
        settings = get_settings()
        argv = {s.name: s for s in services(settings, render_endpoints(settings))}
        rasa = argv["rasa"].argv
        self.ports = {"actions": settings.action_port, "rasa": settings.rasa_port}
        self.ports["rasa-2"] = free_port()
        self.argv = {
            "actions": (argv["actions"].argv, argv["actions"].env),
            "rasa": (rasa, {}),
            "rasa-2": ([*rasa[: rasa.index("--port") + 1], str(self.ports["rasa-2"]),
                        *rasa[rasa.index("--port") + 2 :]], {}),
            "redis": (["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1",
                       "--save", "", "--appendonly", "no"], {}),
        }  # fmt: skip
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    @property
    def tickets_db(self) -> str:
        """Name of the tickets database."""
        return str(make_url(self.env["DATABASE_URL"]).database)

    def _ready(self, name: str) -> bool:
        if name == "redis":
            import redis

            try:
                return bool(redis.Redis(port=self.redis_port, socket_timeout=1).ping())
            except redis.RedisError:
                return False
        url = f"http://127.0.0.1:{self.ports[name]}"
        url += "/health" if name == "actions" else f"/status?token={self.env['RASA_TOKEN']}"
        try:
            answer = requests.get(url, timeout=2)
        except requests.RequestException:
            return False
        return answer.status_code == 200 and (
            name == "actions" or bool(answer.json().get("model_file"))
        )

    def start(self, name: str) -> None:
        """Start a part and wait until it answers."""
        argv, extra = self.argv[name]
        log = self.root / f"{name}.log"
        with log.open("ab") as out:
            self.processes[name] = subprocess.Popen(
                argv, cwd=PROJECT_ROOT, env={**self.env, **extra}, stdout=out,
                stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            assert self.processes[name].poll() is None, log.read_text()[-3000:]
            if self._ready(name):
                return
            time.sleep(0.5)
        pytest.fail(f"{name} did not start:\n{log.read_text()[-3000:]}")

    def stop(self, name: str) -> None:
        """Stop a part (SIGTERM, then SIGKILL)."""
        process = self.processes.pop(name)
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def say(self, sender: str, message: str, rasa: str = "rasa") -> str:
        """Send one REST message; return the bot's texts joined by newlines."""
        response = requests.post(
            f"http://127.0.0.1:{self.ports[rasa]}/webhooks/rest/webhook",
            json={"sender": sender, "message": message},
            timeout=120,
        )
        assert response.status_code == 200, response.text
        return "\n".join(str(m.get("text", "")) for m in response.json())

    def user_texts(self, sender: str) -> list[str]:
        """What the customer said, as the shared tracker store has it."""
        response = requests.get(
            f"http://127.0.0.1:{self.ports['rasa']}/conversations/{sender}/tracker",
            params={"token": self.env["RASA_TOKEN"]},
            timeout=30,
        )
        response.raise_for_status()
        return [e["text"] for e in response.json()["events"] if e["event"] == "user"]

    def tickets_of(self, sender: str) -> list[str]:
        """Order ids of the sender's tickets."""

        async def query() -> list[str]:
            import asyncpg

            connection = await asyncpg.connect(asyncpg_dsn(self.env["DATABASE_URL"]))
            try:
                rows = await connection.fetch(
                    "SELECT order_id FROM tickets WHERE sender_id = $1", sender
                )
            finally:
                await connection.close()
            return [row["order_id"] for row in rows]

        return run_in_thread(query)

    def tickets_database_down(self) -> None:
        """Refuse new connections to the tickets database and end the open ones."""
        name = self.tickets_db
        run_in_thread(lambda: admin_execute(
            self.admin_url,
            f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false',
            f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'",
        ))  # fmt: skip

    def tickets_database_up(self) -> None:
        """Accept connections to the tickets database again."""
        run_in_thread(lambda: admin_execute(
            self.admin_url, f'ALTER DATABASE "{self.tickets_db}" ALLOW_CONNECTIONS true'
        ))  # fmt: skip


@pytest.fixture(scope="module")
def deployment(
    trained_model: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    """Actions, two Rasa servers, Redis and two PostgreSQL databases, for the whole module."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    admin_url = _require_postgres()
    root = tmp_path_factory.mktemp("faults")
    tickets_url, tracker_url = _create_database(admin_url), _create_database(admin_url)
    redis_port = free_port()
    env = {
        "VAR_DIR": str(root / "var"),
        "MODELS_DIR": str(trained_model.parent),
        "DATABASE_URL": tickets_url,
        "TRACKER_DB_URL": tracker_url,
        "RASA_TOKEN": uuid.uuid4().hex,
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "RASA_PORT": str(free_port()),
        "ACTION_PORT": str(free_port()),
        "RASA_WORKERS": "1",
        "ACTION_WORKERS": "1",
    }
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    get_settings.cache_clear()
    running = Deployment(root, {**child_env(), **env}, admin_url, redis_port)
    try:
        upgrade(tickets_url)
        for name in ("redis", "actions", "rasa", "rasa-2"):
            running.start(name)
        yield running
    finally:
        for name in list(running.processes):
            running.stop(name)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        get_settings.cache_clear()
        running.tickets_database_up()
        for url in (tickets_url, tracker_url):
            _drop_database(admin_url, url)


def complain(deployment: Deployment, sender: str, order: str, rasa: str = "rasa") -> None:
    """Open a complaint with an order number; the bot asks for a phone number next."""
    answer = deployment.say(sender, f"快递一直显示在运输中，十天了还没到，订单号 {order}", rasa)
    assert "电话" in answer or "手机" in answer, answer
