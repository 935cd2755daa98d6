"""The load run's checks: tickets against what customers said, trackers against what they sent."""

from __future__ import annotations

import random

from bot.load.checks import CheckResult, check_tickets, check_turns, expected_fields
from bot.load.runner import Conversation, Turn
from bot.load.scenarios import make_scenario


def _conversation(handoff: bool = False) -> Conversation:
    scenario = make_scenario(random.Random(5), "load-1")
    scenario.category, scenario.handoff = "complain_delivery", handoff
    scenario.order_id, scenario.order_in_opening = "2023112400123", False
    scenario.phone = "13812345678"
    scenario.asked = {"order": 1, "phone": 1}
    conversation = Conversation(scenario, ticket_number="TS20261125-0001")
    conversation.turns = [Turn("opening", "快递丢了", 0.1), Turn("order", "2023112400123", 0.1)]
    return conversation


def _ticket(**changes: object) -> dict[str, object]:
    ticket = {
        "number": "TS20261125-0001",
        "category": "complain_delivery",
        "order_id": "2023112400123",
        "phone": "138****5678",
    }
    return {**ticket, **changes}


def test_one_ticket_with_the_given_fields_passes() -> None:
    result = CheckResult()
    check_tickets(_conversation(), [_ticket()], result)
    assert result.ok


def test_lost_duplicate_and_wrong_tickets_are_reported() -> None:
    lost, duplicate, wrong = CheckResult(), CheckResult(), CheckResult()
    check_tickets(_conversation(), [], lost)
    check_tickets(_conversation(), [_ticket(), _ticket(number="TS20261125-0002")], duplicate)
    check_tickets(
        _conversation(), [_ticket(phone="139****0000", category="complain_billing")], wrong
    )
    assert len(lost.lost_tickets) == 1 and not lost.ok
    assert len(duplicate.duplicate_tickets) == 1 and not duplicate.ok
    assert len(wrong.wrong_fields) == 2 and "phone" in wrong.wrong_fields[0] + wrong.wrong_fields[1]


def test_a_handoff_expects_only_what_the_opening_said() -> None:
    conversation = _conversation(handoff=True)
    assert expected_fields(conversation)["order_id"] is None
    assert expected_fields(conversation)["phone"] is None
    conversation.scenario.order_in_opening = True
    assert expected_fields(conversation)["order_id"] == "2023112400123"


def test_declined_facts_are_expected_empty() -> None:
    conversation = _conversation()
    conversation.scenario.phone = None
    conversation.scenario.asked = {"order": 1, "phone": 1}
    assert expected_fields(conversation)["phone"] is None


def test_turns_in_order_pass_and_external_intents_are_ignored() -> None:
    result = CheckResult()
    check_turns(_conversation(), ["快递丢了", "EXTERNAL: start_survey", "2023112400123"], result)
    assert result.ok


def test_lost_and_reordered_turns_are_reported() -> None:
    lost, reordered = CheckResult(), CheckResult()
    check_turns(_conversation(), ["快递丢了"], lost)
    check_turns(_conversation(), ["2023112400123", "快递丢了"], reordered)
    assert len(lost.lost_turns) == 1 and not lost.out_of_order
    assert len(reordered.out_of_order) == 1 and not reordered.lost_turns
