"""Customer-facing sentences the channels say themselves (the bot's own words live in domain.yml).

Each has several variants, picked at random, so a customer who sends two photos in a row does
not get the same sentence twice word for word.
"""

from __future__ import annotations

import random

#: Answer to a ``subscribe`` event (a new follower of the Official Account).
WELCOME = (
    "您好，欢迎关注！我是投诉受理助手。遇到不满意的地方，直接发文字告诉我就好，"
    "我会认真记录，并尽快帮您跟进。",
    "感谢关注！购物、配送、售后上有任何不顺心的事，都可以直接打字告诉我，我来帮您记录和处理。",
    "您好，很高兴见到您。有问题或者不满意的地方，请直接用文字说给我听，我马上帮您处理。",
)

#: Answer to images, voice without recognition, locations, links, videos and unknown types.
TEXT_NEEDED = (
    "抱歉，我目前只能看懂文字消息。麻烦您用文字描述一下遇到的问题，我马上帮您记录。",
    "不好意思，图片、语音和位置我这边暂时还看不了，请直接打字告诉我发生了什么，我来帮您跟进。",
    "这条消息我暂时看不了，辛苦您用几句文字说一下情况，我会认真处理。",
)

#: Put before a staff member's reply on channels without styling (WeChat).
STAFF_PREFIX = "【人工客服】"

#: Leads the numbered list that stands in for buttons on WeChat.
BUTTONS_HINT = "回复数字即可："


def pick(variants: tuple[str, ...]) -> str:
    """Return one variant at random."""
    return random.choice(variants)
