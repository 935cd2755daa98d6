"""A restored vectorizer gives exactly scikit-learn's TF-IDF rows (bot/nlu/tfidf.py)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from bot.nlu.linear_model import WordNgrams
from bot.nlu.tfidf import TfidfVectors, restore_tfidf

TRAINING = [
    "快递一直显示在运输中，十天了还没到",
    "买的杯子收到就裂了，要求退货",
    "客服态度太差了，打了三次电话都没人接",
    "扣了我两次钱！！！",
    "退款申请了一周还没到账",
]
MESSAGES = [
    "快递十天没到，客服也不回",
    "收到的貨是壞的",  # Traditional: characters the vocabulary never saw
    "",
    "😡😡😡",
    "refund 还没到账 refund",
]


@pytest.mark.parametrize(
    "params",
    [
        {"analyzer": "char", "ngram_range": (1, 3), "sublinear_tf": True, "lowercase": False},
        {"analyzer": "char", "ngram_range": (2, 4), "sublinear_tf": True, "lowercase": True},
        {"analyzer": "char", "ngram_range": (1, 2), "sublinear_tf": False, "lowercase": True},
    ],
)
def test_character_rows_equal_scikit_learns(params: dict[str, Any]) -> None:
    fitted = TfidfVectorizer(**params).fit(TRAINING)
    restored = restore_tfidf(fitted.vocabulary_, fitted.idf_, **params)

    assert isinstance(restored, TfidfVectors)
    expected = fitted.transform(MESSAGES).toarray()
    assert np.array_equal(restored.transform(MESSAGES).toarray(), expected)
    assert expected[0].any() and not expected[2].any()  # a real row, and the empty message


def test_word_rows_equal_scikit_learns() -> None:
    words = [text.split("，") for text in TRAINING]
    params = {"analyzer": WordNgrams(1, 2), "sublinear_tf": True, "lowercase": False}
    fitted = TfidfVectorizer(**params).fit(words)
    restored = restore_tfidf(fitted.vocabulary_, fitted.idf_, **params)

    messages = [["快递一直显示在运输中", "十天了还没到"], ["没见过的词"], []]
    assert np.array_equal(
        restored.transform(messages).toarray(), fitted.transform(messages).toarray()
    )
