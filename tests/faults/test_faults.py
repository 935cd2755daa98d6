"""Fault tests: a part of the deployment fails in the middle of a complaint.

In each, the customer gets a calm Chinese answer (never silence or an error), and once the
part is back the conversation goes on and exactly one ticket is written. The action server
going down between turns and during a turn is covered in tests/conversation/test_restarts.py.
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.faults.conftest import Deployment, complain

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

PHONE = "13812345678"


def calm(answer: str) -> bool:
    """A non-empty Chinese answer without technical noise."""
    noise = ("Error", "Exception", "Traceback", "500", "None")
    return bool(answer.strip()) and not any(word in answer for word in noise)


def new_sender(kind: str) -> str:
    return f"{kind}-{uuid.uuid4().hex[:8]}"


def test_tickets_database_down_at_submit_then_resubmitted_once(deployment: Deployment) -> None:
    sender = new_sender("pgdown")
    complain(deployment, sender, "2023112400701")
    assert "怎么处理" in deployment.say(sender, PHONE)

    deployment.tickets_database_down()
    try:
        failed = deployment.say(sender, "退款")
    finally:
        deployment.tickets_database_up()
    assert calm(failed) and "没能保存" in failed, failed
    assert deployment.tickets_of(sender) == []

    retried = deployment.say(sender, "好的")  # any next message re-submits
    assert "TS" in retried, retried
    deployment.say(sender, "谢谢")
    assert deployment.tickets_of(sender) == ["2023112400701"]


def test_redis_down_gets_a_calm_answer_and_nothing_is_lost(deployment: Deployment) -> None:
    sender = new_sender("redisdown")
    complain(deployment, sender, "2023112400702")

    deployment.stop("redis")
    try:
        while_down = deployment.say(sender, PHONE)
    finally:
        deployment.start("redis")
    assert calm(while_down) and "再发" in while_down, while_down

    assert "怎么处理" in deployment.say(sender, PHONE)  # resent: the form goes on
    assert "TS" in deployment.say(sender, "退款")
    assert deployment.tickets_of(sender) == ["2023112400702"]
    assert deployment.user_texts(sender).count(PHONE) == 1  # the refused turn left nothing


def test_rasa_restarted_mid_form_resumes_where_it_was(deployment: Deployment) -> None:
    sender = new_sender("rasarestart")
    complain(deployment, sender, "2023112400703")

    deployment.stop("rasa")
    deployment.start("rasa")

    assert "怎么处理" in deployment.say(sender, PHONE)
    assert "TS" in deployment.say(sender, "退款")
    assert deployment.tickets_of(sender) == ["2023112400703"]


def test_two_messages_at_once_on_two_rasa_servers(deployment: Deployment) -> None:
    sender = new_sender("twoservers")
    complain(deployment, sender, "2023112400704")

    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(
            pool.map(
                lambda args: deployment.say(sender, *args),
                [(PHONE, "rasa"), ("我要退款", "rasa-2")],
            )
        )
    assert all(calm(answer) for answer in answers), answers
    said = deployment.user_texts(sender)
    assert said.count(PHONE) == 1 and said.count("我要退款") == 1, said  # no lost turn

    # Whichever came first, the complaint ends with one ticket once the form has both.
    if not deployment.tickets_of(sender):
        for message in (PHONE, "退款"):
            if "TS" in deployment.say(sender, message):
                break
    assert deployment.tickets_of(sender) == ["2023112400704"]
