"""Calibration and the SVM stage behind the linear intent classifier."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.sparse import csr_matrix

from bot.nlu.linear_intent import LinearIntentClassifier
from bot.nlu.linear_model import IntentModel, LinearStage, WordNgrams, fit_temperature, softmax

CONFIG = LinearIntentClassifier.get_default_config()


def test_fitted_temperature_recovers_the_true_one() -> None:
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(4000, 4))
    probabilities = softmax(scores, 3.0)
    labels = np.array([rng.choice(4, p=row) for row in probabilities])
    assert 2.4 < fit_temperature(scores, labels) < 3.8


def test_softmax_rows_sum_to_one_and_survive_large_scores() -> None:
    rows = softmax(np.array([[1000.0, 0.0], [0.0, 0.0]]), 10.0)
    assert np.allclose(rows.sum(axis=1), 1) and rows[0, 0] == pytest.approx(1.0)
    assert rows[1].tolist() == [0.5, 0.5]


def test_binary_and_single_class_stages() -> None:
    features = csr_matrix(np.array([[1.0, 0.0]] * 6 + [[0.0, 1.0]] * 6))
    labels = ["a"] * 6 + ["b"] * 6
    stage = LinearStage.fit(features, labels, CONFIG)
    probabilities = stage.probabilities(csr_matrix(np.array([[1.0, 0.0], [0.0, 1.0]])))
    assert stage.classes == ["a", "b"] and np.allclose(probabilities.sum(axis=1), 1)
    assert probabilities[0, 0] > 0.5 > probabilities[1, 0]
    single = LinearStage.fit(features, ["a"] * 12, CONFIG)
    assert single.probabilities(features).tolist() == [[1.0]] * 12


def test_word_ngrams() -> None:
    assert WordNgrams(1, 2)(["不", "给", "退"]) == ["不", "给", "退", "不 给", "给 退"]
    assert WordNgrams()([]) == []


def test_model_round_trips_through_files(tmp_path: Path) -> None:
    texts = ["快递没到", "物流太慢", "退款没到账", "不给退货", "你好", "在吗"] * 3
    words = [list(text) for text in texts]
    labels = ["delivery", "delivery", "refund", "refund", "greet", "greet"] * 3
    model = IntentModel({**CONFIG, "word_ngram_range": [1, 2]}).fit(texts, words, labels)
    model.save(tmp_path)
    loaded = IntentModel.load(tmp_path, CONFIG)
    assert loaded.rank("快递呢", list("快递呢")) == pytest.approx(
        model.rank("快递呢", list("快递呢"))
    )
    assert loaded.words is not None and loaded.words.analyzer.high == 2


def test_word_weight_scales_the_word_block_and_is_persisted(tmp_path: Path) -> None:
    texts = ["快递没到", "物流太慢", "退款没到账", "不给退货", "你好", "在吗"] * 3
    words = [list(text) for text in texts]
    labels = ["delivery", "delivery", "refund", "refund", "greet", "greet"] * 3
    model = IntentModel({**CONFIG, "word_weight": 0.5}).fit(texts, words, labels)
    full = IntentModel(CONFIG).fit(texts, words, labels)
    assert model.chars is not None and full.words is not None
    characters = len(model.chars.vocabulary_)
    halved = model.features(texts[:1], words[:1], fit=False)[:, characters:]
    assert np.allclose(halved.toarray(), 0.5 * full.words.transform(words[:1]).toarray())
    model.save(tmp_path)
    loaded = IntentModel.load(tmp_path, CONFIG)  # the config says 1: the trained weight wins
    assert loaded.word_weight == 0.5
    assert loaded.rank("快递呢", list("快递呢")) == pytest.approx(
        model.rank("快递呢", list("快递呢"))
    )
