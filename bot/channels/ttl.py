"""A small in-process mapping whose entries expire, with a size cap.

Used for WeChat delivery deduplication and for the buttons last offered per OpenID. Both only
need to live for minutes, and both are per process: see the README for what that means when
several Rasa servers run behind a load balancer.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Generic, TypeVar

V = TypeVar("V")


class TTLMap(Generic[V]):
    """Mapping of string keys to values that vanish ``ttl_s`` seconds after being set."""

    def __init__(self, ttl_s: float, max_entries: int = 100_000) -> None:
        """Create an empty map.

        Args:
            ttl_s: Lifetime of an entry, from when it was (last) set.
            max_entries: Beyond this the oldest entries are dropped, so a flood of distinct
                keys cannot exhaust memory.
        """
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._items: OrderedDict[str, tuple[float, V]] = OrderedDict()

    def get(self, key: str) -> V | None:
        """Return the live value of ``key``, or ``None``."""
        item = self._items.get(key)
        if item is None:
            return None
        expires_at, value = item
        if expires_at <= time.monotonic():
            del self._items[key]
            return None
        return value

    def set(self, key: str, value: V) -> None:
        """Store ``value`` under ``key`` for ``ttl_s`` seconds."""
        self._items.pop(key, None)
        self._items[key] = (time.monotonic() + self.ttl_s, value)
        self._evict()

    def pop(self, key: str) -> V | None:
        """Remove ``key``; return its live value, or ``None``."""
        value = self.get(key)
        self._items.pop(key, None)
        return value

    def __len__(self) -> int:
        return len(self._items)

    def _evict(self) -> None:
        # Entries are kept in insertion order, so expired ones are at the front.
        now = time.monotonic()
        while self._items:
            key, (expires_at, _) = next(iter(self._items.items()))
            if expires_at > now and len(self._items) <= self.max_entries:
                break
            del self._items[key]
