"""Masking of phone and ID numbers in values, free text and log records."""

from __future__ import annotations

import logging

import pytest

from bot.privacy import MaskingFilter, install_masking, mask_id_number, mask_phone, mask_text


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812345678", "138****5678"),
        (" 13812345678 ", "138****5678"),
        ("138-1234-5678", "138****5678"),
        ("+86 13812345678", "138****5678"),
        ("008613812345678", "138****5678"),
        ("010-12345678", "010-****5678"),
        ("0571-8888888", "0571-***8888"),
        ("(021)87654321", "(021)****4321"),
        ("01012345678", "010****5678"),
        ("057188888888", "0571****8888"),
        ("020 87654321", "020 ****4321"),
        ("12345678", "****5678"),
        ("+44 20 7946 0958", "********0958"),
        ("123", "***"),
        ("", ""),
        (None, None),
    ],
)
def test_mask_phone(phone: str | None, masked: str | None) -> None:
    assert mask_phone(phone) == masked


@pytest.mark.parametrize(
    ("id_number", "masked"),
    [
        ("110101199001011234", "110101********1234"),
        ("11010119900101123X", "110101********123X"),
        ("abc", "***"),
        ("1234567", "***4567"),
        (None, None),
    ],
)
def test_mask_id_number(id_number: str | None, masked: str | None) -> None:
    assert mask_id_number(id_number) == masked


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("我的电话是13812345678，快点回电", "我的电话是138****5678，快点回电"),
        ("电话138 1234 5678", "电话138****5678"),
        ("call +8613912345678", "call +86139****5678"),
        ("座机010-12345678转总机", "座机010-****5678转总机"),
        ("身份证号110101199001011234", "身份证号110101********1234"),
        ("ID:11010119900101123x", "ID:110101********123x"),
        (
            "两个号码13812345678和13987654321",
            "两个号码138****5678和139****4321",
        ),
        # Long digit runs such as order numbers are left alone.
        ("订单号 202511241234567890123", "订单号 202511241234567890123"),
        ("订单 1381234567890", "订单 1381234567890"),
        ("工单 TS20261124-0007", "工单 TS20261124-0007"),
        ("已经138****5678", "已经138****5678"),
        ("没有号码", "没有号码"),
        ("", ""),
        (None, None),
    ],
)
def test_mask_text(text: str | None, masked: str | None) -> None:
    assert mask_text(text) == masked


def _record(msg: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("t", logging.INFO, __file__, 1, msg, args or None, None)


@pytest.mark.parametrize(
    ("msg", "args", "expected"),
    [
        ("customer 13812345678 called", (), "customer 138****5678 called"),
        ("customer %s called", ("13812345678",), "customer 138****5678 called"),
        ("id=%s n=%d", ("110101199001011234", 3), "id=110101********1234 n=3"),
        ("broken %d", ("x",), "broken %d"),
    ],
)
def test_masking_filter(msg: str, args: tuple, expected: str) -> None:
    record = _record(msg, *args)
    assert MaskingFilter().filter(record) is True
    assert record.getMessage() == expected


def test_masking_filter_masks_exceptions() -> None:
    try:
        raise ValueError("bad phone 13812345678")
    except ValueError:
        record = logging.LogRecord(
            "t", logging.ERROR, __file__, 1, "failed", None, __import__("sys").exc_info()
        )
    MaskingFilter().filter(record)
    assert record.exc_text is not None
    assert "138****5678" in record.exc_text and "13812345678" not in record.exc_text


def test_install_masking_on_handlers(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.privacy")
    handler = logging.StreamHandler()
    logger.addHandler(handler)
    try:
        install_masking(logger)
        install_masking(logger)
        assert sum(isinstance(f, MaskingFilter) for f in handler.filters) == 1
    finally:
        logger.removeHandler(handler)
