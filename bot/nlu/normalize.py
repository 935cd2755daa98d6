"""Length-preserving normalisation of customer text before tokenization.

Every step maps one character to one character, so token offsets computed on the normalised
text are offsets into the customer's original message. That lets the tokenizer see
Simplified, half-width text while the message itself — and with it the complaint description
and every entity's position — stays exactly what the customer typed.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

# Full-width ASCII block (！ to ～) sits 0xFEE0 above ASCII; U+3000 is the ideographic space.
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_FULL_WIDTH[0x3000] = 0x20
# Control characters (but not \t \n) would confuse jieba's regexes; they become spaces.
_CONTROL = {code: 0x20 for code in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F)}
_TRANSLATION = {**_FULL_WIDTH, **_CONTROL}

# Runs of the same punctuation mark: 「！！！」「???」「。。。」「～～」.
_PUNCT_RUN = re.compile(r"([!?.,~。，！？…～、])\1+")


@lru_cache(maxsize=1)
def _converter() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Convert Traditional to Simplified characters, one character for one.

    OpenCC's ``t2s`` converts phrase by phrase; when a phrase changes length (rare), the text
    is converted character by character instead, so offsets still line up.
    """
    converted = _converter().convert(text)
    if len(converted) == len(text):
        return str(converted)
    out = []
    for char in text:
        single = _converter().convert(char)
        out.append(single if len(single) == 1 else char)
    return "".join(out)


def collapse_punctuation(text: str) -> str:
    """Keep the first mark of a repeated run and blank the rest: 「气死了！！！」→「气死了!  」.

    The blanked marks become whitespace, which the tokenizer drops, so 「！！！」 and 「！」 give
    the same tokens; the emotion component reads the original text for the run lengths.
    """
    return _PUNCT_RUN.sub(lambda m: m.group(1) + " " * (len(m.group(0)) - 1), text)


def normalize(text: str) -> str:
    """Full-width → half-width, controls → spaces, Traditional → Simplified, runs collapsed.

    Args:
        text: The customer's message.

    Returns:
        A string of exactly the same length.
    """
    if not text:
        return ""
    half = text.translate(_TRANSLATION)
    return collapse_punctuation(to_simplified(half))


def punctuation_runs(text: str) -> dict[str, int]:
    """Longest run of exclamation and question marks, full- or half-width (emotion signal)."""
    half = (text or "").translate(_FULL_WIDTH)
    longest = {"!": 0, "?": 0}
    for mark in longest:
        runs = re.findall(rf"{re.escape(mark)}+", half)
        longest[mark] = max((len(run) for run in runs), default=0)
    return {"exclamation": longest["!"], "question": longest["?"]}
