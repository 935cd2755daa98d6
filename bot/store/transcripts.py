"""Read customer messages from Rasa's SQL tracker store (``TRACKER_DB_URL``).

Rasa 3.6's ``SQLTrackerStore`` keeps every event of every conversation in one table,
``events``, with the event itself as JSON text in ``data``. The table is declared here with
SQLAlchemy Core, column for column as Rasa creates it, so the store layer can read it without
importing Rasa (the store is the ground floor, and Rasa takes seconds to import).

The tracker store belongs to the Rasa server: this module only ever reads from it.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, inspect, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

logger = logging.getLogger(__name__)

#: Intent that Rasa's ``FallbackClassifier`` puts on top when the real top intent is unsure.
FALLBACK_INTENT = "nlu_fallback"

#: ``type_name`` of the events that carry what a customer typed.
USER_EVENT = "user"

#: Rows read from the database per round trip while scanning for uncertain messages.
_BATCH = 500

tracker_metadata = MetaData()

#: Rasa 3.6 ``SQLTrackerStore.SQLEvent`` (``rasa/core/tracker_store.py``).
events = Table(
    "events",
    tracker_metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)


@dataclass(frozen=True)
class CustomerMessage:
    """One message a customer typed, with what the NLU made of it.

    Attributes:
        event_id: Primary key of the event in the tracker store's ``events`` table.
        sender_id: Rasa conversation id.
        text: The message as typed.
        intent: The NLU's top intent; for messages the ``FallbackClassifier`` caught, the top
            intent before the fallback (``intent_ranking[1]``).
        confidence: Confidence of ``intent``, 0..1.
        timestamp: When Rasa received the message (UTC).
        channel: Input channel (``rest``, ``socketio``, ``wechat``), if recorded.
        message_id: Rasa's id of the message, if recorded.
    """

    event_id: int
    sender_id: str
    text: str
    intent: str | None
    confidence: float
    timestamp: datetime
    channel: str | None
    message_id: str | None


def _as_float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _prediction(parse_data: dict[str, Any]) -> tuple[str | None, float | None, bool]:
    """Return ``(intent, confidence, caught_by_fallback)`` of one NLU result.

    The ``FallbackClassifier`` replaces the top intent by ``nlu_fallback`` and inserts it at
    the head of the ranking, so the model's own best guess is the next entry.
    """
    intent = parse_data.get("intent") or {}
    name = intent.get("name")
    if name != FALLBACK_INTENT:
        return name, _as_float(intent.get("confidence")), False
    ranking = [
        entry
        for entry in parse_data.get("intent_ranking") or []
        if isinstance(entry, dict) and entry.get("name") != FALLBACK_INTENT
    ]
    if ranking:
        return ranking[0].get("name"), _as_float(ranking[0].get("confidence")), True
    return None, _as_float(intent.get("confidence")), True


def parse_user_event(row: Any, threshold: float) -> CustomerMessage | None:
    """Turn one ``events`` row into a ``CustomerMessage`` if the NLU was unsure about it.

    Args:
        row: A row with the columns of ``events``.
        threshold: Messages whose top intent confidence is below this are uncertain.

    Returns:
        The message, or ``None`` when it is certain, not a real typed message (button
        payloads such as ``/affirm``, events injected without NLU output) or unreadable.
    """
    try:
        data = json.loads(row.data or "{}")
    except ValueError:
        logger.warning("tracker event %s has unreadable data; skipped", row.id)
        return None
    text = (data.get("text") or "").strip()
    parse_data = data.get("parse_data") or {}
    # "/intent" texts are buttons and quick replies: the customer clicked, the NLU never ran.
    if not text or text.startswith("/") or not parse_data.get("intent"):
        return None
    intent, confidence, caught = _prediction(parse_data)
    if confidence is None:
        confidence = 0.0
    if not caught and confidence >= threshold:
        return None
    timestamp = row.timestamp if row.timestamp is not None else data.get("timestamp")
    return CustomerMessage(
        event_id=int(row.id),
        sender_id=str(row.sender_id),
        text=text,
        intent=intent,
        confidence=confidence,
        timestamp=datetime.fromtimestamp(float(timestamp or 0.0), tz=timezone.utc),
        channel=data.get("input_channel"),
        message_id=data.get("message_id") or parse_data.get("message_id"),
    )


def _has_events_table(connection: Connection) -> bool:
    return bool(inspect(connection).has_table(events.name))


async def uncertain_messages(
    engine: AsyncEngine,
    threshold: float,
    since: datetime | None = None,
    limit: int = 100,
) -> list[CustomerMessage]:
    """Return the customer messages the NLU was unsure about, newest first.

    A message is uncertain when its top intent confidence is below ``threshold`` or when
    the ``FallbackClassifier`` replaced its intent by ``nlu_fallback``.

    Args:
        engine: Async engine of the tracker store (``make_engine(settings.tracker_db_url)``).
        threshold: Confidence below which a message counts as uncertain, usually the
            ``FallbackClassifier`` threshold of ``config.yml``.
        since: Only messages received at or after this time; naive values are taken as UTC.
        limit: At most this many messages.

    Returns:
        The messages; empty when Rasa has not created its ``events`` table yet.

    Raises:
        ValueError: ``limit`` is not positive.
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    # Rasa always stamps events; rows without a time could not be paged through below.
    conditions = [events.c.type_name == USER_EVENT, events.c.timestamp.isnot(None)]
    if since is not None:
        if since.tzinfo is None:
            since = since.replace(tzinfo=timezone.utc)
        conditions.append(events.c.timestamp >= since.timestamp())
    found: list[CustomerMessage] = []
    async with engine.connect() as connection:
        if not await connection.run_sync(_has_events_table):
            return found
        # Confidence lives inside the JSON text, which SQL cannot filter portably, so rows
        # are read newest first in keyset-paginated batches until enough are found.
        last: tuple[float, int] | None = None
        while len(found) < limit:
            query = select(events).where(*conditions)
            if last is not None:
                stamp, event_id = last
                query = query.where(
                    (events.c.timestamp < stamp)
                    | ((events.c.timestamp == stamp) & (events.c.id < event_id))
                )
            query = query.order_by(events.c.timestamp.desc(), events.c.id.desc()).limit(_BATCH)
            rows = (await connection.execute(query)).fetchall()
            for row in rows:
                message = parse_user_event(row, threshold)
                if message is not None:
                    found.append(message)
                    if len(found) >= limit:
                        break
            if len(rows) < _BATCH:
                break
            last = (rows[-1].timestamp, rows[-1].id)
    return found
