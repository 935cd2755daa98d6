"""Rasa's REST channel with its request checked first: bad requests get a clear 4xx.

Rasa 3.6.21's ``RestInput`` reads ``request.json.get(...)`` without checking what the body is:
a JSON array, number or ``null`` raised ``AttributeError`` (HTTP 500), and a message that is not
a string, or a megabyte long, went into the NLU pipeline. Here the body must be a JSON object
with a string ``message`` of at most ``MAX_MESSAGE_CHARS`` characters and a short string
``sender``; anything else is answered 400 (413 when too long) with a one-line reason. The
channel keeps the name ``rest``, so the URL stays ``/webhooks/rest/webhook``.
"""

from __future__ import annotations

from typing import Any

from rasa.core.channels import rest
from sanic.exceptions import InvalidUsage, PayloadTooLarge
from sanic.request import Request

from bot.channels.socketio import MAX_MESSAGE_CHARS

#: Rasa's SQL tracker store keeps sender ids in a VARCHAR(255).
MAX_SENDER_CHARS = 255


def check_payload(payload: Any) -> None:
    """Raise a 4xx ``SanicException`` unless ``payload`` is a valid REST message.

    Raises:
        InvalidUsage: Not an object, or a field of the wrong type or size (HTTP 400).
        PayloadTooLarge: ``message`` is longer than ``MAX_MESSAGE_CHARS`` (HTTP 413).
    """
    if not isinstance(payload, dict):
        raise InvalidUsage('the body must be a JSON object like {"sender": "…", "message": "…"}')
    message, sender = payload.get("message"), payload.get("sender")
    if not isinstance(message, str):
        raise InvalidUsage('"message" must be a string')
    if len(message) > MAX_MESSAGE_CHARS:
        raise PayloadTooLarge(f'"message" is longer than {MAX_MESSAGE_CHARS} characters')
    if sender is not None and (
        not isinstance(sender, str) or not 0 < len(sender) <= MAX_SENDER_CHARS
    ):
        raise InvalidUsage(f'"sender" must be a string of 1 to {MAX_SENDER_CHARS} characters')
    channel = payload.get("input_channel")
    if channel is not None and (not isinstance(channel, str) or len(channel) > 64):
        raise InvalidUsage('"input_channel" must be a short string')
    if payload.get("metadata") is not None and not isinstance(payload["metadata"], dict):
        raise InvalidUsage('"metadata" must be a JSON object')


class RestInput(rest.RestInput):
    """``rest`` with the request body checked before Rasa reads it."""

    async def _extract_sender(self, req: Request) -> str | None:
        # Rasa calls this first, outside its try block: a raised SanicException becomes a 4xx.
        try:
            payload = req.json
        except InvalidUsage:
            raise InvalidUsage("the body is not valid JSON") from None
        check_payload(payload)
        return await super()._extract_sender(req)
