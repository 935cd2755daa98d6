"""Checks of the customer-facing texts in domain.yml."""

from __future__ import annotations

import re
import string

import pytest
import yaml

from bot.settings import PROJECT_ROOT

DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
# Values the actions pass to dispatcher.utter_message(response=..., **kwargs).
ACTION_VARIABLES = {"ticket_number", "summary", "hours", "status_text", "due_text", "minutes"}
# DESIGN.md §2: never tell a customer to calm down, never argue or blame them.
FORBIDDEN = ("冷静", "您别激动", "不要激动", "是您自己", "您搞错了", "这不是我们的")
FIXED_INTENTS = {
    "complain_quality",
    "complain_delivery",
    "complain_billing",
    "complain_refund",
    "complain_service",
    "complain_promise",
    "complain_other",
}


def all_texts() -> list[tuple[str, str]]:
    return [
        (name, variant["text"])
        for name, variants in DOMAIN["responses"].items()
        for variant in variants
        if "text" in variant
    ]


@pytest.mark.parametrize(("name", "text"), all_texts())
def test_template_variables_are_filled(name: str, text: str) -> None:
    fields = {f for _, f, _, _ in string.Formatter().parse(text) if f}
    unknown = fields - set(DOMAIN["slots"]) - ACTION_VARIABLES
    assert not unknown, f"{name} uses {unknown}: Rasa would send the raw template"


@pytest.mark.parametrize(("name", "text"), all_texts())
def test_no_forbidden_phrases(name: str, text: str) -> None:
    assert not [p for p in FORBIDDEN if p in text], name


def test_every_response_has_variants_or_is_a_fixed_prompt() -> None:
    single = [n for n, v in DOMAIN["responses"].items() if len(v) < 2]
    # Prompts with buttons and the apology for a storage error are deliberately fixed.
    assert set(single) <= {
        "utter_ask_complaint_category",
        "utter_ask_desired_outcome",
        "utter_ticket_failed",
        "utter_default",
        "utter_ask_survey_rating_again",
        "utter_ask_survey_solved_again",
    }, single


def test_intent_names_are_fixed() -> None:
    intents = set(DOMAIN["intents"])
    assert FIXED_INTENTS <= intents
    assert not {i for i in intents - FIXED_INTENTS if i.startswith("complain_")}


def test_texts_are_simplified_chinese() -> None:
    traditional = re.compile(r"[們這說處還沒與請謝電話單貨訂務為]")
    assert not [t for _, t in all_texts() if traditional.search(t)]


APOLOGY = re.compile("抱歉|对不起")
EMPATHY = (
    "utter_complaint_ack",
    "utter_empathy_anger",
    "utter_empathy_anxiety",
    "utter_empathy_sadness",
    "utter_vent_invite",
)


@pytest.mark.parametrize("name", EMPATHY)
def test_every_acknowledgement_apologises(name: str) -> None:
    texts = [v["text"] for v in DOMAIN["responses"][name]]
    assert all(APOLOGY.search(t) for t in texts), name
    assert len(set(texts)) == len(texts) >= 2  # never the same apology twice in a row
