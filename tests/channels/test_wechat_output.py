"""Buttons as numbered lists, the per-OpenID button memory and staff replies on WeChat."""

from __future__ import annotations

import time

from bot.bench.wechat_fake import FakeWeChatApi
from bot.channels.wechat_api import WeChatApi
from bot.channels.wechat_output import (
    ButtonMemory,
    WeChatOutput,
    number_buttons,
    render_buttons,
    split_text,
)
from tests.channels.conftest import APP_ID, APP_SECRET

OPENID = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"
LABELS = {5: "非常满意", 4: "满意", 3: "一般", 2: "不满意", 1: "很差"}
RATINGS = [
    {"title": f"{n} {label}", "payload": f'/rate{{"rating": {n}}}'} for n, label in LABELS.items()
]


def test_plain_titles_are_numbered_in_order() -> None:
    numbered = number_buttons(
        [{"title": "退款", "payload": "/a"}, {"title": "换货", "payload": "/b"}]
    )
    assert numbered == [("1", "退款", "/a"), ("2", "换货", "/b")]
    assert render_buttons("怎么处理？", numbered) == "怎么处理？\n回复数字即可：\n1. 退款\n2. 换货"


def test_rating_titles_keep_their_own_numbers() -> None:
    numbered = number_buttons(RATINGS)
    assert numbered[0] == ("5", "非常满意", '/rate{"rating": 5}')
    memory = ButtonMemory()
    memory.remember(OPENID, numbered)
    assert memory.resolve(OPENID, "5") == '/rate{"rating": 5}'  # five stars, not button 5


def test_titles_with_repeated_numbers_are_renumbered() -> None:
    numbered = number_buttons(
        [{"title": "1天内", "payload": "/a"}, {"title": "1周内", "payload": "/b"}]
    )
    assert [key for key, _, _ in numbered] == ["1", "2"]


def test_memory_answers_titles_and_forgets_after_a_pick_or_ttl() -> None:
    memory = ButtonMemory(ttl_s=0.05)
    memory.remember(OPENID, number_buttons([{"title": "转人工", "payload": "/request_human"}]))
    assert memory.resolve(OPENID, "随便说说") is None
    assert memory.resolve(OPENID, " 转人工 ") == "/request_human"
    assert memory.resolve(OPENID, "1") is None  # used up
    memory.remember(OPENID, number_buttons([{"title": "转人工", "payload": "/request_human"}]))
    time.sleep(0.1)
    assert memory.resolve(OPENID, "1") is None  # expired


async def test_staff_reply_goes_out_once_with_the_staff_mark(fake_api: FakeWeChatApi) -> None:
    api = WeChatApi(fake_api.url, APP_ID, APP_SECRET)
    output = WeChatOutput(api, ButtonMemory())
    try:
        await output.send_response(
            OPENID,
            {
                "text": "您好，我是张三，马上为您处理。",
                "custom": {"staff_reply": {"agent": "张三"}},
            },
        )
        await output.send_response(OPENID, {"custom": {"some": "payload"}})  # never raw JSON
    finally:
        await api.close()
    assert fake_api.sent_to(OPENID) == ["【人工客服】您好，我是张三，马上为您处理。"]


async def test_survey_buttons_sent_through_the_api_are_remembered(
    fake_api: FakeWeChatApi,
) -> None:
    api = WeChatApi(fake_api.url, APP_ID, APP_SECRET)
    memory = ButtonMemory()
    try:
        await WeChatOutput(api, memory).send_response(
            OPENID, {"text": "请为本次服务打分", "buttons": RATINGS}
        )
    finally:
        await api.close()
    assert fake_api.sent_to(OPENID)[0].startswith("请为本次服务打分\n回复数字即可：\n5. 非常满意")
    assert memory.resolve(OPENID, "4") == '/rate{"rating": 4}'


def test_long_texts_are_split_within_wechats_byte_limit() -> None:
    text = "第一行\n" + "长" * 1000 + "\n最后一行"
    pieces = split_text(text, limit=600)
    assert all(len(piece.encode("utf-8")) <= 600 for piece in pieces)
    assert "".join(pieces).replace("\n", "") == text.replace("\n", "")
    assert pieces[0] == "第一行" and pieces[-1].endswith("最后一行")
    assert split_text("短句") == ["短句"]
