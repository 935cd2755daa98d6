"""The one source of configuration: every setting comes from an environment variable.

Defaults are the embedded ones (SQLite files under ``var/``, in-memory lock store) so that
``make run`` works on a fresh clone with no servers installed.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


@dataclass(frozen=True)
class Settings:
    """Runtime settings of all three processes.

    Attributes:
        var_dir: Folder for embedded databases, generated files and logs (``VAR_DIR``).
        database_url: Tickets database (``DATABASE_URL``), any SQLAlchemy URL; sync drivers
            are swapped for their async twins by ``bot.store.db``.
        tracker_db_url: Rasa's SQL tracker store (``TRACKER_DB_URL``).
        redis_url: Redis lock store (``REDIS_URL``); empty means Rasa's in-memory lock store.
        bind_host: Interface all servers listen on (``BIND_HOST``).
        rasa_port: Rasa server port (``RASA_PORT``).
        action_port: Action server port (``ACTION_PORT``).
        console_port: Staff console port (``CONSOLE_PORT``).
        rasa_url: Where the console reaches the Rasa HTTP API (``RASA_URL``).
        action_url: Where Rasa reaches the action server (``ACTION_URL``).
        models_dir: Folder of trained models (``MODELS_DIR``).
        sla_file: YAML file with the per-category response times (``SLA_FILE``).
    """

    var_dir: Path
    database_url: str
    tracker_db_url: str
    redis_url: str
    bind_host: str
    rasa_port: int
    action_port: int
    console_port: int
    rasa_url: str
    action_url: str
    models_dir: Path
    sla_file: Path

    @property
    def rasa_token_file(self) -> Path:
        """File holding the Rasa HTTP API token when ``RASA_TOKEN`` is not set."""
        return self.var_dir / "rasa_token"

    def rasa_token(self) -> str:
        """Return the Rasa API token: ``RASA_TOKEN``, or one generated once and kept in var/.

        A generated token is stored with mode 0600 so that the console process started next
        to Rasa can read it and nothing is committed to the repository.
        """
        configured = os.environ.get("RASA_TOKEN", "").strip()
        if configured:
            return configured
        path = self.rasa_token_file
        if path.exists():
            return path.read_text(encoding="utf-8").strip()
        path.parent.mkdir(parents=True, exist_ok=True)
        token = secrets.token_urlsafe(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(token)
        return token


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Read the settings from the environment once per process."""
    var_dir = Path(_env("VAR_DIR", str(PROJECT_ROOT / "var"))).resolve()
    host = _env("BIND_HOST", "127.0.0.1")
    rasa_port = _env_int("RASA_PORT", 5005)
    action_port = _env_int("ACTION_PORT", 5055)
    return Settings(
        var_dir=var_dir,
        database_url=_env("DATABASE_URL", f"sqlite:///{var_dir / 'tickets.db'}"),
        tracker_db_url=_env("TRACKER_DB_URL", f"sqlite:///{var_dir / 'tracker.db'}"),
        redis_url=_env("REDIS_URL", ""),
        bind_host=host,
        rasa_port=rasa_port,
        action_port=action_port,
        console_port=_env_int("CONSOLE_PORT", 8000),
        rasa_url=_env("RASA_URL", f"http://127.0.0.1:{rasa_port}"),
        action_url=_env("ACTION_URL", f"http://127.0.0.1:{action_port}/webhook"),
        models_dir=Path(_env("MODELS_DIR", str(PROJECT_ROOT / "models"))).resolve(),
        sla_file=Path(_env("SLA_FILE", str(PROJECT_ROOT / "sla.yml"))).resolve(),
    )
