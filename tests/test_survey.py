"""Reading survey answers as customers type them."""

from __future__ import annotations

import pytest

from bot.survey import is_no_comment, is_skip, parse_rating, parse_solved


@pytest.mark.parametrize(
    ("text", "rating"),
    [
        ("5", 5),
        ("4分", 4),
        ("１分", 1),
        ("五星", 5),
        ("給五星", 5),
        ("打三分吧", 3),
        ("两分", 2),
        ("五", 5),
        ("非常满意", 5),
        ("很满意！", 5),
        ("满意", 4),
        ("还可以", 4),
        ("一般", 3),
        ("一般般吧", 3),
        ("还行", 3),
        ("不满意", 2),
        ("很差", 1),
        ("非常不满意", 1),
        ("差评", 1),
        ("滿意", 4),
        ("👍", 5),
        ("😡", 1),
        ("😐", 3),
        ("⭐⭐⭐⭐", 4),
        ("★★", 2),
    ],
)
def test_ratings(text: str, rating: int) -> None:
    assert parse_rating(text) == rating


@pytest.mark.parametrize(
    "text", ["随便", "10分", "0", "3到5分", "asdf", "", "订单2023112400123", "你们是谁", "好" * 100]
)
def test_no_usable_rating(text: str) -> None:
    assert parse_rating(text) is None


@pytest.mark.parametrize(
    ("text", "solved"),
    [
        ("解决了", True),
        ("已经解决", True),
        ("嗯", True),
        ("是的", True),
        ("好了", True),
        ("没解决", False),
        ("还没有", False),
        ("不是", False),
        ("不行", False),
        ("並沒有", False),
        ("一半吧", None),
        ("随便", None),
    ],
)
def test_solved(text: str, solved: bool | None) -> None:
    assert parse_solved(text) is solved


def test_skip_and_no_comment() -> None:
    assert is_skip("跳过") and is_skip("不想评") and not is_skip("很满意")
    assert is_no_comment("没有了") and is_no_comment("无。")
    assert not is_no_comment("没有，挺好的，就是慢了点")
