"""The action server restarted in the middle of a complaint: the form goes on where it was
(its state lives in Rasa's tracker store) and exactly one ticket is written.

Rasa and the action server are started as separate processes here (not under the `make run`
supervisor, which stops everything when one part dies) so that one of them can be restarted.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from bot.bench.live import free_port
from bot.runner import child_env, render_endpoints, services
from bot.settings import PROJECT_ROOT, Settings, get_settings
from bot.store.migrate import upgrade

pytestmark = pytest.mark.e2e
STARTUP_TIMEOUT_S = 300


class Parts:
    """Rasa and the action server of one test deployment, each restartable on its own."""

    def __init__(self, settings: Settings, env: dict[str, str], root: Path) -> None:
        self.settings, self.env, self.root = settings, env, root
        self.argv = {
            s.name: (s.argv, s.env) for s in services(settings, render_endpoints(settings))
        }
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str) -> None:
        argv, extra = self.argv[name]
        with (self.root / f"{name}.log").open("ab") as log:
            self.processes[name] = subprocess.Popen(
                argv, cwd=PROJECT_ROOT, env={**self.env, **extra}, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        url = {
            "actions": f"http://127.0.0.1:{self.settings.action_port}/health",
            "rasa": f"http://127.0.0.1:{self.settings.rasa_port}/status?token={self.env['RASA_TOKEN']}",
        }[name]
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            assert self.processes[name].poll() is None, (self.root / f"{name}.log").read_text()[
                -3000:
            ]
            try:
                answer = requests.get(url, timeout=2)
                if answer.status_code == 200 and (
                    name != "rasa" or answer.json().get("model_file")
                ):
                    return
            except requests.RequestException:
                pass
            time.sleep(1)
        pytest.fail(f"{name} did not start:\n{(self.root / f'{name}.log').read_text()[-3000:]}")

    def stop(self, name: str) -> None:
        process = self.processes.pop(name)
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def say(self, sender: str, text: str) -> str:
        response = requests.post(
            f"http://127.0.0.1:{self.settings.rasa_port}/webhooks/rest/webhook",
            json={"sender": sender, "message": text},
            timeout=60,
        )
        assert response.status_code == 200, response.text
        return "\n".join(str(m.get("text", "")) for m in response.json())

    def tickets_of(self, sender: str) -> list[tuple[str, str]]:
        with sqlite3.connect(self.root / "tickets.db") as db:
            return db.execute(
                "SELECT number, order_id FROM tickets WHERE sender_id = ?", (sender,)
            ).fetchall()


@pytest.fixture
def parts(trained_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Parts]:
    env = {
        "VAR_DIR": str(tmp_path / "var"),
        "MODELS_DIR": str(trained_model.parent),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'tickets.db'}",
        "TRACKER_DB_URL": f"sqlite:///{tmp_path / 'tracker.db'}",
        "RASA_TOKEN": uuid.uuid4().hex,
        "REDIS_URL": "",
        "RASA_PORT": str(free_port()),
        "ACTION_PORT": str(free_port()),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    settings = get_settings()
    upgrade(settings.database_url)
    running = Parts(settings, {**child_env(), **env}, tmp_path)
    try:
        running.start("actions")
        running.start("rasa")
        yield running
    finally:
        for name in list(running.processes):
            running.stop(name)
        get_settings.cache_clear()


def test_message_while_action_server_is_down_gets_a_calm_answer(parts: Parts) -> None:
    sender = f"outage-{uuid.uuid4().hex[:8]}"
    first = parts.say(sender, "快递一直显示在运输中，十天了还没到，订单号 2023112400456")
    assert "电话" in first or "手机" in first

    parts.stop("actions")
    try:
        # The form's questions need no action server (bot/rasa_local_actions.py) ...
        assert "怎么处理" in parts.say(sender, "13812345678")
        # ... filing the ticket does.
        while_down = parts.say(sender, "退款")
    finally:
        parts.start("actions")
    assert while_down.strip(), "silence while the action server was down"
    assert "再发" in while_down  # the customer is asked to send it again, calmly
    assert "Error" not in while_down and "Traceback" not in while_down

    # The abandoned turn left nothing behind: the resent answer files exactly one ticket.
    assert "TS" in parts.say(sender, "退款")
    assert [order for _, order in parts.tickets_of(sender)] == ["2023112400456"]


def test_action_server_restart_mid_form_makes_one_ticket(parts: Parts) -> None:
    sender = f"restart-{uuid.uuid4().hex[:8]}"
    first = parts.say(sender, "快递一直显示在运输中，十天了还没到，订单号 2023112400123")
    assert "电话" in first or "手机" in first

    parts.stop("actions")
    parts.start("actions")

    outcome_question = parts.say(sender, "13812345678")
    assert "怎么处理" in outcome_question  # the form went on with the next question
    confirmation = parts.say(sender, "退款")
    assert "TS" in confirmation
    parts.say(sender, "退款")  # delivered again after the ticket: nothing new
    assert [order for _, order in parts.tickets_of(sender)] == ["2023112400123"]
