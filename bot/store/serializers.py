"""JSON shapes of store objects, with personal data masked."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.privacy import mask_phone, mask_text
from bot.store.models import Survey, Ticket, TicketEvent


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def ticket_to_dict(ticket: Ticket) -> dict[str, Any]:
    """Return the ticket's JSON form (console API, fixed keys: see DESIGN.md §5).

    Phone numbers and ID numbers are masked, in the ``phone`` field and inside the
    description; datetimes are ISO 8601 with their UTC offset.
    """
    return {
        "number": ticket.number,
        "sender_id": ticket.sender_id,
        "channel": ticket.channel,
        "category": ticket.category,
        "description": mask_text(ticket.description),
        "order_id": ticket.order_id,
        "phone": mask_phone(ticket.phone),
        "desired_outcome": mask_text(ticket.desired_outcome),
        "status": ticket.status,
        "priority": ticket.priority,
        "emotion": ticket.emotion,
        "threat": bool(ticket.threat),
        "created_at": _iso(ticket.created_at),
        "updated_at": _iso(ticket.updated_at),
        "due_at": _iso(ticket.due_at),
        "assignee": ticket.assignee,
        "follow_up": bool(ticket.follow_up),
        "resolved_at": _iso(ticket.resolved_at),
        "survey": survey_to_dict(ticket.survey) if ticket.survey is not None else None,
    }


def survey_to_dict(survey: Survey) -> dict[str, Any]:
    """Return a survey's JSON form: ``rating``, ``solved``, ``comment`` and when."""
    return {
        "rating": survey.rating,
        "solved": survey.solved,
        "comment": mask_text(survey.comment),
        "channel": survey.channel,
        "asked_at": _iso(survey.asked_at),
        "answered_at": _iso(survey.answered_at),
    }


def event_to_dict(event: TicketEvent) -> dict[str, Any]:
    """Return one ticket history entry's JSON form (personal data masked)."""
    return {
        "at": _iso(event.at),
        "actor": event.actor,
        "kind": event.kind,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "detail": mask_text(event.detail),
    }
