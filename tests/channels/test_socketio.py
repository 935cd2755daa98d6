"""Server-issued web-chat sessions and emits shared between Rasa processes through Redis.

The channel itself runs in the real Rasa server in test_channels_e2e.py.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest
import socketio
from aiohttp import web

from bot.channels.socketio import SessionSigner, _metadata, share_emits_through_redis


def test_issued_tokens_verify_to_their_sender_id() -> None:
    signer = SessionSigner("secret")
    sender_id, token = signer.issue()
    assert token.startswith(f"{sender_id}.") and signer.verify(token) == sender_id
    assert signer.issue()[0] != sender_id  # every session is new


@pytest.mark.parametrize(
    "token",
    [None, 42, "", "no-signature", "a.b.c", ".sig", "deadbeef.AAAAAAAAAAAAAAAAAAAAAAAA"],
)
def test_forged_or_malformed_tokens_are_rejected(token: object) -> None:
    assert SessionSigner("secret").verify(token) is None


def test_tokens_do_not_verify_under_another_key_or_for_another_id() -> None:
    sender_id, token = SessionSigner("one").issue()
    assert SessionSigner("two").verify(token) is None
    other_id, other_token = SessionSigner("one").issue()
    signature = token.split(".")[1]
    assert SessionSigner("one").verify(f"{other_id}.{signature}") is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [({"page": "/x"}, {"page": "/x"}), ('{"page": "/x"}', {"page": "/x"}), ("{not json", {}),
     (["a"], {}), (None, {})],
)  # fmt: skip
def test_client_metadata_is_read_safely(raw: object, expected: dict[str, str]) -> None:
    assert _metadata(raw) == expected


@pytest.fixture
def redis_url() -> str:
    import redis

    url = "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis not reachable at {url}: {error}")
    return url


async def _serve(sio: socketio.AsyncServer) -> tuple[web.AppRunner, str]:
    app = web.Application()
    sio.attach(app)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, shutdown_timeout=0.5)  # long-polls end at once
    await site.start()
    return runner, f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]


async def test_emits_reach_sockets_connected_to_another_process(redis_url: str) -> None:
    # Two servers stand for two Rasa processes: the widget is connected to the first, the
    # console's staff reply arrives at the second.
    holding, other = (
        socketio.AsyncServer(async_mode="aiohttp"),
        socketio.AsyncServer(async_mode="aiohttp"),
    )
    for server in (holding, other):
        share_emits_through_redis(server, redis_url)

    @holding.on("join")
    async def join(sid: str, room: str) -> None:
        await holding.enter_room(sid, room)
        await holding.emit("joined", room, to=sid)

    runner, url = await _serve(holding)
    client = socketio.AsyncClient(reconnection=False)
    received: asyncio.Queue[object] = asyncio.Queue()
    client.on("bot_uttered", received.put)
    joined: asyncio.Queue[object] = asyncio.Queue()
    client.on("joined", joined.put)
    try:
        await client.connect(url, transports=["polling"])
        room = f"conversation-{uuid.uuid4().hex}"
        await client.emit("join", room)
        await asyncio.wait_for(joined.get(), 10)
        await other.emit("bot_uttered", {"text": "人工客服的回复"}, room=room)
        assert await asyncio.wait_for(received.get(), 10) == {"text": "人工客服的回复"}
    finally:
        await runner.cleanup()  # first: it ends the client's pending long-poll
        await client.disconnect()
