"""Statistics behind `make evaluate`: a leak-free stratified split and bootstrap intervals.

One held-out split of a few hundred messages gives a macro-F1 whose sampling error is several
points, so the report states a 95 % bootstrap interval next to each figure and, for the
project-versus-stock comparison, a paired bootstrap of the difference (both pipelines are
scored on the same resampled messages). The split keeps messages that are the same after
normalisation (Traditional/Simplified twins, full-width variants, repeated punctuation) on
one side, so the test set never holds a copy of a training example.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

COMPLAINT_PREFIX = "complain_"
BOOTSTRAP_SAMPLES = 2000


@dataclass(frozen=True)
class Interval:
    """A point estimate with a two-sided 95 % bootstrap interval."""

    value: float
    low: float
    high: float

    def __str__(self) -> str:
        return f"{self.value:.3f} [{self.low:.3f}, {self.high:.3f}]"


@dataclass(frozen=True)
class PairedDifference:
    """Bootstrap of ``a - b`` on the same resampled messages."""

    interval: Interval
    share_a_ahead: float  # share of resamples in which ``a`` scores higher than ``b``


def grouped_stratified_split(
    keys: Sequence[str], labels: Sequence[str], test_fraction: float, seed: int
) -> tuple[list[int], list[int]]:
    """Split example indices into train and test, stratified by label, groups kept whole.

    Args:
        keys: the normalised text of each example; equal keys form one group.
        labels: the intent of each example (a group takes the label of its first example).
        test_fraction: share of groups that go to the test side.
        seed: random seed, so a split can be reproduced.

    Returns:
        The indices of the training and of the test examples.
    """
    from sklearn.model_selection import train_test_split

    groups: dict[str, list[int]] = {}
    for index, key in enumerate(keys):
        groups.setdefault(key, []).append(index)
    names = list(groups)
    group_labels = [labels[groups[name][0]] for name in names]
    train_names, test_names = train_test_split(
        names, test_size=test_fraction, stratify=group_labels, random_state=seed
    )
    train = sorted(i for name in train_names for i in groups[name])
    test = sorted(i for name in test_names for i in groups[name])
    return train, test


def complaint_labels(gold: Sequence[str], predicted: Sequence[str]) -> list[str]:
    """The complaint categories that occur in ``gold`` or ``predicted``, sorted."""
    return sorted({label for label in [*gold, *predicted] if label.startswith(COMPLAINT_PREFIX)})


def _macro_f1_rows(gold: np.ndarray, predicted: np.ndarray, labels: Sequence[str]) -> np.ndarray:
    """Macro-F1 over ``labels`` for each row of 2-D label arrays (one row per resample)."""
    scores = []
    for label in labels:
        is_gold, is_predicted = gold == label, predicted == label
        true_positive = (is_gold & is_predicted).sum(axis=1)
        denominator = is_gold.sum(axis=1) + is_predicted.sum(axis=1)
        scores.append(np.where(denominator > 0, 2 * true_positive / np.maximum(denominator, 1), 0))
    return np.mean(scores, axis=0)


def complaint_macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> float:
    """Macro-F1 over the complaint categories (the other intents still count as errors)."""
    labels = complaint_labels(gold, predicted)
    if not labels:
        return 0.0
    rows = _macro_f1_rows(np.array([gold]), np.array([predicted]), labels)
    return float(rows[0])


def _resamples(size: int, samples: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, size, size=(samples, size))


def _interval(value: float, draws: np.ndarray) -> Interval:
    low, high = np.percentile(draws, [2.5, 97.5])
    return Interval(value, float(low), float(high))


def bootstrap_macro_f1(
    gold: Sequence[str],
    predicted: Sequence[str],
    samples: int = BOOTSTRAP_SAMPLES,
    seed: int = 0,
) -> Interval:
    """Complaint macro-F1 with a percentile bootstrap interval over the test messages."""
    labels = complaint_labels(gold, predicted)
    if not gold or not labels:
        return Interval(0.0, 0.0, 0.0)
    index = _resamples(len(gold), samples, seed)
    draws = _macro_f1_rows(np.array(gold)[index], np.array(predicted)[index], labels)
    return _interval(complaint_macro_f1(gold, predicted), draws)


def paired_difference(
    gold: Sequence[str],
    predicted_a: Sequence[str],
    predicted_b: Sequence[str],
    samples: int = BOOTSTRAP_SAMPLES,
    seed: int = 0,
) -> PairedDifference:
    """Bootstrap the complaint macro-F1 difference ``a - b`` on the same resampled messages."""
    labels = complaint_labels(gold, [*predicted_a, *predicted_b])
    if not gold or not labels:
        return PairedDifference(Interval(0.0, 0.0, 0.0), 0.0)
    index = _resamples(len(gold), samples, seed)
    gold_rows = np.array(gold)[index]

    def score(predicted: Sequence[str]) -> np.ndarray:
        return _macro_f1_rows(gold_rows, np.array(predicted)[index], labels)

    draws = score(predicted_a) - score(predicted_b)
    value = complaint_macro_f1(gold, predicted_a) - complaint_macro_f1(gold, predicted_b)
    return PairedDifference(_interval(value, draws), float(np.mean(draws > 0)))


def mean_and_sd(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for a single value)."""
    array = np.asarray(values, dtype=float)
    if array.size == 0:
        return 0.0, 0.0
    return float(array.mean()), float(array.std(ddof=1)) if array.size > 1 else 0.0
