"""The trainer's inbox: uncertain customer messages, their labels, their export state.

Messages arrive from the tracker store (``bot.store.transcripts``) through ``sync_inbox``; a
trainer labels them (``label``); the export writes labelled ones to the NLU training data and
marks them (``pending_export``, ``mark_exported``). Functions that change rows commit.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import EMOTIONS, NluLabel, utcnow
from bot.store.transcripts import CustomerMessage

#: ``source`` of messages synced from the tracker store.
SOURCE_TRACKER = "tracker"

#: Most rows ``list_inbox`` returns at once.
MAX_INBOX_LIMIT = 1000

# Rows per INSERT: 12 bound parameters each stays far below SQLite's and PostgreSQL's
# limits on parameters per statement.
_INSERT_CHUNK = 100


class LabelNotFoundError(LookupError):
    """No inbox message has the given id."""


def _row(message: CustomerMessage, now: datetime) -> dict[str, Any]:
    return {
        "source": SOURCE_TRACKER,
        "sender_id": message.sender_id,
        "event_id": message.event_id,
        "message_id": message.message_id,
        "message_at": message.timestamp,
        "text": message.text,
        "predicted_intent": message.intent,
        "confidence": message.confidence,
        "created_at": now,
    }


def _insert_ignoring_duplicates(dialect: str, rows: list[dict[str, Any]]) -> Any:
    """Return an INSERT of ``rows`` that skips rows already there, or ``None`` if unsupported."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(NluLabel).values(rows).on_conflict_do_nothing()
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(NluLabel).values(rows).on_conflict_do_nothing()
    return None


async def _existing_event_ids(session: AsyncSession, event_ids: Sequence[int]) -> set[int]:
    result = await session.execute(
        select(NluLabel.event_id).where(
            NluLabel.source == SOURCE_TRACKER, NluLabel.event_id.in_(event_ids)
        )
    )
    return {int(value) for value in result.scalars().all()}


async def sync_inbox(session: AsyncSession, messages: Iterable[CustomerMessage]) -> int:
    """Add uncertain tracker messages to the inbox; messages already there are left alone.

    Idempotent: the ``(source, event_id)`` unique key lets a re-sync (or two concurrent
    ones) insert each tracker event once, and never touches an existing row, so labels
    survive. Commits.

    Args:
        session: The session to use.
        messages: Messages from ``bot.store.transcripts.uncertain_messages``.

    Returns:
        How many messages were new.
    """
    unique = {message.event_id: message for message in messages}
    if not unique:
        return 0
    dialect = session.get_bind().dialect.name
    now = utcnow()
    added = 0
    # Oldest first, so that inbox ids grow with message time whatever order they came in.
    ordered = sorted(unique.values(), key=lambda m: (m.timestamp, m.event_id))
    try:
        for start in range(0, len(ordered), _INSERT_CHUNK):
            chunk = ordered[start : start + _INSERT_CHUNK]
            rows = [_row(message, now) for message in chunk]
            statement = _insert_ignoring_duplicates(dialect, rows)
            if statement is not None:
                result = await session.execute(statement)
                added += max(int(result.rowcount or 0), 0)
                continue
            # Other databases: look first, then insert what is missing.
            known = await _existing_event_ids(session, [m.event_id for m in chunk])
            fresh = [row for row in rows if row["event_id"] not in known]
            session.add_all(NluLabel(**row) for row in fresh)
            await session.flush()
            added += len(fresh)
        await session.commit()
    except Exception:
        # Release the SQLite write lock before the caller sees the error.
        await session.rollback()
        raise
    return added


async def newest_synced_at(session: AsyncSession) -> datetime | None:
    """Return the time of the newest message synced from the tracker store, or ``None``.

    ``bot nlu inbox`` syncs from there on instead of rescanning the whole tracker store.
    """
    result = await session.execute(
        select(func.max(NluLabel.message_at)).where(NluLabel.source == SOURCE_TRACKER)
    )
    return result.scalar_one_or_none()


async def list_inbox(
    session: AsyncSession, *, unlabelled_only: bool = True, limit: int = 50
) -> list[NluLabel]:
    """Return inbox messages, newest first.

    Args:
        session: The session to use.
        unlabelled_only: Leave out messages a trainer has labelled already.
        limit: At most this many, 1..``MAX_INBOX_LIMIT``.

    Returns:
        The messages.

    Raises:
        ValueError: ``limit`` is out of range.
    """
    if not 1 <= limit <= MAX_INBOX_LIMIT:
        raise ValueError(f"limit must be between 1 and {MAX_INBOX_LIMIT}")
    query = select(NluLabel)
    if unlabelled_only:
        query = query.where(NluLabel.label_intent.is_(None))
    # Agent flags may lack a message time: their inbox entry time stands in for it.
    newest = func.coalesce(NluLabel.message_at, NluLabel.created_at)
    query = query.order_by(newest.desc(), NluLabel.id.desc()).limit(limit)
    return list((await session.execute(query)).scalars().all())


async def label(
    session: AsyncSession,
    label_id: int,
    intent: str,
    emotion: str | None = None,
    by: str = "cli",
    *,
    allowed_intents: Collection[str],
) -> NluLabel:
    """Record a trainer's intent (and optionally emotion) for one inbox message; commits.

    A message may be relabelled until it is exported; after that the label lives in the
    training data and is corrected there.

    Args:
        session: The session to use.
        label_id: Id of the inbox message.
        intent: The correct intent.
        emotion: The customer's emotion, one of ``EMOTIONS``, or ``None``.
        by: Who labelled it.
        allowed_intents: The intents of the domain; ``intent`` must be one of them.

    Returns:
        The updated message.

    Raises:
        ValueError: ``intent`` or ``emotion`` is not allowed, or the message was exported.
        LabelNotFoundError: No message has ``label_id``.
    """
    if intent not in allowed_intents:
        raise ValueError(
            f"unknown intent {intent!r}; valid intents: {', '.join(sorted(allowed_intents))}"
        )
    if emotion is not None and emotion not in EMOTIONS:
        raise ValueError(f"unknown emotion {emotion!r}; valid emotions: {', '.join(EMOTIONS)}")
    row = await session.get(NluLabel, label_id)
    if row is None:
        raise LabelNotFoundError(f"no inbox message with id {label_id}")
    if row.exported_at is not None:
        raise ValueError(
            f"inbox message {label_id} is already in the training data; correct it there"
        )
    row.label_intent = intent
    row.label_emotion = emotion
    row.labelled_by = by
    row.labelled_at = utcnow()
    await session.commit()
    return row


async def pending_export(session: AsyncSession) -> list[NluLabel]:
    """Return labelled messages not yet written to the training data, oldest label first."""
    result = await session.execute(
        select(NluLabel)
        .where(NluLabel.label_intent.isnot(None), NluLabel.exported_at.is_(None))
        .order_by(NluLabel.id)
    )
    return list(result.scalars().all())


async def mark_exported(session: AsyncSession, ids: Iterable[int]) -> int:
    """Mark messages as written to the training data; commits.

    Messages exported before keep their first export time.

    Returns:
        How many messages were marked.
    """
    wanted = sorted(set(ids))
    if not wanted:
        return 0
    result = await session.execute(
        update(NluLabel)
        .where(NluLabel.id.in_(wanted), NluLabel.exported_at.is_(None))
        .values(exported_at=utcnow())
    )
    await session.commit()
    return int(result.rowcount or 0)


async def set_emotion(session: AsyncSession, label_id: int, emotion: str, by: str) -> NluLabel:
    """Record only the emotion of an inbox message (its intent label, if any, is kept); commits.

    Raises:
        ValueError: ``emotion`` is not one of ``EMOTIONS``, or the message was exported.
        LabelNotFoundError: No message has ``label_id``.
    """
    if emotion not in EMOTIONS:
        raise ValueError(f"unknown emotion {emotion!r}; valid emotions: {', '.join(EMOTIONS)}")
    row = await session.get(NluLabel, label_id)
    if row is None:
        raise LabelNotFoundError(f"no inbox message with id {label_id}")
    if row.exported_at is not None:
        raise ValueError(
            f"inbox message {label_id} is already in the training data; correct it there"
        )
    row.label_emotion = emotion
    row.labelled_by = by
    row.labelled_at = utcnow()
    await session.commit()
    return row


#: ``source`` of messages an agent flagged in the console.
SOURCE_AGENT_FLAG = "agent_flag"


async def flag_message(session: AsyncSession, message: CustomerMessage) -> bool:
    """Put a message an agent says the bot misunderstood into the inbox; commits.

    Returns:
        ``False`` when that message had been flagged already (nothing changes).
    """
    existing = await session.execute(
        select(NluLabel.id).where(
            NluLabel.source == SOURCE_AGENT_FLAG, NluLabel.event_id == message.event_id
        )
    )
    if existing.first() is not None:
        return False
    session.add(NluLabel(**{**_row(message, utcnow()), "source": SOURCE_AGENT_FLAG}))
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()  # a concurrent flag of the same message won
        return False
    return True
