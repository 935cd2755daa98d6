"""Trainer views: the NLU inbox (one click per label), export, retrain, evaluation report.

The inbox is the one the command line uses (``python -m bot nlu inbox|label|export``):
uncertain messages are synced from the tracker store when the page opens (at most once a
minute, only messages newer than the last sync), agents' flags arrive from conversation pages.
"""

from __future__ import annotations

import json
import time
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from bot.console.access import TRAINER_ROLES, current_staff, roles
from bot.console.pages import audit, flash
from bot.console.rasa_client import RasaUnavailable
from bot.console.state import RASA, SESSIONMAKER, TRACKER, TRAINER
from bot.console.training import JobAlreadyRunning
from bot.privacy import mask_text
from bot.settings import PROJECT_ROOT
from bot.store.models import EMOTIONS
from bot.store.nlu_inbox import (
    LabelNotFoundError,
    label,
    list_inbox,
    newest_synced_at,
    set_emotion,
    sync_inbox,
)
from bot.store.transcripts import uncertain_messages

#: Seconds between automatic syncs of the inbox from the tracker store.
SYNC_EVERY_S = 60
INBOX_PAGE = 25
#: Most messages one sync reads (as ``bot nlu inbox``).
SYNC_LIMIT = 5000
JOB_NAMES = {"export": "导出训练数据", "train": "重新训练模型"}


async def sync(app: web.Application) -> int:
    """Pull new uncertain messages from the tracker store into the inbox; return how many."""
    from bot.commands.nlu import fallback_threshold

    threshold = fallback_threshold(PROJECT_ROOT / "config.yml")
    async with app[SESSIONMAKER]() as db:
        since = await newest_synced_at(db)
        messages = await uncertain_messages(app[TRACKER], threshold, since, SYNC_LIMIT)
        added = await sync_inbox(db, messages)
    app[TRAINER].last_sync = time.monotonic()
    return added


def _label_intents(intents: list[str]) -> tuple[list[str], list[str]]:
    usable = [i for i in intents if not i.startswith("EXTERNAL_")]
    return [i for i in usable if i.startswith("complain_")], [
        i for i in usable if not i.startswith("complain_")
    ]


async def _model_status(app: web.Application) -> dict[str, Any]:
    try:
        status = await app[RASA].status()
    except RasaUnavailable:
        return {"up": False}
    return {"up": True, "file": status.get("model_file"), "id": status.get("model_id")}


@roles(*TRAINER_ROLES)
@aiohttp_jinja2.template("training.html")
async def inbox_page(request: web.Request) -> dict[str, Any]:
    """``GET /training?all=1``: the inbox, jobs and the serving model."""
    jobs = request.app[TRAINER]
    if jobs.last_sync is None or time.monotonic() - jobs.last_sync > SYNC_EVERY_S:
        await sync(request.app)
    show_all = request.query.get("all") == "1"
    async with request.app[SESSIONMAKER]() as db:
        rows = await list_inbox(db, unlabelled_only=not show_all, limit=INBOX_PAGE)
    complaints, others = _label_intents(jobs.intents())
    models = sorted(jobs.config.models_dir.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return {
        "rows": [{"row": r, "text": mask_text(r.text)} for r in rows],
        "show_all": show_all,
        "complaint_intents": complaints,
        "other_intents": others,
        "emotions": EMOTIONS,
        "jobs": {name: jobs.latest(name) for name in JOB_NAMES},
        "job_names": JOB_NAMES,
        "serving": await _model_status(request.app),
        "newest_model": models[-1].name if models else None,
    }


def _label_id(request: web.Request) -> int:
    try:
        return int(request.match_info["id"])
    except ValueError:
        raise web.HTTPNotFound() from None


async def _field(request: web.Request, name: str) -> str:
    value = (await request.post()).get(name, "")
    return value if isinstance(value, str) else ""


def _done(request: web.Request) -> web.HTTPFound:
    return web.HTTPFound("/training?all=1" if request.query.get("all") == "1" else "/training")


@roles(*TRAINER_ROLES)
async def label_intent(request: web.Request) -> web.StreamResponse:
    """``POST /training/inbox/{id}/intent`` with ``intent``; keeps an emotion set before."""
    label_id = _label_id(request)
    intent = await _field(request, "intent")
    staff = await current_staff(request)
    assert staff is not None
    async with request.app[SESSIONMAKER]() as db:
        from bot.store.models import NluLabel

        row = await db.get(NluLabel, label_id)
        if row is None:
            raise web.HTTPNotFound()
        try:
            await label(
                db, label_id, intent, row.label_emotion, staff.username,
                allowed_intents=set(request.app[TRAINER].intents()),
            )  # fmt: skip
        except ValueError as error:
            await flash(request, f"没有保存：{error}", "error")
            raise _done(request) from None
    await audit(request, "label_intent", str(label_id), intent)
    await flash(request, f"第 {label_id} 条已标为 {intent}。")
    raise _done(request)


@roles(*TRAINER_ROLES)
async def label_emotion(request: web.Request) -> web.StreamResponse:
    """``POST /training/inbox/{id}/emotion`` with ``emotion``."""
    label_id = _label_id(request)
    emotion = await _field(request, "emotion")
    staff = await current_staff(request)
    assert staff is not None
    async with request.app[SESSIONMAKER]() as db:
        try:
            await set_emotion(db, label_id, emotion, staff.username)
        except LabelNotFoundError:
            raise web.HTTPNotFound() from None
        except ValueError as error:
            await flash(request, f"没有保存：{error}", "error")
            raise _done(request) from None
    await audit(request, "label_emotion", str(label_id), emotion)
    raise _done(request)


@roles(*TRAINER_ROLES)
async def sync_now(request: web.Request) -> web.StreamResponse:
    """``POST /training/sync``."""
    added = await sync(request.app)
    await audit(request, "inbox_sync", None, f"added={added}")
    await flash(request, f"已同步，新增 {added} 条。")
    raise web.HTTPFound("/training")


@roles(*TRAINER_ROLES)
async def start_job(request: web.Request) -> web.StreamResponse:
    """``POST /training/jobs/{name}``: ``export`` or ``train`` in the background."""
    name = request.match_info["name"]
    if name not in JOB_NAMES:
        raise web.HTTPNotFound()
    staff = await current_staff(request)
    assert staff is not None
    try:
        await request.app[TRAINER].start(name, staff.username)
    except JobAlreadyRunning:
        await flash(request, f"「{JOB_NAMES[name]}」还在进行中，请等它结束。", "warn")
        raise web.HTTPFound("/training") from None
    await audit(request, "inbox_export" if name == "export" else "retrain")
    await flash(request, f"「{JOB_NAMES[name]}」已开始，进度见下方。")
    raise web.HTTPFound("/training")


@roles(*TRAINER_ROLES)
@aiohttp_jinja2.template("jobs.html")
async def jobs_fragment(request: web.Request) -> dict[str, Any]:
    """``GET /training/jobs``: job states and log tails, for live updates."""
    jobs = request.app[TRAINER]
    return {"jobs": {name: jobs.latest(name) for name in JOB_NAMES}, "job_names": JOB_NAMES}


def _read_json(path: Any) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


@roles(*TRAINER_ROLES)
@aiohttp_jinja2.template("report.html")
async def report_page(request: web.Request) -> dict[str, Any]:
    """``GET /training/report``: the latest ``make evaluate`` output (reports/nlu/)."""
    folder = request.app[TRAINER].config.reports_dir
    report = _read_json(folder / "project" / "intent_report.json") or {}
    intents = [
        (intent, scores)
        for intent, scores in sorted(report.items())
        if isinstance(scores, dict) and "f1-score" in scores and not intent.endswith(" avg")
    ]
    summary = folder / "summary.md"
    image = folder / "project" / "confusion_matrix.png"
    return {
        "intents": intents,
        "averages": {k: report[k] for k in ("macro avg", "weighted avg") if k in report},
        "accuracy": report.get("accuracy"),
        "summary": summary.read_text(encoding="utf-8") if summary.exists() else None,
        "generated": image.stat().st_mtime if image.exists() else None,
        "has_image": image.exists(),
        "pairs": _read_json(folder / "project" / "confused_pairs.json") or [],
    }


@roles(*TRAINER_ROLES)
async def confusion_image(request: web.Request) -> web.StreamResponse:
    """``GET /training/report/confusion.png``."""
    image = request.app[TRAINER].config.reports_dir / "project" / "confusion_matrix.png"
    if not image.exists():
        raise web.HTTPNotFound()
    return web.FileResponse(image, headers={"Cache-Control": "no-store"})


def setup_routes(app: web.Application) -> None:
    """Register the routes of this module."""
    app.router.add_get("/training", inbox_page)
    app.router.add_post("/training/inbox/{id}/intent", label_intent)
    app.router.add_post("/training/inbox/{id}/emotion", label_emotion)
    app.router.add_post("/training/sync", sync_now)
    app.router.add_post("/training/jobs/{name}", start_job)
    app.router.add_get("/training/jobs", jobs_fragment)
    app.router.add_get("/training/report", report_page)
    app.router.add_get("/training/report/confusion.png", confusion_image)
