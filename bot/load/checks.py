"""After a load run: what the database and the tracker store say happened.

Every completed complaint must have exactly one ticket with the fields the customer gave,
and each conversation's tracker must hold the customer's messages, all of them, in the
order they were sent. The comparisons are pure functions; the fetching is separate.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bot.load.runner import Conversation, Target

# Rasa logs an intent triggered through its HTTP API (the console's survey start) as a user
# message with this prefix; it is not something the customer said.
EXTERNAL_PREFIX = "EXTERNAL: "


@dataclass
class CheckResult:
    """The problems found, one line each, by kind."""

    checked: int = 0
    lost_tickets: list[str] = field(default_factory=list)
    duplicate_tickets: list[str] = field(default_factory=list)
    wrong_fields: list[str] = field(default_factory=list)
    lost_turns: list[str] = field(default_factory=list)
    out_of_order: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No ticket lost or duplicated and no turn lost or out of order."""
        return not (
            self.lost_tickets
            or self.duplicate_tickets
            or self.wrong_fields
            or self.lost_turns
            or self.out_of_order
        )


def expected_fields(conversation: Conversation) -> dict[str, object]:
    """The ticket fields the customer gave in ``conversation``."""
    scenario = conversation.scenario
    if scenario.handoff:  # a person was asked for right after the opening
        order = scenario.order_id if scenario.order_in_opening else None
        phone = None
    else:
        order = (
            scenario.order_id if scenario.order_in_opening or scenario.asked.get("order") else None
        )
        phone = scenario.masked_phone if scenario.asked.get("phone") else None
    return {
        "number": conversation.ticket_number,
        "category": scenario.category,
        "order_id": order,
        "phone": phone,
    }


def check_tickets(
    conversation: Conversation, tickets: list[dict[str, Any]], result: CheckResult
) -> None:
    """Compare the tickets stored for the conversation's sender with what was said."""
    who = conversation.scenario.sender
    if not tickets:
        result.lost_tickets.append(f"{who}: confirmed {conversation.ticket_number}, none stored")
        return
    if len(tickets) > 1:
        numbers = ", ".join(str(t.get("number")) for t in tickets)
        result.duplicate_tickets.append(f"{who}: {len(tickets)} tickets ({numbers})")
    ticket = tickets[0]
    for name, want in expected_fields(conversation).items():
        if name == "number" and want is None:
            continue  # a handoff's number may not have been said in the reply
        if ticket.get(name) != want:
            result.wrong_fields.append(f"{who}: {name} {ticket.get(name)!r} ≠ {want!r}")


def check_turns(conversation: Conversation, user_texts: list[str], result: CheckResult) -> None:
    """Compare the tracker's customer messages with the ones sent, in order."""
    who = conversation.scenario.sender
    said = [text for text in user_texts if not text.startswith(EXTERNAL_PREFIX)]
    sent = conversation.sent
    missing = [text for text in sent if text not in said]
    if missing:
        result.lost_turns.append(f"{who}: {len(missing)} of {len(sent)} missing: {missing[:2]}")
    elif said != sent:
        result.out_of_order.append(f"{who}: tracker {said} ≠ sent {sent}")


async def _tickets(
    client: aiohttp.ClientSession, target: Target, sender: str
) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {target.api_token}"}
    url = f"{target.console_url}/api/tickets"
    async with client.get(url, params={"sender_id": sender}, headers=headers) as response:
        response.raise_for_status()
        return list((await response.json())["tickets"])


async def _user_texts(client: aiohttp.ClientSession, target: Target, sender: str) -> list[str]:
    url = f"{target.rasa_url}/conversations/{sender}/tracker"
    params = {"token": target.rasa_token, "include_events": "ALL"}
    async with client.get(url, params=params) as response:
        response.raise_for_status()
        events = (await response.json())["events"]
    return [str(e.get("text")) for e in events if e.get("event") == "user" and e.get("text")]


async def check_run(
    target: Target, conversations: list[Conversation], concurrency: int = 10
) -> CheckResult:
    """Check every conversation that ended without an error.

    Args:
        target: The deployment; needs the console API token and Rasa's token.
        conversations: The load run's results.
        concurrency: Parallel look-ups.
    """
    result = CheckResult()
    gate = asyncio.Semaphore(concurrency)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(timeout=timeout) as client:

        async def one(conversation: Conversation) -> None:
            async with gate:
                sender = conversation.scenario.sender
                tickets = await _tickets(client, target, sender)
                check_tickets(conversation, tickets, result)
                check_turns(conversation, await _user_texts(client, target, sender), result)
                result.checked += 1

        done = [c for c in conversations if c.error is None and c.ticket_number is not None]
        await asyncio.gather(*(one(c) for c in done))
    return result
