"""Command line: ``python -m bot token create`` and ``db upgrade``."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from bot.cli import build_parser, main
from bot.settings import PROJECT_ROOT, Settings
from bot.store.db import make_engine, make_sessionmaker
from bot.store.migrate import current_revision
from bot.store.tokens import verify_token


async def _verify(url: str, token: str) -> bool:
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            return await verify_token(session, token)
    finally:
        await engine.dispose()


def _run_async(coro):  # type: ignore[no-untyped-def]
    # main() runs its own event loop, so these tests are sync and use a fresh loop too.
    return asyncio.run(coro)


def test_token_create_prints_a_valid_token(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["token", "create", "--name", "ci"]) == 0
    out = capsys.readouterr().out
    token = out.strip().splitlines()[-1]
    assert _run_async(_verify(settings.database_url, token))
    assert not _run_async(_verify(settings.database_url, token[:-1]))


def test_token_create_twice_gives_different_tokens(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["token", "create"])
    main(["token", "create"])
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and lines[0] != lines[1]


def test_db_upgrade(settings: Settings) -> None:
    assert main(["db", "upgrade"]) == 0
    from tests.store.test_migrate import HEAD

    assert current_revision(settings.database_url) == HEAD
    assert main(["db", "upgrade"]) == 0


def test_no_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "token" in capsys.readouterr().err


def test_commands_are_discovered() -> None:
    help_text = build_parser().format_help()
    assert "token" in help_text and "db" in help_text


def test_python_m_bot_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--help"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "token" in result.stdout
