"""Console page latency: seed many tickets and conversations, then time every page.

``seed`` writes realistic tickets (with events and surveys) to the tickets database and
conversations to a tracker store laid out exactly as Rasa's SQL tracker store; ``measure``
starts the real console app on a loopback port, logs in as an admin and requests each page
``rounds`` times. The target (issue 7) is every page ≤ 200 ms p95 with 5,000 tickets and
50,000 messages.

Run: ``python -m bot.bench.console`` (prints the figures; uses a temporary folder).
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import insert

from bot.bench.stats import percentile
from bot.store.crypto import encrypt
from bot.store.db import make_engine, make_sessionmaker
from bot.store.migrate import upgrade
from bot.store.models import NluLabel, StaffUser, Survey, Ticket, TicketEvent
from bot.store.staff import hash_password
from bot.store.tickets import format_number
from bot.store.transcripts import events, tracker_metadata

#: Complaint texts per category (the seeded customers' first message).
COMPLAINTS = {
    "complain_delivery": [
        "快递一个星期了还没到，物流信息一直不更新",
        "包裹显示签收了但我根本没收到",
        "送来的箱子都压扁了，里面东西也坏了",
    ],
    "complain_refund": [
        "退货寄回去半个月了，钱还没退",
        "申请退款三次都被驳回，到底怎么回事",
        "客服说三天内退款，现在一周了还没到账",
    ],
    "complain_billing": [
        "同一笔订单扣了我两次钱",
        "优惠券明明能用结账时却没减",
        "刚买完就降价了，差价能不能退",
    ],
    "complain_quality": [
        "刚买的吹风机用了两天就坏了",
        "衣服洗一次就掉色，质量太差了",
        "收到的手机屏幕有划痕，是不是二手的",
    ],
    "complain_service": [
        "你们客服态度太差了，说两句就挂电话",
        "打了十几次电话都没人接",
        "在线客服一直是机器人回复，根本解决不了问题",
    ],
    "complain_promise": [
        "说好的赠品一直没给",
        "宣传页写的包邮，结果收了我运费",
        "答应我今天回电话，到现在都没人联系",
    ],
    "complain_other": ["每天都接到你们的推销电话，烦死了", "我的个人信息是不是被泄露了"],
}
FOLLOW_UPS = [
    "我已经等了很久了",
    "你们到底能不能解决？",
    "再不处理我就打12315投诉",
    "订单号是 DD2026112400123",
    "我的电话 13812345678",
    "好的，谢谢",
    "算了，你们太差了",
    "能不能快点",
    "我要转人工",
    "<b>加粗</b>试试",
]
BOT_REPLIES = [
    "感谢您告诉我们，给您带来不便非常抱歉。能具体说说发生了什么吗？",
    "我已记录：您反映的问题。工单已创建，我们会在承诺时限内联系您。",
    "非常理解您的心情，这件事确实让人着急。",
    "明白，马上为您转人工。",
]
EMOTIONS = ("anger", "anxiety", "sadness", "neutral", "positive")
CHANNELS = ("socketio", "wechat", "rest")
AGENTS = ("wang", "li", "zhang", "chen")
PASSWORD = "bench-password-1"


@dataclass(frozen=True)
class PageFigure:
    """Latency of one page over ``count`` requests, in milliseconds."""

    page: str
    count: int
    p50_ms: float
    p95_ms: float
    max_ms: float


def _ticket_rows(count: int, now: datetime, rng: random.Random) -> list[dict[str, Any]]:
    rows = []
    categories = list(COMPLAINTS)
    for i in range(count):
        created = now - timedelta(minutes=rng.randint(5, 60 * 24 * 90))
        category = rng.choice(categories)
        due = created + timedelta(hours=rng.choice((24, 48, 72)))
        status = rng.choices(
            ("open", "handed_off", "in_progress", "resolved", "closed", "cancelled"),
            (2, 2, 2, 8, 3, 1),
        )[0]
        resolved = None
        if status in ("resolved", "closed"):
            resolved = created + timedelta(hours=rng.uniform(1, 96))
        threat = rng.random() < 0.05
        emotion = rng.choices(EMOTIONS, (4, 3, 2, 4, 1))[0]
        rows.append({
            "id": i + 1,
            "number": format_number(created.strftime("%Y%m%d"), i + 1),
            "sender_id": f"bench-{i:05d}",
            "channel": rng.choice(CHANNELS),
            "category": category,
            "description": rng.choice(COMPLAINTS[category]),
            "order_id": f"DD{rng.randint(10**9, 10**10 - 1)}",
            "phone": encrypt(f"13{rng.randint(100000000, 999999999)}"),
            "status": status,
            "priority": 1 if threat else rng.randint(2, 5),
            "emotion": emotion,
            "threat": threat,
            "created_at": created,
            "updated_at": resolved or created,
            "due_at": due,
            "assignee": rng.choice(AGENTS) if status != "open" else None,
            "follow_up": False,
            "resolved_at": resolved,
        })  # fmt: skip
    return rows


def _conversation(ticket: dict[str, Any], messages: int, rng: random.Random) -> list[dict]:
    rows = []
    start = ticket["created_at"].timestamp() - 600
    for j in range(messages):
        stamp = start + j * 30
        if j % 2 == 0:
            text = ticket["description"] if j == 0 else rng.choice(FOLLOW_UPS)
            emotion = rng.choice(EMOTIONS)
            intent = ticket["category"] if j == 0 else rng.choice(("inform", "add_info", "deny"))
            confidence = rng.uniform(0.2, 0.99)
            parse = {
                "text": text,
                "intent": {"name": intent, "confidence": confidence},
                "intent_ranking": [{"name": intent, "confidence": confidence}],
                "entities": [],
                "emotion": {"name": emotion, "confidence": 0.8, "intensity": rng.randint(1, 3)},
                "escalation_threat": "12315" in text,
            }
            data = {
                "event": "user",
                "timestamp": stamp,
                "text": text,
                "parse_data": parse,
                "input_channel": ticket["channel"],
                "message_id": f"m{ticket['id']}-{j}",
            }
            rows.append({"sender_id": ticket["sender_id"], "type_name": "user",
                         "timestamp": stamp, "intent_name": intent, "action_name": None,
                         "data": json.dumps(data, ensure_ascii=False)})  # fmt: skip
        else:
            data = {
                "event": "bot",
                "timestamp": stamp,
                "text": rng.choice(BOT_REPLIES),
                "data": {},
                "metadata": {},
            }
            rows.append({"sender_id": ticket["sender_id"], "type_name": "bot",
                         "timestamp": stamp, "intent_name": None, "action_name": None,
                         "data": json.dumps(data, ensure_ascii=False)})  # fmt: skip
    return rows


def _event(
    ticket_id: int,
    at: datetime,
    actor: str,
    kind: str,
    before: str | None = None,
    after: str | None = None,
) -> dict[str, Any]:
    return {"ticket_id": ticket_id, "at": at, "actor": actor, "kind": kind,
            "from_status": before, "to_status": after}  # fmt: skip


def _survey(row: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """A survey of a resolved ticket: late resolutions are rated lower, as in real life."""
    answered = rng.random() < 0.6
    late = row["resolved_at"] > row["due_at"]
    weights = (3, 2, 2, 3, 2) if late else (1, 1, 2, 4, 5)
    rating = rng.choices((1, 2, 3, 4, 5), weights)[0]
    return {
        "ticket_id": row["id"],
        "sender_id": row["sender_id"],
        "channel": row["channel"],
        "rating": rating if answered else None,
        "solved": (rating >= 3) if answered else None,
        "comment": None,
        "asked_at": row["resolved_at"],
        "answered_at": row["resolved_at"] + timedelta(minutes=5) if answered else None,
    }


async def _insert(connection: Any, table: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), 500):
        await connection.execute(insert(table), rows[start : start + 500])


async def seed(
    database_url: str, tracker_url: str, tickets: int = 5000, messages: int = 50000, seed: int = 7
) -> None:
    """Fill an empty tickets database and tracker store with ``tickets`` tickets (events,
    surveys) and ``messages`` conversation messages, plus staff accounts (password
    ``PASSWORD``: ``boss`` admin, ``wang`` agent, ``trainer`` trainer)."""
    rng = random.Random(seed)
    now = datetime.now(timezone.utc)
    await asyncio.get_running_loop().run_in_executor(None, upgrade, database_url)
    rows = _ticket_rows(tickets, now, rng)
    per_ticket = max(1, messages // max(1, tickets))
    ticket_events, surveys = [], []
    for row in rows:
        ticket_events.append(_event(row["id"], row["created_at"], "bot", "created"))
        if row["resolved_at"] is None:
            continue
        actor = f"staff:{row['assignee']}"
        ticket_events.append(
            _event(row["id"], row["resolved_at"], actor, "status", "in_progress", "resolved")
        )
        if rng.random() < 0.7:
            surveys.append(_survey(row, rng))
    password_hash = hash_password(PASSWORD)
    staff = [
        {"username": name, "display_name": display, "password_hash": password_hash,
         "role": role, "active": True, "created_at": now}
        for name, display, role in (("boss", "主管", "admin"), ("wang", "客服小王", "agent"),
                                    ("trainer", "训练师", "trainer"))
    ]  # fmt: skip
    engine = make_engine(database_url)
    tracker = make_engine(tracker_url)
    try:
        async with engine.begin() as connection:
            await _insert(connection, Ticket.__table__, rows)
            await _insert(connection, TicketEvent.__table__, ticket_events)
            await _insert(connection, Survey.__table__, surveys)
            await _insert(connection, StaffUser.__table__, staff)
        async with tracker.begin() as connection:
            await connection.run_sync(tracker_metadata.create_all)
            conversation: list[dict[str, Any]] = []
            for row in rows:
                conversation += _conversation(row, per_ticket, rng)
            await _insert(connection, events, conversation)
        async with engine.begin() as connection:
            flagged = [r for r in conversation if r["type_name"] == "user"][:200]
            await _insert(connection, NluLabel.__table__, [
                {"source": "agent_flag", "sender_id": r["sender_id"], "event_id": i + 1,
                 "text": json.loads(r["data"])["text"], "predicted_intent": r["intent_name"],
                 "confidence": 0.3, "message_at": now, "created_at": now}
                for i, r in enumerate(flagged)
            ])  # fmt: skip
    finally:
        await engine.dispose()
        await tracker.dispose()


async def _login(http: aiohttp.ClientSession, base: str, username: str) -> None:
    page = await (await http.get(f"{base}/login")).text()
    match = re.search(r'name="_csrf" value="([^"]+)"', page)
    assert match, "no CSRF token on the login page"
    form = {"_csrf": match.group(1), "username": username, "password": PASSWORD}
    async with http.post(f"{base}/login", data=form, allow_redirects=False) as response:
        if response.status != 302:
            raise RuntimeError(f"login as {username} failed: {response.status}")


async def measure(
    database_url: str, tracker_url: str, var_dir: Path, rounds: int = 40
) -> list[PageFigure]:
    """Serve the console on a loopback port and time each page ``rounds`` times."""
    async with serve_console(database_url, tracker_url, var_dir) as base:
        return await _measure(base, database_url, rounds)


@asynccontextmanager
async def serve_console(database_url: str, tracker_url: str, var_dir: Path) -> AsyncIterator[str]:
    """Run the real console app on a free loopback port (Rasa down); yield its base URL."""
    import dataclasses

    from aiohttp import web

    from bot.console.app import init_app
    from bot.settings import get_settings

    settings = dataclasses.replace(
        get_settings(), database_url=database_url, tracker_db_url=tracker_url,
        var_dir=var_dir, rasa_url="http://127.0.0.1:9",
    )  # fmt: skip
    runner = web.AppRunner(init_app(settings), access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def _measure(base: str, database_url: str, rounds: int) -> list[PageFigure]:
    engine = make_engine(database_url)
    async with make_sessionmaker(engine)() as session:
        from sqlalchemy import select

        numbers = list((await session.execute(select(Ticket.number).limit(rounds))).scalars())
    await engine.dispose()
    pages = {
        "queue": lambda i: "/queue",
        "queue rows (live update)": lambda i: "/queue/rows",
        "conversation": lambda i: f"/tickets/{numbers[i % len(numbers)]}",
        "transcript (live update)": lambda i: (
            f"/tickets/{numbers[i % len(numbers)]}/transcript?after=0"
        ),
        "dashboard (56 days)": lambda i: "/dashboard",
        "dashboard (364 days)": lambda i: "/dashboard?days=364",
        "dashboard CSV (364 days)": lambda i: "/dashboard.csv?days=364",
        "trainer inbox": lambda i: "/training",
        "evaluation report": lambda i: "/training/report",
        "users": lambda i: "/admin/users",
        "audit log": lambda i: "/admin/audit",
        "API ticket list": lambda i: "/api/tickets?limit=50",
        "API ticket detail": lambda i: f"/api/tickets/{numbers[i % len(numbers)]}",
    }  # fmt: skip
    figures = []
    # unsafe=True: keep cookies of an IP-address host (127.0.0.1).
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        await _login(http, base, "boss")
        for name, path in pages.items():
            async with http.get(base + path(0)) as warm:  # templates, first inbox sync
                await warm.read()
            times = []
            for i in range(rounds):
                started = time.perf_counter()
                async with http.get(base + path(i), allow_redirects=False) as response:
                    await response.read()
                    if response.status != 200:
                        raise RuntimeError(f"{path(i)} answered {response.status}")
                times.append((time.perf_counter() - started) * 1000)
            figures.append(PageFigure(name, rounds, percentile(times, 0.50),
                                      percentile(times, 0.95), max(times)))  # fmt: skip
    return figures


async def run(
    tickets: int = 5000, messages: int = 50000, rounds: int = 40, database_url: str | None = None
) -> list[PageFigure]:
    """Seed the tickets database and tracker store, then ``measure``.

    Both live in ``database_url`` (an empty PostgreSQL database, say) when it is given, else
    in temporary SQLite files.
    """
    with tempfile.TemporaryDirectory(prefix="console-bench-") as folder:
        root = Path(folder)
        database = database_url or f"sqlite:///{root / 'tickets.db'}"
        tracker = database_url or f"sqlite:///{root / 'tracker.db'}"
        started = time.perf_counter()
        await seed(database, tracker, tickets, messages)
        seconds = time.perf_counter() - started
        print(f"seeded {tickets} tickets, {messages} messages in {seconds:.1f} s")
        return await measure(database, tracker, root / "var", rounds)


def report(figures: list[PageFigure], backend: str = "sqlite", target_ms: float = 200.0) -> str:
    """The figures as a table, with the p95 target checked."""
    page = f"page ({backend})"
    lines = [f"{page:<28}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}  target p95 ≤ {target_ms:.0f} ms"]
    for f in figures:
        verdict = "ok" if f.p95_ms <= target_ms else "SLOW"
        lines.append(f"{f.page:<28}{f.p50_ms:>9.1f}{f.p95_ms:>9.1f}{f.max_ms:>9.1f}  {verdict}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(asyncio.run(run())))
