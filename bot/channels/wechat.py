"""WeChat Official Account (公众号) channel for Rasa, at ``/webhooks/wechat/webhook``.

Registered in ``credentials.yml`` by its module path (``bot.channels.wechat.WeChatInput``);
its settings come from ``WECHAT_*`` environment variables over that entry (DESIGN.md §5).
The conversation of a WeChat user is keyed by their OpenID; the input channel is named
``wechat``. The protocol itself (signatures, AES, deduplication, the 5-second rule) lives in
``bot.channels.wechat_webhook``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.wechat_api import WeChatApi
from bot.channels.wechat_output import ButtonMemory, WeChatOutput
from bot.channels.wechat_webhook import CHANNEL_NAME, WeChatWebhook
from bot.settings import WeChatSettings, wechat_settings

logger = logging.getLogger(__name__)


class WeChatInput(InputChannel):
    """Rasa input channel receiving WeChat's pushes and answering within its rules."""

    @classmethod
    def name(cls) -> str:
        """Channel name: URL prefix (``/webhooks/wechat``) and ``input_channel`` of messages."""
        return CHANNEL_NAME

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """Build the channel from its ``credentials.yml`` entry, env variables taking priority."""
        return cls(wechat_settings(credentials))

    def __init__(self, config: WeChatSettings) -> None:
        """Create the channel; the API client and button memory are shared by all users."""
        self.config = config
        self.api = WeChatApi(config.api_base, config.app_id, config.app_secret)
        self.buttons = ButtonMemory()
        if not config.token:
            logger.warning("WeChat channel loaded without WECHAT_TOKEN: it answers 503")

    def get_output_channel(self) -> OutputChannel:
        """Output for messages outside a request (staff replies, surveys): the service API."""
        return WeChatOutput(self.api, self.buttons)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Routes ``GET /`` (health) and ``GET|POST /webhook`` under ``/webhooks/wechat``."""
        webhook = WeChatWebhook(self.config, self.api, self.buttons, on_new_message)
        blueprint = Blueprint("wechat_webhook", __name__)

        @blueprint.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok", "configured": bool(self.config.token)})

        @blueprint.route("/webhook", methods=["GET", "POST"])
        async def receive(request: Request) -> HTTPResponse:
            query = {key: request.args.get(key, "") for key in request.args}
            answer = await webhook.handle(request.method, query, request.body or b"")
            return response.text(
                answer.body, status=answer.status, content_type=answer.content_type
            )

        return blueprint
