"""The action server's pooled tickets engine: reused between calls, closed at shutdown."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from rasa_sdk.executor import CollectingDispatcher

from actions.db import dispose_engine, get_sessionmaker
from actions.tickets import ActionSubmitComplaint
from bot.bench.live import free_port
from bot.runner import child_env, rasa_executable
from tests.actions.conftest import TrackerFactory

SLOTS = {
    "complaint_description": "快递十天了还没到",
    "complaint_category": "complain_delivery",
    "phone": "13812345678",
}
FORM_STARTED = [{"event": "active_loop", "name": "complaint_form", "timestamp": 1.5}]


def exit_blockers() -> list[threading.Thread]:
    """Threads the interpreter waits for before it can exit."""
    return [t for t in threading.enumerate() if not t.daemon and t is not threading.main_thread()]


async def test_dispose_ends_the_connection_threads(
    tickets_db: str, make_tracker: TrackerFactory
) -> None:
    tracker = make_tracker("退款", slots=SLOTS, events=FORM_STARTED)
    await ActionSubmitComplaint().run(CollectingDispatcher(), tracker, {})
    assert exit_blockers(), "the pool should keep the connection (and its thread) open"

    await dispose_engine()
    for thread in exit_blockers():
        thread.join(timeout=10)
    assert exit_blockers() == []
    assert get_sessionmaker.cache_info().currsize == 0

    # The next call builds a new engine and finds the ticket written before.
    dispatcher = CollectingDispatcher()
    await ActionSubmitComplaint().run(dispatcher, tracker, {})
    assert dispatcher.messages[0]["ticket_number"].endswith("-0001")


async def test_deliveries_at_once_share_the_pool_and_make_one_ticket_each(
    tickets_db: str, make_tracker: TrackerFactory
) -> None:
    # 20 complaints, each delivered 3 times, all at once: more callers than pooled connections.
    trackers = [
        make_tracker(
            "退款",
            slots=SLOTS,
            sender_id=f"customer-{index}",
            events=[{**FORM_STARTED[0], "timestamp": float(index)}],
        )
        for index in range(20)
    ]

    async def submit(tracker: Any) -> tuple[str, str]:
        dispatcher = CollectingDispatcher()
        await ActionSubmitComplaint().run(dispatcher, tracker, {})
        return tracker.sender_id, dispatcher.messages[0]["ticket_number"]

    answers = await asyncio.gather(*(submit(t) for t in trackers * 3))
    numbers = dict(answers)
    assert len(set(answers)) == len(numbers) == 20  # every delivery got its complaint's ticket
    assert sorted(int(n.rsplit("-", 1)[1]) for n in numbers.values()) == list(range(1, 21))


def _submit(port: int, tracker: dict[str, Any]) -> str:
    answer = requests.post(
        f"http://127.0.0.1:{port}/webhook",
        json={"next_action": "action_submit_complaint", "tracker": tracker, "domain": {}},
        timeout=60,
    )
    answer.raise_for_status()
    (number,) = [e["value"] for e in answer.json()["events"] if e.get("name") == "ticket_number"]
    return str(number)


def test_action_server_exits_on_sigterm_after_writing_tickets(
    tickets_db: str, make_tracker: TrackerFactory, tmp_path: Path
) -> None:
    port = free_port()
    log = tmp_path / "actions.log"
    # Started the way bot/runner.py starts it.
    command = [rasa_executable(), "run", "actions", "--actions", "actions", "--port", str(port)]
    with log.open("w") as output:
        process = subprocess.Popen(
            command,
            env={**child_env(), "SANIC_HOST": "127.0.0.1"},
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            try:
                if requests.get(f"http://127.0.0.1:{port}/health", timeout=2).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.2)
        tracker = make_tracker("退款", slots=SLOTS, events=FORM_STARTED).current_state()
        # A redelivery reuses the pooled connection and still finds the first ticket.
        assert _submit(port, tracker) == _submit(port, tracker)

        os.killpg(process.pid, signal.SIGTERM)
        try:
            code = process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            # What happens without the shutdown hook: the pooled connection's thread stays.
            pytest.fail(f"still running after SIGTERM:\n{log.read_text()[-3000:]}")
        assert code == 0, log.read_text()[-3000:]
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
