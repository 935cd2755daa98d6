"""JSON shapes of store objects, with personal data masked."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.privacy import mask_phone, mask_text
from bot.store.models import Ticket


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
        # Satisfaction surveys get their own table in a later revision.
        "survey": None,
    }
