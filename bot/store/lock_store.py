"""Rasa's Redis lock store with atomic ticket updates, for several Rasa processes.

Rasa keeps one conversation's messages in order with a ticket lock: each message draws a
ticket and waits for its turn. ``RedisLockStore`` stores the lock as one JSON value and changes
it by reading, editing and writing it back (``issue_ticket``, ``update_lock``, ``cleanup``).
Within one process that is safe (one event loop, no await in between); across processes it is
not: two servers that take a message of the same conversation at the same moment can both read
"no tickets", both write ticket 1 and both go ahead, and the second tracker save then drops the
first one's turn. Here every read-edit-write of a conversation's lock runs under a short Redis
mutex (``SET NX`` with an expiry, released by token — redis-py's ``Lock``), so two processes
change it one after the other.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

# Holding the mutex takes a few Redis round trips; the expiry only matters when a process dies
# holding it, and then the others wait at most this long.
MUTEX_SECONDS = 5.0


class AtomicRedisLockStore(RedisLockStore):
    """``RedisLockStore`` whose ticket changes are atomic across processes.

    Configured in endpoints.yml as ``type: bot.store.lock_store.AtomicRedisLockStore`` with the
    same keys as Rasa's ``redis`` lock store (``url`` is the host, then ``port``, ``db`` …).
    """

    def __init__(self, endpoint_config: EndpointConfig | None = None, **kwargs: Any) -> None:
        """Connect to Redis from an endpoint config (how Rasa builds it) or keyword arguments.

        Args:
            endpoint_config: The ``lock_store`` section of endpoints.yml.
            **kwargs: ``RedisLockStore`` arguments, used when no endpoint config is given.
        """
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs}
        super().__init__(**kwargs)

    @contextmanager
    def _mutex(self, conversation_id: str) -> Iterator[None]:
        from redis.exceptions import LockError as RedisMutexError
        from redis.exceptions import RedisError

        mutex = self.red.lock(
            f"{self.key_prefix}{conversation_id}:mutex",
            timeout=MUTEX_SECONDS,
            blocking_timeout=MUTEX_SECONDS,
        )
        try:
            acquired = mutex.acquire()
        except RedisError as error:
            raise LockError(f"Could not reach the lock store: {error}") from error
        if not acquired:
            raise LockError(f"Lock of conversation '{conversation_id}' is busy.")
        try:
            yield
        finally:
            try:
                mutex.release()
            except RedisMutexError:
                # Expired while held (a stalled process): the next holder already moved on.
                logger.warning("lock store mutex of %s expired while held", conversation_id)

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        """Draw the next ticket; no other process draws or removes one meanwhile."""
        with self._mutex(conversation_id):
            return super().issue_ticket(conversation_id, lock_lifetime)

    def update_lock(self, conversation_id: str) -> None:
        """Drop expired tickets without losing one drawn by another process meanwhile."""
        with self._mutex(conversation_id):
            super().update_lock(conversation_id)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Hand the lock on, deleting it only if truly nobody drew a ticket in between."""
        with self._mutex(conversation_id):
            super().cleanup(conversation_id, ticket_number)
