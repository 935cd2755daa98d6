"""WeChat answer latency while many conversations talk at once (``make bench``).

Starts the whole product with the newest model, points its WeChat channel at a local fake
WeChat API, and lets ``conversations`` simulated users each send ``turns`` messages, built and
encrypted the way WeChat builds them. A message counts as answered when its passive reply
arrives, or — when the channel answered ``success`` — when the first customer-service message
for that user reaches the fake API. Target (issue 6): p99 within 5 s for 20 conversations.

Run alone: ``python -m bot.bench.wechat [--conversations 20] [--turns 3]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import aiohttp

from bot.bench.live import LiveBot, live_bot
from bot.bench.stats import percentile
from bot.bench.wechat_fake import FakeWeChatApi, WeChatSender, iter_openids, new_aes_key
from bot.settings import get_settings

APP_ID = "wxbench000000000"
APP_SECRET = "bench-secret"
TOKEN = "bench-token"
#: What each simulated customer says, turn by turn (a complaint, the phone, a choice).
SCRIPT = ("你们的快递十天了还没到，订单号 2023112400123，太气人了", "13812345678", "1", "谢谢")
ANSWER_TIMEOUT_S = 60.0
TARGET_P99_S = 5.0
#: Mean seconds a customer takes to read an answer and type the next message.
THINK_S = 3.0


@dataclass
class WeChatFigures:
    """Figures of one run (seconds)."""

    conversations: int
    messages: int
    answered: int
    passive: int
    via_api: int
    p50_s: float
    p95_s: float
    p99_s: float
    max_s: float
    think_s: float = THINK_S
    target_p99_s: float = TARGET_P99_S


async def _one_message(
    http: aiohttp.ClientSession, url: str, sender: WeChatSender, fake: FakeWeChatApi,
    openid: str, text: str,
) -> tuple[float, bool] | None:  # fmt: skip
    """Send one message; return (seconds until answered, answered passively), None if never."""
    before = len(fake.sent_to(openid))
    query, body = sender.post(sender.text(openid, text))
    started = time.monotonic()
    async with http.post(url, params=query, data=body) as response:
        reply = sender.reply_text(await response.text()) if response.status == 200 else ""
    if reply:
        return time.monotonic() - started, True
    while len(fake.sent_to(openid)) == before:
        if time.monotonic() - started > ANSWER_TIMEOUT_S:
            return None
        await asyncio.sleep(0.01)
    arrived = fake.sent_to_times(openid)[before]
    return arrived - started, False


async def measure(bot: LiveBot, fake: FakeWeChatApi, sender: WeChatSender,
                  conversations: int, turns: int, think_s: float) -> WeChatFigures:  # fmt: skip
    """Run ``conversations`` customers of ``turns`` messages at once against ``bot``.

    Each customer starts at a random moment within ``think_s`` and, after each answer, takes
    between half and one and a half ``think_s`` to read and type (fixed seed, so runs
    compare). ``think_s=0`` fires every turn of all customers in the same instant.
    """
    rng = random.Random(6)
    url = f"{bot.rasa}/webhooks/wechat/webhook"
    openids = iter_openids("o_bench_")
    latencies: list[tuple[float, bool]] = []
    unanswered: list[bool] = []

    async def customer(http: aiohttp.ClientSession, openid: str) -> None:
        await asyncio.sleep(rng.uniform(0, think_s))
        for text in SCRIPT[:turns]:
            answer = await _one_message(http, url, sender, fake, openid, text)
            # An unanswered message counts as the whole timeout: it must hurt the p99.
            latencies.append(answer or (ANSWER_TIMEOUT_S, False))
            unanswered.append(answer is None)
            # Reading and typing; later answers of the turn may still arrive meanwhile.
            await asyncio.sleep(max(0.5, rng.uniform(0.5 * think_s, 1.5 * think_s)))

    timeout = aiohttp.ClientTimeout(total=ANSWER_TIMEOUT_S)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        await asyncio.gather(*(customer(http, next(openids)) for _ in range(conversations)))
    seconds = [s for s, _ in latencies] or [0.0]
    passive = sum(1 for _, was_passive in latencies if was_passive)
    return WeChatFigures(
        conversations=conversations,
        messages=conversations * turns,
        answered=unanswered.count(False),
        passive=passive,
        via_api=unanswered.count(False) - passive,
        p50_s=round(statistics.median(seconds), 3),
        p95_s=round(percentile(seconds, 0.95), 3),
        p99_s=round(percentile(seconds, 0.99), 3),
        max_s=round(max(seconds), 3),
        think_s=think_s,
    )


def newest_model(models_dir: Path | None = None) -> Path:
    """The newest trained model in ``MODELS_DIR``.

    Raises:
        FileNotFoundError: No model has been trained (``make train``).
    """
    folder = models_dir or get_settings().models_dir
    models = sorted(folder.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        raise FileNotFoundError(f"no trained model in {folder}: run `make train` first")
    return models[-1]


async def _bench(model: Path, conversations: int, turns: int, think_s: float) -> WeChatFigures:
    fake = FakeWeChatApi(APP_ID, APP_SECRET)
    await fake.start()
    aes_key = new_aes_key()
    env = fake.channel_env(TOKEN, aes_key)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-wechat-") as root:
            # Starting the bot blocks for a minute: keep the fake API answering meanwhile.
            loop = asyncio.get_running_loop()
            context = live_bot(model, Path(root), env)
            bot = await loop.run_in_executor(None, context.__enter__)
            try:
                sender = WeChatSender(TOKEN, APP_ID, aes_key)
                return await measure(bot, fake, sender, conversations, turns, think_s)
            finally:
                await loop.run_in_executor(None, context.__exit__, None, None, None)
    finally:
        await fake.stop()


def bench_wechat(
    conversations: int = 20, turns: int = 3, model: Path | None = None, think_s: float = THINK_S
) -> dict[str, float]:
    """Measure WeChat answer latency with ``conversations`` customers talking at once.

    Args:
        conversations: Simulated WeChat users, all talking at the same time.
        turns: Messages each sends (at most ``len(SCRIPT)``), one after the other.
        model: Model to serve; default the newest in ``MODELS_DIR``.
        think_s: Mean seconds between a customer's answer and their next message.

    Returns:
        The figures (see ``WeChatFigures``), e.g. ``{"p99_s": 2.1, ...}``.
    """
    turns = min(turns, len(SCRIPT))
    figures = asyncio.run(_bench(model or newest_model(), conversations, turns, think_s))
    return asdict(figures)


def format_figures(figures: dict[str, float]) -> str:
    """One human-readable line per figure, for ``make bench``."""
    verdict = "ok" if figures["p99_s"] <= figures["target_p99_s"] else "OVER TARGET"
    return "\n".join(
        [
            f"WeChat: {figures['conversations']} conversations at once "
            f"(~{figures['think_s']:.0f} s between a customer's turns), "
            f"{figures['answered']}/{figures['messages']} messages answered "
            f"({figures['passive']} passive, {figures['via_api']} via the customer-service API)",
            f"WeChat answer latency: p50 {figures['p50_s']:.2f} s · p95 {figures['p95_s']:.2f} s"
            f" · p99 {figures['p99_s']:.2f} s · max {figures['max_s']:.2f} s"
            f" (target p99 ≤ {figures['target_p99_s']:.0f} s: {verdict})",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    """CLI: print the figures (``--json`` for machines); exit 1 when p99 misses the target."""
    parser = argparse.ArgumentParser(prog="python -m bot.bench.wechat", description=__doc__)
    parser.add_argument("--conversations", type=int, default=20)
    parser.add_argument("--turns", type=int, default=3)
    parser.add_argument("--think", type=float, default=THINK_S, help="seconds between turns")
    parser.add_argument("--model", type=Path, default=None, help="default: newest in MODELS_DIR")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    figures = bench_wechat(args.conversations, args.turns, args.model, args.think)
    print(json.dumps(figures) if args.json else format_figures(figures))
    return 0 if figures["p99_s"] <= figures["target_p99_s"] else 1


if __name__ == "__main__":
    sys.exit(main())
