"""Dates and relative times in customer messages, resolved to calendar dates.

Pure functions, no Rasa or spaCy imports. Everything is resolved against a reference "now" in
China Standard Time (UTC+8, no daylight saving, so a fixed offset is exact): 「昨天」 said at
00:30 Beijing time is the day before in Beijing, whatever the server's clock zone.

Resolution rules (a complaint mostly talks about the past):

* 今天/昨天/前天/大前天/明天/后天, 「三天前」「两周前」「半个月前」「一个多月前」 count back
  from today.
* 「周五」 alone is the most recent Friday (today when today is Friday); 「这周一」 is Monday of
  the current week (weeks start on Monday), 「上周三」 Wednesday of the week before.
* 「11月20日」 without a year, 「20号」 without a month and 「双十一」「双十二」「618大促」 are the
  most recent such day, today included (「30号扣的款」 said on 11-24 is 10-30). Followed by a
  deadline word they are the nearest such day, past or future: 「12月1日前给我答复」 is the
  coming 12-01, 「说好11月20日前发货」 (a broken promise) the 11-20 just gone.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from bot.nlu.numbers import CN_DIGIT_CHARS, claim_span, normalize_width, parse_number

SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")


@dataclass(frozen=True)
class DateMatch:
    """A date found in a text: ``text[start:end]`` is what the customer wrote."""

    start: int
    end: int
    value: date

    @property
    def iso(self) -> str:
        """The date as ``YYYY-MM-DD``."""
        return self.value.isoformat()


def local_today(now: datetime, tz: timezone = SHANGHAI) -> date:
    """The calendar day of ``now`` in ``tz``; a naive ``now`` is taken as already local."""
    if now.tzinfo is None:
        return now.date()
    return now.astimezone(tz).date()


_N = rf"(?:\d{{1,2}}|[{CN_DIGIT_CHARS}十]{{1,3}})"  # month or day: 11, 十一, 二十
_COUNT = rf"(?:\d{{1,3}}|[{CN_DIGIT_CHARS}十百]{{1,4}}|半)"  # 3天前, 十五天前, 半个月前
_DAY_SUFFIX = "[日号號]"
_NOT_AFTER_NUMBER = rf"(?<![0-9{CN_DIGIT_CHARS}十第])"

_ISO = re.compile(
    r"(?<!\d)(?<!\d\.)(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})(?![\d])"
)
_MONTH_DAY = re.compile(
    rf"{_NOT_AFTER_NUMBER}(?:(?P<y>\d{{4}}|\d{{2}}|[{CN_DIGIT_CHARS}]{{4}}|[{CN_DIGIT_CHARS}]{{2}})年"
    r"|(?P<rel_year>去年|今年|前年|明年))?\s*"
    rf"(?P<m>{_N})月份?\s*(?P<d>{_N}){_DAY_SUFFIX}"
)
_REL_MONTH_DAY = re.compile(rf"(?P<rel>上上|上|这|這|本|下)(?:个|個)?月(?P<d>{_N}){_DAY_SUFFIX}")
# 20号 / 20日 alone; not 3号楼, 5号线, 5号电池, 订单号, 第1号, 一日三餐 (日 only after digits).
_DAY_ONLY = re.compile(
    rf"{_NOT_AFTER_NUMBER}(?<!月)(?:(?P<d>\d{{1,2}})[号號日]|(?P<cn>{_N})[号號])"
    r"(?![码碼楼樓线線床门門店窗机機房院位箱间間厅廳台桌柜櫃元块塊电電池球])"
)
_AGO = re.compile(
    rf"{_NOT_AFTER_NUMBER}(?P<n>{_COUNT})(?P<ge>个|個)?多?(?:个|個)?"
    r"(?P<u>天|日|周|星期|礼拜|禮拜|月|年)多?(?:以前|之前|前)"
)
_NAMED = re.compile(
    r"大前天|大后天|大後天|前天|昨天|昨日|昨儿|昨兒|昨晚|昨夜|今天|今日|今儿|今兒|今早|今晚|"
    r"明天|明日|明儿|明兒|后天|後天"
)
_NAMED_OFFSETS = {
    "大前": -3, "前天": -2, "昨": -1, "今": 0, "明": 1, "后天": 2, "後天": 2, "大后": 3, "大後": 3,
}  # fmt: skip
# 周五 / 上周三 / 这个星期一; not 一周一次 or 每周一 (a count or a routine, not a day).
_WEEKDAY = re.compile(
    r"(?P<rel>上上|上|这|這|本|下)?(?:个|個)?(?<![0-9一二两兩三四五六七八九十每几幾])"
    r"(?:周|週|星期|礼拜|禮拜)(?P<d>[一二三四五六日天1-7])"
)
_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_FESTIVAL = re.compile(
    r"(?P<fy>去年|今年|前年)?(?:双|雙)(?P<double>十一|11|十二|12)(?![0-9一二两三四五六七八九十])"
    r"|(?<!\d)(?<!\d\.)(?P<six>618)(?![\d])(?=大促|活动|活動|期间|期間|当天|當天|那天|购物节|的时候)"
)
# After a date these make it a deadline, which may lie ahead: 「12月1日前给我答复」.
_DEADLINE = re.compile(r"\s*(?:之前|以前|前|之内|以内|内|为止|為止)")
_REL_STEP = {"上上": -2, "上": -1, "这": 0, "這": 0, "本": 0, "下": 1}


def _number(text: str) -> int | None:
    value = parse_number(text)
    return value if isinstance(value, int) else None


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _add_months(day: date, months: int) -> date:
    """Shift by calendar months, clamping the day (3-31 minus one month is 2-28/29)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def _pick(candidates: list[date | None], today: date, deadline: bool) -> date | None:
    """The latest candidate up to today; for a deadline the nearest (a tie goes to the past)."""
    if deadline:
        nearest = (c for c in candidates if c is not None)
        return min(nearest, key=lambda c: (abs((c - today).days), c > today), default=None)
    return max((c for c in candidates if c is not None and c <= today), default=None)


def _year(text: str, today: date) -> int | None:
    year = parse_number(text)
    if not isinstance(year, int):
        return None
    if year < 100:  # 23年 = 2023
        year += 2000
    return year if 1900 <= year <= today.year + 5 else None


def _month_day(m: re.Match[str], today: date, deadline: bool) -> date | None:
    month, day = _number(m.group("m")), _number(m.group("d"))
    if month is None or day is None:
        return None
    if m.group("y"):
        year = _year(m.group("y"), today)
        return None if year is None else _safe_date(year, month, day)
    if m.group("rel_year"):
        shift = {"去年": -1, "今年": 0, "前年": -2, "明年": 1}[m.group("rel_year")]
        return _safe_date(today.year + shift, month, day)
    years = range(today.year - 4, today.year + 5)  # 2月29日 needs a leap year
    return _pick([_safe_date(y, month, day) for y in years], today, deadline)


def _rel_month_day(m: re.Match[str], today: date, deadline: bool) -> date | None:
    day = _number(m.group("d"))
    if day is None:
        return None
    first = _add_months(today.replace(day=1), _REL_STEP[m.group("rel")])
    return _safe_date(first.year, first.month, day)


def _day_only(m: re.Match[str], today: date, deadline: bool) -> date | None:
    day = _number(m.group("d") or m.group("cn"))
    if day is None or not 1 <= day <= 31:
        return None
    first = today.replace(day=1)
    months = (_add_months(first, step) for step in range(-2, 3))  # 31号 skips short months
    return _pick([_safe_date(f.year, f.month, day) for f in months], today, deadline)


def _ago(m: re.Match[str], today: date, deadline: bool) -> date | None:
    unit, raw = m.group("u"), m.group("n")
    # 三月前 reads as "before March"; only 三个月前 counts months back.
    if unit == "月" and not m.group("ge") and raw != "半":
        return None
    if raw == "半":
        days = {"天": 0, "日": 0, "周": 3, "星期": 3, "礼拜": 3, "禮拜": 3, "月": 15, "年": 182}
        return today - timedelta(days=days[unit]) if days[unit] else None
    count = _number(raw)
    if count is None or count > 3650:
        return None
    try:
        if unit in ("天", "日"):
            return today - timedelta(days=count)
        if unit == "月":
            return _add_months(today, -count)
        if unit == "年":
            return _add_months(today, -12 * count)
        return today - timedelta(weeks=count)
    except (OverflowError, ValueError):
        return None


def _named(m: re.Match[str], today: date, deadline: bool) -> date | None:
    word = m.group()
    for prefix, offset in _NAMED_OFFSETS.items():
        if word.startswith(prefix):
            return today + timedelta(days=offset)
    return None


def _weekday(m: re.Match[str], today: date, deadline: bool) -> date | None:
    raw = m.group("d")
    target = int(raw) - 1 if raw.isdigit() else _WEEKDAYS[raw]
    rel = m.group("rel")
    if rel is None:  # most recent such day, today included
        return today - timedelta(days=(today.weekday() - target) % 7)
    monday = today - timedelta(days=today.weekday())
    return monday + timedelta(weeks=_REL_STEP[rel], days=target)


def _festival(m: re.Match[str], today: date, deadline: bool) -> date | None:
    double = m.group("double")
    month, day = (6, 18) if double is None else ((11, 11) if double in ("十一", "11") else (12, 12))
    if m.group("fy"):
        return date(today.year + {"去年": -1, "今年": 0, "前年": -2}[m.group("fy")], month, day)
    years = (today.year - 1, today.year, today.year + 1)
    return _pick([date(y, month, day) for y in years], today, deadline)


# Most specific first: a span taken by 2023年11月20日 is not read again as 20日.
_RULES = (
    (_ISO, None),
    (_MONTH_DAY, _month_day),
    (_REL_MONTH_DAY, _rel_month_day),
    (_FESTIVAL, _festival),
    (_AGO, _ago),
    (_NAMED, _named),
    (_WEEKDAY, _weekday),
    (_DAY_ONLY, _day_only),
)


def find_dates(text: str, now: datetime, tz: timezone = SHANGHAI) -> list[DateMatch]:
    """Find dates and relative times and resolve them against ``now``.

    Args:
        text: The message as the customer typed it (full-width digits allowed).
        now: The reference time; aware datetimes are converted to ``tz``, naive ones are
            taken as local time in ``tz``.
        tz: The customer's time zone, China Standard Time by default.

    Returns:
        Non-overlapping matches in text order.
    """
    norm = normalize_width(text)
    today = local_today(now, tz)
    found: list[DateMatch] = []
    taken = bytearray(len(norm))
    for pattern, resolve in _RULES:
        for m in pattern.finditer(norm):
            if taken.find(b"\x01", m.start(), m.end()) != -1:
                continue
            if resolve is None:
                value = _safe_date(int(m.group("y")), int(m.group("m")), int(m.group("d")))
            else:
                value = resolve(m, today, bool(_DEADLINE.match(norm, m.end())))
            if value is not None and claim_span(taken, m.start(), m.end()):
                found.append(DateMatch(m.start(), m.end(), value))
    return sorted(found, key=lambda match: match.start)
