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
    monkeypatch.setattr(cls, "check_schema", lambda schema: calls.append(1) or original(schema))
    action = RemoteAction("action_x", None)
    for _ in range(5):
        action._validate_action_result(VALID)
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
