"""The satisfaction survey after a ticket is resolved: at most three questions, each one
skippable, a bad answer re-asked once and then skipped, the answers stored once.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.constants import SKIPPED
from actions.db import write_session
from bot.store.surveys import UNHAPPY_MAX, SurveyAnswers, answer_survey, start_survey
from bot.store.tickets import get_ticket
from bot.survey import is_no_comment, is_skip, parse_rating, parse_solved

logger = logging.getLogger(__name__)

#: Messages that steer the conversation instead of answering (left to the dialogue rules).
STEERING_INTENTS = frozenset({"request_human", "bot_challenge"})
YES_NO = ("affirm", "deny")

SURVEY_SLOTS = ("survey_rating", "survey_solved", "survey_comment")
#: Longest comment kept (the rest of a pasted essay is not a survey answer).
MAX_COMMENT_CHARS = 1000


def _latest(tracker: Tracker) -> tuple[str, str]:
    message = tracker.latest_message or {}
    return ((message.get("intent") or {}).get("name") or "", message.get("text") or "")


def _rating_entity(tracker: Tracker) -> int | None:
    value = next(tracker.get_latest_entity_values("rating"), None)
    try:
        rating = int(str(value))
    except ValueError:
        return None
    return rating if 1 <= rating <= 5 else None


def _answer(value: Any) -> Any:
    return None if value in (None, SKIPPED) else value


class ActionStartSurvey(Action):
    """Opens the survey of a resolved ticket of this customer, once."""

    def name(self) -> str:
        """Name used in rules."""
        return "action_start_survey"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        """Record that the survey was asked; pre-skip every question when it must not be."""
        number = next(tracker.get_latest_entity_values("ticket_number"), None) or tracker.get_slot(
            "survey_ticket"
        )
        askable = False
        if number:
            try:
                async with write_session() as session:
                    ticket = await get_ticket(session, str(number))
                    if ticket is not None and ticket.sender_id == tracker.sender_id:
                        survey = await start_survey(
                            session, ticket, tracker.get_latest_input_channel() or ticket.channel
                        )
                        askable = survey.answered_at is None and ticket.status == "resolved"
            except SQLAlchemyError:
                logger.exception("survey for %s could not be started", number)
        if not askable:
            # The form then finds every question answered and ends without a word.
            return [SlotSet("survey_ticket", None)] + [SlotSet(s, SKIPPED) for s in SURVEY_SLOTS]
        dispatcher.utter_message(response="utter_survey_intro", ticket_number=number)
        return [
            SlotSet("survey_ticket", number),
            SlotSet("survey_error", None),
            *[SlotSet(slot, None) for slot in SURVEY_SLOTS],
        ]


class ValidateSurveyForm(FormValidationAction):
    """Reads the three answers; one gentle re-ask per question, then it is skipped."""

    def name(self) -> str:
        """Name the form calls this action by."""
        return "validate_survey_form"

    async def extract_survey_rating(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Take a rating from a button or from the text, only when it was asked."""
        return self._extract("survey_rating", tracker)

    async def extract_survey_solved(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Take the yes/no answer, only when it was asked."""
        return self._extract("survey_solved", tracker)

    async def extract_survey_comment(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Take the comment, only when it was asked."""
        return self._extract("survey_comment", tracker)

    @staticmethod
    def _extract(slot: str, tracker: Tracker) -> dict[str, Any]:
        """The answer to ``slot`` when it is the question asked.

        A recognisable answer is taken whatever the NLU thought of it (「一般」 may look
        off-topic to it); otherwise a request for a person or 「你是机器人吗」 is left to the
        dialogue rules, and anything else goes to validation to be re-asked once.
        """
        if tracker.get_slot("requested_slot") != slot or tracker.get_slot(slot) is not None:
            return {}
        intent, text = _latest(tracker)
        if not text.strip():
            return {}
        if slot == "survey_rating":
            rating = _rating_entity(tracker) or parse_rating(text)
            if rating is not None:
                return {slot: str(rating)}
        if slot == "survey_solved" and (parse_solved(text) is not None or intent in YES_NO):
            return {slot: text}
        if intent in STEERING_INTENTS:
            return {}
        return {slot: text}

    def validate_survey_rating(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Accept 1–5 in any common form; skip on request; re-ask once, then skip."""
        if value is None:  # cleared when the survey starts: nothing to judge yet
            return {"survey_rating": None}
        if value == SKIPPED:
            return {"survey_rating": SKIPPED}
        rating = parse_rating(str(value))
        if rating is not None:
            return {"survey_rating": float(rating), "survey_error": None}
        return self._unclear("survey_rating", str(value), tracker)

    def validate_survey_solved(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Accept yes/no (also from the affirm/deny intents); re-ask once, then skip."""
        if value is None:  # cleared when the survey starts: nothing to judge yet
            return {"survey_solved": None}
        if value == SKIPPED:
            return {"survey_solved": SKIPPED}
        intent, _ = _latest(tracker)
        solved = parse_solved(str(value))
        if solved is None and intent in YES_NO and len(str(value)) <= 10:
            solved = intent == "affirm"
        if solved is not None:
            return {"survey_solved": "yes" if solved else "no", "survey_error": None}
        return self._unclear("survey_solved", str(value), tracker)

    def validate_survey_comment(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Keep any comment; 「没有」 or a refusal means no comment."""
        if value is None:  # cleared when the survey starts: nothing to judge yet
            return {"survey_comment": None}
        text = str(value or "").strip()
        intent, _ = _latest(tracker)
        if not text or text == SKIPPED or is_skip(text) or is_no_comment(text) or intent == "deny":
            return {"survey_comment": SKIPPED}
        return {"survey_comment": text[:MAX_COMMENT_CHARS]}

    @staticmethod
    def _unclear(slot: str, text: str, tracker: Tracker) -> dict[str, Any]:
        """First unclear answer: ask again gently; the second one (or 「跳过」): skip."""
        if is_skip(text) or tracker.get_slot("survey_error") == slot:
            return {slot: SKIPPED, "survey_error": None}
        return {slot: None, "survey_error": slot}


class _AskOnceMore(Action):
    """Asks a survey question, or — after an unclear answer — asks it once more, gently."""

    slot = ""

    def name(self) -> str:
        """The form calls ``action_ask_<slot>`` to ask for ``slot``."""
        return f"action_ask_{self.slot}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        """Send the question (with its buttons)."""
        again = tracker.get_slot("survey_error") == self.slot
        dispatcher.utter_message(response=f"utter_ask_{self.slot}{'_again' if again else ''}")
        return []


class ActionAskSurveyRating(_AskOnceMore):
    """The 1–5 rating question (rating buttons)."""

    slot = "survey_rating"


class ActionAskSurveySolved(_AskOnceMore):
    """The solved yes/no question (buttons)."""

    slot = "survey_solved"


class ActionAskSurveyComment(Action):
    """Asks for an optional comment; after a low rating, asks what went wrong."""

    def name(self) -> str:
        """Name the form calls to ask for ``survey_comment``."""
        return "action_ask_survey_comment"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        """Send the question."""
        rating = _answer(tracker.get_slot("survey_rating"))
        unhappy = rating is not None and float(rating) <= UNHAPPY_MAX
        dispatcher.utter_message(
            response="utter_ask_survey_comment_unhappy" if unhappy else "utter_ask_survey_comment"
        )
        return []


class ActionSubmitSurvey(Action):
    """Stores the answers once and thanks the customer — without arguing after a low rating."""

    def name(self) -> str:
        """Name used in rules."""
        return "action_submit_survey"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        """Write the survey; clear the survey slots."""
        number = tracker.get_slot("survey_ticket")
        reset = [SlotSet("survey_ticket", None), SlotSet("survey_error", None)] + [
            SlotSet(slot, None) for slot in SURVEY_SLOTS
        ]
        if not number:
            return reset
        rating = _answer(tracker.get_slot("survey_rating"))
        solved = _answer(tracker.get_slot("survey_solved"))
        answers = SurveyAnswers(
            rating=int(float(rating)) if rating is not None else None,
            solved=None if solved is None else solved == "yes",
            comment=_answer(tracker.get_slot("survey_comment")),
        )
        try:
            async with write_session() as session:
                ticket = await get_ticket(session, str(number))
                if ticket is not None and ticket.sender_id == tracker.sender_id:
                    await answer_survey(
                        session, ticket, answers, tracker.get_latest_input_channel() or "unknown"
                    )
        except (SQLAlchemyError, ValueError):
            logger.exception("survey answers for %s could not be stored", number)
        unhappy = (answers.rating is not None and answers.rating <= UNHAPPY_MAX) or (
            answers.solved is False
        )
        dispatcher.utter_message(
            response="utter_survey_thanks_unhappy" if unhappy else "utter_survey_thanks"
        )
        return reset
