"""Fixes to Rasa 3.6.21's runtime, applied in the Rasa server process.

``apply()`` is called when Rasa imports ``bot.channels`` (every ``credentials.yml`` of the
project names channels from that package), and is idempotent.

- **Action-server responses re-checked the schema on every call.** ``RemoteAction`` validates
  each answer with ``jsonschema.validate``, which first runs ``check_schema`` on Rasa's large
  event schema — about 0.2 s of CPU per custom-action call with jsonschema 4.17, three
  quarters of a complaint turn. Rasa serves every conversation on one event loop, so under
  20 concurrent WeChat conversations that alone pushed answers past WeChat's 5 seconds. The
  schema never changes, so it is checked once and its validator reused: same validation,
  same errors. Even so, validating one answer still cost ~2 ms: each event is tried against
  all 23 branches of the schema's ``oneOf`` (one per event type). The branches differ by a
  constant ``event`` name, so an event can only match the branch of its own name: a valid
  answer is now recognised by checking each event against that one branch, and only an
  answer that fails this quick check goes through the full validation (same verdict, and
  Rasa's own error message).
- **Every stored event looked its class up among all of Rasa's event classes.** ``Event
  .resolve_by_type`` walks every subclass of ``Event`` (with ``inspect.isabstract`` on each)
  for each event it deserialises: loading a tracker from the SQL store and reading each
  action-server answer did it for every event, about 4 % of the Rasa process's CPU under load.
  Event type names are unique and the classes never change while the server runs, so the
  class found for a name is remembered: same class, same errors for unknown names.
- **A full garbage collection stalled every conversation for over a second.** A loaded model
  is ~800,000 Python objects (TensorFlow, spaCy, jieba, the graph), and CPython's oldest-
  generation collection walks all of them — 1.2 s on this machine, with the one event loop
  that serves every conversation blocked meanwhile. The model lives until the next one is
  loaded, so right after loading it is collected once and frozen (``gc.freeze``): later
  collections skip it. Loading another model unfreezes first, so the old one is collected.
- **``/model/parse`` answered 500 to bad bodies.** A JSON array, ``null``, a body that is not
  JSON or a ``text`` that is not a string all came back as HTTP 500, and a megabyte of text
  tied the NLU pipeline up for minutes. The body is now checked first: 400 with the reason,
  413 for a text over ``MAX_MESSAGE_CHARS`` (the REST channel's limit too).
- **Every message called the action server to update the emotion slots**: see
  ``bot/rasa_emotion.py``.
- **TED ran for predictions a rule had already decided**: see ``bot/rasa_prediction.py``.
- **The SQL tracker store counted the stored events on every save**: see
  ``bot/rasa_tracker_store.py``.
- **A SQLite tracker store opened a connection and synced a journal file per load and save**:
  see ``bot/rasa_tracker_sqlite.py``.
- **Every custom-action call opened a new connection to the action server**: see
  ``bot/rasa_http.py``.
- **Every message rebuilt the conversation from the database**: see
  ``bot/rasa_tracker_cache.py``.
- **Form validation and questions went to the action server and back twice a turn**: see
  ``bot/rasa_local_actions.py``.
- **Every DIET and TED prediction went through ``tf.function``'s dispatch**, which cost more
  than the small graph itself: see ``bot/rasa_tf_predict.py``.
- **The rule policy replayed the whole conversation twice per prediction** to get the same
  states: see ``bot/rasa_past_states.py``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

_APPLIED = "_complaint_bot_fixed"


@lru_cache(maxsize=1)
def _action_response_validator() -> Any:
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


@lru_cache(maxsize=1)
def _quick_validators() -> tuple[Any, dict[str, Any]] | None:
    """The answer's schema without the events' ``oneOf``, and a validator per ``oneOf`` branch.

    None when Rasa's schema is not shaped as this expects (every branch pins ``event`` to its
    own constant): then only the full validation runs.
    """
    from copy import deepcopy

    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    try:
        event_schema = schema["properties"]["events"]["items"]
        branches = event_schema["oneOf"]
        by_type = {branch["properties"]["event"]["const"]: branch for branch in branches}
    except (KeyError, TypeError):
        return None
    if len(by_type) != len(branches) or "event" not in event_schema.get("required", []):
        return None
    outline = deepcopy(schema)
    del outline["properties"]["events"]["items"]["oneOf"]
    cls = validator_for(schema)
    return cls(outline), {name: cls(branch) for name, branch in by_type.items()}


def _quickly_valid(result: Any) -> bool:
    """True only when the full schema would accept ``result`` too.

    ``oneOf`` holds when exactly one branch matches. An event has a string ``event`` (the
    outline requires it) and each branch requires its own constant there, so no branch but
    the one of that name can match: the ``oneOf`` holds exactly when that branch does.
    """
    validators = _quick_validators()
    if validators is None:
        return False
    outline, by_type = validators
    if not outline.is_valid(result):
        return False
    for event in result.get("events") or []:
        branch = by_type.get(event["event"])
        if branch is None or not branch.is_valid(event):
            return False
    return True


def _validate_action_result(self: Any, result: dict[str, Any]) -> bool:
    """Rasa's ``RemoteAction._validate_action_result`` with reused validators."""
    from jsonschema.exceptions import best_match
    from rasa.shared.constants import DOCS_BASE_URL

    if _quickly_valid(result):
        return True
    error = best_match(_action_response_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (
        ". Failed to validate Action server response from API, make sure your response from "
        f"the Action endpoint is valid. For more information about the format visit "
        f"{DOCS_BASE_URL}/custom-actions"
    )
    raise error


def _remembering_event_types(original: Any) -> Any:
    """``Event.resolve_by_type`` that looks each known type name up once."""
    found: dict[str, Any] = {}

    def resolve_by_type(type_name: str, default: Any = None) -> Any:
        if not isinstance(type_name, str):  # malformed JSON: Rasa's own error
            return original(type_name, default)
        cls = found.get(type_name)
        if cls is None:
            cls = original(type_name, default)
            # Only a real match is remembered: a caller's fallback ``default`` is not the class.
            if getattr(cls, "type_name", None) == type_name:
                found[type_name] = cls
        return cls

    return resolve_by_type


def _freezing_after_load(original: Any) -> Any:
    """``Agent.load_model`` that takes the loaded model out of the garbage collector's scans."""

    def load_model(self: Any, *args: Any, **kwargs: Any) -> None:
        import gc

        gc.unfreeze()  # a replaced model is garbage now: let the collector see it again
        original(self, *args, **kwargs)
        gc.collect()  # nothing that is already garbage gets frozen
        gc.freeze()

    return load_model


def _validate_request_body(original: Any) -> Any:
    def validate_request_body(request: Any, error_message: str) -> None:
        from http import HTTPStatus

        from rasa.server import ErrorResponse

        from bot.channels.socketio import MAX_MESSAGE_CHARS

        original(request, error_message)
        if request.path != "/model/parse":
            return
        try:
            text = request.json.get("text") if isinstance(request.json, dict) else None
        except Exception:  # noqa: BLE001 - Sanic's own "not JSON" error
            text = None
        if not isinstance(text, str):
            raise ErrorResponse(HTTPStatus.BAD_REQUEST, "BadRequest", error_message)
        if len(text) > MAX_MESSAGE_CHARS:
            raise ErrorResponse(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                "BadRequest",
                f"text is longer than {MAX_MESSAGE_CHARS} characters",
            )

    return validate_request_body


def apply() -> None:
    """Install the fixes (once per process)."""
    from rasa.core.actions.action import RemoteAction

    from bot import (
        rasa_emotion,
        rasa_http,
        rasa_local_actions,
        rasa_outage,
        rasa_past_states,
        rasa_prediction,
        rasa_tf_predict,
        rasa_tracker_cache,
        rasa_tracker_sqlite,
        rasa_tracker_store,
    )

    rasa_emotion.apply()  # emotion slots without an action-server call (bot/rasa_emotion.py)
    rasa_prediction.apply()  # TED only when its answer can matter (bot/rasa_prediction.py)
    rasa_outage.apply()  # a calm answer when the action server is down (bot/rasa_outage.py)
    rasa_tracker_store.apply()  # no count query per save (bot/rasa_tracker_store.py)
    rasa_tracker_cache.apply()  # trackers kept between turns (bot/rasa_tracker_cache.py)
    rasa_tracker_sqlite.apply()  # kept WAL connections (bot/rasa_tracker_sqlite.py)
    rasa_http.apply()  # kept-alive connections to the action server (bot/rasa_http.py)
    rasa_local_actions.apply()  # actions without I/O run here (bot/rasa_local_actions.py)
    rasa_tf_predict.apply()  # DIET/TED without tf.function dispatch (bot/rasa_tf_predict.py)
    rasa_past_states.apply()  # states computed once per prediction (bot/rasa_past_states.py)
    if getattr(RemoteAction, _APPLIED, False):
        return
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
    from rasa.shared.core.events import Event

    resolve = _remembering_event_types(Event.resolve_by_type)
    Event.resolve_by_type = staticmethod(resolve)  # type: ignore[method-assign,assignment]
    from rasa.core.agent import Agent

    Agent.load_model = _freezing_after_load(Agent.load_model)  # type: ignore[method-assign]
    import rasa.server

    rasa.server.validate_request_body = _validate_request_body(rasa.server.validate_request_body)
    setattr(RemoteAction, _APPLIED, True)
