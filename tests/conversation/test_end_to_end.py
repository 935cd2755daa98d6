"""A whole complaint through the three real processes, started the way `make run` starts them.

Nothing is mocked: `python -m bot run --no-train` supervises the Rasa server (REST channel,
SQLite tracker store), the action server and the console on loopback ports; the customer
talks to `/webhooks/rest/webhook` and the ticket is then read back through the ticket API.
"""

from __future__ import annotations

import dataclasses
import os
import re
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from bot.bench.live import LiveBot, live_bot

pytestmark = pytest.mark.e2e
ASKS_PHONE = re.compile("电话|手机号")


class Deployment(LiveBot):
    """The running product, with the customer's side of the REST channel."""

    def say(self, sender: str, text: str) -> list[dict[str, object]]:
        response = requests.post(
            f"{self.rasa}/webhooks/rest/webhook",
            json={"sender": sender, "message": text},
            timeout=60,
        )
        assert response.status_code == 200, response.text
        return list(response.json())


@pytest.fixture(scope="module")
def deployment(
    trained_model: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    """The product running on free loopback ports with its own SQLite files and model."""
    with live_bot(trained_model, tmp_path_factory.mktemp("deployment")) as bot:
        yield Deployment(**{f.name: getattr(bot, f.name) for f in dataclasses.fields(bot)})


def texts(messages: list[dict[str, object]]) -> str:
    return "\n".join(str(m.get("text", "")) for m in messages)


def test_whole_complaint_makes_exactly_one_ticket(deployment: Deployment) -> None:
    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    first = deployment.say(sender, "你们的快递十天了还没到，订单号 2023112400123，太气人了")
    assert re.search("抱歉|对不起", texts(first))  # apologise first (playbook step 1)
    follow_up = "快递一直显示在运输中，麻烦帮我查一下"
    vented = not ASKS_PHONE.search(texts(first))
    if vented:
        # Heard as strong anger: the bot listened instead of asking. Carry on calmly.
        assert re.search("说|告诉", texts(first))  # every vent invitation asks for more
        first = deployment.say(sender, follow_up)
    # The order number was in the first message: the next question is the phone.
    assert ASKS_PHONE.search(texts(first))

    outcome_question = deployment.say(sender, "13812345678")
    buttons = [b for m in outcome_question for b in m.get("buttons", [])]  # type: ignore[union-attr]
    assert {b["title"] for b in buttons} >= {"退款", "换货"}
    assert '/inform{"desired_outcome": "refund"}' in {b["payload"] for b in buttons}

    confirmation = texts(deployment.say(sender, "退款"))
    assert "TS" in confirmation and "我已记录" in confirmation
    assert "13812345678" not in confirmation and "138****5678" in confirmation

    headers = {"Authorization": f"Bearer {deployment.api_token()}"}
    listing = requests.get(
        f"{deployment.console}/api/tickets",
        params={"sender_id": sender},
        headers=headers,
        timeout=10,
    ).json()
    assert listing["total"] == 1
    ticket = listing["tickets"][0]
    assert ticket["number"] in confirmation
    assert ticket["category"] == "complain_delivery"
    assert ticket["order_id"] == "2023112400123"
    assert ticket["phone"] == "138****5678"
    assert ticket["channel"] == "rest"
    assert ticket["desired_outcome"] == "refund"
    assert ticket["description"].startswith("你们的快递十天了还没到")
    assert (follow_up in ticket["description"]) is vented  # nothing said while venting is lost

    detail = requests.get(
        f"{deployment.console}/api/tickets/{ticket['number']}", headers=headers, timeout=10
    )
    assert detail.status_code == 200 and detail.json()["number"] == ticket["number"]
    assert requests.get(f"{deployment.console}/api/tickets", timeout=10).status_code == 401


def test_parse_reports_emotion_and_threats(deployment: Deployment) -> None:
    url = f"{deployment.rasa}/model/parse?token={deployment.env['RASA_TOKEN']}"
    calm = requests.post(url, json={"text": "请问你们几点下班"}, timeout=30).json()
    angry = requests.post(url, json={"text": "气死我了！！！再不退钱我就打12315！！！"}, timeout=30)
    parsed = angry.json()
    assert parsed["emotion"]["name"] == "anger"
    assert parsed["emotion"]["intensity"] == 3
    assert 0 <= parsed["emotion"]["confidence"] <= 1
    assert parsed["escalation_threat"] is True
    assert calm["escalation_threat"] is False
    assert calm["emotion"]["intensity"] == 1


def test_strong_anger_is_heard_before_any_question(deployment: Deployment) -> None:
    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    first = texts(deployment.say(sender, "气死我了！！！买的手机用了两天就坏了！！！"))
    assert "电话" not in first and "订单号" not in first  # no form question yet
    assert re.search("抱歉|对不起", first)
    second = texts(deployment.say(sender, "订单号 2023112400999，屏幕突然就黑了，开不了机"))
    # Calmer now: the form takes up the complaint and asks what is still missing.
    assert ASKS_PHONE.search(second)
    assert "冷静" not in first + second


def test_a_threat_brings_a_person(deployment: Deployment) -> None:
    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    reply = texts(deployment.say(sender, "退款拖了一个月，再不处理我就去12315投诉你们"))
    assert re.search("同事|专人|人工", reply) and "冷静" not in reply


def test_supervisor_announces_readiness(deployment: Deployment) -> None:
    deadline = time.monotonic() + 30
    while "[supervisor] ready" not in deployment.log.read_text(errors="replace"):
        assert time.monotonic() < deadline, deployment.log.read_text()[-2000:]
        time.sleep(0.5)


def test_ctrl_c_stops_all_three(deployment: Deployment) -> None:
    os.kill(deployment.process.pid, signal.SIGINT)
    assert deployment.process.wait(timeout=60) == 0
    for url in (deployment.rasa, deployment.console):
        with pytest.raises(requests.ConnectionError):
            requests.get(url, timeout=2)
