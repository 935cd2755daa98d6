"""Encryption at rest for personal data in the tickets database (contact phone numbers).

Values are encrypted with Fernet (AES-128-CBC + HMAC-SHA256) from the ``cryptography``
package under the key(s) of ``Settings.data_keys``; a database dump alone reveals no phone
number. Decryption failures (a lost or wrong key) are logged and read as ``None`` instead of
breaking every page that lists tickets.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator

from bot.settings import get_settings

logger = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def get_cipher() -> MultiFernet:
    """Return the process-wide cipher built from the configured data keys."""
    return MultiFernet([Fernet(key.encode("ascii")) for key in get_settings().data_keys()])


def encrypt(value: str) -> str:
    """Return ``value`` encrypted as URL-safe ASCII text."""
    return get_cipher().encrypt(value.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str | None:
    """Return the plaintext of ``token``, or ``None`` when no configured key opens it."""
    try:
        return get_cipher().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError, ValueError):
        logger.error("an encrypted value could not be decrypted: check DATA_KEY")
        return None


class EncryptedText(TypeDecorator):
    """A text column whose values are encrypted before they reach the database."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else encrypt(value)

    def process_result_value(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else decrypt(value)
