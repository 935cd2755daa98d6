"""Latency and memory of a running bot, measured from outside over HTTP and /proc.

Used for ours and for the stock bot alike, one after the other, so both are measured the
same way on the same machine.
"""

from __future__ import annotations

import os
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
    #: CPU (user + system) the bot's processes spent per request, when their pids were given.
    #: Unlike wall time it hardly moves with other load on the machine.
    cpu_ms: float | None = None

    @classmethod
    def of(cls, durations: Sequence[float], cpu_ms: float | None = None) -> Latency:
        """Summarise ``durations`` (milliseconds)."""
        return cls(
            len(durations),
            percentile(list(durations), 0.5),
            percentile(list(durations), 0.95),
            cpu_ms,
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


def measure_turns(
    rasa_url: str,
    conversations: int,
    script: Sequence[str] = SCRIPT,
    pids: Sequence[int] = (),
) -> Latency:
    """Full turns through the REST channel (NLU, policies, actions, database), sequentially.

    Args:
        rasa_url: The Rasa server.
        conversations: Measured conversations (one more runs first, to warm up).
        script: What each simulated customer says.
        pids: The bot's processes (Rasa, action server; their descendants count too): the
            CPU they spend over the measured turns, per turn, goes into ``cpu_ms``.
    """
    return measure_turns_alternately([(rasa_url, pids)], conversations, script)[0]


def measure_turns_alternately(
    bots: Sequence[tuple[str, Sequence[int]]],
    conversations: int,
    script: Sequence[str] = SCRIPT,
) -> list[Latency]:
    """``measure_turns`` for several running bots at once, one conversation on each in turn.

    The machine's slower and faster moments (other jobs, a busy host) then fall on every bot
    alike, so their ratio holds still even when the absolute figures move. A bot's CPU is
    read around its own conversations only; the others are idle meanwhile.

    Args:
        bots: Each bot's Rasa server and its processes (see ``measure_turns``).
        conversations: Measured conversations per bot (one more round warms up).
        script: What each simulated customer says.
    """
    durations: list[list[float]] = [[] for _ in bots]
    cpu_s = [0.0 for _ in bots]
    with requests.Session() as http:
        for index in range(conversations + 1):  # the first round warms caches up
            for number, (rasa_url, pids) in enumerate(bots):
                before = tree_cpu_s(pids)
                spent = _conversation(http, rasa_url, script)
                if index:
                    durations[number] += spent
                    cpu_s[number] += tree_cpu_s(pids) - before
    return [
        Latency.of(times, cpu_s[n] * 1000 / len(times) if bots[n][1] and times else None)
        for n, times in enumerate(durations)
    ]


def _conversation(http: requests.Session, rasa_url: str, script: Sequence[str]) -> list[float]:
    """One simulated customer says ``script``; milliseconds per turn."""
    url = f"{rasa_url}/webhooks/rest/webhook"
    sender = f"bench-{uuid.uuid4().hex[:10]}"
    durations = []
    for text in script:
        started = time.perf_counter()
        answer = http.post(url, json={"sender": sender, "message": text}, timeout=60)
        durations.append((time.perf_counter() - started) * 1000)
        answer.raise_for_status()
    return durations


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


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of one process (all its threads), 0 when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    # The command name (field 2) may hold spaces: fields are counted after its ")".
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu_s(pids: Sequence[int]) -> float:
    """CPU seconds spent so far by ``pids`` and all their living descendants."""
    pending, total = list(pids), 0.0
    while pending:
        current = pending.pop()
        total += _cpu_s(current)
        pending += children(current)
    return total


def command_line(pid: int) -> str:
    """The process's command line (to tell Rasa, the action server and the console apart)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")
    except OSError:
        return ""
