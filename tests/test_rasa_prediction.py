"""The prediction shortcut (bot/rasa_prediction.py) chooses exactly what Rasa's ensemble does.

Every prediction point of the project's stories and test stories is predicted twice with the
small trained model: by the whole graph (all policies, Rasa's way) and by the shortcut. Where
the shortcut answers, action, policy, confidence and events must be the same.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bot.rasa_prediction import make_plan, shortcut_prediction
from bot.settings import PROJECT_ROOT
from tests.fixtures.trackers import prediction_points

STORY_FILES = [
    PROJECT_ROOT / "data" / "stories",
    PROJECT_ROOT / "data" / "rules",
    *sorted((PROJECT_ROOT / "tests" / "stories").glob("*.yml")),
]


@pytest.fixture(scope="module")
def processor(trained_model: Path) -> Any:
    from rasa.core.agent import Agent

    agent = Agent.load(str(trained_model))
    assert agent.processor is not None
    return agent.processor


def _full_prediction(processor: Any, tracker: Any) -> Any:
    from rasa.engine.constants import PLACEHOLDER_TRACKER

    target = processor.model_metadata.core_target
    return processor.graph_runner.run(inputs={PLACEHOLDER_TRACKER: tracker}, targets=[target])[
        target
    ]


def test_the_plan_skips_only_ted(processor: Any) -> None:
    plan = make_plan(processor.graph_runner, processor.model_metadata.core_target)
    assert plan is not None
    assert [name for name, _ in plan.skippable.values()] == ["TEDPolicy"]
    assert any("RulePolicy" in node for node in plan.cheap.values())
    assert any("DeescalationPolicy" in node for node in plan.cheap.values())


def test_shortcut_agrees_with_the_whole_ensemble(processor: Any) -> None:
    points = used = 0
    for tracker in prediction_points(processor.domain, STORY_FILES):
        points += 1
        short = shortcut_prediction(processor, tracker.copy())
        full = _full_prediction(processor, tracker.copy())
        where = f"{tracker.sender_id} after {tracker.latest_action_name}"
        if short is None:
            # Declined only where TED won or no policy was certain: TED's answer mattered.
            assert full.policy_name == "TEDPolicy" or full.max_confidence < 1.0, where
            continue
        used += 1
        assert short.policy_name == full.policy_name, where
        assert int(np.argmax(short.probabilities)) == int(np.argmax(full.probabilities)), where
        assert short.max_confidence == pytest.approx(full.max_confidence), where
        assert [str(e) for e in short.events] == [str(e) for e in full.events], where
        assert short.is_no_user_prediction == full.is_no_user_prediction, where
    # Most predictions in a complaint conversation are a rule's or the form's: that is the
    # whole point of the shortcut.
    assert points > 100
    assert used / points > 0.5, f"shortcut used for {used} of {points} predictions"
    assert used < points, "no prediction left to TED: the stories no longer test the fallback"
