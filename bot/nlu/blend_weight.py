"""Choose the linear classifier's ``diet_weight`` without touching the evaluation's test part.

``python -m bot.nlu.blend_weight`` takes the training part of `make evaluate`'s split (seed 42),
splits it again (grouped and stratified, other seeds) into inner training and validation parts,
trains the project pipeline on each inner training part and parses the inner validation part
twice: once with DIET's ranking alone (weight 1) and once with the SVM's alone (weight 0). Every
weight in between is then scored offline, as the blend is a per-intent weighted average. It
prints the complaint macro-F1 of each weight per inner split and their mean. The evaluation's
test part and the hard cases are never read.

config.yml has had no DIET since 2026-12-07 (the SVM with the sentence encoder scored above
every blend): give ``--config`` a pipeline with ``DIETClassifier`` before the linear classifier
to weigh one again.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from bot.nlu.eval_stats import complaint_macro_f1
from bot.nlu.evaluation import SEED, load_cases, split_data, train_nlu
from bot.settings import PROJECT_ROOT

WEIGHTS = [round(0.1 * step, 1) for step in range(11)]
Ranking = dict[str, float]


async def _rankings(model: Path, texts: list[str]) -> tuple[list[Ranking], list[Ranking]]:
    """DIET's and the SVM's full rankings of ``texts`` (nlu_fallback left out)."""
    import logging

    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    from bot.nlu.linear_intent import LinearIntentClassifier

    configure_structlog(logging.WARNING)
    agent = Agent.load(str(model))
    assert agent.processor is not None
    nodes = agent.processor.graph_runner._instantiated_nodes.values()  # type: ignore[attr-defined]
    linear = next(n._component for n in nodes if isinstance(n._component, LinearIntentClassifier))
    linear.config["ranking_length"] = 0
    passes: list[list[Ranking]] = []
    for weight in (1.0, 0.0):
        linear.config["diet_weight"] = weight
        rankings = []
        for text in texts:
            parsed = await agent.parse_message(text)
            rankings.append(
                {
                    r["name"]: float(r["confidence"])
                    for r in parsed.get("intent_ranking") or []
                    if r["name"] != "nlu_fallback"
                }
            )
        passes.append(rankings)
    return passes[0], passes[1]


def best_of(diet: Ranking, linear: Ranking, weight: float) -> str:
    """The intent the blend with ``weight`` on DIET ranks first."""
    names = set(diet) | set(linear)
    return max(names, key=lambda n: weight * diet.get(n, 0.0) + (1 - weight) * linear.get(n, 0.0))


def scores_by_weight(gold: list[str], diet: list[Ranking], linear: list[Ranking]) -> list[float]:
    """Complaint macro-F1 of the blend for each weight in ``WEIGHTS``."""
    return [
        complaint_macro_f1(gold, [best_of(d, s, w) for d, s in zip(diet, linear, strict=True)])
        for w in WEIGHTS
    ]


def run(
    out: Path, seeds: list[int], env: dict[str, str], config: Path = PROJECT_ROOT / "config.yml"
) -> list[list[float]]:
    """Scores per inner split (rows) and weight (columns); printed as they come.

    ``config`` may be a variant of the project's pipeline (e.g. fewer DIET epochs), so that a
    setting is chosen on the same inner splits as the weight.
    """
    outer_train, _ = split_data(out / "outer", seed=SEED)
    table = []
    for seed in seeds:
        train, valid = split_data(out / f"inner-{seed}", seed=seed, source=outer_train)
        train_nlu(config, train, out / "models", f"inner-{seed}", env)
        cases = load_cases(valid)
        diet, linear = asyncio.run(
            _rankings(out / "models" / f"inner-{seed}.tar.gz", [c[0] for c in cases])
        )
        row = scores_by_weight([c[1] for c in cases], diet, linear)
        table.append(row)
        print(f"inner split seed {seed}: " + _cells(row), flush=True)
    return table


def has_diet(config: Path) -> bool:
    """Whether the pipeline of ``config`` has a DIETClassifier."""
    pipeline = (yaml.safe_load(config.read_text(encoding="utf-8")) or {}).get("pipeline") or []
    return any(component.get("name") == "DIETClassifier" for component in pipeline)


def _cells(row: list[float]) -> str:
    return "  ".join(f"w={w:.1f} {score:.3f}" for w, score in zip(WEIGHTS, row, strict=True))


def main(argv: list[str] | None = None) -> int:
    """Print complaint macro-F1 per DIET weight, per inner split and averaged."""
    from bot.runner import child_env

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument(
        "--config", type=Path, default=PROJECT_ROOT / "config.yml", help="pipeline to score"
    )
    args = parser.parse_args(argv)
    if not has_diet(args.config):
        print(f"{args.config} has no DIETClassifier: there is no blend to weigh", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="blend-weight-") as folder:
        table = run(Path(folder), args.seeds, child_env(), args.config.resolve())
    means: list[Any] = [statistics.fmean(column) for column in zip(*table, strict=True)]
    print("mean over inner splits: " + _cells(means))
    print(f"best diet_weight: {WEIGHTS[means.index(max(means))]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
