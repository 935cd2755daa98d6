"""Kept past states (bot/rasa_past_states.py) are the states Rasa computes, every time.

Every prediction point of the project's stories and rules is turned into a tracker; its states
are asked for with each combination of Rasa's arguments, twice (the second answer comes from
the kept copy), and compared with Rasa's own computation.
"""

from __future__ import annotations

from typing import Any

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

import bot.channels  # noqa: F401 - importing the channels installs the fixes, as in Rasa
from bot import rasa_past_states
from bot.settings import PROJECT_ROOT
from tests.fixtures.trackers import prediction_points

STORY_FILES = [PROJECT_ROOT / "data" / "stories", PROJECT_ROOT / "data" / "rules"]
ARGUMENTS: list[tuple[bool, bool, dict[str, list[str]] | None]] = [
    (False, False, None),
    (True, False, None),
    (False, True, {"slots": ["requested_slot"], "active_loops": ["complaint_form"]}),
    (True, True, {"slots": [], "active_loops": []}),
]


def _rasas(tracker: DialogueStateTracker, domain: Domain, *arguments: Any) -> Any:
    return DialogueStateTracker.past_states.__wrapped__(tracker, domain, *arguments)  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(PROJECT_ROOT / "domain.yml"))


def _lost_parcel(domain: Domain) -> DialogueStateTracker:
    return DialogueStateTracker.from_events(
        "s",
        [ActionExecuted("action_listen"), UserUttered("快递丢了", {"name": "complain_delivery"})],
        slots=domain.slots,
    )


def test_kept_states_equal_rasas_at_every_prediction_point(domain: Domain) -> None:
    points = 0
    for tracker in prediction_points(domain, STORY_FILES):
        points += 1
        for arguments in ARGUMENTS:
            expected = _rasas(tracker, domain, *arguments)
            assert tracker.past_states(domain, *arguments) == expected
            assert tracker.past_states(domain, *arguments) == expected  # the kept copy
    assert points > 100


def test_the_second_call_does_not_replay(domain: Domain, monkeypatch: pytest.MonkeyPatch) -> None:
    tracker = _lost_parcel(domain)
    replays: list[int] = []
    replay = Domain.states_for_tracker_history

    def counted(self: Domain, *args: Any, **kwargs: Any) -> Any:
        replays.append(1)
        return replay(self, *args, **kwargs)

    monkeypatch.setattr(Domain, "states_for_tracker_history", counted)
    first = tracker.past_states(domain, False, True, {"slots": [], "active_loops": []})
    second = tracker.past_states(domain, False, True, {"slots": [], "active_loops": []})
    assert first == second and len(replays) == 1


def test_callers_cannot_change_the_kept_states(domain: Domain) -> None:
    tracker = _lost_parcel(domain)
    first = tracker.past_states(domain)
    # What Rasa's featuriser does to the last state when it matches on text.
    del first[-1]["user"]["intent"]
    first[-1]["slots"] = {}
    assert tracker.past_states(domain) == _rasas(tracker, domain)
    assert tracker.past_states(domain)[-1]["user"]["intent"] == "complain_delivery"


def test_a_new_event_or_other_arguments_recompute(domain: Domain) -> None:
    tracker = _lost_parcel(domain)
    before = tracker.past_states(domain)
    tracker.update(ActionExecuted("complaint_form"))
    tracker.update(SlotSet("requested_slot", "order_id"))
    after = tracker.past_states(domain)
    assert after != before and after == _rasas(tracker, domain)
    rule_only = {"slots": ["requested_slot"], "active_loops": []}
    assert tracker.past_states(domain, False, True, rule_only) == _rasas(
        tracker, domain, False, True, rule_only
    )
    # The same rule-only data changed in place by its owner is not mistaken for the old one.
    rule_only["slots"].clear()
    assert tracker.past_states(domain, False, True, rule_only) == _rasas(
        tracker, domain, False, True, rule_only
    )


def test_copies_are_independent_one_level_down() -> None:
    states = [{"user": {"intent": "greet"}, "slots": {"a": (1.0,)}}]
    copied = rasa_past_states.copy_states(states)
    del copied[0]["user"]["intent"]
    assert states == [{"user": {"intent": "greet"}, "slots": {"a": (1.0,)}}]
