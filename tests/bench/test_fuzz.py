"""The bad-input campaign, a few hundred cases against one live deployment.

The full campaign (``python -m bot fuzz --cases 10000``) runs the same code with more cases.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from bot.bench.fuzz import (
    ENTRY_POINTS,
    Target,
    fuzz_target,
    new_sender_id,
    run_http_cases,
    run_socketio_cases,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def target(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    with fuzz_target(trained_model, tmp_path_factory.mktemp("fuzz")) as running:
        yield running


def test_http_entry_points_never_answer_5xx(target: Target) -> None:
    tally = run_http_cases(target, 300, seed=1)
    assert tally.failures == []
    assert set(tally.cases) == set(ENTRY_POINTS)  # every entry point got cases


def test_socketio_widget_survives_bad_messages(target: Target) -> None:
    tally = run_socketio_cases(target, 30, seed=1)
    assert tally.failures == []
    assert tally.cases["socketio"] == 30


@pytest.mark.parametrize(
    "message",
    [
        "订单号 2023112400123 😡😡😡",
        "<script>alert('13812345678')</script>",
        "'; DROP TABLE x; --",
        "\u202e\u200b反向文字",
        "𠀀𪚥 罕见字",
    ],  # fmt: skip
)
def test_odd_messages_are_kept_word_for_word(target: Target, message: str) -> None:
    sender = new_sender_id()
    answer = requests.post(
        f"{target.rasa}/webhooks/rest/webhook",
        json={"sender": sender, "message": message},
        timeout=60,
    )
    assert answer.status_code == 200 and answer.json(), answer.text
    tracker = requests.get(
        f"{target.rasa}/conversations/{sender}/tracker",
        params={"token": target.rasa_token},
        timeout=30,
    ).json()
    assert [e["text"] for e in tracker["events"] if e["event"] == "user"] == [message]


def test_malformed_requests_get_clear_4xx(target: Target) -> None:
    bad_json = requests.post(
        f"{target.rasa}/webhooks/rest/webhook",
        data=b"{not json",
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert 400 <= bad_json.status_code < 500
    unsigned = requests.post(f"{target.rasa}/webhooks/wechat/webhook", data=b"<xml>", timeout=30)
    assert 400 <= unsigned.status_code < 500
    no_token = requests.get(f"{target.console}/api/tickets", timeout=30)
    assert no_token.status_code == 401
