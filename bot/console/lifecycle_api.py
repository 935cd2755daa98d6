"""Ticket API calls that change a ticket or read its surveys (fixed interface: DESIGN.md §5).

``POST /api/tickets/{number}/resolve`` resolves the ticket, resumes the bot in the customer's
conversation and has it ask the satisfaction survey; ``POST /api/tickets/{number}/reply``
sends a staff reply to the customer's channel; ``GET /api/surveys`` lists answered surveys and
``GET /api/surveys/summary`` gives CSAT by category and channel.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from bot.console.auth import ACTOR
from bot.console.errors import json_error
from bot.console.rasa_client import RasaUnavailable
from bot.console.state import SESSIONMAKER
from bot.console.ticket_ops import TicketNotFound, check_reply, resolve_ticket, send_reply
from bot.store.lifecycle import InvalidTransition
from bot.store.serializers import survey_to_dict
from bot.store.surveys import csat_summary, list_surveys
from bot.store.tickets import MAX_LIST_LIMIT

logger = logging.getLogger(__name__)


async def _json_body(request: web.Request) -> dict[str, Any]:
    """The request's JSON object, or ``{}`` for an empty body; 400 for anything else."""
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(reason="body must be a JSON object") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(reason="body must be a JSON object")
    return body


async def resolve_handler(request: web.Request) -> web.Response:
    """``POST /api/tickets/{number}/resolve`` with optional ``{"note": "..."}``.

    Resolving twice is harmless: the second call changes nothing and does not ask the
    survey again. The survey starts only after the status change is committed, so a Rasa
    outage never loses the resolution (``survey_started`` is then ``false``).
    """
    number = request.match_info["number"]
    body = await _json_body(request)
    note = body.get("note")
    if note is not None and not isinstance(note, str):
        return json_error(400, "note must be a string")
    try:
        outcome = await resolve_ticket(request.app, number, request.get(ACTOR, "api"), note)
    except TicketNotFound:
        return json_error(404, f"ticket {number} not found")
    except InvalidTransition as error:
        return json_error(409, str(error))
    return web.json_response(
        {**outcome.ticket, "changed": outcome.changed, "survey_started": outcome.survey_started}
    )


async def reply_handler(request: web.Request) -> web.Response:
    """``POST /api/tickets/{number}/reply`` with ``{"text": "...", "agent": "..."}``."""
    number = request.match_info["number"]
    body = await _json_body(request)
    agent = body.get("agent") if isinstance(body.get("agent"), str) else None
    try:
        text = check_reply(body.get("text"))
        ticket = await send_reply(
            request.app, number, text, request.get(ACTOR, "api"), agent or "客服"
        )
    except ValueError as error:
        return json_error(400, str(error))
    except TicketNotFound:
        return json_error(404, f"ticket {number} not found")
    except RasaUnavailable:
        logger.exception("reply to %s could not be delivered", number)
        return json_error(503, "the conversation could not be reached; try again")
    return web.json_response(ticket)


async def surveys_handler(request: web.Request) -> web.Response:
    """``GET /api/surveys?limit=&offset=``: answered surveys, newest first."""
    try:
        limit = int(request.rel_url.query.get("limit") or 50)
        offset = int(request.rel_url.query.get("offset") or 0)
    except ValueError:
        return json_error(400, "limit and offset must be integers")
    if not 1 <= limit <= MAX_LIST_LIMIT or offset < 0:
        return json_error(400, f"limit must be 1..{MAX_LIST_LIMIT} and offset >= 0")
    async with request.app[SESSIONMAKER]() as session:
        rows, total = await list_surveys(session, limit=limit, offset=offset)
    surveys = [
        {
            **survey_to_dict(survey),
            "ticket": ticket.number,
            "category": ticket.category,
            "emotion": ticket.emotion,
        }
        for survey, ticket in rows
    ]
    return web.json_response({"surveys": surveys, "total": total})


async def summary_handler(request: web.Request) -> web.Response:
    """``GET /api/surveys/summary``: CSAT overall, by category and by channel."""
    async with request.app[SESSIONMAKER]() as session:
        return web.json_response(await csat_summary(session))


def setup_routes(app: web.Application) -> None:
    """Register the lifecycle routes on ``app``."""
    app.router.add_post("/api/tickets/{number}/resolve", resolve_handler)
    app.router.add_post("/api/tickets/{number}/reply", reply_handler)
    app.router.add_get("/api/surveys", surveys_handler)
    app.router.add_get("/api/surveys/summary", summary_handler)
