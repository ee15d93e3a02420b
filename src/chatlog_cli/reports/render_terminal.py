"""Rich renderables for a terminal: a header, each table with its notes, the report's notes at the end.

Heat tables colour their cells by value so busy hours stand out; changes carry a sign and a colour.
"""

from __future__ import annotations

from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table as RichTable
from rich.text import Text

from chatlog_cli.reports.formatting import format_value, is_number_kind
from chatlog_cli.reports.model import Report, Table
from chatlog_cli.reports.render_common import NO_DATA_HINT, filters_text, no_data_text, period_text

HEAT_STYLES = ("", "on grey23", "on dark_orange3", "on red3", "bold white on red1")


def _heat_style(value: Any, top: float) -> str:
    if not isinstance(value, int | float) or top <= 0 or value <= 0:
        return ""
    level = min(len(HEAT_STYLES) - 1, 1 + int((value / top) * (len(HEAT_STYLES) - 1)))
    return HEAT_STYLES[level]


def _cell(table: Table, row: int | None, column: int, value: Any, heat_top: float | None) -> Text:
    kind = table.kind_of(row, column)
    text = format_value(kind, value)
    style = ""
    if kind in ("change", "points") and isinstance(value, int | float):
        # Red for up, green for down, as Chinese dashboards (生意参谋, 京东商智) and the HTML report colour them.
        style = "red" if value > 0 else "green" if value < 0 else ""
    if heat_top is not None and table.chart is not None and table.columns[column].key in table.chart.series:
        style = _heat_style(value, heat_top)
    return Text(text, style=style)


def render_table(table: Table) -> RichTable:
    """One report table as a rich table."""
    rich = RichTable(title=table.title, title_justify="left", title_style="bold", show_footer=False)
    for column in table.columns:
        rich.add_column(column.header, justify="right" if is_number_kind(column.kind) else "left",
                        overflow="fold")  # fmt: skip
    heat_top: float | None = None
    if table.chart is not None and table.chart.kind == "heat":
        keys = [c.key for c in table.columns]
        positions = [keys.index(k) for k in table.chart.series if k in keys]
        numbers = [r[p] for r in table.rows for p in positions if isinstance(r[p], int | float)]
        heat_top = float(max(numbers, default=0))
    for i, row in enumerate(table.rows):
        rich.add_row(*(_cell(table, i, j, v, heat_top) for j, v in enumerate(row)))
    if table.total is not None:
        rich.add_section()
        rich.add_row(*(Text(format_value(table.kind_of(None, j), v), style="bold") for j, v in enumerate(table.total)))
    return rich


def render_terminal(report: Report) -> RenderableType:
    """The whole report for a terminal."""
    parts: list[RenderableType] = []
    header = Text(report.title, style="bold")
    if report.period is not None:
        header.append(f"  {period_text(report.period)}", style="cyan")
        if report.previous is not None:
            header.append(f"（对比上期 {report.previous.label}）", style="dim")
    if report.filters:
        header.append(f"  筛选：{filters_text(report.filters)}", style="dim")
    parts.append(header)
    if report.empty:
        parts.append(Text(f"{no_data_text(report)}。{NO_DATA_HINT}"))
        return Group(*parts)
    for section in report.sections:
        if len(report.sections) > 1:
            parts.append(Text(f"\n■ {section.title}", style="bold magenta"))
        for table in section.tables:
            parts.append(render_table(table))
            parts.extend(Text(f"  {note}", style="dim") for note in table.notes)
        parts.extend(Text(note, style="dim") for note in section.notes)
    if report.notes:
        parts.append(Text(""))
        parts.extend(Text(f"说明：{note}", style="yellow") for note in report.notes)
    return Group(*parts)
