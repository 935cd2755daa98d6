"""Server-issued web-chat sessions (the channel itself runs in test_channels_e2e.py)."""

from __future__ import annotations

import pytest

from bot.channels.socketio import SessionSigner, _metadata


def test_issued_tokens_verify_to_their_sender_id() -> None:
    signer = SessionSigner("secret")
    sender_id, token = signer.issue()
    assert token.startswith(f"{sender_id}.") and signer.verify(token) == sender_id
    assert signer.issue()[0] != sender_id  # every session is new


@pytest.mark.parametrize(
    "token",
    [None, 42, "", "no-signature", "a.b.c", ".sig", "deadbeef.AAAAAAAAAAAAAAAAAAAAAAAA"],
)
def test_forged_or_malformed_tokens_are_rejected(token: object) -> None:
    assert SessionSigner("secret").verify(token) is None


def test_tokens_do_not_verify_under_another_key_or_for_another_id() -> None:
    sender_id, token = SessionSigner("one").issue()
    assert SessionSigner("two").verify(token) is None
    other_id, other_token = SessionSigner("one").issue()
    signature = token.split(".")[1]
    assert SessionSigner("one").verify(f"{other_id}.{signature}") is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [({"page": "/x"}, {"page": "/x"}), ('{"page": "/x"}', {"page": "/x"}), ("{not json", {}),
     (["a"], {}), (None, {})],
)  # fmt: skip
def test_client_metadata_is_read_safely(raw: object, expected: dict[str, str]) -> None:
    assert _metadata(raw) == expected
