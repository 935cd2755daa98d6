"""The WeChat webhook's protocol logic, independent of the web framework.

``WeChatWebhook.handle`` takes a request's method, query and body and returns the status and
body to answer with; ``bot.channels.wechat`` wraps it in Rasa's Sanic blueprint. Keeping the
protocol here lets tests drive it with requests built by wechatpy, exactly as WeChat sends
them, and the blueprint stays a few lines.

The rules WeChat imposes:

- Every request is signed (``signature`` over token, timestamp, nonce); in safe mode the
  body is AES-encrypted and signed again (``msg_signature``). Bad signatures get 403.
- WeChat waits 5 s for an answer, then retries up to three times with the same MsgId
  (events: same FromUserName + CreateTime). A retry must not reach the bot a second time: it
  waits for the first delivery's outcome and answers the same way.
- An answer is a passive XML reply, or ``success`` (nothing to say now; anything later goes
  through the customer-service API).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from rasa.core.channels.channel import UserMessage

from bot.channels import texts
from bot.channels.ttl import TTLMap
from bot.channels.wechat_api import WeChatApi
from bot.channels.wechat_output import ButtonMemory, DeferredReply
from bot.privacy import mask_text
from bot.settings import WeChatSettings

logger = logging.getLogger(__name__)

#: WeChat's messages are a few KB at most; anything far larger is not from WeChat.
MAX_BODY_BYTES = 64 * 1024
#: How long a delivery's outcome is kept for retries (WeChat retries within ~15 s).
DEDUP_TTL_S = 5 * 60
SUCCESS = "success"
CHANNEL_NAME = "wechat"
_XML = "application/xml; charset=utf-8"
_TEXT = "text/plain; charset=utf-8"

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


@dataclass(frozen=True)
class Answer:
    """What to send back to WeChat."""

    status: int
    body: str
    content_type: str = _TEXT


class BadRequest(Exception):
    """The request is not a well-formed WeChat message (answered with 400)."""


class WeChatWebhook:
    """Verifies, deduplicates and answers WeChat's requests for one Official Account."""

    def __init__(
        self,
        config: WeChatSettings,
        api: WeChatApi,
        buttons: ButtonMemory,
        on_new_message: OnNewMessage,
    ) -> None:
        """Create the handler.

        Args:
            config: Token, AppID and EncodingAESKey of the account, and the reply deadline.
            api: Client of the customer-service API, for answers that miss the deadline.
            buttons: Buttons last offered per OpenID, so that "1" picks the first one.
            on_new_message: Rasa's callback that runs one turn of the conversation.
        """
        from wechatpy.crypto import WeChatCrypto

        self.config = config
        self.api = api
        self.buttons = buttons
        self.on_new_message = on_new_message
        self.crypto = (
            WeChatCrypto(config.token, config.aes_key, config.app_id) if config.aes_key else None
        )
        self._deliveries: TTLMap[asyncio.Future[str]] = TTLMap(DEDUP_TTL_S)
        # Turns still running after their request was answered; kept so they are not
        # garbage-collected mid-flight.
        self._background: set[asyncio.Task[Any]] = set()

    async def handle(self, method: str, query: Mapping[str, str], body: bytes) -> Answer:
        """Answer one HTTP request to the webhook.

        Args:
            method: ``GET`` (URL verification) or ``POST`` (a message or event).
            query: The query parameters (one value each).
            body: The raw request body.
        """
        from wechatpy.exceptions import InvalidSignatureException
        from wechatpy.utils import check_signature

        started = time.monotonic()
        if not self.config.token:
            logger.error("WeChat request refused: WECHAT_TOKEN is not configured")
            return Answer(503, "wechat channel not configured")
        try:
            check_signature(
                self.config.token,
                query.get("signature", ""),
                query.get("timestamp", ""),
                query.get("nonce", ""),
            )
        except InvalidSignatureException:
            logger.warning("WeChat request with a bad signature refused")
            return Answer(403, "invalid signature")
        if method == "GET":
            return Answer(200, query.get("echostr", ""))
        if len(body) > MAX_BODY_BYTES:
            return Answer(400, "request body too large")
        encrypted = query.get("encrypt_type", "raw").lower() == "aes"
        try:
            message = self._parse(body, query, encrypted)
        except InvalidSignatureException:
            return Answer(403, "invalid message signature")
        except BadRequest as error:
            logger.warning("malformed WeChat request: %s", error)
            return Answer(400, "malformed message")
        deadline = started + self.config.reply_timeout_s
        text = await self._answer_once(message, deadline)
        if text == SUCCESS:
            return Answer(200, SUCCESS)
        return Answer(200, self._render(message, text, query, encrypted), _XML)

    def _parse(self, body: bytes, query: Mapping[str, str], encrypted: bool) -> Any:
        from wechatpy import parse_message
        from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException

        try:
            xml = body.decode("utf-8")
            if encrypted:
                if self.crypto is None:
                    raise BadRequest("encrypted message but WECHAT_AES_KEY is not configured")
                xml = self.crypto.decrypt_message(
                    xml,
                    query.get("msg_signature", ""),
                    query.get("timestamp", ""),
                    query.get("nonce", ""),
                )
            message = parse_message(xml)
            if message is None or not message.source:
                raise BadRequest("no FromUserName")
            _ = message.id, message.time  # malformed numbers raise here, not later
        except (InvalidSignatureException, BadRequest):
            raise
        except InvalidAppIdException as error:
            raise InvalidSignatureException() from error
        except Exception as error:  # noqa: BLE001 - expat, base64, AES padding, missing keys …
            raise BadRequest(f"{type(error).__name__}") from error
        return message

    def _render(self, message: Any, text: str, query: Mapping[str, str], encrypted: bool) -> str:
        from wechatpy.replies import TextReply

        # A CDATA section cannot contain "]]>"; customers' words are echoed in summaries.
        xml = TextReply(message=message, content=text.replace("]]>", "]] >")).render()
        if encrypted and self.crypto is not None:
            return str(self.crypto.encrypt_message(xml, query.get("nonce", "")))
        return str(xml)

    @staticmethod
    def delivery_key(message: Any) -> str:
        """MsgId for messages; FromUserName + CreateTime (+ event) for events."""
        if _event(message) is not None:
            return f"event:{message.source}:{message.time}:{_event(message)}"
        if message.id:
            return f"msg:{message.id}"
        return f"msg:{message.source}:{message.time}"

    async def _answer_once(self, message: Any, deadline: float) -> str:
        """Answer a delivery, or wait for the answer to the same delivery already in flight."""
        key = self.delivery_key(message)
        first = self._deliveries.get(key)
        if first is not None:
            logger.info("WeChat retry of %s: answering like the first delivery", key)
            try:
                remaining = max(deadline - time.monotonic(), 0.0)
                return await asyncio.wait_for(asyncio.shield(first), remaining)
            except asyncio.TimeoutError:
                return SUCCESS  # the first delivery will send its answer through the API
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._deliveries.set(key, future)
        try:
            text = await self._answer(message, deadline)
        except Exception:
            # Nothing reaches the customer as a stack trace; WeChat gets an empty answer.
            logger.exception("WeChat message %s failed", key)
            text = SUCCESS
        future.set_result(text)
        return text

    async def _answer(self, message: Any, deadline: float) -> str:
        event = _event(message)
        if event is not None:
            return texts.pick(texts.WELCOME) if event == "subscribe" else SUCCESS
        text = ""
        if message.type == "text":
            text = str(message.content or "").strip()
        elif message.type == "voice":
            # With speech recognition switched on, WeChat sends the transcript along.
            text = str(getattr(message, "recognition", "") or "").strip()
        if not text:
            return texts.pick(texts.TEXT_NEEDED)
        picked = self.buttons.resolve(message.source, text)
        return await self._converse(message.source, picked or text, message.id, deadline)

    async def _converse(self, openid: str, text: str, msg_id: int, deadline: float) -> str:
        """Run one turn; a passive reply if it ends before ``deadline``, else ``success``."""
        output = DeferredReply(self.api, self.buttons, openid)
        message = UserMessage(
            text, output, openid, input_channel=CHANNEL_NAME, metadata={"wechat_msg_id": msg_id}
        )

        async def run_turn() -> None:
            await self.on_new_message(message)

        turn = asyncio.create_task(run_turn())
        try:
            await asyncio.wait_for(asyncio.shield(turn), max(deadline - time.monotonic(), 0.0))
        except asyncio.TimeoutError:
            logger.info("bot slower than the WeChat deadline: answering through the API")
            self._keep(output.switch_to_api())
            self._keep(turn)
            return SUCCESS
        reply = output.passive_text()
        if reply is None:
            self._keep(output.switch_to_api())  # sends what did not fit, if anything
            return SUCCESS
        return reply

    def _keep(self, task: asyncio.Task[Any]) -> None:
        self._background.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("WeChat turn failed: %s", mask_text(repr(task.exception())))


def _event(message: Any) -> str | None:
    """The lower-case event name of an event (also of kinds wechatpy does not know), else None.

    wechatpy renames a scan-to-subscribe to ``subscribe_scan``; the raw XML still says
    ``subscribe``, which is what matters here.
    """
    data = getattr(message, "_data", {})
    if str(data.get("MsgType", "")).lower() != "event":
        return None
    event = str(data.get("Event", "")).lower()
    return "subscribe" if event.startswith("subscribe") else event
