"""Trainer pages: the inbox synced from the tracker store, one-click labels, export, retrain,
the evaluation report. Jobs write under tmp_path (see the ``trainer_config`` fixture)."""

from __future__ import annotations

import json
import time

from aiohttp.test_utils import TestClient

from bot.console.state import TRAINER
from bot.console.training import TrainerConfig
from bot.settings import Settings
from bot.store.nlu_inbox import list_inbox
from tests.console.conftest import add_staff, customer_event, login, sessions, write_conversation


async def _trainer(client: TestClient) -> str:
    await add_staff(client, "ann", "trainer")
    return await login(client, "ann")


async def test_inbox_syncs_unsure_messages_and_labels_take_one_click_each(
    client: TestClient, settings: Settings
) -> None:
    await write_conversation(
        settings,
        "c1",
        [
            customer_event("这个东西<b>怎么</b>说呢", time.time() - 5, "inform", 0.2, "sadness"),
            customer_event("快递三天没动了", time.time(), "complain_delivery", 0.97),
        ],
    )
    token = await _trainer(client)
    html = await (await client.get("/training")).text()
    assert "这个东西&lt;b&gt;怎么&lt;/b&gt;说呢" in html  # escaped, and only the unsure one
    assert "快递三天没动了" not in html
    assert "暂时连不上对话服务（Rasa）" in html
    async with sessions(client)() as session:
        (row,) = await list_inbox(session)
    await client.post(
        f"/training/inbox/{row.id}/emotion", data={"_csrf": token, "emotion": "sadness"}
    )
    labelled = await client.post(
        f"/training/inbox/{row.id}/intent", data={"_csrf": token, "intent": "complain_quality"}
    )
    assert f"第 {row.id} 条已标为 complain_quality" in await labelled.text()
    async with sessions(client)() as session:
        assert await list_inbox(session) == []
        (done,) = await list_inbox(session, unlabelled_only=False)
    assert (done.label_intent, done.label_emotion, done.labelled_by) == (
        "complain_quality",
        "sadness",
        "ann",
    )
    bad = await client.post(
        f"/training/inbox/{row.id}/intent", data={"_csrf": token, "intent": "no_such_intent"}
    )
    assert "没有保存" in await bad.text()


async def test_export_runs_the_cli_and_retrain_reports_its_state(
    client: TestClient, settings: Settings, trainer_config: TrainerConfig
) -> None:
    await write_conversation(
        settings,
        "c2",
        [customer_event("你们这服务真是绝了，打了八次电话", time.time(), "praise", 0.3)],
    )
    token = await _trainer(client)
    await client.get("/training")
    async with sessions(client)() as session:
        (row,) = await list_inbox(session)
    await client.post(
        f"/training/inbox/{row.id}/intent", data={"_csrf": token, "intent": "complain_service"}
    )
    started = await client.post("/training/jobs/export", data={"_csrf": token})
    assert "已开始" in await started.text()
    assert client.app is not None
    job = await client.app[TRAINER].wait("export")
    assert job is not None and job.state == "succeeded", job.log_tail() if job else None
    exported = trainer_config.export_path.read_text(encoding="utf-8")
    assert "- intent: complain_service" in exported and "打了八次电话" in exported
    await client.post("/training/jobs/train", data={"_csrf": token})
    train = await client.app[TRAINER].wait("train")
    assert train is not None and train.state == "succeeded"
    status = await (await client.get("/training/jobs")).text()
    assert "已完成" in status and "training finished" in status


async def test_report_page_reads_the_latest_evaluation(
    client: TestClient, trainer_config: TrainerConfig
) -> None:
    await _trainer(client)
    empty = await (await client.get("/training/report")).text()
    assert "还没有评估报告" in empty
    folder = trainer_config.reports_dir / "project"
    folder.mkdir(parents=True)
    scores = {"precision": 0.9, "recall": 0.8, "f1-score": 0.85, "support": 20}
    report = {"complain_refund": scores, "macro avg": scores, "accuracy": 0.88}
    (folder / "intent_report.json").write_text(json.dumps(report), encoding="utf-8")
    (folder / "confusion_matrix.png").write_bytes(b"\x89PNG\r\n\x1a\nfake")
    html = await (await client.get("/training/report")).text()
    assert "complain_refund" in html and "0.85" in html and "0.880" in html
    image = await client.get("/training/report/confusion.png")
    assert image.status == 200 and (await image.read()).startswith(b"\x89PNG")
