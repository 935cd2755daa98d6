"""`python -m bot load` against a running deployment: a small run, every check passing."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.bench.live import LiveBot, live_bot
from bot.settings import PROJECT_ROOT

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def bot(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveBot]:
    with live_bot(trained_model, tmp_path_factory.mktemp("load")) as running:
        yield running


@pytest.mark.parametrize("channel", ["rest", "socketio"])
def test_six_conversations_three_at_a_time(bot: LiveBot, channel: str) -> None:
    result = subprocess.run(
        [
            sys.executable, "-m", "bot", "load", "--channel", channel,
            "--conversations", "6", "--concurrency", "3", "--no-progress",
            "--url", bot.rasa, "--console-url", bot.console,
            "--token", bot.api_token(), "--rasa-token", bot.rasa_token,
        ],
        cwd=PROJECT_ROOT, env=bot.env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    report = result.stdout
    assert result.returncode == 0, report + result.stderr[-3000:]
    assert f"load: 6 conversations over {channel}" in report
    assert "errors: 0 conversations" in report
    assert "checked 6 completed conversations" in report
    assert "lost tickets 0 · duplicate tickets 0 · wrong fields 0" in report
    assert "lost turns 0 · out-of-order 0" in report
    for kind in ("opening", "all"):
        assert any(line.startswith(kind) for line in report.splitlines()), report
