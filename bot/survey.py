"""Reading satisfaction-survey answers the way customers actually type them.

A rating comes as a digit (「4」「5分」), a Chinese numeral (「五星」「给三分」), words
(「非常满意」「一般」「很差」), stars or emoji (「⭐⭐⭐⭐」「👍」「😡」); whether the problem was
solved comes as 「解决了」「还没有」「嗯」. Anything else is ``None`` so the form can re-ask once.
"""

from __future__ import annotations

import re

from bot.nlu.normalize import normalize as normalize_text

RATING_MIN, RATING_MAX = 1, 5

_NUMERALS = {"一": 1, "壹": 1, "二": 2, "两": 2, "贰": 2, "三": 3, "叁": 3, "四": 4, "肆": 4,
             "五": 5, "伍": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10, "零": 0}  # fmt: skip

# A digit with an optional unit (「5」「5分」「10分」, the last out of range and so no rating),
# not part of a longer number; a Chinese numeral only with a unit (「五星」「打三分」) or alone,
# because 一 and 两 also live inside words (「一般」「一点」).
_NUMBER = re.compile(
    r"(?<![\d.])(10|\d)\s*(?:分|星|颗星|stars?)?(?![\d.])"
    r"|([一二两三四五六七八九十壹贰叁肆伍])\s*(?:分|星|颗星)"
    r"|^([一二两三四五六七八九十壹贰叁肆伍])[。.!！]*$"
)

# Checked in order: negated and strong phrases before the plain words they contain.
_WORDS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (1, ("非常不满意", "很不满意", "极不满意", "特别不满意", "非常差", "很差", "太差", "极差",
         "差劲", "垃圾", "糟糕", "烂透", "最差", "差评", "失望透顶", "非常失望")),
    (2, ("不满意", "不太满意", "不怎么样", "不太好", "有点差", "较差", "比较差", "失望", "差")),
    (5, ("非常满意", "很满意", "特别满意", "超满意", "十分满意", "非常好", "太好了", "完美",
         "超级棒", "很棒", "好评", "五星好评", "满分", "给力")),
    (3, ("一般", "还行", "凑合", "马马虎虎", "普通", "中等", "还可以吧", "过得去", "及格")),
    (4, ("满意", "还可以", "挺好", "不错", "可以", "好", "棒", "ok", "OK")),
)  # fmt: skip

_EMOJI: tuple[tuple[int, str], ...] = (
    (1, "😡😠🤬👎💢😤"),
    (2, "😞😒🙁☹😕"),
    (3, "😐😑🤔"),
    (5, "👍😀😃😄😊🥰😍❤💯🎉👏🙏"),
)

_SKIP = re.compile(
    r"跳过|不想(回答|评|打分|说)|不评|不打分|不用了|算了|下次|没空|不方便|pass|skip", re.I
)
_NO_COMMENT = re.compile(
    r"^(没有了?|没了|无|没|没什么|没有什么|不用|不用了|就这样|没意见|暂时没有)[。.!！]*$"
)

_SOLVED_NO = re.compile(
    r"没(有)?解决|未解决|还没(有)?|没有|没好|不行|没用|不是|并没有|还是不|没搞定|没处理|否|^不$|^没$|不算"
)
_SOLVED_YES = re.compile(
    r"解决了|已解决|好了|搞定|处理好|处理了|可以了|没问题了|是的|是|对|嗯|解决|收到了|^行$|^好$|^ok$",
    re.I,
)


def _clean(text: str) -> str:
    return normalize_text(text or "").strip()


def is_skip(text: str) -> bool:
    """Whether the customer declines to answer the question (「跳过」「不想评」)."""
    clean = _clean(text)
    return bool(clean) and len(clean) <= 20 and bool(_SKIP.search(clean))


def is_no_comment(text: str) -> bool:
    """Whether an answer to 「还有什么想说的吗」 means "nothing" (「没有了」「无」)."""
    return bool(_NO_COMMENT.match(_clean(text)))


def parse_rating(text: str) -> int | None:
    """Return the 1–5 rating in ``text``, or ``None`` when there is no usable one.

    Examples:
        >>> parse_rating("五星"), parse_rating("给4分吧"), parse_rating("一般般")
        (5, 4, 3)
        >>> parse_rating("10分") is None and parse_rating("随便") is None
        True
    """
    clean = _clean(text)
    if not clean or len(clean) > 60:
        return None
    stars = clean.count("⭐") + clean.count("★")
    if RATING_MIN <= stars <= RATING_MAX and not _NUMBER.search(clean):
        return stars
    numbers = [next(g for g in m.groups() if g) for m in _NUMBER.finditer(clean)]
    if numbers:
        values = {int(n) if n.isdigit() else _NUMERALS.get(n) for n in numbers}
        if len(values) == 1:
            (value,) = values
            return value if value is not None and RATING_MIN <= value <= RATING_MAX else None
        return None  # 「3到5分吧」: no single answer
    lowered = clean.lower()
    for rating, words in _WORDS:
        if any(word.lower() in lowered for word in words):
            return rating
    for rating, symbols in _EMOJI:
        if any(symbol in clean for symbol in symbols):
            return rating
    return None


def parse_solved(text: str) -> bool | None:
    """Return whether the answer says the problem was solved, or ``None`` if it does not say."""
    clean = _clean(text)
    if not clean or len(clean) > 60:
        return None
    if _SOLVED_NO.search(clean):
        return False
    if _SOLVED_YES.search(clean):
        return True
    return None
