"""Pure checks of what customers type into the complaint form.

Kept free of Rasa imports so that the form validation action, the console and the tests all
share one definition of a valid order number or phone.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import Enum

COMPLAINT_CATEGORIES: dict[str, str] = {
    "complain_quality": "产品质量",
    "complain_delivery": "物流配送",
    "complain_billing": "收费扣费",
    "complain_refund": "退款退货",
    "complain_service": "服务态度",
    "complain_promise": "承诺未兑现",
    "complain_other": "其他",
}

DESIRED_OUTCOMES: dict[str, str] = {
    "refund": "退款",
    "exchange": "换货",
    "repair": "维修",
    "apology": "道歉或给个说法",
    "other": "其他处理方式",
}

# Checked in order: "退货退款" must mean refund, "换货" exchange, and "修" only after both.
_OUTCOME_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("refund", ("退款", "退钱", "退费", "钱退", "返还", "退货")),
    ("exchange", ("换货", "换一个", "换个", "换新", "更换", "重新发", "补发", "调换")),
    ("repair", ("维修", "修理", "修一下", "修好", "保修", "上门修")),
    ("apology", ("道歉", "说法", "交代", "解释")),
    ("other", ("其他", "其它", "别的", "都行", "随便", "赔偿", "补偿")),
)

_ORDER_ID = re.compile(r"(?<![0-9A-Za-z])([A-Za-z]{0,4}\d{12,20})(?![0-9])")
_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d{9})(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)(0\d{2,3})[-\s]?(\d{7,8})(?!\d)")
_DIGIT_RUN = re.compile(r"[A-Za-z]{0,4}\d[\d\s-]*\d|\d")
# A message that only says "I want to complain" carries no description of its own.
_GENERIC_OPENERS = re.compile(
    r"(我|俺)?(要|想|想要|需要)?(投诉|反映|反馈|举报)(一下|一个|个)?(问题|情况|事情|你们)?"
    r"|你好|您好|在吗|有人吗|客服"
)


class Problem(str, Enum):
    """Why a value typed by the customer was not accepted."""

    MISSING = "missing"
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    BAD_FORMAT = "bad_format"


@dataclass(frozen=True)
class Parsed:
    """Outcome of parsing one form answer: a value, or the reason there is none."""

    value: str | None = None
    problem: Problem | None = None

    @property
    def ok(self) -> bool:
        """Whether a valid value was found."""
        return self.value is not None


def normalize(text: str) -> str:
    """Fold full-width digits and letters to ASCII (NFKC), as Chinese keyboards often type them."""
    return unicodedata.normalize("NFKC", text or "")


def parse_order_id(text: str) -> Parsed:
    """Find an order number: 12–20 digits, optionally after up to four letters.

    Args:
        text: What the customer typed.

    Returns:
        The order number (letters upper-cased), or the problem with the digits that were typed.
    """
    clean = normalize(text)
    match = _ORDER_ID.search(clean)
    if match:
        return Parsed(value=match.group(1).upper())
    runs = [re.sub(r"[\s-]", "", run) for run in _DIGIT_RUN.findall(clean)]
    digits = max((sum(ch.isdigit() for ch in run) for run in runs), default=0)
    if digits == 0:
        return Parsed(problem=Problem.MISSING)
    if digits < 12:
        return Parsed(problem=Problem.TOO_SHORT)
    if digits > 20:
        return Parsed(problem=Problem.TOO_LONG)
    return Parsed(problem=Problem.BAD_FORMAT)


def parse_phone(text: str) -> Parsed:
    """Find a mainland mobile number (11 digits, 1[3-9]…) or a landline with area code.

    Args:
        text: What the customer typed.

    Returns:
        The number as digits (landlines as ``010-12345678``), or the problem.
    """
    clean = normalize(text).replace("+86", "").replace(" ", "")
    mobile = _MOBILE.search(clean)
    if mobile:
        return Parsed(value=mobile.group(1))
    landline = _LANDLINE.search(clean)
    if landline:
        return Parsed(value=f"{landline.group(1)}-{landline.group(2)}")
    digits = sum(ch.isdigit() for ch in clean)
    if digits == 0:
        return Parsed(problem=Problem.MISSING)
    if digits < 11:
        return Parsed(problem=Problem.TOO_SHORT)
    if digits > 12:
        return Parsed(problem=Problem.TOO_LONG)
    return Parsed(problem=Problem.BAD_FORMAT)


def parse_desired_outcome(text: str) -> str | None:
    """Map free text such as 「把钱退给我」 or 「换个新的」 to an outcome code, if it names one."""
    clean = normalize(text)
    for code, words in _OUTCOME_KEYWORDS:
        if any(word in clean for word in words):
            return code
    return None


_REFUSAL = re.compile(
    r"没有|没有的|不记得|记不清|忘了|不知道|跳过|不方便|不想|不给|不留|不用了|算了|无"
)


def is_refusal(text: str) -> bool:
    """Whether a short answer declines to give the value asked for (「没有」「不方便」「跳过」)."""
    clean = normalize(text).strip()
    return bool(clean) and len(clean) <= 20 and bool(_REFUSAL.search(clean))


def is_generic_complaint(text: str) -> bool:
    """Whether a message only announces a complaint (「我要投诉」) without saying what happened."""
    rest = _GENERIC_OPENERS.sub("", normalize(text))
    rest = re.sub(r"[\W_]+", "", rest)
    return len(rest) < 4


def summarize(text: str, limit: int = 60) -> str:
    """Shorten the customer's description for a read-back, keeping the start of their words."""
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
