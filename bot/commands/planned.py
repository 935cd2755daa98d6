"""Make targets whose tools are not built yet answer clearly instead of pretending.

``make bench`` and ``make load`` are fixed interfaces (DESIGN.md §5); the benchmark and the
load tool arrive with the production issue. Until then they exit with status 2 and say so.
"""

from __future__ import annotations

import argparse
import sys

from bot.commands import Subparsers

PLANNED = {
    "load": "the multi-turn load generator",
}


def register(subparsers: Subparsers) -> None:
    """Add one placeholder command per planned tool."""
    for name, what in PLANNED.items():
        parser = subparsers.add_parser(name, help=f"{what} (not built yet)")
        parser.set_defaults(handler=_not_yet, planned=what)


def _not_yet(args: argparse.Namespace) -> int:
    print(
        f"{args.planned} are not built yet; they come with the production issue.", file=sys.stderr
    )
    return 2
