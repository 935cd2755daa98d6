"""Property tests of the WeChat webhook with hostile bodies (in-process, many examples).

Whatever arrives — random bytes, broken XML, entity bombs, huge or odd texts — the handler
answers 200, 400 or 403 and never raises; a well-formed text message reaches the bot word for
word. The same entry point is also fuzzed over HTTP against a live deployment (bot.bench.fuzz).
"""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.bench.fuzz import raw_bodies
from bot.bench.wechat_fake import WeChatSender
from bot.channels.wechat_api import WeChatApi
from bot.channels.wechat_output import ButtonMemory
from bot.channels.wechat_webhook import WeChatWebhook
from bot.settings import WeChatSettings
from tests.channels.conftest import APP_ID, APP_SECRET, TOKEN

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
SENDER = WeChatSender(TOKEN, APP_ID)
# XML 1.0 cannot carry control characters or surrogates; WeChat never sends them.
XML_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\ufffe\uffff"),
    min_size=1,
    max_size=600,
).filter(lambda t: "]]>" not in t and t.strip() == t and t.strip())


class EchoBot:
    """Stands in for Rasa: records the text and answers at once."""

    def __init__(self) -> None:
        self.received: list[str] = []

    async def __call__(self, message: Any) -> None:
        self.received.append(message.text)
        await message.output_channel.send_response(message.sender_id, {"text": "收到"})


def handle(body: bytes, query: dict[str, str] | None = None) -> tuple[int, EchoBot]:
    bot = EchoBot()
    config = WeChatSettings(TOKEN, APP_ID, APP_SECRET, "", "http://127.0.0.1:9", 4.0)
    webhook = WeChatWebhook(
        config, WeChatApi(config.api_base, APP_ID, APP_SECRET), ButtonMemory(), bot
    )
    answer = asyncio.run(webhook.handle("POST", query or SENDER.signed_query(), body))
    return answer.status, bot


@FUZZ
@given(body=raw_bodies | st.binary(max_size=5000))
def test_any_signed_body_gets_200_or_400(body: bytes) -> None:
    status, _ = handle(body)
    assert status in (200, 400)


@FUZZ
@given(body=raw_bodies, signature=st.text(max_size=50))
def test_a_bad_signature_is_refused_before_the_body_is_read(body: bytes, signature: str) -> None:
    status, bot = handle(body, {**SENDER.signed_query(), "signature": signature})
    assert status == 403 and bot.received == []


@FUZZ
@given(content=XML_TEXT)
def test_a_text_message_reaches_the_bot_word_for_word(content: str) -> None:
    query, body = SENDER.post(SENDER.text("o6_bmfuzzfuzzfuzzfuzzfuzzfuzz", content))
    status, bot = handle(body, query)
    assert status == 200
    assert bot.received == [content]
