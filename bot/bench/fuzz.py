"""The bad-input campaign: hostile payloads at every entry point of a running deployment.

Hypothesis draws each case: an entry point (Rasa's REST webhook and ``/model/parse``, the
WeChat webhook, the console's login form and JSON API) and a payload — empty, huge (1 MB),
binary, malformed JSON/XML, injection strings, emoji floods, random Unicode — inside a
well-formed request or as the raw body. A case fails when the server answers 5xx, drops the
connection or does not answer within ``CASE_TIMEOUT_S``. The socket.io widget gets the same
texts over a real python-socketio client and must still answer a plain message afterwards.

``python -m bot fuzz --cases N`` runs it against a fresh deployment; tests run a few cases.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from bot.bench.wechat_fake import WeChatSender

CASE_TIMEOUT_S = 60
MEGABYTE = 1024 * 1024

INJECTIONS = (
    "'; DROP TABLE tickets; --",
    '" OR 1=1 --',
    "<script>alert(1)</script>",
    "{{7*7}}${7*7}<%= 7*7 %>",
    "../../../../etc/passwd",
    "$(rm -rf /)`id`",
    "%s%s%s%n",
    "<!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><x>&e;</x>",
    '/inform{"desired_outcome": "refund", "phone": [1, {"x": null}]}',
    "/restart",
    "/nlu_fallback{",
    "\u202e\u200b\ufeff\x00\x07",
)
EMOJI = "😡🤬💢📦🚚💸🙏👍🏻🇨🇳‍"

#: Texts: each kind of bad input the issue lists.
texts = st.one_of(
    st.just(""),
    st.text(max_size=200),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=2000),
    st.sampled_from(INJECTIONS),
    st.builds(lambda n, e: e * n, st.integers(1, 3000), st.sampled_from(list(EMOJI))),
    st.builds(lambda c: c * MEGABYTE, st.sampled_from(["啊", "a", "😡", "<", "\\"])),
    st.binary(max_size=300).map(lambda b: b.decode("latin-1")),
)

#: Raw bodies that are not what the endpoint expects.
raw_bodies = st.one_of(
    st.just(b""),
    st.binary(max_size=2000),
    st.sampled_from(
        [
            b"{",
            b"[]",
            b"null",
            b'"x"',
            b'{"sender": 1}',
            b"<xml>",
            b"<xml><a>",
            b'{"message": {"x": 1}}',
            b"\xff\xfe\x00",
            b"1e999999",
        ]
    ),  # fmt: skip
    st.just(b"{" * 100_000),
    st.just(b"<a>" * 100_000),
    st.just(b"\x00" * MEGABYTE),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
        max_leaves=12,
    ).map(lambda v: json.dumps(v).encode()),
)


@dataclass
class Target:
    """A running deployment to fuzz."""

    rasa: str
    console: str
    rasa_token: str
    api_token: str
    wechat: WeChatSender | None = None
    http: requests.Session = field(default_factory=requests.Session)


@dataclass
class Tally:
    """What the campaign saw: cases per entry point and every failure."""

    cases: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Cases run, all entry points together."""
        return sum(self.cases.values())

    def summary(self) -> str:
        """One line per entry point, then the total and the failures."""
        lines = [f"  {name:<22} {count:>7} cases" for name, count in sorted(self.cases.items())]
        lines.append(f"  {'total':<22} {self.total:>7} cases, {len(self.failures)} server errors")
        kinds = Counter(failure.split(" to ")[0][:120] for failure in self.failures)
        lines += [f"  {count:>5} × {kind}" for kind, count in kinds.most_common()]
        lines += [f"  FAIL {failure}" for failure in self.failures[:10]]
        return "\n".join(lines)


Request = tuple[str, str, dict[str, Any]]  # method, url, requests keyword arguments


def _rest(t: Target, text: str, raw: bytes | None, sender: str) -> Request:
    url = f"{t.rasa}/webhooks/rest/webhook"
    if raw is not None:
        return "POST", url, {"data": raw, "headers": {"Content-Type": "application/json"}}
    return "POST", url, {"json": {"sender": sender, "message": text}}


def _parse(t: Target, text: str, raw: bytes | None, sender: str) -> Request:
    url = f"{t.rasa}/model/parse?token={t.rasa_token}"
    return "POST", url, {"data": raw} if raw is not None else {"json": {"text": text}}


def _wechat(t: Target, text: str, raw: bytes | None, sender: str) -> Request:
    assert t.wechat is not None
    url = f"{t.rasa}/webhooks/wechat/webhook"
    if raw is not None:
        return "POST", url, {"params": t.wechat.signed_query(), "data": raw}
    query, body = t.wechat.post(t.wechat.text(f"o6_fuzz{sender[:21]}", text))
    return "POST", url, {"params": query, "data": body}


def _login(t: Target, text: str, raw: bytes | None, sender: str) -> Request:
    url = f"{t.console}/login"
    if raw is not None:
        return (
            "POST",
            url,
            {"data": raw, "headers": {"Content-Type": "application/x-www-form-urlencoded"}},
        )
    return "POST", url, {"data": {"username": text, "password": text, "_csrf": text[:64]}}


def _api_list(t: Target, text: str, raw: bytes | None, sender: str) -> Request:
    params = {"status": text[:2000], "limit": text[:50], "since": text[:50], "q": text[:2000]}
    headers = {"Authorization": f"Bearer {t.api_token if raw is None else text[:200]}"}
    return "GET", f"{t.console}/api/tickets", {"params": params, "headers": _latin1(headers)}


def _api_reply(t: Target, text: str, raw: bytes | None, sender: str) -> Request:
    number = requests.utils.quote(text[:300], safe="") or "TS"
    headers = {"Authorization": f"Bearer {t.api_token}"}
    url = f"{t.console}/api/tickets/{number}/reply"
    if raw is not None:
        return (
            "POST",
            url,
            {"data": raw, "headers": {**headers, "Content-Type": "application/json"}},
        )
    return "POST", url, {"json": {"text": text, "agent": text[:100]}, "headers": headers}


def _latin1(headers: dict[str, str]) -> dict[str, str]:
    # HTTP headers are latin-1; a client cannot send anything else, so neither can an attacker.
    safe = {k: v.encode("latin-1", "replace").decode("latin-1") for k, v in headers.items()}
    return {k: v.replace("\n", " ").replace("\r", " ") for k, v in safe.items()}


ENTRY_POINTS: dict[str, Callable[[Target, str, bytes | None, str], Request]] = {
    "rest_webhook": _rest,
    "model_parse": _parse,
    "wechat_webhook": _wechat,
    "console_login": _login,
    "console_api_list": _api_list,
    "console_api_reply": _api_reply,
}


def _send(target: Target, tally: Tally, name: str, request: Request) -> None:
    method, url, kwargs = request
    tally.cases[name] += 1
    try:
        answer = target.http.request(
            method, url, timeout=CASE_TIMEOUT_S, allow_redirects=False, **kwargs
        )
    except requests.RequestException as error:
        tally.failures.append(f"{name}: no answer ({type(error).__name__}) to {_brief(kwargs)}")
        return
    if answer.status_code >= 500:
        tally.failures.append(
            f"{name}: HTTP {answer.status_code} {answer.text[:120]!r} to {_brief(kwargs)}"
        )
    elif name == "rest_webhook" and answer.status_code == 200 and "json" in kwargs:
        if not isinstance(answer.json(), list):
            tally.failures.append(f"{name}: not a list of messages: {answer.text[:200]!r}")


def _brief(kwargs: dict[str, Any]) -> str:
    shown = {k: v for k, v in kwargs.items() if k in ("params", "json", "data")}
    return repr(shown)[:240]


def run_http_cases(target: Target, cases: int, seed: int = 0, until: float | None = None) -> Tally:
    """Send ``cases`` hypothesis-drawn requests spread over ``ENTRY_POINTS``.

    Args:
        target: The deployment.
        cases: How many requests.
        seed: Makes the drawn cases repeatable.
        until: A ``time.monotonic()`` after which the remaining cases are skipped.

    Returns:
        Counts per entry point and the failures (5xx, dropped connections, timeouts).
    """
    tally = Tally()
    names = [n for n in ENTRY_POINTS if n != "wechat_webhook" or target.wechat is not None]

    @settings(max_examples=cases, database=None, deadline=None, derandomize=False,
              suppress_health_check=list(HealthCheck), phases=[Phase.generate])  # fmt: skip
    @given(
        name=st.sampled_from(names),
        text=texts,
        raw=st.none() | raw_bodies,
        sender=st.text(max_size=40) | st.uuids().map(str),
    )
    def one_case(name: str, text: str, raw: bytes | None, sender: str) -> None:
        if until is not None and time.monotonic() > until:
            return
        _send(target, tally, name, ENTRY_POINTS[name](target, text, raw, sender or "fuzz"))

    random.seed(seed)
    one_case()
    return tally


def run_socketio_cases(
    target: Target, cases: int, seed: int = 0, answer_timeout_s: float = 3 * CASE_TIMEOUT_S
) -> Tally:
    """Emit ``cases`` bad messages on one widget session, then check a new one is answered.

    The 1 MB message goes last: the server may drop a session whose packet is over its size
    limit, and when it notices depends on the machine's load, so nothing is sent after it on
    that session. A fresh widget session then sends a plain message, which must be answered
    within ``answer_timeout_s`` (the server is still busy with the bad ones' turns).
    """
    import socketio

    tally = Tally()
    rng = random.Random(seed)
    payloads: list[Any] = [None, "", 1, [], {"message": None}, {"message": {"x": 1}},
                           {"message": "😡" * 5000}]  # fmt: skip
    oversized = {"message": "啊" * MEGABYTE}
    bad = [
        payloads[index] if index < len(payloads) else {"message": _random_text(rng)}
        for index in range(max(cases - 1, 0))
    ]
    client = socketio.Client(reconnection=False)
    try:
        client.connect(target.rasa, transports=["polling"], socketio_path="/socket.io")
        client.emit("session_request", {"session_id": None})
        for payload in [*bad, oversized][:cases]:
            tally.cases["socketio"] += 1
            client.emit("user_uttered", payload)
        client.sleep(1)
    except Exception as error:  # noqa: BLE001 - a dropped connection is the finding
        tally.failures.append(f"socketio: {type(error).__name__}: {error}")
    finally:
        client.disconnect()
    try:
        answered = _widget_answers(target, answer_timeout_s)
    except Exception as error:  # noqa: BLE001 - a refused connection is the finding
        tally.failures.append(f"socketio: new session: {type(error).__name__}: {error}")
        return tally
    if not answered:
        tally.failures.append("socketio: no answer to a plain message after the bad ones")
    return tally


def _widget_answers(target: Target, timeout_s: float) -> bool:
    """Whether a new widget session gets an answer to 「你好」 within ``timeout_s``."""
    import socketio

    answers: list[Any] = []
    client = socketio.Client(reconnection=False)
    client.on("bot_uttered", answers.append)
    try:
        client.connect(target.rasa, transports=["polling"], socketio_path="/socket.io")
        client.emit("session_request", {"session_id": None})
        client.emit("user_uttered", {"message": "你好"})
        deadline = time.monotonic() + timeout_s
        while not answers and time.monotonic() < deadline:
            client.sleep(0.1)
    finally:
        client.disconnect()
    return bool(answers)


def _random_text(rng: random.Random) -> str:
    kind = rng.randrange(3)
    if kind == 0:
        return rng.choice(INJECTIONS)
    if kind == 1:
        return rng.choice(EMOJI) * rng.randint(1, 3000)
    return (
        "".join(chr(rng.randint(1, 0x2FFFF)) for _ in range(rng.randint(1, 300)))
        .encode("utf-8", "replace")
        .decode("utf-8", "replace")
    )


def new_sender_id() -> str:
    """A conversation id no fuzz case uses."""
    return f"fuzz-check-{uuid.uuid4().hex[:12]}"


@contextmanager
def fuzz_target(model: Path, root: Path) -> Iterator[Target]:
    """Start the product with ``model`` (WeChat channel on a local fake API) as a ``Target``."""
    from bot.bench.live import live_bot
    from bot.bench.wechat_fake import FakeWeChatApi, ThreadedFake

    token = "fuzztoken"
    with ThreadedFake(FakeWeChatApi("wxfuzz0000000000", "fuzz-secret")) as api:
        with live_bot(model, root, api.channel_env(token)) as bot:
            yield Target(
                rasa=bot.rasa,
                console=bot.console,
                rasa_token=bot.rasa_token,
                api_token=bot.api_token(),
                wechat=WeChatSender(token, api.app_id),
            )


def campaign(target: Target, cases: int, seed: int = 0, minutes: float | None = None) -> Tally:
    """The whole campaign: HTTP entry points and the socket.io widget (about 2 % of cases).

    With ``minutes``, HTTP cases left when the time is up are skipped (the tally says how many
    ran).
    """
    socket_cases = max(10, cases // 50)
    until = None if minutes is None else time.monotonic() + minutes * 60
    tally = run_http_cases(target, cases - socket_cases, seed, until)
    sockets = run_socketio_cases(target, socket_cases, seed)
    tally.cases.update(sockets.cases)
    tally.failures += sockets.failures
    return tally
