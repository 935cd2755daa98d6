"""Screenshots of the console for the README (queue, a conversation, the dashboard).

Seeds a temporary database with the benchmark's generator plus one curated conversation,
serves the console on a loopback port and photographs it with Debian's chromium through
Playwright. Run: ``python -m bot.bench.console_screenshots docs/``.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bot.bench.console import PASSWORD, seed, serve_console
from bot.store.db import make_engine, make_sessionmaker
from bot.store.lifecycle import assign, change_status, record_event
from bot.store.models import utcnow
from bot.store.tickets import TicketDraft, create_ticket
from bot.store.transcripts import events

CHROMIUM = "/usr/bin/chromium"

#: (speaker, text, intent, confidence, emotion, intensity, threat)
CONVERSATION = [
    ("user", "我上周买的扫地机器人，用了三天就不动了", "complain_quality", 0.94,
     "sadness", 1, False),
    ("bot", "感谢您告诉我们，给您带来不便非常抱歉。能说说它现在是什么情况吗？"),
    ("user", "开机就报错，客服电话打了五次都没人接！！", "complain_service", 0.81,
     "anger", 2, False),
    ("bot", "打了这么多次都没人接，换谁都会着急，真的很抱歉。您说的我都记下来了。"),
    ("user", "<b>再不给我解决我就去12315投诉，还要发微博曝光</b>", "complain_quality", 0.58,
     "anger", 3, True),
    ("bot", "明白，马上为您转人工。同事会在这个对话里联系您，您说过的内容他们都能看到。"),
    ("staff", "您好，我是客服小王。非常抱歉让您久等了，我已经为您申请了换新，今天就安排上门取件。"),
    ("user", "好吧，那尽快", "affirm", 0.88, "neutral", 1, False),
]  # fmt: skip


async def _curated(database_url: str, tracker_url: str) -> str:
    engine = make_engine(database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            now = utcnow()
            ticket, _ = await create_ticket(
                session,
                TicketDraft(
                    sender_id="curated", channel="wechat", category="complain_quality",
                    description="扫地机器人用了三天就不动了，开机报错；客服电话打了五次没人接。",
                    order_id="DD2026112400123", phone="13812345678", desired_outcome="换新",
                    emotion="anger", threat=True, priority=1,
                    due_at=now + timedelta(hours=20),
                ),
            )  # fmt: skip
            await change_status(session, ticket, "handed_off", "bot", "客户提到 12315 和曝光")
            await assign(session, ticket, "wang", "staff:wang")
            await change_status(session, ticket, "in_progress", "staff:wang")
            await record_event(session, ticket, "staff:wang", "note", "已申请换新，约今天下午取件")
            await record_event(
                session, ticket, "staff:wang", "staff_reply", str(CONVERSATION[6][1])
            )
            await session.commit()
            number = str(ticket.number)
    finally:
        await engine.dispose()
    tracker = make_engine(tracker_url)
    start = time.time() - 900
    rows = []
    for i, entry in enumerate(CONVERSATION):
        stamp = start + i * 60
        if entry[0] == "user":
            _, text, intent, confidence, emotion, intensity, threat = entry
            parse = {"intent": {"name": intent, "confidence": confidence},
                     "emotion": {"name": emotion, "intensity": intensity},
                     "escalation_threat": threat}  # fmt: skip
            data = {"event": "user", "timestamp": stamp, "text": text, "parse_data": parse}
        else:
            custom = (
                {"custom": {"staff_reply": {"agent": "客服小王"}}} if entry[0] == "staff" else {}
            )
            data = {"event": "bot", "timestamp": stamp, "text": entry[1], "data": custom}
        rows.append({"sender_id": "curated", "type_name": "user" if entry[0] == "user" else "bot",
                     "timestamp": stamp, "data": json.dumps(data, ensure_ascii=False)})  # fmt: skip
    try:
        async with tracker.begin() as connection:
            await connection.execute(events.insert(), rows)
    finally:
        await tracker.dispose()
    return number


async def shoot(out: Path) -> list[Path]:
    """Seed, serve, and save ``console-queue.png``, ``console-conversation.png`` and
    ``console-dashboard.png`` under ``out``."""
    from playwright.async_api import async_playwright

    out.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - a one-off script, nothing else runs
    with tempfile.TemporaryDirectory(prefix="console-shots-") as folder:
        root = Path(folder)
        database, tracker = f"sqlite:///{root / 'tickets.db'}", f"sqlite:///{root / 'tracker.db'}"
        await seed(database, tracker, tickets=600, messages=6000)
        number = await _curated(database, tracker)
        saved = []
        async with serve_console(database, tracker, root) as base, async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--headless", "--no-sandbox"]
            )
            page = await browser.new_page(viewport={"width": 1440, "height": 900})
            await page.goto(f"{base}/login")
            await page.fill("input[name=username]", "boss")
            await page.fill("input[name=password]", PASSWORD)
            await page.click("button:has-text('登录')")
            for name, path, full in (
                ("queue", "/queue", False),
                ("conversation", f"/tickets/{number}", True),
                ("dashboard", "/dashboard?days=91", True),
            ):
                await page.goto(base + path)
                target = out / f"console-{name}.png"
                await page.screenshot(path=str(target), full_page=full)
                saved.append(target)
            await browser.close()
    return saved


if __name__ == "__main__":
    for path in asyncio.run(shoot(Path(sys.argv[1] if len(sys.argv) > 1 else "docs"))):
        print(path)
