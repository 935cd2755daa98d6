"""The supervisor dashboard and its CSV export (admin role)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from bot.console import charts
from bot.console.access import ADMIN_ROLES, roles
from bot.console.labels import CATEGORY, CHANNEL, EMOTION, STATUS, name
from bot.console.pages import audit
from bot.console.state import SESSIONMAKER
from bot.store.export import csv_chunks
from bot.store.models import utcnow
from bot.store.reporting import Csat, Report, build_report

#: Periods offered, in days.
PERIODS = (7, 28, 56, 91, 182, 364)
DEFAULT_DAYS = 56


def _days(request: web.Request) -> int:
    try:
        days = int(request.query.get("days", DEFAULT_DAYS))
    except ValueError:
        raise web.HTTPBadRequest() from None
    if days not in PERIODS:
        raise web.HTTPBadRequest()
    return days


def _series(weekly: dict[str, list[Csat]], labels: dict[str, str]) -> dict[str, list[Any]]:
    # The groups with the most ratings get a line; the table below the chart has them all.
    ranked = sorted(weekly.items(), key=lambda item: -sum(c.rated for c in item[1]))
    return {name(labels, group): [c.csat for c in values] for group, values in ranked[:6]}


def _charts(report: Report) -> dict[str, Any]:
    return {
        "category": charts.bar_chart(
            [(name(CATEGORY, k), v) for k, v in report.by_category], "按类别"
        ),
        "status": charts.bar_chart([(name(STATUS, k), v) for k, v in report.by_status], "按状态"),
        "channel": charts.bar_chart(
            [(name(CHANNEL, k), v) for k, v in report.by_channel], "按渠道"
        ),
        "csat_overall": charts.line_chart(
            report.weeks, {"全部": [c.csat for c in report.csat_overall_weekly]}, "每周 CSAT"
        ),
        "csat_category": charts.line_chart(
            report.weeks, _series(report.csat_weekly["category"], CATEGORY), "各类别每周 CSAT"
        ),
        "csat_channel": charts.line_chart(
            report.weeks, _series(report.csat_weekly["channel"], CHANNEL), "各渠道每周 CSAT"
        ),
        "csat_agent": charts.line_chart(
            report.weeks, _series(report.csat_weekly["agent"], {}), "各客服每周 CSAT"
        ),
        "csat_emotion": charts.bar_chart(
            [(name(EMOTION, e), (c.csat or 0) * 100) for e, c in report.csat_by_emotion],
            "按客户最强情绪的 CSAT",
            "{:.0f}%",
        ),
    }


def _totals(weekly: dict[str, list[Csat]]) -> list[tuple[str, Csat]]:
    totals = []
    for group, values in weekly.items():
        rated = sum(c.rated for c in values)
        satisfied = sum((c.csat or 0) * c.rated for c in values)
        totals.append((group, Csat(satisfied / rated if rated else None, rated)))
    return sorted(totals, key=lambda item: -item[1].rated)


@roles(*ADMIN_ROLES)
@aiohttp_jinja2.template("dashboard.html")
async def dashboard(request: web.Request) -> dict[str, Any]:
    """``GET /dashboard?days=``."""
    days = _days(request)
    async with request.app[SESSIONMAKER]() as db:
        report = await build_report(db, days)
    await audit(request, "view_dashboard", None, f"days={days}")
    return {
        "report": report,
        "days": days,
        "periods": PERIODS,
        "charts": _charts(report),
        "totals": {key: _totals(weekly) for key, weekly in report.csat_weekly.items()},
    }


@roles(*ADMIN_ROLES)
async def dashboard_csv(request: web.Request) -> web.StreamResponse:
    """``GET /dashboard.csv?days=``: one row per ticket of the period (no personal data),
    streamed as the database hands the rows over."""
    days = _days(request)
    now = utcnow()
    response = web.StreamResponse(
        headers={"Content-Disposition": f'attachment; filename="tickets-{days}d.csv"'}
    )
    response.content_type = "text/csv"
    response.charset = "utf-8"
    await response.prepare(request)
    rows = 0
    try:
        async with request.app[SESSIONMAKER]() as db:
            connection = await db.connection()
            async for text, count in csv_chunks(connection, now - timedelta(days=days), now, now):
                await response.write(text.encode("utf-8"))
                rows += count
    finally:
        # Also when the download broke off: the rows sent so far count as exported.
        await audit(request, "export_csv", None, f"days={days} rows={rows}")
    await response.write_eof()
    return response


def setup_routes(app: web.Application) -> None:
    """Register the routes of this module."""
    app.router.add_get("/dashboard", dashboard)
    app.router.add_get("/dashboard.csv", dashboard_csv)
