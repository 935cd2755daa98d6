"""Form value parsing on real customer phrasings."""

from __future__ import annotations

import pytest

from bot.validation import (
    Problem,
    is_generic_complaint,
    is_refusal,
    normalize,
    parse_desired_outcome,
    parse_order_id,
    parse_phone,
    summarize,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023112400123", "2023112400123"),
        ("订单号是2023112400123，麻烦查一下", "2023112400123"),
        ("你们的快递十天了还没到，订单号 2023112400123，太气人了", "2023112400123"),
        ("单号JD20231124001234", "JD20231124001234"),
        ("jd20231124001234", "JD20231124001234"),
        ("２０２３１１２４００１２３", "2023112400123"),  # full-width digits
    ],
)
def test_order_id_found(text: str, expected: str) -> None:
    assert parse_order_id(text).value == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("12345", Problem.TOO_SHORT),
        ("订单号 6789", Problem.TOO_SHORT),
        ("123456789012345678901234", Problem.TOO_LONG),
        ("不记得了", Problem.MISSING),
        ("", Problem.MISSING),
    ],
)
def test_order_id_problems(text: str, problem: Problem) -> None:
    parsed = parse_order_id(text)
    assert not parsed.ok
    assert parsed.problem is problem


def test_phone_is_not_an_order_id() -> None:
    assert parse_order_id("13812345678").problem is Problem.TOO_SHORT


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("13812345678", "13812345678"),
        ("我的手机是 139 1234 5678", "13912345678"),
        ("+86 15800001111", "15800001111"),
        ("座机010-12345678", "010-12345678"),
        ("0755 87654321", "0755-87654321"),
    ],
)
def test_phone_found(text: str, expected: str) -> None:
    assert parse_phone(text).value == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("1381234", Problem.TOO_SHORT),
        ("不想给", Problem.MISSING),
        ("12345678901", Problem.BAD_FORMAT),
    ],
)
def test_phone_problems(text: str, problem: Problem) -> None:
    assert parse_phone(text).problem is problem


def test_order_number_inside_text_is_not_a_phone() -> None:
    assert parse_phone("订单 2023112400123").problem is not None


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("退款", "refund"),
        ("把钱退给我", "refund"),
        ("我要退货退款", "refund"),
        ("给我换一个新的", "exchange"),
        ("上门维修一下吧", "repair"),
        ("必须给我道歉", "apology"),
        ("要个说法", "apology"),
        ("赔偿我的损失", "other"),
        ("我也不知道", None),
    ],
)
def test_desired_outcome(text: str, code: str | None) -> None:
    assert parse_desired_outcome(text) == code


@pytest.mark.parametrize(
    ("text", "generic"),
    [
        ("我要投诉", True),
        ("我要投诉！！", True),
        ("你好，我想投诉一下", True),
        ("投诉你们", True),
        ("我要投诉，快递十天没到", False),
        ("东西坏了", False),
    ],
)
def test_generic_complaint(text: str, generic: bool) -> None:
    assert is_generic_complaint(text) is generic


@pytest.mark.parametrize(
    ("text", "refusal"),
    [
        ("没有", True),
        ("不方便", True),
        ("跳过", True),
        ("不想留电话", True),
        ("13812345678", False),
    ],
)
def test_refusal(text: str, refusal: bool) -> None:
    assert is_refusal(text) is refusal


def test_normalize_and_summarize() -> None:
    assert normalize("ＡＢＣ１２３") == "ABC123"
    long_text = "快递" * 50
    assert summarize(long_text).endswith("…")
    assert len(summarize(long_text)) == 60
    assert summarize("  东西  坏了 ") == "东西 坏了"
