"""ChineseEntityExtractor: persistence, the product lexicon and recipe registration."""

from __future__ import annotations

from pathlib import Path

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource

from bot.nlu.entities import ChineseEntityExtractor, read_lexicon
from tests.nlu.test_entities import CONTEXT, PRODUCTS, train, triples


def test_persist_and_load_round_trip(tmp_path: Path) -> None:
    lexicon = tmp_path / "products.txt"
    lexicon.write_text("量子吸尘刷\nZetaPhone X\n# a comment\n\n", encoding="utf-8")
    storage_dir, resource = tmp_path / "storage", Resource("entities")
    storage_dir.mkdir()
    trained = train(storage_dir, resource, products_path=str(lexicon))
    assert trained.products == ["量子吸尘刷", "ZetaPhone X"]
    lexicon.unlink()  # the trained model must not need the file any more

    config = {**ChineseEntityExtractor.get_default_config(), "products_path": str(lexicon)}
    loaded = ChineseEntityExtractor.load(config, LocalModelStorage(storage_dir), resource, CONTEXT)
    assert loaded.products == trained.products
    text = "买的量子吸尘刷和zetaphone  x都坏了"
    assert triples(loaded, text) == [
        ("product", "量子吸尘刷", "量子吸尘刷"),
        ("product", "zetaphone  x", "ZetaPhone X"),
    ]


def test_load_without_stored_lexicon_reads_the_file(tmp_path: Path) -> None:
    config = {**ChineseEntityExtractor.get_default_config(), "products_path": str(PRODUCTS)}
    loaded = ChineseEntityExtractor.load(
        config, LocalModelStorage(tmp_path), Resource("never_trained"), CONTEXT
    )
    assert loaded.products == read_lexicon(PRODUCTS)


def test_missing_lexicon_trains_without_products(tmp_path: Path) -> None:
    component = train(tmp_path, Resource("none"), products_path=str(tmp_path / "missing.txt"))
    assert component.products == []
    assert triples(component, "手机坏了，订单号2023112400123") == [
        ("order_id", "2023112400123", "2023112400123")
    ]


def test_private_segmenter_leaves_global_jieba_alone(tmp_path: Path) -> None:
    import jieba

    lexicon = tmp_path / "products.txt"
    lexicon.write_text("量子吸尘刷\n", encoding="utf-8")
    component = train(tmp_path, Resource("private"), products_path=str(lexicon))
    assert triples(component, "量子吸尘刷坏了")
    assert "量子吸尘刷" not in jieba.dt.FREQ


def test_fingerprint_follows_the_lexicon_file(tmp_path: Path) -> None:
    lexicon = tmp_path / "products.txt"
    lexicon.write_text("手机\n", encoding="utf-8")
    config = {"products_path": str(lexicon)}
    before = ChineseEntityExtractor.fingerprint_addon(config)
    lexicon.write_text("手机\n耳机\n", encoding="utf-8")
    assert before and ChineseEntityExtractor.fingerprint_addon(config) != before
    assert ChineseEntityExtractor.fingerprint_addon({"products_path": "nope.txt"}) is None


def test_registered_with_the_default_recipe() -> None:
    registered = DefaultV1Recipe._from_registry("ChineseEntityExtractor")
    assert registered.clazz is ChineseEntityExtractor
    assert DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR in registered.types
    assert registered.is_trainable


def test_lexicon_file_is_sane() -> None:
    words = read_lexicon(PRODUCTS)
    assert len(words) >= 150
    for word in ("手机", "iPhone", "AirPods", "空调", "冰箱", "洗衣机", "耳机", "电饭煲", "外卖"):
        assert word in words
    # The file doubles as a jieba user dictionary (data/dict/*.txt): no comments or tabs.
    for line in PRODUCTS.read_text(encoding="utf-8").splitlines():
        assert line.strip() and not line.startswith("#") and "\t" not in line
