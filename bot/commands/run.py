"""``python -m bot run`` and ``python -m bot train``: what `make run` and `make train` call."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.commands import Subparsers


def register(subparsers: Subparsers) -> None:
    """Add the ``run`` and ``train`` commands."""
    run = subparsers.add_parser(
        "run", help="train if needed, then start Rasa, the action server and the console"
    )
    run.add_argument(
        "--no-train", action="store_true", help="use the newest model in MODELS_DIR as it is"
    )
    run.set_defaults(handler=_run)
    train = subparsers.add_parser("train", help="train the Rasa model if data or config changed")
    train.add_argument("--config", type=Path, default=None, help="pipeline (default config.yml)")
    train.set_defaults(handler=_train)


def _run(args: argparse.Namespace) -> int:
    from bot.runner import run

    return run(train=not args.no_train)


def _train(args: argparse.Namespace) -> int:
    import subprocess

    from bot.runner import child_env, train_command
    from bot.settings import get_settings

    return subprocess.call(train_command(get_settings(), args.config), env=child_env())
