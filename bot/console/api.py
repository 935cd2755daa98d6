"""JSON ticket API of the staff console (fixed interface: DESIGN.md §5)."""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web

from bot.console.errors import json_error
from bot.console.state import SESSIONMAKER
from bot.store.lifecycle import list_events
from bot.store.models import TICKET_STATUSES
from bot.store.serializers import event_to_dict, ticket_to_dict
from bot.store.tickets import MAX_LIST_LIMIT, get_ticket, list_tickets

DEFAULT_LIMIT = 50


class QueryError(ValueError):
    """A query string parameter has a value the API cannot use."""


def _text(query: Mapping[str, str], name: str) -> str | None:
    # The documented form ``?sender_id=&status=`` sends empty values: they mean "any".
    value = query.get(name, "").strip()
    return value or None


def _integer(query: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = query.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise QueryError(f"{name} must be an integer, got {raw!r}") from None
    if not low <= value <= high:
        raise QueryError(f"{name} must be between {low} and {high}, got {value}")
    return value


async def list_tickets_handler(request: web.Request) -> web.Response:
    """``GET /api/tickets?sender_id=&status=&category=&limit=&offset=``, newest first."""
    query = request.rel_url.query
    try:
        limit = _integer(query, "limit", DEFAULT_LIMIT, 1, MAX_LIST_LIMIT)
        offset = _integer(query, "offset", 0, 0, 10**9)
        status = _text(query, "status")
        if status is not None and status not in TICKET_STATUSES:
            raise QueryError(f"status must be one of {', '.join(TICKET_STATUSES)}")
    except QueryError as error:
        return json_error(400, str(error))
    async with request.app[SESSIONMAKER]() as session:
        tickets, total = await list_tickets(
            session,
            sender_id=_text(query, "sender_id"),
            status=status,
            category=_text(query, "category"),
            limit=limit,
            offset=offset,
        )
    return web.json_response(
        {
            "tickets": [ticket_to_dict(t) for t in tickets],
            "total": total,
            "limit": limit,
            "offset": offset,
        }
    )


async def ticket_detail_handler(request: web.Request) -> web.Response:
    """``GET /api/tickets/{number}``: one ticket with its event log, or a JSON 404."""
    number = request.match_info["number"]
    async with request.app[SESSIONMAKER]() as session:
        ticket = await get_ticket(session, number)
        if ticket is None:
            return json_error(404, f"ticket {number} not found")
        events = await list_events(session, ticket)
    return web.json_response(
        {**ticket_to_dict(ticket), "events": [event_to_dict(e) for e in events]}
    )


def setup_routes(app: web.Application) -> None:
    """Register the ticket API routes on ``app``."""
    app.router.add_get("/api/tickets", list_tickets_handler)
    app.router.add_get("/api/tickets/{number}", ticket_detail_handler)
