"""Resolve, staff reply and survey routes of the ticket API.

Rasa is not running here (its address is a closed port): these tests cover what the console
does on its own side — the database, the status rules and the answer when the conversation
cannot be reached. The end-to-end test covers the survey appearing in a real conversation.
"""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from bot.store.lifecycle import change_status
from bot.store.surveys import SurveyAnswers, answer_survey
from bot.store.tickets import get_ticket
from tests.console.conftest import sessions


async def test_resolve_needs_a_token(client: TestClient, tickets: list[str]) -> None:
    response = await client.post(f"/api/tickets/{tickets[0]}/resolve")
    assert response.status == 401


async def test_resolve_is_stored_even_when_rasa_is_down(
    client: TestClient, auth: dict[str, str], tickets: list[str]
) -> None:
    response = await client.post(
        f"/api/tickets/{tickets[0]}/resolve", json={"note": "已补发"}, headers=auth
    )
    assert response.status == 200
    body = await response.json()
    assert body["status"] == "resolved" and body["changed"] is True
    assert body["survey_started"] is False and body["resolved_at"]

    detail = await (await client.get(f"/api/tickets/{tickets[0]}", headers=auth)).json()
    last = detail["events"][-1]
    assert (last["kind"], last["to_status"], last["actor"], last["detail"]) == (
        "status",
        "resolved",
        "api:test",
        "已补发",
    )

    again = await (await client.post(f"/api/tickets/{tickets[0]}/resolve", headers=auth)).json()
    assert again["changed"] is False
    detail = await (await client.get(f"/api/tickets/{tickets[0]}", headers=auth)).json()
    assert [e["kind"] for e in detail["events"]] == ["created", "status"]


async def test_resolve_unknown_or_cancelled_ticket(
    client: TestClient, auth: dict[str, str], tickets: list[str]
) -> None:
    missing = await client.post("/api/tickets/TS20000101-0001/resolve", headers=auth)
    assert missing.status == 404
    async with sessions(client)() as session:
        ticket = await get_ticket(session, tickets[1])
        assert ticket is not None
        await change_status(session, ticket, "cancelled", "customer")
        await session.commit()
    conflict = await client.post(f"/api/tickets/{tickets[1]}/resolve", headers=auth)
    assert conflict.status == 409 and "cancelled" in (await conflict.json())["error"]


async def test_resolve_rejects_a_body_that_is_not_an_object(
    client: TestClient, auth: dict[str, str], tickets: list[str]
) -> None:
    for body in ("[1, 2]", "{not json", '"text"'):
        response = await client.post(
            f"/api/tickets/{tickets[0]}/resolve",
            data=body,
            headers={**auth, "Content-Type": "application/json"},
        )
        assert response.status == 400
    assert (
        await client.post(f"/api/tickets/{tickets[0]}/resolve", json={"note": 5}, headers=auth)
    ).status == 400


async def test_reply_validates_and_reports_an_unreachable_conversation(
    client: TestClient, auth: dict[str, str], tickets: list[str]
) -> None:
    url = f"/api/tickets/{tickets[0]}/reply"
    assert (await client.post(url, json={"text": "  "}, headers=auth)).status == 400
    assert (await client.post(url, json={"text": "好" * 2001}, headers=auth)).status == 400
    response = await client.post(url, json={"text": "您好，我是客服小王"}, headers=auth)
    assert response.status == 503
    detail = await (await client.get(f"/api/tickets/{tickets[0]}", headers=auth)).json()
    # Not delivered, so not logged as sent and the status is unchanged.
    assert detail["status"] == "open" and [e["kind"] for e in detail["events"]] == ["created"]


async def test_surveys_and_summary(
    client: TestClient, auth: dict[str, str], tickets: list[str]
) -> None:
    async with sessions(client)() as session:
        for number, answers in zip(
            tickets, [SurveyAnswers(5, True, "谢谢"), SurveyAnswers(1, False)], strict=False
        ):
            ticket = await get_ticket(session, number)
            assert ticket is not None
            await change_status(session, ticket, "resolved", "api:test")
            await session.commit()
            await answer_survey(session, ticket, answers, "rest")
    listed = await (await client.get("/api/surveys", headers=auth)).json()
    assert listed["total"] == 2
    assert {s["ticket"]: s["rating"] for s in listed["surveys"]} == {tickets[0]: 5, tickets[1]: 1}
    summary = await (await client.get("/api/surveys/summary", headers=auth)).json()
    assert summary["overall"]["csat"] == 0.5
    assert set(summary["by_category"]) == {"complain_delivery", "complain_refund"}
    detail = await (await client.get(f"/api/tickets/{tickets[1]}", headers=auth)).json()
    assert detail["survey"]["rating"] == 1 and detail["follow_up"] is True
    assert (await client.get("/api/surveys?limit=0", headers=auth)).status == 400
    assert (await client.get("/api/surveys/summary")).status == 401
