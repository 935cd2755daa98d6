"""Agent views: the handoff queue (live) and a ticket's conversation page.

The queue page polls ``/queue/rows`` (a server-rendered fragment) every few seconds and the
conversation page polls ``/tickets/{number}/transcript?after=<event id>`` for new messages:
plain HTTP, no extra server, and the same escaping as the full pages.
"""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from aiohttp_session import get_session

from bot.console import charts
from bot.console.access import AGENT_ROLES, current_staff, roles
from bot.console.labels import CATEGORY, CHANNEL, EMOTION, STATUS, name
from bot.console.pages import audit
from bot.console.state import SESSIONMAKER, TRACKER
from bot.privacy import mask_phone, mask_text
from bot.store.conversation import TranscriptEntry, read_transcript
from bot.store.lifecycle import TRANSITIONS, list_events
from bot.store.models import ACTIVE_STATUSES, Ticket, utcnow
from bot.store.queue import urgent_queue
from bot.store.tickets import get_ticket

#: Queue filters: name → statuses.
QUEUE_VIEWS = {
    "active": ACTIVE_STATUSES,
    "handed_off": ("handed_off",),
    "in_progress": ("in_progress",),
    "open": ("open",),
}
QUEUE_LIMIT = 50
#: Seconds between live updates of the queue and of a conversation.
POLL_SECONDS = 5


def _queue_args(request: web.Request) -> tuple[str, bool]:
    view = request.query.get("view", "active")
    if view not in QUEUE_VIEWS:
        raise web.HTTPBadRequest()
    return view, request.query.get("mine") == "1"


def waited(minutes: int) -> str:
    """``95`` → ``1 小时 35 分``."""
    if minutes < 60:
        return f"{minutes} 分钟"
    if minutes < 1440:
        return f"{minutes // 60} 小时 {minutes % 60} 分"
    return f"{minutes // 1440} 天 {minutes % 1440 // 60} 小时"


def queue_row(ticket: Any, now: datetime) -> SimpleNamespace:
    """What one queue row shows, as display text (personal data masked).

    Labels are worked out here rather than with template macros: the queue page renders a
    hundred rows every few seconds for every agent.
    """
    overdue = ticket.due_at is not None and ticket.due_at < now
    if ticket.due_at is None:
        due = "—"
    else:
        minutes = int(abs((ticket.due_at - now).total_seconds()) / 60)
        due = f"已超时 {waited(minutes)}" if overdue else f"剩 {waited(minutes)}"
    # A namespace, not a dict: Jinja reads attributes of a dict only after a failed getattr.
    return SimpleNamespace(**{
        "number": ticket.number,
        "channel": name(CHANNEL, ticket.channel),
        "category": name(CATEGORY, ticket.category),
        "status": ticket.status,
        "status_label": name(STATUS, ticket.status),
        "priority": ticket.priority,
        "emotion": ticket.emotion or "neutral",
        "emotion_label": name(EMOTION, ticket.emotion or "neutral"),
        "threat": bool(ticket.threat),
        "assignee": ticket.assignee or "未分配",
        "summary": (mask_text(ticket.description) or "")[:60],
        "waiting": waited(int((now - ticket.created_at).total_seconds() / 60)),
        "due": due,
        "overdue": overdue,
    })  # fmt: skip


async def _queue(request: web.Request) -> dict[str, Any]:
    view, mine = _queue_args(request)
    staff = await current_staff(request)
    assert staff is not None
    now = utcnow()
    async with request.app[SESSIONMAKER]() as db:
        tickets, total = await urgent_queue(
            db,
            statuses=QUEUE_VIEWS[view],
            assignee=staff.username if mine else None,
            limit=QUEUE_LIMIT,
            now=now,
        )
    return {
        "rows": [queue_row(t, now) for t in tickets],
        "total": total,
        "view": view,
        "mine": mine,
        "now": now,
        "poll_seconds": POLL_SECONDS,
    }


@roles(*AGENT_ROLES)
@aiohttp_jinja2.template("queue.html")
async def queue_page(request: web.Request) -> dict[str, Any]:
    """``GET /queue?view=&mine=``: most urgent first."""
    return await _queue(request)


@roles(*AGENT_ROLES)
@aiohttp_jinja2.template("queue_rows.html")
async def queue_rows(request: web.Request) -> dict[str, Any]:
    """``GET /queue/rows``: the queue table's body, for live updates."""
    return await _queue(request)


async def _transcript(
    request: web.Request, sender_id: str, after: int | None = None
) -> list[TranscriptEntry]:
    return await read_transcript(request.app[TRACKER], sender_id, after_id=after)


def _masked(entries: list[TranscriptEntry]) -> list[dict[str, Any]]:
    return [{**entry.__dict__, "text": mask_text(entry.text) or ""} for entry in entries]


async def _load(request: web.Request) -> Ticket:
    number = request.match_info["number"]
    async with request.app[SESSIONMAKER]() as db:
        ticket = await get_ticket(db, number)
    if ticket is None:
        raise web.HTTPNotFound()
    return ticket


@roles(*AGENT_ROLES)
@aiohttp_jinja2.template("conversation.html")
async def conversation_page(request: web.Request) -> dict[str, Any]:
    """``GET /tickets/{number}``: transcript, emotion timeline, fields, history, actions."""
    number = request.match_info["number"]
    async with request.app[SESSIONMAKER]() as db:
        ticket = await get_ticket(db, number)
        if ticket is None:
            raise web.HTTPNotFound()
        events = await list_events(db, ticket)
    entries = await _transcript(request, ticket.sender_id)
    await audit(request, "view_ticket", number)
    # A reply that could not be delivered comes back into the reply box.
    draft = (await get_session(request)).pop(f"draft:{number}", "")
    return {
        "ticket": ticket,
        "ticket_number": ticket.number,
        "phone": mask_phone(ticket.phone),
        "description": mask_text(ticket.description),
        "desired_outcome": mask_text(ticket.desired_outcome),
        "events": [{**e.__dict__, "detail": mask_text(e.detail)} for e in events],
        "messages": _masked(entries),
        "last_event_id": entries[-1].event_id if entries else 0,
        "timeline": charts.emotion_timeline(entries),
        "can_resolve": "resolved" in TRANSITIONS.get(ticket.status, ()),
        "can_reopen": ticket.status in ("resolved", "closed"),
        "now": utcnow(),
        "poll_seconds": POLL_SECONDS,
        "draft": draft,
    }


@roles(*AGENT_ROLES)
async def transcript_fragment(request: web.Request) -> web.StreamResponse:
    """``GET /tickets/{number}/transcript?after=ID``: messages newer than ``after``."""
    ticket = await _load(request)
    try:
        after = int(request.query.get("after", "0"))
    except ValueError:
        raise web.HTTPBadRequest() from None
    entries = await _transcript(request, ticket.sender_id, after)
    response = aiohttp_jinja2.render_template(
        "transcript_items.html",
        request,
        {"messages": _masked(entries), "ticket_number": ticket.number},
    )
    response.headers["X-Last-Event-Id"] = str(entries[-1].event_id if entries else after)
    return response


def setup_routes(app: web.Application) -> None:
    """Register the routes of this module."""
    app.router.add_get("/queue", queue_page)
    app.router.add_get("/queue/rows", queue_rows)
    app.router.add_get("/tickets/{number}", conversation_page)
    app.router.add_get("/tickets/{number}/transcript", transcript_fragment)
