"""``python -m bot fuzz``: the bad-input campaign against a fresh local deployment."""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bot.commands import Subparsers


def register(subparsers: Subparsers) -> None:
    """Add the ``fuzz`` command."""
    parser = subparsers.add_parser(
        "fuzz", help="send hostile input to every entry point of a fresh deployment"
    )
    parser.add_argument("--cases", type=int, default=10_000, help="requests in all")
    parser.add_argument("--seed", type=int, default=0, help="repeatable case selection")
    parser.add_argument("--minutes", type=float, help="stop sending HTTP cases after this long")
    parser.add_argument("--model", type=Path, help="model to serve (default: the newest)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Run the campaign; print cases per entry point and server errors; 1 when any."""
    from bot.bench.fuzz import campaign, fuzz_target
    from bot.bench.wechat import newest_model

    model = args.model or newest_model()
    with tempfile.TemporaryDirectory(prefix="fuzz-") as root:
        with fuzz_target(model, Path(root)) as target:
            started = time.monotonic()
            tally = campaign(target, args.cases, args.seed, args.minutes)
            elapsed = time.monotonic() - started
    print(f"fuzz campaign: {tally.total} cases in {elapsed:.0f} s")
    print(tally.summary())
    return 1 if tally.failures else 0
