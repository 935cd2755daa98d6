"""What customers do with a ticket after it exists: add details, withdraw it, or tell us it
is solved (which resolves it and starts the survey). Only their own tickets, ever.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from actions.db import get_sessionmaker, write_session
from bot.nlu.normalize import normalize
from bot.store.lifecycle import InvalidTransition, add_info, change_status, latest_active_ticket
from bot.store.models import ACTIVE_STATUSES, Ticket
from bot.store.tickets import get_ticket

logger = logging.getLogger(__name__)

# 「我想补充一下」「再补充一点：」 announce details without giving them.
_ANNOUNCE = re.compile(
    r"^(你好|您好|喂)?[，,。 ]*(对了|另外|还有)?[，,。 ]*(我)?(还)?(想|要|需要|再)?"
    r"(补充|追加|添加|加|说)(一下|一点|几句|点|个|些)?(情况|内容|信息|说明|材料|细节)?"
    r"|^(对了|另外)?[，,。 ]*还有(一件|个|点)?事(情)?(忘了说|没说|要说)?"
)
_SEPARATORS = re.compile(r"^[：:，,。.!！ ]+")
#: Fewer characters than this after the announcement: the customer has not said it yet.
MIN_DETAIL_CHARS = 4


def details_in(text: str) -> str:
    """The details in an add-info message, without the 「我想补充一下」 announcement."""
    text = text.strip()
    # normalize() keeps offsets (Traditional → Simplified, full-width → half-width), so the
    # announcement found in the normalised text is cut from the customer's own words.
    found = _ANNOUNCE.match(normalize(text))
    rest = _SEPARATORS.sub("", text[found.end() if found else 0 :]).strip()
    return rest if len(re.sub(r"[\W_]+", "", rest)) >= MIN_DETAIL_CHARS else ""


async def customers_ticket(session: AsyncSession, tracker: Tracker) -> Ticket | None:
    """The active ticket the customer means: the number they named, else their latest one.

    A number that belongs to someone else is treated exactly like an unknown number.
    """
    named = next(tracker.get_latest_entity_values("ticket_number"), None)
    if named:
        ticket = await get_ticket(session, str(named).upper())
        if ticket is None or ticket.sender_id != tracker.sender_id:
            return None
        return ticket if ticket.status in ACTIVE_STATUSES else None
    return await latest_active_ticket(session, tracker.sender_id)


async def find_own_ticket(dispatcher: CollectingDispatcher, tracker: Tracker) -> Ticket | None:
    """The customer's active ticket; when there is none (or no database), say so."""
    try:
        async with get_sessionmaker()() as session:
            ticket = await customers_ticket(session, tracker)
    except SQLAlchemyError:
        logger.exception("ticket lookup failed")
        dispatcher.utter_message(response="utter_status_unavailable")
        return None
    if ticket is None:
        dispatcher.utter_message(response="utter_no_open_ticket")
    return ticket


Change = Callable[[AsyncSession, Ticket], Awaitable[None]]


async def update_own_ticket(tracker: Tracker, number: str, change: Change) -> str:
    """Apply ``change`` to the customer's ticket ``number`` and commit.

    Returns:
        ``done``, ``missing`` (no such ticket of this customer), ``too_late`` (its status
        does not allow the change) or ``failed`` (the database did not answer).
    """
    try:
        async with write_session() as session:
            ticket = await get_ticket(session, number)
            if ticket is None or ticket.sender_id != tracker.sender_id:
                return "missing"
            await change(session, ticket)
            await session.commit()
    except InvalidTransition:
        return "too_late"
    except SQLAlchemyError:
        logger.exception("ticket %s could not be changed", number)
        return "failed"
    return "done"


class ValidateAddInfoForm(FormValidationAction):
    """Collects the details to add; nothing is asked when there is no open ticket."""

    def name(self) -> str:
        """Name the form calls this action by."""
        return "validate_add_info_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        """Ask for the details only when there is a ticket to add them to."""
        if tracker.get_slot("info_ticket") is None:
            return []
        return domain_slots

    async def extract_extra_info(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Details in the triggering message are taken at once; when asked, any answer."""
        if tracker.get_slot("extra_info"):
            return {}
        message = tracker.latest_message or {}
        text = (message.get("text") or "").strip()
        if not text or text.startswith("/"):
            return {}
        if tracker.get_slot("requested_slot") == "extra_info":
            intent = (message.get("intent") or {}).get("name")
            return {} if intent in ("request_human", "cancel_complaint") else {"extra_info": text}
        details = details_in(text)
        return {"extra_info": details} if details else {}


class ActionFindInfoTicket(Action):
    """Looks up the ticket that details will be added to (before the add-info form runs)."""

    def name(self) -> str:
        """Name used in rules."""
        return "action_find_info_ticket"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        """Set ``info_ticket``, or explain that there is nothing open to add to."""
        ticket = await find_own_ticket(dispatcher, tracker)
        return [SlotSet("info_ticket", ticket.number if ticket else None)]


class ActionSubmitInfo(Action):
    """Appends the details to the ticket and confirms."""

    def name(self) -> str:
        """Name used in rules."""
        return "action_submit_info"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        """Store once per message; clear the slots for the next addition."""
        number, text = tracker.get_slot("info_ticket"), tracker.get_slot("extra_info")
        reset = [SlotSet("info_ticket", None), SlotSet("extra_info", None)]
        if not number or not text:
            return reset

        async def append(session: AsyncSession, ticket: Ticket) -> None:
            if f"【补充】{text}" not in ticket.description:  # a retried action adds nothing
                await add_info(session, ticket, text, "customer")

        outcome = await update_own_ticket(tracker, number, append)
        response = {"done": "utter_info_added", "failed": "utter_ticket_failed"}.get(
            outcome, "utter_no_open_ticket"
        )
        dispatcher.utter_message(response=response, ticket_number=number)
        return reset


class ActionConfirmCancel(Action):
    """Asks the customer to confirm withdrawing their open ticket."""

    def name(self) -> str:
        """Name used in rules."""
        return "action_confirm_cancel"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        """Name the ticket and ask yes/no; remember which ticket the answer is about."""
        ticket = await find_own_ticket(dispatcher, tracker)
        if ticket is None:
            return [SlotSet("pending_cancel", None)]
        dispatcher.utter_message(response="utter_confirm_cancel", ticket_number=ticket.number)
        return [SlotSet("pending_cancel", ticket.number)]


class ActionCancelTicket(Action):
    """Withdraws the ticket after a yes; keeps it after a no."""

    def name(self) -> str:
        """Name used in rules."""
        return "action_cancel_ticket"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        """Act on the answer to the confirmation question."""
        number = tracker.get_slot("pending_cancel")
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        reset = [SlotSet("pending_cancel", None)]
        if not number:
            dispatcher.utter_message(response="utter_go_ahead")
            return reset
        if intent != "affirm":
            dispatcher.utter_message(response="utter_cancel_kept", ticket_number=number)
            return reset

        async def cancel(session: AsyncSession, ticket: Ticket) -> None:
            await change_status(session, ticket, "cancelled", "customer", "客户撤销投诉")

        outcome = await update_own_ticket(tracker, number, cancel)
        response = {
            "done": "utter_cancelled",
            "too_late": "utter_cancel_too_late",
            "failed": "utter_ticket_failed",
        }.get(outcome, "utter_no_open_ticket")
        dispatcher.utter_message(response=response, ticket_number=number)
        return reset


class ActionMarkSolved(Action):
    """「问题已经解决了」: resolves the customer's open ticket, then the survey follows."""

    def name(self) -> str:
        """Name used in rules."""
        return "action_mark_solved"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        """Resolve the ticket and hand its number to the survey."""
        try:
            async with write_session() as session:
                ticket = await customers_ticket(session, tracker)
                if ticket is not None:
                    await change_status(session, ticket, "resolved", "customer", "客户确认已解决")
                    await session.commit()
        except (SQLAlchemyError, InvalidTransition):
            logger.exception("marking %s solved failed", tracker.sender_id)
            ticket = None
        if ticket is None:
            dispatcher.utter_message(response="utter_glad_solved")
            return [SlotSet("survey_ticket", None)]
        dispatcher.utter_message(response="utter_marked_solved", ticket_number=ticket.number)
        return [SlotSet("survey_ticket", ticket.number)]
