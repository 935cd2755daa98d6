"""``python -m bot db upgrade``: apply the tickets database migrations."""

from __future__ import annotations

import argparse
import sys

from bot.commands import Subparsers


def register(subparsers: Subparsers) -> None:
    """Add the ``db`` command."""
    parser = subparsers.add_parser("db", help="manage the tickets database")
    actions = parser.add_subparsers(dest="db_action", metavar="ACTION", required=True)
    upgrade = actions.add_parser("upgrade", help="apply all pending migrations (idempotent)")
    upgrade.add_argument("--url", help="database URL (default: DATABASE_URL)")
    upgrade.set_defaults(handler=_upgrade)


def _upgrade(args: argparse.Namespace) -> int:
    from sqlalchemy.engine import make_url

    from bot.settings import get_settings
    from bot.store.migrate import current_revision, upgrade

    url = args.url or get_settings().database_url
    upgrade(url)
    shown = make_url(url).render_as_string(hide_password=True)
    print(f"{shown} is at revision {current_revision(url)}", file=sys.stderr)
    return 0
