"""SQL expressions that SQLite and PostgreSQL spell differently, compiled for each.

Reports let the database do per-row work (formatting times, bucketing them into weeks) so
that Python only sees finished cells or counted groups. SQLite keeps UTC times as text
``YYYY-MM-DD HH:MM:SS.ffffff`` (see ``models.UTCDateTime``); PostgreSQL as ``timestamptz``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Date, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from bot.store.tickets import NUMBER_TIMEZONE

#: Hours east of UTC of the China time that weeks are counted in (``reporting.week_of``).
_CHINA_HOURS = int(NUMBER_TIMEZONE.utcoffset(None).total_seconds()) // 3600


class iso_utc(FunctionElement):  # noqa: N801 - named like the SQL function it stands for
    """A UTC time column as Python's ``isoformat()`` writes the aware UTC value.

    ``2026-11-25T08:30:00.250000+00:00``, the fraction left out when it is zero as Python
    does; NULL stays NULL.
    """

    type = String()
    inherit_cache = True


class china_monday(FunctionElement):  # noqa: N801 - named like the SQL function it stands for
    """The Monday (China time) of the week a UTC time falls in, as a date: ``week_of`` in SQL."""

    type = Date()
    inherit_cache = True


#: SQL of each expression per dialect; ``{0}`` is the time column.
_SQL: dict[tuple[type[FunctionElement], str], str] = {
    (iso_utc, "sqlite"): "replace(replace({0}, '.000000', ''), ' ', 'T') || '+00:00'",
    (iso_utc, "postgresql"): (
        """replace(to_char({0} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'), '.000000', '')"""
        " || '+00:00'"
    ),
    # 'weekday 1' moves forward to the next Monday unless the day is one: six days back
    # first lands on the Monday of the same week.
    (china_monday, "sqlite"): f"date({{0}}, '+{_CHINA_HOURS} hours', '-6 days', 'weekday 1')",
    # date_trunc('week') truncates to the Monday (ISO weeks).
    (china_monday, "postgresql"): (
        f"CAST(date_trunc('week', {{0}} AT TIME ZONE 'UTC' + INTERVAL '{_CHINA_HOURS} hours')"
        " AS DATE)"
    ),
}


def _compiler(template: str) -> Callable[..., str]:
    def compile_(element: FunctionElement, compiler: SQLCompiler, **kw: Any) -> str:
        return template.format(compiler.process(element.clauses, **kw))

    return compile_


for (_element, _dialect), _template in _SQL.items():
    compiles(_element, _dialect)(_compiler(_template))
