"""How report values read as text (terminal, Markdown, HTML): one function per kind, shared by every renderer."""

from __future__ import annotations

import math
from typing import Any

from chatlog_cli.reports.model import Kind

EMPTY = "–"


def format_value(kind: Kind, value: Any) -> str:
    """A cell as people read it: 1,234 · 12.3% · 1分05秒 · +25.0% · +3.1pt · 0.62."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return EMPTY
    if kind == "int":
        return f"{int(value):,}"
    if kind == "float":
        return f"{value:,.2f}" if isinstance(value, float) else f"{value:,}"
    if kind == "share":
        return f"{value * 100:.1f}%"
    if kind == "seconds":
        return format_seconds(float(value))
    if kind == "score":
        return f"{value:.2f}"
    if kind == "change":
        return f"{value * 100:+.1f}%"
    if kind == "points":
        return f"{value * 100:+.1f}pt"
    return str(value)


def format_seconds(seconds: float) -> str:
    """`45秒`, `3分05秒`, `2小时10分`: the way shop back offices show response times."""
    if seconds < 60:
        return f"{seconds:.0f}秒" if seconds == int(seconds) or seconds >= 10 else f"{seconds:.1f}秒"
    whole = round(seconds)
    if whole < 3600:
        return f"{whole // 60}分{whole % 60:02d}秒"
    hours, rest = divmod(whole, 3600)
    return f"{hours}小时{rest // 60:02d}分"


def is_number_kind(kind: Kind) -> bool:
    """Right-aligned kinds."""
    return kind != "text"
