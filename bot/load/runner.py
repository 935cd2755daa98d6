"""Drives many simulated customers at once against a running deployment.

Each conversation: the opening, the bot's questions answered as the scenario says (or a
request for a person), then perhaps a status question, and, for some, a resolve through the
console's ticket API followed by the satisfaction survey. Every turn is timed.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import aiohttp

from bot.load.scenarios import (
    HANDOFF_REQUESTS,
    STATUS_QUESTIONS,
    TICKET_NUMBER,
    Scenario,
    make_scenario,
    next_message,
)

MAX_INTAKE_TURNS = 10
TURN_TIMEOUT_S = 60.0
#: Mean seconds a customer takes to read an answer and send the next message. People need
#: 5–30 s to read and type a Chinese sentence on a phone; 3 s is a fast customer, so 50 of them
#: send about 15 turns/s. 0 fires every next message the moment the answer arrives, which
#: measures saturation throughput rather than what customers see.
THINK_S = 3.0
Reply = tuple[str, list[dict[str, object]]]


@dataclass
class Turn:
    """One customer message and how the bot answered it."""

    kind: str
    text: str
    latency_s: float
    error: str | None = None


@dataclass
class Conversation:
    """What happened in one simulated conversation."""

    scenario: Scenario
    turns: list[Turn] = field(default_factory=list)
    ticket_number: str | None = None
    resolved: bool = False
    error: str | None = None

    @property
    def sent(self) -> list[str]:
        """The customer's messages in the order they were sent."""
        return [turn.text for turn in self.turns]


class Channel(Protocol):
    """How a customer reaches the bot."""

    async def open(self, scenario: Scenario) -> None:
        """Start the customer's session (may replace ``scenario.sender``)."""

    async def say(self, scenario: Scenario, text: str) -> Reply:
        """Send ``text``; return the bot's joined texts and its buttons."""

    async def close(self) -> None:
        """End the session."""


class RestChannel:
    """Rasa's REST channel: one POST per message, the answer in the response."""

    def __init__(self, client: aiohttp.ClientSession, url: str) -> None:
        """Talk to Rasa at ``url`` through ``client``."""
        self.client, self.url = client, url

    async def open(self, scenario: Scenario) -> None:
        """Nothing to open: the sender id is the session."""

    async def say(self, scenario: Scenario, text: str) -> Reply:
        """POST one message to ``/webhooks/rest/webhook``."""
        body = {"sender": scenario.sender, "message": text}
        async with self.client.post(f"{self.url}/webhooks/rest/webhook", json=body) as response:
            if response.status != 200:
                raise RuntimeError(f"HTTP {response.status}")
            messages = await response.json()
        return _join(messages, "buttons")

    async def close(self) -> None:
        """Nothing to close."""


class SocketIOChannel:
    """The web widget's socket.io channel (long polling); answers arrive as events."""

    QUIET_S = 0.5  # an answer is complete after this long without another message

    def __init__(self, url: str) -> None:
        """Connect to Rasa's socket.io endpoint at ``url``."""
        import socketio

        self.url = url
        self.sio = socketio.AsyncClient(reconnection=False)
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.confirmed: asyncio.Queue[str] = asyncio.Queue()
        self.sio.on("bot_uttered", self.inbox.put)
        self.sio.on("session_confirm", self.confirmed.put)

    async def open(self, scenario: Scenario) -> None:
        """Ask for a new session; the server issues the sender id."""
        # Long polling, as browsers start: the websocket transport of python-engineio needs a
        # newer aiohttp than Rasa 3.6 pins.
        await self.sio.connect(self.url, transports=["polling"], socketio_path="/socket.io")
        await self.sio.emit("session_request", {"session_id": None})
        token = await asyncio.wait_for(self.confirmed.get(), TURN_TIMEOUT_S)
        scenario.sender = str(token).split(".", 1)[0]
        self.token = str(token)
        await self.drain(self.QUIET_S)  # a greeting, if the bot sends one

    async def drain(self, first_wait_s: float) -> Reply:
        """Collect messages until none came for ``QUIET_S`` (the first may take longer)."""
        messages: list[dict[str, Any]] = []
        wait = first_wait_s
        while True:
            try:
                messages.append(await asyncio.wait_for(self.inbox.get(), wait))
            except asyncio.TimeoutError:
                return _join(messages, "quick_replies")
            wait = self.QUIET_S

    async def say(self, scenario: Scenario, text: str) -> Reply:
        """Emit ``user_uttered`` and gather the answer."""
        await self.sio.emit("user_uttered", {"message": text, "session_id": self.token})
        return await self.drain(TURN_TIMEOUT_S)

    async def close(self) -> None:
        """Disconnect."""
        await self.sio.disconnect()


def _join(messages: list[dict[str, Any]], button_key: str) -> Reply:
    texts = "\n".join(str(m.get("text") or "") for m in messages)
    buttons = [b for m in messages for b in (m.get(button_key) or m.get("buttons") or [])]
    return texts, buttons


@dataclass
class Target:
    """Where the deployment answers: Rasa and its token, the console's ticket API and its token."""

    rasa_url: str
    console_url: str
    api_token: str
    rasa_token: str
    channel: str = "rest"


@dataclass
class Pace:
    """How long a simulated customer pauses before each message (fixed seed per customer)."""

    rng: random.Random
    think_s: float = 0.0

    async def pause(self, first: bool) -> None:
        """Sleep before a message: a random start within ``think_s`` for the first one, then
        between half and one and a half ``think_s`` (reading the answer, typing the next)."""
        if self.think_s <= 0:
            return
        # Spread the first messages so the customers do not all arrive in the same instant.
        low, high = (0.0, 1.0) if first else (0.5, 1.5)
        await asyncio.sleep(self.rng.uniform(low * self.think_s, high * self.think_s))


async def _turn(
    channel: Channel,
    conversation: Conversation,
    kind: str,
    text: str,
    on_turn: Callable[[], None],
    pace: Pace | None = None,
) -> Reply:
    if pace is not None:
        await pace.pause(first=not conversation.turns)
    started = time.perf_counter()
    try:
        reply = await asyncio.wait_for(channel.say(conversation.scenario, text), TURN_TIMEOUT_S)
    except (aiohttp.ClientError, asyncio.TimeoutError, RuntimeError, ValueError) as error:
        elapsed = time.perf_counter() - started
        conversation.turns.append(Turn(kind, text, elapsed, f"{type(error).__name__}: {error}"))
        on_turn()
        raise
    conversation.turns.append(Turn(kind, text, time.perf_counter() - started))
    on_turn()
    return reply


async def _resolve(client: aiohttp.ClientSession, target: Target, number: str) -> bool:
    headers = {"Authorization": f"Bearer {target.api_token}"}
    url = f"{target.console_url}/api/tickets/{number}/resolve"
    async with client.post(url, json={"note": "压测：已处理"}, headers=headers) as response:
        if response.status != 200:
            raise RuntimeError(f"resolve {number}: HTTP {response.status}")
        return bool((await response.json()).get("survey_started"))


async def converse(
    channel: Channel,
    client: aiohttp.ClientSession,
    target: Target,
    conversation: Conversation,
    rng: random.Random,
    on_turn: Callable[[], None],
    pace: Pace | None = None,
) -> None:
    """Hold one whole conversation; failures end it and are recorded, never raised."""
    scenario = conversation.scenario

    async def say(kind: str, text: str) -> Reply:
        return await _turn(channel, conversation, kind, text, on_turn, pace)

    try:
        await channel.open(scenario)
        if scenario.greeting:
            await say("greet", scenario.greeting)
        text, buttons = await say("opening", scenario.opening)
        if scenario.handoff:
            request = rng.choice(HANDOFF_REQUESTS)
            text, buttons = await say("handoff", request)
        for _ in range(MAX_INTAKE_TURNS):
            if found := TICKET_NUMBER.search(text):
                conversation.ticket_number = found.group(0)
                break
            kind, message = next_message(scenario, rng, text, buttons)
            text, buttons = await say(kind, message)
        else:
            conversation.error = "no ticket number after the intake"
            return
        if scenario.status_check:
            await say("status", rng.choice(STATUS_QUESTIONS))
        if scenario.closing:
            await say("closing", scenario.closing)
        if scenario.survey and conversation.ticket_number:
            conversation.resolved = await _resolve(client, target, conversation.ticket_number)
            if isinstance(channel, SocketIOChannel):
                await channel.drain(TURN_TIMEOUT_S)  # the survey question is pushed
            for answer in scenario.survey:
                await say("survey", answer)
    except Exception as error:  # noqa: BLE001 - one customer's failure is a figure, not a crash
        conversation.error = f"{type(error).__name__}: {error}"
    finally:
        try:
            await channel.close()
        except Exception:  # noqa: BLE001, S110 - closing a broken session may fail too
            pass


async def run_load(
    target: Target,
    conversations: int,
    concurrency: int,
    seed: int = 8,
    think_s: float = 0.0,
    on_turn: Callable[[], None] = lambda: None,
    on_done: Callable[[Conversation], None] = lambda _: None,
) -> tuple[list[Conversation], float]:
    """Run ``conversations`` simulated customers, ``concurrency`` at a time.

    Each customer pauses about ``think_s`` seconds before each message (see ``Pace``); the
    pauses are not part of the measured latency.

    Returns:
        The conversations and the wall-clock seconds the whole run took.
    """
    rng = random.Random(seed)
    # Fresh sender ids every run (the seed fixes only what customers say): a second run on
    # the same deployment must not continue the first run's conversations.
    run_id = uuid.uuid4().hex[:8]
    results = [
        Conversation(make_scenario(rng, f"load-{run_id}-{n:05d}")) for n in range(conversations)
    ]
    gate = asyncio.Semaphore(concurrency)
    limits = aiohttp.TCPConnector(limit=concurrency * 2)
    timeout = aiohttp.ClientTimeout(total=TURN_TIMEOUT_S)
    started = time.perf_counter()
    async with aiohttp.ClientSession(connector=limits, timeout=timeout) as client:

        async def one(conversation: Conversation, index: int) -> None:
            async with gate:
                channel: Channel = (
                    SocketIOChannel(target.rasa_url)
                    if target.channel == "socketio"
                    else RestChannel(client, target.rasa_url)
                )
                local = random.Random(seed * 1_000_003 + index)
                # Its own generator, so the pauses do not change what the customer says.
                pace = Pace(random.Random(seed * 2_000_003 + index), think_s)
                await converse(channel, client, target, conversation, local, on_turn, pace)
                on_done(conversation)

        await asyncio.gather(*(one(c, i) for i, c in enumerate(results)))
    return results, time.perf_counter() - started
