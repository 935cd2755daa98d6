"""The pieces of `make evaluate` that do not need a trained model."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from rasa.shared.nlu.training_data.loading import load_data

from bot.nlu.evaluation import (
    PipelineResult,
    Prediction,
    comparison,
    percentile,
    split_data,
    stock_config,
    summary_table,
    write_report,
)
from bot.nlu.normalize import normalize


def test_split_is_stratified_and_disjoint(tmp_path: Path) -> None:
    train_path, test_path = split_data(tmp_path)
    train = load_data(str(train_path))
    test = load_data(str(test_path))
    train_texts = {e.get("text") for e in train.intent_examples}
    test_texts = {e.get("text") for e in test.intent_examples}
    assert not train_texts & test_texts
    test_counts = Counter(e.get("intent") for e in test.intent_examples)
    train_counts = Counter(e.get("intent") for e in train.intent_examples)
    for intent, n in test_counts.items():
        share = n / (n + train_counts[intent])
        assert 0.1 <= share <= 0.3, (intent, share)
    assert train.regex_features and train.entity_synonyms  # entities still trainable
    # Traditional/Simplified twins (「撤銷投訴」「撤销投诉」) never straddle the split.
    train_keys = {normalize(t).lower() for t in train_texts}
    assert not train_keys & {normalize(t).lower() for t in test_texts}
    complaint_counts = [n for intent, n in test_counts.items() if intent.startswith("complain_")]
    assert len(complaint_counts) == 7 and min(complaint_counts) >= 30  # F1 needs enough cases


def test_stock_pipeline_is_rasa_default_chinese() -> None:
    names = [c["name"] for c in stock_config()["pipeline"]]
    assert names == ["JiebaTokenizer", "CountVectorsFeaturizer", "DIETClassifier"]


def test_percentile() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 95) == 95.0
    assert percentile([], 95) == 0.0


def test_report_and_summary(tmp_path: Path) -> None:
    predictions = [
        Prediction("a", "complain_refund", "complain_refund", 0.9),
        Prediction("b", "complain_refund", "complain_billing", 0.6),
        Prediction("c", "complain_billing", "complain_billing", 0.8),
        Prediction("d", "greet", "greet", 0.99),
    ]
    hard = [Prediction("e", "complain_refund", "complain_refund", 0.7, "traditional")]
    result = PipelineResult("project", predictions, hard, [5.0, 7.0], 12.0)
    write_report(result, tmp_path)
    assert (tmp_path / "confusion_matrix.png").stat().st_size > 1000
    assert "complain_refund" in (tmp_path / "confused_pairs.json").read_text(encoding="utf-8")
    assert 0 < result.complaint_macro_f1 < 1
    table = summary_table([result])
    assert "complaint macro-F1" in table and "1/1 (100%)" in table
    assert "95% bootstrap interval" in table and "mean ± sd" not in table
    result.repeat_scores = [0.5, 0.7]
    assert "0.600 ± 0.141" in summary_table([result])


def test_comparison_is_paired_on_the_same_messages() -> None:
    gold = ["complain_refund", "complain_billing"] * 20
    good = PipelineResult("project", [Prediction(str(i), g, g, 1.0) for i, g in enumerate(gold)],
                          [], [], 0.0)  # fmt: skip
    bad = PipelineResult("rasa-stock", [Prediction(str(i), g, "greet", 1.0)
                                        for i, g in enumerate(gold)], [], [], 0.0)  # fmt: skip
    line = comparison(good, bad)
    assert line.startswith("project - rasa-stock, complaint macro-F1: +1.000") and "100%" in line
    shuffled = PipelineResult("rasa-stock", list(reversed(bad.predictions)), [], [], 0.0)
    with pytest.raises(ValueError):
        comparison(good, shuffled)
