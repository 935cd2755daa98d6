"""Held-out evaluation of the NLU pipeline against Rasa's stock Chinese pipeline.

`make evaluate` splits the project's NLU data (stratified by intent, fixed seed; messages that
are equal after normalisation stay on one side), trains both pipelines on the same 80 %, parses
the same 20 % and the hand-written hard cases in ``tests/nlu/hard_cases.yml`` with each, and
writes per-pipeline reports to ``reports/nlu/``: per-intent precision/recall/F1, a
confusion-matrix PNG, the most-confused pairs and every misclassified example — then prints both
pipelines side by side, with 95 % bootstrap intervals and a paired bootstrap of the difference
(``bot.nlu.eval_stats``). ``--repeats N`` repeats the whole comparison on N different splits
and reports mean ± sd (N times the run time).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.nlu.eval_stats import (
    Interval,
    PairedDifference,
    bootstrap_macro_f1,
    grouped_stratified_split,
    mean_and_sd,
    paired_difference,
)
from bot.settings import PROJECT_ROOT

COMPLAINT_PREFIX = "complain_"
SEED = 42
HARD_CASES = PROJECT_ROOT / "tests" / "nlu" / "hard_cases.yml"


@dataclass
class Prediction:
    """One parsed example."""

    text: str
    gold: str
    predicted: str
    confidence: float
    register: str = ""


@dataclass
class PipelineResult:
    """What one pipeline scored."""

    name: str
    predictions: list[Prediction]
    hard_cases: list[Prediction]
    latencies_ms: list[float]
    train_seconds: float
    report: dict[str, Any] = field(default_factory=dict)
    # Complaint macro-F1 of every split when `--repeats` > 1 (the first is this result's).
    repeat_scores: list[float] = field(default_factory=list)

    @property
    def interval(self) -> Interval:
        """Complaint macro-F1 with its 95 % bootstrap interval over the test messages."""
        return bootstrap_macro_f1(
            [p.gold for p in self.predictions], [p.predicted for p in self.predictions]
        )

    @property
    def min_complaint_support(self) -> int:
        """Fewest test messages of any complaint category (too few makes F1 meaningless)."""
        counts = Counter(p.gold for p in self.predictions if p.gold.startswith(COMPLAINT_PREFIX))
        return min(counts.values()) if counts else 0

    @property
    def complaint_macro_f1(self) -> float:
        """Macro-F1 over the seven complaint categories: the figure the product is judged on."""
        scores = [v["f1-score"] for k, v in self.report.items() if k.startswith(COMPLAINT_PREFIX)]
        return statistics.fmean(scores) if scores else 0.0

    @property
    def hard_case_pass_rate(self) -> float:
        """Share of hard cases whose intent was predicted right."""
        if not self.hard_cases:
            return 0.0
        return sum(p.gold == p.predicted for p in self.hard_cases) / len(self.hard_cases)


# DIET's epochs in the stock pipeline: the project's DIET had 20 (config.yml until 2026-12-07),
# and Rasa's default of 300 takes the 2 cores over half an hour on these data.
STOCK_DIET_EPOCHS = 20


def stock_config() -> dict[str, Any]:
    """Rasa's stock Chinese pipeline: JiebaTokenizer + CountVectors + DIET with defaults.

    Only DIET's epoch count is set: ``STOCK_DIET_EPOCHS``, what the project's own DIET trained
    while it had one, so the figures stay comparable with the earlier runs.
    """
    return {
        "recipe": "default.v1",
        "language": "zh",
        "pipeline": [
            {"name": "JiebaTokenizer"},
            {"name": "CountVectorsFeaturizer"},
            {"name": "DIETClassifier", "epochs": STOCK_DIET_EPOCHS, "random_seed": SEED},
        ],
        "policies": [],
    }


def split_data(
    out: Path, test_fraction: float = 0.2, seed: int = SEED, source: Path | None = None
) -> tuple[Path, Path]:
    """Write a stratified train/test split of ``source`` (default ``data/nlu``) as Rasa YAML.

    Messages that are the same after normalisation (「撤銷投訴」 and 「撤销投诉」) form one
    group and land on the same side, so no test message is a copy of a training message.
    """
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLWriter
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from bot.nlu.normalize import normalize

    data = load_data(str(source or PROJECT_ROOT / "data" / "nlu"))
    examples = list(data.intent_examples)
    keys = [normalize(example.get("text")).lower() for example in examples]
    labels = [example.get("intent") for example in examples]
    train_index, test_index = grouped_stratified_split(keys, labels, test_fraction, seed)
    train = [examples[i] for i in train_index]
    test = [examples[i] for i in test_index]
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, part in (("train", train), ("test", test)):
        subset = TrainingData(
            training_examples=part,
            entity_synonyms=data.entity_synonyms,
            regex_features=data.regex_features,
            lookup_tables=data.lookup_tables,
        )
        path = out / f"{name}.yml"
        path.write_text(RasaYAMLWriter().dumps(subset), encoding="utf-8")
        paths.append(path)
    return paths[0], paths[1]


def train_nlu(config: Path, nlu: Path, out: Path, name: str, env: dict[str, str]) -> float:
    """Train an NLU-only model with ``rasa train nlu``; return the wall time in seconds."""
    from bot.runner import rasa_executable

    started = time.perf_counter()
    subprocess.run(
        [
            rasa_executable(),
            "train",
            "nlu",
            "--config",
            str(config),
            "--nlu",
            str(nlu),
            "--out",
            str(out),
            "--fixed-model-name",
            name,
        ],  # fmt: skip
        cwd=PROJECT_ROOT,
        env=env,
        check=True,
    )
    return time.perf_counter() - started


async def parse_all(
    model: Path, cases: list[tuple[str, str, str]]
) -> tuple[list[Prediction], list[float]]:
    """Parse ``(text, gold, register)`` cases with a loaded model, timing each parse."""
    import logging

    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)  # one debug line per parse would bury the report

    agent = Agent.load(str(model))
    predictions, latencies = [], []
    for text, gold, register in cases:
        started = time.perf_counter()
        parsed = await agent.parse_message(text)
        latencies.append((time.perf_counter() - started) * 1000)
        intent = parsed.get("intent") or {}
        name = intent.get("name") or ""
        if name == "nlu_fallback":  # score the classifier, not the threshold
            ranking = parsed.get("intent_ranking") or []
            name = next((r["name"] for r in ranking if r["name"] != "nlu_fallback"), name)
        predictions.append(
            Prediction(text, gold, name, float(intent.get("confidence") or 0), register)
        )
    return predictions, latencies


def load_cases(path: Path) -> list[tuple[str, str, str]]:
    """Read ``(text, intent, register)`` from Rasa YAML test data or the hard-cases file."""
    if path == HARD_CASES:
        if not path.exists():
            return []
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return [(c["text"], c["intent"], c.get("register", "")) for c in raw.get("cases", [])]
    from rasa.shared.nlu.training_data.loading import load_data

    return [(e.get("text"), e.get("intent"), "") for e in load_data(str(path)).intent_examples]


def write_report(result: PipelineResult, out: Path) -> None:
    """Per-intent scores, confusion matrix PNG, confused pairs and errors for one pipeline."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay, classification_report

    out.mkdir(parents=True, exist_ok=True)
    gold = [p.gold for p in result.predictions]
    predicted = [p.predicted for p in result.predictions]
    labels = sorted(set(gold) | set(predicted))
    result.report = classification_report(
        gold, predicted, labels=labels, output_dict=True, zero_division=0
    )
    (out / "intent_report.json").write_text(
        json.dumps(result.report, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    figure, axes = plt.subplots(figsize=(12, 10))
    ConfusionMatrixDisplay.from_predictions(
        gold, predicted, labels=labels, ax=axes, xticks_rotation=90, colorbar=False
    )
    axes.set_title(f"{result.name}: intent confusion (held-out split)")
    figure.tight_layout()
    figure.savefig(out / "confusion_matrix.png", dpi=110)
    plt.close(figure)
    pairs = Counter((p.gold, p.predicted) for p in result.predictions if p.gold != p.predicted)
    errors = [
        {"text": p.text, "gold": p.gold, "predicted": p.predicted, "confidence": p.confidence}
        for p in [*result.predictions, *result.hard_cases]
        if p.gold != p.predicted
    ]
    (out / "confused_pairs.json").write_text(
        json.dumps(
            [{"gold": g, "predicted": pr, "count": n} for (g, pr), n in pairs.most_common(15)],
            ensure_ascii=False,
            indent=2,
        ),  # fmt: skip
        encoding="utf-8",
    )
    (out / "errors.json").write_text(
        json.dumps(errors, ensure_ascii=False, indent=2), encoding="utf-8"
    )


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0–100) by nearest rank."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def summary_table(results: list[PipelineResult]) -> str:
    """The side-by-side comparison printed at the end of `make evaluate`."""
    rows = [
        ("complaint macro-F1 (held-out)", lambda r: f"{r.complaint_macro_f1:.3f}"),
        ("  95% bootstrap interval", lambda r: f"[{r.interval.low:.3f}, {r.interval.high:.3f}]"),
        ("complaint test messages / cat.", lambda r: f">= {r.min_complaint_support}"),
        ("all-intent macro-F1", lambda r: f"{r.report.get('macro avg', {})['f1-score']:.3f}"),
        ("accuracy", lambda r: f"{r.report.get('accuracy', 0):.3f}"),
        ("hard cases passed", lambda r: f"{sum(p.gold == p.predicted for p in r.hard_cases)}"
                                        f"/{len(r.hard_cases)} ({r.hard_case_pass_rate:.0%})"),
        ("parse p50 / p95 (ms)", lambda r: f"{percentile(r.latencies_ms, 50):.1f} / "
                                           f"{percentile(r.latencies_ms, 95):.1f}"),
        ("training time (s)", lambda r: f"{r.train_seconds:.0f}"),
    ]  # fmt: skip
    if any(len(r.repeat_scores) > 1 for r in results):
        n = max(len(r.repeat_scores) for r in results)
        rows.insert(2, (f"  mean ± sd over {n} splits", _mean_sd_cell))
    width = 32
    lines = [f"{'':{width}}" + "".join(f"{r.name:>22}" for r in results)]
    for label, cell in rows:
        lines.append(f"{label:{width}}" + "".join(f"{cell(r):>22}" for r in results))
    return "\n".join(lines)


def _mean_sd_cell(result: PipelineResult) -> str:
    mean, sd = mean_and_sd(result.repeat_scores)
    return f"{mean:.3f} ± {sd:.3f}"


def comparison(project: PipelineResult, stock: PipelineResult) -> str:
    """One line: the complaint macro-F1 difference with its paired bootstrap interval."""
    if [p.text for p in project.predictions] != [p.text for p in stock.predictions]:
        raise ValueError("both pipelines must be scored on the same test messages")
    diff: PairedDifference = paired_difference(
        [p.gold for p in project.predictions],
        [p.predicted for p in project.predictions],
        [p.predicted for p in stock.predictions],
    )
    value, low, high = diff.interval.value, diff.interval.low, diff.interval.high
    return (
        f"{project.name} - {stock.name}, complaint macro-F1: {value:+.3f} "
        f"(95% paired bootstrap [{low:+.3f}, {high:+.3f}]; {project.name} ahead in "
        f"{diff.share_a_ahead:.0%} of resamples)"
    )


def register_breakdown(result: PipelineResult) -> str:
    """Hard-case pass rate per register (Traditional, typos, emoji …)."""
    totals: Counter[str] = Counter(p.register for p in result.hard_cases)
    passed: Counter[str] = Counter(p.register for p in result.hard_cases if p.gold == p.predicted)
    return ", ".join(f"{reg} {passed[reg]}/{n}" for reg, n in sorted(totals.items()))


def _run_split(out: Path, env: dict[str, str], seed: int, full: bool) -> list[PipelineResult]:
    """Train and score both pipelines on one split; ``full`` adds hard cases and reports."""
    train, test = split_data(out / "split", seed=seed)
    stock = out / "stock_config.yml"
    stock.write_text(yaml.safe_dump(stock_config()), encoding="utf-8")
    models = out / "models"
    results = []
    for name, config in (("project", PROJECT_ROOT / "config.yml"), ("rasa-stock", stock)):
        seconds = train_nlu(config, train, models, name, env)
        model = models / f"{name}.tar.gz"
        predictions, latencies = asyncio.run(parse_all(model, load_cases(test)))
        hard = asyncio.run(parse_all(model, load_cases(HARD_CASES)))[0] if full else []
        result = PipelineResult(name, predictions, hard, latencies, seconds)
        if full:
            write_report(result, out / name)
        results.append(result)
    return results


def evaluate(out: Path, env: dict[str, str], repeats: int = 1) -> list[PipelineResult]:
    """Run the whole comparison and write ``out``; return both pipelines' results.

    With ``repeats`` > 1 the comparison runs again on ``repeats - 1`` further stratified splits
    (other seeds; models and splits under ``out/repeats``) and each result carries the complaint
    macro-F1 of every split; the reports describe the first split.
    """
    from bot.nlu.eval_stats import complaint_macro_f1

    results = _run_split(out, env, SEED, full=True)
    if repeats > 1:
        for result in results:
            result.repeat_scores = [result.complaint_macro_f1]
        for repeat in range(1, repeats):
            again = _run_split(out / "repeats" / f"split-{repeat}", env, SEED + repeat, full=False)
            for result, other in zip(results, again, strict=True):
                result.repeat_scores.append(
                    complaint_macro_f1(
                        [p.gold for p in other.predictions],
                        [p.predicted for p in other.predictions],
                    )
                )
    summary = summary_table(results)
    breakdown = "\n".join(f"{r.name}: {register_breakdown(r)}" for r in results)
    versus = comparison(results[0], results[1])
    (out / "summary.md").write_text(
        f"# NLU evaluation\n\n```\n{summary}\n```\n\n{versus}\n\nHard cases by register:\n\n"
        f"```\n{breakdown}\n```\n",
        encoding="utf-8",
    )
    return results
