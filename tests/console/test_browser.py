"""The console in a real browser: Debian's headless chromium driven by Playwright.

An agent logs in, sees a new handoff appear in the queue without reloading, opens the
conversation (a customer typed a ``<script>``: it must show as text and never run), replies
and resolves; a trainer labels an inbox message with one click for the intent and one for the
emotion.

The console runs alone here, with Rasa down: the reply must fail with a clear Chinese message
and keep the draft, the resolution must be kept with a warning that the survey did not go out.
Delivery into a live conversation is covered by the end-to-end tests with the real Rasa.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from bot.settings import Settings
from bot.store.lifecycle import change_status
from bot.store.nlu_inbox import list_inbox
from bot.store.tickets import TicketDraft, create_ticket, get_ticket
from tests.console.conftest import (
    PASSWORD,
    add_staff,
    bot_event,
    customer_event,
    sessions,
    write_conversation,
)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update"]  # fmt: skip
XSS = "<script>window.hacked = 1; alert('x')</script>东西坏了"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")


async def _handed_off(client: TestClient, sender: str, text: str, threat: bool = False) -> str:
    async with sessions(client)() as session:
        ticket, _ = await create_ticket(
            session,
            TicketDraft(
                sender_id=sender,
                channel="socketio",
                category="complain_quality",
                description=text,
                emotion="anger",
                threat=threat,
                priority=1 if threat else 3,
            ),
        )
        await change_status(session, ticket, "handed_off", "bot", "客户要求转人工")
        await session.commit()
        return str(ticket.number)


async def test_agent_and_trainer_in_the_browser(client: TestClient, settings: Settings) -> None:
    from playwright.async_api import async_playwright, expect

    await add_staff(client, "wang", "agent", "客服小王")
    await add_staff(client, "ann", "trainer")
    number = await _handed_off(client, "browser-customer", "吹风机用两天就坏了")
    now = time.time()
    await write_conversation(
        settings,
        "browser-customer",
        [
            customer_event("吹风机用两天就坏了，太气人了", now - 60, "complain_quality", 0.95),
            bot_event("给您带来不便非常抱歉，我先把情况记下来。", now - 50),
            customer_event(XSS, now - 40, "inform", 0.2, "anger", 3),
            customer_event("转人工", now - 30, "request_human", 0.98, "anger", 2),
        ],
    )
    base = str(client.make_url("")).rstrip("/")
    dialogs: list[str] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS
        )
        try:
            page = await browser.new_page(locale="zh-CN")
            page.on("dialog", lambda dialog: dialogs.append(dialog.message))

            await page.goto(f"{base}/queue")
            await expect(page).to_have_url(f"{base}/login?next=/queue")
            await page.fill("input[name=username]", "wang")
            await page.fill("input[name=password]", PASSWORD)
            await page.click("button:has-text('登录')")
            await expect(page.locator(f"tr[data-number='{number}']")).to_be_visible()

            # A threat arrives while the agent looks at the queue: it shows up on top.
            urgent = await _handed_off(client, "urgent", "再不处理就去12315投诉", threat=True)
            first_row = page.locator("#queue-rows tr[data-number]").first
            await expect(first_row).to_have_attribute("data-number", urgent, timeout=15_000)

            await page.click(f"a:has-text('{number}')")
            await expect(page.locator("h1")).to_contain_text(number)
            transcript = page.locator("#transcript")
            await expect(transcript).to_contain_text("<script>window.hacked = 1;")
            await expect(transcript).to_contain_text("complain_quality 95%")
            await expect(transcript).to_contain_text("愤怒·强烈")
            assert await page.evaluate("window.hacked") is None and dialogs == []

            await page.fill("#reply-text", "您好，我是客服小王，马上为您安排换货。")
            await page.click("button:has-text('发送')")
            await expect(page.locator(".flash.error")).to_contain_text("消息没有发出")
            await expect(page.locator("#reply-text")).to_have_value(
                "您好，我是客服小王，马上为您安排换货。"
            )

            await page.fill("input[name=note]", "已安排换货")
            await page.click("button:has-text('标记为已解决')")
            await expect(page.locator(".flash.warn")).to_contain_text("工单已解决")
            await expect(page.locator("h1 .badge")).to_have_text("已解决")

            await page.click("button:has-text('退出')")
            await page.fill("input[name=username]", "ann")
            await page.fill("input[name=password]", PASSWORD)
            await page.click("button:has-text('登录')")
            await expect(page).to_have_url(f"{base}/training")
            item = page.locator(".inbox .item").filter(has_text="window.hacked")
            await item.locator("button[value=complain_quality]").click()
            await expect(page.locator(".flash.ok")).to_contain_text("complain_quality")
            await page.goto(f"{base}/training?all=1")
            item = page.locator(".inbox .item").filter(has_text="window.hacked")
            await item.locator("button[value=anger]").click()
            assert await page.evaluate("window.hacked") is None and dialogs == []
        finally:
            await browser.close()

    async with sessions(client)() as session:
        ticket = await get_ticket(session, number)
        assert ticket is not None and ticket.status == "resolved"
        labelled = [
            r for r in await list_inbox(session, unlabelled_only=False) if "hacked" in r.text
        ]
    assert [(r.label_intent, r.label_emotion, r.labelled_by) for r in labelled] == [
        ("complain_quality", "anger", "ann")
    ]
