"""Held-out evaluation of the emotion model (``python -m bot.nlu.emotion_data --evaluate``).

Two figures, because the corpora and the product's chat differ:

1. **Weibo hold-out**: train on 80 % of the corpus rows (stratified, fixed seed) plus every
   service phrase, score macro-F1 over the five emotions on the other 20 %.
2. **Service phrases, k-fold**: train on that same 80 % plus k−1 folds of the phrases, predict
   the held-out fold; macro-F1 over all folds together, plus intensity agreement.

For scale: two people labelling real messages blind agree at macro-F1 ≈ 0.77 (DESIGN §6).
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bot.nlu.emotion_data import EMOTION_DIR
from bot.nlu.emotion_lexicon import EMOTIONS, Lexicon
from bot.nlu.emotion_model import EmotionModel, subsample

Row = Mapping[str, Any]


def default_config() -> dict[str, Any]:
    """The component's defaults (imported lazily: it pulls in Rasa)."""
    from bot.nlu.emotion import EmotionClassifier

    return EmotionClassifier.get_default_config()


def make_model(config: Mapping[str, Any], lexicon_dir: Path) -> EmotionModel:
    """An untrained model with the lexicon options of ``config``."""
    lexicon = Lexicon.from_dir(
        lexicon_dir,
        degree_weights=config["degree_weights"],
        window=int(config["negation_window"]),
        negated_positive_factor=float(config["negated_positive_factor"]),
    )
    return EmotionModel(config, lexicon)


def stratified_split(rows: Sequence[Row], share: float, seed: int) -> tuple[list[Row], list[Row]]:
    """(train, test) with ``share`` of each emotion in test."""
    rng = random.Random(seed)
    train: list[Row] = []
    test: list[Row] = []
    for label in EMOTIONS:
        group = [r for r in rows if r["emotion"] == label]
        rng.shuffle(group)
        cut = round(len(group) * share)
        test += group[:cut]
        train += group[cut:]
    return train, test


def folds(rows: Sequence[Row], k: int, seed: int) -> list[list[Row]]:
    """``k`` folds, each emotion spread evenly across them."""
    rng = random.Random(seed)
    out: list[list[Row]] = [[] for _ in range(k)]
    for label in EMOTIONS:
        group = [r for r in rows if r["emotion"] == label]
        rng.shuffle(group)
        for index, row in enumerate(group):
            out[index % k].append(row)
    return out


def report(title: str, gold: Sequence[str], predicted: Sequence[str]) -> float:
    """Print macro-F1, per-emotion F1 and the confusion matrix; return macro-F1."""
    from sklearn.metrics import confusion_matrix, f1_score

    macro = float(f1_score(gold, predicted, labels=list(EMOTIONS), average="macro"))
    per_label = f1_score(gold, predicted, labels=list(EMOTIONS), average=None)
    print(f"\n{title}: macro-F1 {macro:.3f} on {len(gold)} messages")
    print(
        "  "
        + "  ".join(
            f"{label} {score:.2f}" for label, score in zip(EMOTIONS, per_label, strict=True)
        )
    )
    matrix = confusion_matrix(gold, predicted, labels=list(EMOTIONS))
    print("  gold \\ predicted " + " ".join(f"{label[:7]:>8}" for label in EMOTIONS))
    for label, line in zip(EMOTIONS, matrix, strict=True):
        print(f"  {label:>17} " + " ".join(f"{count:>8}" for count in line))
    return macro


def evaluate(
    rows: Sequence[Row], max_examples: int | None = None, k: int = 5, seed: int = 42
) -> dict[str, float]:
    """Run both evaluations, print them, return the headline figures."""
    config = {**default_config(), "max_examples": None}
    lexicon_dir = EMOTION_DIR / "lexicon"
    corpus = [r for r in rows if r.get("source") != "service"]
    service = [r for r in rows if r.get("source") == "service"]
    if max_examples:
        corpus = subsample(corpus, max_examples, seed)
    train, test = stratified_split(corpus, 0.2, seed)

    started = time.perf_counter()
    model = make_model(config, lexicon_dir).fit([*train, *service])
    seconds = time.perf_counter() - started
    print(f"trained on {len(train)} corpus + {len(service)} service rows in {seconds:.1f} s")
    predicted = [p.name for p in model.predict([r["text"] for r in test])]
    weibo = report("Weibo hold-out (20 %)", [r["emotion"] for r in test], predicted)

    gold: list[str] = []
    guessed: list[str] = []
    intensity_hits = intensity_total = 0
    parts = folds(service, k, seed)
    for index, part in enumerate(parts):
        rest = [r for j, other in enumerate(parts) if j != index for r in other]
        fold_model = make_model(config, lexicon_dir).fit([*train, *rest])
        for row, prediction in zip(
            part, fold_model.predict([r["text"] for r in part]), strict=True
        ):
            gold.append(row["emotion"])
            guessed.append(prediction.name)
            if row["emotion"] != "neutral" and prediction.name == row["emotion"]:
                intensity_total += 1
                intensity_hits += int(prediction.intensity == int(row["intensity"]))
    phrases = report(f"Service phrases ({k}-fold)", gold, guessed)
    agreement = intensity_hits / max(intensity_total, 1)
    print(
        f"  intensity exact on {intensity_total} correctly-named non-neutral phrases: "
        f"{agreement:.2f}"
    )
    print("\nhuman agreement for scale (DESIGN §6): macro-F1 ≈ 0.77")
    return {"weibo_macro_f1": weibo, "service_macro_f1": phrases, "intensity": agreement}
