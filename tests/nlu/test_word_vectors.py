"""Word vectors from unlabelled text (bot/nlu/word_vectors.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.nlu.word_vectors import WordVectors

UNLABELLED = [
    ["快递", "太", "慢", "了"],
    ["物流", "太", "慢", "了"],
    ["退款", "还", "没", "到账"],
] * 4
UNLABELLED += [["退钱", "还", "没", "到账"]] * 4


def test_word_vectors_put_words_with_the_same_contexts_together() -> None:
    vectors = WordVectors.fit(UNLABELLED, dims=200)
    assert vectors.dims == len(vectors.words) - 1  # fewer dimensions than words
    assert np.allclose(np.linalg.norm(vectors.vectors, axis=1), 1, atol=1e-5)
    express, logistics, refund = (vectors.transform([[w]])[0] for w in ("快递", "物流", "退款"))
    assert express @ logistics > 0.99 > express @ refund
    rows = vectors.transform([["快递", "太"], ["没见过"], []])
    assert np.isclose(np.linalg.norm(rows[0]), 1) and not rows[1:].any()  # unknown words: zeros
    with pytest.raises(ValueError):
        WordVectors.fit([["只有", "一次"]], dims=10)


def test_word_vectors_round_trip_through_files(tmp_path: Path) -> None:
    vectors = WordVectors.fit(UNLABELLED, dims=3)
    vectors.save(tmp_path)
    restored = WordVectors.load(tmp_path)
    assert restored.words == vectors.words
    assert np.array_equal(restored.vectors, vectors.vectors)
    messages = [["快递", "太", "慢"], ["退钱", "没", "到账"]]
    assert np.array_equal(restored.transform(messages), vectors.transform(messages))
