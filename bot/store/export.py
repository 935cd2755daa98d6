"""The dashboard's CSV export: one row per ticket, every cell rendered as text by the database.

The export is the one report that returns every ticket of a period, so per-row Python work is
what its time is made of. Here the database hands back each cell exactly as it is written to
the file — times as ISO 8601 text, flags as ``1``/``0``, the promise state from
``reporting.promise_case`` — and the rows go to the CSV writer untouched, partition by
partition, while the response is streamed. No personal data (phone, description) is exported.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Integer, bindparam, cast, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.models import Survey, Ticket
from bot.store.reporting import promise_case
from bot.store.sqlfuncs import iso_utc

#: Columns of the export, in order.
COLUMNS = (
    "number", "category", "channel", "status", "priority", "emotion", "threat", "assignee",
    "created_at", "due_at", "resolved_at", "rating", "solved", "asked_at", "answered_at",
    "promise",
)  # fmt: skip

#: Rows fetched from the database (and written to the client) at a time.
PARTITION_ROWS = 1000


@cache
def export_query() -> Any:
    """The export's rows (``COLUMNS``) for tickets created in ``[start, end)``, oldest first;
    promises judged at ``now`` (the statement's parameters)."""
    return (
        select(
            Ticket.number, Ticket.category, Ticket.channel, Ticket.status, Ticket.priority,
            Ticket.emotion, cast(Ticket.threat, Integer), Ticket.assignee,
            iso_utc(Ticket.created_at), iso_utc(Ticket.due_at), iso_utc(Ticket.resolved_at),
            Survey.rating, cast(Survey.solved, Integer),
            iso_utc(Survey.asked_at), iso_utc(Survey.answered_at),
            promise_case(bindparam("now")),
        )
        .outerjoin(Survey, Survey.ticket_id == Ticket.id)
        .where(Ticket.created_at >= bindparam("start"), Ticket.created_at < bindparam("end"))
        .order_by(Ticket.created_at, Ticket.id)
    )  # fmt: skip


async def csv_chunks(
    connection: AsyncConnection, start: datetime, end: datetime, now: datetime
) -> AsyncIterator[tuple[str, int]]:
    """Yield the export as CSV text in pieces, each with the number of rows it holds.

    The first piece is the header row, after a byte-order mark that lets spreadsheet
    programs read the UTF-8 Chinese text correctly.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    yield "\ufeff" + buffer.getvalue(), 0
    result = await connection.stream(export_query(), {"start": start, "end": end, "now": now})
    async for rows in result.partitions(PARTITION_ROWS):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(rows)
        yield buffer.getvalue(), len(rows)
