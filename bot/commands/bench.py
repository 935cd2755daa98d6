"""``python -m bot bench`` (``make bench``): every speed, memory and training figure in one run.

Sections (``--only`` picks some): ``compare`` — ours against a stock Rasa bot (training,
startup, parse, full turn, memory, ratios); ``tickets`` — what writing the ticket adds to a
turn (SQLite and PostgreSQL); ``wechat`` — WeChat answer latency with 20 customers at once;
``console`` — console page times with 5,000 tickets and 50,000 messages (SQLite and
PostgreSQL). Figures are printed, never asserted: the machine's load changes them.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from bot.commands import Subparsers

#: Stock-bot training epochs with ``--quick``: its per-turn cost does not depend on them.
QUICK_STOCK_EPOCHS = 5
SECTIONS = ("compare", "tickets", "wechat", "console")


def register(subparsers: Subparsers) -> None:
    """Add the ``bench`` command."""
    parser = subparsers.add_parser("bench", help="latency, memory and training-time figures")
    parser.add_argument("--only", nargs="+", choices=SECTIONS, help="run only these sections")
    parser.add_argument(
        "--model", type=Path, help="measure this model instead of training one (no train time)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="fewer conversations and a smaller console database"
    )
    parser.add_argument(
        "--stock-epochs",
        type=int,
        help="train the stock bot this many epochs (latency only; --quick: 5)",
    )
    parser.set_defaults(handler=_bench)


def _compare(args: argparse.Namespace) -> str:
    from bot.bench.compare import run

    with tempfile.TemporaryDirectory(prefix="bench-") as folder:
        # Only latency needs the stock model: a short training keeps --quick quick.
        epochs = args.stock_epochs or (QUICK_STOCK_EPOCHS if args.quick else None)
        return run(Path(folder), 10 if args.quick else 60, args.model, stock_epochs=epochs)


def _on_postgres(what: str, measure: Callable[[str], str]) -> str:
    """``measure`` a fresh PostgreSQL database (``TEST_POSTGRES_URL``'s server), or say why not.

    Only a server that cannot be used is reported as a skip; a failure while measuring is
    raised like any other.
    """
    from bot.bench.tickets import scratch_postgres

    admin = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
    with ExitStack() as stack:
        try:
            url = stack.enter_context(scratch_postgres(admin))
        except Exception as error:  # noqa: BLE001 - any failure (asyncpg's own too): not usable
            return f"{what} (postgresql): skipped, {admin} not usable: {error}"
        return measure(url)


def _tickets(args: argparse.Namespace) -> str:
    from bot.bench.tickets import bench_ticket_creation, format_figures

    calls = 100 if args.quick else 300
    sqlite = format_figures(bench_ticket_creation(calls=calls))
    postgres = _on_postgres(
        "ticket creation", lambda url: format_figures(bench_ticket_creation(url, calls=calls))
    )
    return f"{sqlite}\n{postgres}"


def _wechat(args: argparse.Namespace) -> str:
    from bot.bench.wechat import bench_wechat, format_figures

    return format_figures(
        bench_wechat(conversations=20, turns=2 if args.quick else 3, model=args.model)
    )


def _console(args: argparse.Namespace) -> str:
    import asyncio

    from bot.bench.console import report, run

    sizes = (1000, 10000) if args.quick else (5000, 50000)
    sqlite = report(asyncio.run(run(*sizes)))
    postgres = _on_postgres(
        "console pages",
        lambda url: report(asyncio.run(run(*sizes, database_url=url)), backend="postgresql"),
    )
    return f"{sqlite}\n\n{postgres}"


RUNNERS: dict[str, Callable[[argparse.Namespace], str]] = {
    "compare": _compare,
    "tickets": _tickets,
    "wechat": _wechat,
    "console": _console,
}


def _bench(args: argparse.Namespace) -> int:
    load = os.getloadavg()[0]
    print(f"machine: {os.cpu_count()} cores, load average {load:.1f} at the start")
    for name in args.only or SECTIONS:
        print(f"\n== {name} ==", flush=True)
        started = time.perf_counter()
        print(RUNNERS[name](args), flush=True)
        print(f"({name}: {time.perf_counter() - started:.0f} s)", flush=True)
    return 0
