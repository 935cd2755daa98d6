"""The benchmark's parts work (figures are printed by `make bench`, never asserted here)."""

from __future__ import annotations

import http.server
import json
import os
import threading
from pathlib import Path
from typing import ClassVar

import yaml

from bot.bench.compare import BotFigures, table
from bot.bench.stock import write_project
from bot.bench.tickets import bench_ticket_creation, format_figures
from bot.bench.turns import (
    Latency,
    children,
    measure_turns_alternately,
    parse_texts,
    tree_rss_mb,
)


def test_stock_project_is_a_plain_form_bot(tmp_path: Path) -> None:
    paths = write_project(tmp_path)
    config = yaml.safe_load(paths["config"].read_text(encoding="utf-8"))
    names = [c["name"] for c in config["pipeline"]] + [p["name"] for p in config["policies"]]
    assert "JiebaTokenizer" in names and "DIETClassifier" in names
    assert not any(n.startswith("bot.") for n in names)  # none of our components
    domain = yaml.safe_load(paths["domain"].read_text(encoding="utf-8"))
    assert domain["forms"]["stock_form"]["required_slots"] == ["description", "phone", "outcome"]
    assert "complain_delivery" in domain["intents"]
    # Rasa's own REST channel: not our credentials.yml, whose channels install our Rasa fixes.
    credentials = yaml.safe_load(paths["credentials"].read_text(encoding="utf-8"))
    assert credentials == {"rest": None}


def test_memory_of_this_process_is_read(tmp_path: Path) -> None:
    assert tree_rss_mb(os.getpid()) > 10
    assert isinstance(children(os.getpid()), list)


def test_latency_summary() -> None:
    figures = Latency.of([float(v) for v in range(1, 101)])
    assert (figures.count, figures.p50_ms, figures.p95_ms) == (100, 50.0, 95.0)
    assert len(parse_texts(50)) == 50


def test_ticket_bench_writes_real_tickets() -> None:
    figures = bench_ticket_creation(calls=12)
    assert figures.backend == "sqlite" and figures.calls == 7
    assert 0 < figures.p50_ms <= figures.p95_ms <= figures.max_ms
    assert "ticket creation (sqlite" in format_figures(figures)


def test_table_shows_ratios() -> None:
    ours = BotFigures(
        "ours", 100.0, 30.0, Latency(5, 10.0, 20.0), Latency(5, 60.0, 90.0), {"rasa": 900.0}
    )
    stock = BotFigures(
        "stock", 50.0, 20.0, Latency(5, 5.0, 10.0), Latency(5, 50.0, 60.0), {"rasa": 800.0}
    )
    text = table(ours, stock)
    assert "2.00×" in text and "1.50×" in text
    assert "full-turn p95 ratio 1.50" in text and ": ok" in text


def test_stock_bot_can_train_fewer_epochs(tmp_path: Path) -> None:
    def epochs(paths: dict[str, Path]) -> list[int]:
        config = yaml.safe_load(paths["config"].read_text(encoding="utf-8"))
        return [c["epochs"] for c in config["pipeline"] + config["policies"] if "epochs" in c]

    (tmp_path / "full").mkdir()
    (tmp_path / "short").mkdir()
    assert epochs(write_project(tmp_path / "full")) != [5, 5]
    assert epochs(write_project(tmp_path / "short", epochs=5)) == [5, 5]


def test_a_shorter_stock_training_gets_no_ratio() -> None:
    ours = BotFigures("ours", 100.0, 30.0, Latency(5, 10.0, 20.0), Latency(5, 60.0, 90.0))
    stock = BotFigures("stock", 10.0, 20.0, Latency(5, 5.0, 10.0), Latency(5, 50.0, 60.0))
    stock.epochs = 5
    text = table(ours, stock)
    line = next(line for line in text.splitlines() if line.startswith("training time"))
    assert "5 ep." in line and "10.00×" not in line and line.endswith("—")
    assert "full-turn p95 ratio 1.50" in text


def test_cpu_of_a_process_tree_is_read() -> None:
    from bot.bench.turns import tree_cpu_s

    before = tree_cpu_s([os.getpid()])
    sum(i * i for i in range(2_000_000))  # burn some CPU in this process
    assert tree_cpu_s([os.getpid()]) > before
    assert tree_cpu_s([]) == 0.0


def test_table_shows_the_cpu_per_turn_and_its_ratio() -> None:
    ours = BotFigures("ours", None, 30.0, None, Latency(5, 60.0, 90.0, cpu_ms=42.0))
    stock = BotFigures("stock", None, 20.0, None, Latency(5, 50.0, 60.0, cpu_ms=20.0))
    text = table(ours, stock)
    row = next(line for line in text.splitlines() if line.startswith("full turn CPU"))
    assert "42.0 ms" in row and "20.0 ms" in row and row.endswith("2.10×")
    assert "full-turn CPU ratio 2.10 (target ≤ 1.5×): OVER TARGET" in text


class _Webhook(http.server.BaseHTTPRequestHandler):
    """A REST-channel endpoint that answers every message and logs who sent it where."""

    heard: ClassVar[list[tuple[int, str]]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.heard.append((self.server.server_address[1], body["sender"]))
        answer = json.dumps([{"recipient_id": body["sender"], "text": "收到"}]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: object) -> None:
        pass


def test_turns_alternate_between_bots_conversation_by_conversation() -> None:
    servers = [http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Webhook) for _ in range(2)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    _Webhook.heard.clear()
    try:
        urls = [f"http://127.0.0.1:{s.server_address[1]}" for s in servers]
        first, second = measure_turns_alternately([(url, ()) for url in urls], 3, ("一", "二"))
    finally:
        for server in servers:
            server.shutdown()
    ports = [port for port, _ in _Webhook.heard]
    a, b = (s.server_address[1] for s in servers)
    # warm-up round + 3 measured rounds, each: two turns on one bot, then two on the other
    assert ports == [a, a, b, b] * 4
    senders = [sender for _, sender in _Webhook.heard]
    assert len(set(senders)) == 8  # one new customer per conversation
    assert (first.count, second.count) == (6, 6)
    assert first.cpu_ms is None and second.cpu_ms is None  # no processes given
