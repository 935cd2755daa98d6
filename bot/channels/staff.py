"""How a staff member's reply is recognised in a bot message (contract with the console).

The console relays a staff reply as a ``bot`` event whose data carries
``{"custom": {"staff_reply": {"agent": "<display name>"}}}`` next to the text; Rasa hands the
output channel ``{"text": ..., "custom": {...}}``. Channels show the text once, marked as a
person's words, instead of sending the text and then the raw custom payload.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def staff_agent(message: Mapping[str, Any]) -> str | None:
    """Return the agent's display name if ``message`` is a staff reply, else ``None``.

    An empty name still counts as a staff reply (returned as ``""``).
    """
    custom = message.get("custom")
    if not isinstance(custom, Mapping):
        return None
    reply = custom.get("staff_reply")
    if not isinstance(reply, Mapping):
        return None
    return str(reply.get("agent") or "")
