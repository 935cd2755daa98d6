"""Dates and relative times resolved against a fixed "now" (bot.nlu.dates)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from bot.nlu.dates import SHANGHAI, find_dates, local_today

# Friday 2023-11-24, 10:00 in Beijing.
NOW = datetime(2023, 11, 24, 10, 0, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("今天刚收到货就是坏的", [("今天", "2023-11-24")]),
        ("昨天下的单", [("昨天", "2023-11-23")]),
        ("前天打的电话", [("前天", "2023-11-22")]),
        ("大前天就该到了", [("大前天", "2023-11-21")]),
        ("明天再不到我就投诉", [("明天", "2023-11-25")]),
        ("昨晚送来的外卖是凉的", [("昨晚", "2023-11-23")]),
        ("三天前申请的退款", [("三天前", "2023-11-21")]),
        ("3天前申请的退款", [("3天前", "2023-11-21")]),
        ("十五天前买的", [("十五天前", "2023-11-09")]),
        ("两周前寄回去的", [("两周前", "2023-11-10")]),
        ("两个星期前就说给我退", [("两个星期前", "2023-11-10")]),
        ("半个月前办的宽带", [("半个月前", "2023-11-09")]),
        ("一个多月前就坏了", [("一个多月前", "2023-10-24")]),
        ("一年前买的冰箱", [("一年前", "2022-11-24")]),
        ("上周三约的师傅没来", [("上周三", "2023-11-15")]),
        ("这周一就发货了", [("这周一", "2023-11-20")]),
        ("周五下的单", [("周五", "2023-11-24")]),
        ("星期二买的", [("星期二", "2023-11-21")]),
        ("礼拜天打过电话", [("礼拜天", "2023-11-19")]),
        ("上上周五付的款", [("上上周五", "2023-11-10")]),
        ("下周二之前给我答复", [("下周二", "2023-11-28")]),
        ("上个月15号办的套餐", [("上个月15号", "2023-10-15")]),
        ("本月3号扣的费", [("本月3号", "2023-11-03")]),
        ("11月20日买的", [("11月20日", "2023-11-20")]),
        ("11月20号收到的", [("11月20号", "2023-11-20")]),
        ("2023年11月20日下单", [("2023年11月20日", "2023-11-20")]),
        ("23年11月20号", [("23年11月20号", "2023-11-20")]),
        ("二〇二三年十一月二十日", [("二〇二三年十一月二十日", "2023-11-20")]),
        ("2023-11-20", [("2023-11-20", "2023-11-20")]),
        ("2023/11/20 的订单", [("2023/11/20", "2023-11-20")]),
        ("２０２３－１１－２０", [("２０２３－１１－２０", "2023-11-20")]),
        ("去年12月5号买的", [("去年12月5号", "2022-12-05")]),
        ("双十一买的", [("双十一", "2023-11-11")]),
        ("雙11那天買的", [("雙11", "2023-11-11")]),
        ("去年双十一", [("去年双十一", "2022-11-11")]),
        ("双十二的订单", [("双十二", "2022-12-12")]),
        ("618大促买的", [("618", "2023-06-18")]),
        ("12月1日前给我答复", [("12月1日", "2023-12-01")]),
        ("20号下的单", [("20号", "2023-11-20")]),
        ("30号扣的款", [("30号", "2023-10-30")]),
        ("31号扣的款", [("31号", "2023-10-31")]),
        ("说好20号之前退款", [("20号", "2023-11-20")]),
        ("说好11月20日前发货", [("11月20日", "2023-11-20")]),
        ("12月3日之前不解决就投诉", [("12月3日", "2023-12-03")]),
        ("2月29日买的", [("2月29日", "2020-02-29")]),
        ("昨天问了，前天也问了", [("昨天", "2023-11-23"), ("前天", "2023-11-22")]),
        ("I ordered it 3天前 on 双11", [("3天前", "2023-11-21"), ("双11", "2023-11-11")]),
    ],
)
def test_find_dates(text: str, expected: list[tuple[str, str]]) -> None:
    found = [(text[m.start : m.end], m.iso) for m in find_dates(text, NOW)]
    assert found == expected


@pytest.mark.parametrize(
    "text",
    [
        "一周一次的保洁",
        "每周一都来",
        "一日三餐",
        "我住3号楼",
        "坐5号线过来",
        "5号电池没电",
        "订单号2023112400123",
        "三月前",  # before March, not three months ago
        "2023-13-45",
        "2月30日",
        "",
    ],
)
def test_no_date(text: str) -> None:
    assert find_dates(text, NOW) == []


def test_invalid_day_of_month_is_dropped() -> None:
    march = datetime(2023, 3, 10, tzinfo=SHANGHAI)
    assert find_dates("上个月30号", march) == []  # February has no 30th
    assert [m.iso for m in find_dates("上个月28号", march)] == ["2023-02-28"]


def test_today_uses_beijing_time_not_utc() -> None:
    # 2023-11-23 17:30 UTC is already 01:30 on the 24th in Beijing.
    utc_evening = datetime(2023, 11, 23, 17, 30, tzinfo=timezone.utc)
    assert local_today(utc_evening) == date(2023, 11, 24)
    assert [m.iso for m in find_dates("昨天", utc_evening)] == ["2023-11-23"]


def test_naive_now_is_taken_as_local() -> None:
    assert local_today(datetime(2023, 11, 24, 0, 5)) == date(2023, 11, 24)


def test_month_day_near_new_year_takes_the_nearest_year() -> None:
    january = datetime(2024, 1, 3, tzinfo=SHANGHAI)
    assert [m.iso for m in find_dates("12月28日买的", january)] == ["2023-12-28"]
    assert [m.iso for m in find_dates("双十一", january)] == ["2023-11-11"]


def test_festival_deadline_looks_forward() -> None:
    october = datetime(2023, 10, 8, tzinfo=SHANGHAI)
    assert [m.iso for m in find_dates("双十一之前能发货吗", october)] == ["2023-11-11"]
    assert [m.iso for m in find_dates("双十一买的", october)] == ["2022-11-11"]


def test_weekday_on_the_same_day_is_today() -> None:
    for offset in range(7):
        day = NOW + timedelta(days=offset)
        weekday = "一二三四五六日"[day.weekday()]
        assert [m.iso for m in find_dates(f"周{weekday}", day)] == [day.date().isoformat()]


def test_other_time_zone() -> None:
    utc = timezone.utc
    late = datetime(2023, 11, 23, 17, 30, tzinfo=utc)
    assert [m.iso for m in find_dates("今天", late, tz=utc)] == ["2023-11-23"]
