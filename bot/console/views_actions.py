"""What an agent does on a conversation page: reply, take, note, resolve, reopen, reveal the
phone number, flag a misunderstood message for the trainers.

Each action is a form POST (CSRF-checked by ``bot.console.access``) answered by a redirect
back to the page with a message in Chinese; every one is written to the audit log.
"""

from __future__ import annotations

from aiohttp import web
from aiohttp_session import get_session

from bot.console.access import AGENT_ROLES, Staff, current_staff, roles
from bot.console.pages import audit, flash
from bot.console.rasa_client import RasaUnavailable
from bot.console.state import SESSIONMAKER, TRACKER
from bot.console.ticket_ops import (
    MAX_REPLY_CHARS,
    TicketNotFound,
    check_reply,
    resolve_ticket,
    send_reply,
)
from bot.store.conversation import read_transcript
from bot.store.lifecycle import InvalidTransition, assign, change_status, record_event
from bot.store.models import Ticket
from bot.store.nlu_inbox import flag_message
from bot.store.tickets import get_ticket
from bot.store.transcripts import CustomerMessage

#: Longest internal note.
MAX_NOTE_CHARS = 2000


def draft_key(number: str) -> str:
    """Session key of a reply that could not be delivered (shown again in the reply box)."""
    return f"draft:{number}"


async def _staff(request: web.Request) -> Staff:
    staff = await current_staff(request)
    assert staff is not None  # the security middleware let the request through
    return staff


async def _form_text(request: web.Request, name: str) -> str:
    value = (await request.post()).get(name, "")
    return value.strip() if isinstance(value, str) else ""


def _back(number: str) -> web.HTTPFound:
    return web.HTTPFound(f"/tickets/{number}")


async def _ticket(db: object, number: str) -> Ticket:
    ticket = await get_ticket(db, number)  # type: ignore[arg-type]
    if ticket is None:
        raise web.HTTPNotFound()
    return ticket


@roles(*AGENT_ROLES)
async def reply(request: web.Request) -> web.StreamResponse:
    """``POST /tickets/{number}/reply``: the text goes to the customer's channel."""
    number = request.match_info["number"]
    staff = await _staff(request)
    text = await _form_text(request, "text")
    try:
        text = check_reply(text)
    except ValueError:
        await flash(request, f"回复不能为空，最多 {MAX_REPLY_CHARS} 个字。", "error")
        raise _back(number) from None
    try:
        await send_reply(request.app, number, text, staff.actor, staff.display_name)
    except TicketNotFound:
        raise web.HTTPNotFound() from None
    except RasaUnavailable:
        (await get_session(request))[draft_key(number)] = text
        await audit(request, "reply_failed", number)
        await flash(
            request,
            "消息没有发出：暂时连不上对话服务（Rasa），客户没有收到。您写的内容还在输入框里，"
            "请稍后再点「发送」。",
            "error",
        )
        raise _back(number) from None
    await audit(request, "reply", number, text)
    await flash(request, "回复已发送给客户。")
    raise _back(number)


@roles(*AGENT_ROLES)
async def take(request: web.Request) -> web.StreamResponse:
    """``POST /tickets/{number}/assign``: assign to me (a waiting ticket becomes in progress)."""
    number = request.match_info["number"]
    staff = await _staff(request)
    async with request.app[SESSIONMAKER]() as db:
        ticket = await _ticket(db, number)
        await assign(db, ticket, staff.username, staff.actor)
        if ticket.status in ("open", "handed_off"):
            await change_status(db, ticket, "in_progress", staff.actor)
        await db.commit()
    await audit(request, "assign", number, staff.username)
    await flash(request, "工单已分配给您。")
    raise _back(number)


@roles(*AGENT_ROLES)
async def note(request: web.Request) -> web.StreamResponse:
    """``POST /tickets/{number}/note``: an internal note (never shown to the customer)."""
    number = request.match_info["number"]
    staff = await _staff(request)
    text = await _form_text(request, "text")
    if not text or len(text) > MAX_NOTE_CHARS:
        await flash(request, f"备注不能为空，最多 {MAX_NOTE_CHARS} 个字。", "error")
        raise _back(number)
    async with request.app[SESSIONMAKER]() as db:
        ticket = await _ticket(db, number)
        await record_event(db, ticket, staff.actor, "note", text)
        await db.commit()
    await audit(request, "note", number)
    await flash(request, "备注已保存（客户看不到）。")
    raise _back(number)


@roles(*AGENT_ROLES)
async def resolve(request: web.Request) -> web.StreamResponse:
    """``POST /tickets/{number}/resolve``: resolve and start the survey (``resolve_ticket``)."""
    number = request.match_info["number"]
    staff = await _staff(request)
    note_text = await _form_text(request, "note")
    try:
        outcome = await resolve_ticket(request.app, number, staff.actor, note_text or None)
    except TicketNotFound:
        raise web.HTTPNotFound() from None
    except InvalidTransition:
        await flash(request, "这个工单当前的状态不能标记为已解决。", "error")
        raise _back(number) from None
    await audit(request, "resolve", number, note_text or None)
    if not outcome.changed:
        await flash(request, "工单已经是已解决状态。", "warn")
    elif outcome.survey_started:
        await flash(request, "工单已解决，机器人已在对话里邀请客户评价。")
    else:
        await flash(
            request,
            "工单已解决，但满意度调查没有发出：暂时连不上对话服务（Rasa）。",
            "warn",
        )
    raise _back(number)


@roles(*AGENT_ROLES)
async def reopen(request: web.Request) -> web.StreamResponse:
    """``POST /tickets/{number}/reopen``: a resolved or closed ticket is worked on again."""
    number = request.match_info["number"]
    staff = await _staff(request)
    reason = await _form_text(request, "reason")
    async with request.app[SESSIONMAKER]() as db:
        ticket = await _ticket(db, number)
        if ticket.status not in ("resolved", "closed"):
            await flash(request, "只有已解决或已关闭的工单可以重新打开。", "error")
            raise _back(number)
        await change_status(db, ticket, "in_progress", staff.actor, reason or "重新打开")
        await db.commit()
    await audit(request, "reopen", number, reason or None)
    await flash(request, "工单已重新打开。")
    raise _back(number)


@roles(*AGENT_ROLES)
async def reveal_phone(request: web.Request) -> web.StreamResponse:
    """``POST /tickets/{number}/phone``: the full number as JSON; logged on the ticket and
    in the audit log."""
    number = request.match_info["number"]
    staff = await _staff(request)
    async with request.app[SESSIONMAKER]() as db:
        ticket = await _ticket(db, number)
        phone = ticket.phone
        if phone:
            await record_event(db, ticket, staff.actor, "viewed_phone")
            await db.commit()
    if phone:
        await audit(request, "reveal_phone", number)
    return web.json_response({"phone": phone or ""})


@roles(*AGENT_ROLES)
async def flag(request: web.Request) -> web.StreamResponse:
    """``POST /tickets/{number}/flag`` with ``event_id``: the bot misunderstood a message."""
    number = request.match_info["number"]
    try:
        event_id = int(await _form_text(request, "event_id"))
    except ValueError:
        raise web.HTTPBadRequest() from None
    async with request.app[SESSIONMAKER]() as db:
        ticket = await _ticket(db, number)
        entries = await read_transcript(request.app[TRACKER], ticket.sender_id)
        entry = next(
            (e for e in entries if e.event_id == event_id and e.speaker == "customer"), None
        )
        if entry is None:
            raise web.HTTPNotFound()
        added = await flag_message(
            db,
            CustomerMessage(
                event_id=entry.event_id,
                sender_id=ticket.sender_id,
                text=entry.text,
                intent=entry.intent,
                confidence=entry.confidence or 0.0,
                timestamp=entry.at,
                channel=ticket.channel,
                message_id=None,
            ),
        )
    await audit(request, "flag_message", number, str(event_id))
    await flash(request, "已交给训练师标注。" if added else "这条消息已经标记过了。")
    raise _back(number)


def setup_routes(app: web.Application) -> None:
    """Register the routes of this module."""
    for name, handler in (
        ("reply", reply), ("assign", take), ("note", note), ("resolve", resolve),
        ("reopen", reopen), ("phone", reveal_phone), ("flag", flag),
    ):  # fmt: skip
        app.router.add_post(f"/tickets/{{number}}/{name}", handler)
