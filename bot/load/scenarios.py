"""Simulated customers: varied Chinese complaint conversations, and how each answers the bot.

A ``Scenario`` is drawn once per conversation (category, mood, what the customer knows and
what they will do after the ticket exists); ``next_message`` then answers whatever the bot
just asked, the way a customer would, so one scenario fits every path the dialogue takes
(venting first, the form's questions in any order, a re-ask).
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

TICKET_NUMBER = re.compile(r"TS\d{8}-\d{4}")
_ASKS_ORDER = re.compile("订单号")
_ASKS_PHONE = re.compile("电话|手机号")

#: Per category: openings ({order} is filled in or dropped) and details for when asked more.
CATEGORIES: dict[str, tuple[Sequence[str], Sequence[str]]] = {
    "complain_delivery": (
        (
            "快递一直显示在运输中，十天了还没到{order}",
            "我买的东西说好三天送到，现在一个礼拜了还没影{order}",
            "包裹被签收了，可我根本没收到{order}",
            "你们的快递把我的包裹弄丢了{order}",
        ),
        ("物流信息好几天没更新了", "打快递电话也没人接", "我家里人一直在家，根本没人来送"),
    ),
    "complain_quality": (
        (
            "买的手机用了两天就坏了，开不了机{order}",
            "刚收到的衣服就开线了，质量太差{order}",
            "新买的电饭煲一通电就跳闸{order}",
            # Not 「收到的杯子是裂的」: damaged on arrival is a delivery complaint (data/README.md).
            "新买的保温杯用了一次就漏水，根本没法用{order}",
        ),
        ("屏幕突然就黑了，怎么按都没反应", "我是按说明书用的，没有摔过", "这才刚拆封没多久"),
    ),
    "complain_billing": (
        (
            "我的账户莫名其妙被扣了两次钱{order}",
            "没开通会员却每个月扣我三十块{order}",
            "账单上多了一笔我没买过的东西{order}",
        ),
        ("银行短信显示扣了两笔", "我从来没点过自动续费", "客服之前说会退，到现在也没退"),
    ),
    "complain_refund": (
        (
            "退货寄回去半个月了，钱还没退给我{order}",
            "申请退款一直显示处理中{order}",
            "商家同意退款了，可钱迟迟不到账{order}",
        ),
        ("快递单号我早就填了", "页面上一直没有进度", "已经催过好几次了"),
    ),
    "complain_service": (
        (
            "你们客服态度太差了，说两句就挂我电话{order}",
            "找了三次客服，每次都让我等{order}",
            "门店的店员对我爱答不理{order}",
            "客服说好今天给我回电话，结果等了一整天也没人打来{order}",
        ),
        ("问什么都说不知道", "还很不耐烦地让我自己去查", "我就是想要个说法"),
    ),
    "complain_promise": (
        (
            "说好的赠品一直没给我{order}",
            # A promised callback that never comes is service (data/README.md); a promised
            # compensation is promise.
            "客服答应补偿我五十块，到现在也没给{order}",
            "答应三天内上门安装，到现在都没人来{order}",
        ),
        ("当时客服是这么保证的", "聊天记录我都截图了", "现在却说没有这回事"),
    ),
}

#: How the mood colours a message: a prefix and a suffix.
EMOTIONS: dict[str, tuple[Sequence[str], Sequence[str]]] = {
    "calm": (("你好，", "您好，", ""), ("，麻烦帮我看看。", "，请帮忙处理一下。", "。")),
    "anxious": (("怎么办啊，", "急死了，", ""), ("，我真的很着急。", "，能不能快点？", "。")),
    "angry": (
        ("太气人了！", "气死我了！！", "真是受够了，"),
        ("！！", "，你们必须给我个说法！", "！"),
    ),
    "sad": (("唉，", "真的很失望，", ""), ("，心里挺难受的。", "，太让人失望了。", "。")),
}
VENTS = ("我真的特别生气，等了这么久一点消息都没有", "从来没遇到过这么糟心的事",
         "说实话我已经不想再相信你们了")  # fmt: skip
OUTCOMES = ("refund", "exchange", "repair", "apology", "other")
STATUS_QUESTIONS = ("我的投诉怎么样了", "请问我的工单处理到哪一步了", "想问下刚才那个投诉有进展吗")
HANDOFF_REQUESTS = ("我要找人工客服", "转人工", "能不能让真人来跟我说")
RATINGS = {5: ("五星", "5"), 4: ("4分", "还可以，4 分"), 2: ("2 分吧", "2"), 1: ("很差", "1")}
NO_ORDER, NO_PHONE = ("没有", "没有订单号"), ("不留", "不方便留")
GREETINGS = ("你好", "在吗？", "您好，我要投诉")
CLOSINGS = ("好的，谢谢", "谢谢，辛苦了", "行吧，那我等你们消息")
FILLERS = ("就是这些，麻烦尽快处理", "大概就是这样", "嗯，是这样的")


@dataclass
class Scenario:
    """One simulated customer and everything they will say.

    Attributes:
        sender: Conversation id (REST); socket.io replaces it with the server-issued one.
        category: The complaint category the opening is written for.
        emotion: Mood that colours the opening (``calm``, ``anxious``, ``angry``, ``sad``).
        opening: First message.
        details: More facts, offered when the bot asks to hear more.
        order_id: The order number the customer has, or None.
        order_in_opening: Whether the opening already carries the order number.
        phone: The phone number they leave when asked, or None (they decline).
        outcome: What they want (``desired_outcome``).
        handoff: Ask for a person right after the opening.
        status_check: Ask about the ticket once it exists.
        survey: Rating, solved answer and comment for the survey after a resolve, or None.
        greeting: A hello before the complaint, or None.
        closing: Thanks once the ticket exists, or None.
    """

    sender: str
    category: str
    emotion: str
    opening: str
    details: list[str]
    order_id: str | None
    order_in_opening: bool
    phone: str | None
    outcome: str
    handoff: bool
    status_check: bool
    survey: tuple[str, str, str] | None
    greeting: str | None = None
    closing: str | None = None
    asked: dict[str, int] = field(default_factory=dict)

    @property
    def masked_phone(self) -> str | None:
        """The phone number as the ticket API shows it."""
        return f"{self.phone[:3]}****{self.phone[-4:]}" if self.phone else None


def make_scenario(rng: random.Random, sender: str) -> Scenario:
    """Draw one customer: category, mood, facts and intentions.

    Args:
        rng: Source of randomness (seeded for a reproducible run).
        sender: The conversation id.
    """
    category = rng.choice(sorted(CATEGORIES))
    openings, details = CATEGORIES[category]
    emotion = rng.choice(sorted(EMOTIONS))
    prefixes, suffixes = EMOTIONS[emotion]
    order_id = (
        rng.choice(("", "DD", "JD")) + str(rng.randrange(10**13, 10**14))
        if rng.random() < 0.7
        else None
    )
    order_in_opening = order_id is not None and rng.random() < 0.5
    order_text = f"，订单号 {order_id}" if order_in_opening else ""
    body = rng.choice(openings).format(order=order_text)
    opening = f"{rng.choice(prefixes)}{body}{rng.choice(suffixes)}"
    extra = rng.sample(list(details), k=len(details))
    if emotion == "angry" or rng.random() < 0.2:  # venting first: feelings before facts
        extra.insert(0, rng.choice(VENTS))
    phone = f"1{rng.choice('3456789')}{rng.randrange(10**8, 10**9)}" if rng.random() < 0.8 else None
    handoff = rng.random() < 0.1
    rating = rng.choice(sorted(RATINGS))
    survey = None
    # Shares chosen so a conversation averages about eight turns, as issue 8 sizes the load:
    # most customers greet and thank, many ask about progress, and most answer the survey.
    if not handoff and rng.random() < 0.6:
        solved = "解决了" if rating >= 4 else "没解决"
        comment = "没有" if rating >= 4 else rng.choice(("处理太慢了", "希望以后别再这样"))
        survey = (rng.choice(RATINGS[rating]), solved, comment)
    return Scenario(
        sender=sender,
        category=category,
        emotion=emotion,
        opening=opening,
        details=extra,
        order_id=order_id,
        order_in_opening=order_in_opening,
        phone=phone,
        outcome=rng.choice(OUTCOMES),
        handoff=handoff,
        status_check=not handoff and rng.random() < 0.6,
        survey=survey,
        greeting=rng.choice(GREETINGS) if rng.random() < 0.85 else None,
        closing=rng.choice(CLOSINGS) if not handoff and rng.random() < 0.85 else None,
    )


def _button(buttons: Sequence[dict[str, object]], slot: str, value: str) -> str | None:
    """The payload of the button that sets ``slot`` to ``value``, if the bot offered it."""
    for button in buttons:
        payload = str(button.get("payload", ""))
        if f'"{slot}"' in payload and f'"{value}"' in payload:
            return payload
    return None


def next_message(
    scenario: Scenario, rng: random.Random, text: str, buttons: Sequence[dict[str, object]]
) -> tuple[str, str]:
    """What the customer answers to the bot's last reply during intake.

    Args:
        scenario: The customer.
        rng: Source of randomness for the wording.
        text: The bot's reply, all messages joined.
        buttons: The buttons it offered.

    Returns:
        ``(turn type, message)``; the turn type labels the latency figures.
    """
    if payload := _button(buttons, "desired_outcome", scenario.outcome):
        return "outcome", payload
    if payload := _button(buttons, "complaint_category", scenario.category):
        return "category", payload
    if _ASKS_PHONE.search(text):
        scenario.asked["phone"] = scenario.asked.get("phone", 0) + 1
        return "phone", scenario.phone or rng.choice(NO_PHONE)
    if _ASKS_ORDER.search(text):
        scenario.asked["order"] = scenario.asked.get("order", 0) + 1
        return "order", scenario.order_id or rng.choice(NO_ORDER)
    if scenario.details:
        return "detail", scenario.details.pop(0)
    return "detail", rng.choice(FILLERS)
