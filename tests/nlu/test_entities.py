"""ChineseEntityExtractor: entities on real messages, offsets, persistence, robustness."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.dates import SHANGHAI
from bot.nlu.entities import ChineseEntityExtractor, reference_time

PRODUCTS = Path(__file__).resolve().parents[2] / "data" / "dict" / "products.txt"
NOW = datetime(2023, 11, 24, 10, 0, tzinfo=SHANGHAI)  # a Friday
CONTEXT = ExecutionContext(GraphSchema({}), "123")


def train(storage_dir: Path, resource: Resource, **config: Any) -> ChineseEntityExtractor:
    full = {**ChineseEntityExtractor.get_default_config(), "products_path": str(PRODUCTS)}
    full.update(config)
    component = ChineseEntityExtractor.create(
        full, LocalModelStorage(storage_dir), resource, CONTEXT
    )
    component.train(TrainingData())
    return component


@pytest.fixture(scope="module")
def extractor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChineseEntityExtractor]:
    yield train(tmp_path_factory.mktemp("storage"), Resource("entities"))


def triples(component: ChineseEntityExtractor, text: str) -> list[tuple[str, str, Any]]:
    """(entity, text[start:end], value) for every entity, checking the common keys."""
    found = []
    for entity in component.extract(text, NOW):
        assert 0 <= entity["start"] < entity["end"] <= len(text)
        assert entity["confidence"] == 1.0
        found.append((entity["entity"], text[entity["start"] : entity["end"]], entity["value"]))
    return found


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "订单号2023112400123的手机屏幕碎了",
            [("order_id", "2023112400123", "2023112400123"), ("product", "手机", "手机")],
        ),
        (
            "訂單號２０２３１１２４００１２３的手機壞了",
            [
                ("order_id", "２０２３１１２４００１２３", "2023112400123"),
                ("product", "手機", "手機"),
            ],
        ),
        (
            "我的iPhone15昨天刚买的就坏了，订单JD20231124001234，花了5999元",
            [
                ("product", "iPhone", "iPhone"),
                ("date", "昨天", "2023-11-23"),
                ("order_id", "JD20231124001234", "JD20231124001234"),
                ("amount", "5999元", 5999),
            ],
        ),
        (
            "你们打我电话138 1234 5678，别打座机0755 87654321",
            [
                ("phone", "138 1234 5678", "13812345678"),
                ("phone", "0755 87654321", "0755-87654321"),
            ],
        ),
        (
            "联系方式：138-1234-5678 或 010-12345678",
            [("phone", "138-1234-5678", "13812345678"), ("phone", "010-12345678", "010-12345678")],
        ),
        (
            "双十一买的电饭煲才用三天就不加热了",
            [("date", "双十一", "2023-11-11"), ("product", "电饭煲", "电饭煲")],
        ),
        (
            "外卖送到酒店房间晚了一个小时，奶茶全洒了",
            [
                ("product", "外卖", "外卖"),
                ("product", "酒店", "酒店"),
                ("product", "房间", "房间"),
                ("product", "奶茶", "奶茶"),
            ],
        ),
        (
            "上个月15号办的宽带套餐，每个月多扣了两百多",
            [
                ("date", "上个月15号", "2023-10-15"),
                ("product", "宽带", "宽带"),
                ("product", "套餐", "套餐"),
                ("amount", "两百多", 200),
            ],
        ),
        (
            "AIRPODS左耳没声音，airpods pro也一样",
            [("product", "AIRPODS", "AirPods"), ("product", "airpods", "AirPods")],
        ),
        (
            "My ＡｉｒＰｏｄｓ stopped working 3天前, order JD20231124001234",
            [
                ("product", "ＡｉｒＰｏｄｓ", "AirPods"),
                ("date", "3天前", "2023-11-21"),
                ("order_id", "JD20231124001234", "JD20231124001234"),
            ],
        ),
        (
            "空调一直不制冷，师傅上周三来过",
            [("product", "空调", "空调"), ("date", "上周三", "2023-11-15")],
        ),
        (
            "冰箱1.5万买的，结果半个月前就坏了",
            [
                ("product", "冰箱", "冰箱"),
                ("amount", "1.5万", 15000),
                ("date", "半个月前", "2023-11-09"),
            ],
        ),
        (
            "洗衣机漏水，客服说三千五不能退",
            [("product", "洗衣机", "洗衣机"), ("amount", "三千五", 3500)],
        ),
        (
            "11月20日订的机票，改签收了¥199手续费",
            [
                ("date", "11月20日", "2023-11-20"),
                ("product", "机票", "机票"),
                ("amount", "¥199", 199),
            ],
        ),
        (
            "2023-11-20买的耳机，12块5的线也坏了",
            [
                ("date", "2023-11-20", "2023-11-20"),
                ("product", "耳机", "耳机"),
                ("amount", "12块5", 12.5),
            ],
        ),
        ("会员自动续费扣了我八毛", [("product", "会员", "会员"), ("amount", "八毛", 0.8)]),
        (
            "會員費兩千塊左右，說好的退款沒有到",
            [("product", "會員", "會員"), ("amount", "兩千塊左右", 2000)],
        ),
        (
            "充电器一百二十块钱，周五买的",
            [
                ("product", "充电器", "充电器"),
                ("amount", "一百二十块钱", 120),
                ("date", "周五", "2023-11-24"),
            ],
        ),
        ("退款申请2023年11月20日就提交了", [("date", "2023年11月20日", "2023-11-20")]),
        ("+86 13812345678 是我的号码", [("phone", "+86 13812345678", "13812345678")]),
        ("电话075587654321", [("phone", "075587654321", "0755-87654321")]),
        ("第2023112400123号订单", [("order_id", "2023112400123", "2023112400123")]),
        # 手机号 is a phone number, not a phone: jieba keeps it whole, so 手机 is no product.
        (
            "订单2023113812345678里手机号写错了",
            [("order_id", "2023113812345678", "2023113812345678")],
        ),
        ("Apple Watch的表带断了", [("product", "Apple Watch", "Apple Watch")]),
        ("😡😡 平板电脑 屏幕 有坏点 ！！！", [("product", "平板电脑", "平板电脑")]),
    ],
)
def test_entities_in_messages(
    extractor: ChineseEntityExtractor, text: str, expected: list[tuple[str, str, Any]]
) -> None:
    assert triples(extractor, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "等了三天还没人处理",
        "打了两次电话都没人接",
        "第一次遇到这么差的服务",
        "我要投诉，态度太差了",
        "两块电池都是坏的",
        "一周一次的上门服务都没来",
        "我住3号楼，5号线出来就是",
        "编号123456789 不是订单号",
        "12345678901234567890123 太长了",
        "你好",
    ],
)
def test_no_entities(extractor: ChineseEntityExtractor, text: str) -> None:
    assert triples(extractor, text) == []


def test_process_adds_entities_to_the_message(extractor: ChineseEntityExtractor) -> None:
    existing = {"entity": "desired_outcome", "value": "refund", "start": 0, "end": 2}
    message = Message(data={"text": "退款199元还没到", "entities": [existing], "time": NOW})
    extractor.process([message])
    entities = message.get("entities")
    assert entities[0] == existing
    assert entities[1] == {
        "entity": "amount",
        "value": 199,
        "start": 2,
        "end": 6,
        "confidence": 1.0,
        "extractor": "ChineseEntityExtractor",
    }
    assert "entities" in message.output_properties


def test_process_leaves_messages_without_text(extractor: ChineseEntityExtractor) -> None:
    message = Message(data={"intent": {"name": "greet"}})
    assert extractor.process([message]) == [message]
    assert message.get("entities") is None


def test_entities_config_selects_types(tmp_path: Path) -> None:
    component = train(tmp_path, Resource("only_amounts"), entities=["amount"])
    # The phone is still found, so that its digits never become an amount, but not reported.
    found = component.extract("电话13812345678，多收了50元", NOW)
    assert [(e["entity"], e["value"]) for e in found] == [("amount", 50)]


def test_unknown_entity_type_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown entity"):
        train(tmp_path, Resource("bad"), entities=["colour"])


@pytest.mark.parametrize(
    ("time", "expected"),
    [
        (NOW, "2023-11-23"),
        (NOW.timestamp(), "2023-11-23"),
        (NOW.timestamp() * 1000, "2023-11-23"),
        ("2023-11-24T10:00:00+08:00", "2023-11-23"),
        (str(int(NOW.timestamp())), "2023-11-23"),
        # 2023-11-23 17:30 UTC is 01:30 on the 24th in Beijing.
        (datetime(2023, 11, 23, 17, 30, tzinfo=timezone.utc), "2023-11-23"),
    ],
)
def test_reference_time_from_message(
    extractor: ChineseEntityExtractor, time: Any, expected: str
) -> None:
    message = Message(data={"text": "昨天买的", "time": time})
    extractor.process([message])
    assert message.get("entities")[0]["value"] == expected


def test_reference_time_attribute_and_fallback() -> None:
    assert reference_time(Message(data={"text": "x"}, time=int(NOW.timestamp()))) == NOW
    fallback = reference_time(Message(data={"text": "x", "time": "not a time"}))
    assert abs((fallback - datetime.now(tz=SHANGHAI)).total_seconds()) < 60


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "\n\t\r",
        "😀😡🤬👍🏻👨‍👩‍👧",
        "\x00\x01\x02\x1b[31m\x7f",
        "\ud800 lone surrogate",
        "'; DROP TABLE tickets; --",
        "<script>alert('x')</script>{{7*7}}${jndi:ldap://x}",
        "%s%n%x" * 50,
        "（）【】《》「」“”‘’…—·",
        "ａｂｃ１２３！＠＃",
        "①②③ ㎏ ﬁ İstanbul",
        "订单号" + "9" * 5000,
        "退款" * 5000,
        "手机坏了，订单号2023112400123，花了199元，昨天买的。" * 250,
        "二" * 3000 + "块",
        "1" + "," * 3000 + "元",
        "9" * 400 + "元",
    ],
    ids=lambda text: f"{len(text)} chars: {ascii(text[:12])}",
)
def test_robust_to_odd_input(extractor: ChineseEntityExtractor, text: str) -> None:
    message = Message(data={"text": text, "time": NOW})
    extractor.process([message])
    for entity in message.get("entities", []):
        assert text[entity["start"] : entity["end"]]


def test_ten_thousand_characters(extractor: ChineseEntityExtractor) -> None:
    sentence = "手机坏了，订单号2023112400123，花了199元，昨天买的。"
    text = (sentence * (10_000 // len(sentence) + 1))[:10_000]
    entities = extractor.extract(text, NOW)
    assert len(text) == 10_000
    assert sum(e["entity"] == "order_id" for e in entities) == text.count("2023112400123")
    for entity in entities:
        assert entity["start"] < entity["end"]


def test_trains_and_parses_in_a_real_rasa_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tiny NLU model through Rasa's own training graph, archive and Agent."""
    import asyncio

    from rasa.core.agent import Agent
    from rasa.model_training import train_nlu

    monkeypatch.setenv("RASA_CACHE_DIRECTORY", str(tmp_path / "cache"))
    config, nlu = tmp_path / "config.yml", tmp_path / "nlu.yml"
    config.write_text(
        "recipe: default.v1\nlanguage: zh\nassistant_id: test\npipeline:\n"
        "  - name: JiebaTokenizer\n"
        "  - name: bot.nlu.entities.ChineseEntityExtractor\n"
        f"    products_path: {PRODUCTS}\n"
        "  - name: KeywordIntentClassifier\n",
        encoding="utf-8",
    )
    nlu.write_text(
        'version: "3.1"\nnlu:\n'
        "- intent: complain_refund\n  examples: |\n    - 退款\n    - 我要退款\n"
        "- intent: greet\n  examples: |\n    - 你好\n    - 您好\n",
        encoding="utf-8",
    )
    model = train_nlu(str(config), str(nlu), str(tmp_path / "models"), fixed_model_name="m")
    assert model is not None
    agent = Agent.load(model)
    parsed = asyncio.run(agent.parse_message("我要退款，订单号2023112400123，扣了199元的手机"))
    found = [(e["entity"], e["value"], e["extractor"]) for e in parsed["entities"]]
    assert found == [
        ("order_id", "2023112400123", "ChineseEntityExtractor"),
        ("amount", 199, "ChineseEntityExtractor"),
        ("product", "手机", "ChineseEntityExtractor"),
    ]
