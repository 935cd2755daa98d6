"""Supervisor dashboard (figures, CSV) and admin pages (accounts, audit log)."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from aiohttp.test_utils import TestClient

from bot.store.lifecycle import assign, change_status
from bot.store.models import utcnow
from bot.store.staff import find_user
from bot.store.surveys import SurveyAnswers, answer_survey
from bot.store.tickets import TicketDraft, create_ticket
from tests.console.conftest import PASSWORD, add_staff, login, sessions


async def _history(client: TestClient) -> None:
    """Four tickets: kept promise rated 5, broken promise rated 2, overdue open, cancelled."""
    now = utcnow()
    specs = [
        ("kept", "complain_refund", "wechat", "anger", now + timedelta(hours=5), 5),
        ("broken", "complain_refund", "socketio", "anxiety", now - timedelta(hours=5), 2),
        ("overdue", "complain_delivery", "socketio", "anger", now - timedelta(hours=2), None),
        ("gone", "complain_quality", "wechat", "neutral", now - timedelta(hours=2), None),
    ]
    async with sessions(client)() as session:
        for sender, category, channel, emotion, due, rating in specs:
            ticket, _ = await create_ticket(
                session,
                TicketDraft(
                    sender_id=sender,
                    channel=channel,
                    category=category,
                    description="…",
                    emotion=emotion,
                    due_at=due,
                ),
                now=now - timedelta(days=1),
            )
            if rating is not None:
                await assign(session, ticket, "wang", "staff:wang")
                await change_status(session, ticket, "resolved", "staff:wang")
                await session.commit()
                await answer_survey(session, ticket, SurveyAnswers(rating=rating), channel)
            if sender == "gone":
                await change_status(session, ticket, "cancelled", "customer")
                await session.commit()


async def test_dashboard_shows_promises_kept_and_csat_against_them(client: TestClient) -> None:
    await add_staff(client, "boss", "admin")
    await login(client, "boss")
    await _history(client)
    html = await (await client.get("/dashboard?days=7")).text()
    # Promise kept: "kept" (resolved before due). Broken: "broken" (resolved late) and
    # "overdue" (still open past due). Cancelled tickets made no promise that counts.
    assert re.search(r"<b>33%</b><span>承诺兑现率", html)
    assert "1 兑现 / 2 未兑现" in html
    assert re.search(r'id="csat-kept">100% <span class="muted small">\(1\)', html)
    assert re.search(r'id="csat-broken">0% <span class="muted small">\(1\)', html)
    assert "<b>50%</b><span>CSAT" in html  # one of two ratings is 4-5
    assert "当前超时未结" in html and ">1</b><span>当前超时未结" in html
    assert html.count('<svg class="chart"') >= 7
    assert (await client.get("/dashboard?days=3")).status == 400


async def test_csv_export_has_one_row_per_ticket_and_no_phone(client: TestClient) -> None:
    await add_staff(client, "boss", "admin")
    await login(client, "boss")
    await _history(client)
    response = await client.get("/dashboard.csv?days=7")
    assert response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO((await response.read()).decode("utf-8-sig"))))
    assert sorted((r["category"], r["promise"], r["rating"]) for r in rows) == [
        ("complain_delivery", "broken", ""),
        ("complain_quality", "", ""),
        ("complain_refund", "broken", "2"),
        ("complain_refund", "kept", "5"),
    ]
    assert "phone" not in rows[0]


async def test_admin_creates_and_disables_accounts(client: TestClient) -> None:
    await add_staff(client, "boss", "admin")
    token = await login(client, "boss")
    created = await client.post(
        "/admin/users",
        data={"_csrf": token, "username": "xiaoli", "display_name": "客服小李",
              "role": "agent", "password": "good-pass-1"},
    )  # fmt: skip
    assert "账号 xiaoli 已创建" in await created.text()
    taken = await client.post(
        "/admin/users",
        data={"_csrf": token, "username": "xiaoli", "role": "agent", "password": "good-pass-1"},
    )
    assert "已经有人用了" in await taken.text()
    async with sessions(client)() as session:
        user = await find_user(session, "xiaoli")
        assert user is not None and user.role == "agent"
        boss = await find_user(session, "boss")
        assert boss is not None
    await client.post(
        f"/admin/users/{user.id}", data={"_csrf": token, "role": "trainer", "active": "0"}
    )
    async with sessions(client)() as session:
        user = await find_user(session, "xiaoli")
        assert user is not None and (user.role, user.active) == ("trainer", False)
    refused = await client.post(f"/admin/users/{boss.id}", data={"_csrf": token, "active": "0"})
    assert "不能停用自己的账号" in await refused.text()
    audit = await (await client.get("/admin/audit?action=user_update")).text()
    assert "xiaoli" in audit and "role=trainer, active=False" in audit


async def test_audit_log_records_logins_and_views(client: TestClient) -> None:
    await add_staff(client, "boss", "admin")
    await login(client, "boss")
    await client.get("/dashboard")
    page = await (await client.get("/admin/audit")).text()
    for label in ("登录", "查看看板"):
        assert label in page
    assert PASSWORD not in page
