"""Stand-ins for WeChat's side, for tests and the benchmark (no network needed).

- ``FakeWeChatApi``: a real local aiohttp server speaking the two API endpoints the channel
  uses, ``GET /cgi-bin/token`` and ``POST /cgi-bin/message/custom/send``, with WeChat's
  ``errcode`` answers (wrong secret, expired token); it records every message it receives.
- ``WeChatSender``: builds webhook requests the way WeChat's servers build them — signature,
  timestamp and nonce in the query, message XML in the body, AES-encrypted with wechatpy's own
  crypto in safe mode — and reads passive replies (decrypting them when encrypted).
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass(frozen=True)
class SentMessage:
    """One customer-service message received by the fake API."""

    touser: str
    content: str
    received_at: float = field(default_factory=time.monotonic)


class FakeWeChatApi:
    """WeChat's access-token and customer-service message endpoints, on loopback."""

    def __init__(self, app_id: str, app_secret: str, expires_in: int = 7200) -> None:
        """Create the fake for one account; ``start`` serves it.

        Args:
            app_id: The only AppID it issues tokens to.
            app_secret: Its AppSecret.
            expires_in: ``expires_in`` it announces with each token.
        """
        self.app_id = app_id
        self.app_secret = app_secret
        self.expires_in = expires_in
        self.token_requests = 0
        self.messages: list[SentMessage] = []
        self._valid_tokens: set[str] = set()
        self._lock = threading.Lock()
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        """Base URL to put in ``WECHAT_API_BASE``."""
        return f"http://127.0.0.1:{self.port}"

    def channel_env(self, token: str, aes_key: str = "") -> dict[str, str]:
        """The ``WECHAT_*`` environment that points the bot's channel at this fake."""
        return {
            "WECHAT_TOKEN": token,
            "WECHAT_APP_ID": self.app_id,
            "WECHAT_APP_SECRET": self.app_secret,
            "WECHAT_AES_KEY": aes_key,
            "WECHAT_API_BASE": self.url,
        }

    def expire_tokens(self) -> None:
        """Invalidate every token issued so far (as WeChat does after a new one, or 7200 s)."""
        with self._lock:
            self._valid_tokens.clear()

    def sent_to(self, openid: str) -> list[str]:
        """Texts received for ``openid``, in arrival order."""
        with self._lock:
            return [m.content for m in self.messages if m.touser == openid]

    def sent_to_times(self, openid: str) -> list[float]:
        """Arrival times (``time.monotonic()``) of the texts for ``openid``, in order."""
        with self._lock:
            return [m.received_at for m in self.messages if m.touser == openid]

    async def _token(self, request: web.Request) -> web.Response:
        query = request.query
        with self._lock:
            self.token_requests += 1
            if query.get("grant_type") != "client_credential":
                return web.json_response({"errcode": 40002, "errmsg": "invalid grant_type"})
            if query.get("appid") != self.app_id:
                return web.json_response({"errcode": 40013, "errmsg": "invalid appid"})
            if query.get("secret") != self.app_secret:
                return web.json_response({"errcode": 40125, "errmsg": "invalid appsecret"})
            token = secrets.token_urlsafe(24)
            self._valid_tokens.add(token)
        return web.json_response({"access_token": token, "expires_in": self.expires_in})

    async def _custom_send(self, request: web.Request) -> web.Response:
        with self._lock:
            valid = request.query.get("access_token", "") in self._valid_tokens
        if not valid:
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        try:
            body = json.loads(await request.text())
            touser, content = str(body["touser"]), str(body["text"]["content"])
            if body.get("msgtype") != "text":
                raise KeyError("msgtype")
        except (ValueError, KeyError, TypeError):
            return web.json_response({"errcode": 44002, "errmsg": "empty post data"})
        with self._lock:
            self.messages.append(SentMessage(touser, content))
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    def app(self) -> web.Application:
        """The aiohttp application of the fake."""
        app = web.Application()
        app.router.add_get("/cgi-bin/token", self._token)
        app.router.add_post("/cgi-bin/message/custom/send", self._custom_send)
        return app

    async def start(self, port: int = 0) -> None:
        """Serve on ``127.0.0.1:port`` (0: any free port, see ``self.port``)."""
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        """Stop serving."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


class ThreadedFake:
    """Runs a ``FakeWeChatApi`` on its own event loop in a thread (for synchronous callers)."""

    def __init__(self, fake: FakeWeChatApi) -> None:
        """Wrap ``fake``; use as a context manager."""
        self.fake = fake
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def __enter__(self) -> FakeWeChatApi:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.fake.start(), self._loop).result(timeout=30)
        return self.fake

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.fake.stop(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._loop.close()


def new_aes_key() -> str:
    """A random EncodingAESKey (43 characters), as the account's settings page generates."""
    return base64.b64encode(secrets.token_bytes(32)).decode("ascii").rstrip("=")


_ids = iter(range(10**15, 10**16))


@dataclass
class WeChatSender:
    """Builds webhook requests as WeChat does, for one Official Account."""

    token: str
    app_id: str
    aes_key: str = ""
    account: str = "gh_0123456789ab"

    def _crypto(self) -> Any:
        from wechatpy.crypto import WeChatCrypto

        return WeChatCrypto(self.token, self.aes_key, self.app_id)

    def signed_query(self, timestamp: str = "", nonce: str = "") -> dict[str, str]:
        """``signature``, ``timestamp`` and ``nonce`` as WeChat puts them on every request."""
        from wechatpy.utils import WeChatSigner

        timestamp = timestamp or str(int(time.time()))
        nonce = nonce or str(secrets.randbelow(10**9))
        signer = WeChatSigner()
        signer.add_data(self.token, timestamp, nonce)
        return {"signature": signer.signature, "timestamp": timestamp, "nonce": nonce}

    def message_xml(self, openid: str, msg_type: str, create_time: int | None = None,
                    msg_id: int | None = None, **fields: str) -> str:  # fmt: skip
        """The XML of a message (``msg_type`` text, image, voice …) or an event."""
        parts = {
            "ToUserName": self.account,
            "FromUserName": openid,
            "CreateTime": str(create_time or int(time.time())),
            "MsgType": msg_type,
            **fields,
        }
        if msg_type != "event":
            parts["MsgId"] = str(msg_id or next(_ids))
        body = "".join(
            f"<{k}>{v}</{k}>" if v.isdigit() else f"<{k}><![CDATA[{v}]]></{k}>"
            for k, v in parts.items()
        )
        return f"<xml>{body}</xml>"

    def text(self, openid: str, content: str, msg_id: int | None = None) -> str:
        """The XML of a text message."""
        return self.message_xml(openid, "text", msg_id=msg_id, Content=content)

    def post(self, xml: str, encrypted: bool | None = None) -> tuple[dict[str, str], bytes]:
        """Query and body of a POST carrying ``xml``; AES-encrypted when the sender has a key.

        Returns:
            ``(query, body)``.
        """
        import xmltodict

        query = {**self.signed_query(), "openid": _field(xml, "FromUserName")}
        if not (self.aes_key if encrypted is None else encrypted):
            return query, xml.encode("utf-8")
        encrypted_xml = self._crypto().encrypt_message(xml, query["nonce"], query["timestamp"])
        envelope = xmltodict.parse(encrypted_xml)["xml"]
        query.update(encrypt_type="aes", msg_signature=envelope["MsgSignature"])
        body = (
            f"<xml><ToUserName><![CDATA[{self.account}]]></ToUserName>"
            f"<Encrypt><![CDATA[{envelope['Encrypt']}]]></Encrypt></xml>"
        )
        return query, body.encode("utf-8")

    def reply_text(self, body: str) -> str:
        """The Content of a passive reply (decrypted when encrypted); "" for ``success``."""
        from wechatpy import parse_message

        if body.strip() in ("", "success"):
            return ""
        if "<Encrypt>" in body:
            import xmltodict

            envelope = xmltodict.parse(body)["xml"]
            body = self._crypto().decrypt_message(
                body, envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"]
            )
        return str(parse_message(body).content)


def _field(xml: str, name: str) -> str:
    start = xml.index(f"<{name}>") + len(name) + 2
    value = xml[start : xml.index(f"</{name}>")]
    return value.removeprefix("<![CDATA[").removesuffix("]]>")


def iter_openids(prefix: str = "o6_bm") -> Iterator[str]:
    """Endless distinct OpenID-like strings (28 characters, like WeChat's)."""
    while True:
        yield (prefix + secrets.token_urlsafe(21))[:28]
