"""The ``/chat`` page and the widget's files, served by the console without a login."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from bot.console import widget
from bot.console.app import init_app
from bot.console.state import SETTINGS
from bot.settings import Settings, get_settings

STATIC = Path(widget.__file__).parent / "static"


@pytest.fixture
async def client(aiohttp_client, monkeypatch: pytest.MonkeyPatch) -> TestClient:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CHAT_SERVER_URL", 'https://bot.example.com/"><script>')
    app = web.Application()
    app[SETTINGS] = get_settings()
    widget.setup_routes(app)
    return await aiohttp_client(app)


async def test_chat_page_embeds_the_widget_with_the_escaped_server_url(client: TestClient) -> None:
    response = await client.get("/chat")
    assert response.status == 200 and response.content_type == "text/html"
    page = await response.text()
    assert '<script src="/chat/static/widget.js"' in page and 'lang="zh-CN"' in page
    assert 'data-server="https://bot.example.com/&quot;&gt;&lt;script&gt;"' in page


@pytest.mark.parametrize("name", ["widget.js", "widget.css", "socket.io.min.js"])
async def test_assets_are_served_locally(client: TestClient, name: str) -> None:
    response = await client.get(f"/chat/static/{name}")
    assert response.status == 200
    assert await response.read() == (STATIC / name).read_bytes()


def test_assets_load_nothing_from_other_hosts() -> None:
    for path in STATIC.glob("*.*s"):
        text = path.read_text(encoding="utf-8")
        assert "//cdn" not in text and "sourceMappingURL" not in text, path.name


def test_console_app_routes_the_chat_page(settings: Settings) -> None:
    paths = {r.resource.canonical for r in init_app(settings).router.routes() if r.resource}
    assert {"/chat", "/chat/static"} <= paths
