"""`chatlog report hourly`: when conversations start, as heat tables.

Hour of day × weekday, and hour × problem category (客户画像: what people ask at which time).
"""

from __future__ import annotations

from typing import Any, Final

from chatlog_cli.reports.context import ReportContext
from chatlog_cli.reports.model import Chart, Column, Report, Section, Table
from chatlog_cli.reports.scope import Loaded
from chatlog_cli.store.query import conversation_tags_sql

WEEKDAYS: Final = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
WEEKDAY_KEYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_CATEGORIES: Final = 8


def hour_label(hour: int) -> str:
    """`08时`."""
    return f"{hour:02d}时"


def weekday_table(ctx: ReportContext, loaded: Loaded) -> Table:
    """Conversations by the hour and weekday they started."""
    counts = {
        (int(h), int(d)): int(n)
        for h, d, n in ctx.rows(
            f"SELECT hour(started_local), isodow(started_local), count(*) FROM {loaded.conversations_table} "
            "GROUP BY ALL"
        )
    }
    columns = (Column("hour", "时段"), *(Column(k, w, "int") for k, w in zip(WEEKDAY_KEYS, WEEKDAYS, strict=True)),
               Column("total", "合计", "int"))  # fmt: skip
    rows = []
    for hour in range(24):
        values = [counts.get((hour, d), 0) for d in range(1, 8)]
        rows.append((hour_label(hour), *values, sum(values)))
    day_totals = [sum(counts.get((h, d), 0) for h in range(24)) for d in range(1, 8)]
    return Table(
        key="hour_weekday",
        title="会话时段分布（小时 × 星期）",
        columns=columns,
        rows=rows,
        total=("合计", *day_totals, sum(day_totals)),
        notes=["按会话开始时间（北京时间）计数。"],
        chart=Chart("heat", "会话时段分布", "hour", WEEKDAY_KEYS),
    )


def category_table(ctx: ReportContext, loaded: Loaded) -> Table:
    """Conversations by start hour and problem category (top-level tags), the busiest categories as columns."""
    rows_raw = ctx.rows(
        f"""SELECT hour(c.started_local), t.tag, count(*)
            FROM {loaded.conversations_table} c JOIN ({conversation_tags_sql(loaded.conversations_table)}) t
              ON t.platform = c.platform AND coalesce(t.conversation_id, '') = c.conversation_id
            WHERE NOT contains(t.tag, '-') GROUP BY ALL"""
    )
    totals: dict[str, int] = {}
    for _, tag, n in rows_raw:
        totals[tag] = totals.get(tag, 0) + int(n)
    categories = sorted(totals, key=lambda t: (-totals[t], t))[:MAX_CATEGORIES]
    counts = {(int(h), tag): int(n) for h, tag, n in rows_raw}
    columns = (Column("hour", "时段"), *(Column(c, c, "int") for c in categories))
    rows: list[tuple[Any, ...]] = [(hour_label(h), *(counts.get((h, c), 0) for c in categories)) for h in range(24)]
    notes = ["问题类别为 chatlog tag 的一级标签；一个会话有几个类别就计入几列。"]
    if len(totals) > len(categories):
        notes.append(f"只列出会话最多的 {MAX_CATEGORIES} 个类别。")
    return Table(
        key="hour_category",
        title="各时段咨询的问题（小时 × 问题类别）",
        columns=columns,
        rows=rows,
        total=("合计", *(totals[c] for c in categories)),
        notes=notes,
        chart=Chart("heat", "各时段咨询的问题", "hour", tuple(categories)),
    )


def hourly_tables(ctx: ReportContext) -> list[Table]:
    """The heat tables the store has data for."""
    tables = [weekday_table(ctx, ctx.current)]
    if ctx.available.tags:
        tables.append(category_table(ctx, ctx.current))
    return tables


def hourly_report(ctx: ReportContext) -> Report:
    """The hourly report."""
    report = ctx.new_report("hourly", "咨询时段分布")
    report.sections.append(Section("hourly", "时段", hourly_tables(ctx)))
    report.notes.extend(ctx.available.notes())
    return report
