"""The customers' web chat: the ``/chat`` demo page and the widget's assets under ``/chat/static``.

Customers are not staff: everything under ``PUBLIC_PREFIX`` is served without a login. The
widget talks to Rasa's socket.io channel directly (``bot.channels.socketio``); the console
only serves the files, all of them local (no CDN at run time).
"""

from __future__ import annotations

import html
from pathlib import Path
from string import Template

from aiohttp import web

from bot.console.state import SETTINGS
from bot.settings import chat_server_url

#: Paths under this prefix need no login (the demo page and the widget's files).
PUBLIC_PREFIX = "/chat"
_HERE = Path(__file__).resolve().parent
_PAGE = Template((_HERE / "chat.html").read_text(encoding="utf-8"))


async def chat_page(request: web.Request) -> web.Response:
    """``GET /chat``: a page with the widget open, talking to ``CHAT_SERVER_URL``."""
    server = chat_server_url(request.app[SETTINGS])
    return web.Response(
        text=_PAGE.substitute(server=html.escape(server, quote=True)),
        content_type="text/html",
        charset="utf-8",
    )


def setup_routes(app: web.Application) -> None:
    """Add ``GET /chat`` and the static files under ``/chat/static/``."""
    app.router.add_get(PUBLIC_PREFIX, chat_page)
    app.router.add_static(f"{PUBLIC_PREFIX}/static/", _HERE / "static", append_version=False)
