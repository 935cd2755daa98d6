"""Build and evaluate the emotion training data in ``data/emotion/``.

``python -m bot.nlu.emotion_data`` reads the public corpora and lexicons under
``../shared/datasets`` (see ``data/emotion/README.md`` for sources), maps them to the
product's five emotions, and writes:

- ``data/emotion/train.jsonl``: ``{"text", "emotion", "intensity", "source"}`` per line —
  Weibo posts sampled per emotion (intensity ``null``: the corpora have none) followed by the
  hand-written ``service_phrases.yml`` (source ``service``, intensity 1–3);
- ``data/emotion/lexicon/{dutir.tsv,degree.tsv,negation.txt,weak_negation.tsv}``.

The hand-written lexicon files (``service_words.tsv``, ``degree_post.tsv``, ``insults.txt``,
``emoji.tsv``) are never overwritten. ``--phrases-only`` re-reads only the service phrases
(no shared/ needed). ``--evaluate`` prints held-out macro-F1 (see ``evaluate``).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import sys
import time
import xml.etree.ElementTree as ET
import zipfile
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import yaml

from bot.nlu.emotion_lexicon import EMOTIONS
from bot.nlu.normalize import normalize
from bot.settings import PROJECT_ROOT

EMOTION_DIR = PROJECT_ROOT / "data" / "emotion"
SHARED = PROJECT_ROOT.parent / "shared" / "datasets"
SEED = 42

# datasets/README.md: angry/anger/disgust → anger; fear → anxiety; sad/sadness → sadness;
# neutral/none → neutral; happy/happiness/like → positive; surprise dropped (no stable meaning).
LABELS = {
    "angry": "anger",
    "anger": "anger",
    "disgust": "anger",
    "fear": "anxiety",
    "sad": "sadness",
    "sadness": "sadness",
    "neutral": "neutral",
    "none": "neutral",
    "happy": "positive",
    "happiness": "positive",
    "like": "positive",
}
# DUTIR class codes → our emotions. 烦闷 (NE) holds both 生气 and 担心: anger by default,
# service_words.tsv re-labels the worry words. 怀疑/疚/羞/妒忌/思/惊奇 have no counterpart.
DUTIR_CLASSES = {
    "NA": "anger",  # 愤怒
    "NE": "anger",  # 烦闷
    "ND": "anger",  # 贬责
    "NN": "anger",  # 憎恶
    "NI": "anxiety",  # 慌
    "NC": "anxiety",  # 恐惧
    "NB": "sadness",  # 悲伤
    "NJ": "sadness",  # 失望
    **dict.fromkeys(("PA", "PE", "PD", "PH", "PG", "PB", "PK"), "positive"),  # 乐/好
}
HOWNET_LEVELS = ("extreme", "very", "more", "ish", "insufficiently", "over")
# Listed as negation words upstream but, in complaints, verbs whose object is the complaint
# itself (「拒绝退款」「停止发货」 are not 'not refund') or not negations at all (不好 is a word).
NEGATION_EXCLUDED = {"不好", "放下", "扼杀", "终止", "停止", "放弃", "反对", "拒绝", "杜绝", "禁止"}
# 「聊」 is HowNet's "hardly" but in chat it is 聊天 (chatting).
NEGATION_EXCLUDED |= {"忌", "反", "缺乏", "缺少", "难以", "聊"}

_URL = re.compile(r"https?://\S+|www\.\S+")
_MENTION = re.compile(r"(?:回复)?@[\w\-]{1,30}[:：]?|//")
_HASHTAG = re.compile(r"#([^#]{1,30})#")
_SPACE = re.compile(r"\s+")


# --- corpora ------------------------------------------------------------------------------


def clean_post(text: str, limit: int = 200) -> str:
    """Strip what customers never type (links, @mentions, retweet marks), cap the length."""
    text = _URL.sub(" ", text)
    text = _MENTION.sub(" ", text)
    text = _HASHTAG.sub(r"\1", text)
    return _SPACE.sub(" ", text).strip()[:limit]


def read_corpora(shared: Path) -> Iterator[tuple[str, str, str]]:
    """(text, raw label, corpus name) from every emotion corpus."""
    folder = shared / "emotion"
    for name in ("ewect_usual_eval", "ewect_virus_train", "ewect_virus_eval"):
        for row in json.loads((folder / f"{name}.json").read_text(encoding="utf-8")):
            yield row["content"], row["label"], name
    with (folder / "clue_emotion_valid.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                row = json.loads(line)
                yield row["content"], row["label"], "clue_emotion_valid"
    with (folder / "nlpcc2013_train.csv").open(encoding="utf-8", newline="") as handle:
        for label, text in csv.reader(handle):
            if label != "标签":
                yield text, label, "nlpcc2013_train"


def corpus_rows(shared: Path, cap: int, seed: int = SEED) -> list[dict[str, Any]]:
    """Mapped, cleaned, de-duplicated Weibo rows, at most ``cap`` per emotion."""
    seen: set[str] = set()
    by_label: dict[str, list[dict[str, Any]]] = {}
    for text, raw, corpus in read_corpora(shared):
        label = LABELS.get(raw.strip().lower())
        clean = clean_post(text)
        key = normalize(clean)
        if label is None or len(clean) < 4 or key in seen:
            continue
        seen.add(key)
        row = {"text": clean, "emotion": label, "intensity": None, "source": corpus}
        by_label.setdefault(label, []).append(row)
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    for label in EMOTIONS:
        group = by_label.get(label, [])
        rows += rng.sample(group, min(cap, len(group)))
    return rows


def service_rows(path: Path = EMOTION_DIR / "service_phrases.yml") -> list[dict[str, Any]]:
    """The hand-written phrases: ``phrases: {emotion: {intensity: [text, …]}}``."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    rows = []
    for emotion, by_intensity in data["phrases"].items():
        if emotion not in EMOTIONS:
            raise ValueError(f"{path}: unknown emotion {emotion!r}")
        for intensity, texts in by_intensity.items():
            if int(intensity) not in (1, 2, 3) or (emotion == "neutral" and int(intensity) != 1):
                raise ValueError(f"{path}: bad intensity {intensity!r} for {emotion}")
            for text in texts:
                rows.append(
                    {
                        "text": str(text),
                        "emotion": emotion,
                        "intensity": int(intensity),
                        "source": "service",
                    }
                )
    return rows


def read_train(path: Path = EMOTION_DIR / "train.jsonl") -> list[dict[str, Any]]:
    """Rows of a train.jsonl."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def write_train(rows: Sequence[dict[str, Any]], path: Path) -> None:
    """One JSON object per line, UTF-8, in a stable order."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


# --- lexicons -----------------------------------------------------------------------------


def read_xlsx(path: Path) -> list[list[str]]:
    """Rows of the first sheet, with the standard library (no openpyxl in the venv).

    Cells are read as text, so DUTIR's anger class code "NA" is not taken for a missing value.
    """
    ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    with zipfile.ZipFile(path) as book:
        strings = [
            "".join(t.text or "" for t in item.iter(f"{ns}t"))
            for item in ET.fromstring(book.read("xl/sharedStrings.xml")).iter(f"{ns}si")
        ]
        sheet = ET.fromstring(book.read("xl/worksheets/sheet1.xml"))
    rows = []
    for row in sheet.iter(f"{ns}row"):
        cells: dict[int, str] = {}
        for cell in row.iter(f"{ns}c"):
            value = cell.find(f"{ns}v")
            if value is None or value.text is None:
                continue
            column = re.match(r"[A-Z]+", cell.get("r", "A")).group(0)  # type: ignore[union-attr]
            index = ord(column[-1]) - ord("A") if len(column) == 1 else 26
            text = strings[int(value.text)] if cell.get("t") == "s" else value.text
            cells[index] = text.strip()
        rows.append([cells.get(i, "") for i in range(max(cells, default=-1) + 1)])
    return rows


def build_lexicon(shared: Path, out: Path) -> dict[str, int]:
    """Write the derived lexicon files; returns the number of entries of each."""
    out.mkdir(parents=True, exist_ok=True)
    lexicons = shared / "lexicons"
    dutir: dict[str, tuple[str, int, str]] = {}
    for row in read_xlsx(lexicons / "dutir" / "dutir_情感词汇本体.xlsx")[1:]:
        word, code, strength = (
            row[0],
            row[4] if len(row) > 4 else "",
            row[5] if len(row) > 5 else "",
        )
        label = DUTIR_CLASSES.get(code)
        # Idioms of up to four characters; longer entries are literary and never matched.
        if not word or label is None or not strength.isdigit() or len(word) > 4:
            continue
        old = dutir.get(word)
        if old is None or int(strength) > old[1]:  # several senses: keep the strongest
            dutir[word] = (label, int(strength), code)
    with (out / "dutir.tsv").open("w", encoding="utf-8") as handle:
        handle.write("word\temotion\tintensity\tdutir_class\n")
        for word in sorted(dutir):
            emotion, intensity, dutir_class = dutir[word]
            handle.write(f"{word}\t{emotion}\t{intensity}\t{dutir_class}\n")

    degree: dict[str, str] = {}
    level_index = -1
    text = (lexicons / "hownet" / "程度级别词语（中文）.txt").read_bytes().decode("gbk")
    for line in text.splitlines():
        line = line.strip()
        if re.match(r"^\d\.", line):
            level_index += 1
        elif line and level_index >= 0 and " " not in line:
            degree.setdefault(line, HOWNET_LEVELS[level_index])  # first = strongest level
    negations = []
    for line in (lexicons / "degree_negation" / "否定词.txt").read_text("utf-8-sig").splitlines():
        word = line.strip()
        if word and word not in NEGATION_EXCLUDED and word not in negations:
            negations.append(word)
    weak = sorted(w for w in negations if degree.get(w) == "insufficiently")
    with (out / "degree.tsv").open("w", encoding="utf-8") as handle:
        handle.write("word\tlevel\n")
        for word, level in degree.items():
            if word not in weak:
                handle.write(f"{word}\t{level}\n")
    (out / "negation.txt").write_text(
        "\n".join(w for w in negations if w not in weak) + "\n", encoding="utf-8"
    )
    with (out / "weak_negation.tsv").open("w", encoding="utf-8") as handle:
        handle.write("word\tweight\n" + "".join(f"{w}\t0.5\n" for w in weak))
    return {"dutir": len(dutir), "degree": len(degree) - len(weak), "negation": len(negations)}


# --- command line ---------------------------------------------------------------------------


def build(shared: Path, cap: int, phrases_only: bool) -> None:
    """Rebuild train.jsonl (and the derived lexicon files unless ``phrases_only``)."""
    path = EMOTION_DIR / "train.jsonl"
    if phrases_only:
        corpus = [r for r in read_train(path) if r.get("source") != "service"]
    else:
        print("lexicon:", build_lexicon(shared, EMOTION_DIR / "lexicon"))
        corpus = corpus_rows(shared, cap)
    service = service_rows()
    write_train(corpus + service, path)
    size = path.stat().st_size / 1e6
    print(f"{path}: {len(corpus)} corpus + {len(service)} service rows, {size:.2f} MB")
    print("corpus:", dict(Counter(r["emotion"] for r in corpus)))
    print("service:", dict(Counter(r["emotion"] for r in service)))


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m bot.nlu.emotion_data [--evaluate]``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared", type=Path, default=SHARED, help="shared/datasets folder")
    parser.add_argument("--cap", type=int, default=3200, help="corpus rows per emotion")
    parser.add_argument("--phrases-only", action="store_true", help="re-read only the phrases")
    parser.add_argument("--evaluate", action="store_true", help="print held-out macro-F1")
    parser.add_argument("--max-examples", type=int, default=None, help="subsample for --evaluate")
    parser.add_argument("--folds", type=int, default=5, help="CV folds over service phrases")
    args = parser.parse_args(argv)
    if args.evaluate:
        from bot.nlu.emotion_eval import evaluate

        started = time.perf_counter()
        evaluate(read_train(EMOTION_DIR / "train.jsonl"), args.max_examples, args.folds)
        print(f"({time.perf_counter() - started:.0f} s)")
        return 0
    if not args.phrases_only and not args.shared.is_dir():
        print(f"no datasets at {args.shared} (use --shared or --phrases-only)", file=sys.stderr)
        return 2
    build(args.shared, args.cap, args.phrases_only)
    return 0


if __name__ == "__main__":
    sys.exit(main())
