"""Asynchronous client of the WeChat Official Account API: access token and service messages.

Only the two endpoints the channel needs: ``GET /cgi-bin/token`` (client-credential access
token, valid for ``expires_in`` seconds, usually 7200) and ``POST
/cgi-bin/message/custom/send`` (customer-service message to an OpenID, allowed within 48
hours of the user's last message). wechatpy's own client is synchronous (``requests``), which
would block Rasa's event loop, so this small aiohttp client speaks the same endpoints.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

import aiohttp

logger = logging.getLogger(__name__)

# Refresh this long before WeChat says the token expires, so a request in flight never
# carries a token that runs out on the way.
REFRESH_MARGIN_S = 300
# errcodes meaning "this access token is not (or no longer) valid": fetch a new one, retry once.
TOKEN_ERRORS = {40001, 40014, 41001, 42001}
REQUEST_TIMEOUT_S = 10


class WeChatApiError(Exception):
    """WeChat answered with a non-zero ``errcode`` (or not at all)."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"WeChat API error {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


class WeChatApi:
    """Access-token cache and customer-service message sender for one Official Account.

    One instance is shared by every conversation of the process: the token is fetched once
    and reused until shortly before it expires (WeChat limits ``/cgi-bin/token`` calls per
    day, and a new token invalidates the old one after five minutes).
    """

    def __init__(self, api_base: str, app_id: str, app_secret: str) -> None:
        """Create the client; no request is made until a message is sent.

        Args:
            api_base: Scheme and host of the API, e.g. ``https://api.weixin.qq.com``.
            app_id: The Official Account's AppID.
            app_secret: Its AppSecret.
        """
        self.api_base = api_base.rstrip("/")
        self.app_id = app_id
        self.app_secret = app_secret
        self._token = ""
        self._expires_at = 0.0
        self._lock = asyncio.Lock()
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        # Created lazily: the channel object is built before Rasa's event loop runs.
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
            )
        return self._session

    async def close(self) -> None:
        """Close the HTTP session (tests and the benchmark create and drop clients)."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def access_token(self, force_refresh: bool = False) -> str:
        """Return a valid access token, fetching a new one when needed.

        Args:
            force_refresh: Ignore the cached token (WeChat rejected it).

        Raises:
            WeChatApiError: WeChat refused to issue a token (wrong AppID/secret, IP whitelist).
        """
        stale = self._token
        async with self._lock:
            # Another coroutine may have refreshed while this one waited for the lock.
            fresh = self._token and time.monotonic() < self._expires_at
            if fresh and not (force_refresh and self._token == stale):
                return self._token
            params = {
                "grant_type": "client_credential",
                "appid": self.app_id,
                "secret": self.app_secret,
            }
            data = await self._request("GET", "/cgi-bin/token", params=params)
            token = str(data.get("access_token", ""))
            if not token:
                raise WeChatApiError(-1, "no access_token in the answer")
            expires_in = int(data.get("expires_in", 7200))
            self._token = token
            self._expires_at = time.monotonic() + max(expires_in - REFRESH_MARGIN_S, 60)
            return token

    async def send_text(self, openid: str, text: str) -> None:
        """Send one text message to ``openid`` through ``message/custom/send``.

        Raises:
            WeChatApiError: WeChat refused the message (e.g. 45015: the user has not written
                in the last 48 hours).
        """
        body = {"touser": openid, "msgtype": "text", "text": {"content": text}}
        for attempt in range(2):
            token = await self.access_token(force_refresh=attempt > 0)
            try:
                await self._request(
                    "POST",
                    "/cgi-bin/message/custom/send",
                    params={"access_token": token},
                    json_body=body,
                )
                return
            except WeChatApiError as error:
                if error.errcode not in TOKEN_ERRORS or attempt:
                    raise
                logger.info("WeChat rejected the access token (%s); refreshing", error.errcode)

    async def _request(
        self,
        method: str,
        path: str,
        params: dict[str, str],
        json_body: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        # WeChat wants UTF-8 Chinese as is: json.dumps' \\u escapes count against its limits.
        payload = None if json_body is None else json.dumps(json_body, ensure_ascii=False)
        headers = {"Content-Type": "application/json; charset=utf-8"} if payload else None
        try:
            async with self._client().request(
                method,
                f"{self.api_base}{path}",
                params=params,
                data=payload.encode("utf-8") if payload else None,
                headers=headers,
            ) as response:
                data = json.loads(await response.text())
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            raise WeChatApiError(-1, f"{type(error).__name__}: {error}") from error
        if not isinstance(data, dict):
            raise WeChatApiError(-1, "answer is not a JSON object")
        errcode = int(data.get("errcode", 0) or 0)
        if errcode:
            raise WeChatApiError(errcode, str(data.get("errmsg", "")))
        return data
