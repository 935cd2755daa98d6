"""Numerals, money amounts, order and phone numbers (bot.nlu.numbers)."""

from __future__ import annotations

import pytest

from bot.nlu.numbers import (
    find_amounts,
    find_order_ids,
    find_phones,
    normalize_width,
    parse_number,
)


@pytest.mark.parametrize(
    ("numeral", "value"),
    [
        ("0", 0),
        ("199", 199),
        ("199.5", 199.5),
        ("1,299", 1299),
        ("1,299.00", 1299),
        ("１９９", 199),
        ("零", 0),
        ("一", 1),
        ("两", 2),
        ("十", 10),
        ("十五", 15),
        ("二十", 20),
        ("一百二十", 120),
        ("一百零八", 108),
        ("一千零五", 1005),
        ("两百", 200),
        ("三千五", 3500),
        ("一百二", 120),
        ("两万三", 23000),
        ("两万三千", 23000),
        ("十万", 100_000),
        ("一千万", 10_000_000),
        ("一亿两千万", 120_000_000),
        ("1.5万", 15000),
        ("3千5", 3500),
        ("1万5千", 15000),
        ("三点五", 3.5),
        ("3点25", 3.25),
        ("二〇二三", 2023),
        ("一二三", 123),
        ("壹佰", 100),
        ("贰仟伍佰", 2500),
        ("兩萬", 20000),
        ("伍拾", 50),
    ],
)
def test_parse_number(numeral: str, value: int | float) -> None:
    parsed = parse_number(numeral)
    assert parsed == value
    assert isinstance(parsed, int) == isinstance(value, int)


@pytest.mark.parametrize(
    "numeral", ["", " ", "百", "万一", "五百三千", "十十", "abc", "三天", "点五"]
)
def test_parse_number_rejects_non_numerals(numeral: str) -> None:
    assert parse_number(numeral) is None


@pytest.mark.parametrize(
    "text", ["２０２３ＡＢＣ", "①②", "㎏", "订单号：１２３", "😀 emoji", "ｉＰｈｏｎｅ\u3000１５"]
)
def test_normalize_width_keeps_length(text: str) -> None:
    folded = normalize_width(text)
    assert len(folded) == len(text)


def test_normalize_width_folds_full_width() -> None:
    assert normalize_width("ＪＤ２０２３　￥") == "JD2023 ¥"


AmountCase = tuple[str, list[tuple[str, int | float]]]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("这个耳机才50元就坏了", [("50元", 50)]),
        ("五十块的东西也好意思卖", [("五十块", 50)]),
        ("退款只退了两百多，还差一百", [("两百多", 200)]),
        ("花了1.5万买的空调", [("1.5万", 15000)]),
        ("一个月扣了我三千五", [("三千五", 3500)]),
        ("一百二十块钱的外卖送成这样", [("一百二十块钱", 120)]),
        ("标价¥199，结账变成了¥219", [("¥199", 199), ("¥219", 219)]),
        ("199块买的，用了两天就坏", [("199块", 199)]),
        ("奶茶12块5一杯", [("12块5", 12.5)]),
        ("找零少给了八毛", [("八毛", 0.8)]),
        ("大概两千块左右吧", [("两千块左右", 2000)]),
        ("运费多收了一块五毛", [("一块五毛", 1.5)]),
        ("多扣了三块五毛五", [("三块五毛五", 3.55)]),
        ("只赔五毛钱？", [("五毛钱", 0.5)]),
        ("会员费每个月十几块", [("十几块", 10)]),
        ("订单金额￥１,２９９.００", [("￥１,２９９.００", 1299)]),
        ("RMB 2,499 买的手机", [("RMB 2,499", 2499)]),
        ("人民币两千元整", [("人民币两千元", 2000)]),
        ("退了50元运费", [("50元", 50)]),
        ("價格是199，結果收了我兩百塊", [("199", 199), ("兩百塊", 200)]),
        ("扣了一百来块钱", [("一百来块钱", 100)]),
        ("五十块一个的充电器", [("五十块", 50)]),
        ("I paid ¥88 for this", [("¥88", 88)]),
        ("充值了 100", [("100", 100)]),
    ],
)
def test_find_amounts(text: str, expected: list[tuple[str, int | float]]) -> None:
    found = [(text[m.start : m.end], m.value) for m in find_amounts(text)]
    assert found == expected


@pytest.mark.parametrize(
    "text",
    [
        "等了三天还没发货",
        "打了两次电话都没人接",
        "第一次买就遇到这种事",
        "两块电池都是坏的",
        "我们一块儿去的店里",
        "买了2台都不制冷",
        "退货3件，只收到1件",
        "一直没人处理",
        "万一再坏怎么办",
        "一周一次的保洁没来",
        "五角星的贴纸掉了",
        "毛巾质量太差",
        "iPhone 15 花了不少钱",
        "我在3号楼",
        "",
    ],
)
def test_no_amount(text: str) -> None:
    assert find_amounts(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("订单号2023112400123", [("2023112400123", "2023112400123")]),
        ("JD20231124001234到现在没发货", [("JD20231124001234", "JD20231124001234")]),
        ("单号jd-20231124001234", [("jd-20231124001234", "JD20231124001234")]),
        ("訂單號２０２３１１２４００１２３", [("２０２３１１２４００１２３", "2023112400123")]),
        ("No2023112400123", [("2023112400123", "2023112400123")]),
        ("第2023112400123号订单", [("2023112400123", "2023112400123")]),
        ("20位数12345678901234567890也算", [("12345678901234567890", "12345678901234567890")]),
    ],
)
def test_find_order_ids(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(text[m.start : m.end], m.value) for m in find_order_ids(text)] == expected


@pytest.mark.parametrize(
    "text",
    [
        "12345678901",  # 11 digits: too short
        "123456789012345678901",  # 21 digits: too long, and no part of it is an order number
        "ABCDE" + "x",
        "+8613812345678",  # a phone with country code
        "电话075587654321",  # an unseparated landline called a phone
    ],
)
def test_no_order_id(text: str) -> None:
    assert find_order_ids(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我电话13812345678", [("13812345678", "13812345678")]),
        ("打138 1234 5678找我", [("138 1234 5678", "13812345678")]),
        ("138-1234-5678", [("138-1234-5678", "13812345678")]),
        ("+86 13812345678", [("+86 13812345678", "13812345678")]),
        ("１３８１２３４５６７８", [("１３８１２３４５６７８", "13812345678")]),
        ("座机010-12345678", [("010-12345678", "010-12345678")]),
        ("0755 87654321", [("0755 87654321", "0755-87654321")]),
        ("(021)87654321", [("(021)87654321", "021-87654321")]),
        ("电话075587654321", [("075587654321", "0755-87654321")]),
        (
            "手机13812345678或座机020-87654321",
            [("13812345678", "13812345678"), ("020-87654321", "020-87654321")],
        ),
    ],
)
def test_find_phones(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(text[m.start : m.end], m.value) for m in find_phones(text)] == expected


@pytest.mark.parametrize(
    "text",
    [
        "订单号2023113812345678",  # the 11 digits 13812345678 inside an order number
        "12138123456789",  # inside a longer digit run
        "075587654321",  # an unseparated 12-digit run without a phone word is an order number
        "138-1234 5678",  # mixed separators: not written as a phone number
        "12345678",
    ],
)
def test_no_phone(text: str) -> None:
    assert find_phones(text) == []
