"""Production mode's process list and nginx config, checked against a real nginx."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot.bench.live import free_port
from bot.production import render_nginx, worker_ports
from bot.runner import services
from bot.settings import get_settings, scale_settings

needs_nginx = pytest.mark.skipif(
    shutil.which("nginx") is None, reason="nginx not installed (apt-get install nginx-light)"
)


@pytest.fixture
def production_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Two of each worker on free ports, with a private var/."""
    ports = {
        "RASA_PORT": free_port(),
        "ACTION_PORT": free_port(),
        "RASA_INTERNAL_PORT": free_port(2),
        "ACTION_INTERNAL_PORT": free_port(3),
    }
    for name, port in ports.items():
        monkeypatch.setenv(name, str(port))
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("RASA_TOKEN", "secret-token")
    monkeypatch.setenv("RASA_WORKERS", "2")
    monkeypatch.setenv("ACTION_WORKERS", "3")
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_default_is_one_of_each_without_a_balancer(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("RASA_WORKERS", raising=False)
    monkeypatch.delenv("ACTION_WORKERS", raising=False)
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    monkeypatch.setenv("RASA_TOKEN", "t")
    get_settings.cache_clear()
    try:
        settings = get_settings()
        names = [s.name for s in services(settings, tmp_path / "endpoints.yml")]
        assert names == ["actions", "rasa", "console"]
        assert not scale_settings(settings).balanced
        assert not (tmp_path / "nginx").exists()
    finally:
        get_settings.cache_clear()


@needs_nginx
def test_workers_on_internal_ports_behind_nginx(production_env: Path) -> None:
    settings = get_settings()
    scale = scale_settings(settings)
    group = services(settings, production_env / "endpoints.yml")
    names = [s.name for s in group]
    assert names == ["actions-1", "actions-2", "actions-3", "rasa-1", "rasa-2", "nginx", "console"]
    rasa_ports = [s.argv[s.argv.index("--port") + 1] for s in group if s.name.startswith("rasa")]
    assert rasa_ports == [str(p) for p in worker_ports(scale.rasa_internal_port, 2)]
    action_ports = [s.argv[-1] for s in group if s.name.startswith("actions")]
    assert action_ports == [str(scale.action_internal_port + i) for i in range(3)]
    config = Path(group[5].argv[-1]).read_text(encoding="utf-8")
    assert f"listen 127.0.0.1:{settings.rasa_port};" in config
    assert f"listen 127.0.0.1:{settings.action_port};" in config
    assert config.count(f"server 127.0.0.1:{scale.rasa_internal_port + 1} ") == 2
    assert f"server 127.0.0.1:{scale.action_internal_port + 2} " in config
    assert str(settings.var_dir / "nginx") in config and "/var/log" not in config
    checked = subprocess.run(group[5].argv + ["-t"], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr


async def _backend(port: int, name: str) -> web.AppRunner:
    async def answer(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({"backend": name, "path": request.path})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


@needs_nginx
def test_nginx_keeps_each_sender_on_one_process(production_env: Path) -> None:
    """Through the real nginx: every message of a sender reaches the same backend."""
    settings = get_settings()
    scale = scale_settings(settings)
    config = render_nginx(settings, scale)
    nginx = subprocess.Popen(["nginx", "-p", str(config.parent), "-c", str(config)])

    async def scenario() -> dict[str, set[str]]:
        backends = [
            await _backend(port, f"rasa-{i}")
            for i, port in enumerate(worker_ports(scale.rasa_internal_port, 2))
        ]
        seen: dict[str, set[str]] = {}
        try:
            async with aiohttp.ClientSession() as client:
                url = f"http://127.0.0.1:{settings.rasa_port}"
                for _ in range(600):  # nginx starts in well under a minute on a busy machine
                    try:
                        async with client.get(f"{url}/") as response:
                            if response.status == 200:
                                break
                    except aiohttp.ClientError:
                        pass
                    await asyncio.sleep(0.1)
                for sender in (f"customer-{n}" for n in range(20)):
                    for text in ("你好", "快递丢了", "13812345678"):
                        body = {"sender": sender, "message": text}
                        async with client.post(f"{url}/webhooks/rest/webhook", json=body) as r:
                            seen.setdefault(sender, set()).add((await r.json())["backend"])
                    async with client.get(f"{url}/conversations/{sender}/tracker") as r:
                        seen[sender].add((await r.json())["backend"])
        finally:
            for backend in backends:
                await backend.cleanup()
        return seen

    try:
        seen = asyncio.run(scenario())
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)
    assert all(len(backends) == 1 for backends in seen.values()), seen
    # Both processes take a share of the conversations.
    assert {next(iter(b)) for b in seen.values()} == {"rasa-0", "rasa-1"}


def _redis_or_skip() -> str:
    import redis

    url = "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_timeout=2).ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis not reachable at {url}: {error}")
    return url


@pytest.mark.e2e
@pytest.mark.postgres
@needs_nginx
def test_production_mode_serves_a_whole_complaint_through_nginx(
    trained_model: Path, tmp_path: Path
) -> None:
    """2 Rasa + 2 action processes behind nginx, PostgreSQL and Redis: one ticket per complaint."""
    from bot.load.checks import check_run
    from bot.load.deployment import production_bot
    from bot.load.runner import Target, run_load
    from tests.conftest import _require_postgres

    redis_url = _redis_or_skip()
    with production_bot(trained_model, tmp_path, _require_postgres(), redis_url) as (bot, ports):
        # Both Rasa workers serve the model (production_bot waits for them); nginx answers on
        # the public port.
        assert len(ports) == 2
        target = Target(bot.rasa, bot.console, bot.api_token(), bot.rasa_token)
        conversations, _ = asyncio.run(run_load(target, 4, 2, seed=11))
        checks = asyncio.run(check_run(target, conversations))
        log = bot.log_tail(200_000)
    assert [c.error for c in conversations] == [None] * 4, log[-3000:]
    assert all(c.ticket_number for c in conversations)
    assert checks.checked == 4
    # Integrity must be perfect; a category is the small test model's reading of a randomly
    # built message, so a misread category is no data loss (see tests/load/test_load_e2e.py).
    assert not (checks.lost_tickets or checks.duplicate_tickets), checks
    assert not (checks.lost_turns or checks.out_of_order), checks
    assert all(": category " in problem for problem in checks.wrong_fields), checks
    assert "[nginx]" in log or "started nginx" in log
    assert "started rasa-2" in log and "started actions-2" in log
