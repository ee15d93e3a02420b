"""Inline SVG charts for the HTML report: trend lines, horizontal bars, and the heat-table colour scale.

The SVGs carry a viewBox and no fixed size, so they scale with the phone's width; sizes below are in viewBox
units, chosen so that on a 390 px phone one unit is about one CSS pixel and the labels stay legible.
Every label goes through `html.escape`: category values are shop data (tag names, agent nicks).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any, Final

from chatlog_cli.reports.formatting import format_seconds
from chatlog_cli.reports.model import Chart, Kind, Table
from chatlog_cli.reports.render_common import cell_text

WIDTH: Final = 360
FONT: Final = 12
# Distinct in hue and in lightness (the first two also for the common red-green colour blindness).
PALETTE: Final = ("#2563eb", "#f59e0b", "#10b981", "#8b5cf6", "#ef4444", "#0891b2", "#db2777", "#65a30d")
GRID: Final = "#e5e7eb"
MUTED: Final = "#6b7280"
# The heat scale: near white, a clear blue, a deep navy (text turns white past the middle).
HEAT_STOPS: Final = ((0xF3, 0xF7, 0xFE), (0x60, 0xA5, 0xFA), (0x1E, 0x3A, 0x8A))


@dataclass(frozen=True)
class Series:
    """One drawn column: its header, its kind, and its values (None where the table has none)."""

    header: str
    kind: Kind
    values: list[float | None]
    texts: list[str]
    colour: str


def chart_series(table: Table, chart: Chart) -> tuple[list[str], list[Series]]:
    """The category labels and the series of a chart, read from its table."""
    keys = [c.key for c in table.columns]
    cat = keys.index(chart.category)
    labels = [cell_text(table, r, cat, row[cat]) for r, row in enumerate(table.rows)]
    series = []
    for i, key in enumerate(chart.series):
        c = keys.index(key)
        kind = table.kind_of(0 if table.rows else None, c)
        values = [_number(row[c]) for row in table.rows]
        texts = [cell_text(table, r, c, row[c]) for r, row in enumerate(table.rows)]
        series.append(Series(table.columns[c].header, kind, values, texts, PALETTE[i % len(PALETTE)]))
    return labels, series


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        return None
    return float(value)


def text_width(text: str, size: float = FONT) -> float:
    """Roughly how wide a label draws: CJK characters are square, Latin digits about half as wide."""
    return sum(size if ord(ch) > 0x2E7F else size * 0.58 for ch in text)


def nice_ticks(low: float, high: float, count: int = 4) -> list[float]:
    """Round axis values (steps of 1, 2 or 5 × 10ⁿ) covering [low, high]."""
    if high <= low:
        high = low + 1
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.floor(low / step) * step
    ticks = []
    value = first
    while value < high + step * 0.999:
        ticks.append(round(value, 10))
        value += step
    return ticks


def tick_label(kind: Kind, value: float) -> str:
    """An axis label: shorter than a cell (12% not 12.0%, 1.2万 not 12,000)."""
    if kind in ("share", "change", "points"):
        return f"{value * 100:.0f}%" if kind != "points" else f"{value * 100:+.0f}pt"
    if kind == "seconds":
        return f"{value / 60:.0f}分" if value >= 60 and value % 60 == 0 else format_seconds(value)
    if abs(value) >= 10000:
        return f"{value / 10000:.{0 if value % 10000 == 0 else 1}f}万"
    if kind == "int" or value == int(value):
        return f"{value:,.0f}"
    return f"{value:g}"


def _svg(height: float, title: str, body: list[str]) -> str:
    # No xmlns: inline SVG in HTML needs none, and the file then names no URL at all.
    return (
        f'<svg viewBox="0 0 {WIDTH} {height:.0f}" role="img" '
        f'aria-label="{escape(title)}" font-size="{FONT}"><title>{escape(title)}</title>' + "".join(body) + "</svg>"
    )


def line_charts(title: str, labels: list[str], series: Sequence[Series], height: int = 180) -> list[str]:
    """A trend: one SVG per kind of value (counts and durations cannot share an axis), their x positions aligned.

    Each SVG has one polyline with points per series over the categories and a y axis of round values.
    """
    if not labels or all(v is None for s in series for v in s.values):
        return [_svg(40, title, [f'<text x="{WIDTH / 2}" y="24" text-anchor="middle" fill="{MUTED}">暂无数据</text>'])]
    groups: dict[Kind, list[Series]] = {}
    for s in series:
        groups.setdefault(s.kind, []).append(s)
    axes = {kind: _ticks(kind, group) for kind, group in groups.items()}
    # One left margin for all: the charts stack, and a point of a day should sit above the same day below.
    left = max(text_width(tick_label(kind, t)) for kind, ticks in axes.items() for t in ticks) + 8
    return [_line_chart(title, labels, groups[kind], axes[kind], left, height) for kind in groups]


def _ticks(kind: Kind, series: list[Series]) -> list[float]:
    values = [v for s in series for v in s.values if v is not None] or [0.0]
    if kind == "seconds" and max(values) >= 90:
        # Durations on whole minutes (1分, 2分) rather than 100秒 steps.
        step = 60.0 * max(1, math.ceil(max(values) / 60 / 4))
        return [step * i for i in range(math.ceil(max(values) / step) + 1)]
    return nice_ticks(min(0.0, min(values)), max(values))


def _line_chart(
    title: str, labels: list[str], series: list[Series], ticks: list[float], left: float, height: int
) -> str:
    # Labels such as `11-16 周一` take two lines, so a week's seven days all fit under a phone-wide axis.
    lines = max(len(label.split(" ", 1)) for label in labels)
    top, bottom, right = 8.0, height - 8.0 - 14.0 * lines, 8.0
    pad = min(max(6.0, max(text_width(x) for label in labels for x in label.split(" ", 1)) / 2), 40.0)
    xs = _positions(len(labels), left + pad, WIDTH - right - pad)

    def y(v: float) -> float:
        return bottom - (v - ticks[0]) / (ticks[-1] - ticks[0]) * (bottom - top)

    body = []
    for t in ticks:
        text = escape(tick_label(series[0].kind, t))
        body.append(f'<line x1="{left:.1f}" x2="{WIDTH - right}" y1="{y(t):.1f}" y2="{y(t):.1f}" stroke="{GRID}"/>')
        body.append(f'<text x="{left - 6:.1f}" y="{y(t) + 4:.1f}" text-anchor="end" fill="{MUTED}">{text}</text>')
    body += _x_labels(labels, xs, bottom + 16)
    for s in series:
        body += _polyline(s, labels, xs, y)
    names = "、".join(s.header for s in series)
    return _svg(height, f"{title}：{names}", body)


def _positions(n: int, start: float, end: float) -> list[float]:
    if n == 1:
        return [(start + end) / 2]
    return [start + i * (end - start) / (n - 1) for i in range(n)]


def _x_labels(labels: list[str], xs: list[float], baseline: float) -> list[str]:
    """Category labels under the axis, every k-th counted back from the last when they would overlap."""
    room = (xs[-1] - xs[0]) / (len(xs) - 1) if len(xs) > 1 else WIDTH
    widest = max(text_width(line) for label in labels for line in label.split(" ", 1))
    step = max(1, math.ceil((widest + 6) / room))
    out = []
    for i in sorted(range(len(labels) - 1, -1, -step)):  # the latest day is the one always labelled
        spans = "".join(
            f'<tspan x="{xs[i]:.1f}" dy="{0 if k == 0 else 14}">{escape(line)}</tspan>'
            for k, line in enumerate(labels[i].split(" ", 1))
        )
        out.append(f'<text y="{baseline:.1f}" text-anchor="middle" fill="{MUTED}">{spans}</text>')
    return out


def _polyline(s: Series, labels: list[str], xs: list[float], y: Callable[[float], float]) -> list[str]:
    """A series' line, broken where values are missing, and its points with the exact value on hover."""
    out, run = [], []
    for i, v in enumerate([*s.values, None]):
        if v is not None:
            run.append(f"{xs[i]:.1f},{y(v):.1f}")
            continue
        if len(run) > 1:
            out.append(
                f'<polyline points="{" ".join(run)}" fill="none" stroke="{s.colour}" stroke-width="2.2" '
                'stroke-linejoin="round" stroke-linecap="round"/>'
            )
        run = []
    for i, v in enumerate(s.values):
        if v is not None:
            tip = escape(f"{labels[i]} {s.header}：{s.texts[i]}")
            out.append(
                f'<circle cx="{xs[i]:.1f}" cy="{y(v):.1f}" r="3" fill="#fff" stroke="{s.colour}" stroke-width="2">'
                f"<title>{tip}</title></circle>"
            )
    return out


def bar_chart(title: str, labels: list[str], series: Sequence[Series]) -> str:
    """Horizontal bars: the category on the left, the bar, its value on the right; one bar per series."""
    if not labels:
        return _svg(40, title, [f'<text x="{WIDTH / 2}" y="24" text-anchor="middle" fill="{MUTED}">暂无数据</text>'])
    label_w = min(max(text_width(label) for label in labels), 112.0)
    value_w = max(text_width(t) for s in series for t in s.texts)
    bar_h = 14.0 if len(series) == 1 else 9.0
    row_h = len(series) * bar_h + 12
    x0, x1 = label_w + 8, WIDTH - value_w - 8
    body = []
    for r, label in enumerate(labels):
        top = r * row_h + 6
        body.append(_bar_label(label, label_w, top + row_h / 2 - 2))
        for i, s in enumerate(series):
            body += _bar(s, r, label, x0, x1, top + i * bar_h, bar_h - 2)
    return _svg(len(labels) * row_h + 8, title, body)


def _bar_label(label: str, width: float, middle: float) -> str:
    """A category label, cut with … when longer than the label column (the full text on hover)."""
    shown = label
    while text_width(shown) > width and len(shown) > 1:
        shown = shown[:-2] + "…"
    return (
        f'<text x="{width:.1f}" y="{middle + 4:.1f}" text-anchor="end" fill="#374151">'
        f"<title>{escape(label)}</title>{escape(shown)}</text>"
    )


def _bar(s: Series, r: int, label: str, x0: float, x1: float, top: float, height: float) -> list[str]:
    # Each series is scaled to its own largest magnitude, from zero: a count and a share side by side
    # both fill the width, and a negative value (a drop) draws leftwards from the same zero line.
    span = max((abs(v) for v in s.values if v is not None), default=0.0) or 1.0
    negative = any(v is not None and v < 0 for v in s.values)
    zero = (x0 + x1) / 2 if negative else x0
    half = (x1 - x0) / 2 if negative else x1 - x0
    value = s.values[r]
    out = [f'<rect x="{x0:.1f}" y="{top:.1f}" width="{x1 - x0:.1f}" height="{height:.1f}" rx="3" fill="#f3f4f6"/>']
    if value is not None and value != 0:
        w = abs(value) / span * half
        x = zero if value > 0 else zero - w
        tip = escape(f"{label} {s.header}：{s.texts[r]}")
        out.append(
            f'<rect x="{x:.1f}" y="{top:.1f}" width="{max(w, 1.5):.1f}" height="{height:.1f}" rx="3" '
            f'fill="{s.colour}"><title>{tip}</title></rect>'
        )
    out.append(
        f'<text x="{WIDTH}" y="{top + height / 2 + 4:.1f}" text-anchor="end" fill="#111827">{escape(s.texts[r])}</text>'
    )
    return out


def heat_colours(value: float, low: float, high: float) -> tuple[str, str]:
    """Background and text colour of a heat cell: light for the least, dark for the most, text always legible."""
    f = 0.0 if high <= low else min(max((value - low) / (high - low), 0.0), 1.0)
    a, b = (HEAT_STOPS[0], HEAT_STOPS[1]) if f < 0.5 else (HEAT_STOPS[1], HEAT_STOPS[2])
    t = f * 2 if f < 0.5 else (f - 0.5) * 2
    rgb = tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))
    return "#{:02x}{:02x}{:02x}".format(*rgb), ("#ffffff" if f > 0.55 else "#0f172a")
