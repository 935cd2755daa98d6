"""Start the whole product (``python -m bot run --no-train``) on free loopback ports.

For benchmarks and end-to-end tests: a private folder holds the model copy, the SQLite
databases and the log, so a run never touches ``var/`` or ``models/`` of the checkout.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from bot.runner import child_env
from bot.settings import PROJECT_ROOT

STARTUP_TIMEOUT_S = 300
_HANDED_OUT: set[int] = set()
_PICK = random.SystemRandom()  # its own source: seeded load runs must not shift


def free_port(count: int = 1) -> int:
    """A TCP port nobody listens on right now, and with ``count`` > 1 the next ones too.

    Production mode puts its workers on consecutive ports from the first one. Ports come
    from below the kernel's ephemeral range: a port from that range can be taken by any
    outgoing connection between this check and the server's bind.
    """
    low, high = _ephemeral_range()
    first_choice, last_choice = (10_000, low - 1) if low > 10_000 + count else (high + 1, 65_535)
    while True:
        first = _PICK.randint(first_choice, last_choice - count + 1)
        ports = set(range(first, first + count))
        # Two calls of one test must not share a port before either server binds it.
        if not ports & _HANDED_OUT and all(_free(port) for port in ports):
            _HANDED_OUT.update(ports)
            return first


def _ephemeral_range() -> tuple[int, int]:
    """The kernel's range for outgoing connections' local ports (Linux; else its default)."""
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32_768, 60_999


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@dataclass
class LiveBot:
    """A running deployment: its URLs, environment and log."""

    rasa: str
    console: str
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes]

    @property
    def rasa_token(self) -> str:
        """The token of Rasa's HTTP API."""
        return self.env["RASA_TOKEN"]

    def log_tail(self, chars: int = 4000) -> str:
        """The end of the deployment's combined log."""
        return self.log.read_text(encoding="utf-8", errors="replace")[-chars:]

    def api_token(self) -> str:
        """A new console API token (``python -m bot token create``)."""
        result = subprocess.run(
            [sys.executable, "-m", "bot", "token", "create", "--name", "live"],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        return result.stdout.strip().splitlines()[-1]


def _wait_until_up(bot: LiveBot, action_port: int) -> None:
    checks = {
        "rasa": f"{bot.rasa}/status?token={bot.rasa_token}",
        "actions": f"http://127.0.0.1:{action_port}/health",
        "console": f"{bot.console}/health",
    }
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while checks and time.monotonic() < deadline:
        if bot.process.poll() is not None:
            raise RuntimeError(f"the bot exited early:\n{bot.log_tail()}")
        for name, url in list(checks.items()):
            try:
                answer = requests.get(url, timeout=2)
            except requests.RequestException:
                continue
            if answer.status_code == 200 and (name != "rasa" or answer.json().get("model_file")):
                del checks[name]
        time.sleep(1)
    if checks:
        raise RuntimeError(
            f"not up after {STARTUP_TIMEOUT_S} s: {sorted(checks)}\n{bot.log_tail()}"
        )


@contextmanager
def live_bot(model: Path, root: Path, extra_env: dict[str, str] | None = None) -> Iterator[LiveBot]:
    """Run the product with ``model`` until the block ends; Ctrl-C-stop it like `make run`.

    Args:
        model: A trained model (``.tar.gz``); copied into ``root``.
        root: An empty private folder for the model, databases and log.
        extra_env: Environment on top of ours (e.g. ``WECHAT_*``).

    Raises:
        RuntimeError: The bot did not come up (the log's end is in the message).
    """
    models = root / "models"
    models.mkdir(parents=True, exist_ok=True)
    shutil.copy(model, models / model.name)
    ports = {name: free_port() for name in ("RASA_PORT", "ACTION_PORT", "CONSOLE_PORT")}
    env = {
        **child_env(),
        **{name: str(port) for name, port in ports.items()},
        "VAR_DIR": str(root / "var"),
        "MODELS_DIR": str(models),
        "DATABASE_URL": f"sqlite:///{root / 'tickets.db'}",
        "TRACKER_DB_URL": f"sqlite:///{root / 'tracker.db'}",
        "RASA_TOKEN": uuid.uuid4().hex,
        "REDIS_URL": "",
        **(extra_env or {}),
    }
    log = root / "bot.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run", "--no-train"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    bot = LiveBot(
        rasa=f"http://127.0.0.1:{ports['RASA_PORT']}",
        console=f"http://127.0.0.1:{ports['CONSOLE_PORT']}",
        env=env,
        log=log,
        process=process,
    )
    try:
        _wait_until_up(bot, ports["ACTION_PORT"])
        yield bot
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
