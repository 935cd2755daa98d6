"""A stock Rasa bot to measure ours against: Rasa's plain Chinese pipeline, its default
policies and a plain form whose submit action writes one row — no emotion model, no
de-escalation policy, no validation, no idempotency, no encryption.

It trains on the same NLU examples as ours, so the comparison is about what our product adds
per turn, not about the data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.nlu.evaluation import stock_config
from bot.settings import PROJECT_ROOT

COMPLAINT_INTENTS = (
    "complain_quality", "complain_delivery", "complain_billing", "complain_refund",
    "complain_service", "complain_promise", "complain_other",
)  # fmt: skip
#: The stock bot's action server loads only this module.
ACTIONS_MODULE = "bot.bench.stock_actions"


def _form_slot(name: str) -> dict[str, Any]:
    return {
        "type": "text",
        "influence_conversation": False,
        "mappings": [
            {
                "type": "from_text",
                "conditions": [{"active_loop": "stock_form", "requested_slot": name}],
            }
        ],
    }


def write_project(root: Path, epochs: int | None = None) -> dict[str, Path]:
    """Write the stock bot's config, domain and rules into ``root``; return their paths.

    Args:
        root: Folder to write into.
        epochs: Train DIET and TED this many epochs instead of as long as ours. A model's
            per-message cost does not depend on how long it trained, so a few epochs are
            enough when only latency is compared (``make bench --quick``).
    """
    ours = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    config = stock_config()
    # Rasa's defaults for the dialogue side.
    config["policies"] = [
        {"name": "MemoizationPolicy"},
        {"name": "RulePolicy"},
        {"name": "TEDPolicy", "max_history": 5, "epochs": 40, "random_seed": 42},
    ]
    if epochs is not None:
        for component in (*config["pipeline"], *config["policies"]):
            if "epochs" in component:
                component["epochs"] = epochs
    slots = ("description", "phone", "outcome")
    domain = {
        "version": "3.1",
        "intents": [i for i in ours["intents"] if not str(i).startswith("EXTERNAL_")],
        "entities": ours["entities"],
        "slots": {name: _form_slot(name) for name in slots},
        "forms": {"stock_form": {"required_slots": list(slots)}},
        "responses": {
            "utter_ask_description": [{"text": "请描述一下您遇到的问题。"}],
            "utter_ask_phone": [{"text": "请留下您的联系电话。"}],
            "utter_ask_outcome": [{"text": "您希望怎么处理？"}],
            "utter_greet": [{"text": "您好，请问有什么可以帮您？"}],
            "utter_default": [{"text": "抱歉，我没听懂。"}],
        },
        "actions": ["action_stock_submit"],
    }
    rules = {
        "version": "3.1",
        "rules": [
            {
                "rule": "complaint starts the form",
                "steps": [
                    {"or": [{"intent": i} for i in COMPLAINT_INTENTS]},
                    {"action": "stock_form"},
                    {"active_loop": "stock_form"},
                ],
            },
            {
                "rule": "submit",
                "condition": [{"active_loop": "stock_form"}],
                "steps": [
                    {"action": "stock_form"},
                    {"active_loop": None},
                    {"slot_was_set": [{"requested_slot": None}]},
                    {"action": "action_stock_submit"},
                ],
            },
            {"rule": "greet", "steps": [{"intent": "greet"}, {"action": "utter_greet"}]},
        ],
    }
    # Rasa's own REST channel only. Without a credentials file of its own, `rasa run` in the
    # project folder would read ours, import ``bot.channels`` and with it our fixes to Rasa
    # (bot/rasa_fixes.py): the stock bot would no longer be stock.
    credentials: dict[str, Any] = {"rest": None}
    paths = {
        "config": root / "config.yml",
        "domain": root / "domain.yml",
        "rules": root / "rules.yml",
        "credentials": root / "credentials.yml",
    }
    contents = (("config", config), ("domain", domain), ("rules", rules))
    for key, content in (*contents, ("credentials", credentials)):
        paths[key].write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")
    return paths
