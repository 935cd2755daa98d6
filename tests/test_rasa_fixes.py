"""The fixes to Rasa's runtime validate exactly as Rasa does, without re-checking the schema."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction

import bot.channels  # noqa: F401 - importing the channels installs the fixes, as in Rasa
from bot import rasa_fixes

VALID = {
    "events": [{"event": "slot", "name": "phone", "value": "x"}],
    "responses": [{"text": "hi"}],
}


def test_importing_the_channels_installed_the_fix() -> None:
    assert RemoteAction._validate_action_result is rasa_fixes._validate_action_result
    rasa_fixes.apply()  # idempotent
    assert RemoteAction._validate_action_result is rasa_fixes._validate_action_result


def test_valid_answers_pass_and_invalid_ones_fail_with_rasas_message() -> None:
    action = RemoteAction("action_x", None)
    assert action._validate_action_result(VALID) is True
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result({"events": [{"event": 42}]})
    with pytest.raises(ValidationError):
        action._validate_action_result({"responses": "not a list"})


def test_the_schema_is_checked_once_not_per_call(monkeypatch: pytest.MonkeyPatch) -> None:
    rasa_fixes._action_response_validator.cache_clear()
    cls = validator_for(RemoteAction.action_response_format_spec())
    calls: list[Any] = []
    original = cls.check_schema

    def spy(schema: Any) -> None:
        calls.append(1)
        original(schema)

    monkeypatch.setattr(cls, "check_schema", spy)
    action = RemoteAction("action_x", None)
    for _ in range(5):  # invalid answers: valid ones never reach the full validation
        with pytest.raises(ValidationError):
            action._validate_action_result({"events": [{"event": 42}]})
    assert len(calls) == 1


# Answers an action server could send: every event type, valid and broken in each way the
# schema can catch (wrong or missing event name, wrong field types, bad entities, …).
ANSWERS: list[Any] = [
    VALID,
    {},
    {"events": []},
    {"responses": []},
    {"events": None},
    {"events": "slot"},
    {"events": [None]},
    {"events": [{}]},
    {"events": [{"event": None}]},
    {"events": [{"event": "no_such_event"}]},
    {"events": [{"event": "slot", "name": "x"}]},
    {"events": [{"event": "slot", "name": 3, "value": 1}]},
    {"events": [{"event": "slot", "name": "x", "value": None, "timestamp": "now"}]},
    {"events": [{"event": "slot", "name": "x", "value": None, "metadata": []}]},
    {"events": [{"event": "slot", "name": "x", "value": {"a": [1]}, "timestamp": 1.5}]},
    {"events": [{"event": "entities", "entities": [{"entity": "phone", "value": "1"}]}]},
    {"events": [{"event": "entities", "entities": [{"entity": "phone"}]}]},
    {"events": [{"event": "entities"}]},
    {"events": [{"event": "action", "name": "action_listen", "confidence": "high"}]},
    {"events": [{"event": "action", "name": "utter_x", "hide_rule_turn": True}]},
    {"events": [{"event": "user", "text": "你好", "parse_data": {"intent": {"name": "greet"}}}]},
    {"events": [{"event": "user", "parse_data": {"entities": [{"value": 1}]}}]},
    {"events": [{"event": "user", "parse_data": {"intent": {"confidence": "1"}}}]},
    {"events": [{"event": "bot", "text": "hi"}], "responses": [{"text": "hi"}, "bare"]},
    {"events": [{"event": "pause"}, {"event": "active_loop", "name": None}]},
    {"events": [{"event": "slot", "name": "a", "value": 1}, {"event": "slot", "name": 2}]},
    {"responses": "not a list"},
    ["not", "an", "object"],
    *({"events": [{"event": name}]} for name in rasa_fixes._quick_validators()[1]),  # type: ignore[index]
]


@pytest.mark.parametrize("answer", ANSWERS)
def test_the_quick_check_agrees_with_the_full_schema(answer: Any) -> None:
    full = validator_for(RemoteAction.action_response_format_spec())(
        RemoteAction.action_response_format_spec()
    )
    assert rasa_fixes._quickly_valid(answer) is full.is_valid(answer)
    action = RemoteAction("action_x", None)
    if full.is_valid(answer):
        assert action._validate_action_result(answer) is True
    else:  # the error is the full validation's, with Rasa's message
        with pytest.raises(ValidationError, match="Failed to validate Action server response"):
            action._validate_action_result(answer)


def test_a_valid_answer_skips_the_full_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    full = rasa_fixes._action_response_validator()
    calls: list[Any] = []
    original = full.iter_errors

    def spy(answer: Any) -> Any:
        calls.append(answer)
        return original(answer)

    monkeypatch.setattr(full, "iter_errors", spy)
    action = RemoteAction("action_x", None)
    assert action._validate_action_result(VALID) is True
    assert calls == []
    with pytest.raises(ValidationError):
        action._validate_action_result({"events": [{"event": "slot"}]})
    assert len(calls) == 1


def test_event_types_resolve_as_rasa_resolves_them() -> None:
    from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered
    from rasa.shared.utils.common import all_subclasses

    classes = all_subclasses(Event)
    for name in {cls.type_name for cls in classes}:
        # Rasa's answer: the first subclass with that name (subclasses inherit the name).
        first = next(cls for cls in classes if cls.type_name == name)
        assert Event.resolve_by_type(name) is first
        assert Event.resolve_by_type(name) is first  # the remembered answer
    assert Event.resolve_by_type("no_such_event", SlotSet) is SlotSet
    assert Event.resolve_by_type("no_such_event", UserUttered) is UserUttered
    assert Event.resolve_by_type("topic") is None
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no_such_event")
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type(["not", "a", "name"])  # type: ignore[arg-type]
    event = Event.from_parameters({"event": "action", "name": "action_listen"})
    assert event == ActionExecuted("action_listen")


def test_a_loaded_model_is_frozen_after_its_garbage_is_collected() -> None:
    import gc
    import weakref
    from types import SimpleNamespace

    from rasa.core.agent import Agent

    class Node:
        me: object = None

    def load(agent: Any, path: str) -> None:
        agent.model = [Node() for _ in range(100)]
        cycle = Node()
        cycle.me = cycle  # garbage that only the collector can free
        agent.dead = weakref.ref(cycle)

    assert "_freezing_after_load" in Agent.load_model.__qualname__
    agent = SimpleNamespace()
    gc.unfreeze()
    try:
        rasa_fixes._freezing_after_load(load)(agent, "model.tar.gz")
        assert agent.dead() is None
        assert gc.get_freeze_count() > 100
        # Frozen objects sit in no generation: collections no longer walk them.
        assert not any(obj is agent.model[0] for obj in gc.get_objects())
    finally:
        gc.unfreeze()
    assert any(obj is agent.model[0] for obj in gc.get_objects())
