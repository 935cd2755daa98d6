"""Trainer jobs started from the console: export labels to training data, retrain the model.

Each job is the project's own command line (``python -m bot nlu export``, ``python -m bot
train``) run as a background subprocess with its output in a log file under ``var/console/``;
the console shows its state and the end of its log. One job of each kind runs at a time.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.settings import PROJECT_ROOT, Settings
from bot.store.models import utcnow

logger = logging.getLogger(__name__)

#: Characters of a job's log shown in the console.
LOG_TAIL_CHARS = 4000


@dataclass(frozen=True)
class TrainerConfig:
    """Where the trainer views read and write, and which commands their jobs run.

    Attributes:
        domain: The Rasa domain (intents offered as labels).
        nlu_dir: NLU training data (``bot nlu export --nlu-dir``).
        export_path: File labelled messages are appended to (``--out``).
        reports_dir: Output of ``make evaluate`` (``reports/nlu``).
        models_dir: Trained models.
        log_dir: Where job logs go.
        commands: Job name → argv.
        env: Extra environment of the jobs (the database the console uses).
    """

    domain: Path
    nlu_dir: Path
    export_path: Path
    reports_dir: Path
    models_dir: Path
    log_dir: Path
    commands: dict[str, list[str]]
    env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings) -> TrainerConfig:
        """The project's own folders and commands."""
        nlu_dir = PROJECT_ROOT / "data" / "nlu"
        export_path = nlu_dir / "inbox.yml"
        python = sys.executable
        return cls(
            domain=PROJECT_ROOT / "domain.yml",
            nlu_dir=nlu_dir,
            export_path=export_path,
            reports_dir=PROJECT_ROOT / "reports" / "nlu",
            models_dir=settings.models_dir,
            log_dir=settings.var_dir / "console",
            commands={
                "export": [
                    python,
                    "-m",
                    "bot",
                    "nlu",
                    "export",
                    "--out",
                    str(export_path),
                    "--nlu-dir",
                    str(nlu_dir),
                ],
                "train": [python, "-m", "bot", "train"],
            },  # fmt: skip
            env={"DATABASE_URL": settings.database_url, "VAR_DIR": str(settings.var_dir)},
        )


@dataclass
class Job:
    """One run of a trainer command."""

    name: str
    started_by: str
    started_at: datetime
    log_path: Path
    finished_at: datetime | None = None
    returncode: int | None = None
    process: Any = None

    @property
    def running(self) -> bool:
        """Still running."""
        return self.finished_at is None

    @property
    def state(self) -> str:
        """``running``, ``succeeded`` or ``failed``."""
        if self.running:
            return "running"
        return "succeeded" if self.returncode == 0 else "failed"

    def log_tail(self) -> str:
        """The end of the job's output."""
        try:
            data = self.log_path.read_bytes()[-LOG_TAIL_CHARS * 3 :]
        except OSError:
            return ""
        return data.decode("utf-8", errors="replace")[-LOG_TAIL_CHARS:]


class JobAlreadyRunning(RuntimeError):
    """A job of that kind is still running."""


class TrainerJobs:
    """The console's trainer jobs (one process per console; state lives in memory)."""

    def __init__(self, config: TrainerConfig) -> None:
        self.config = config
        self.jobs: dict[str, Job] = {}
        self.last_sync: float | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._intents: tuple[float, list[str]] | None = None

    def intents(self) -> list[str]:
        """The domain's intents, sorted (re-read when domain.yml changes)."""
        from bot.commands.nlu import domain_intents

        mtime = self.config.domain.stat().st_mtime
        if self._intents is None or self._intents[0] != mtime:
            self._intents = (mtime, sorted(domain_intents(self.config.domain)))
        return self._intents[1]

    def latest(self, name: str) -> Job | None:
        """The last job of kind ``name``, running or finished."""
        return self.jobs.get(name)

    async def start(self, name: str, started_by: str) -> Job:
        """Start job ``name`` in the background.

        Raises:
            JobAlreadyRunning: One of that kind is still running.
            KeyError: Unknown job name.
        """
        argv = self.config.commands[name]
        current = self.jobs.get(name)
        if current is not None and current.running:
            raise JobAlreadyRunning(name)
        self.config.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.config.log_dir / f"{name}.log"
        job = Job(name, started_by, utcnow(), log_path)
        self.jobs[name] = job
        with log_path.open("wb") as log:
            job.process = await asyncio.create_subprocess_exec(
                *argv,
                cwd=PROJECT_ROOT,
                env={**os.environ, **self.config.env},
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
            )
        task = asyncio.create_task(self._wait(job))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return job

    async def _wait(self, job: Job) -> None:
        job.returncode = await job.process.wait()
        job.finished_at = utcnow()
        logger.info("trainer job %s finished with %s", job.name, job.returncode)

    async def wait(self, name: str) -> Job | None:
        """Wait until the latest job of kind ``name`` has finished (tests, shutdown)."""
        job = self.jobs.get(name)
        if job is not None and job.running:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        return job

    async def stop_all(self) -> None:
        """Terminate running jobs (the console is shutting down)."""
        for job in self.jobs.values():
            if job.running and job.process is not None and job.process.returncode is None:
                job.process.terminate()
        await asyncio.gather(*self._tasks, return_exceptions=True)
