"""Starts the Rasa server, the action server and the console, and stops them together.

`make run` lands here (``python -m bot run``). Each service runs in its own process group so
that one Ctrl-C reaches this supervisor only; it then stops every service in order and waits.
If any service dies on its own, the others are stopped and the exit code is non-zero, with the
reason printed — a half-running bot that silently drops messages is worse than none.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from sqlalchemy.engine import make_url

from bot.privacy import mask_text
from bot.settings import PROJECT_ROOT, Settings, get_settings, scale_settings

STOP_TIMEOUT_S = 15.0
# Rasa's HTTP client keeps idle connections to the action server for 15 s; Sanic closes them
# after 5 s by default, and under load Rasa then writes a call into a closing connection and
# drops that action's events ("Cannot write to closing transport", seen by `make load`).
# The server side must outlive the client side.
ACTION_KEEP_ALIVE_S = "75"


@dataclass
class Service:
    """One supervised process."""

    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    process: asyncio.subprocess.Process | None = field(default=None, repr=False)


def tracker_store_config(url: str) -> dict[str, object]:
    """Translate ``TRACKER_DB_URL`` into Rasa's SQL tracker store settings."""
    parsed = make_url(url)
    dialect = parsed.drivername.split("+", 1)[0]
    if dialect == "sqlite":
        return {"type": "SQL", "dialect": "sqlite", "db": parsed.database}
    config: dict[str, object] = {
        "type": "SQL",
        "dialect": "postgresql" if dialect == "postgres" else dialect,
        "url": parsed.host or "127.0.0.1",
        "db": parsed.database,
    }
    if parsed.port:
        config["port"] = parsed.port
    if parsed.username:
        config["username"] = parsed.username
    if parsed.password:
        config["password"] = parsed.password
    return config


def lock_store_config(url: str) -> dict[str, object]:
    """Translate ``REDIS_URL`` into Rasa's lock store settings (in-memory when empty)."""
    if not url:
        return {"type": "in_memory"}
    parsed = make_url(url.replace("redis://", "redis+py://", 1))
    config: dict[str, object] = {
        # Rasa's Redis lock store, made atomic across processes (see bot/store/lock_store.py).
        "type": "bot.store.lock_store.AtomicRedisLockStore",
        "url": parsed.host or "127.0.0.1",
        "port": parsed.port or 6379,
        "db": int(parsed.database or 0),
    }
    if parsed.password:
        config["password"] = parsed.password
    return config


def render_endpoints(settings: Settings) -> Path:
    """Write ``var/endpoints.yml`` from the settings, so env variables are the one source."""
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    endpoints = {
        # Only actions marked `send_domain` in domain.yml get the domain with each call.
        "action_endpoint": {"url": settings.action_url, "enable_selective_domain": True},
        "tracker_store": tracker_store_config(settings.tracker_db_url),
        "lock_store": lock_store_config(settings.redis_url),
    }
    path = settings.var_dir / "endpoints.yml"
    path.write_text(yaml.safe_dump(endpoints, allow_unicode=True), encoding="utf-8")
    return path


def rasa_executable() -> str:
    """The ``rasa`` script of this interpreter's environment."""
    return str(Path(sys.executable).with_name("rasa"))


def child_env() -> dict[str, str]:
    """Environment of the services: ours, minus Rasa's telemetry and TensorFlow chatter."""
    env = dict(os.environ)
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def train_command(settings: Settings, config: Path | None = None) -> list[str]:
    """``rasa train``: Rasa itself skips training when the data's fingerprint is unchanged."""
    return [
        rasa_executable(), "train",
        "--config", str(config or PROJECT_ROOT / "config.yml"),
        "--domain", str(PROJECT_ROOT / "domain.yml"),
        "--data", str(PROJECT_ROOT / "data"),
        "--out", str(settings.models_dir),
    ]  # fmt: skip


def services(settings: Settings, endpoints: Path) -> list[Service]:
    """The processes of the product, in start order.

    One action server, one Rasa server and the console by default; with ``RASA_WORKERS`` /
    ``ACTION_WORKERS`` above 1 (production mode, see ``bot.production``) that many of each on
    internal ports, and nginx on the public ports in front of them.
    """
    from bot.production import nginx_command, render_nginx, worker_ports

    scale = scale_settings(settings)
    rasa = rasa_executable()
    action_ports, rasa_ports = [settings.action_port], [settings.rasa_port]
    if scale.balanced:
        action_ports = worker_ports(scale.action_internal_port, scale.action_workers)
        rasa_ports = worker_ports(scale.rasa_internal_port, scale.rasa_workers)
    # Behind nginx the workers listen on loopback only: nginx is the public face.
    host = "127.0.0.1" if scale.balanced else settings.bind_host
    # fmt: off
    group = [
        # rasa-sdk has no --interface flag; it reads SANIC_HOST (default 0.0.0.0).
        Service(_numbered("actions", i, action_ports), [
            rasa, "run", "actions", "--actions", "actions", "--port", str(port),
        ], env={"SANIC_HOST": host, "SANIC_KEEP_ALIVE_TIMEOUT": ACTION_KEEP_ALIVE_S})
        for i, port in enumerate(action_ports)
    ]
    group += [
        Service(_numbered("rasa", i, rasa_ports), [
            rasa, "run", "--enable-api", "--auth-token", settings.rasa_token(),
            "--interface", host, "--port", str(port),
            "--model", str(settings.models_dir),
            "--endpoints", str(endpoints),
            "--credentials", str(PROJECT_ROOT / "credentials.yml"),
            "--cors", "*",
        ])
        for i, port in enumerate(rasa_ports)
    ]
    if scale.balanced:
        group.append(Service("nginx", nginx_command(scale, render_nginx(settings, scale))))
    group.append(Service("console", [sys.executable, "-m", "bot.console"]))
    # fmt: on
    return group


def _numbered(name: str, index: int, ports: list[int]) -> str:
    """``rasa`` alone, ``rasa-1``, ``rasa-2`` … when there are several."""
    return name if len(ports) == 1 else f"{name}-{index + 1}"


async def _pipe(name: str, stream: asyncio.StreamReader | None) -> None:
    """Forward a service's output line by line, prefixed and with phone/ID numbers masked."""
    if stream is None:
        return
    while line := await stream.readline():
        text = line.decode("utf-8", errors="replace").rstrip()
        print(f"[{name}] {mask_text(text)}", flush=True)


async def _announce_when_ready(settings: Settings, timeout_s: float = 600) -> None:
    """Print one line with the URLs once Rasa, the actions and the console all answer."""
    import aiohttp

    urls = [
        f"http://127.0.0.1:{settings.rasa_port}/",
        f"http://127.0.0.1:{settings.action_port}/health",
        f"http://127.0.0.1:{settings.console_port}/health",
    ]
    deadline = asyncio.get_running_loop().time() + timeout_s
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as client:
        while urls and asyncio.get_running_loop().time() < deadline:
            for url in list(urls):
                try:
                    async with client.get(url) as response:
                        if response.status == 200:
                            urls.remove(url)
                except (aiohttp.ClientError, asyncio.TimeoutError):
                    pass
            await asyncio.sleep(1)
    if not urls:
        print(
            f"[supervisor] ready: chat POST http://127.0.0.1:{settings.rasa_port}"
            f"/webhooks/rest/webhook · console http://127.0.0.1:{settings.console_port}"
            " · Ctrl-C stops all",
            flush=True,
        )


async def _stop(service: Service) -> None:
    process = service.process
    if process is None or process.returncode is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        await asyncio.wait_for(process.wait(), STOP_TIMEOUT_S)
    except asyncio.TimeoutError:
        os.killpg(process.pid, signal.SIGKILL)
        await process.wait()
    except ProcessLookupError:
        pass


async def supervise(group: Sequence[Service]) -> int:
    """Run ``group`` until a signal or until one service exits; then stop them all.

    Returns:
        0 after a requested stop (Ctrl-C / SIGTERM), 1 when a service died by itself.
    """
    loop = asyncio.get_running_loop()
    stop_requested = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop_requested.set)
    pipes = []
    for service in group:
        service.process = await asyncio.create_subprocess_exec(
            *service.argv,
            cwd=PROJECT_ROOT,
            env={**child_env(), **service.env},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
        pipes.append(asyncio.create_task(_pipe(service.name, service.process.stdout)))
        print(f"[supervisor] started {service.name} (pid {service.process.pid})", flush=True)

    ready = asyncio.create_task(_announce_when_ready(get_settings()))
    waits = {asyncio.create_task(s.process.wait()): s for s in group if s.process is not None}
    stopper = asyncio.create_task(stop_requested.wait())
    done, _ = await asyncio.wait([stopper, *waits], return_when=asyncio.FIRST_COMPLETED)
    exit_code = 0
    if stopper not in done:
        dead = next(waits[task] for task in done if task in waits)
        code = dead.process.returncode if dead.process else None
        print(f"[supervisor] {dead.name} exited with code {code}; stopping the others",
              file=sys.stderr, flush=True)  # fmt: skip
        exit_code = 1
    else:
        print("[supervisor] stopping all services", flush=True)
    for service in reversed(group):
        await _stop(service)
    stopper.cancel()
    ready.cancel()
    await asyncio.gather(*pipes, return_exceptions=True)
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.remove_signal_handler(sig)
    return exit_code


def run(train: bool = True) -> int:
    """Prepare the database and the model, then supervise the three services.

    Args:
        train: Run ``rasa train`` first (a no-op when nothing changed).

    Returns:
        The process exit code.
    """
    from bot.store.migrate import upgrade

    settings = get_settings()
    upgrade(settings.database_url)
    if train:
        result = subprocess.call(train_command(settings), env=child_env())
        if result != 0:
            print(f"[supervisor] training failed with code {result}", file=sys.stderr)
            return result
    if not any(settings.models_dir.glob("*.tar.gz")):
        print(f"[supervisor] no model in {settings.models_dir}; run `make train`", file=sys.stderr)
        return 2
    endpoints = render_endpoints(settings)
    if scale_settings(settings).rasa_workers > 1 and not settings.redis_url:
        # Each process would lock conversations only in its own memory.
        print("[supervisor] warning: several Rasa workers without REDIS_URL cannot keep one "
              "conversation's messages in order", file=sys.stderr, flush=True)  # fmt: skip
    return asyncio.run(supervise(services(settings, endpoints)))
