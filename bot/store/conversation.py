"""A customer's whole conversation, read from Rasa's SQL tracker store for the console.

Customer messages carry what the NLU made of them (intent, emotion, escalation threat); bot
messages are marked when a staff member wrote them (``bot.console.rasa_client`` puts the
agent's name in the event). Read-only, like ``bot.store.transcripts``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.transcripts import _has_events_table, _prediction, events

logger = logging.getLogger(__name__)

#: Key of the staff marker in a bot event (same as ``bot.console.rasa_client``).
STAFF_REPLY_KEY = "staff_reply"

#: Most messages one transcript read returns (the newest ones).
MAX_TRANSCRIPT = 1000


@dataclass(frozen=True)
class TranscriptEntry:
    """One message of a conversation.

    Attributes:
        event_id: Id of the event in the tracker store (grows with time).
        speaker: ``customer``, ``bot`` or ``staff``.
        text: What was said (button payloads such as ``/request_human`` as they are).
        at: When (UTC).
        intent: Customer messages: the NLU's intent (before any fallback).
        confidence: Its confidence.
        fallback: The ``FallbackClassifier`` caught the message (the bot was unsure).
        emotion: Customer messages: emotion name (``anger``, ``anxiety``, …).
        intensity: Its intensity, 1–3.
        threat: The customer threatened to escalate outside.
        agent: Staff messages: the agent's display name.
        clicked: The customer clicked a button instead of typing.
    """

    event_id: int
    speaker: str
    text: str
    at: datetime
    intent: str | None = None
    confidence: float | None = None
    fallback: bool = False
    emotion: str | None = None
    intensity: int | None = None
    threat: bool = False
    agent: str | None = None
    clicked: bool = False


def _when(row: Any, data: dict[str, Any]) -> datetime:
    stamp = row.timestamp if row.timestamp is not None else data.get("timestamp")
    return datetime.fromtimestamp(float(stamp or 0.0), tz=timezone.utc)


def _customer(row: Any, data: dict[str, Any]) -> TranscriptEntry:
    text = str(data.get("text") or "")
    parse = data.get("parse_data") or {}
    intent, confidence, fallback = (
        _prediction(parse) if parse.get("intent") else (None, None, False)
    )
    raw_emotion = parse.get("emotion")
    emotion: dict[str, Any] = raw_emotion if isinstance(raw_emotion, dict) else {}
    try:
        intensity = int(emotion["intensity"]) if emotion.get("intensity") else None
    except (TypeError, ValueError):
        intensity = None
    return TranscriptEntry(
        event_id=int(row.id),
        speaker="customer",
        text=text,
        at=_when(row, data),
        intent=intent,
        confidence=confidence,
        fallback=fallback,
        emotion=emotion.get("name"),
        intensity=intensity,
        threat=bool(parse.get("escalation_threat")),
        clicked=text.startswith("/"),
    )


def _staff_agent(data: dict[str, Any]) -> str | None:
    custom = (data.get("data") or {}).get("custom")
    if isinstance(custom, dict) and isinstance(custom.get(STAFF_REPLY_KEY), dict):
        return str(custom[STAFF_REPLY_KEY].get("agent") or "")
    metadata = data.get("metadata") or {}
    if isinstance(metadata, dict) and STAFF_REPLY_KEY in metadata:
        return str(metadata.get(STAFF_REPLY_KEY) or "")
    return None


def _bot(row: Any, data: dict[str, Any]) -> TranscriptEntry | None:
    text = str(data.get("text") or "")
    buttons = (data.get("data") or {}).get("buttons") or []
    titles = [str(b.get("title")) for b in buttons if isinstance(b, dict) and b.get("title")]
    if titles:
        text = f"{text} ［{' / '.join(titles)}］".strip()
    if not text:
        return None
    agent = _staff_agent(data)
    return TranscriptEntry(
        event_id=int(row.id),
        speaker="staff" if agent is not None else "bot",
        text=text,
        at=_when(row, data),
        agent=agent,
    )


def parse_row(row: Any) -> TranscriptEntry | None:
    """Turn one ``events`` row into a transcript entry (``None`` for unreadable or empty)."""
    try:
        data = json.loads(row.data or "{}")
    except ValueError:
        logger.warning("tracker event %s has unreadable data; skipped", row.id)
        return None
    if row.type_name == "user":
        return _customer(row, data)
    return _bot(row, data)


async def read_transcript(
    engine: AsyncEngine,
    sender_id: str,
    *,
    after_id: int | None = None,
    limit: int = 300,
) -> list[TranscriptEntry]:
    """Return the conversation's messages, oldest first (the newest ``limit`` of them).

    Args:
        engine: Async engine of the tracker store.
        sender_id: The conversation.
        after_id: Only messages with a larger event id (live updates).
        limit: At most this many, 1..``MAX_TRANSCRIPT``.

    Returns:
        The messages; empty when Rasa has not created its ``events`` table yet.
    """
    if not 1 <= limit <= MAX_TRANSCRIPT:
        raise ValueError(f"limit must be between 1 and {MAX_TRANSCRIPT}")
    query = select(events.c.id, events.c.type_name, events.c.timestamp, events.c.data).where(
        events.c.sender_id == sender_id, events.c.type_name.in_(("user", "bot"))
    )
    if after_id is not None:
        query = query.where(events.c.id > after_id)
    query = query.order_by(events.c.id.desc()).limit(limit)
    async with engine.connect() as connection:
        if not await connection.run_sync(_has_events_table):
            return []
        rows = (await connection.execute(query)).fetchall()
    entries = [parse_row(row) for row in reversed(rows)]
    return [entry for entry in entries if entry is not None]
