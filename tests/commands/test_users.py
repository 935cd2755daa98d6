"""``python -m bot users``: accounts created from the command line, password from stdin."""

from __future__ import annotations

import subprocess
import sys

from bot.runner import child_env
from bot.settings import Settings


def _bot(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "users", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=child_env(),
        timeout=120,
    )


def test_add_list_disable(settings: Settings) -> None:
    added = _bot(
        "add", "wang", "--role", "agent", "--display-name", "客服小王", stdin="pass-word-1\n"
    )
    assert added.returncode == 0, added.stderr
    assert "pass-word-1" not in added.stdout + added.stderr
    listing = _bot("list")
    assert "wang" in listing.stdout and "agent" in listing.stdout and "客服小王" in listing.stdout
    again = _bot("add", "wang", "--role", "admin", stdin="pass-word-2\n")
    assert again.returncode == 1 and "already exists" in again.stderr
    short = _bot("add", "li", "--role", "agent", stdin="short\n")
    assert short.returncode == 1 and "at least 8" in short.stderr
    assert _bot("disable", "wang").returncode == 0
    assert "disabled" in _bot("list").stdout
    missing = _bot("passwd", "nobody", stdin="pass-word-3\n")
    assert missing.returncode == 1 and "no user" in missing.stderr
