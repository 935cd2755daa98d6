"""Actions without I/O run in the Rasa server, answering as the action server would."""

from __future__ import annotations

from typing import Any

import pytest
from rasa.core.actions.action import RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import EndpointConfig
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher
from rasa_sdk.interfaces import ActionExecutionRejection

import bot.channels  # noqa: F401 - the package installs the fixes; imported first, as in Rasa
from bot import rasa_local_actions
from bot.rasa_http import close_shared_session
from bot.settings import PROJECT_ROOT

DOMAIN = Domain.load(str(PROJECT_ROOT / "domain.yml"))
#: Nothing listens here: an action that reached for the action server would fail.
NOWHERE = EndpointConfig("http://127.0.0.1:9/webhook")


def _tracker(text: str, intent: str, entities: list[dict[str, Any]]) -> DialogueStateTracker:
    tracker = DialogueStateTracker.from_events(
        "local-1",
        [
            ActionExecuted("action_listen"),
            UserUttered("快递十天没到", {"name": "complain_delivery", "confidence": 0.9}),
            ActiveLoop("complaint_form"),
            SlotSet("complaint_description", "快递十天没到"),
            SlotSet("complaint_category", "delivery"),
            SlotSet("order_id", "2023112400123"),
            SlotSet("requested_slot", "phone"),
            ActionExecuted("action_listen"),
            UserUttered(text, {"name": intent, "confidence": 0.9}, entities),
        ],
        DOMAIN.slots,
    )
    return tracker


async def _run(name: str, tracker: DialogueStateTracker) -> list[Any]:
    action = RemoteAction(name, NOWHERE)
    nlg = TemplatedNaturalLanguageGenerator(DOMAIN.responses)
    return await action.run(CollectingOutputChannel(), nlg, tracker, DOMAIN)


@pytest.fixture(autouse=True)
async def _no_open_session() -> Any:
    yield
    await close_shared_session(NOWHERE)


def test_the_pure_actions_are_the_local_ones() -> None:
    assert rasa_local_actions.local_action_names() == {
        "validate_complaint_form",
        "action_ask_order_id",
        "action_ask_phone",
        "action_acknowledge",
        "action_offer_handoff",
    }


@pytest.mark.parametrize(
    ("text", "entities", "expected"),
    [
        (
            "13812345678",
            [{"entity": "phone", "value": "13812345678", "start": 0, "end": 11}],
            "13812345678",
        ),
        ("电话就不留了", [], "skipped"),
    ],
)
async def test_form_validation_runs_without_the_action_server(
    text: str, entities: list[dict[str, Any]], expected: str
) -> None:
    events = await _run("validate_complaint_form", _tracker(text, "inform", entities))

    phone = [e.value for e in events if isinstance(e, SlotSet) and e.key == "phone"]
    assert phone and phone[-1] in {expected, "不留"}


async def test_the_question_is_uttered_from_the_domain() -> None:
    events = await _run("action_ask_phone", _tracker("就是一直不动", "complain_delivery", []))

    texts = [e.text for e in events if e.__class__.__name__ == "BotUttered"]
    assert texts and any("电话" in t or "手机" in t for t in texts)


async def test_other_actions_still_go_to_the_action_server() -> None:
    with pytest.raises(RasaException, match="Couldn't connect"):
        await _run("action_submit_complaint", _tracker("退款", "inform", []))


class _Rejecting(Action):
    def name(self) -> str:
        return "validate_complaint_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        raise ActionExecutionRejection(self.name(), "not this one")


class _Tampering(Action):
    def name(self) -> str:
        return "validate_complaint_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        tracker.latest_message["text"] = "changed"
        domain["responses"].clear()
        raise RuntimeError("broken action")


def _only(action: type[Action], monkeypatch: pytest.MonkeyPatch) -> None:
    executor = ActionExecutor()
    executor.register_action(action)
    monkeypatch.setattr(rasa_local_actions, "executor", lambda: executor)


async def test_a_rejection_reaches_rasa_as_from_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    from rasa.core.actions.action import ActionExecutionRejection as RasaRejection

    _only(_Rejecting, monkeypatch)
    with pytest.raises(RasaRejection, match="not this one"):
        await _run("validate_complaint_form", _tracker("x", "inform", []))


async def test_a_failing_action_is_a_server_error_and_changes_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _only(_Tampering, monkeypatch)
    tracker = _tracker("13812345678", "inform", [])
    responses = len(DOMAIN.responses)

    with pytest.raises(RasaException, match="Failed to execute custom action"):
        await _run("validate_complaint_form", tracker)

    assert tracker.latest_message.text == "13812345678"
    assert len(DOMAIN.responses) == responses and DOMAIN.as_dict()["responses"]
