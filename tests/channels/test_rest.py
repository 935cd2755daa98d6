"""The REST channel's request check: what is refused, with which status, and what passes."""

from __future__ import annotations

from typing import Any

import pytest
from sanic.exceptions import SanicException

from bot.channels.rest import MAX_SENDER_CHARS, check_payload
from bot.channels.socketio import MAX_MESSAGE_CHARS


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        (None, 400),
        ([], 400),
        (1.5, 400),
        ("text", 400),
        ({}, 400),
        ({"sender": "a", "message": {"x": 1}}, 400),
        ({"sender": "a", "message": 5}, 400),
        ({"sender": 7, "message": "hi"}, 400),
        ({"sender": "", "message": "hi"}, 400),
        ({"sender": "a" * (MAX_SENDER_CHARS + 1), "message": "hi"}, 400),
        ({"sender": "a", "message": "hi", "metadata": [1]}, 400),
        ({"sender": "a", "message": "hi", "input_channel": {"x": 1}}, 400),
        ({"sender": "a", "message": "啊" * (MAX_MESSAGE_CHARS + 1)}, 413),
    ],
)
def test_bad_payloads_are_refused_with_a_4xx(payload: Any, status: int) -> None:
    with pytest.raises(SanicException) as refused:
        check_payload(payload)
    assert refused.value.status_code == status
    assert str(refused.value)  # a reason the caller can read


@pytest.mark.parametrize(
    "payload",
    [
        {"sender": "a", "message": ""},
        {"message": "你好"},
        {"sender": "用户😡", "message": "啊" * MAX_MESSAGE_CHARS, "metadata": {"k": 1}},
        {"sender": "a", "message": "'; DROP TABLE x; --", "input_channel": "rest"},
    ],
)
def test_good_payloads_pass(payload: dict[str, Any]) -> None:
    check_payload(payload)
