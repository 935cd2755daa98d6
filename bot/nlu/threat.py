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
  差评 (「看了很多差评」「好评率高差评少」).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.nlu.emotion_lexicon import clean_text
from bot.nlu.normalize import normalize

# Each pattern matches one way of naming an outside channel (on normalised, Simplified text).
DEFAULT_PATTERNS = (
    # Hotline numbers only as whole numbers: 「13812345678」 is a phone, not 12345.
    r"(?<!\d)(?:12315|12345)(?!\d)|一二三一五|消协|消费者协会|消保委|消委会",
    r"工商局?|市场监(?:督)?管(?:理)?局?|市监局|质监局|物价局|监管部门|有关部门|相关部门",
    r"银保监|银监会?|金融监管|证监会|网信办|信访|通管局|工信部|民航局|邮政管理局",
    r"报警|报案|找警察|(?<!\d)110(?!\d)",
    # Media only with an action: 「我朋友是记者」 is not a threat, 「我找记者」 is.
    r"(?:找|请|联系|告诉|让|叫|通知)(?:了|一下)?(?:媒体|记者|电视台)|媒体(?:曝光|报道)"
    r"|上(?:新闻|电视|热搜)|写(?:一)?(?:篇|个)?报道",
    r"曝光|暴光|发(?:到)?(?:微博|抖音|小红书|朋友圈|网上|脸书|知乎|快手|B站)"
    r"|(?:微博|抖音|小红书|朋友圈|知乎|快手|B站|脸书)[^,.!?;，。！？；]{0,6}?(?:发|曝|说|挂)"
    r"|网上(?:说|发|曝|挂)",
    r"律师|起诉|告你们|告到|(?:去|上)法院|法院见|法庭|打官司|吃官司|关司|走法律"
    r"|法律(?:途径|手段|程序|责任)"
    r"|诉讼|仲裁|追究(?:你们的)?责任",
    r"差评|一星|负面评价",
    r"黑猫投诉|投诉到(?:你们)?(?:的)?(?:总部|总公司|集团|平台|上面)|向(?:你们)?(?:的)?(?:总部|总公司|平台)投诉",
    r"(?:找|叫|让|要见)(?:你们)?(?:的)?(?:领导|经理|主管|老板|负责人|上级|董事长|总裁|CEO)"
    r"|(?:领导|经理|主管|老板|负责人)(?:叫|喊)出来",
    r"维权",
)
# Same characters, other meaning: removed before matching.
_FALSE_FRIENDS = re.compile(
    r"工商银行|工行|工商管理|多媒体|媒体库|自媒体|曝光(?:度|过度|不足|补偿|时间)"
    r"|律师事务所|法院(?:上班|工作)|报警(?:器|声|音|灯)|一星期"
)
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
_NOT_MINE = re.compile(r"(?:看|有|好多|很多|这么多|那么多|其他|别人|网上|没什么)[^,，。]{0,3}差评$")
_NOT_MINE_AFTER = re.compile(r"^差评(?:少|不多|很少|率)")


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
                if _NOT_MINE.search(clause[: match.end()]) or _NOT_MINE_AFTER.search(
                    clause[match.start() :]
                ):
                    continue
                # Only what follows the last 就/那/否则 can negate the threat itself.
                scope = _CONDITION_SPLIT.split(before)[-1]
                if _NEGATION.search(scope):
                    continue
                asking = bool(re.search(r"多少|怎么|如何|哪里|哪个|吗|\?", clause))
                return Threat(True, match.group(0), asking)
        return Threat(False)
