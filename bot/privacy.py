"""Masking of personal data (phone numbers, mainland ID numbers) in output and logs.

Customers type phone and ID numbers into free text; anything that leaves the store (console
API, logs) goes through these functions. The module has no project imports so that every
layer may use it.
"""

from __future__ import annotations

import logging
import re

# Mainland mobile numbers: 11 digits starting 13-19, optionally +86 / 0086 prefixed and
# written 3-4-4 with spaces or hyphens. The look-arounds stop matches inside longer digit
# runs such as order numbers.
_MOBILE = re.compile(
    r"(?<![\d*])(?P<prefix>(?:\+|00)?86[ -]?)?"
    r"(?P<number>1[3-9]\d[ -]?\d{4}[ -]?\d{4})(?![\d*])"
)
# Landlines: area code (optionally in parentheses) and a 7-8 digit local number. Area codes
# are 010 and 02x (three digits) or 03xx-09xx (four), which splits unseparated numbers right.
_LANDLINE = re.compile(
    r"(?<![\d*])(?P<area>\((?:0(?:10|2\d)|0[3-9]\d\d)\)|0(?:10|2\d)|0[3-9]\d\d)"
    r"(?P<sep>[ -]?)(?P<local>\d{7,8})(?![\d*])"
)
# 18-character resident ID: 6-digit region, birth date 18xx-20xx, 3-digit sequence, check
# digit (0-9 or X). Checking the date part keeps most long order numbers out.
_ID_NUMBER = re.compile(
    r"(?<![\d*])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])"
    r"(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![\d*])"
)
_MOBILE_DIGITS = re.compile(r"^1[3-9]\d{9}$")


def _digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


def _mask_local(local: str) -> str:
    """Hide all but the last four digits of a local landline number."""
    return "*" * (len(local) - 4) + local[-4:]


def mask_phone(phone: str | None) -> str | None:
    """Mask a phone number so that it can be shown to staff or logged.

    Mobile numbers keep the first three and last four digits (``138****5678``), landlines keep
    the area code and the last four digits (``010-****5678``). Anything else keeps at most its
    last four digits, so an unrecognised format never leaks whole.

    Args:
        phone: The number as the customer gave it, or ``None``.

    Returns:
        The masked number, or ``None`` / ``""`` when that is what was given.
    """
    if phone is None:
        return None
    value = phone.strip()
    if not value:
        return value
    digits = _digits(value)
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if _MOBILE_DIGITS.match(digits):
        return f"{digits[:3]}****{digits[-4:]}"
    landline = _LANDLINE.fullmatch(value)
    if landline:
        return _mask_landline(landline)
    if len(digits) <= 4:
        return "*" * len(value)
    return "*" * (len(digits) - 4) + digits[-4:]


def _mask_landline(match: re.Match[str]) -> str:
    return f"{match['area']}{match['sep']}{_mask_local(match['local'])}"


def _mask_mobile(match: re.Match[str]) -> str:
    digits = _digits(match["number"])
    return f"{match['prefix'] or ''}{digits[:3]}****{digits[-4:]}"


def mask_id_number(id_number: str | None) -> str | None:
    """Mask an 18-character mainland ID number: ``110101199001011234`` → ``110101********1234``.

    The region code (first six) and the last four characters stay; the birth date goes.

    Args:
        id_number: The ID number, or ``None``.

    Returns:
        The masked ID number; other input is masked all but its last four characters.
    """
    if id_number is None:
        return None
    value = id_number.strip()
    if len(value) == 18:
        return f"{value[:6]}{'*' * 8}{value[-4:]}"
    if len(value) <= 4:
        return "*" * len(value)
    return "*" * (len(value) - 4) + value[-4:]


def mask_text(text: str | None) -> str | None:
    """Mask every mobile, landline and ID number inside free text.

    Args:
        text: Any text, e.g. a complaint description or a log message, or ``None``.

    Returns:
        The text with the numbers masked; everything else unchanged.
    """
    if not text:
        return text
    # ID numbers first: they are the longest pattern and must not be cut up by the others.
    masked = _ID_NUMBER.sub(lambda m: mask_id_number(m.group(0)) or "", text)
    masked = _MOBILE.sub(_mask_mobile, masked)
    return _LANDLINE.sub(_mask_landline, masked)


class MaskingFilter(logging.Filter):
    """Logging filter that masks phone and ID numbers in every record it sees.

    Attach it to handlers (filters on a logger do not see records propagated from child
    loggers)::

        for handler in logging.getLogger().handlers:
            handler.addFilter(MaskingFilter())

    The message is formatted with its arguments first, so numbers passed as ``%s`` arguments
    are masked too; a formatted exception is masked as well.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask the record in place; never drops it."""
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string must not lose the record
            message = str(record.msg)
        record.msg = mask_text(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        return True


def install_masking(logger: logging.Logger | None = None) -> None:
    """Add a ``MaskingFilter`` to every handler of ``logger`` (the root logger by default)."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, MaskingFilter) for f in handler.filters):
            handler.addFilter(MaskingFilter())
