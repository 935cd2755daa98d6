"""The console's audit log: who viewed or changed what, and failed logins.

Rows are only ever added. Failed logins are audit rows too, which lets login rate limiting
work across several console processes without any other shared state.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.privacy import mask_text
from bot.store.models import AuditEntry, utcnow

#: ``action`` of a refused login (counted by ``recent_failures``).
LOGIN_FAILED = "login_failed"

#: Most rows ``list_audit`` returns at once.
MAX_AUDIT_LIMIT = 500


async def record(
    session: AsyncSession,
    actor: str,
    action: str,
    target: str | None = None,
    detail: str | None = None,
    ip: str | None = None,
    *,
    commit: bool = True,
) -> AuditEntry:
    """Append one audit row; phone and ID numbers in ``detail`` are masked first.

    Args:
        session: The session to use.
        actor: Who: ``staff:<username>``, ``api:<token>``, ``anonymous``.
        action: What, e.g. ``view_ticket``.
        target: What to, e.g. a ticket number.
        detail: Free text.
        ip: The client's address.
        commit: Commit now (default); ``False`` leaves it to the caller's transaction.
    """
    entry = AuditEntry(
        at=utcnow(),
        actor=actor[:160],
        action=action[:64],
        target=target[:255] if target else None,
        detail=(mask_text(detail) or "")[:2000] or None,
        ip=(ip or "")[:64] or None,
    )
    session.add(entry)
    if commit:
        await session.commit()
    else:
        await session.flush()
    return entry


@dataclass(frozen=True)
class Failures:
    """Failed logins in the window, for one username and for one address."""

    by_username: int
    by_ip: int


async def recent_failures(
    session: AsyncSession, username: str, ip: str | None, window: timedelta
) -> Failures:
    """Count failed logins within ``window`` for ``username`` and for ``ip``."""
    since = utcnow() - window
    by_user = func.sum(case((AuditEntry.target == username, 1), else_=0))
    by_ip = func.sum(case((AuditEntry.ip == ip, 1), else_=0)) if ip else literal(0)
    matching = [AuditEntry.target == username] + ([AuditEntry.ip == ip] if ip else [])
    row = (
        await session.execute(
            select(by_user, by_ip).where(
                AuditEntry.action == LOGIN_FAILED, AuditEntry.at >= since, or_(*matching)
            )
        )
    ).one()
    return Failures(by_username=int(row[0] or 0), by_ip=int(row[1] or 0))


async def list_audit(
    session: AsyncSession,
    *,
    actor: str | None = None,
    action: str | None = None,
    target: str | None = None,
    before: datetime | None = None,
    limit: int = 100,
) -> list[AuditEntry]:
    """Return audit rows, newest first, optionally filtered.

    Args:
        session: The session to use.
        actor: Only rows of this actor.
        action: Only rows of this action.
        target: Only rows about this target.
        before: Only rows older than this (paging).
        limit: At most this many, 1..``MAX_AUDIT_LIMIT``.

    Raises:
        ValueError: ``limit`` out of range.
    """
    if not 1 <= limit <= MAX_AUDIT_LIMIT:
        raise ValueError(f"limit must be between 1 and {MAX_AUDIT_LIMIT}")
    query = select(AuditEntry)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if action:
        query = query.where(AuditEntry.action == action)
    if target:
        query = query.where(AuditEntry.target == target)
    if before is not None:
        query = query.where(AuditEntry.at < before)
    query = query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    return list((await session.execute(query)).scalars().all())
