"""Both customer channels through the real product (Rasa, action server, console on loopback).

- socket.io: a persistent session receives ``bot_uttered`` (the enter_room trap), survives a
  reconnect, cannot be hijacked with a forged or someone else's session id, and shows a staff
  reply as one marked message.
- The web widget at ``/chat`` in Debian's headless Chromium: a whole complaint with a quick
  reply, typing indicator, reload persistence and a staff reply.
- WeChat in safe (AES) mode, every message delivered four times (first + three retries, some
  while the first is still in flight): one answer per message, one ticket, channel ``wechat``.
Only WeChat's own servers are faked (a local aiohttp server speaking their API).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
import socketio

from bot.bench.live import LiveBot, live_bot
from bot.bench.wechat_fake import FakeWeChatApi, ThreadedFake, WeChatSender, new_aes_key
from tests.channels.conftest import APP_ID, APP_SECRET, TOKEN

pytestmark = pytest.mark.e2e
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
ASKS_PHONE = re.compile("电话|手机号")
COMPLAINT = "你们的快递十天了还没到，订单号 2023112400123，太气人了"
FOLLOW_UP = "快递一直显示在运输中，麻烦帮我查一下"


class Live:
    """The running product, the fake WeChat API and the account's request builder."""

    def __init__(self, bot: LiveBot, fake: FakeWeChatApi, sender: WeChatSender) -> None:
        self.bot, self.fake, self.sender = bot, fake, sender

    def staff_reply(self, sender_id: str, text: str, agent: str = "张三") -> None:
        """Relay a staff reply exactly as the console does (contract with issue 5)."""
        event = {"event": "bot", "text": text,
                 "data": {"custom": {"staff_reply": {"agent": agent}}}}  # fmt: skip
        response = requests.post(
            f"{self.bot.rasa}/conversations/{sender_id}/tracker/events",
            params={
                "output_channel": "latest",
                "execute_side_effects": "true",
                "token": self.bot.rasa_token,
            },  # fmt: skip
            json=event,
            timeout=30,
        )
        assert response.status_code == 200, response.text

    def user_texts(self, sender_id: str) -> list[str]:
        tracker = requests.get(
            f"{self.bot.rasa}/conversations/{sender_id}/tracker",
            params={"token": self.bot.rasa_token},
            timeout=30,
        ).json()
        return [e.get("text") or "" for e in tracker["events"] if e["event"] == "user"]

    def tickets(self, sender_id: str) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.bot.api_token()}"}
        return dict(
            requests.get(
                f"{self.bot.console}/api/tickets",
                params={"sender_id": sender_id},
                headers=headers,
                timeout=30,
            ).json()
        )


@pytest.fixture(scope="module")
def live(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """The product with its WeChat channel in safe mode, pointed at the fake WeChat API."""
    aes_key = new_aes_key()
    with ThreadedFake(FakeWeChatApi(APP_ID, APP_SECRET)) as fake:
        env = {**fake.channel_env(TOKEN, aes_key), "WIDGET_SECRET": "e2e-widget-secret"}
        with live_bot(trained_model, tmp_path_factory.mktemp("channels"), env) as bot:
            yield Live(bot, fake, WeChatSender(TOKEN, APP_ID, aes_key))


# --- socket.io ------------------------------------------------------------------------------


class Client:
    """A socket.io client speaking the widget's protocol."""

    def __init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.confirmed: asyncio.Queue[str] = asyncio.Queue()
        self.uttered: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.sio.on("session_confirm", self.confirmed.put)
        self.sio.on("bot_uttered", self.uttered.put)

    async def start(self, url: str, token: str | None = None) -> str:
        # Long-polling: python-engineio's websocket client needs aiohttp >= 3.10 (Rasa pins 3.9).
        await self.sio.connect(url, transports=["polling"], socketio_path="/socket.io")
        await self.sio.emit("session_request", {"session_id": token})
        return await asyncio.wait_for(self.confirmed.get(), 30)

    async def say(self, text: str, session_id: str | None) -> None:
        await self.sio.emit("user_uttered", {"message": text, "session_id": session_id})

    async def next(self, timeout: float = 60) -> dict[str, Any]:
        return await asyncio.wait_for(self.uttered.get(), timeout)


async def drain(client: Client) -> None:
    """Read the rest of the bot's turn (it may say several messages)."""
    while True:
        try:
            await client.next(timeout=3)
        except asyncio.TimeoutError:
            return


async def test_socketio_persistent_session_gets_bot_messages_and_staff_replies(
    live: Live,
) -> None:
    first = Client()
    token = await first.start(live.bot.rasa)
    sender_id, _, signature = token.partition(".")
    assert sender_id and signature
    await first.say("你好", token)
    greeting = await first.next()  # dropped by Rasa's own channel with python-socketio ≥ 5.10
    assert greeting.get("text")
    await drain(first)
    await first.sio.disconnect()

    again = Client()
    assert await again.start(live.bot.rasa, token) == token  # a reload resumes the session
    await asyncio.to_thread(live.staff_reply, sender_id, "您好，我是张三，马上帮您查。")
    staff = await again.next()
    assert staff == {"text": "您好，我是张三，马上帮您查。", "staff": {"agent": "张三"}}
    with pytest.raises(asyncio.TimeoutError):
        await again.next(timeout=2)  # one message, not the text and then the custom payload
    await again.sio.disconnect()


async def test_socketio_sessions_cannot_be_forged_or_borrowed(live: Live) -> None:
    victim = Client()
    victim_token = await victim.start(live.bot.rasa)
    victim_id = victim_token.split(".")[0]

    attacker = Client()
    forged = f"{victim_id}.AAAAAAAAAAAAAAAAAAAAAAAA"
    attacker_token = await attacker.start(live.bot.rasa, forged)
    assert attacker_token.split(".")[0] != victim_id  # a new session instead
    await attacker.say("我是别人，想看他的投诉", victim_token)  # someone else's id in the payload
    assert (await attacker.next()).get("text")  # answered in the attacker's own conversation
    await drain(attacker)
    user_texts = await asyncio.to_thread(live.user_texts, victim_id)
    assert "我是别人，想看他的投诉" not in user_texts
    attacker_id = attacker_token.split(".")[0]
    assert "我是别人，想看他的投诉" in await asyncio.to_thread(live.user_texts, attacker_id)
    with pytest.raises(asyncio.TimeoutError):
        await victim.next(timeout=2)
    await victim.sio.disconnect()
    await attacker.sio.disconnect()


# --- the web widget in Chromium -------------------------------------------------------------


def _bot_texts(page: Any) -> str:
    return "\n".join(page.locator(".cbw-bot, .cbw-staff").all_inner_texts())


def _wait_for_bot(page: Any, count_before: int, timeout_s: float = 90) -> str:
    """Wait until a new bot message appears and the bot has stopped talking; return them all."""
    page.wait_for_function(
        f"document.querySelectorAll('.cbw-bot, .cbw-staff').length > {count_before}",
        timeout=timeout_s * 1000,
    )
    settled = -1
    while settled != page.locator(".cbw-bot, .cbw-staff").count():
        settled = page.locator(".cbw-bot, .cbw-staff").count()
        page.wait_for_timeout(1500)  # later messages of the same turn
    texts = page.locator(".cbw-bot, .cbw-staff").all_inner_texts()
    return "\n".join(texts[count_before:])


def _send(page: Any, text: str) -> str:
    before = page.locator(".cbw-bot, .cbw-staff").count()
    page.fill(".cbw-input", text)
    page.click(".cbw-send")
    return _wait_for_bot(page, before)


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")
def test_widget_takes_a_whole_complaint_in_chromium(live: Live) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 480, "height": 720}, locale="zh-CN")
        page.goto(f"{live.bot.console}/chat")
        page.wait_for_selector(".cbw-header-status:text('在线')", timeout=60_000)
        assert "投诉受理助手" in page.inner_text(".cbw-header")
        page.evaluate(
            """() => { window.typingSeen = false; new MutationObserver(() => {
                 if (document.querySelector('.cbw-typing.cbw-on')) window.typingSeen = true;
               }).observe(document.body, {subtree: true, attributes: true, childList: true}); }"""
        )
        first = _send(page, COMPLAINT)
        assert page.evaluate("window.typingSeen")
        assert re.search("抱歉|对不起", first)
        if not ASKS_PHONE.search(first):
            first = _send(page, FOLLOW_UP)  # heard as strong anger: the bot listened first
        assert ASKS_PHONE.search(first)
        _send(page, "13812345678")
        quick = page.locator(".cbw-quick button")
        assert "退款" in quick.all_inner_texts()
        before = page.locator(".cbw-bot, .cbw-staff").count()
        quick.filter(has_text="退款").first.click()
        assert page.locator(".cbw-user").last.inner_text() == "退款"  # the title, not the payload
        confirmation = _wait_for_bot(page, before)
        ticket = re.search(r"TS[0-9A-Z-]+", confirmation)
        assert ticket and "我已记录" in confirmation and page.locator(".cbw-quick").count() == 0

        token = page.evaluate("JSON.parse(localStorage.getItem('cbw-session'))")
        page.reload()
        page.wait_for_selector(".cbw-header-status:text('在线')", timeout=60_000)
        assert page.evaluate("JSON.parse(localStorage.getItem('cbw-session'))") == token
        assert ticket.group(0) in _bot_texts(page)  # the transcript survived the reload

        before = page.locator(".cbw-bot, .cbw-staff").count()
        live.staff_reply(token.split(".")[0], "您好，我是张三，已经在帮您催件了。")
        _wait_for_bot(page, before)
        staff = page.locator(".cbw-staff").last
        assert staff.locator(".cbw-label").inner_text() == "人工客服 · 张三"
        assert "已经在帮您催件了" in staff.inner_text()
        browser.close()
    listing = live.tickets(token.split(".")[0])
    assert listing["total"] == 1 and listing["tickets"][0]["channel"] == "socketio"


def test_widget_page_and_assets_need_no_login(live: Live) -> None:
    page = requests.get(f"{live.bot.console}/chat", timeout=10)
    assert page.status_code == 200 and 'src="/chat/static/widget.js"' in page.text
    assert f'data-server="{live.bot.rasa}"' in page.text
    for asset in ("widget.js", "widget.css", "socket.io.min.js"):
        response = requests.get(f"{live.bot.console}/chat/static/{asset}", timeout=10)
        assert response.status_code == 200 and len(response.content) > 1000


# --- WeChat ---------------------------------------------------------------------------------


def _deliver(live: Live, openid: str, text: str, msg_id: int) -> str:
    """Deliver one message four times (WeChat's retries), some while the first is in flight.

    Returns what the customer sees for it: the passive reply, or the API messages.
    """
    url = f"{live.bot.rasa}/webhooks/wechat/webhook"
    xml = live.sender.text(openid, text, msg_id=msg_id)
    before = len(live.fake.sent_to(openid))

    def post(delay: float) -> str:
        time.sleep(delay)
        query, body = live.sender.post(xml)
        response = requests.post(url, params=query, data=body, timeout=30)
        assert response.status_code == 200, response.text
        return live.sender.reply_text(response.text)

    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(post, [0, 0.3, 0.6]))
    answers.append(post(0))  # a late retry, after the first delivery was answered
    passive = {a for a in answers if a}
    assert len(passive) <= 1, answers  # every retry answered like the first
    if passive:
        return passive.pop()
    deadline = time.monotonic() + 90
    while len(live.fake.sent_to(openid)) == before and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(2)  # later messages of the same turn
    return "\n".join(live.fake.sent_to(openid)[before:])


def test_wechat_complaint_with_retried_deliveries_makes_one_ticket(live: Live) -> None:
    openid = "o6_bmE2E" + str(int(time.time() * 1000))[-12:]
    url = f"{live.bot.rasa}/webhooks/wechat/webhook"
    verify = requests.get(url, params={**live.sender.signed_query(), "echostr": "e2e"}, timeout=10)
    assert verify.text == "e2e"
    query, body = live.sender.post(live.sender.text(openid, "伪造"))
    forged = requests.post(url, params={**query, "signature": "0" * 40}, data=body, timeout=10)
    assert forged.status_code == 403
    assert requests.post(url, params=query, data=b"<xml>", timeout=10).status_code == 400

    msg_id = 6_000_000_000_000_000 + int(time.time())
    said = [COMPLAINT]
    answer = _deliver(live, openid, COMPLAINT, msg_id)
    assert re.search("抱歉|对不起", answer) and not ASKS_PHONE.search(answer)
    if "回复数字即可" not in answer:
        said.append(FOLLOW_UP)  # heard as strong anger: the bot listened first
        answer = _deliver(live, openid, FOLLOW_UP, msg_id + 1)
    assert "回复数字即可" in answer and "退款" in answer  # no phone question on WeChat
    refund = re.search(r"(\d+)\. 退款", answer)
    assert refund
    said.append(refund.group(1))
    confirmation = _deliver(live, openid, refund.group(1), msg_id + 2)
    assert "TS" in confirmation and "我已记录" in confirmation

    assert len(live.user_texts(openid)) == len(said)  # each delivery reached the bot once
    sent = live.fake.sent_to(openid)
    assert len(sent) == len(set(sent))  # no answer sent twice through the API
    listing = live.tickets(openid)
    assert listing["total"] == 1
    ticket = listing["tickets"][0]
    assert ticket["channel"] == "wechat" and ticket["order_id"] == "2023112400123"
    assert ticket["desired_outcome"] == "refund" and ticket["number"] in confirmation

    live.staff_reply(openid, "您好，我是张三，已经在帮您催件了。")
    deadline = time.monotonic() + 30
    while not any("催件" in t for t in live.fake.sent_to(openid)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [t for t in live.fake.sent_to(openid) if "催件" in t] == [
        "【人工客服】您好，我是张三，已经在帮您催件了。"
    ]
    assert json.dumps(live.fake.sent_to(openid), ensure_ascii=False).count("staff_reply") == 0
