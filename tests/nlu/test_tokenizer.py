"""ChineseTokenizer: normalised tokens, original offsets, persisted dictionary."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.tokenizer import ChineseTokenizer
from bot.settings import PROJECT_ROOT


def make_tokenizer(tmp_path: Path, dictionary: Path | None) -> ChineseTokenizer:
    config = {**ChineseTokenizer.get_default_config(), "dictionary_path": dictionary}
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "test")
    return ChineseTokenizer.create(config, storage, Resource("tokenizer"), context)


def tokens_of(tokenizer: ChineseTokenizer, text: str) -> list[tuple[str, int, int]]:
    message = Message(data={"text": text})
    return [(t.text, t.start, t.end) for t in tokenizer.tokenize(message, "text")]


@pytest.mark.parametrize(
    "text",
    [
        "你們的快遞十天了還沒到，訂單號2023112400123，太氣人了！！！",
        "ＡｉｒＰｏｄｓ左耳没声音了？？？",
        "客服態度太差，我要打12315投訴",
        "退款申请提交半个月了还没到账",
        "买了个iPhone 15，屏幕有坏点😡😡",
    ],
)
def test_offsets_index_the_original_text(tmp_path: Path, text: str) -> None:
    tokenizer = make_tokenizer(tmp_path, None)
    tokens = tokens_of(tokenizer, text)
    assert tokens
    for word, start, end in tokens:
        original = text[start:end]
        assert len(original) == len(word)
        assert word.strip()  # no whitespace tokens from blanked punctuation


def test_traditional_and_simplified_give_the_same_tokens(tmp_path: Path) -> None:
    tokenizer = make_tokenizer(tmp_path, PROJECT_ROOT / "data" / "dict")
    traditional = [w for w, _, _ in tokens_of(tokenizer, "你們的快遞到現在還沒到")]
    simplified = [w for w, _, _ in tokens_of(tokenizer, "你们的快递到现在还没到")]
    assert traditional == simplified


def test_repeated_marks_give_one_token(tmp_path: Path) -> None:
    tokenizer = make_tokenizer(tmp_path, None)
    assert [w for w, _, _ in tokens_of(tokenizer, "气死了！！！")][-1] == "!"
    assert [w for w, _, _ in tokens_of(tokenizer, "气死了！！！")] == [
        w for w, _, _ in tokens_of(tokenizer, "气死了！")
    ]


def test_user_dictionary_persists_with_the_model(tmp_path: Path) -> None:
    import jieba

    dictionary = tmp_path / "dict"
    dictionary.mkdir()
    (dictionary / "domain.txt").write_text("退款进度条 2000 n\n", encoding="utf-8")
    (dictionary / "README.md").write_text("not a dictionary 1 n\n", encoding="utf-8")
    storage_dir = tmp_path / "storage"
    storage_dir.mkdir()
    tokenizer = make_tokenizer(storage_dir, dictionary)
    tokenizer.train(TrainingData())
    assert "退款进度条" in [w for w, _, _ in tokens_of(tokenizer, "我的退款进度条不动了")]

    jieba.del_word("退款进度条")  # forget it, as a fresh server process would not know it
    assert "退款进度条" not in [w for w, _, _ in tokens_of(tokenizer, "我的退款进度条不动了")]
    dictionary.joinpath("domain.txt").unlink()  # the model must not need the source file
    config = {**ChineseTokenizer.get_default_config(), "dictionary_path": str(dictionary)}
    loaded = ChineseTokenizer.load(
        config,
        LocalModelStorage(storage_dir),
        Resource("tokenizer"),
        ExecutionContext(GraphSchema({}), "test"),
    )
    assert "退款进度条" in [w for w, _, _ in tokens_of(loaded, "我的退款进度条不动了")]
    jieba.del_word("退款进度条")
