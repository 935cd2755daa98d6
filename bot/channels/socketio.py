"""Rasa's socket.io channel for the web widget, with server-issued sessions and staff marks.

Registered in ``credentials.yml`` as ``bot.channels.socketio.SocketIOInput``; its name stays
``socketio``, so trackers, ``output_channel=socketio|latest`` and the tickets' channel read
the same as with Rasa's own class. Three changes to Rasa 3.6.21's channel:

1. **Rooms actually joined.** Rasa calls ``AsyncServer.enter_room`` without ``await``; since
   python-socketio 5.10 that is a coroutine, so with ``session_persistence`` the socket never
   joins its session's room and every bot message is dropped. Here it is awaited.
2. **Sessions issued by the server.** Rasa trusts whatever ``session_id`` a client sends, so
   any page could write into any conversation whose id it learns. Here the server issues
   ``<sender id>.<HMAC>``; a client may only resume a session whose token verifies, and its
   messages go to the sender id bound to its socket, whatever ``session_id`` they carry.
3. **Staff replies as one message.** A staff member's reply relayed by the console is emitted
   as one ``bot_uttered`` ``{"text": ..., "staff": {"agent": ...}}`` for the widget to style.
4. **Several Rasa processes.** With ``REDIS_URL`` set (production mode), emits go through
   Redis (python-socketio's ``AsyncRedisManager``), so a staff reply or survey pushed through
   the HTTP API of one Rasa process reaches a widget connected to another.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import inspect
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import socketio
from rasa.core.channels import socketio as rasa_socketio
from rasa.core.channels.channel import OutputChannel, UserMessage
from sanic import Blueprint

from bot.channels.staff import staff_agent
from bot.settings import get_settings, widget_secret

logger = logging.getLogger(__name__)

#: Longest customer message passed to the bot; longer ones are cut (the widget limits too).
MAX_MESSAGE_CHARS = 2000
#: Redis pub/sub channel the Rasa processes share socket.io emits on.
REDIS_CHANNEL = "complaint-bot-socketio"


def share_emits_through_redis(sio: socketio.AsyncServer, redis_url: str) -> None:
    """Make ``sio`` publish its emits on Redis and deliver those of its sibling processes.

    Must run before the first connection (python-socketio initialises the manager then).
    """
    manager = socketio.AsyncRedisManager(redis_url, channel=REDIS_CHANNEL)
    manager.set_server(sio)
    sio.manager = manager


class SessionSigner:
    """Issues and checks session tokens ``<sender id>.<signature>``."""

    def __init__(self, secret: str) -> None:
        """Create a signer with the HMAC key ``secret``."""
        self._key = secret.encode("utf-8")

    def _signature(self, sender_id: str) -> str:
        raw = sender_id.encode("utf-8", "surrogatepass")  # JSON may carry lone surrogates
        digest = hmac.new(self._key, raw, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:18]).decode("ascii")

    def issue(self) -> tuple[str, str]:
        """Return ``(sender_id, token)`` for a new conversation."""
        sender_id = uuid.uuid4().hex
        return sender_id, f"{sender_id}.{self._signature(sender_id)}"

    def verify(self, token: object) -> str | None:
        """Return the sender id of a genuine ``token``, else ``None``."""
        if not isinstance(token, str) or token.count(".") != 1:
            return None
        sender_id, signature = token.split(".")
        # Compared as bytes: compare_digest refuses non-ASCII str (a forged token may carry it).
        given = signature.encode("utf-8", "surrogatepass")
        if not sender_id or not hmac.compare_digest(given, self._signature(sender_id).encode()):
            return None
        return sender_id


class SocketIOOutput(rasa_socketio.SocketIOOutput):
    """Rasa's socket.io output, sending a staff reply as one marked message."""

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        """Emit a staff reply once with its ``staff`` mark; anything else as Rasa does."""
        agent = staff_agent(message)
        if agent is not None and message.get("text"):
            await self._send_message(
                recipient_id, {"text": message["text"], "staff": {"agent": agent}}
            )
            return
        await super().send_response(recipient_id, message)


class SocketIOInput(rasa_socketio.SocketIOInput):
    """Rasa's socket.io input channel with awaited rooms and server-issued session ids."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Same arguments as Rasa's channel; sessions are signed with ``WIDGET_SECRET``."""
        super().__init__(*args, **kwargs)
        self.signer = SessionSigner(widget_secret(get_settings()))

    def get_output_channel(self) -> OutputChannel | None:
        """Output for staff replies and surveys pushed through Rasa's HTTP API."""
        if self.sio is None:
            return super().get_output_channel()
        return SocketIOOutput(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Rasa's blueprint with the session and message handlers replaced."""
        blueprint = super().blueprint(on_new_message)
        sio = self.sio
        assert sio is not None  # set by Rasa's blueprint()
        redis_url = get_settings().redis_url
        if redis_url:
            share_emits_through_redis(sio, redis_url)

        async def session_request(sid: str, data: Any = None) -> None:
            token = data.get("session_id") if isinstance(data, dict) else None
            sender_id = self.signer.verify(token)
            if sender_id is None:
                if token:
                    logger.info("socket.io session token rejected; issuing a new session")
                sender_id, token = self.signer.issue()
            await sio.save_session(sid, {"sender_id": sender_id}, namespace=self.namespace)
            if self.session_persistence:
                joined = sio.enter_room(sid, sender_id, namespace=self.namespace)
                if inspect.isawaitable(joined):  # a coroutine since python-socketio 5.10
                    await joined
            await sio.emit("session_confirm", token, room=sid, namespace=self.namespace)

        # An emit without arguments calls the handler with the sid alone.
        async def handle_message(sid: str, data: Any = None) -> None:
            session = await sio.get_session(sid, namespace=self.namespace)
            sender_id = session.get("sender_id")
            if sender_id is None and self.session_persistence:
                logger.warning("socket.io message before session_request ignored")
                return
            if not isinstance(data, dict) or not isinstance(data.get("message", ""), str):
                logger.warning("malformed socket.io message ignored")
                return
            await on_new_message(
                UserMessage(
                    data.get("message", "")[:MAX_MESSAGE_CHARS],
                    SocketIOOutput(sio, self.bot_message_evt),
                    sender_id or sid,
                    input_channel=self.name(),
                    metadata=_metadata(data.get(self.metadata_key)),
                )
            )

        sio.on("session_request", session_request, namespace=self.namespace)
        sio.on(self.user_message_evt, handle_message, namespace=self.namespace)
        return blueprint


def _metadata(raw: Any) -> dict[str, Any]:
    """The client's metadata as a dict; anything unreadable becomes ``{}``."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return {}
    return raw if isinstance(raw, dict) else {}
