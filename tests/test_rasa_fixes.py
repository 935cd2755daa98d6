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
