"""The one source of configuration: every setting comes from an environment variable.

Defaults are the embedded ones (SQLite files under ``var/``, in-memory lock store) so that
``make run`` works on a fresh clone with no servers installed.
"""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Callable, Mapping
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
        local_actions: Run the custom actions without I/O inside the Rasa server
            (``LOCAL_ACTIONS``, default 1; 0 sends every action to the action server; see
            ``bot/rasa_local_actions.py``).
        tracker_cache_size: Conversations whose tracker the Rasa server keeps between turns
            (``TRACKER_CACHE_SIZE``, default 500; 0 loads every turn from the tracker store;
            see ``bot/rasa_tracker_cache.py``).
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
    local_actions: bool = True
    tracker_cache_size: int = 500

    @property
    def rasa_token_file(self) -> Path:
        """File holding the Rasa HTTP API token when ``RASA_TOKEN`` is not set."""
        return self.var_dir / "rasa_token"

    @property
    def data_key_file(self) -> Path:
        """File holding the at-rest encryption key when ``DATA_KEY`` is not set."""
        return self.var_dir / "data.key"

    def rasa_token(self) -> str:
        """Return the Rasa API token: ``RASA_TOKEN``, or one generated once and kept in var/."""
        return _secret("RASA_TOKEN", self.rasa_token_file, lambda: secrets.token_urlsafe(32))

    def data_keys(self) -> list[str]:
        """Return the keys that encrypt personal data at rest (``DATA_KEY``, comma-separated).

        The first key encrypts; all of them decrypt, so a key can be rotated by putting the
        new one first. Without ``DATA_KEY`` a key is generated once and kept in var/.
        """
        raw = _secret("DATA_KEY", self.data_key_file, _new_fernet_key)
        return [key.strip() for key in raw.split(",") if key.strip()]


def _new_fernet_key() -> str:
    # A Fernet key: 32 random bytes, URL-safe base64 (what Fernet.generate_key() returns).
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")


def _secret(env_name: str, path: Path, generate: Callable[[], str]) -> str:
    """Return a secret from ``env_name``, or one generated once and stored in ``path``.

    A generated secret is written with mode 0600 so that the processes started next to each
    other share it and nothing is committed to the repository; ``O_EXCL`` makes concurrent
    first starts agree on one value.
    """
    configured = os.environ.get(env_name, "").strip()
    if configured:
        return configured
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process created it first: read theirs
        else:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(generate())
    return path.read_text(encoding="utf-8").strip()


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
        local_actions=_env("LOCAL_ACTIONS", "1") != "0",
        tracker_cache_size=max(0, _env_int("TRACKER_CACHE_SIZE", 500)),
    )


# --- customer channels (issue 6) ---

#: WeChat's API host; ``WECHAT_API_BASE`` points tests and the benchmark at a local fake.
WECHAT_API_BASE = "https://api.weixin.qq.com"
#: Seconds the WeChat channel waits for the bot before answering ``success`` and sending the
#: answer through the customer-service API (WeChat itself gives up after 5 s).
WECHAT_REPLY_TIMEOUT_S = 4.0


@dataclass(frozen=True)
class WeChatSettings:
    """The Official Account the WeChat channel serves.

    Each value comes from its environment variable when set, else from the channel's entry in
    ``credentials.yml`` (key in brackets), else the default.

    Attributes:
        token: ``WECHAT_TOKEN`` [token]: the Token entered in the account's server settings.
        app_id: ``WECHAT_APP_ID`` [app_id]: AppID.
        app_secret: ``WECHAT_APP_SECRET`` [app_secret]: AppSecret, for access tokens.
        aes_key: ``WECHAT_AES_KEY`` [aes_key]: EncodingAESKey (43 characters); empty means
            plaintext mode only.
        api_base: ``WECHAT_API_BASE`` [api_base]: API scheme and host.
        reply_timeout_s: ``WECHAT_REPLY_TIMEOUT`` [reply_timeout]: see
            ``WECHAT_REPLY_TIMEOUT_S``.
    """

    token: str
    app_id: str
    app_secret: str
    aes_key: str
    api_base: str
    reply_timeout_s: float


def wechat_settings(credentials: Mapping[str, object] | None = None) -> WeChatSettings:
    """Merge ``WECHAT_*`` environment variables over the channel's ``credentials.yml`` entry."""
    given = credentials or {}

    def value(env_name: str, key: str, default: str) -> str:
        return _env(env_name, str(given.get(key) or "").strip() or default)

    return WeChatSettings(
        token=value("WECHAT_TOKEN", "token", ""),
        app_id=value("WECHAT_APP_ID", "app_id", ""),
        app_secret=value("WECHAT_APP_SECRET", "app_secret", ""),
        aes_key=value("WECHAT_AES_KEY", "aes_key", ""),
        api_base=value("WECHAT_API_BASE", "api_base", WECHAT_API_BASE),
        reply_timeout_s=float(value("WECHAT_REPLY_TIMEOUT", "reply_timeout", "")
                              or WECHAT_REPLY_TIMEOUT_S),
    )  # fmt: skip


def widget_secret(settings: Settings) -> str:
    """Key that signs web-chat session ids (``WIDGET_SECRET``, else generated once in var/).

    Every Rasa server behind one load balancer needs the same value.
    """
    return _secret(
        "WIDGET_SECRET", settings.var_dir / "widget.key", lambda: secrets.token_urlsafe(32)
    )


def chat_server_url(settings: Settings) -> str:
    """Where browsers reach Rasa's socket.io endpoint (``CHAT_SERVER_URL``; default RASA_URL)."""
    return _env("CHAT_SERVER_URL", settings.rasa_url)


# --- staff console (issue 7) ---


def console_secret(settings: Settings) -> str:
    """Key that encrypts and signs staff console session cookies (``CONSOLE_SECRET``, else
    generated once in var/). Every console process behind one load balancer needs the same."""
    return _secret("CONSOLE_SECRET", settings.var_dir / "console.key", _new_fernet_key)


def console_secure_cookies() -> bool:
    """Send the session cookie only over HTTPS (``CONSOLE_SECURE_COOKIE=1`` behind TLS)."""
    return _env("CONSOLE_SECURE_COOKIE", "0").lower() in ("1", "true", "yes")


# --- production mode (issue 8) ---


@dataclass(frozen=True)
class ScaleSettings:
    """How many processes serve each public port (``make run`` in production mode).

    With more than one of either, the supervisor starts that many on consecutive internal
    ports and nginx on the public port (``RASA_PORT`` / ``ACTION_PORT``) in front of them.

    Attributes:
        rasa_workers: Rasa server processes (``RASA_WORKERS``, default 1: no load balancer).
        action_workers: Action server processes (``ACTION_WORKERS``, default 1).
        rasa_internal_port: First internal Rasa port (``RASA_INTERNAL_PORT``,
            default ``RASA_PORT`` + 1000).
        action_internal_port: First internal action-server port (``ACTION_INTERNAL_PORT``,
            default ``ACTION_PORT`` + 1000).
        nginx: The nginx executable (``NGINX``).
    """

    rasa_workers: int
    action_workers: int
    rasa_internal_port: int
    action_internal_port: int
    nginx: str

    @property
    def balanced(self) -> bool:
        """Whether a load balancer sits in front of the workers."""
        return self.rasa_workers > 1 or self.action_workers > 1


def scale_settings(settings: Settings) -> ScaleSettings:
    """Read the production-mode process counts and internal ports from the environment."""
    return ScaleSettings(
        rasa_workers=max(1, _env_int("RASA_WORKERS", 1)),
        action_workers=max(1, _env_int("ACTION_WORKERS", 1)),
        rasa_internal_port=_env_int("RASA_INTERNAL_PORT", settings.rasa_port + 1000),
        action_internal_port=_env_int("ACTION_INTERNAL_PORT", settings.action_port + 1000),
        nginx=_env("NGINX", "nginx"),
    )
