"""Text every renderer shares: cells, the period line, filters, the no-data line.

The terminal, XLSX, Markdown and HTML renderers take their words from here, so a report reads the same whichever
one the shop owner opens.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any, Final

from chatlog_cli.reports.formatting import format_value
from chatlog_cli.reports.model import Kind, Period, Report, Table

TOTAL_LABEL: Final = "合计"

# `MessageFilter` fields (the keys of `Report.filters`) → how a report's header names them.
FILTER_LABELS: Final = {
    "platforms": "平台",
    "shops": "店铺",
    "agents": "客服",
    "buyers": "买家",
    "orders": "订单",
    "roles": "发送方",
    "types": "消息类型",
    "tags": "标签",
    "words": "关键词",
}
NO_DATA_HINT: Final = "可用 chatlog info 查看数据的时间范围。"


def cell_text(table: Table, row: int | None, column: int, value: Any) -> str:
    """One cell as every renderer shows it (`row` None: the totals row, whose empty label cell says 合计)."""
    kind = table.kind_of(row, column)
    if row is None and value is None and column == 0 and kind == "text":
        return TOTAL_LABEL
    return format_value(kind, value)


def cells(table: Table) -> Iterator[tuple[int | None, int, Kind, str, Any]]:
    """Every cell of the body then the totals row: (row or None, column, kind, text, raw value)."""
    for r, values in enumerate(table.rows):
        for c, value in enumerate(values):
            yield r, c, table.kind_of(r, c), cell_text(table, r, c, value), value
    if table.total is not None:
        for c, value in enumerate(table.total):
            yield None, c, table.kind_of(None, c), cell_text(table, None, c, value), value


def period_text(period: Period) -> str:
    """`2026-W47（2026-11-16 ~ 2026-11-22）`: a week number alone does not tell a shop owner which days."""
    parts = period_parts(period)
    return parts[0] if len(parts) == 1 else f"{parts[0]}（{parts[1]}）"


def period_parts(period: Period) -> list[str]:
    """The period's label, and its days when the label does not already say them."""
    days = _day_range(period)
    return [period.label] if days is None or days == period.label else [period.label, days]


def _day_range(period: Period) -> str | None:
    """The first and last day of a period of whole days (None for ranges that start or end mid-day)."""
    if period.start.time() != dt.time() or period.end.time() != dt.time():
        return None
    last = (period.end - dt.timedelta(days=1)).date()
    first = period.start.date()
    return f"{first:%Y-%m-%d}" if first == last else f"{first:%Y-%m-%d} ~ {last:%Y-%m-%d}"


def filter_items(filters: dict[str, Any]) -> list[tuple[str, str]]:
    """The filters that filter, as (label, value) pairs: `("店铺", "山海小铺、云朵家")`."""
    items = []
    for key, value in filters.items():
        if value is None or value == "" or value == () or value == [] or value is False:
            continue
        items.append((FILTER_LABELS.get(key, key), _filter_value(value)))
    return items


def _filter_value(value: Any) -> str:
    if isinstance(value, list | tuple | set | frozenset):
        return "、".join(_filter_value(v) for v in value)
    if isinstance(value, dt.datetime):
        return f"{value:%Y-%m-%d %H:%M}" if value.time() != dt.time() else f"{value:%Y-%m-%d}"
    if value is True:
        return "是"
    return str(value)


def generated_text(moment: dt.datetime) -> str:
    """When the report was made, to the minute."""
    return f"{moment:%Y-%m-%d %H:%M}"


def no_data_text(report: Report) -> str:
    """`该时间段内没有数据（2026-W47，2026-11-16 ~ 2026-11-22，店铺：山海小铺）`: filters may be why."""
    where = period_parts(report.period) if report.period is not None else []
    where += [f"{label}：{value}" for label, value in filter_items(report.filters)]
    return f"该时间段内没有数据（{'，'.join(where)}）" if where else "该时间段内没有数据"


def filters_text(filters: dict[str, Any]) -> str:
    """`店铺：山海小铺；平台：taobao`, or "" when nothing filters."""
    return "；".join(f"{label}：{value}" for label, value in filter_items(filters))
