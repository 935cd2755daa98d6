"""EmotionClassifier: emotion names, intensity ordering, escalation threats, persistence.

The model is trained once per session on a subsample of data/emotion (a few seconds); the
sentences below are not in the training data (see data/emotion/service_phrases.yml) and are
labelled by DESIGN §6.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.emotion import EmotionClassifier
from bot.nlu.emotion_lexicon import EMOTIONS
from bot.nlu.threat import ThreatDetector
from bot.settings import PROJECT_ROOT

CONFIG = {
    "data_path": str(PROJECT_ROOT / "data" / "emotion" / "train.jsonl"),
    "lexicon_dir": str(PROJECT_ROOT / "data" / "emotion" / "lexicon"),
    # Every service phrase plus a stratified share of the corpus: trains in seconds.
    "max_examples": 6000,
}
RESOURCE = Resource("emotion")
MIN_ACCURACY = 0.8

LABELLED = [
    # anger — including resigned blaming
    ("快递五天了都没动静，你们到底管不管？", "anger"),
    ("你们这客服是摆设吗，问什么都答非所问", "anger"),
    ("刚买一周就降价两百，太坑了吧", "anger"),
    ("第三次补发还是错的，你们能不能用点心", "anger"),
    ("退个款要我跑三趟，烦死了", "anger"),
    ("收到的手机屏幕是碎的，我真的很生气", "anger"),
    ("明明说好包安装，师傅来了却要另外收钱", "anger"),
    ("服务员的态度差到极点", "anger"),
    ("你们就知道说抱歉，有什么用", "anger"),
    ("行吧，反正投诉也没用，你们就这德性", "anger"),
    # anxiety
    ("孩子的药还没到，今晚就要吃，怎么办啊", "anxiety"),
    ("银行卡莫名其妙被扣了一笔钱，我好慌", "anxiety"),
    ("护照要是寄丢了我下周就出不了国了，很着急", "anxiety"),
    ("我担心退回去的货你们收不到", "anxiety"),
    ("热水器一直有焦味，会不会有危险？", "anxiety"),
    ("手机号被人冒用注册了，我很害怕", "anxiety"),
    ("订的机票一直没出票，明天一早就要走，急死了", "anxiety"),
    # sadness
    ("特意给老婆订的纪念日蛋糕送晚了，她很难过，我也是", "sadness"),
    ("用了这么多年你们的产品，这次真的很失望", "sadness"),
    ("收到的毛衣全是线头，期待落空了，唉", "sadness"),
    ("被店员当成小偷一样盯着，觉得很委屈", "sadness"),
    ("一直很喜欢你们家，现在这样让我有点心寒", "sadness"),
    ("好好的一次生日聚会被搞砸了，心里很难受", "sadness"),
    # neutral
    ("请问怎么修改订单的收货时间", "neutral"),
    ("我的订单号是2023120112345", "neutral"),
    ("想咨询一下换货需要什么流程", "neutral"),
    ("退货的快递单号填在哪里", "neutral"),
    ("你们的客服热线是多少", "neutral"),
    ("发票可以寄到公司地址吗", "neutral"),
    ("好的，我明天再来问", "neutral"),
    ("能帮我查查积分还剩多少吗", "neutral"),
    ("这款商品什么时候补货", "neutral"),
    ("我需要拍照上传吗", "neutral"),
    # positive
    ("谢谢你们这么快就处理好了", "positive"),
    ("问题解决了，服务很周到", "positive"),
    ("快递小哥人很好，还帮我搬上楼", "positive"),
    ("退款已经收到了，感谢", "positive"),
    ("客服很有耐心，给个好评", "positive"),
    ("太棒了，终于收到了，非常满意", "positive"),
    ("挺不错的，下次还会来", "positive"),
    ("辛苦您了，谢谢帮忙", "positive"),
    ("很满意这次的服务", "positive"),
]

THREATS = [
    ("再不处理我就打12315", True),
    ("我要去消协投诉你们", True),
    ("不给个说法我就找媒体曝光", True),
    ("我已经联系律师了，准备起诉", True),
    ("信不信我发微博曝光你们", True),
    ("那就法院见吧", True),
    ("我要向市场监管局举报你们", True),
    ("你们等着收差评吧", True),
    ("叫你们领导出来", True),
    ("我要去黑猫投诉", True),
    ("我已经打了12315了", True),
    ("再这样我就投诉到总部", True),
    # Asking how to reach an outside channel counts (see bot/nlu/threat.py).
    ("12315 电话是多少", True),
    ("我不想给差评，只想解决问题", False),
    ("放心，我不会去12315的", False),
    ("本来想曝光你们的，算了", False),
    ("我在工商银行的卡被扣款了", False),
    ("照片曝光过度是相机的问题吗", False),
    ("看了好多差评才下单的", False),
    ("快递什么时候到", False),
    ("我要投诉你们的快递员", False),
    ("我不打算找律师，给我退款就行", False),
    ("多媒体播放器打不开", False),
    ("你们的客服态度太差了", False),
    ("我没给差评，放心", False),
]


@pytest.fixture(scope="module")
def storage(tmp_path_factory: pytest.TempPathFactory) -> LocalModelStorage:
    return LocalModelStorage(tmp_path_factory.mktemp("emotion_model"))


@pytest.fixture(scope="module")
def classifier(storage: LocalModelStorage) -> EmotionClassifier:
    """Trained once for the module, through the real Rasa storage."""
    context = ExecutionContext(GraphSchema({}), "x")
    component = EmotionClassifier.create(
        {**EmotionClassifier.get_default_config(), **CONFIG}, storage, RESOURCE, context
    )
    component.train(TrainingData())
    return component


def parse(component: EmotionClassifier, text: str) -> dict:
    message = Message(data={"text": text})
    component.process([message])
    return message.as_dict(only_output_properties=True)


@pytest.fixture(scope="module")
def accuracy(classifier: EmotionClassifier) -> Iterator[float]:
    predictions = classifier.predict([text for text, _ in LABELLED])
    hits = [p.name == gold for p, (_, gold) in zip(predictions, LABELLED, strict=True)]
    rate = sum(hits) / len(hits)
    print(f"\nemotion accuracy on {len(hits)} held-out sentences: {rate:.2f}")
    for (text, gold), prediction, hit in zip(LABELLED, predictions, hits, strict=True):
        if not hit:
            print(f"  {text} — gold {gold}, predicted {prediction.name}")
    yield rate


def test_accuracy_on_unseen_sentences(accuracy: float) -> None:
    assert accuracy >= MIN_ACCURACY


def test_every_emotion_is_represented() -> None:
    assert {gold for _, gold in LABELLED} == set(EMOTIONS)
    assert len(LABELLED) >= 40


def test_parse_output_matches_design(classifier: EmotionClassifier) -> None:
    output = parse(classifier, "都三天了还没到，到底怎么回事？？")
    emotion = output["emotion"]
    assert set(emotion) == {"name", "confidence", "intensity"}
    assert emotion["name"] in EMOTIONS
    assert 0.0 <= emotion["confidence"] <= 1.0
    assert emotion["intensity"] in (1, 2, 3)
    assert output["escalation_threat"] is False


@pytest.mark.parametrize(
    ("text", "name", "intensity"),
    [
        ("不太满意", "anger", 1),
        ("非常不满意", "anger", 2),
        ("气死我了！！！", "anger", 3),
        ("有点失望", "sadness", 1),
        ("太失望了", "sadness", 2),
        ("失望透顶，再也不买了！！！", "sadness", 3),
    ],
)
def test_intensity_levels(
    classifier: EmotionClassifier, text: str, name: str, intensity: int
) -> None:
    emotion = parse(classifier, text)["emotion"]
    assert emotion["intensity"] == intensity
    assert emotion["name"] in (name, "anger", "sadness")


@pytest.mark.parametrize(
    "ladder",
    [
        ["不太满意", "非常不满意", "气死我了！！！"],
        ["有点失望", "太失望了", "失望透顶，再也不买了！！！"],
    ],
)
def test_intensity_is_strictly_monotone(classifier: EmotionClassifier, ladder: list[str]) -> None:
    levels = [p.intensity for p in classifier.predict(ladder)]
    assert levels[0] < levels[1] < levels[2]


def test_neutral_is_always_intensity_one(classifier: EmotionClassifier) -> None:
    for prediction in classifier.predict(["请问退款几天到账？？？", "订单号是多少！！！"]):
        if prediction.name == "neutral":
            assert prediction.intensity == 1


@pytest.mark.parametrize(("text", "expected"), THREATS)
def test_escalation_threat(classifier: EmotionClassifier, text: str, expected: bool) -> None:
    assert parse(classifier, text)["escalation_threat"] is expected


def test_threat_detector_handles_conditions_and_withdrawals() -> None:
    detector = ThreatDetector(extra_keywords=["人民日报"])
    assert detector.detect("要是不退钱，那我就去找律师").threat
    assert detector.detect("我要投稿人民日报").threat
    assert not detector.detect("我并不想闹到法院").threat
    assert detector.detect("12315电话是多少").asking


def test_calm_threat_is_at_least_clear_anger(classifier: EmotionClassifier) -> None:
    emotion = parse(classifier, "再不处理我就打12315")["emotion"]
    assert emotion["name"] == "anger"
    assert emotion["intensity"] >= 2


@pytest.mark.parametrize(
    ("simplified", "traditional"),
    [
        ("你们的客服态度太差了，气死我了！！！", "你們的客服態度太差了，氣死我了！！！"),
        ("本来想送给妈妈的，真的很难过", "本來想送給媽媽的，真的很難過"),
        ("谢谢，问题解决了", "謝謝，問題解決了"),
        ("钱会不会退不回来啊，好担心", "錢會不會退不回來啊，好擔心"),
        ("请问发票怎么开", "請問發票怎麼開"),
    ],
)
def test_traditional_gives_the_same_emotion(
    classifier: EmotionClassifier, simplified: str, traditional: str
) -> None:
    plain, converted = classifier.predict([simplified, traditional])
    assert (converted.name, converted.intensity) == (plain.name, plain.intensity)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "\x00\x07\x1b\x7f",
        "🐶🐱",
        "a\ud800b",
        "\u200b\u200b",
        "？",
        "12345678901234567890",
    ],
)
def test_odd_input_never_raises(classifier: EmotionClassifier, text: str) -> None:
    output = parse(classifier, text)
    assert output["emotion"]["name"] in EMOTIONS
    assert output["escalation_threat"] in (True, False)
    if not text.strip() or text == "\x00\x07\x1b\x7f":
        assert output["emotion"] == {"name": "neutral", "confidence": 1.0, "intensity": 1}
    if text == "🐶🐱":
        assert output["emotion"]["name"] == "neutral"


def test_very_long_input(classifier: EmotionClassifier) -> None:
    text = ("快递一直没到，" * 1500)[:10000]
    assert len(text) == 10000
    output = parse(classifier, text)
    assert output["emotion"]["intensity"] in (1, 2, 3)


def test_message_without_text(classifier: EmotionClassifier) -> None:
    message = Message(data={})
    classifier.process([message])
    assert message.get("emotion")["name"] == "neutral"


def test_angry_emoji_alone_reads_as_anger(classifier: EmotionClassifier) -> None:
    # A decision: 「😡😡😡」 carries a clear emotion, so it is not the neutral fallback.
    assert parse(classifier, "😡😡😡")["emotion"]["name"] == "anger"


def test_persist_and_load_give_identical_predictions(
    classifier: EmotionClassifier, storage: LocalModelStorage
) -> None:
    context = ExecutionContext(GraphSchema({}), "x")
    loaded = EmotionClassifier.load(
        {**EmotionClassifier.get_default_config(), **CONFIG}, storage, RESOURCE, context
    )
    texts = [text for text, _ in LABELLED] + [text for text, _ in THREATS]
    assert loaded.predict(texts) == classifier.predict(texts)


def test_load_without_a_trained_model_is_neutral(tmp_path: Path) -> None:
    context = ExecutionContext(GraphSchema({}), "x")
    component = EmotionClassifier.load(
        EmotionClassifier.get_default_config(),
        LocalModelStorage(tmp_path),
        Resource("missing"),
        context,
    )
    assert parse(component, "气死我了！！！")["emotion"]["name"] == "neutral"


def test_fingerprint_follows_the_emotion_data(tmp_path: Path) -> None:
    data = tmp_path / "train.jsonl"
    data.write_text('{"text": "谢谢", "emotion": "positive", "intensity": 1}\n', "utf-8")
    config = {"data_path": str(data), "lexicon_dir": str(tmp_path / "lexicon")}
    before = EmotionClassifier.fingerprint_addon(config)
    data.write_text('{"text": "谢谢", "emotion": "positive", "intensity": 2}\n', "utf-8")
    assert EmotionClassifier.fingerprint_addon(config) != before


@pytest.mark.parametrize(
    "text",
    ["13812345678", "订单号2023112345001", "电话 0755-12315678", "我的手机是13112315888", "11001"],
)
def test_numbers_containing_hotlines_are_no_threat(text: str) -> None:
    from bot.nlu.threat import ThreatDetector

    assert not ThreatDetector().detect(text).threat
