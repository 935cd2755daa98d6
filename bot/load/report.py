"""The figures of a load run: throughput, latency percentiles per turn type, errors, checks."""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict

from bot.load.checks import CheckResult
from bot.load.runner import Conversation

#: The targets of issue 8, printed next to the figures (never asserted in tests).
TARGET_P95_MS = 300.0


def percentile(values: list[float], share: float) -> float:
    """The ``share`` (0–1) percentile of ``values`` by nearest rank; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(share * len(ordered))))
    return ordered[rank - 1]


def latency_table(conversations: list[Conversation]) -> list[tuple[str, int, float, float, float]]:
    """Per turn type (and ``all``): count, p50, p95, p99 in milliseconds, errors excluded."""
    by_kind: dict[str, list[float]] = defaultdict(list)
    for conversation in conversations:
        for turn in conversation.turns:
            if turn.error is None:
                by_kind[turn.kind].append(turn.latency_s * 1000)
                by_kind["all"].append(turn.latency_s * 1000)
    kinds = sorted(k for k in by_kind if k != "all") + (["all"] if by_kind else [])
    return [
        (
            kind,
            len(by_kind[kind]),
            percentile(by_kind[kind], 0.5),
            percentile(by_kind[kind], 0.95),
            percentile(by_kind[kind], 0.99),
        )
        for kind in kinds
    ]


def render(
    conversations: list[Conversation],
    wall_s: float,
    checks: CheckResult | None,
    channel: str,
    think_s: float = 0.0,
) -> str:
    """The report printed by ``python -m bot load`` (``think_s``: the customers' mean pause)."""
    turns = sum(len(c.turns) for c in conversations)
    failed = [c for c in conversations if c.error]
    tickets = sum(1 for c in conversations if c.ticket_number)
    lines = [
        f"load: {len(conversations)} conversations over {channel}, {turns} turns "
        f"in {wall_s:.1f} s → {turns / wall_s if wall_s else 0:.1f} turns/s, "
        f"{len(conversations) / wall_s if wall_s else 0:.2f} conversations/s",
        f"customers pause ~{think_s:g} s before each next message (not in the latencies)"
        if think_s > 0
        else "customers send each next message as soon as the answer arrives (saturation)",
        f"tickets confirmed: {tickets} · surveys: {sum(1 for c in conversations if c.resolved)}"
        f" · handoffs: {sum(1 for c in conversations if c.scenario.handoff)}",
        "",
        f"{'turn type':<10} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}",
    ]
    for kind, count, p50, p95, p99 in latency_table(conversations):
        lines.append(f"{kind:<10} {count:>6} {p50:>8.0f} {p95:>8.0f} {p99:>8.0f}")
    lines += ["", f"errors: {len(failed)} conversations (target 0)"]
    # Digits vary per ticket and port; the kind of error does not.
    reasons = Counter(re.sub(r"\d+", "N", c.error or "")[:120] for c in failed)
    for reason, count in reasons.most_common(5):
        lines.append(f"  {count} × {reason}")
    table = latency_table(conversations)
    if table:
        lines.append(f"full-turn p95: {table[-1][3]:.0f} ms (target ≤ {TARGET_P95_MS:.0f} ms)")
    if checks is not None:
        lines += [
            "",
            f"checked {checks.checked} completed conversations against the ticket API "
            "and the tracker store:",
            f"  lost tickets {len(checks.lost_tickets)} · duplicate tickets "
            f"{len(checks.duplicate_tickets)} · wrong fields {len(checks.wrong_fields)} · "
            f"lost turns {len(checks.lost_turns)} · out-of-order {len(checks.out_of_order)}",
        ]
        # A few examples of each kind, so that one noisy kind does not hide the others.
        for problems in (
            checks.lost_tickets,
            checks.duplicate_tickets,
            checks.wrong_fields,
            checks.lost_turns,
            checks.out_of_order,
        ):
            lines += [f"  {problem}" for problem in problems[:3]]
    return "\n".join(lines)
