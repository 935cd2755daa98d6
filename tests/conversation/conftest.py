"""A small real model, trained once per test session, for the conversation tests.

The pipeline is config.yml with fewer epochs, so CI on two cores trains it in minutes.
Rasa skips retraining when data and config are unchanged, so local re-runs are quick.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from bot.runner import child_env, rasa_executable
from bot.settings import PROJECT_ROOT

TEST_MODELS = PROJECT_ROOT / "var" / "test-models"
EPOCHS = {"DIETClassifier": 40, "TEDPolicy": 20}


def small_config(target: Path) -> Path:
    """Write config.yml with the epoch counts of ``EPOCHS`` to ``target``."""
    config = yaml.safe_load((PROJECT_ROOT / "config.yml").read_text(encoding="utf-8"))
    for component in [*config["pipeline"], *config["policies"]]:
        if component["name"] in EPOCHS:
            component["epochs"] = EPOCHS[component["name"]]
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return target


@pytest.fixture(scope="session")
def trained_model() -> Path:
    """Path of a model trained on the project's data with the small config."""
    config = small_config(TEST_MODELS / "config.yml")
    result = subprocess.run(
        [
            rasa_executable(),
            "train",
            "--config",
            str(config),
            "--domain",
            str(PROJECT_ROOT / "domain.yml"),
            "--data",
            str(PROJECT_ROOT / "data"),
            "--out",
            str(TEST_MODELS),
            "--fixed-model-name",
            "test-model",
        ],  # fmt: skip
        cwd=PROJECT_ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=1800,
    )
    model = TEST_MODELS / "test-model.tar.gz"
    assert result.returncode == 0 and model.exists(), result.stdout[-3000:] + result.stderr[-3000:]
    return model
