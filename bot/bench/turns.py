"""Latency and memory of a running bot, measured from outside over HTTP and /proc.

Used for ours and for the stock bot alike, one after the other, so both are measured the
same way on the same machine.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import requests
import yaml

from bot.bench.stats import percentile
from bot.settings import PROJECT_ROOT

#: Each simulated customer says these, one after the other (answers to both bots' questions).
SCRIPT = (
    "快递一直显示在运输中，十天了还没到，订单号 2023112400123",
    "就是一直不动，客服也不回消息",
    "13812345678",
    "退款",
)


@dataclass(frozen=True)
class Latency:
    """Milliseconds per request."""

    count: int
    p50_ms: float
    p95_ms: float

    @classmethod
    def of(cls, durations: Sequence[float]) -> Latency:
        """Summarise ``durations`` (milliseconds)."""
        return cls(
            len(durations), percentile(list(durations), 0.5), percentile(list(durations), 0.95)
        )


def parse_texts(limit: int = 200) -> list[str]:
    """Real-looking customer messages: the held-out hard cases of the NLU tests."""
    cases = yaml.safe_load((PROJECT_ROOT / "tests" / "nlu" / "hard_cases.yml").read_text("utf-8"))
    return [str(c["text"]) for c in cases["cases"]][:limit]


def measure_parse(rasa_url: str, token: str, texts: Sequence[str]) -> Latency:
    """``POST /model/parse`` once per text (after a warm-up), sequentially."""
    url = f"{rasa_url}/model/parse"
    with requests.Session() as http:
        for text in texts[:5]:
            http.post(url, params={"token": token}, json={"text": text}, timeout=60)
        durations = []
        for text in texts:
            started = time.perf_counter()
            answer = http.post(url, params={"token": token}, json={"text": text}, timeout=60)
            durations.append((time.perf_counter() - started) * 1000)
            answer.raise_for_status()
    return Latency.of(durations)


def measure_turns(rasa_url: str, conversations: int, script: Sequence[str] = SCRIPT) -> Latency:
    """Full turns through the REST channel (NLU, policies, actions, database), sequentially."""
    url = f"{rasa_url}/webhooks/rest/webhook"
    durations = []
    with requests.Session() as http:
        for index in range(conversations + 1):
            sender = f"bench-{uuid.uuid4().hex[:10]}"
            for text in script:
                started = time.perf_counter()
                answer = http.post(url, json={"sender": sender, "message": text}, timeout=60)
                elapsed = (time.perf_counter() - started) * 1000
                answer.raise_for_status()
                if index:  # the first conversation warms caches and connections up
                    durations.append(elapsed)
    return Latency.of(durations)


def children(pid: int) -> list[int]:
    """Direct child processes of ``pid``."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        children = (task / "children").read_text().split() if (task / "children").exists() else []
        found += [int(c) for c in children]
    return found


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants, in MiB."""
    pending, total = [pid], 0.0
    while pending:
        current = pending.pop()
        total += _rss_mb(current)
        pending += children(current)
    return total


def command_line(pid: int) -> str:
    """The process's command line (to tell Rasa, the action server and the console apart)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")
    except OSError:
        return ""
