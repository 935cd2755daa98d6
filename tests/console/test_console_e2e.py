"""The console's reply and resolve reach a real conversation (the three real processes).

`python -m bot run --no-train` runs Rasa, the action server and the console with the small
test model; a customer talks on the REST channel; an agent account made with `python -m bot
users add` logs into the console over HTTP, replies and resolves. The reply must land in the
customer's conversation marked as a staff reply, and resolving must have the bot ask the
satisfaction survey there.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from bot.bench.live import LiveBot, live_bot
from bot.store.db import make_engine, make_sessionmaker
from bot.store.lifecycle import change_status
from bot.store.tickets import TicketDraft, create_ticket

pytestmark = pytest.mark.e2e
PASSWORD = "agent-pass-1"


@pytest.fixture(scope="module")
def live(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveBot]:
    with live_bot(trained_model, tmp_path_factory.mktemp("console")) as bot:
        yield bot


def _tracker(bot: LiveBot, sender: str) -> list[dict[str, Any]]:
    response = requests.get(
        f"{bot.rasa}/conversations/{sender}/tracker", params={"token": bot.rasa_token}, timeout=30
    )
    return list(response.json()["events"])


async def _handed_off_ticket(url: str, sender: str) -> str:
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            ticket, _ = await create_ticket(
                session,
                TicketDraft(sender_id=sender, channel="rest", category="complain_delivery",
                            description="快递十天没到", emotion="anger"),
            )  # fmt: skip
            await change_status(session, ticket, "handed_off", "bot")
            await session.commit()
            return str(ticket.number)
    finally:
        await engine.dispose()


def test_reply_and_resolve_reach_the_conversation(live: LiveBot) -> None:
    sender = "console-e2e-customer"
    said = requests.post(
        f"{live.rasa}/webhooks/rest/webhook",
        json={"sender": sender, "message": "你好"},
        timeout=120,
    )
    assert said.status_code == 200
    number = asyncio.run(_handed_off_ticket(live.env["DATABASE_URL"], sender))
    added = subprocess.run(
        [sys.executable, "-m", "bot", "users", "add", "wang", "--role", "agent",
         "--display-name", "客服小王"],
        input=PASSWORD + "\n", env=live.env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr

    browser = requests.Session()
    login_page = browser.get(f"{live.console}/login", timeout=30).text
    token = re.search(r'name="_csrf" value="([^"]+)"', login_page)
    assert token
    browser.post(
        f"{live.console}/login",
        data={"_csrf": token.group(1), "username": "wang", "password": PASSWORD},
        timeout=60,
    )
    page = browser.get(f"{live.console}/tickets/{number}", timeout=30)
    assert page.status_code == 200 and "你好" in page.text  # the transcript from the tracker
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
    assert csrf

    reply = "您好，我是客服小王，快递已经为您催办。"
    sent = browser.post(
        f"{live.console}/tickets/{number}/reply",
        data={"_csrf": csrf.group(1), "text": reply},
        timeout=60,
    )
    assert "回复已发送给客户" in sent.text, live.log_tail()
    staff = [e for e in _tracker(live, sender) if e["event"] == "bot" and e.get("text") == reply]
    assert staff and staff[-1]["data"]["custom"]["staff_reply"]["agent"] == "客服小王"

    resolved = browser.post(
        f"{live.console}/tickets/{number}/resolve",
        data={"_csrf": csrf.group(1), "note": "已催办"},
        timeout=120,
    )
    assert "机器人已在对话里邀请客户评价" in resolved.text, live.log_tail()
    events = _tracker(live, sender)
    after = events[max(i for i, e in enumerate(events) if e.get("text") == reply) :]
    assert any(e["event"] == "bot" and e.get("text") for e in after[1:]), "no survey question"
