"""The WeChat protocol: signatures, AES modes, bad input, the 5-second rule, retries, buttons.

Requests are built the way WeChat builds them (wechatpy's signer and crypto, in
``WeChatSender``); answers that miss the deadline arrive at a real local HTTP server speaking
WeChat's API (``FakeWeChatApi``). The bot behind the channel is a scripted coroutine standing
in for Rasa's ``on_new_message`` — the whole chain with the real Rasa is in test_wechat.py.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import pytest

from bot.bench.wechat_fake import FakeWeChatApi, WeChatSender
from bot.channels import texts
from bot.channels.wechat_api import WeChatApi
from bot.channels.wechat_output import ButtonMemory
from bot.channels.wechat_webhook import MAX_BODY_BYTES, SUCCESS, WeChatWebhook
from bot.settings import WeChatSettings
from tests.channels.conftest import APP_ID, APP_SECRET, TOKEN

OPENID = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"
REFUND_BUTTONS = [
    {"title": "退款", "payload": '/inform{"desired_outcome": "refund"}'},
    {"title": "换货", "payload": '/inform{"desired_outcome": "exchange"}'},
]


@dataclass
class ScriptedBot:
    """Answers every message with ``script``: (delay before it, bot message) pairs."""

    script: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    received: list[tuple[str, str, str | None]] = field(default_factory=list)

    async def __call__(self, message: Any) -> None:
        self.received.append((message.sender_id, message.text, message.input_channel))
        for delay, reply in self.script:
            await asyncio.sleep(delay)
            text = reply.get("text", "").replace("{text}", message.text)
            await message.output_channel.send_response(message.sender_id, {**reply, "text": text})


def make_webhook(
    fake_api: FakeWeChatApi, bot: ScriptedBot, aes_key: str = "", timeout: float = 3.0
) -> WeChatWebhook:
    config = WeChatSettings(TOKEN, APP_ID, APP_SECRET, aes_key, fake_api.url, timeout)
    api = WeChatApi(fake_api.url, APP_ID, APP_SECRET)
    return WeChatWebhook(config, api, ButtonMemory(), bot)


async def wait_for(condition: Any, timeout: float = 10.0) -> None:
    """Poll ``condition()`` until true (the API path delivers after the answer)."""
    for _ in range(int(timeout / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met in time")


async def test_url_verification_echoes_only_with_a_valid_signature(
    fake_api: FakeWeChatApi, sender: WeChatSender
) -> None:
    webhook = make_webhook(fake_api, ScriptedBot())
    query = {**sender.signed_query(), "echostr": "8427315643208657"}
    answer = await webhook.handle("GET", query, b"")
    assert (answer.status, answer.body) == (200, "8427315643208657")
    forged = {**query, "signature": "0" * 40}
    assert (await webhook.handle("GET", forged, b"")).status == 403


async def test_text_gets_a_passive_reply_in_time(
    fake_api: FakeWeChatApi, sender: WeChatSender
) -> None:
    bot = ScriptedBot([(0, {"text": "收到：{text}"})])
    webhook = make_webhook(fake_api, bot)
    answer = await webhook.handle("POST", *sender.post(sender.text(OPENID, "快递没到")))
    assert answer.status == 200 and "xml" in answer.content_type
    assert sender.reply_text(answer.body) == "收到：快递没到"
    assert f"<ToUserName><![CDATA[{OPENID}]]></ToUserName>" in answer.body
    assert bot.received == [(OPENID, "快递没到", "wechat")]
    assert fake_api.messages == []


async def test_safe_mode_decrypts_and_encrypts(fake_api: FakeWeChatApi, aes_key: str) -> None:
    sender = WeChatSender(TOKEN, APP_ID, aes_key)
    bot = ScriptedBot([(0, {"text": "您好，{text}"})])
    webhook = make_webhook(fake_api, bot, aes_key)
    query, body = sender.post(sender.text(OPENID, "我要投诉"))
    assert b"\xe6\x88\x91" not in body  # the body really is encrypted
    answer = await webhook.handle("POST", query, body)
    assert answer.status == 200 and "<Encrypt>" in answer.body and "我要投诉" not in answer.body
    assert sender.reply_text(answer.body) == "您好，我要投诉"

    tampered = {**query, "msg_signature": "0" * 40}
    assert (await webhook.handle("POST", tampered, body)).status == 403
    other_app = WeChatSender(TOKEN, "wx_other_app_id__", aes_key)
    assert (
        await webhook.handle("POST", *other_app.post(other_app.text(OPENID, "x")))
    ).status == 403
    assert len(bot.received) == 1


async def test_compatible_mode_answers_plaintext_requests_in_plaintext(
    fake_api: FakeWeChatApi, aes_key: str, sender: WeChatSender
) -> None:
    webhook = make_webhook(fake_api, ScriptedBot([(0, {"text": "好的"})]), aes_key)
    answer = await webhook.handle("POST", *sender.post(sender.text(OPENID, "你好")))
    assert "<Encrypt>" not in answer.body and sender.reply_text(answer.body) == "好的"


@pytest.mark.parametrize(
    "body",
    [
        b"<xml><ToUserName>broken",
        b"not xml at all",
        "<xml><MsgType>text</MsgType><Content>无发送者</Content></xml>".encode(),
        b"<xml><FromUserName>u</FromUserName><MsgType>text</MsgType><MsgId>abc</MsgId></xml>",
        b"\xff\xfe\x00garbage",
        b"<xml>" + b"A" * MAX_BODY_BYTES + b"</xml>",
    ],
    ids=["truncated", "not-xml", "no-sender", "bad-msgid", "not-utf8", "oversized"],
)
async def test_malformed_or_oversized_bodies_get_400(
    fake_api: FakeWeChatApi, sender: WeChatSender, body: bytes
) -> None:
    bot = ScriptedBot([(0, {"text": "x"})])
    answer = await make_webhook(fake_api, bot).handle("POST", sender.signed_query(), body)
    assert answer.status == 400 and bot.received == []


async def test_encrypted_garbage_gets_400_and_encrypted_without_key_too(
    fake_api: FakeWeChatApi, aes_key: str
) -> None:
    sender = WeChatSender(TOKEN, APP_ID, aes_key)
    query, _ = sender.post(sender.text(OPENID, "x"))
    garbage = b"<xml><Encrypt><![CDATA[bm90IGFlcw==]]></Encrypt></xml>"
    from wechatpy.utils import WeChatSigner

    signer = WeChatSigner()
    signer.add_data(TOKEN, query["timestamp"], query["nonce"], "bm90IGFlcw==")
    query["msg_signature"] = signer.signature
    webhook = make_webhook(fake_api, ScriptedBot(), aes_key)
    assert (await webhook.handle("POST", query, garbage)).status == 400
    no_key = make_webhook(fake_api, ScriptedBot())
    assert (await no_key.handle("POST", *sender.post(sender.text(OPENID, "x")))).status == 400


async def test_bad_signature_gets_403_and_never_reaches_the_bot(
    fake_api: FakeWeChatApi, sender: WeChatSender
) -> None:
    bot = ScriptedBot([(0, {"text": "x"})])
    query, body = sender.post(sender.text(OPENID, "你好"))
    answer = await make_webhook(fake_api, bot).handle("POST", {**query, "nonce": "1"}, body)
    assert answer.status == 403 and bot.received == []


async def test_unconfigured_channel_answers_503(fake_api: FakeWeChatApi) -> None:
    config = WeChatSettings("", "", "", "", fake_api.url, 3.0)
    webhook = WeChatWebhook(config, WeChatApi(fake_api.url, "", ""), ButtonMemory(), ScriptedBot())
    assert (await webhook.handle("GET", {}, b"")).status == 503


async def test_slow_bot_answers_success_then_delivers_every_message_in_order(
    fake_api: FakeWeChatApi, sender: WeChatSender
) -> None:
    # The first message is ready before the deadline, the others after it: all three must
    # arrive through the API, in the order the bot said them.
    script = [(0, {"text": "第一句"}), (0.4, {"text": "第二句"}), (0.05, {"text": "第三句"})]
    webhook = make_webhook(fake_api, ScriptedBot(script), timeout=0.2)
    answer = await webhook.handle("POST", *sender.post(sender.text(OPENID, "在吗")))
    assert (answer.status, answer.body) == (200, SUCCESS)
    await wait_for(lambda: len(fake_api.sent_to(OPENID)) == 3)
    assert fake_api.sent_to(OPENID) == ["第一句", "第二句", "第三句"]
    assert fake_api.token_requests == 1  # one cached token for all three


async def test_retries_in_flight_get_the_same_passive_reply_and_one_turn(
    fake_api: FakeWeChatApi, sender: WeChatSender
) -> None:
    bot = ScriptedBot([(0.3, {"text": "已为您登记：{text}"})])
    webhook = make_webhook(fake_api, bot, timeout=3.0)
    xml = sender.text(OPENID, "退款还没到账", msg_id=1234567890123456)
    first = asyncio.create_task(webhook.handle("POST", *sender.post(xml)))
    await asyncio.sleep(0.05)
    retries = [await webhook.handle("POST", *sender.post(xml)) for _ in range(3)]
    answers = [await first, *retries]
    assert {sender.reply_text(a.body) for a in answers} == {"已为您登记：退款还没到账"}
    assert len(bot.received) == 1 and fake_api.messages == []


async def test_retries_after_the_deadline_answer_success_and_send_once(
    fake_api: FakeWeChatApi, sender: WeChatSender
) -> None:
    bot = ScriptedBot([(0.5, {"text": "这是唯一的回答"})])
    webhook = make_webhook(fake_api, bot, timeout=0.1)
    xml = sender.text(OPENID, "我的订单呢")
    answers = await asyncio.gather(*(webhook.handle("POST", *sender.post(xml)) for _ in range(4)))
    assert {a.body for a in answers} == {SUCCESS}
    await wait_for(lambda: fake_api.sent_to(OPENID))
    await asyncio.sleep(0.6)  # room for a wrong second answer to show up
    assert fake_api.sent_to(OPENID) == ["这是唯一的回答"] and len(bot.received) == 1


async def test_subscribe_gets_a_welcome_once_per_event(
    fake_api: FakeWeChatApi, sender: WeChatSender
) -> None:
    bot = ScriptedBot()
    webhook = make_webhook(fake_api, bot)
    event = sender.message_xml(OPENID, "event", create_time=1700000000, Event="subscribe")
    first = await webhook.handle("POST", *sender.post(event))
    retry = await webhook.handle("POST", *sender.post(event))
    assert sender.reply_text(first.body) in texts.WELCOME
    assert retry.body == first.body and bot.received == []
    scan = sender.message_xml(OPENID, "event", Event="subscribe", EventKey="qrscene_42")
    assert (
        sender.reply_text((await webhook.handle("POST", *sender.post(scan))).body) in texts.WELCOME
    )
    other = sender.message_xml(OPENID, "event", Event="VIEW", EventKey="https://example.com")
    assert (await webhook.handle("POST", *sender.post(other))).body == SUCCESS


@pytest.mark.parametrize(
    ("msg_type", "fields"),
    [
        ("image", {"PicUrl": "http://mmbiz.qpic.cn/x.jpg", "MediaId": "m1"}),
        ("voice", {"MediaId": "m2", "Format": "amr"}),
        ("location", {"Location_X": "23.1", "Location_Y": "113.3", "Scale": "20", "Label": "广州"}),
        ("shortvideo", {"MediaId": "m3", "ThumbMediaId": "t3"}),
        ("hologram", {"Content": "unknown future type"}),
    ],
)
async def test_non_text_messages_get_a_polite_text_needed_answer(
    fake_api: FakeWeChatApi, sender: WeChatSender, msg_type: str, fields: dict[str, str]
) -> None:
    bot = ScriptedBot([(0, {"text": "x"})])
    answer = await make_webhook(fake_api, bot).handle(
        "POST", *sender.post(sender.message_xml(OPENID, msg_type, **fields))
    )
    assert sender.reply_text(answer.body) in texts.TEXT_NEEDED and bot.received == []


async def test_voice_with_recognition_is_read_as_text(
    fake_api: FakeWeChatApi, sender: WeChatSender
) -> None:
    bot = ScriptedBot([(0, {"text": "听到了：{text}"})])
    xml = sender.message_xml(OPENID, "voice", MediaId="m", Format="amr", Recognition="包裹丢了")
    answer = await make_webhook(fake_api, bot).handle("POST", *sender.post(xml))
    assert sender.reply_text(answer.body) == "听到了：包裹丢了"


async def test_a_digit_picks_the_button_offered_last(
    fake_api: FakeWeChatApi, sender: WeChatSender
) -> None:
    bot = ScriptedBot([(0, {"text": "您希望怎么处理？", "buttons": REFUND_BUTTONS})])
    webhook = make_webhook(fake_api, bot)
    offer = sender.reply_text(
        (await webhook.handle("POST", *sender.post(sender.text(OPENID, "东西坏了")))).body
    )
    assert offer == "您希望怎么处理？\n回复数字即可：\n1. 退款\n2. 换货"
    bot.script = [(0, {"text": "好的"})]  # no new buttons from here on
    await webhook.handle("POST", *sender.post(sender.text(OPENID, "１")))  # full-width digit
    await webhook.handle("POST", *sender.post(sender.text(OPENID, "1")))  # offer used up
    assert [text for _, text, _ in bot.received] == ["东西坏了", REFUND_BUTTONS[0]["payload"], "1"]
    other_user = "o6_bmjrPTlm6_2sgVt7hMZOPfOTHER"
    await webhook.handle("POST", *sender.post(sender.text(other_user, "2")))
    assert bot.received[-1][1] == "2"  # buttons are remembered per OpenID


async def test_an_answer_too_long_for_one_reply_goes_through_the_api_in_pieces(
    fake_api: FakeWeChatApi, sender: WeChatSender
) -> None:
    long_text = "我已记录：" + "快递迟迟未到，" * 200  # ~4 KB, WeChat takes 2 KB per text
    webhook = make_webhook(fake_api, ScriptedBot([(0, {"text": long_text})]))
    answer = await webhook.handle("POST", *sender.post(sender.text(OPENID, "总结一下")))
    assert answer.body == SUCCESS
    await wait_for(lambda: len(fake_api.sent_to(OPENID)) >= 3)
    assert "".join(fake_api.sent_to(OPENID)) == long_text
