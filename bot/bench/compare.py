"""Our bot against a stock Rasa bot, in one run on this machine: training time, startup time,
``/model/parse`` latency, full-turn latency through REST, memory per process — and ratios.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests
import yaml

from bot.bench import stock
from bot.bench.live import free_port, live_bot
from bot.bench.stock_actions import STOCK_DB_ENV
from bot.bench.turns import (
    Latency,
    children,
    command_line,
    measure_parse,
    measure_turns_alternately,
    parse_texts,
    tree_rss_mb,
)
from bot.runner import child_env, rasa_executable
from bot.settings import PROJECT_ROOT

STARTUP_TIMEOUT_S = 600
#: Our turn may cost at most this many times the stock bot's (issue 8).
TARGET_TURN_RATIO = 1.5


@dataclass
class BotFigures:
    """What one bot costs."""

    name: str
    train_s: float | None = None
    startup_s: float = 0.0
    parse: Latency | None = None
    turn: Latency | None = None
    memory_mb: dict[str, float] = field(default_factory=dict)
    #: Set when trained for fewer epochs than ours: the training time is then not comparable.
    epochs: int | None = None


def train(config: Path, domain: Path, data: list[Path], out: Path) -> tuple[Path, float]:
    """``rasa train`` into ``out``; returns the model and the wall time in seconds."""
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    subprocess.run(
        [rasa_executable(), "train", "--config", str(config), "--domain", str(domain),
         "--data", *map(str, data), "--out", str(out), "--fixed-model-name", "bench"],
        cwd=PROJECT_ROOT, env=child_env(), check=True, capture_output=True,
    )  # fmt: skip
    return out / "bench.tar.gz", time.perf_counter() - started


def _role(pid: int) -> str:
    line = command_line(pid)
    return "actions" if "run actions" in line else "console" if "bot.console" in line else "rasa"


def _by_role(pids: list[int]) -> dict[str, float]:
    roles: dict[str, float] = {}
    for pid in pids:
        role = _role(pid)
        roles[role] = roles.get(role, 0.0) + tree_rss_mb(pid)
    return roles


@dataclass
class RunningBot:
    """A started bot: where to reach it and which processes serve a turn."""

    figures: BotFigures
    rasa: str
    token: str
    pids: list[int]


@contextmanager
def start_ours(model: Path, root: Path, train_s: float | None) -> Iterator[RunningBot]:
    """Start our product (`make run`'s supervisor) with ``model``; stop it on exit."""
    figures = BotFigures("ours", train_s=train_s)
    started = time.perf_counter()
    with live_bot(model, root) as bot:
        figures.startup_s = time.perf_counter() - started
        # A turn's CPU is the Rasa and action servers'; the console takes no part in it.
        serving = [pid for pid in children(bot.process.pid) if _role(pid) != "console"]
        yield RunningBot(figures, bot.rasa, bot.rasa_token, serving)
        figures.memory_mb = _by_role(children(bot.process.pid))


@contextmanager
def start_stock(
    model: Path, root: Path, train_s: float | None, credentials: Path
) -> Iterator[RunningBot]:
    """Start the stock bot (Rasa + its action server) with ``model``; stop it on exit.

    ``credentials`` is the stock bot's own (``stock.write_project``): plain Rasa channels.
    """
    figures = BotFigures("stock Rasa", train_s=train_s)
    rasa_port, action_port, token = free_port(), free_port(), uuid.uuid4().hex
    endpoints = root / "endpoints.yml"
    endpoints.write_text(
        yaml.safe_dump({"action_endpoint": {"url": f"http://127.0.0.1:{action_port}/webhook"}}),
        encoding="utf-8",
    )
    env = {**child_env(), STOCK_DB_ENV: str(root / "stock.db"), "SANIC_HOST": "127.0.0.1"}
    commands = [
        [rasa_executable(), "run", "actions", "--actions", stock.ACTIONS_MODULE,
         "--port", str(action_port)],
        [rasa_executable(), "run", "--enable-api", "--auth-token", token, "--port", str(rasa_port),
         "--interface", "127.0.0.1", "--model", str(model), "--endpoints", str(endpoints),
         "--credentials", str(credentials)],
    ]  # fmt: skip
    started = time.perf_counter()
    with (root / "stock.log").open("wb") as log:
        processes = [
            subprocess.Popen(c, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                             start_new_session=True)
            for c in commands
        ]  # fmt: skip
    rasa = f"http://127.0.0.1:{rasa_port}"
    try:
        _wait_for(f"{rasa}/status?token={token}", processes, root / "stock.log")
        _wait_for(f"http://127.0.0.1:{action_port}/health", processes, root / "stock.log")
        figures.startup_s = time.perf_counter() - started
        pids = [p.pid for p in processes]
        yield RunningBot(figures, rasa, token, pids)
        figures.memory_mb = _by_role(pids)
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=60)


def measure(bots: list[RunningBot], conversations: int) -> None:
    """Parse latency of each bot, then full turns on all of them alternately (see
    ``measure_turns_alternately``): their ratio is what the target is about."""
    for bot in bots:
        bot.figures.parse = measure_parse(bot.rasa, bot.token, parse_texts())
    turns = measure_turns_alternately([(bot.rasa, bot.pids) for bot in bots], conversations)
    for bot, latency in zip(bots, turns, strict=True):
        bot.figures.turn = latency


def _wait_for(url: str, processes: list[subprocess.Popen[bytes]], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in processes):
            raise RuntimeError(f"the stock bot exited:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            answer = requests.get(url, timeout=2)
            if answer.status_code == 200 and (
                "status" not in url or answer.json().get("model_file")
            ):
                return
        except requests.RequestException:
            pass
        time.sleep(1)
    raise RuntimeError(f"{url} did not come up:\n{log.read_text(errors='replace')[-3000:]}")


def table(ours: BotFigures, stock_bot: BotFigures) -> str:
    """Side by side, with ours ÷ stock."""

    def row(label: str, a: float | None, b: float | None, unit: str) -> str:
        ratio = f"{a / b:.2f}×" if a is not None and b else "—"
        show = lambda v: "—" if v is None else f"{v:.1f} {unit}"  # noqa: E731
        return f"{label:<30}{show(a):>14}{show(b):>14}{ratio:>9}"

    lines = [f"{'':<30}{'ours':>14}{'stock Rasa':>14}{'ratio':>9}"]
    if stock_bot.epochs is None:
        lines.append(row("training time", ours.train_s, stock_bot.train_s, "s"))
    else:  # a shorter training says nothing about ours: no ratio
        stock_train = "—" if stock_bot.train_s is None else f"{stock_bot.train_s:.1f} s"
        ours_train = "—" if ours.train_s is None else f"{ours.train_s:.1f} s"
        lines.append(
            f"{f'training time (stock: {stock_bot.epochs} ep.)':<30}"
            f"{ours_train:>14}{stock_train:>14}{'—':>9}"
        )
    lines.append(row("startup time", ours.startup_s, stock_bot.startup_s, "s"))
    for label, pick in (("parse", lambda f: f.parse), ("full turn (REST)", lambda f: f.turn)):
        a, b = pick(ours), pick(stock_bot)
        lines.append(row(f"{label} p50", a and a.p50_ms, b and b.p50_ms, "ms"))
        lines.append(row(f"{label} p95", a and a.p95_ms, b and b.p95_ms, "ms"))
    lines.append(
        row(
            "full turn CPU (Rasa+actions)",
            ours.turn.cpu_ms if ours.turn else None,
            stock_bot.turn.cpu_ms if stock_bot.turn else None,
            "ms",
        )
    )
    for role in ("rasa", "actions", "console"):
        lines.append(
            row(f"memory: {role}", ours.memory_mb.get(role), stock_bot.memory_mb.get(role), "MiB")
        )
    if ours.turn and stock_bot.turn:
        ratio = ours.turn.p95_ms / stock_bot.turn.p95_ms
        verdict = "ok" if ratio <= TARGET_TURN_RATIO else "OVER TARGET"
        lines.append(f"full-turn p95 ratio {ratio:.2f} (target ≤ {TARGET_TURN_RATIO}×): {verdict}")
    if ours.turn and stock_bot.turn and ours.turn.cpu_ms and stock_bot.turn.cpu_ms:
        ratio = ours.turn.cpu_ms / stock_bot.turn.cpu_ms
        verdict = "ok" if ratio <= TARGET_TURN_RATIO else "OVER TARGET"
        lines.append(f"full-turn CPU ratio {ratio:.2f} (target ≤ {TARGET_TURN_RATIO}×): {verdict}")
    if ours.parse:
        verdict = "ok" if ours.parse.p95_ms <= 30 else "OVER TARGET"
        lines.append(f"our /model/parse p95 {ours.parse.p95_ms:.1f} ms (target ≤ 30 ms): {verdict}")
    if ours.train_s:
        verdict = "ok" if ours.train_s <= 300 else "OVER TARGET"
        lines.append(f"our full training {ours.train_s:.0f} s (target ≤ 300 s): {verdict}")
    return "\n".join(lines)


def run(
    root: Path, conversations: int = 60, model: Path | None = None, stock_epochs: int | None = None
) -> str:
    """Train (unless ``model`` is given) and measure both bots; return the table.

    Args:
        root: An empty folder for both bots' models, databases and logs.
        conversations: Complaint conversations per bot for the full-turn latency.
        model: Our trained model; trained from the project when not given.
        stock_epochs: Train the stock bot this many epochs (latency only; see
            ``stock.write_project``) instead of as long as ours.
    """
    train_s: float | None = None
    if model is None:
        model, train_s = train(
            PROJECT_ROOT / "config.yml",
            PROJECT_ROOT / "domain.yml",
            [PROJECT_ROOT / "data"],
            root / "ours",
        )
    paths = stock.write_project(root, epochs=stock_epochs)
    stock_model, stock_train_s = train(
        paths["config"],
        paths["domain"],
        [PROJECT_ROOT / "data" / "nlu", paths["rules"]],
        root / "stock",
    )
    # One bot starts after the other (startup times stay apart), then both are measured.
    with ExitStack() as running:
        ours = running.enter_context(start_ours(model, root / "ours-run", train_s))
        stock_bot = running.enter_context(
            start_stock(stock_model, root, stock_train_s, paths["credentials"])
        )
        measure([ours, stock_bot], conversations)
    stock_bot.figures.epochs = stock_epochs
    return table(ours.figures, stock_bot.figures)


if __name__ == "__main__":  # pragma: no cover - manual runs
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        print(run(Path(folder), int(sys.argv[1]) if len(sys.argv) > 1 else 30))
