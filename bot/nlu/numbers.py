"""Numbers in customer messages: numerals, money amounts, order and phone numbers.

Pure functions, no Rasa or spaCy imports, so that everything that reads 「两百多」「1.5万」
「12块5」「138-1234-5678」 reads them the same way. Every finder works on a width-normalised
copy of the text that has exactly the length of the original, so the offsets it returns are
offsets into the text the customer typed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Digits as written in everyday (小写), financial (大写) and Traditional text; 幺 is how 1 is read
# out in phone numbers, 〇 appears in years (二〇二三).
CN_DIGITS: dict[str, int] = {
    "零": 0, "〇": 0, "一": 1, "幺": 1, "二": 2, "两": 2, "兩": 2, "三": 3, "四": 4,
    "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
    "壹": 1, "贰": 2, "貳": 2, "叁": 3, "參": 3, "肆": 4, "伍": 5, "陆": 6, "陸": 6,
    "柒": 7, "捌": 8, "玖": 9,
}  # fmt: skip
# Units below 万 multiply within a section; 万 and 亿 close a section (一亿两千万 = 1.2e8).
CN_SMALL_UNITS: dict[str, int] = {
    "十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000,
}  # fmt: skip
CN_LARGE_UNITS: dict[str, int] = {"万": 10_000, "萬": 10_000, "亿": 100_000_000, "億": 100_000_000}
CN_DIGIT_CHARS = "".join(CN_DIGITS)
CN_UNIT_CHARS = "".join(CN_SMALL_UNITS) + "".join(CN_LARGE_UNITS)
_DECIMAL_POINTS = "点點."

Number = int | float
# Longer "numerals" are noise (a run of 3000 二), and would overflow a float.
_MAX_NUMERAL = 30


def normalize_width(text: str) -> str:
    """Fold full-width forms (２０２３, ＪＤ, ￥ stays) to ASCII without changing the length.

    NFKC is applied per character and only kept where it yields exactly one character, so
    index ``i`` of the result always corresponds to index ``i`` of ``text``. Characters that
    NFKC would expand (①, ㎏, …) stay as they are.

    Lone surrogates (possible in JSON-decoded input) become U+FFFD.

    Args:
        text: Any text; ``None`` is not accepted.

    Returns:
        A string of the same length as ``text``.
    """
    if text.isascii():
        return text
    out = []
    for ch in text:
        if "\ud800" <= ch <= "\udfff":
            out.append("\ufffd")  # a lone surrogate cannot be encoded for jieba / spaCy
            continue
        folded = unicodedata.normalize("NFKC", ch) if ord(ch) > 0x7F else ch
        out.append(folded if len(folded) == 1 else ch)
    return "".join(out)


def _tidy(value: float) -> Number:
    """Return ``value`` as an int when integral, else rounded to remove float noise."""
    rounded = round(value, 6)
    return int(rounded) if rounded == int(rounded) else rounded


def _tokens(text: str) -> list[tuple[str, float]] | None:
    """Split a numeral into ``("num", value)`` and ``("unit", multiplier)`` tokens."""
    tokens: list[tuple[str, float]] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isdigit() and ch.isascii():
            match = re.match(r"\d+(?:\.\d+)?", text[i:])
            assert match is not None  # ch is a digit, so at least one character matches
            tokens.append(("num", float(match.group())))
            i += match.end()
            continue
        if ch in CN_DIGITS:
            tokens.append(("digit", float(CN_DIGITS[ch])))
        elif ch in CN_SMALL_UNITS:
            tokens.append(("unit", float(CN_SMALL_UNITS[ch])))
        elif ch in CN_LARGE_UNITS:
            tokens.append(("big", float(CN_LARGE_UNITS[ch])))
        else:
            return None
        i += 1
    return tokens


def _parse_integer_part(text: str) -> float | None:
    """Parse a numeral without a decimal point; see :func:`parse_number`."""
    tokens = _tokens(text)
    if not tokens:
        return None
    kinds = [kind for kind, _ in tokens]
    if all(kind == "digit" for kind in kinds):  # 二〇二三: digit by digit, as years are written
        return float("".join(str(int(value)) for _, value in tokens))
    total = 0.0  # everything closed by 亿 / 万
    section = 0.0  # the part below the last 万 / 亿
    current: float | None = None  # a digit still waiting for its unit
    last_unit = 0.0  # unit seen last, for the elliptic 三千五 = 3500
    section_unit = float("inf")  # units inside a section must get smaller: 五百三千 is no number
    zero_seen = False  # 一千零五 is 1005, not 1500
    for kind, value in tokens:
        if kind in ("digit", "num"):
            if current is not None:
                return None  # two numbers in a row without a unit between them
            if value == 0 and kind == "digit":
                zero_seen = True
                continue
            current = value
        elif kind == "unit":
            if value >= section_unit:
                return None
            # A bare 十 at the start means 一十 (十五 = 15); other bare units are not numbers.
            if current is None and not (value == 10 and section == 0 and total == 0):
                return None
            section += (1.0 if current is None else current) * value
            section_unit, last_unit, current, zero_seen = value, value, None, False
        else:  # 万 / 亿
            if current is None and section == 0:
                return None
            section += current or 0.0
            if value == CN_LARGE_UNITS["亿"]:
                total = (total + section) * value
            else:
                total += section * value
            section, section_unit, last_unit = 0.0, float("inf"), value
            current, zero_seen = None, False
    if current is not None:
        # 三千五 / 两万三 / 一百二 / 3千5: a single trailing digit right after a unit ≥ 百 is
        # one step below that unit, unless a 零 came between (一千零五 = 1005).
        elliptic = (
            last_unit >= 100
            and not zero_seen
            and kinds[-2] in ("unit", "big")
            and current < 10
            and current == int(current)
        )
        section += current * (last_unit / 10 if elliptic else 1)
    return total + section


def parse_number(text: str) -> Number | None:
    """Parse a Chinese, Arabic or mixed numeral.

    Handles 一百二十, 两百, 三千五 (elliptic: 3500), 一千零五, 十五, 一亿两千万, 1.5万,
    3千5, 1,299.00, 三点五, 二〇二三 (digit by digit), financial 壹佰 and Traditional 兩萬.

    Args:
        text: The numeral only, without currency or measure words; full-width digits are
            accepted.

    Returns:
        An ``int`` when the value is integral, otherwise a ``float``; ``None`` when ``text``
        is not a well-formed numeral.
    """
    text = normalize_width(text.strip())
    if not text or len(text) > _MAX_NUMERAL:
        return None
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", text):
        text = text.replace(",", "")
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return _tidy(float(text))
    head, point, tail = text, "", ""
    for mark in _DECIMAL_POINTS:
        if mark in text and not re.fullmatch(r".*\d\.\d.*", text):
            head, point, tail = text.partition(mark)
            break
    integer = _parse_integer_part(head)
    if integer is None:
        return None
    if not point:
        return _tidy(integer)
    # 三点五 / 3点25: the fraction is read digit by digit.
    fraction = [CN_DIGITS.get(ch, int(ch) if ch.isdigit() and ch.isascii() else -1) for ch in tail]
    if not fraction or -1 in fraction:
        return None
    return _tidy(integer + float("0." + "".join(str(d) for d in fraction)))


@dataclass(frozen=True)
class AmountMatch:
    """A money amount found in a text: ``text[start:end]`` is what the customer wrote."""

    start: int
    end: int
    value: Number


_CN = f"[{CN_DIGIT_CHARS}十拾][{CN_DIGIT_CHARS}{CN_UNIT_CHARS}]*(?:[点點][{CN_DIGIT_CHARS}]+)?"
_ARABIC = (
    r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
    rf"(?:[{CN_UNIT_CHARS}]+(?:\d(?![\d.]))?)*"  # 1.5万, 3千5
)
_NUM = f"(?:{_ARABIC}|{_CN})"
_DIGIT = f"[0-9{CN_DIGIT_CHARS}]"
# Never start inside another number or after 第 (第一 is an ordinal, not money).
_START = rf"(?<![0-9{CN_DIGIT_CHARS}{CN_UNIT_CHARS}第])(?<![0-9][.,])"
_APPROX = "(?P<approx>多|几|幾|来|來|余|餘)?"
_TAIL = "(?:钱|錢|多|左右|上下)*"
# What may follow an amount: 块 is also a classifier (两块电池, 一块儿) and a bare 199 may be a
# count (199个), so only punctuation, particles and a few verbs keep the reading as money.
# As lookaheads the regexes backtrack: in 五十块一个 the 一 is not taken as 1 角.
_PARTICLES = "钱錢的了吧啊呢吗嗎呀哦喔都也还還就不没沒给給到退赔賠买買我你他她是被而又才呗唄啦么麼"
_FOLLOW_BARE = rf"(?=[{_PARTICLES}]|[^\w]|$)"
_FOLLOW_UNIT = rf"(?=[{_PARTICLES}0-9{CN_DIGIT_CHARS}]|[^\w]|$)"

# 50元 / 一百二十块钱 / 两百多块 / 12块5 / 一块五毛 / ¥199元. 元 is money whatever follows
# (退了50元运费); 块 only before a particle, a digit or punctuation.
_YUAN = re.compile(
    rf"{_START}(?P<pre>[¥￥$]|RMB|rmb|人民币|人民幣)?\s?(?P<num>{_NUM}){_APPROX}"
    r"(?:块钱|塊錢|元钱|元錢|元(?!旦)|圆|圓|(?P<kuai>块|塊))"
    rf"(?:(?P<jiao>{_DIGIT})(?![0-9])(?:[毛角](?:(?P<fen>{_DIGIT})分?)?)?)?{_TAIL}"
    rf"(?(kuai){_FOLLOW_UNIT})"
)
# 八毛 / 五毛钱 / 八毛五 (not 毛巾, 五角星)
_JIAO = re.compile(
    rf"{_START}(?P<num>{_DIGIT})[毛角](?![巾衣病发髮线線绒絨星形落色])(?:钱|錢)?"
    rf"(?:(?P<fen>{_DIGIT})(?![0-9{CN_UNIT_CHARS}])分?)?{_FOLLOW_UNIT}"
)
# ¥199 / RMB 1,299.00 / 人民币两千: a symbol makes it money without any 元.
_SYMBOL = re.compile(rf"(?P<pre>[¥￥$]|RMB|rmb|人民币|人民幣)\s?(?P<num>{_NUM}){_APPROX}{_TAIL}")
# 两百多 / 1.5万 / 199: bare numbers, money only in a money context (checked in code); never
# a model number after Latin letters (iPhone 15).
_BARE = re.compile(
    rf"{_START}(?<![A-Za-z])(?<![A-Za-z] )"
    rf"(?P<num>{_NUM}){_APPROX}(?P<tail>左右|上下)?{_FOLLOW_BARE}"
)

# Words that make a bare number in the same clause money: 扣了两百多, 价格是199, 花了1.5万.
_MONEY_CUES = re.compile(
    r"花|付|扣|退|收|交|充|赔|賠|价|價|费|費|钱|錢|金额|金額|买|買|卖|賣|贵|貴|账|賬|返|补偿|補償"
)
_CLAUSE_BREAK = re.compile(r"[，。！？；,.!?;\n]")
_CUE_WINDOW = 10
_CUE_AFTER = 3


def _has_money_cue(text: str, start: int, end: int) -> bool:
    """Whether a money word stands in the same clause before ``start`` or just after ``end``.

    Before: 扣了两百多, 价格是199. After: 1.5万买的, 三千五不能退.
    """
    before = _CLAUSE_BREAK.split(text[max(0, start - _CUE_WINDOW) : start])[-1]
    after = _CLAUSE_BREAK.split(text[end : end + _CUE_AFTER])[0]
    return bool(_MONEY_CUES.search(before) or _MONEY_CUES.search(after))


def _digit_value(ch: str | None) -> int:
    if not ch:
        return 0
    return int(ch) if ch.isascii() else CN_DIGITS[ch]


def claim_span(taken: bytearray, start: int, end: int) -> bool:
    """Mark ``[start, end)`` in ``taken`` (one byte per character) unless part of it is taken.

    Keeps overlap checks linear on long messages with thousands of candidates.
    """
    if taken.find(b"\x01", start, end) != -1:
        return False
    taken[start:end] = b"\x01" * (end - start)
    return True


def find_amounts(text: str) -> list[AmountMatch]:
    """Find money amounts and their values.

    A number is money when a currency word or symbol is attached (50元, 五十块, ¥199, 八毛),
    or when it stands in a money clause (扣了两百多, 价格是199, 花了1.5万) and is not followed
    by a measure word. 三天, 两次, 第一, 两块电池 are not money.

    Args:
        text: The message as the customer typed it (full-width digits allowed).

    Returns:
        Non-overlapping matches in text order; ``value`` is an int or float in 元.
    """
    norm = normalize_width(text)
    found: list[AmountMatch] = []
    taken = bytearray(len(norm))

    def add(start: int, end: int, value: Number | None) -> None:
        if value is not None and claim_span(taken, start, end):
            found.append(AmountMatch(start, end, value))

    for m in _YUAN.finditer(norm):
        yuan = parse_number(m.group("num"))
        if yuan is not None:
            cents = _digit_value(m.group("jiao")) * 10 + _digit_value(m.group("fen"))
            add(m.start(), m.end(), _tidy(yuan + cents / 100))
    for m in _SYMBOL.finditer(norm):
        add(m.start(), m.end(), parse_number(m.group("num")))
    for m in _JIAO.finditer(norm):
        cents = _digit_value(m.group("num")) * 10 + _digit_value(m.group("fen"))
        add(m.start(), m.end(), _tidy(cents / 100))
    for m in _BARE.finditer(norm):
        num = m.group("num")
        looks_like_money = bool(
            m.group("approx") or m.group("tail") or re.search(f"[{CN_UNIT_CHARS}]", num)
        ) or bool(re.fullmatch(r"[\d,.]{2,}", num))
        if looks_like_money and _has_money_cue(norm, m.start(), m.end()):
            add(m.start(), m.end(), parse_number(num))
    return sorted(found, key=lambda match: match.start)


@dataclass(frozen=True)
class IdMatch:
    """An order or phone number: ``text[start:end]`` as typed, ``value`` normalised."""

    start: int
    end: int
    value: str


# Letters that are not an order prefix: 「No2023112400123」 is the number 2023112400123.
_NOT_PREFIXES = {"NO", "ID", "TEL"}
_ORDER = re.compile(
    r"(?:(?<![A-Za-z0-9])(?P<prefix>[A-Za-z]{1,4})-?|(?<![0-9+]))(?P<digits>\d{12,20})(?!\d)"
)
_MOBILE = re.compile(
    r"(?<![0-9+])(?:(?:\+|00)?86[ -]?)?"
    r"(?P<number>1[3-9]\d(?P<sep>[ -]?)\d{4}(?P=sep)\d{4})(?!\d)"
)
# Area codes are 010 / 02x (three digits) or 03xx–09xx (four), local numbers 7–8 digits.
_AREA = r"0(?:10|2\d)|0[3-9]\d{2}"
_LANDLINE = re.compile(
    rf"(?<!\d)(?:\((?P<area1>{_AREA})\)|(?P<area2>{_AREA}))"
    r"(?P<sep>[ -]?)(?P<local>\d{7,8})(?!\d)"
)
# Before an unseparated 12-digit run such as 075587654321 these words make it a landline.
_PHONE_CUE = re.compile(r"电话|電話|座机|座機|号码|號碼|联系|聯繫|手机|手機|tel|call", re.I)
_INTL_MOBILE = re.compile(r"(?:0086|86)1[3-9]\d{9}")


def _phone_cue_before(text: str, start: int) -> bool:
    return bool(_PHONE_CUE.search(text[max(0, start - 8) : start]))


def find_order_ids(text: str) -> list[IdMatch]:
    """Order numbers: 12–20 digits, optionally after up to four letters (``JD2023…``).

    Never part of a longer digit run; 8613812345678 and 电话075587654321 are phones.

    Args:
        text: The message as the customer typed it (full-width digits allowed).

    Returns:
        Matches in text order; the value has its letters upper-cased.
    """
    norm = normalize_width(text)
    found = []
    for m in _ORDER.finditer(norm):
        prefix, digits = m.group("prefix") or "", m.group("digits")
        start = m.start()
        if prefix.upper() in _NOT_PREFIXES:
            prefix, start = "", m.start("digits")
        if not prefix and (
            _INTL_MOBILE.fullmatch(digits)
            or (_LANDLINE.fullmatch(digits) and _phone_cue_before(norm, start))
        ):
            continue
        found.append(IdMatch(start, m.end(), prefix.upper() + digits))
    return found


def find_phones(text: str) -> list[IdMatch]:
    """Mainland mobile and landline numbers, never inside a longer digit run.

    Args:
        text: The message as the customer typed it (full-width digits allowed).

    Returns:
        Matches in text order; mobiles as 11 digits, landlines as ``0755-87654321``.
    """
    norm = normalize_width(text)
    found = [
        IdMatch(m.start(), m.end(), re.sub(r"\D", "", m.group("number")))
        for m in _MOBILE.finditer(norm)
    ]
    for m in _LANDLINE.finditer(norm):
        area = m.group("area1") or m.group("area2")
        unseparated = m.group("area2") and not m.group("sep")
        if unseparated and len(area) + len(m.group("local")) >= 12:
            if not _phone_cue_before(norm, m.start()):
                continue  # an unseparated 12-digit run is an order number unless called a phone
        found.append(IdMatch(m.start(), m.end(), f"{area}-{m.group('local')}"))
    return sorted(found, key=lambda match: match.start)
