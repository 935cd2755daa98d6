"""Fixtures of the channel tests: a fake WeChat API and WeChat-style request builders."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.bench.wechat_fake import FakeWeChatApi, WeChatSender, new_aes_key

APP_ID = "wx0123456789abcdef"
APP_SECRET = "s3cr3t-app-secret"
TOKEN = "wechat-test-token"


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeWeChatApi]:
    """The fake WeChat API on a free loopback port, in the test's event loop."""
    fake = FakeWeChatApi(APP_ID, APP_SECRET)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


@pytest.fixture
def aes_key() -> str:
    """A fresh EncodingAESKey."""
    return new_aes_key()


@pytest.fixture
def sender() -> WeChatSender:
    """Builds plaintext-mode requests for the test account."""
    return WeChatSender(TOKEN, APP_ID)
