"""Conversation behaviour: the Chinese test stories in tests/stories, and `rasa data validate`."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import yaml

from bot.runner import child_env, rasa_executable
from bot.settings import PROJECT_ROOT


def run_rasa(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [rasa_executable(), *args],
        cwd=PROJECT_ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=1200,
    )


def test_story_tests_pass(trained_model: Path, tmp_path: Path) -> None:
    result = run_rasa(
        "test",
        "core",
        "--model",
        str(trained_model),
        "--stories",
        str(PROJECT_ROOT / "tests" / "stories"),
        "--out",
        str(tmp_path),
        "--fail-on-prediction-errors",
    )
    output = result.stdout + result.stderr
    start = output.find("WrongPredictionException")
    details = output[start : start + 4000] if start >= 0 else output[-4000:]
    assert result.returncode == 0, "\n".join(
        line for line in details.splitlines() if "it/s" not in line
    )


def _responses_sent_by_code() -> set[str]:
    """Responses sent by actions, form asks or the policy, which no story names."""
    sources = [
        *(PROJECT_ROOT / "actions").glob("*.py"),
        *(PROJECT_ROOT / "bot" / "policies").glob("*.py"),
    ]
    code = "\n".join(p.read_text(encoding="utf-8") for p in sources)
    used = set(re.findall(r"utter_[a-z_]+", code))
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    for form in domain.get("forms", {}).values():
        used |= {f"utter_ask_{slot}" for slot in form["required_slots"]}
    for prefix in ("utter_invalid_", "utter_skip_", "utter_ask_"):
        if "f\"utter_{'invalid' if" in code or "utter_skip_{slot}" in code:
            used |= {name for name in domain["responses"] if name.startswith(prefix)}
    used.add("utter_default")  # Rasa's action_default_fallback sends it
    return used


def test_data_validates() -> None:
    result = run_rasa("data", "validate")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    output = result.stdout + result.stderr
    unused = set(re.findall(r"The utterance '(\w+)' is not used in any story or rule", output))
    assert unused <= _responses_sent_by_code(), f"responses nobody sends: {unused}"
    other_warnings = [
        line
        for line in output.splitlines()
        if "UserWarning" in line
        and "is not used in any story or rule" not in line
        # Intents the console triggers through the HTTP API have no NLU examples by design.
        and not re.search(r"The intent 'EXTERNAL_\w+' is listed in the domain file", line)
    ]
    assert not other_warnings, other_warnings
