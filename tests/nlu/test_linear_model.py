"""Calibration and the SVM stage behind the linear intent classifier."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.sparse import csr_matrix

from bot.nlu.linear_intent import LinearIntentClassifier, read_unlabelled
from bot.nlu.linear_model import (
    IntentModel,
    LinearStage,
    WordNgrams,
    fit_temperature,
    softmax,
)

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


def test_model_with_word_vectors_round_trips_through_files(tmp_path: Path) -> None:
    texts = ["快递没到", "物流太慢", "退款没到账", "不给退货", "你好", "在吗"] * 3
    words = [list(text) for text in texts]
    labels = ["delivery", "delivery", "refund", "refund", "greet", "greet"] * 3
    unlabelled = [list(text) for text in ["快递太慢了", "物流太慢了", "退款还没到账"] * 4]
    model = IntentModel({**CONFIG, "unlabelled_weight": 0.7}).fit(texts, words, labels, unlabelled)
    plain = IntentModel(CONFIG).fit(texts, words, labels)
    assert model.vectors is not None and plain.vectors is None
    assert model.svm is not None and plain.svm is not None
    extra = model.svm.coef.shape[1] - plain.svm.coef.shape[1]
    assert extra == model.vectors.dims
    # Scoring the dense block apart gives what the stacked feature rows give.
    stacked = model.svm.probabilities(model.features(texts, words, fit=False))
    split = model.svm.probabilities(
        model.features(texts, words, fit=False, with_vectors=False), model.vector_block(words)
    )
    assert np.allclose(stacked, split)
    model.save(tmp_path)
    loaded = IntentModel.load(tmp_path, CONFIG)  # the config's weight (0.5) is not the trained one
    assert loaded.unlabelled_weight == 0.7 and loaded.vectors is not None
    assert loaded.vectors.words == model.vectors.words
    assert np.array_equal(loaded.vectors.vectors, model.vectors.vectors)
    for text in ("快递呢", "钱还没到账", "没见过的字"):
        assert loaded.rank(text, list(text)) == pytest.approx(model.rank(text, list(text)))
    # A model saved without word vectors loads without them.
    plain.save(tmp_path / "plain")
    assert IntentModel.load(tmp_path / "plain", CONFIG).vectors is None


def test_unlabelled_corpus_is_cut_like_messages_and_fingerprinted(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("快遞太慢了！\n\n  \nＡＢＣ退款\n", encoding="utf-8")
    documents = read_unlabelled(corpus)
    assert len(documents) == 2  # blank lines skipped
    assert "".join(documents[0]) == "快递太慢了!" and "".join(documents[1]) == "abc退款"
    assert LinearIntentClassifier.fingerprint_addon({**CONFIG}) is None
    config = {**CONFIG, "unlabelled_corpus": str(corpus)}
    before = LinearIntentClassifier.fingerprint_addon(config)
    corpus.write_text("物流太慢了\n", encoding="utf-8")
    assert LinearIntentClassifier.fingerprint_addon(config) != before


def test_unlabelled_corpus_shares_no_six_characters_with_a_hard_case() -> None:
    """The hard cases' rule for nlu/ (data/README.md) holds for the unlabelled text too."""
    import re

    import yaml

    from bot.nlu.normalize import normalize
    from bot.settings import PROJECT_ROOT

    def pieces(text: str) -> set[str]:
        squashed = re.sub(r"\s+", "", text)
        return {squashed[i : i + 6] for i in range(len(squashed) - 5)}

    cases = yaml.safe_load((PROJECT_ROOT / "tests/nlu/hard_cases.yml").read_text(encoding="utf-8"))
    held_out = set().union(*(pieces(normalize(case["text"]).lower()) for case in cases["cases"]))
    corpus = PROJECT_ROOT / "data/unlabelled/reviews_chats.txt"
    lines = normalize(corpus.read_text(encoding="utf-8")).lower().splitlines()
    assert len(lines) > 40000
    assert not [line for line in lines if pieces(line) & held_out]


def test_sentence_block_is_scaled_required_and_persisted(tmp_path: Path) -> None:
    texts = ["快递没到", "物流太慢", "退款没到账", "不给退货", "你好", "在吗"] * 3
    words = [list(text) for text in texts]
    labels = ["delivery", "delivery", "refund", "refund", "greet", "greet"] * 3
    rows = np.random.default_rng(0).normal(size=(len(texts), 8)).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    model = IntentModel({**CONFIG, "sentence_weight": 0.6}).fit(
        texts, words, labels, sentences=rows
    )
    assert model.sentence_weight == pytest.approx(0.6)
    plain = IntentModel(CONFIG).fit(texts, words, labels)
    assert plain.sentence_weight == 0.0
    assert plain.dense_block(words) is None
    block = model.dense_block(words, rows)
    assert block is not None and np.allclose(block, rows * 0.6)
    extra = model.features(texts, words, fit=False, sentences=rows).shape[1]
    assert extra == plain.features(texts, words, fit=False).shape[1] + 8
    with pytest.raises(ValueError, match="sentence-encoder row"):
        model.rank("快递呢", list("快递呢"))
    model.save(tmp_path)
    loaded = IntentModel.load(tmp_path, CONFIG)
    assert loaded.sentence_weight == pytest.approx(0.6)
    assert loaded.rank("快递呢", list("快递呢"), rows[0]) == pytest.approx(
        model.rank("快递呢", list("快递呢"), rows[0])
    )
    # The sentence row matters: another row gives other probabilities.
    assert loaded.rank("快递呢", list("快递呢"), rows[2]) != pytest.approx(
        loaded.rank("快递呢", list("快递呢"), rows[0])
    )
