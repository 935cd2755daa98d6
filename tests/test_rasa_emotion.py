"""Rasa keeps the emotion slots itself (bot/rasa_emotion.py): same values as the action."""

from __future__ import annotations

from typing import Any

import pytest
from rasa.core.actions.action import ActionExtractSlots
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.emotion import ActionTrackEmotion
from bot import rasa_emotion
from bot.emotion_state import SLOTS
from bot.settings import PROJECT_ROOT


@pytest.fixture(scope="module")
def domain() -> Domain:
    rasa_emotion.apply()
    return Domain.load(str(PROJECT_ROOT / "domain.yml"))


def _message(text: str, emotion: dict[str, Any] | None, threat: bool = False) -> UserUttered:
    parse_data: dict[str, Any] = {"text": text, "intent": {"name": "complain_delivery"}}
    if emotion is not None:
        parse_data.update(emotion=emotion, escalation_threat=threat)
    return UserUttered(
        text, {"name": "complain_delivery", "confidence": 0.9}, parse_data=parse_data
    )


async def _extract(domain: Domain, events: list[Any]) -> dict[str, Any]:
    """Run Rasa's ``action_extract_slots`` with no action server at all."""
    tracker = DialogueStateTracker.from_events("s", events, slots=domain.slots)
    action = ActionExtractSlots(action_endpoint=None)
    nlg = TemplatedNaturalLanguageGenerator(domain.responses)
    produced = await action.run(CollectingOutputChannel(), nlg, tracker, domain)
    return {e.key: e.value for e in produced if isinstance(e, SlotSet)}


async def _action_server_values(domain: Domain, events: list[Any]) -> dict[str, Any]:
    """What ``action_track_emotion`` in the action server answers for the same conversation."""
    tracker = DialogueStateTracker.from_events("s", events, slots=domain.slots)
    sdk_tracker = Tracker.from_dict(tracker.current_state())
    produced = await ActionTrackEmotion().run(CollectingDispatcher(), sdk_tracker, {})
    return {e["name"]: e["value"] for e in produced}


@pytest.mark.parametrize(
    ("text", "emotion", "threat"),
    [
        ("快递十天了还没到，气死我了！！", {"name": "anger", "intensity": 3}, False),
        ("再不处理我就去12315投诉", {"name": "anger", "intensity": 2}, True),
        ("唉，等了好久，心里挺难受的", {"name": "sadness", "intensity": 2}, False),
        ("好的，谢谢", {"name": "positive", "intensity": 1}, False),
    ],
)
async def test_slots_come_without_the_action_server(
    domain: Domain, text: str, emotion: dict[str, Any], threat: bool
) -> None:
    events = [ActionExecuted("action_listen"), _message(text, emotion, threat)]
    slots = await _extract(domain, events)
    assert slots["emotion"] == emotion["name"]
    assert slots.get("emotion_intensity", 1.0) == float(emotion["intensity"])  # initial value 1
    assert slots.get("threat") is (True if threat else None)
    emotion_slots = {k: v for k, v in slots.items() if k in SLOTS}
    assert emotion_slots == await _action_server_values(domain, events)


async def test_upset_turns_add_up_over_a_conversation(domain: Domain) -> None:
    angry = {"name": "anger", "intensity": 2}
    events: list[Any] = [ActionExecuted("action_listen"), _message("太慢了", angry)]
    first = await _extract(domain, events)
    events += [SlotSet(k, v) for k, v in first.items()]
    events += [ActionExecuted("utter_ask_phone"), ActionExecuted("action_listen")]
    events.append(_message("到底什么时候能到？", angry))
    second = await _extract(domain, events)
    assert first["upset_turns"] == 1.0 and second["upset_turns"] == 2.0
    assert "peak_emotion" not in second  # the same peak is not set again


async def test_a_button_press_changes_no_emotion_slot(domain: Domain) -> None:
    slots = await _extract(domain, [ActionExecuted("action_listen"), _message("/inform", None)])
    assert not set(slots) & {"emotion", "upset_turns", "threat"}
