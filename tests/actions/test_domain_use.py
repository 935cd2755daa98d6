"""The actions marked ``send_domain`` in domain.yml are exactly the ones that read the domain.

With the selective domain on (bot/runner.py), an action that is not marked gets ``{}`` as its
domain: one that read it would silently lose its response variants or its form's slots.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from typing import Any

import yaml
from rasa_sdk import Action
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.forms import FormValidationAction

from bot.settings import PROJECT_ROOT


def _declared() -> tuple[set[str], set[str]]:
    """(every custom action of domain.yml, those marked ``send_domain``)."""
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    names: set[str] = set()
    marked: set[str] = set()
    for entry in domain["actions"]:
        if isinstance(entry, dict):
            for name, config in entry.items():
                names.add(name)
                if (config or {}).get("send_domain"):
                    marked.add(name)
        else:
            names.add(entry)
    return names, marked


def _reads_domain(action: Action) -> bool:
    """Whether any method the action defines in our code loads the name ``domain``.

    rasa-sdk's form validation reads the form's slots from the domain, so every
    ``FormValidationAction`` needs it whatever our own methods do.
    """
    if isinstance(action, FormValidationAction):
        return True
    for cls in type(action).__mro__:
        if not cls.__module__.startswith("actions."):
            continue
        tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and node.id == "domain":
                if isinstance(node.ctx, ast.Load):
                    return True
    return False


def _actions() -> dict[str, Any]:
    executor = ActionExecutor()
    executor.register_package("actions")
    return {name: executor.actions[name].__self__ for name in executor.actions}


def test_every_action_of_the_domain_is_served() -> None:
    names, _ = _declared()
    assert names <= set(_actions())


def test_exactly_the_actions_that_read_the_domain_get_it() -> None:
    names, marked = _declared()
    actions = _actions()
    readers = {name for name in names if _reads_domain(actions[name])}
    assert readers == marked
    # Sanity of the check itself: the ones known to pick response variants are found.
    assert {"action_acknowledge", "action_handoff", "action_ask_phone"} <= readers
    assert "action_submit_complaint" not in readers


def test_rasa_sends_the_domain_only_to_the_marked_actions() -> None:
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.utils.endpoints import EndpointConfig

    names, marked = _declared()
    domain = Domain.load(str(PROJECT_ROOT / "domain.yml"))
    tracker = DialogueStateTracker("c1", domain.slots)
    # The endpoint as bot/runner.py renders it (tests/test_runner.py checks the flag).
    endpoint = EndpointConfig("http://127.0.0.1:5055/webhook", enable_selective_domain=True)
    sent = {
        name
        for name in names
        if "domain" in RemoteAction(name, endpoint)._action_call_format(tracker, domain)
    }
    assert sent == marked
