"""Encryption of personal data at rest."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet, MultiFernet

from bot.store import crypto


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    old, new = Fernet.generate_key(), Fernet.generate_key()
    monkeypatch.setattr(crypto, "get_cipher", lambda: MultiFernet([Fernet(new), Fernet(old)]))
    return [new, old]


@pytest.mark.parametrize("phone", ["13812345678", "010-62345678", "＋86 138 1234 5678"])
def test_round_trip(keys: list[bytes], phone: str) -> None:
    token = crypto.encrypt(phone)
    assert phone not in token
    assert crypto.decrypt(token) == phone


def test_same_value_encrypts_differently_each_time(keys: list[bytes]) -> None:
    # A fixed ciphertext per number would let anyone with the table count repeat callers.
    assert crypto.encrypt("13812345678") != crypto.encrypt("13812345678")


def test_value_under_a_rotated_out_key_still_decrypts(keys: list[bytes]) -> None:
    old_only = Fernet(keys[1]).encrypt(b"13900001111").decode()
    assert crypto.decrypt(old_only) == "13900001111"


def test_unknown_key_reads_as_none_not_a_crash(keys: list[bytes]) -> None:
    foreign = Fernet(Fernet.generate_key()).encrypt(b"13812345678").decode()
    assert crypto.decrypt(foreign) is None
    assert crypto.decrypt("not a token") is None
