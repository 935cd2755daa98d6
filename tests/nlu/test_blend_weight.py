"""Scoring DIET/SVM blends offline, as the diet_weight chooser does."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.nlu.blend_weight import WEIGHTS, best_of, has_diet, main, scores_by_weight

DIET = {"complain_delivery": 0.7, "complain_refund": 0.3}
SVM = {"complain_refund": 0.8, "complain_delivery": 0.1, "praise": 0.1}


@pytest.mark.parametrize(
    ("weight", "expected"),
    [(1.0, "complain_delivery"), (0.8, "complain_delivery"), (0.5, "complain_refund"),
     (0.0, "complain_refund")],
)  # fmt: skip
def test_best_of_follows_the_weighted_average(weight: float, expected: str) -> None:
    # weight 0.5: delivery 0.4, refund 0.55 — the SVM's certainty outweighs DIET's lead
    assert best_of(DIET, SVM, weight) == expected


def test_scores_by_weight_reward_the_model_that_is_right() -> None:
    gold = ["complain_refund", "complain_delivery"]
    diet = [DIET, {"complain_delivery": 0.9}]
    svm = [SVM, {"complain_delivery": 0.6, "praise": 0.4}]
    scores = scores_by_weight(gold, diet, svm)
    assert len(scores) == len(WEIGHTS)
    assert scores[0] == pytest.approx(1.0)  # the SVM alone gets both right
    assert scores[-1] < 1.0  # DIET alone calls the refund complaint a delivery one


def test_a_pipeline_without_diet_has_no_blend_to_weigh(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.yml"
    config.write_text("pipeline:\n- name: bot.nlu.linear_intent.LinearIntentClassifier\n")
    assert not has_diet(config)
    assert main(["--config", str(config)]) == 2
    assert "no DIETClassifier" in capsys.readouterr().err
    config.write_text("pipeline:\n- name: DIETClassifier\n- name: LinearIntentClassifier\n")
    assert has_diet(config)
