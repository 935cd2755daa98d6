"""Does the customer threaten to take the complaint outside? (DESIGN §2.5: hand off if so.)

Rules, not a model: a missed threat is expensive (the playbook hands those conversations to a
person at once), the phrasings are a short closed list, and every decision can be explained.

Decisions:
- A threat is an *outside* channel — regulators (12315, 12345, 消协, 工商, 市场监管), media and
  social posts (曝光, 媒体, 发微博/抖音), lawyers and courts, public reviews (差评, 黑猫投诉) —
  or going over the agent's head (投诉到总部, 找你们领导/经理).
- Asking how to reach such a channel (「12315 电话是多少」「消协怎么投诉」) **is** a threat: in a
  complaint chat the only reason to ask is to use it, and a person should take over before the
  customer does. Saying it already happened (「我已经打了12315」) is one too.
- Negated or called off in the same clause is not: 「我不想给差评」「不会去12315的」「本来想
  曝光的，算了」. A negation before a conditional 就/那 belongs to the condition, so
  「再不处理我就打12315」 stays a threat.
- Same words in other senses are not: 工商银行, 多媒体, 照片曝光过度, reading other people's
  差评 (「看了很多差评」).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.nlu.emotion_lexicon import clean_text
from bot.nlu.normalize import normalize

# Each pattern matches one way of naming an outside channel (on normalised, Simplified text).
DEFAULT_PATTERNS = (
    r"12315|12345|消协|消费者协会|消保委|消委会",
    r"工商局?|市场监(?:督)?管(?:理)?局?|市监局|质监局|物价局|监管部门|有关部门|相关部门",
    r"(?:找|请|联系|告诉|让)(?:媒体|记者|电视台)|媒体|记者|电视台|上新闻|上热搜",
    r"曝光|发(?:到)?(?:微博|抖音|小红书|朋友圈|网上)|网上(?:说|发|曝)",
    r"律师|起诉|告你们|告到|法院|打官司|走法律|法律(?:途径|手段|程序)|诉讼|仲裁",
    r"(?:给|打|写|留|发|刷|必须|直接|肯定|一定|就)(?:个|一个|你们|你们一个)?差评|差评(?:伺候|!|$)",
    r"黑猫投诉|投诉到(?:总部|总公司|集团|平台|上面)|向(?:总部|总公司|平台)投诉",
    r"(?:找|叫|让|要见)(?:你们)?(?:的)?(?:领导|经理|主管|老板|负责人|上级)",
    r"维权",
)
# Same characters, other meaning: removed before matching.
_FALSE_FRIENDS = re.compile(r"工商银行|工行|多媒体|媒体库|曝光(?:度|过度|不足|补偿|时间)|自媒体账号")
# Negation or withdrawal inside the clause, before the channel: 「不想」「不会去」「本来想」.
_NEGATION = re.compile(
    r"不想|不会|不打算|没打算|不准备|没想|不至于|没必要|不需要|不用|不必|并不|也不|还不想|"
    r"暂时不|先不|不是要|没说要|没有要|不给|不去|不打|不找|不发|不写|没有给|没给|没去|没打|"
    r"本来想|本想|原本想|差点|算了不"
)
# The negation of a condition stays with the condition: 「再不处理我就…」「要是不退那我…」.
_CONDITION_SPLIT = re.compile(r"就|的话|那(?:我|就)?|否则|不然|要不然|要不|便|立刻|马上")
_CLAUSE_SPLIT = re.compile(r"[,.!?;:，。！？；：…~～\n]")
# Reading other people's reviews is not writing one.
_NOT_MINE = re.compile(r"(?:看|有|好多|很多|这么多|那么多|其他|别人|网上)[^,，。]{0,3}差评$")


@dataclass(frozen=True)
class Threat:
    """Result of ``detect``: whether, which words, and whether it was asked as a question."""

    threat: bool
    matched: str | None = None
    asking: bool = False


class ThreatDetector:
    """Keyword rules with negation and false-friend handling.

    Args:
        extra_keywords: more literal channel names (from the component's config).
    """

    def __init__(self, extra_keywords: Iterable[str] = ()) -> None:
        extra = [re.escape(normalize(k)) for k in extra_keywords if k and k.strip()]
        self._channel = re.compile("|".join([*DEFAULT_PATTERNS, *extra]))

    def detect(self, text: str) -> Threat:
        """Decide for one message; never raises on odd input."""
        clean = _FALSE_FRIENDS.sub(lambda m: " " * len(m.group(0)), normalize(clean_text(text)))
        for clause in _CLAUSE_SPLIT.split(clean):
            for match in self._channel.finditer(clause):
                before = clause[: match.start()]
                if _NOT_MINE.search(clause[: match.end()]):
                    continue
                # Only what follows the last 就/那/否则 can negate the threat itself.
                scope = _CONDITION_SPLIT.split(before)[-1]
                if _NEGATION.search(scope):
                    continue
                asking = bool(re.search(r"多少|怎么|如何|哪里|哪个|吗|\?", clause))
                return Threat(True, match.group(0), asking)
        return Threat(False)
