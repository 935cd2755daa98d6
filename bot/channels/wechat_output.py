"""What the bot says on WeChat: buttons as numbered lists, staff marks, passive or API delivery.

WeChat has no buttons. A message with buttons becomes its text plus a numbered list
(「回复数字即可：」), and the choices are remembered per OpenID for a while, so that a reply of
just "1" is turned back into the first button's payload by the input channel.
"""

from __future__ import annotations

import asyncio
import logging
import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from rasa.core.channels.channel import OutputChannel

from bot.channels import texts
from bot.channels.staff import staff_agent
from bot.channels.ttl import TTLMap
from bot.channels.wechat_api import WeChatApi, WeChatApiError
from bot.privacy import mask_text

logger = logging.getLogger(__name__)

#: How long the buttons last offered to a user stay answerable by number.
BUTTONS_TTL_S = 30 * 60
#: WeChat's limit for one text (passive reply or customer-service message), in UTF-8 bytes.
MAX_TEXT_BYTES = 2048
_LEADING_NUMBER = re.compile(r"^\s*(\d{1,2})(?!\d)")


def number_buttons(buttons: Sequence[Mapping[str, Any]]) -> list[tuple[str, str, str]]:
    """Give each button the number a customer types to pick it.

    Buttons are numbered 1, 2, 3 … in order — unless every title already starts with its own
    distinct number (a 1–5 rating: 「5 非常满意」), where typing "5" must mean five stars, not
    the fifth button.

    Returns:
        ``(key, title, payload)`` per button; ``title`` without the number when it had one.
    """
    titles = [str(button.get("title", "")) for button in buttons]
    payloads = [str(button.get("payload", "")) for button in buttons]
    matches = [_LEADING_NUMBER.match(title) for title in titles]
    keys = [match.group(1) for match in matches if match is not None]
    if len(keys) == len(titles) == len(set(keys)):
        return [
            (match.group(1), title[match.end() :].strip(" .、：:") or match.group(1), payload)
            for match, title, payload in zip(matches, titles, payloads, strict=True)
            if match is not None
        ]
    return [(str(i), t, p) for i, (t, p) in enumerate(zip(titles, payloads, strict=True), 1)]


def split_text(text: str, limit: int = MAX_TEXT_BYTES) -> list[str]:
    """Cut ``text`` into pieces of at most ``limit`` UTF-8 bytes, at line breaks if possible."""
    pieces: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        if len((current + line).encode("utf-8")) <= limit:
            current += line
            continue
        if current:
            pieces.append(current)
        current = ""
        for char in line:  # a single line longer than the limit: cut between characters
            if len((current + char).encode("utf-8")) > limit:
                pieces.append(current)
                current = ""
            current += char
    pieces.append(current)
    return [piece.strip("\n") for piece in pieces if piece.strip()]


def render_buttons(text: str, numbered: Sequence[tuple[str, str, str]]) -> str:
    """Return ``text`` followed by the numbered choices, one per line."""
    lines = [f"{key}. {title}" for key, title, _ in numbered]
    return "\n".join([text.strip(), texts.BUTTONS_HINT, *lines]) if lines else text


class ButtonMemory:
    """The buttons last offered to each OpenID, answerable by number or by exact title.

    Kept in this process's memory for ``BUTTONS_TTL_S``: after a restart, or on another Rasa
    server behind a load balancer, a bare number is passed to the bot as it is (the bot's NLU
    then asks again) — never mapped to a wrong choice.
    """

    def __init__(self, ttl_s: float = BUTTONS_TTL_S) -> None:
        """Create an empty memory whose entries live ``ttl_s`` seconds."""
        self._offers: TTLMap[dict[str, str]] = TTLMap(ttl_s)

    def remember(self, openid: str, numbered: Sequence[tuple[str, str, str]]) -> None:
        """Replace what ``openid`` can pick from by the newly offered buttons."""
        choices = {key: payload for key, _, payload in numbered}
        for _, title, payload in numbered:
            choices.setdefault(title, payload)
        self._offers.set(openid, choices)

    def resolve(self, openid: str, text: str) -> str | None:
        """Return the payload ``text`` picks (and forget the offer), or ``None``.

        Full-width digits (「１」) count as digits.
        """
        choices = self._offers.get(openid)
        if not choices:
            return None
        payload = choices.get(unicodedata.normalize("NFKC", text).strip())
        if payload is not None:
            self._offers.pop(openid)
        return payload


class WeChatOutput(OutputChannel):
    """Sends the bot's messages through the customer-service API (``message/custom/send``).

    Rasa uses this directly for messages that arrive outside a customer's request: staff
    replies and the survey after resolution (``output_channel=wechat`` or ``latest``).
    """

    @classmethod
    def name(cls) -> str:
        """The channel name Rasa matches ``output_channel`` against."""
        return "wechat"

    def __init__(self, api: WeChatApi, buttons: ButtonMemory) -> None:
        """Create an output channel sharing the process's API client and button memory."""
        self.api = api
        self.buttons = buttons

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        """Send one bot message; a staff reply goes out once, with the 【人工客服】 mark."""
        agent = staff_agent(message)
        if agent is not None and message.get("text"):
            await self.deliver(recipient_id, f"{texts.STAFF_PREFIX}{message['text']}")
            return
        await super().send_response(recipient_id, message)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """Send a plain text."""
        await self.deliver(recipient_id, text)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        """Send the text with the buttons as a numbered list, and remember the choices."""
        numbered = number_buttons(buttons)
        self.buttons.remember(recipient_id, numbered)
        await self.deliver(recipient_id, render_buttons(text, numbered))

    async def send_quick_replies(
        self, recipient_id: str, text: str, quick_replies: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        """Quick replies are buttons by another name."""
        await self.send_text_with_buttons(recipient_id, text, quick_replies, **kwargs)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        """Send an image as its link (uploading media is not needed by this bot)."""
        await self.deliver(recipient_id, image)

    async def send_custom_json(
        self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any
    ) -> None:
        """Custom payloads are for rich web clients; WeChat customers never see raw JSON."""
        logger.debug("custom payload not sent to WeChat: %s", sorted(json_message))

    async def deliver(self, recipient_id: str, text: str) -> None:
        """Send ``text`` now through the API; failures are logged, never raised into Rasa."""
        try:
            for piece in split_text(text):
                await self.api.send_text(recipient_id, piece)
        except WeChatApiError as error:
            logger.error(
                "WeChat message to %s not delivered: %s", recipient_id, mask_text(str(error))
            )


class DeferredReply(WeChatOutput):
    """Collects the bot's answer to one request for a passive reply, or sends it via the API.

    WeChat waits five seconds for the HTTP answer. While the request is open, messages are
    collected; if the bot finishes in time they become one passive reply. Once the deadline
    passes (``switch_to_api``), what was collected and everything said afterwards goes through
    ``message/custom/send``, in order.
    """

    def __init__(self, api: WeChatApi, buttons: ButtonMemory, recipient_id: str) -> None:
        """Create a collector for one request from ``recipient_id``."""
        super().__init__(api, buttons)
        self.recipient_id = recipient_id
        self._passive = True
        self._collected: list[str] = []
        self._lock = asyncio.Lock()

    async def deliver(self, recipient_id: str, text: str) -> None:
        """Collect while passive; otherwise send earlier collected messages first, then this."""
        async with self._lock:
            if self._passive:
                self._collected.append(text)
                return
            await self._flush([text])

    def passive_text(self) -> str | None:
        """The bot finished in time: its messages as one passive reply, if they fit in one.

        Returns:
            The text, or ``None`` when the bot said nothing or too much for one reply (then
            ``switch_to_api`` sends it in pieces).
        """
        joined = "\n\n".join(self._collected)
        if not self._collected or len(joined.encode("utf-8")) > MAX_TEXT_BYTES:
            return None
        self._passive = False  # anything said later (it should not be) goes via the API
        self._collected = []
        return joined

    def switch_to_api(self) -> asyncio.Task[None]:
        """The deadline passed: from now on, deliver through the API, collected ones first.

        Returns:
            The task sending what was collected (callers may await it; it never raises).
        """
        self._passive = False

        async def flush_collected() -> None:
            async with self._lock:
                await self._flush([])

        return asyncio.create_task(flush_collected())

    async def _flush(self, more: list[str]) -> None:
        pending, self._collected = [*self._collected, *more], []
        for text in pending:
            await super().deliver(self.recipient_id, text)
