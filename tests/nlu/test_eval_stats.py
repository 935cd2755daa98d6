"""Bootstrap intervals and the leak-free split behind `make evaluate`."""

from __future__ import annotations

import random
from collections import Counter

from sklearn.metrics import f1_score

from bot.nlu.eval_stats import (
    bootstrap_macro_f1,
    complaint_macro_f1,
    grouped_stratified_split,
    mean_and_sd,
    paired_difference,
)

COMPLAINTS = ["complain_quality", "complain_delivery", "complain_billing", "complain_other"]


def _noisy(gold: list[str], error_rate: float, seed: int) -> list[str]:
    rng = random.Random(seed)
    labels = [*COMPLAINTS, "greet"]
    return [rng.choice(labels) if rng.random() < error_rate else g for g in gold]


def _gold(n: int = 400) -> list[str]:
    return [[*COMPLAINTS, "greet"][i % 5] for i in range(n)]


def test_groups_stay_on_one_side_and_labels_are_stratified() -> None:
    keys = [f"text {i // 2}" for i in range(400)]  # every key twice (a Traditional twin)
    labels = [["a", "b"][(i // 2) % 2] for i in range(400)]
    train, test = grouped_stratified_split(keys, labels, 0.2, seed=1)
    assert sorted(train + test) == list(range(400))
    assert not {keys[i] for i in train} & {keys[i] for i in test}
    shares = Counter(labels[i] for i in test)
    assert shares["a"] == shares["b"] == 40


def test_macro_f1_matches_sklearn_over_complaint_labels() -> None:
    gold = _gold()
    predicted = _noisy(gold, 0.3, seed=2)
    labels = sorted(set(COMPLAINTS))
    expected = f1_score(gold, predicted, labels=labels, average="macro", zero_division=0)
    assert abs(complaint_macro_f1(gold, predicted) - expected) < 1e-9


def test_bootstrap_interval_brackets_the_estimate() -> None:
    gold = _gold()
    interval = bootstrap_macro_f1(gold, _noisy(gold, 0.3, seed=3), samples=500)
    assert interval.low < interval.value < interval.high
    assert 0.02 < interval.high - interval.low < 0.25
    perfect = bootstrap_macro_f1(gold, gold, samples=200)
    assert (perfect.low, perfect.value, perfect.high) == (1.0, 1.0, 1.0)


def test_paired_difference_sees_the_better_pipeline() -> None:
    gold = _gold()
    better, worse = _noisy(gold, 0.1, seed=4), _noisy(gold, 0.5, seed=5)
    diff = paired_difference(gold, better, worse, samples=500)
    assert diff.interval.low > 0 and diff.share_a_ahead > 0.99
    same = paired_difference(gold, better, better, samples=200)
    assert same.interval.value == 0 and same.share_a_ahead == 0


def test_mean_and_sd() -> None:
    mean, sd = mean_and_sd([0.8, 0.9, 1.0])
    assert abs(mean - 0.9) < 1e-12 and abs(sd - 0.1) < 1e-12
    assert mean_and_sd([0.5]) == (0.5, 0.0)
    assert mean_and_sd([]) == (0.0, 0.0)
