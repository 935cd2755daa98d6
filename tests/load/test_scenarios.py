"""The simulated customers: varied, reproducible, and answering what the bot asks."""

from __future__ import annotations

import random
import re

from bot.load.scenarios import CATEGORIES, EMOTIONS, make_scenario, next_message

CJK = re.compile(r"[\u4e00-\u9fff]")


def _many(n: int = 400, seed: int = 1) -> list:
    rng = random.Random(seed)
    return [make_scenario(rng, f"s{i}") for i in range(n)]


def test_scenarios_vary_over_categories_moods_and_intentions() -> None:
    scenarios = _many()
    assert {s.category for s in scenarios} == set(CATEGORIES)
    assert {s.emotion for s in scenarios} == set(EMOTIONS)
    assert any(s.handoff for s in scenarios) and not all(s.handoff for s in scenarios)
    assert any(s.survey for s in scenarios) and any(s.status_check for s in scenarios)
    assert any(s.order_in_opening for s in scenarios)
    assert any(s.order_id and not s.order_in_opening for s in scenarios)
    assert any(s.order_id is None for s in scenarios) and any(s.phone is None for s in scenarios)
    assert len({s.opening for s in scenarios}) > 100
    assert any(s.greeting for s in scenarios) and any(s.closing for s in scenarios)
    # Nobody asks for a person and then answers a survey about a ticket they never finished.
    assert not any(s.handoff and (s.survey or s.status_check) for s in scenarios)


def test_texts_are_chinese_and_carry_the_order_number_when_planned() -> None:
    for scenario in _many():
        assert CJK.search(scenario.opening)
        assert all(CJK.search(detail) for detail in scenario.details)
        assert all(CJK.search(t) for t in (scenario.greeting, scenario.closing) if t)
        assert (scenario.order_id is not None and scenario.order_id in scenario.opening) is (
            scenario.order_in_opening
        )
        if scenario.phone:
            assert re.fullmatch(r"1[3-9]\d{9}", scenario.phone)
            assert scenario.masked_phone == f"{scenario.phone[:3]}****{scenario.phone[-4:]}"


def test_the_same_seed_gives_the_same_customers() -> None:
    assert [s.opening for s in _many(50, 7)] == [s.opening for s in _many(50, 7)]
    assert [s.opening for s in _many(50, 7)] != [s.opening for s in _many(50, 8)]


def test_answers_follow_the_bots_question() -> None:
    rng = random.Random(3)
    scenario = make_scenario(rng, "x")
    scenario.order_id, scenario.phone, scenario.outcome = (
        "JD12345678901234",
        "13812345678",
        "repair",
    )
    assert next_message(scenario, rng, "方便发一下订单号吗？", []) == ("order", "JD12345678901234")
    assert next_message(scenario, rng, "请留一个联系电话", []) == ("phone", "13812345678")
    assert scenario.asked == {"order": 1, "phone": 1}
    buttons = [
        {"title": "退款", "payload": '/inform{"desired_outcome": "refund"}'},
        {"title": "维修", "payload": '/inform{"desired_outcome": "repair"}'},
    ]
    assert next_message(scenario, rng, "您希望我们怎么处理？", buttons) == (
        "outcome",
        '/inform{"desired_outcome": "repair"}',
    )
    scenario.details = ["物流信息好几天没更新了"]
    assert next_message(scenario, rng, "您慢慢说，我在听。", []) == (
        "detail",
        "物流信息好几天没更新了",
    )
    kind, filler = next_message(scenario, rng, "还有别的情况吗？", [])
    assert kind == "detail" and CJK.search(filler)


def test_customers_without_the_facts_decline_politely() -> None:
    rng = random.Random(4)
    scenario = make_scenario(rng, "x")
    scenario.order_id, scenario.phone = None, None
    assert next_message(scenario, rng, "请问有订单号吗？", [])[1] in ("没有", "没有订单号")
    assert next_message(scenario, rng, "留个手机号或座机吧", [])[1] in ("不留", "不方便留")
