"""``python -m bot token create``: issue a bearer token for the console API."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.commands import Subparsers


def register(subparsers: Subparsers) -> None:
    """Add the ``token`` command."""
    parser = subparsers.add_parser("token", help="manage console API tokens")
    actions = parser.add_subparsers(dest="token_action", metavar="ACTION", required=True)
    create = actions.add_parser(
        "create", help="create a token and print it (the last line of standard output)"
    )
    create.add_argument("--name", default="cli", help="what the token is for (default: cli)")
    create.set_defaults(handler=_create)


async def _create_token(url: str, name: str) -> str:
    from bot.store.db import make_engine, make_sessionmaker
    from bot.store.tokens import create_token

    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            return await create_token(session, name)
    finally:
        await engine.dispose()


def _create(args: argparse.Namespace) -> int:
    from bot.settings import get_settings
    from bot.store.migrate import upgrade

    url = get_settings().database_url
    upgrade(url)
    token = asyncio.run(_create_token(url, args.name))
    # Scripts read the last line of stdout; the notice goes to stderr to keep it that way.
    print(f"Created API token {args.name!r}; it is shown only this once.", file=sys.stderr)
    print(token)
    return 0
