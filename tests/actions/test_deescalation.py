"""Empathy, venting and handoff messages: fitting, varied and never repeated back to back."""

from __future__ import annotations

import random
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.deescalation import (
    ActionAcknowledge,
    ActionOfferHandoff,
    empathy_response,
    fresh_variant,
)
from bot.settings import PROJECT_ROOT

DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))


def tracker(text: str, intent: str, last_bot: str | None = None, **slots: Any) -> Tracker:
    events = [{"event": "bot", "text": last_bot}] if last_bot else []
    return Tracker.from_dict(
        {
            "sender_id": "s",
            "slots": slots,
            "latest_message": {"text": text, "intent": {"name": intent}},
            "events": events,
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        }
    )


@pytest.mark.parametrize(
    ("emotion", "intensity", "response"),
    [
        ("anger", 3, "utter_vent_invite"),
        ("sadness", 3, "utter_vent_invite"),
        ("anger", 2, "utter_empathy_anger"),
        ("anxiety", 2, "utter_empathy_anxiety"),
        ("sadness", 2, "utter_empathy_sadness"),
        ("anger", 1, "utter_complaint_ack"),
        ("neutral", 1, "utter_complaint_ack"),
        (None, 1, "utter_complaint_ack"),
    ],
)
def test_empathy_fits_the_emotion(emotion: str | None, intensity: int, response: str) -> None:
    assert empathy_response(emotion, intensity) == response


@pytest.mark.parametrize(
    "response",
    ["utter_vent_invite", "utter_empathy_anger", "utter_complaint_ack", "utter_offer_handoff"],
)
def test_never_the_same_text_twice_in_a_row(response: str) -> None:
    rng = random.Random(7)
    previous = None
    for _ in range(30):
        variant = fresh_variant(response, DOMAIN, previous, rng)
        assert variant["text"] != previous
        previous = variant["text"]


async def test_venting_is_recorded_into_the_complaint() -> None:
    dispatcher = CollectingDispatcher()
    text = "气死我了！！！订单2023112400123的快递十天没到！！！"
    t = tracker(text, "complain_delivery", emotion="anger", emotion_intensity=3.0)
    events = await ActionAcknowledge().run(dispatcher, t, DOMAIN)
    slots = {e["name"]: e["value"] for e in events}
    assert slots == {
        "complaint_description": text,
        "complaint_category": "complain_delivery",
        "order_id": "2023112400123",
    }
    assert dispatcher.messages[0]["text"] in {
        v["text"] for v in DOMAIN["responses"]["utter_vent_invite"]
    }


async def test_later_venting_is_appended() -> None:
    t = tracker(
        "客服也不理人！！！",
        "complain_service",
        emotion="anger",
        emotion_intensity=3.0,
        complaint_description="快递十天没到",
        complaint_category="complain_delivery",
    )
    events = await ActionAcknowledge().run(CollectingDispatcher(), t, DOMAIN)
    slots = {e["name"]: e["value"] for e in events}
    assert slots == {"complaint_description": "快递十天没到\n客服也不理人！！！"}


async def test_calm_acknowledgement_leaves_slots_to_the_form() -> None:
    t = tracker("快递没到", "complain_delivery", emotion="neutral", emotion_intensity=1.0)
    assert await ActionAcknowledge().run(CollectingDispatcher(), t, DOMAIN) == []


async def test_offer_has_buttons_and_is_remembered() -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionOfferHandoff().run(dispatcher, tracker("…", "complain_service"), DOMAIN)
    assert {"event": "slot", "name": "handoff_offered", "value": True, "timestamp": None} in events
    payloads = {b["payload"] for b in dispatcher.messages[0]["buttons"]}
    assert payloads == {"/request_human", "/deny"}


async def test_calm_details_after_venting_are_appended() -> None:
    t = tracker(
        "一直显示运输中，麻烦帮我查查",
        "complain_delivery",
        emotion="neutral",
        emotion_intensity=1.0,
        complaint_description="气死了！！！快递十天没到",
        complaint_category="complain_delivery",
    )
    events = await ActionAcknowledge().run(CollectingDispatcher(), t, DOMAIN)
    slots = {e["name"]: e["value"] for e in events}
    assert slots == {
        "complaint_description": "气死了！！！快递十天没到\n一直显示运输中，麻烦帮我查查"
    }
