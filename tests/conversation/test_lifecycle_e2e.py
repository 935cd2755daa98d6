"""A ticket's whole life through the real processes (`python -m bot run --no-train`).

The customer talks to the REST channel; staff act through the console's ticket API, which
reaches the conversation through Rasa's HTTP API. Covered: handoff pauses the bot, a staff
reply, resolve → survey (happy and unhappy, with an unclear answer), status, added details,
withdrawal, repeated deliveries, a second complaint.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from bot.bench.live import LiveBot, live_bot

pytestmark = pytest.mark.e2e


class Customer:
    """One customer's REST conversation plus the staff API, on a running deployment."""

    def __init__(self, bot: LiveBot, api_token: str) -> None:
        self.bot = bot
        self.sender = f"e2e-{uuid.uuid4().hex[:8]}"
        self.headers = {"Authorization": f"Bearer {api_token}"}

    def say(self, text: str) -> str:
        response = requests.post(
            f"{self.bot.rasa}/webhooks/rest/webhook",
            json={"sender": self.sender, "message": text},
            timeout=60,
        )
        assert response.status_code == 200, response.text
        return "\n".join(str(m.get("text", "")) for m in response.json())

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        response = requests.request(
            method, f"{self.bot.console}{path}", headers=self.headers, timeout=60, **kwargs
        )
        assert response.status_code < 300, response.text
        return response.json()

    def tickets(self) -> list[dict[str, Any]]:
        return list(self.api("GET", "/api/tickets", params={"sender_id": self.sender})["tickets"])

    def complain(self) -> str:
        """A complete delivery complaint; returns the ticket number the bot confirmed."""
        reply = self.say("快递一直显示在运输中，十天了还没到，订单号 2023112400123")
        for answer in ("13812345678", "退款"):
            if "TS" in reply:
                break
            reply = self.say(answer)
        found = re.search(r"TS\d{8}-\d{4}", reply)
        assert found, reply
        return found.group(0)

    def tracker_events(self) -> list[dict[str, Any]]:
        response = requests.get(
            f"{self.bot.rasa}/conversations/{self.sender}/tracker",
            params={"token": self.bot.rasa_token},
            timeout=30,
        )
        return list(response.json()["events"])


@pytest.fixture(scope="module")
def bot(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveBot]:
    with live_bot(trained_model, tmp_path_factory.mktemp("lifecycle")) as running:
        yield running


@pytest.fixture(scope="module")
def api_token(bot: LiveBot) -> str:
    return bot.api_token()


@pytest.fixture
def customer(bot: LiveBot, api_token: str) -> Customer:
    return Customer(bot, api_token)


def test_handoff_staff_reply_resolve_and_survey(customer: Customer) -> None:
    customer.say("你们的快递把我的包裹弄丢了，订单号 2023112400123")
    handoff = customer.say("我要找人工客服")
    (ticket,) = customer.tickets()
    assert ticket["status"] == "handed_off"
    assert ticket["number"] in handoff and "分钟" in handoff
    assert ticket["description"].startswith("你们的快递把我的包裹弄丢了")

    # Paused: the bot stays silent, but what the customer says is kept for staff.
    assert customer.say("好的，我等着") == ""
    assert any(e.get("text") == "好的，我等着" for e in customer.tracker_events())

    number = ticket["number"]
    replied = customer.api(
        "POST",
        f"/api/tickets/{number}/reply",
        json={"text": "您好，我是客服小王，正在帮您查", "agent": "小王"},
    )
    assert replied["status"] == "in_progress"
    staff = [
        e
        for e in customer.tracker_events()
        if e.get("event") == "bot" and "小王" in (e.get("text") or "")
    ]
    assert staff and staff[-1]["data"]["custom"]["staff_reply"]["agent"] == "小王"

    resolved = customer.api("POST", f"/api/tickets/{number}/resolve", json={"note": "已补发"})
    assert resolved["status"] == "resolved" and resolved["survey_started"] is True
    survey_question = [e for e in customer.tracker_events() if e.get("event") == "bot"][-1]
    assert "1 到 5" in survey_question["text"]
    assert any(b["payload"] == '/rate{"rating": 5}' for b in survey_question["data"]["buttons"])

    assert "解决" in customer.say("五星")
    assert "没有" in customer.say("解决了")
    thanks = customer.say("没有")
    assert "谢谢" in thanks

    detail = customer.api("GET", f"/api/tickets/{number}")
    assert detail["survey"]["rating"] == 5 and detail["survey"]["solved"] is True
    assert detail["survey"]["comment"] is None and detail["follow_up"] is False
    kinds = [(e["kind"], e["to_status"]) for e in detail["events"]]
    assert kinds[:1] == [("created", None)]
    assert ("status", "handed_off") in kinds and ("status", "resolved") in kinds
    assert ("staff_reply", None) in kinds and ("survey", None) in kinds

    # Resolving again does not ask again.
    again = customer.api("POST", f"/api/tickets/{number}/resolve")
    assert again["changed"] is False and again["survey_started"] is False


def test_unhappy_survey_with_an_unclear_answer(customer: Customer) -> None:
    number = customer.complain()
    customer.api("POST", f"/api/tickets/{number}/resolve")
    reask = customer.say("随便")
    assert "1 到 5" in reask and "跳过" in reask  # one gentle re-ask
    assert "解决" in customer.say("很差")
    assert re.search("哪里|问题出在", customer.say("没解决"))
    thanks = customer.say("等了半个月才处理，太慢了")
    assert re.search("抱歉|对不起", thanks) and "冷静" not in thanks

    detail = customer.api("GET", f"/api/tickets/{number}")
    assert detail["survey"] == {**detail["survey"], "rating": 1, "solved": False}
    assert detail["survey"]["comment"] == "等了半个月才处理，太慢了"
    assert detail["follow_up"] is True
    summary = customer.api("GET", "/api/surveys/summary")
    assert summary["overall"]["answered"] >= 1


def test_status_details_and_withdrawal(customer: Customer) -> None:
    number = customer.complain()
    assert number in customer.say("我的投诉怎么样了")

    added = customer.say("补充一下，快递员还骂人了")
    assert number in added
    assert customer.tickets()[0]["description"].endswith("【补充】快递员还骂人了")

    confirm = customer.say("撤销投诉")
    assert number in confirm
    assert number in customer.say("确定")
    assert customer.tickets()[0]["status"] == "cancelled"
    assert re.search(
        "没查到|没有处理中", customer.say("我的投诉怎么样了") + customer.say("撤销投诉")
    )


def test_someone_elses_ticket_stays_private(
    customer: Customer, bot: LiveBot, api_token: str
) -> None:
    theirs = customer.complain()
    stranger = Customer(bot, api_token)
    answer = stranger.say(f"帮我查一下工单{theirs}到哪一步了")
    assert "运输" not in answer and "退款" not in answer and "处理中" not in answer


def test_repeated_deliveries_make_one_ticket_and_a_new_complaint_another(
    customer: Customer,
) -> None:
    for text in ("快递一直显示在运输中，十天了还没到，订单号 2023112400123", "13812345678", "退款"):
        for _ in range(3):
            customer.say(text)
    assert len(customer.tickets()) == 1

    customer.say("另外你们的客服态度太差了，打电话过去直接挂断")
    for answer in ("没有订单号", "13812345678", "道歉"):
        if len(customer.tickets()) == 2:
            break
        customer.say(answer)
    tickets = customer.tickets()
    assert len(tickets) == 2 and len({t["number"] for t in tickets}) == 2
