"""Custom actions without I/O run inside the Rasa server, through rasa-sdk's own executor.

A complaint-form turn called the action server twice — the form's validation and the next
question — and those calls were the largest cost of a turn after the NLU: the tracker was
serialised, sent, parsed and rebuilt each time, in two processes. The actions listed in
``LOCAL_ACTIONS`` read the tracker and the domain and nothing else: no database, no network,
no shared state. Rasa runs them here, the way Rasa Pro's ``actions_module`` does from 3.10 on:

- the request is the one Rasa would send (``RemoteAction``'s own payload, copied so that an
  action can never touch the live tracker), the executor is rasa-sdk's
  ``ActionExecutor``, and its answer goes back through ``RemoteAction``'s own handling;
- a rejection (``ActionExecutionRejection``) reaches Rasa as the same HTTP-400 error the action
  server answers with, and any other failure as a 500: the form and the outage handling
  (``bot/rasa_outage.py``) behave as with the action server;
- every other custom action — tickets, hand-off, survey, status — still goes to the action
  server, which also keeps serving the local ones (``LOCAL_ACTIONS=0`` sends all of them there,
  for a deployment that wants every action in one place).

Installed by :func:`bot.rasa_fixes.apply` in the Rasa server process.
"""

from __future__ import annotations

import importlib
import json
import logging
import pickle
from functools import lru_cache
from typing import Any

from bot.settings import get_settings

logger = logging.getLogger(__name__)

#: The rasa-sdk actions that read only the tracker and the domain.
LOCAL_ACTIONS = (
    "actions.complaint_form.ValidateComplaintForm",
    "actions.ask.ActionAskOrderId",
    "actions.ask.ActionAskPhone",
    "actions.deescalation.ActionAcknowledge",
    "actions.deescalation.ActionOfferHandoff",
)
#: Attribute on a ``Domain``: its dictionary as the action server would receive it.
_DOMAIN_COPY = "_complaint_bot_domain_copy"


@lru_cache(maxsize=1)
def executor() -> Any:
    """rasa-sdk's executor with the actions of ``LOCAL_ACTIONS`` registered."""
    from rasa_sdk.executor import ActionExecutor

    local = ActionExecutor()
    for path in LOCAL_ACTIONS:
        module, name = path.rsplit(".", 1)
        local.register_action(getattr(importlib.import_module(module), name))
    return local


@lru_cache(maxsize=1)
def local_action_names() -> frozenset[str]:
    """Names of the actions that run in the Rasa server."""
    return frozenset(executor().actions)


def _domain_dict(domain: Any) -> dict[str, Any]:
    # The domain does not change while a model serves: one JSON copy per domain object, so an
    # action can no more change Rasa's domain than it could over HTTP.
    copy = domain.__dict__.get(_DOMAIN_COPY)
    if copy is None:
        copy = json.loads(json.dumps(domain.as_dict()))
        setattr(domain, _DOMAIN_COPY, copy)
    return dict(copy)


class LocalEndpoint:
    """Stands in for the action endpoint of one ``RemoteAction`` call and runs it here."""

    def __init__(self, endpoint: Any, domain: Any) -> None:
        self.url = getattr(endpoint, "url", "local")
        self.kwargs = getattr(endpoint, "kwargs", {})
        self._domain = domain

    async def request(self, json: dict[str, Any], **_: Any) -> Any:  # noqa: A002 - Rasa's name
        """Run the action call ``json`` with rasa-sdk's executor; answer as the server would."""
        from rasa.utils.endpoints import ClientResponseError
        from rasa_sdk.interfaces import ActionExecutionRejection

        # A private copy, so that an action can never touch the live tracker. The payload is
        # JSON-ready (Rasa sends it as JSON), and pickle copies it several times faster.
        call = pickle.loads(pickle.dumps({k: v for k, v in json.items() if k != "domain"}))
        if "domain" in json:
            call["domain"] = _domain_dict(self._domain)
        try:
            result = await executor().run(call)
        except ActionExecutionRejection as rejection:
            body = {"error": rejection.message, "action_name": rejection.action_name}
            raise ClientResponseError(400, "Bad Request", _dumps(body)) from rejection
        except Exception as error:  # noqa: BLE001 - what the action server would answer: a 500
            logger.exception("Local action '%s' failed", call.get("next_action"))
            raise ClientResponseError(500, "Internal Server Error", str(error)) from error
        return None if result is None else _json_copy(result)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _json_copy(value: Any) -> Any:
    return json.loads(_dumps(value))


def _running_locally(original: Any) -> Any:
    async def run(self: Any, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> Any:
        if self.name() not in local_action_names():
            return await original(self, output_channel, nlg, tracker, domain)
        endpoint = self.action_endpoint
        self.action_endpoint = LocalEndpoint(endpoint, domain)
        try:
            return await original(self, output_channel, nlg, tracker, domain)
        finally:
            self.action_endpoint = endpoint

    return run


def apply() -> None:
    """Run the actions of ``LOCAL_ACTIONS`` in this process (once; not with ``LOCAL_ACTIONS=0``)."""
    if not get_settings().local_actions:
        return
    from rasa.core.actions.action import RemoteAction

    from bot.rasa_patch import patch_method

    patch_method(RemoteAction, "run", _running_locally)
