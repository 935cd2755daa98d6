"""Command line of the project: ``python -m bot <command> ...``.

Commands live in ``bot.commands``, one module each, and are found automatically (see that
package's docstring for how to add one).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys
from collections.abc import Callable

import bot.commands

Handler = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    """Return the parser with every command module in ``bot.commands`` registered."""
    parser = argparse.ArgumentParser(
        prog="python -m bot", description="投诉受理助手 — complaint-intake bot tools"
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log debug output and full tracebacks"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(bot.commands.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{bot.commands.__name__}.{info.name}")
        register = getattr(module, "register", None)
        if callable(register):
            register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command.

    Args:
        argv: Arguments without the program name; defaults to ``sys.argv[1:]``.

    Returns:
        The exit status: 0 success, 1 failure, 2 usage error, 130 interrupted.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return 2
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(handler(args) or 0)
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # noqa: BLE001 - a CLI reports failures, it does not crash
        if args.verbose:
            raise
        print(f"error: {error}", file=sys.stderr)
        return 1
