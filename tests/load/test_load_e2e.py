"""`python -m bot load` against a running deployment: a small run, every check passing."""

from __future__ import annotations

import re
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


# REST with customers who pause between messages, socket.io at saturation (no pause).
@pytest.mark.parametrize(("channel", "think"), [("rest", "0.3"), ("socketio", "0")])
def test_six_conversations_three_at_a_time(bot: LiveBot, channel: str, think: str) -> None:
    result = subprocess.run(
        [
            sys.executable, "-m", "bot", "load", "--channel", channel, "--think", think,
            "--conversations", "6", "--concurrency", "3", "--no-progress",
            "--url", bot.rasa, "--console-url", bot.console,
            # "=": a random token may begin with "-", which argparse takes for an option.
            f"--token={bot.api_token()}", f"--rasa-token={bot.rasa_token}",
        ],
        cwd=PROJECT_ROOT, env=bot.env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    report = result.stdout
    assert f"load: 6 conversations over {channel}" in report, report + result.stderr[-3000:]
    assert "errors: 0 conversations" in report
    assert ("pause ~0.3 s" if think != "0" else "as soon as the answer arrives") in report
    assert "checked 6 completed conversations" in report
    # Integrity must be perfect. A category is the small test model's reading of a randomly
    # built message, so a misread category is reported by the tool (exit 1) but is no data loss.
    assert re.search(
        r"lost tickets 0 · duplicate tickets 0 · wrong fields \d+ · lost turns 0 · out-of-order 0",
        report,
    ), report
    listed = report.split("and the tracker store:", 1)[-1].splitlines()
    problems = [line for line in listed if line.startswith("  ") and "lost tickets" not in line]
    wrong = re.search(r"wrong fields (\d+)", report)
    assert wrong and int(wrong.group(1)) == len(problems), report  # every one is listed
    assert all(" category " in line for line in problems), report
    assert result.returncode == (1 if problems else 0), report + result.stderr[-3000:]
    for kind in ("opening", "all"):
        assert any(line.startswith(kind) for line in report.splitlines()), report
