"""The access-token cache and the customer-service sender, against the fake WeChat API."""

from __future__ import annotations

import pytest

from bot.bench.wechat_fake import FakeWeChatApi
from bot.channels.wechat_api import WeChatApi, WeChatApiError
from tests.channels.conftest import APP_ID, APP_SECRET

OPENID = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"


async def test_token_is_fetched_once_and_reused(fake_api: FakeWeChatApi) -> None:
    api = WeChatApi(fake_api.url, APP_ID, APP_SECRET)
    try:
        for text in ("一", "二", "三"):
            await api.send_text(OPENID, text)
    finally:
        await api.close()
    assert fake_api.sent_to(OPENID) == ["一", "二", "三"]
    assert fake_api.token_requests == 1


async def test_rejected_token_is_refreshed_and_the_message_still_sent(
    fake_api: FakeWeChatApi,
) -> None:
    api = WeChatApi(fake_api.url, APP_ID, APP_SECRET)
    try:
        await api.send_text(OPENID, "之前")
        fake_api.expire_tokens()  # WeChat invalidated it (new token elsewhere, or 7200 s)
        await api.send_text(OPENID, "之后")
    finally:
        await api.close()
    assert fake_api.sent_to(OPENID) == ["之前", "之后"]
    assert fake_api.token_requests == 2


async def test_short_lived_tokens_are_renewed_before_they_expire(
    fake_api: FakeWeChatApi,
) -> None:
    fake_api.expires_in = 0  # already stale when received: every send needs a new one
    api = WeChatApi(fake_api.url, APP_ID, APP_SECRET)
    try:
        first = await api.access_token()
        api._expires_at = 0  # as if the clock ran past the refresh margin
        assert await api.access_token() != first
    finally:
        await api.close()


async def test_wrong_secret_and_unreachable_api_raise_clear_errors(
    fake_api: FakeWeChatApi,
) -> None:
    wrong = WeChatApi(fake_api.url, APP_ID, "wrong-secret")
    with pytest.raises(WeChatApiError) as refused:
        await wrong.send_text(OPENID, "x")
    await wrong.close()
    assert refused.value.errcode == 40125 and fake_api.messages == []
    down = WeChatApi("http://127.0.0.1:9", APP_ID, APP_SECRET)
    with pytest.raises(WeChatApiError):
        await down.send_text(OPENID, "x")
    await down.close()
