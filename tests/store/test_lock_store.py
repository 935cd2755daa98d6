"""The atomic Redis lock store on the local Redis, driven the way Rasa drives it."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterator

import pytest
from rasa.core.lock_store import LockStore, _create_from_endpoint_config
from rasa.utils.endpoints import EndpointConfig

from bot.runner import lock_store_config
from bot.store.lock_store import AtomicRedisLockStore

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def redis_config() -> Iterator[dict[str, object]]:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {error}")
    yield lock_store_config(REDIS_URL)


def _store(config: dict[str, object]) -> LockStore:
    # Built exactly as Rasa builds it from endpoints.yml.
    return _create_from_endpoint_config(EndpointConfig.from_dict(dict(config)))


def test_rasa_builds_it_from_the_rendered_endpoints(redis_config: dict[str, object]) -> None:
    store = _store(redis_config)
    assert isinstance(store, AtomicRedisLockStore)
    assert store.red.ping()


def test_tickets_drawn_at_once_by_many_processes_are_all_different(
    redis_config: dict[str, object],
) -> None:
    conversation = f"race-{uuid.uuid4().hex[:8]}"
    # One store (one connection) per thread stands for one Rasa process each.
    stores = [_store(redis_config) for _ in range(8)]
    start = threading.Barrier(len(stores))
    drawn: list[int] = []

    def draw(store: LockStore) -> None:
        start.wait()
        for _ in range(5):
            drawn.append(store.issue_ticket(conversation))

    threads = [threading.Thread(target=draw, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(drawn) == list(range(40))  # Rasa numbers tickets from 0
    lock = stores[0].get_lock(conversation)
    assert lock is not None and len(lock.tickets) == 40
    stores[0].delete_lock(conversation)


def test_one_conversation_is_served_by_one_process_at_a_time(
    redis_config: dict[str, object],
) -> None:
    conversation = f"serve-{uuid.uuid4().hex[:8]}"
    inside: list[int] = []
    overlaps: list[int] = []
    served: list[int] = []

    async def handle(store: LockStore, number: int) -> None:
        async with store.lock(conversation, wait_time_in_seconds=0.01):
            inside.append(number)
            if len(inside) > 1:
                overlaps.append(number)
            await asyncio.sleep(0.02)
            inside.remove(number)
            served.append(number)

    def process(number: int) -> None:
        store = _store(redis_config)
        asyncio.run(asyncio.wait_for(handle(store, number), 30))

    threads = [threading.Thread(target=process, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(served) == list(range(6)) and overlaps == []
    assert _store(redis_config).get_lock(conversation) is None  # the last one cleaned up
