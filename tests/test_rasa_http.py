"""Rasa's endpoint requests reuse one kept-alive connection (bot/rasa_http.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from rasa.utils.endpoints import EndpointConfig

import bot.channels  # noqa: F401 - the package installs the fixes; imported first, as in Rasa
from bot.bench.live import free_port
from bot.rasa_http import close_shared_session


class _Server:
    """A real local HTTP server that records the client port of every request."""

    def __init__(self) -> None:
        self.port = free_port()
        self.peers: list[int] = []
        self.runner: web.AppRunner | None = None

    async def _webhook(self, request: web.Request) -> web.Response:
        self.peers.append(request.transport.get_extra_info("peername")[1])  # type: ignore[union-attr]
        body = await request.json()
        return web.json_response({"events": [], "responses": [], "echo": body["next_action"]})

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/webhook", self._webhook)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        assert self.runner is not None
        await self.runner.cleanup()


@pytest.fixture
async def server() -> AsyncIterator[_Server]:
    running = _Server()
    await running.start()
    yield running
    await running.stop()


async def _call(endpoint: EndpointConfig, name: str) -> str:
    answer = await endpoint.request(json={"next_action": name}, method="post")
    return str(answer["echo"])


async def test_calls_share_one_connection(server: _Server) -> None:
    endpoint = EndpointConfig(f"http://127.0.0.1:{server.port}/webhook")
    try:
        assert [await _call(endpoint, f"action_{i}") for i in range(5)] == [
            f"action_{i}" for i in range(5)
        ]
    finally:
        await close_shared_session(endpoint)
    assert len(server.peers) == 5 and len(set(server.peers)) == 1


async def test_a_restarted_server_gets_a_new_connection(server: _Server) -> None:
    endpoint = EndpointConfig(f"http://127.0.0.1:{server.port}/webhook")
    try:
        assert await _call(endpoint, "before") == "before"
        await server.stop()  # closes the kept connection, as a killed action server does
        await server.start()
        assert await _call(endpoint, "after") == "after"
    finally:
        await close_shared_session(endpoint)
    assert len(set(server.peers)) == 2
