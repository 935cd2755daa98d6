"""``python -m bot evaluate``: cross-validate the NLU pipeline on the project's own data."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.commands import Subparsers


def register(subparsers: Subparsers) -> None:
    """Add the ``evaluate`` command."""
    parser = subparsers.add_parser(
        "evaluate", help="stratified cross-validation of the NLU pipeline; reports to reports/nlu"
    )
    parser.add_argument("--folds", type=int, default=3, help="number of folds (default 3)")
    parser.add_argument("--out", type=Path, default=None, help="report folder")
    parser.set_defaults(handler=_evaluate)


def _evaluate(args: argparse.Namespace) -> int:
    import subprocess

    from bot.runner import child_env, rasa_executable
    from bot.settings import PROJECT_ROOT

    out = args.out or PROJECT_ROOT / "reports" / "nlu"
    command = [
        rasa_executable(), "test", "nlu", "--cross-validation", "--folds", str(args.folds),
        "--config", str(PROJECT_ROOT / "config.yml"), "--nlu", str(PROJECT_ROOT / "data" / "nlu"),
        "--domain", str(PROJECT_ROOT / "domain.yml"), "--out", str(out),
    ]  # fmt: skip
    code = subprocess.call(command, cwd=PROJECT_ROOT, env=child_env())
    if code == 0:
        print(f"Reports written to {out} (intent_report.json, confusion matrix, errors).")
    return code
