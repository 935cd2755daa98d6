"""``python -m bot users add NAME --role agent|trainer|admin``: staff accounts of the console.

Passwords are read from standard input (typed twice without echo on a terminal, else the first
line), never from the command line where they would land in shell history and ``ps``.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from typing import Any

from bot.commands import Subparsers

#: Same as ``bot.store.models.STAFF_ROLES`` (kept here so ``--help`` stays light).
ROLES = ("agent", "trainer", "admin")


def register(subparsers: Subparsers) -> None:
    """Add the ``users`` command."""
    parser = subparsers.add_parser("users", help="staff accounts of the console")
    actions = parser.add_subparsers(dest="users_action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="create an account; the password is read from stdin")
    add.add_argument("name", help="username (lower-case letters, digits, . _ -)")
    add.add_argument("--role", choices=ROLES, required=True)
    add.add_argument("--display-name", default=None, help="name customers see on replies")
    add.set_defaults(handler=_add)
    passwd = actions.add_parser("passwd", help="set a new password (read from stdin)")
    passwd.add_argument("name")
    passwd.set_defaults(handler=_passwd)
    for action, active in (("disable", False), ("enable", True)):
        sub = actions.add_parser(action, help=f"{action} an account")
        sub.add_argument("name")
        sub.set_defaults(handler=_set_active, active=active)
    listing = actions.add_parser("list", help="list the accounts")
    listing.set_defaults(handler=_list)


def read_password() -> str:
    """The new password: typed twice on a terminal, else the first line of stdin."""
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Repeat: ") != first:
            raise ValueError("the passwords differ")
        return first
    return sys.stdin.readline().rstrip("\r\n")


async def _with_session(work: Any) -> Any:
    from bot.settings import get_settings
    from bot.store.db import make_engine, make_sessionmaker
    from bot.store.migrate import upgrade

    url = get_settings().database_url
    await asyncio.get_running_loop().run_in_executor(None, upgrade, url)
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            return await work(session)
    finally:
        await engine.dispose()


async def _find(session: Any, name: str) -> Any:
    from bot.store.staff import find_user

    user = await find_user(session, name)
    if user is None:
        raise LookupError(f"no user {name!r} (see `python -m bot users list`)")
    return user


def _add(args: argparse.Namespace) -> int:
    from bot.store.staff import create_user

    password = read_password()

    async def work(session: Any) -> Any:
        return await create_user(session, args.name, password, args.role, args.display_name)

    user = asyncio.run(_with_session(work))
    print(f"Created {user.role} {user.username!r}.")
    return 0


def _passwd(args: argparse.Namespace) -> int:
    from bot.store.staff import set_password

    password = read_password()

    async def work(session: Any) -> None:
        await set_password(session, await _find(session, args.name), password)

    asyncio.run(_with_session(work))
    print(f"Password of {args.name!r} changed; its open sessions are ended.")
    return 0


def _set_active(args: argparse.Namespace) -> int:
    from bot.store.staff import update_user

    async def work(session: Any) -> None:
        await update_user(session, await _find(session, args.name), active=args.active)

    asyncio.run(_with_session(work))
    print(f"{args.name!r} {'enabled' if args.active else 'disabled'}.")
    return 0


def _list(_args: argparse.Namespace) -> int:
    from bot.store.staff import list_users

    users = asyncio.run(_with_session(list_users))
    for user in users:
        state = "active" if user.active else "disabled"
        print(f"{user.username:<20} {user.role:<8} {state:<9} {user.display_name or ''}")
    return 0
