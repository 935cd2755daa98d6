"""``python -m bot nlu inbox | label | export`` end to end, through ``bot.cli.main``.

The tickets database runs on SQLite and PostgreSQL (``migrated_url``); the tracker store is a
temporary SQLite file holding Rasa's ``events`` table.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from bot.cli import main
from bot.commands import nlu
from bot.settings import PROJECT_ROOT, get_settings
from bot.store.models import EMOTIONS
from tests.store.test_transcripts import T0, create_tracker, user_event

NLU_DIR = PROJECT_ROOT / "data" / "nlu"


def existing_example() -> str:
    """An example that is in the project's training data right now (others edit it)."""
    for path in sorted(NLU_DIR.glob("*.yml")):
        for example in nlu._examples_of(yaml.safe_load(path.read_text(encoding="utf-8"))):
            return example
    pytest.skip("data/nlu has no examples")


@pytest.fixture
def tracker_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'tracker' / 'tracker.db'}"


@pytest.fixture
def env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, migrated_url: str, tracker_url: str
) -> Iterator[None]:
    """Point the settings at the test tickets database and tracker store."""
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("DATABASE_URL", migrated_url)
    monkeypatch.setenv("TRACKER_DB_URL", tracker_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def seed(tracker_url: str, duplicate: str) -> None:
    create_tracker(
        tracker_url,
        [
            user_event("a", "你好", [("greet", 0.99)], T0),
            user_event("a", "扣了我两次钱！！", [("complain_billing", 0.35)], T0 + 1),
            user_event(
                "b",
                "我电话 13812345678，身份证110101199003071234，快点回我",
                [("inform", 0.3), ("complain_service", 0.2)],
                T0 + 2,
                fallback=0.4,
            ),
            # The same words as an existing training example, written differently.
            user_event("c", f"  {duplicate} ", [("complain_other", 0.2)], T0 + 3),
            user_event("d", "退款[图片](1)还没到", [("complain_refund", 0.39)], T0 + 4),
            user_event("e", "扣了我两次钱!!", [("complain_billing", 0.33)], T0 + 5),
        ],
    )


def inbox_ids(out: str) -> dict[str, int]:
    """Map the masked text of each listed message to its inbox id."""
    rows = {}
    for line in out.splitlines()[1:]:
        match = re.match(r"\s*(\d+)\s+\S+ \S+\s+\S+\s+\S+\s+(.*)$", line)
        assert match, line
        rows[match.group(2)] = int(match.group(1))
    return rows


def test_inbox_syncs_and_masks(
    env: None, tracker_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(tracker_url, existing_example())
    assert main(["nlu", "inbox"]) == 0
    captured = capsys.readouterr()
    assert "Synced 5 new message(s) below confidence 0.40" in captured.err
    lines = captured.out.splitlines()
    assert lines[0].split() == ["ID", "TIME", "(UTC)", "CONF", "PREDICTED", "TEXT"]
    # The confident greeting is not listed (the training example seeded above may itself
    # contain 「你好」, so whole rows are compared).
    assert len(lines) == 6 and not any(line.rstrip().endswith(" 你好") for line in lines)
    # Newest first; the fallback shows the model's own guess; numbers are masked.
    assert "退款[图片](1)还没到" in lines[2]
    assert "inform" in lines[4] and "0.30" in lines[4]
    assert "138****5678" in lines[4] and "110101********1234" in lines[4]
    assert "13812345678" not in captured.out and "19900307" not in captured.out
    # A second run syncs nothing new and lists the same.
    assert main(["nlu", "inbox", "--limit", "2"]) == 0
    again = capsys.readouterr()
    assert "Synced 0 new" in again.err and again.out.splitlines()[1:] == lines[1:3]


def test_threshold_option(env: None, tracker_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    seed(tracker_url, existing_example())
    assert main(["nlu", "inbox", "--threshold", "0.34"]) == 0
    # 0.33, 0.2 and the fallback (whatever its confidence) only.
    assert len(capsys.readouterr().out.splitlines()) == 1 + 3
    # Without --rescan only messages newer than the last sync are read.
    assert main(["nlu", "inbox", "--threshold", "0.5"]) == 0
    assert "Synced 0 new" in capsys.readouterr().err
    assert main(["nlu", "inbox", "--threshold", "0.5", "--rescan"]) == 0
    assert "Synced 2 new" in capsys.readouterr().err


def test_inbox_without_tracker_store(
    env: None, tracker_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["nlu", "inbox"]) == 0
    captured = capsys.readouterr()
    assert "No tracker store yet" in captured.err and "No unlabelled messages." in captured.out
    assert not Path(tracker_url.removeprefix("sqlite:///")).exists()


def test_label_validates_against_domain(
    env: None, tracker_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(tracker_url, existing_example())
    main(["nlu", "inbox"])
    first = min(inbox_ids(capsys.readouterr().out).values())
    assert main(["nlu", "label", str(first), "complain_weather"]) == 2
    err = capsys.readouterr().err
    assert "unknown intent 'complain_weather'" in err and "complain_billing" in err
    assert "greet" in err
    with pytest.raises(SystemExit) as excinfo:
        main(["nlu", "label", str(first), "complain_billing", "--emotion", "rage"])
    assert excinfo.value.code == 2
    capsys.readouterr()
    assert main(["nlu", "label", "9999", "complain_billing"]) == 1
    assert "no inbox message with id 9999" in capsys.readouterr().err
    assert main(["nlu", "label", str(first), "complain_billing", "--emotion", "anger"]) == 0
    assert f"Labelled {first} as complain_billing, emotion anger." in capsys.readouterr().out
    main(["nlu", "inbox", "--all"])
    out = capsys.readouterr().out
    assert "LABEL" in out.splitlines()[0] and "complain_billing" in out


def test_export_end_to_end(
    env: None, tracker_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from rasa.shared.nlu.training_data.loading import load_data

    duplicate = existing_example()
    seed(tracker_url, duplicate)
    out_file = tmp_path / "out" / "inbox.yml"
    assert main(["nlu", "export", "--out", str(out_file)]) == 0
    assert "Wrote 0 example(s)" in capsys.readouterr().out and not out_file.exists()

    main(["nlu", "inbox"])
    ids = inbox_ids(capsys.readouterr().out)
    labels = {
        "扣了我两次钱！！": "complain_billing",
        "扣了我两次钱!!": "complain_billing",  # the same after normalisation
        "退款[图片](1)还没到": "complain_refund",
        duplicate.strip(): "complain_other",
    }
    for text, intent in labels.items():
        assert main(["nlu", "label", str(ids[text]), intent]) == 0
    phone_text = next(text for text in ids if "138****5678" in text)
    assert main(["nlu", "label", str(ids[phone_text]), "inform", "--emotion", "anxiety"]) == 0
    capsys.readouterr()

    assert main(["nlu", "export", "--out", str(out_file)]) == 0
    printed = capsys.readouterr().out
    assert "Wrote 3 example(s)" in printed and "skipped 2 already in the training data" in printed
    content = out_file.read_text(encoding="utf-8")
    assert "13812345678" not in content and "110101199003071234" not in content
    assert "13800000000" in content and nlu.FAKE_ID_NUMBER in content

    data = load_data(str(out_file))
    exported = {(m.get("text"), m.get("intent")) for m in data.intent_examples}
    assert exported == {
        ("扣了我两次钱！！", "complain_billing"),
        ("退款[图片] (1)还没到", "complain_refund"),
        (f"我电话 13800000000，身份证{nlu.FAKE_ID_NUMBER}，快点回我", "inform"),
    }
    assert data.entity_examples == []
    # Nothing exported duplicates the project's training data.
    known = nlu.known_examples(sorted(NLU_DIR.glob("*.yml")))
    assert not {nlu.normalise(text) for text, _ in exported} & known

    # Exported messages are not exported again; new labels are appended to the same file.
    assert main(["nlu", "export", "--out", str(out_file)]) == 0
    assert "Wrote 0 example(s)" in capsys.readouterr().out
    create_tracker(tracker_url, [user_event("f", "发票开错了", [("inform", 0.1)], T0 + 9)])
    main(["nlu", "inbox"])
    new_id = inbox_ids(capsys.readouterr().out)["发票开错了"]
    main(["nlu", "label", str(new_id), "complain_billing"])
    assert main(["nlu", "export", "--out", str(out_file)]) == 0
    assert "Wrote 1 example(s)" in capsys.readouterr().out
    assert out_file.read_text(encoding="utf-8").startswith(content)
    texts = [m.get("text") for m in load_data(str(out_file)).intent_examples]
    assert len(texts) == 4 and "发票开错了" in texts
    # A labelled, exported message cannot be relabelled from the inbox.
    assert main(["nlu", "label", str(new_id), "complain_other"]) == 1
    assert "already in the training data" in capsys.readouterr().err


def test_export_reports_skips(
    env: None, tracker_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    duplicate = existing_example()
    seed(tracker_url, duplicate)
    main(["nlu", "inbox"])
    ids = inbox_ids(capsys.readouterr().out)
    main(["nlu", "label", str(ids[duplicate.strip()]), "complain_other"])
    main(["nlu", "label", str(ids["扣了我两次钱！！"]), "complain_billing"])
    capsys.readouterr()
    out_file = tmp_path / "inbox.yml"
    assert main(["nlu", "export", "--out", str(out_file)]) == 0
    printed = capsys.readouterr().out
    assert "Wrote 1 example(s)" in printed and "skipped 1 already in the training data" in printed


def test_export_refuses_a_foreign_file(
    env: None, tracker_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(tracker_url, existing_example())
    main(["nlu", "inbox"])
    ids = inbox_ids(capsys.readouterr().out)
    main(["nlu", "label", str(ids["扣了我两次钱！！"]), "complain_billing"])
    capsys.readouterr()
    out_file = tmp_path / "stories.yml"
    for foreign in ('version: "3.1"\nnlu: []\nstories: []\n', 'version: "3.1"\nnlu: []\n'):
        out_file.write_text(foreign, encoding="utf-8")
        assert main(["nlu", "export", "--out", str(out_file)]) == 1
        assert "does not end with an nlu: list" in capsys.readouterr().err
        assert out_file.read_text(encoding="utf-8") == foreign
    # An empty nlu: key is fine to append to.
    out_file.write_text('version: "3.1"\nnlu:\n', encoding="utf-8")
    assert main(["nlu", "export", "--out", str(out_file)]) == 0
    document = yaml.safe_load(out_file.read_text(encoding="utf-8"))
    assert document["nlu"] == [{"intent": "complain_billing", "examples": "- 扣了我两次钱！！\n"}]


def test_normalise_and_example_text() -> None:
    assert nlu.normalise(" 订单号 [123](order_id)！ ") == nlu.normalise("订单号123!")
    assert nlu.example_text("a\nb\tc\x00d") == "a b cd"
    assert nlu.pseudonymise("座机010-12345678") == "座机010-00000000"
    assert nlu.pseudonymise("+86 138-1234-5678") == "+86 13800000000"
    assert nlu.pseudonymise("订单2023112400123") == "订单2023112400123"


def test_threshold_and_intents_from_project_files(tmp_path: Path) -> None:
    assert nlu.fallback_threshold(PROJECT_ROOT / "config.yml") > 0
    config = tmp_path / "config.yml"
    config.write_text("pipeline:\n- name: DIETClassifier\n", encoding="utf-8")
    assert nlu.fallback_threshold(config) == nlu.RASA_DEFAULT_FALLBACK_THRESHOLD
    assert "complain_quality" in nlu.domain_intents(PROJECT_ROOT / "domain.yml")
    domain = tmp_path / "domain.yml"
    domain.write_text("intents:\n- greet\n- inform:\n    use_entities: []\n", encoding="utf-8")
    assert nlu.domain_intents(domain) == {"greet", "inform"}


def test_emotion_names_agree_with_the_store() -> None:
    assert nlu.EMOTIONS == EMOTIONS
