"""The de-escalation policy on real trackers built from Rasa events."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.policies.deescalation import DeescalationPolicy
from bot.settings import PROJECT_ROOT

DOMAIN = Domain.load(str(PROJECT_ROOT / "domain.yml"))


@pytest.fixture
def policy(tmp_path: Path) -> DeescalationPolicy:
    return DeescalationPolicy.create(
        DeescalationPolicy.get_default_config(),
        LocalModelStorage(tmp_path),
        Resource("deescalation"),
        ExecutionContext(GraphSchema({}), "test"),
    )


def user(intent: str, text: str = "…", **slots: Any) -> list[Event]:
    events: list[Event] = [
        ActionExecuted(ACTION_LISTEN_NAME),
        UserUttered(text, {"name": intent, "confidence": 0.9}),
    ]
    return events + [SlotSet(k, v) for k, v in slots.items()]


def predict(policy: DeescalationPolicy, events: list[Event]) -> str | None:
    tracker = DialogueStateTracker.from_events("s", events, slots=DOMAIN.slots)
    prediction = policy.predict_action_probabilities(tracker, DOMAIN)
    if max(prediction.probabilities) == 0:
        return None
    assert prediction.is_no_user_prediction
    return DOMAIN.action_names_or_texts[prediction.max_confidence_index]


ANGRY3 = {"emotion": "anger", "emotion_intensity": 3.0, "upset_turns": 1.0}


def test_calm_complaint_is_left_to_the_rules(policy: DeescalationPolicy) -> None:
    assert predict(policy, user("complain_quality", emotion="neutral")) is None


def test_strong_anger_is_acknowledged_then_listened_to(policy: DeescalationPolicy) -> None:
    events = user("complain_delivery", **ANGRY3)
    assert predict(policy, events) == "action_acknowledge"
    events.append(ActionExecuted("action_acknowledge"))
    assert predict(policy, events) == ACTION_LISTEN_NAME


def test_clear_anger_gets_empathy_but_the_form_still_asks(policy: DeescalationPolicy) -> None:
    events = user("complain_delivery", emotion="anger", emotion_intensity=2.0, upset_turns=1.0)
    assert predict(policy, events) is None  # the rule acknowledges and starts the form
    events.append(ActionExecuted("action_acknowledge"))
    assert predict(policy, events) is None


@pytest.mark.parametrize("threshold", [2, 3])
def test_offer_after_n_upset_turns(tmp_path: Path, threshold: int) -> None:
    config = {**DeescalationPolicy.get_default_config(), "upset_turns_before_offer": threshold}
    policy = DeescalationPolicy.create(
        config, LocalModelStorage(tmp_path), Resource("p"), ExecutionContext(GraphSchema({}), "t")
    )
    upset = {"emotion": "anger", "emotion_intensity": 2.0}
    events = user("complain_quality", **upset, upset_turns=float(threshold - 1))
    assert predict(policy, events) is None
    events = user("complain_quality", **upset, upset_turns=float(threshold))
    assert predict(policy, events) == "action_offer_handoff"


def test_offer_is_made_once(policy: DeescalationPolicy) -> None:
    events = user(
        "complain_quality",
        emotion="anger",
        emotion_intensity=2.0,
        upset_turns=4.0,
        handoff_offered=True,
    )
    assert predict(policy, events) is None


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("affirm", "action_handoff"),
        ("request_human", "action_handoff"),
        ("deny", "utter_continue_after_offer"),
    ],
)
def test_answer_to_the_offer(policy: DeescalationPolicy, answer: str, expected: str) -> None:
    events = [*user("complain_quality"), ActionExecuted("action_offer_handoff"), *user(answer)]
    assert predict(policy, events) == expected


def test_declined_offer_returns_to_the_form(policy: DeescalationPolicy) -> None:
    events = [
        *user("complain_quality"),
        ActionExecuted("complaint_form"),
        ActiveLoop("complaint_form"),
        ActionExecuted("action_offer_handoff"),
        *user("deny"),
        ActionExecuted("utter_continue_after_offer"),
    ]
    assert predict(policy, events) == "complaint_form"


@pytest.mark.parametrize("intent", ["nlu_fallback", "add_info", "complain_promise", "inform"])
def test_an_ignored_offer_goes_back_to_the_complaint(
    policy: DeescalationPolicy, intent: str
) -> None:
    """Vented, offered a person, then 「聊天记录我都截图了」: the complaint is taken up again."""
    events = [
        *user(
            "complain_promise",
            "说好的赠品一直没给我！！",
            complaint_description="说好的赠品一直没给我",
        ),
        ActionExecuted("action_acknowledge"),
        ActionExecuted("action_offer_handoff"),
        SlotSet("handoff_offered", True),
        *user(intent, "聊天记录我都截图了"),
    ]
    assert predict(policy, events) == "complaint_form"


def test_an_ignored_offer_with_nothing_to_resume_is_left_to_the_rules(
    policy: DeescalationPolicy,
) -> None:
    events = [
        *user("nlu_fallback"),
        *user("nlu_fallback"),
        ActionExecuted("action_offer_handoff"),
        SlotSet("handoff_offered", True),
        *user("greet", "你好"),
    ]
    assert predict(policy, events) is None


def test_threat_hands_off_at_once(policy: DeescalationPolicy) -> None:
    assert predict(policy, user("complain_refund", threat=True)) == "action_handoff"


def test_old_threat_does_not_hand_off_again(policy: DeescalationPolicy) -> None:
    events = [
        *user("complain_refund", threat=True),
        ActionExecuted("action_handoff"),
        *user("inform"),
    ]
    assert predict(policy, events) is None


def test_repeated_fallbacks_offer_a_person(policy: DeescalationPolicy) -> None:
    one = user("nlu_fallback")
    assert predict(policy, one) is None
    two = [*one, ActionExecuted("utter_please_rephrase"), *user("nlu_fallback")]
    assert predict(policy, two) == "action_offer_handoff"


def test_calm_answer_after_venting_starts_the_form(policy: DeescalationPolicy) -> None:
    events = [
        *user("complain_delivery", complaint_description="气死了", **ANGRY3),
        ActionExecuted("action_acknowledge"),
        *user("inform", emotion="neutral", emotion_intensity=1.0, upset_turns=0.0),
    ]
    assert predict(policy, events) == "complaint_form"


def test_message_logged_while_paused_is_a_new_turn(policy: DeescalationPolicy) -> None:
    # A paused conversation logs messages without action_listen; after the resume, the next
    # message must not be mistaken for the moment right after the handoff (which listens).
    events = [
        *user("request_human"),
        ActionExecuted("action_handoff"),
        UserUttered("还在吗", {"name": "request_human", "confidence": 0.9}),
    ]
    assert predict(policy, events) == "action_handoff"
    events[-1] = UserUttered(None, {"name": "EXTERNAL_ticket_resolved", "confidence": 1.0})
    assert predict(policy, events) is None
    assert predict(policy, [*user("request_human"), ActionExecuted("action_handoff")]) == (
        "action_listen"
    )


def test_unsaved_ticket_is_submitted_again_at_the_next_message(
    policy: DeescalationPolicy,
) -> None:
    failed = [
        *user("inform", desired_outcome="refund"),
        ActionExecuted("action_submit_complaint"),
        SlotSet("ticket_unsaved", True),
    ]
    assert predict(policy, failed) == ACTION_LISTEN_NAME
    retry = [*failed, *user("affirm", "好的")]
    assert predict(policy, retry) == "action_submit_complaint"
    saved = [*retry, ActionExecuted("action_submit_complaint"), SlotSet("ticket_unsaved", None)]
    assert predict(policy, saved) == ACTION_LISTEN_NAME
    assert predict(policy, [*saved, *user("thank", "谢谢")]) is None


def test_a_request_for_a_person_goes_before_the_retry(policy: DeescalationPolicy) -> None:
    events = [
        ActionExecuted("action_submit_complaint"),
        SlotSet("ticket_unsaved", True),
        *user("request_human", "转人工"),
    ]
    assert predict(policy, events) == "action_handoff"
