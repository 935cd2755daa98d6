"""The CSV export: cells rendered by the database read exactly as Python would write them."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.export import COLUMNS, csv_chunks
from tests.store.test_reporting import START, add_ticket

NOW = START + timedelta(days=7)


async def _export(session: AsyncSession) -> list[dict[str, str]]:
    connection = await session.connection()
    chunks = [chunk async for chunk in csv_chunks(connection, START, NOW, NOW)]
    text = "".join(piece for piece, _rows in chunks)
    assert text.startswith("\ufeff")
    assert sum(rows for _piece, rows in chunks) == text.count("\n") - 1  # all but the header
    reader = csv.DictReader(io.StringIO(text[1:]))
    assert tuple(reader.fieldnames or ()) == COLUMNS
    return list(reader)


async def test_cells_are_written_as_python_writes_them(session: AsyncSession) -> None:
    whole = datetime(2026, 11, 2, 3, 4, 5, tzinfo=timezone.utc)  # no fraction of a second
    fine = datetime(2026, 11, 2, 3, 4, 5, 60, tzinfo=timezone.utc)
    china = timezone(timedelta(hours=8))
    await add_ticket(session, whole, due=fine + timedelta(days=1), resolved=fine.astimezone(china),
                     rating=5, answered=fine + timedelta(hours=1), threat=True,
                     category='complain_"other", 2')  # fmt: skip
    await add_ticket(session, fine, due=whole - timedelta(hours=1), assignee=None, emotion=None)
    await add_ticket(session, START - timedelta(seconds=1))  # before the period: not exported
    first, second = await _export(session)
    assert first["number"] < second["number"]  # oldest first
    assert first["category"] == 'complain_"other", 2'  # quoted by the CSV writer, read back
    assert (first["created_at"], first["due_at"], first["resolved_at"]) == (
        whole.isoformat(),
        (fine + timedelta(days=1)).isoformat(),
        fine.isoformat(),
    )
    assert first["created_at"] == "2026-11-02T03:04:05+00:00"
    assert first["resolved_at"] == "2026-11-02T03:04:05.000060+00:00"
    assert (first["answered_at"], first["asked_at"]) == (
        (fine + timedelta(hours=1)).isoformat(),
        fine.isoformat(),
    )
    assert (first["threat"], first["rating"], first["solved"], first["promise"]) == (
        "1",
        "5",
        "",
        "kept",
    )
    assert (second["threat"], second["assignee"], second["emotion"]) == ("0", "", "")
    assert (second["resolved_at"], second["rating"], second["asked_at"]) == ("", "", "")
    assert (second["status"], second["priority"], second["promise"]) == ("open", "3", "broken")


async def test_solved_answers_are_one_and_zero(session: AsyncSession) -> None:
    for solved in (True, False):
        await add_ticket(session, START + timedelta(days=1), rating=4, answered=NOW, solved=solved)
    rows = await _export(session)
    assert [row["solved"] for row in rows] == ["1", "0"]
