"""Rasa's SQL tracker store keeps the trackers it saved, and checks them with one cheap query.

Every message made Rasa load the conversation: select its events since the latest
``SessionStarted``, build an ORM object and parse the JSON of each, and replay them all into a
new tracker — a quarter of the Rasa process's cost of a turn outside the NLU, growing with the
conversation. Yet the tracker it rebuilt was, in nearly every case, the one this process had
saved a moment before.

So after a save the store keeps that tracker object (up to ``TRACKER_CACHE_SIZE`` of the most
recent conversations), with the id of the conversation's newest stored event. The next load
asks the database only for that id (``SELECT max(id) … WHERE sender_id = …``, on the index
Rasa creates): when it is unchanged nobody else wrote to the conversation — not another Rasa
process, not an API call — and the kept tracker is exactly what loading would have rebuilt;
otherwise the store loads from the database as before. It is the same store, only faster:

- **The same tracker.** A tracker is kept as it is when it holds exactly the events a load
  would select: none older than its latest ``SessionStarted`` (by the timestamps the database
  query filters on). Otherwise — the turn that started a session, whose tracker still holds
  ``action_session_start`` or the previous session — the kept tracker is rebuilt from the
  selected events, as a load would rebuild it (the turn's own tracker is left alone).
- **Handed over, never shared.** A load takes the tracker out of the cache. A turn that fails
  before saving leaves nothing behind, and its next load reads the database.
- **Across processes.** Conversation turns are serialised by Rasa's lock store (in memory, or
  Redis across processes); a write by anyone else changes the newest id and forces a load.
- Not kept: trackers with a capped history (``max_event_history``), and loads of every session
  (``retrieve_full_tracker``) always read the database.

Installed by :func:`bot.rasa_fixes.apply` in the Rasa server process.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from typing import Any

from bot.rasa_tracker_store import newest_after_save, newest_event_query, remember_stored
from bot.settings import get_settings

#: Attribute on a ``SQLTrackerStore``: sender id → (tracker, newest stored event id).
_CACHE = "_complaint_bot_tracker_cache"


def _cache(store: Any) -> OrderedDict[str, tuple[Any, int]]:
    cache = store.__dict__.get(_CACHE)
    if cache is None:
        cache = OrderedDict()
        setattr(store, _CACHE, cache)
    return cache


def newest_event_id(store: Any, sender_id: str) -> int | None:
    """Id of the conversation's newest stored event (``None`` without any)."""
    with store.engine.connect() as connection:
        newest = connection.execute(newest_event_query(store), {"sender": sender_id}).scalar()
    return None if newest is None else int(newest)


def _latest_session_start(tracker: Any) -> float | None:
    from rasa.shared.core.events import SessionStarted

    starts = [e.timestamp for e in tracker.events if isinstance(e, SessionStarted)]
    return max(starts) if starts else None


def latest_session_copy(store: Any, tracker: Any) -> Any:
    """The tracker a load of the latest session rebuilds from ``tracker``'s events.

    ``tracker`` itself when it holds only those events; otherwise they are replayed on a new
    tracker, as a load replays them (``tracker`` is left as it is).
    """
    from rasa.shared.core.trackers import DialogueStateTracker

    start = _latest_session_start(tracker)
    if start is None or all(e.timestamp >= start for e in tracker.events):
        return tracker
    events = [e for e in tracker.events if e.timestamp >= start]
    copy = DialogueStateTracker.from_events(tracker.sender_id, events, store.domain.slots)
    remember_stored(store, copy)
    return copy


def _keeping_saved(original: Any) -> Any:
    @functools.wraps(original)
    async def save(self: Any, tracker: Any) -> None:
        cache = _cache(self)
        cache.pop(tracker.sender_id, None)
        await original(self, tracker)  # a failed save keeps nothing
        size = get_settings().tracker_cache_size
        if size <= 0 or getattr(tracker, "_max_event_history", None) is not None:
            return
        newest = newest_after_save(self, tracker)
        if newest is None:
            return
        cache[tracker.sender_id] = (latest_session_copy(self, tracker), newest)
        while len(cache) > size:
            cache.popitem(last=False)

    return save


def _loading_kept(original: Any) -> Any:
    @functools.wraps(original)
    async def _retrieve(self: Any, sender_id: str, fetch_events_from_all_sessions: bool) -> Any:
        kept = _cache(self).pop(sender_id, None)
        if kept is not None and not fetch_events_from_all_sessions:
            tracker, newest = kept
            if newest_event_id(self, sender_id) == newest:
                return tracker
        return await original(self, sender_id, fetch_events_from_all_sessions)

    return _retrieve


def apply() -> None:
    """Install the tracker cache (once per process)."""
    from rasa.core.tracker_store import SQLTrackerStore

    from bot.rasa_patch import patch_method

    patch_method(SQLTrackerStore, "save", _keeping_saved)
    patch_method(SQLTrackerStore, "_retrieve", _loading_kept)
