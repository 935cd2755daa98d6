"""Ticket priority from what the conversation showed (DESIGN.md §2, point 7).

1 is the most urgent, 5 the least. A threat to escalate outside goes to the top; strong
negative emotion comes next; calm complaints keep the default. Categories with money at stake
(billing, refund) are one step more urgent than the rest at the same emotion.
"""

from __future__ import annotations

NEGATIVE = frozenset({"anger", "anxiety", "sadness"})
MONEY_CATEGORIES = frozenset({"complain_billing", "complain_refund"})


def ticket_priority(
    category: str | None,
    peak_emotion: str | None,
    peak_intensity: float,
    threat: bool,
) -> int:
    """Priority 1–5 of a new ticket.

    Args:
        category: The complaint intent.
        peak_emotion: The strongest emotion the customer showed in the conversation.
        peak_intensity: Its intensity, 1–3.
        threat: Whether the customer threatened to escalate outside.
    """
    if threat:
        return 1
    negative = peak_emotion in NEGATIVE
    if negative and peak_intensity >= 3:
        priority = 2
    elif negative and peak_intensity >= 2:
        priority = 3
    else:
        priority = 4
    if category in MONEY_CATEGORIES:
        priority -= 1
    return max(1, min(5, priority))
