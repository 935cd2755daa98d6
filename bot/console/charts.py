"""Charts as inline SVG, drawn on the server: no chart library, nothing fetched by the browser.

Every label goes through ``markupsafe.escape``; the functions return ``Markup`` that templates
insert as it is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from markupsafe import Markup, escape

from bot.console.labels import EMOTION, EMOTION_COLOR, INTENSITY, name
from bot.store.conversation import TranscriptEntry

#: Line colours of multi-series charts, in order.
PALETTE = ("#2563eb", "#d64545", "#2f9e6b", "#e08a1e", "#7c3aed", "#0891b2", "#be185d", "#65a30d")

_FONT = 'font-family="inherit" font-size="12"'


def _svg(width: int, height: int, body: str, title: str) -> Markup:
    return Markup(
        # Natural size (12 px labels) where there is room; CSS shrinks it to narrow cards.
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>{body}</svg>"
    )


def _valence(entry: TranscriptEntry) -> int:
    """Signed intensity: negative emotions below the line, satisfaction above."""
    intensity = entry.intensity or 1
    if entry.emotion in ("anger", "anxiety", "sadness"):
        return -intensity
    return intensity if entry.emotion == "positive" else 0


def emotion_timeline(entries: Sequence[TranscriptEntry]) -> Markup:
    """The customer's emotion message by message (red below the line is upset, green above
    is satisfied), with threats marked."""
    points = [e for e in entries if e.speaker == "customer" and not e.clicked]
    if not points:
        return Markup("")
    width, height, pad = max(320, 46 * len(points) + 40), 150, 24
    mid = height / 2
    step = (width - 2 * pad) / max(1, len(points) - 1)
    scale = (mid - pad) / 3
    coords = [
        (pad + i * step if len(points) > 1 else width / 2, mid - _valence(e) * scale)
        for i, e in enumerate(points)
    ]
    parts = [
        f'<line x1="{pad}" y1="{mid}" x2="{width - pad}" y2="{mid}" stroke="#ccd3de" '
        'stroke-dasharray="4 3"/>',
        f'<text x="4" y="{pad - 8}" {_FONT} fill="#2f9e6b">满意</text>',
        f'<text x="4" y="{height - 6}" {_FONT} fill="#d64545">不满</text>',
    ]
    if len(coords) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#94a3b8" stroke-width="2"/>')
    for index, ((x, y), entry) in enumerate(zip(coords, points, strict=True), start=1):
        color = EMOTION_COLOR.get(entry.emotion or "neutral", "#8a94a6")
        label = f"#{index} {name(EMOTION, entry.emotion)} {INTENSITY.get(entry.intensity or 1, '')}"
        if entry.threat:
            label += " · 威胁投诉/曝光"
        radius = 9 if entry.threat else 6
        stroke = ' stroke="#111" stroke-width="2"' if entry.threat else ""
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius}" fill="{color}"{stroke}>'
            f"<title>{escape(label)}</title></circle>"
        )
    return _svg(width, height, "".join(parts), "情绪变化（每条客户消息）")


def bar_chart(items: Sequence[tuple[str, float]], title: str, fmt: str = "{:.0f}") -> Markup:
    """Horizontal bars, one per ``(label, value)``."""
    if not items:
        return Markup('<p class="muted">暂无数据</p>')
    row, label_w, width = 26, 100, 400
    top = max(value for _, value in items) or 1
    parts = []
    for i, (label, value) in enumerate(items):
        y = i * row + 4
        bar = (width - label_w - 60) * value / top
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" {_FONT}>{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{bar:.1f}" height="18" rx="3" fill="#3b82f6"/>'
            f'<text x="{label_w + bar + 6:.1f}" y="{y + 15}" {_FONT}>'
            f"{escape(fmt.format(value))}</text>"
        )
    return _svg(width, len(items) * row + 8, "".join(parts), title)


def line_chart(
    weeks: Sequence[date], series: Mapping[str, Sequence[float | None]], title: str
) -> Markup:
    """CSAT (0–100 %) per week, one line per series; weeks without ratings leave gaps."""
    if not weeks or not series:
        return Markup('<p class="muted">暂无数据</p>')
    width, height, left, right, top, bottom = 560, 220, 40, 130, 12, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(1, len(weeks) - 1)

    def xy(i: int, value: float) -> tuple[float, float]:
        return left + i * step, top + plot_h * (1 - value)

    parts = []
    for fraction in (0, 0.5, 1):
        y = top + plot_h * (1 - fraction)
        parts.append(
            f'<line x1="{left}" y1="{y}" x2="{left + plot_w}" y2="{y}" stroke="#e5e9f0"/>'
            f'<text x="{left - 4}" y="{y + 4}" text-anchor="end" {_FONT}>{fraction:.0%}</text>'
        )
    every = max(1, len(weeks) // 6)
    for i, week in enumerate(weeks):
        if i % every == 0:
            parts.append(
                f'<text x="{left + i * step:.1f}" y="{height - 8}" text-anchor="middle" '
                f"{_FONT}>{week:%m-%d}</text>"
            )
    for n, (label, values) in enumerate(list(series.items())[: len(PALETTE)]):
        color = PALETTE[n]
        segment: list[str] = []
        for i, value in enumerate([*values, None]):
            if value is not None:
                x, y = xy(i, value)
                segment.append(f"{x:.1f},{y:.1f}")
                parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}"/>')
            elif segment:
                parts.append(
                    f'<polyline points="{" ".join(segment)}" fill="none" stroke="{color}" '
                    'stroke-width="2"/>'
                )
                segment = []
        y = top + 14 * n + 8
        parts.append(
            f'<rect x="{width - right + 10}" y="{y - 8}" width="10" height="10" fill="{color}"/>'
            f'<text x="{width - right + 24}" y="{y + 1}" {_FONT}>{escape(label)}</text>'
        )
    return _svg(width, height, "".join(parts), title)
