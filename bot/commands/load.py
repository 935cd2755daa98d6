"""``python -m bot load`` (`make load`): simulated customers against a deployment, then checks.

Without ``--url`` it starts a private deployment itself (embedded defaults, or production mode
with ``--production``; the newest model in ``MODELS_DIR``) on free loopback ports, runs the
load and stops it again.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.commands import Subparsers


def register(subparsers: Subparsers) -> None:
    """Add the ``load`` command."""
    parser = subparsers.add_parser(
        "load", help="simulated customers hold complaint conversations; figures and checks"
    )
    parser.add_argument("--conversations", type=int, default=1000, help="how many (1000)")
    parser.add_argument("--concurrency", type=int, default=50, help="at the same time (50)")
    parser.add_argument("--channel", choices=("rest", "socketio"), default="rest")
    parser.add_argument(
        "--url", default="", help="Rasa's public URL; empty: start a private deployment"
    )
    parser.add_argument("--console-url", default="", help="the console (ticket API) URL")
    parser.add_argument("--token", default="", help="console API token (python -m bot token)")
    parser.add_argument(
        "--rasa-token", default="", help="Rasa HTTP API token (default: RASA_TOKEN / var/)"
    )
    parser.add_argument(
        "--think",
        type=float,
        default=None,
        help="mean seconds a customer takes before each next message (3; 0: no pause)",
    )
    parser.add_argument("--seed", type=int, default=8, help="scenario seed (8)")
    parser.add_argument("--model", type=Path, default=None, help="model for a private deployment")
    parser.add_argument(
        "--production",
        action="store_true",
        help="private deployment in production mode: fresh PostgreSQL databases, Redis, "
        "2 Rasa + 2 action processes behind nginx",
    )
    parser.add_argument(
        "--postgres-url",
        default="postgresql://postgres@127.0.0.1:5432/test",
        help="with --production: a PostgreSQL URL allowed to create databases",
    )
    parser.add_argument(
        "--redis-url", default="redis://127.0.0.1:6379/0", help="with --production: lock store"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(handler=_load)


def _newest_model(models_dir: Path) -> Path:
    models = sorted(models_dir.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        raise RuntimeError(f"no model in {models_dir}: run `make train` or pass --url")
    return models[-1]


def _load(args: argparse.Namespace) -> int:
    import tempfile
    from contextlib import ExitStack

    from bot.bench.live import live_bot
    from bot.load.runner import Target
    from bot.settings import get_settings

    settings = get_settings()
    if args.url:
        if not (args.console_url and args.token):
            raise RuntimeError("--url needs --console-url and --token (python -m bot token create)")
        target = Target(
            rasa_url=args.url.rstrip("/"),
            console_url=args.console_url.rstrip("/"),
            api_token=args.token,
            rasa_token=args.rasa_token or settings.rasa_token(),
            channel=args.channel,
        )
        return run_and_report(target, args)
    model = args.model or _newest_model(settings.models_dir)
    mode = "production mode" if args.production else "embedded defaults"
    print(f"starting a private deployment with {model.name} ({mode})…", flush=True)
    with tempfile.TemporaryDirectory(prefix="load-") as root, ExitStack() as stack:
        if args.production:
            from bot.load.deployment import production_bot

            bot, _ = stack.enter_context(
                production_bot(model, Path(root), args.postgres_url, args.redis_url)
            )
        else:
            bot = stack.enter_context(live_bot(model, Path(root)))
        target = Target(bot.rasa, bot.console, bot.api_token(), bot.rasa_token, args.channel)
        return run_and_report(target, args)


def run_and_report(target: object, args: argparse.Namespace) -> int:
    """Run the load on ``target``, print the report; 0 when nothing failed or went missing."""
    import asyncio

    from tqdm import tqdm

    from bot.load.checks import check_run
    from bot.load.report import render
    from bot.load.runner import THINK_S, Target, run_load

    assert isinstance(target, Target)
    think_s = THINK_S if args.think is None else args.think
    bar = tqdm(total=args.conversations, unit="conv", disable=args.no_progress)
    turns = 0

    def on_turn() -> None:
        nonlocal turns
        turns += 1
        bar.set_postfix(turns=turns, refresh=False)

    conversations, wall_s = asyncio.run(
        run_load(
            target,
            args.conversations,
            args.concurrency,
            seed=args.seed,
            think_s=think_s,
            on_turn=on_turn,
            on_done=lambda _: bar.update(1),
        )
    )
    bar.close()
    print("checking tickets and trackers…", flush=True)
    checks = asyncio.run(check_run(target, conversations))
    print(render(conversations, wall_s, checks, target.channel, think_s), flush=True)
    failed = any(c.error for c in conversations)
    return 0 if checks.ok and not failed else 1
