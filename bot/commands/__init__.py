"""Subcommands of ``python -m bot``: one module per top-level command.

A module here that defines ``register(subparsers)`` is picked up by ``bot.cli``; adding a
command means adding a module, nothing else. ``register`` adds a parser and sets its
``handler`` default to a callable taking the parsed ``argparse.Namespace`` and returning
the exit status. Keep module-level imports light: every command module is imported for
every invocation (``--help`` included); import heavy things inside the handler.

Example::

    def register(subparsers: Subparsers) -> None:
        parser = subparsers.add_parser("hello", help="say hello")
        parser.set_defaults(handler=lambda args: print("hello") or 0)
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]
else:
    Subparsers = Any

__all__ = ["Subparsers"]
