"""Free-port choice for the end-to-end tests and benchmarks."""

from __future__ import annotations

import socket

import pytest

from bot.bench import live
from bot.bench.live import free_port


@pytest.mark.parametrize("count", [1, 2, 3])
def test_every_port_of_a_run_can_be_bound(count: int) -> None:
    first = free_port(count)
    sockets = []
    try:
        for port in range(first, first + count):
            sock = socket.socket()
            sockets.append(sock)
            sock.bind(("127.0.0.1", port))
    finally:
        for sock in sockets:
            sock.close()


def test_ports_lie_outside_the_ephemeral_range() -> None:
    low, high = live._ephemeral_range()
    for _ in range(50):
        first = free_port(3)
        assert all(not low <= port <= high for port in range(first, first + 3))


def test_no_port_is_handed_out_twice() -> None:
    handed: list[int] = []
    for _ in range(200):
        first = free_port(2)
        handed += [first, first + 1]
    assert len(handed) == len(set(handed))


def test_a_taken_port_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        picks = iter([busy - 1, busy - 1, 20_500])
        monkeypatch.setattr(live._PICK, "randint", lambda a, b: next(picks))
        monkeypatch.setattr(live, "_ephemeral_range", lambda: (busy + 100, busy + 200))
        monkeypatch.setattr(live, "_HANDED_OUT", set())
        assert free_port(2) == 20_500
