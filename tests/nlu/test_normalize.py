"""Length-preserving normalisation on real customer text."""

from __future__ import annotations

import pytest

from bot.nlu.normalize import collapse_punctuation, normalize, punctuation_runs, to_simplified


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("你們的客服態度真差", "你们的客服态度真差"),
        ("訂單號2023112400123", "订单号2023112400123"),
        ("退貨退款為什麼這麼難", "退货退款为什么这么难"),
        ("後來又說沒貨了", "后来又说没货了"),
        ("已经是简体了", "已经是简体了"),
    ],
)
def test_traditional_to_simplified(text: str, expected: str) -> None:
    assert to_simplified(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ＡｉｒＰｏｄｓ坏了", "AirPods坏了"),
        ("订单号２０２３１１２４００１２３", "订单号2023112400123"),
        ("气死我了！！！", "气死我了!  "),
        ("什么情况？？？？", "什么情况?   "),
        ("好吧。。。", "好吧。  "),
        ("能不能快点～～", "能不能快点~ "),
        ("a\x00b\x1fc", "a b c"),
        ("全角　空格", "全角 空格"),
    ],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "😡😡😡",
        "x" * 10_000,
        "退款" * 3000,
        "\u200b\ufeff",
        "<script>alert(1)</script>",
        "𠮷野家",
    ],
)
def test_length_is_preserved(text: str) -> None:
    assert len(normalize(text)) == len(text)


def test_single_marks_are_kept() -> None:
    assert collapse_punctuation("真的吗？好吧！") == "真的吗？好吧！"


@pytest.mark.parametrize(
    ("text", "exclamation", "question"),
    [("太过分了！！！", 3, 0), ("怎么回事???", 0, 3), ("还没到！？！！", 2, 1), ("好的", 0, 0)],
)
def test_punctuation_runs(text: str, exclamation: int, question: int) -> None:
    assert punctuation_runs(text) == {"exclamation": exclamation, "question": question}
