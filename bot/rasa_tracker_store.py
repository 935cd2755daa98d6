"""Rasa's SQL tracker store without a ``SELECT count(*)`` on every save.

``SQLTrackerStore.save`` finds the events it has not stored yet by counting, in the database,
the conversation's events since its latest ``SessionStarted`` and skipping that many of the
tracker's events. That query ran on every turn, about a third of the cost of saving one.

The tracker being saved is the one the store itself loaded (or created and saved) at the start
of the turn, under the conversation's lock (Rasa's lock store: in memory, or Redis across
processes), so the number of its events already in the database is known without asking: it
is how many events were loaded, or saved the last time. That number is remembered on the
tracker object and used instead of the count, giving the same events to insert:

- A tracker loaded with the latest session only holds exactly the database's events since the
  latest ``SessionStarted``, which is what the count counts; a session started during the turn
  is not in the database before the save, so the count would still be that number.
- A tracker that did not come from this store (built from events, loaded with every session by
  ``retrieve_full_tracker``, a copy) carries no number, and one whose event history is capped
  (``max_event_history``: old events drop out, so positions shift) is never given one: both
  are saved with Rasa's count query, as before.

With several Rasa processes nothing changes either: each turn loads the tracker afresh under
the conversation's lock, which is also what Rasa's count relies on (a write by another process
between the load and the save would confuse the count just the same).

The events are written with one multi-row ``INSERT`` (the same rows Rasa writes) instead of
an ORM object per event: SQLAlchemy's unit of work cost more than the rows themselves.

Installed by :func:`bot.rasa_fixes.apply` in the Rasa server process.
"""

from __future__ import annotations

import functools
import itertools
import json
from typing import Any

_APPLIED = "_complaint_bot_saves_without_count"
#: Attribute on a ``DialogueStateTracker``: (store, how many of its events the store holds).
_STORED = "_complaint_bot_stored_events"
#: Attribute on a ``DialogueStateTracker``: (store, id of the conversation's newest stored event
#: right after its latest save), read in the save's own transaction.
_NEWEST = "_complaint_bot_newest_event_id"


def newest_after_save(store: Any, tracker: Any) -> int | None:
    """Id of the newest event ``store`` held for the conversation when it saved ``tracker``.

    ``None`` when ``tracker`` was not saved by ``store`` or the conversation has no events.
    """
    known = getattr(tracker, _NEWEST, None)
    return None if known is None or known[0] is not store else known[1]


def newest_event_query(store: Any) -> Any:
    """``SELECT max(id)`` of one conversation's events (parameter ``sender``)."""
    import sqlalchemy as sa

    table = store.SQLEvent.__table__
    return sa.text(f"SELECT max(id) FROM {table.name} WHERE sender_id = :sender")


def remember_stored(store: Any, tracker: Any) -> None:
    """Note on ``tracker`` that ``store`` holds all of its events."""
    if tracker is not None and getattr(tracker, "_max_event_history", None) is None:
        setattr(tracker, _STORED, (store, len(tracker.events)))


def _stored_count(store: Any, tracker: Any) -> int | None:
    """How many of ``tracker``'s events ``store`` holds, when it is known without a query."""
    known = getattr(tracker, _STORED, None)
    if known is None or known[0] is not store or known[1] > len(tracker.events):
        return None
    return int(known[1])


def _wrap_retrieve(original: Any) -> Any:
    @functools.wraps(original)
    async def _retrieve(self: Any, sender_id: str, fetch_events_from_all_sessions: bool) -> Any:
        tracker = await original(self, sender_id, fetch_events_from_all_sessions)
        if not fetch_events_from_all_sessions:
            remember_stored(self, tracker)
        return tracker

    return _retrieve


def _wrap_additional_events(original: Any) -> Any:
    @functools.wraps(original)
    def _additional_events(self: Any, session: Any, tracker: Any) -> Any:
        stored = _stored_count(self, tracker)
        if stored is None:
            return original(self, session, tracker)
        return itertools.islice(tracker.events, stored, len(tracker.events))

    return _additional_events


def event_row(sender_id: str, event: Any) -> dict[str, Any]:
    """The ``events`` row Rasa's ``SQLTrackerStore.save`` writes for ``event``."""
    from rasa.shared.nlu.constants import INTENT_NAME_KEY

    data = event.as_dict()
    return {
        "sender_id": sender_id,
        "type_name": event.type_name,
        "timestamp": data.get("timestamp"),
        "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
        "action_name": data.get("name"),
        "data": json.dumps(data),
    }


def _wrap_save(original: Any) -> Any:
    @functools.wraps(original)
    async def save(self: Any, tracker: Any) -> None:
        # Rasa's save, with one multi-row INSERT instead of an ORM object per event.
        await self.stream_events(tracker)
        with self.session_scope() as session:
            rows = [
                event_row(tracker.sender_id, e) for e in self._additional_events(session, tracker)
            ]
            if rows:
                session.execute(self.SQLEvent.__table__.insert(), rows)
            # In the same transaction (the tracker cache keys on it): no second round trip.
            newest = session.execute(
                newest_event_query(self), {"sender": tracker.sender_id}
            ).scalar()
            session.commit()
        # Only reached when the events were committed.
        remember_stored(self, tracker)
        setattr(tracker, _NEWEST, (self, None if newest is None else int(newest)))

    return save


def apply() -> None:
    """Install the count-free save (once per process)."""
    from rasa.core.tracker_store import SQLTrackerStore

    if getattr(SQLTrackerStore, _APPLIED, False):
        return
    SQLTrackerStore._retrieve = _wrap_retrieve(SQLTrackerStore._retrieve)  # type: ignore[method-assign]
    SQLTrackerStore._additional_events = _wrap_additional_events(  # type: ignore[method-assign]
        SQLTrackerStore._additional_events
    )
    SQLTrackerStore.save = _wrap_save(SQLTrackerStore.save)  # type: ignore[method-assign]
    setattr(SQLTrackerStore, _APPLIED, True)
