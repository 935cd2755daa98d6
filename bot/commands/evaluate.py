"""``python -m bot evaluate``: the project's NLU against Rasa's stock pipeline, held out."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.commands import Subparsers


def register(subparsers: Subparsers) -> None:
    """Add the ``evaluate`` command."""
    parser = subparsers.add_parser(
        "evaluate",
        help="train the project and the stock pipeline on one split, compare; reports/nlu/",
    )
    parser.add_argument("--out", type=Path, default=None, help="report folder (reports/nlu)")
    parser.add_argument(
        "--repeats",
        type=int,
        default=1,
        help="also score N-1 further stratified splits and report mean ± sd (N times slower)",
    )
    parser.set_defaults(handler=_evaluate)


def _evaluate(args: argparse.Namespace) -> int:
    from bot.nlu.evaluation import comparison, evaluate, register_breakdown, summary_table
    from bot.runner import child_env
    from bot.settings import PROJECT_ROOT

    out = args.out or PROJECT_ROOT / "reports" / "nlu"
    results = evaluate(out, child_env(), repeats=max(1, args.repeats))
    print()
    print(summary_table(results))
    print(comparison(results[0], results[1]))
    for result in results:
        print(f"hard cases by register, {result.name}: {register_breakdown(result)}")
    print(f"\nReports (per-intent F1, confusion matrix, confused pairs, errors): {out}")

    from bot.nlu.emotion_report import measure, render

    emotion = render(measure())
    print("\nEmotion and escalation threats\n" + emotion)
    with (out / "summary.md").open("a", encoding="utf-8") as summary:
        summary.write(f"\n## Emotion and escalation threats\n\n```\n{emotion}\n```\n")
    return 0
