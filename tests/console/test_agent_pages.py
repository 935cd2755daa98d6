"""Agent pages: the urgent queue, the conversation page and what an agent does there.

Rasa is down here (its address is a closed port), as in the other console tests: replies must
then fail visibly without being recorded, resolutions must be kept. The delivery of a reply
into a real conversation is covered by the end-to-end tests.
"""

from __future__ import annotations

import re
import time
from datetime import timedelta

from aiohttp.test_utils import TestClient

from bot.settings import Settings
from bot.store.audit import list_audit
from bot.store.lifecycle import change_status, list_events
from bot.store.models import utcnow
from bot.store.nlu_inbox import list_inbox
from bot.store.tickets import TicketDraft, create_ticket, get_ticket
from tests.console.conftest import (
    bot_event,
    customer_event,
    sessions,
    write_conversation,
)

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


async def _ticket(client: TestClient, sender: str, **fields: object) -> str:
    values: dict = {
        "sender_id": sender,
        "channel": "socketio",
        "category": "complain_refund",
        "description": "退款还没到，电话13812345678",
        "phone": "13812345678",
        **fields,
    }
    async with sessions(client)() as session:
        ticket, _ = await create_ticket(session, TicketDraft(**values))
        if values.get("status_to"):
            pass
        return str(ticket.number)


async def _set_status(client: TestClient, number: str, *statuses: str) -> None:
    async with sessions(client)() as session:
        ticket = await get_ticket(session, number)
        assert ticket is not None
        for status in statuses:
            await change_status(session, ticket, status, "bot")
        await session.commit()


def _order(html: str) -> list[str]:
    return re.findall(r'data-number="(TS[\d-]+)"', html)


async def test_queue_puts_threats_then_priority_then_broken_promises_first(
    client: TestClient, agent: str
) -> None:
    now = utcnow()
    calm = await _ticket(client, "a", priority=4, due_at=now + timedelta(hours=20))
    late = await _ticket(client, "b", priority=4, due_at=now - timedelta(hours=1))
    angry = await _ticket(client, "c", priority=2, emotion="anger")
    threat = await _ticket(client, "d", priority=3, threat=True)
    done = await _ticket(client, "e", priority=1)
    await _set_status(client, done, "resolved")
    await _set_status(client, angry, "handed_off")
    html = await (await client.get("/queue")).text()
    assert _order(html) == [threat, angry, late, calm]
    assert "威胁投诉" in html and "已超时" in html
    rows = await (await client.get("/queue/rows?view=handed_off")).text()
    assert _order(rows) == [angry] and "<html" not in rows
    assert (await client.get("/queue?view=bogus")).status == 400


async def test_conversation_shows_intent_emotion_timeline_and_escapes_html(
    client: TestClient, agent: str, settings: Settings
) -> None:
    number = await _ticket(client, "xss-customer")
    start = time.time() - 300
    await write_conversation(
        settings,
        "xss-customer",
        [
            customer_event("退款半个月了还没到！", start, "complain_refund", 0.93, "anger", 3),
            bot_event("给您带来不便非常抱歉，我来记录一下。", start + 1),
            customer_event(XSS, start + 2, "inform", 0.31, "anxiety", 2, threat=True),
            bot_event("您好，我是客服小李，马上为您处理。", start + 3, agent="客服小李"),
        ],
    )
    response = await client.get(f"/tickets/{number}")
    html = await response.text()
    assert response.status == 200
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "complain_refund 93%" in html and "inform 31%" in html
    assert "愤怒·强烈" in html and "焦急·明显" in html and "威胁投诉/曝光" in html
    assert "人工 · 客服小李" in html
    assert '<svg class="chart"' in html and "情绪变化" in html
    assert "138****5678" in html and "13812345678" not in html  # phone masked everywhere
    async with sessions(client)() as session:
        views = await list_audit(session, action="view_ticket")
    assert [(v.actor, v.target) for v in views] == [("staff:wang", number)]


async def test_live_transcript_returns_only_newer_messages(
    client: TestClient, agent: str, settings: Settings
) -> None:
    number = await _ticket(client, "live")
    await write_conversation(settings, "live", [customer_event("在吗", time.time())])
    first = await client.get(f"/tickets/{number}/transcript?after=0")
    last = int(first.headers["X-Last-Event-Id"])
    assert "在吗" in await first.text()
    await write_conversation(settings, "live", [customer_event("人呢？", time.time())])
    newer = await client.get(f"/tickets/{number}/transcript?after={last}")
    text = await newer.text()
    assert "人呢？" in text and "在吗" not in text


async def test_reply_while_rasa_is_down_keeps_the_draft_and_records_nothing(
    client: TestClient, agent: str
) -> None:
    number = await _ticket(client, "down")
    response = await client.post(
        f"/tickets/{number}/reply", data={"_csrf": agent, "text": "您好，退款已加急"}
    )
    html = await response.text()
    assert response.status == 200 and "消息没有发出" in html
    assert ">您好，退款已加急</textarea>" in html
    async with sessions(client)() as session:
        ticket = await get_ticket(session, number)
        assert ticket is not None and ticket.status == "open"
        assert [e.kind for e in await list_events(session, ticket)] == ["created"]
    empty = await client.post(f"/tickets/{number}/reply", data={"_csrf": agent, "text": "  "})
    assert "回复不能为空" in await empty.text()


async def test_take_note_resolve_and_reopen(client: TestClient, agent: str) -> None:
    number = await _ticket(client, "flow")
    await _set_status(client, number, "handed_off")
    page = await (await client.post(f"/tickets/{number}/assign", data={"_csrf": agent})).text()
    assert "工单已分配给您" in page
    await client.post(f"/tickets/{number}/note", data={"_csrf": agent, "text": "客户要发票"})
    resolved = await client.post(
        f"/tickets/{number}/resolve", data={"_csrf": agent, "note": "已退款"}
    )
    assert "满意度调查没有发出" in await resolved.text()  # Rasa is down; the resolution stays
    reopened = await client.post(f"/tickets/{number}/reopen", data={"_csrf": agent})
    assert "工单已重新打开" in await reopened.text()
    async with sessions(client)() as session:
        ticket = await get_ticket(session, number)
        assert ticket is not None
        assert (ticket.status, ticket.assignee) == ("in_progress", "wang")
        history = [
            (e.kind, e.to_status, e.actor, e.detail) for e in await list_events(session, ticket)
        ]
    assert history[2:] == [
        ("assigned", None, "staff:wang", "wang"),
        ("status", "in_progress", "staff:wang", None),
        ("note", None, "staff:wang", "客户要发票"),
        ("status", "resolved", "staff:wang", "已退款"),
        ("status", "in_progress", "staff:wang", "重新打开"),
    ]
    again = await client.post(f"/tickets/{number}/reopen", data={"_csrf": agent})
    assert "只有已解决或已关闭的工单可以重新打开" in await again.text()


async def test_revealing_the_phone_is_logged_on_the_ticket_and_audited(
    client: TestClient, agent: str
) -> None:
    number = await _ticket(client, "phone")
    response = await client.post(f"/tickets/{number}/phone", headers={"X-CSRF-Token": agent})
    assert await response.json() == {"phone": "13812345678"}
    async with sessions(client)() as session:
        ticket = await get_ticket(session, number)
        assert ticket is not None
        assert [e.kind for e in await list_events(session, ticket)][-1] == "viewed_phone"
        audit = await list_audit(session, action="reveal_phone")
    assert [(a.actor, a.target) for a in audit] == [("staff:wang", number)]


async def test_flagging_a_misunderstood_message_puts_it_in_the_trainer_inbox(
    client: TestClient, agent: str, settings: Settings
) -> None:
    number = await _ticket(client, "flagged")
    await write_conversation(
        settings, "flagged", [customer_event("东西到了但少了一件", time.time(), "praise", 0.8)]
    )
    html = await (await client.get(f"/tickets/{number}")).text()
    event_id = re.search(r'name="event_id" value="(\d+)"', html)
    assert event_id
    data = {"_csrf": agent, "event_id": event_id.group(1)}
    assert (
        "已交给训练师标注" in await (await client.post(f"/tickets/{number}/flag", data=data)).text()
    )
    assert "已经标记过了" in await (await client.post(f"/tickets/{number}/flag", data=data)).text()
    async with sessions(client)() as session:
        inbox = await list_inbox(session)
    assert [(r.source, r.text, r.predicted_intent) for r in inbox] == [
        ("agent_flag", "东西到了但少了一件", "praise")
    ]


async def test_a_staff_session_may_use_the_json_api_with_csrf_on_changes(
    client: TestClient, agent: str, tickets: list[str]
) -> None:
    listing = await client.get("/api/tickets")
    assert listing.status == 200 and (await listing.json())["total"] == 3
    assert (await client.post(f"/api/tickets/{tickets[0]}/resolve")).status == 403
    resolved = await client.post(
        f"/api/tickets/{tickets[0]}/resolve", headers={"X-CSRF-Token": agent}
    )
    assert (await resolved.json())["status"] == "resolved"
    detail = await (await client.get(f"/api/tickets/{tickets[0]}")).json()
    assert detail["events"][-1]["actor"] == "staff:wang"
    async with sessions(client)() as session:
        calls = await list_audit(session, action="api_call")
    assert [c.target for c in calls][:2] == [tickets[0], tickets[0]]
