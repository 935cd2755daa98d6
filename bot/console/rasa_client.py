"""The console's side of the conversation: staff replies, pausing, resuming and surveys go
into the customer's own conversation through Rasa's HTTP API.

Messages reach the customer in the channel they wrote in (``output_channel=latest``): the
socket.io widget or WeChat's customer-service API. On the REST channel, which has no way to
push, they are stored in the conversation and returned to the caller.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import quote

import aiohttp

logger = logging.getLogger(__name__)

#: Intent the console triggers in a conversation when its ticket is resolved by staff.
TICKET_RESOLVED_INTENT = "EXTERNAL_ticket_resolved"

#: Marker in a bot message's ``custom`` data: the text was written by a staff member.
STAFF_REPLY_KEY = "staff_reply"

TIMEOUT = aiohttp.ClientTimeout(total=15)


class RasaUnavailable(RuntimeError):
    """Rasa did not accept the request (down, restarting, or it answered with an error)."""


class RasaClient:
    """A small client of the Rasa server's conversation API.

    Args:
        base_url: Rasa's address, e.g. ``http://127.0.0.1:5005``.
        token: The API token Rasa was started with (``--auth-token``).
        session: The HTTP session to use (owned by the caller).
    """

    def __init__(self, base_url: str, token: str, session: aiohttp.ClientSession) -> None:
        self._base = base_url.rstrip("/")
        self._token = token
        self._http = session

    async def _post(self, path: str, payload: Any, **params: str) -> Any:
        params["token"] = self._token
        url = f"{self._base}{path}"
        try:
            async with self._http.post(url, json=payload, params=params, timeout=TIMEOUT) as resp:
                if resp.status >= 400:
                    body = await resp.text()
                    raise RasaUnavailable(f"Rasa answered {resp.status} for {path}: {body[:200]}")
                return await resp.json(content_type=None)
        # asyncio.TimeoutError is not the builtin TimeoutError before Python 3.11: a busy Rasa
        # timing out must read as unavailable, not as a 500 (seen by `make load`).
        except (aiohttp.ClientError, asyncio.TimeoutError, TimeoutError) as error:
            raise RasaUnavailable(f"Rasa could not be reached for {path}: {error}") from error

    async def status(self) -> dict[str, Any]:
        """Rasa's ``GET /status``: the model it serves (``model_file``, ``model_id``)."""
        url = f"{self._base}/status"
        try:
            async with self._http.get(url, params={"token": self._token}, timeout=TIMEOUT) as resp:
                if resp.status >= 400:
                    raise RasaUnavailable(f"Rasa answered {resp.status} for /status")
                return dict(await resp.json(content_type=None) or {})
        except (aiohttp.ClientError, asyncio.TimeoutError, TimeoutError, ValueError) as error:
            raise RasaUnavailable(f"Rasa could not be reached for /status: {error}") from error

    async def append_events(
        self, sender_id: str, events: list[dict[str, Any]], *, side_effects: bool = False
    ) -> Any:
        """Append ``events`` to the conversation; with ``side_effects`` bot messages are sent."""
        params = {"output_channel": "latest"}
        if side_effects:
            params["execute_side_effects"] = "true"
        return await self._post(
            f"/conversations/{_quote(sender_id)}/tracker/events", events, **params
        )

    async def send_staff_reply(self, sender_id: str, text: str, agent: str) -> None:
        """Deliver a staff member's reply to the customer in their channel."""
        event = {
            "event": "bot",
            "text": text,
            "data": {"custom": {STAFF_REPLY_KEY: {"agent": agent}}},
            "metadata": {STAFF_REPLY_KEY: agent},
        }
        await self.append_events(sender_id, [event], side_effects=True)

    async def pause(self, sender_id: str) -> None:
        """Stop the bot answering in the conversation (staff are handling it)."""
        await self.append_events(sender_id, [{"event": "pause"}])

    async def resume(self, sender_id: str) -> None:
        """Let the bot answer in the conversation again.

        The pause came straight after ``action_handoff``, before the bot went back to
        listening, so ``action_listen`` is logged here: the next customer message (or a
        triggered intent) is then read like any other turn by the rules and policies.
        """
        await self.append_events(
            sender_id, [{"event": "resume"}, {"event": "action", "name": "action_listen"}]
        )

    async def trigger_intent(
        self, sender_id: str, intent: str, entities: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """Run the bot as if the customer had expressed ``intent``; returns its messages."""
        result = await self._post(
            f"/conversations/{_quote(sender_id)}/trigger_intent",
            {"name": intent, "entities": entities or {}},
            output_channel="latest",
        )
        return list((result or {}).get("messages") or [])

    async def start_survey(self, sender_id: str, ticket_number: str) -> list[dict[str, Any]]:
        """Resume the conversation and have the bot ask the satisfaction questions."""
        await self.resume(sender_id)
        return await self.trigger_intent(
            sender_id, TICKET_RESOLVED_INTENT, {"ticket_number": ticket_number}
        )


def _quote(sender_id: str) -> str:
    return quote(sender_id, safe="")
