"""XLSX: one sheet per section, formatted tables stacked on it, and native Excel charts.

Cells hold the raw values (a share is 0.123 formatted as 12.3 %, a duration is seconds formatted as `83 秒`), so they
equal the JSON's and Excel can compute with them. Charts: a line chart for trends, a bar chart for top lists, and a
colour scale (conditional formatting) for heat tables such as hour × weekday.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any, Final

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.formatting.rule import ColorScaleRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from chatlog_cli.find.display import FORMULA_STARTS
from chatlog_cli.reports.model import Kind, Report, Table
from chatlog_cli.reports.render_common import filters_text, generated_text, no_data_text, period_text

NUMBER_FORMATS: Final[dict[str, str]] = {
    "int": "#,##0",
    "float": "#,##0.00",
    "share": "0.0%",
    "seconds": '#,##0" 秒"',
    "score": "0.00",
    "change": "+0.0%;-0.0%;0.0%",
    "points": "+0.0%;-0.0%;0.0%",  # a difference of shares: Excel can only show it with a % sign
}
HEADER_FILL: Final = PatternFill("solid", fgColor="DDEBF7")
TITLE_FONT: Final = Font(bold=True, size=12)
NOTE_FONT: Final = Font(italic=True, color="666666", size=9)
MAX_WIDTH: Final = 60
CHART_ROWS: Final = 16  # a chart's height in rows, to keep the next table clear of it


def _width(value: Any) -> int:
    text = str(value) if value is not None else ""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _sheet_name(title: str, taken: set[str]) -> str:
    name = re.sub(r"[\[\]:*?/\\]", "_", title)[:31] or "Sheet"
    base, n = name, 2
    while name in taken:
        suffix = f"({n})"
        name = base[: 31 - len(suffix)] + suffix
        n += 1
    taken.add(name)
    return name


def _set(sheet: Worksheet, row: int, column: int, value: Any, kind: Kind) -> None:
    cell = sheet.cell(row=row, column=column)
    if isinstance(value, float) and value != value:  # NaN
        value = None
    cell.value = value
    if isinstance(value, str):
        if value.startswith(FORMULA_STARTS):
            cell.data_type = "s"  # text, never a formula
        if "\n" in value:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    elif value is not None and kind in NUMBER_FORMATS:
        cell.number_format = NUMBER_FORMATS[kind]


def _write_table(sheet: Worksheet, table: Table, top: int, widths: dict[int, int]) -> int:
    """Write `table` from row `top`; returns the next free row."""
    sheet.cell(row=top, column=1, value=table.title).font = TITLE_FONT
    header_row = top + 1
    for j, column in enumerate(table.columns, 1):
        cell = sheet.cell(row=header_row, column=j, value=column.header)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        widths[j] = max(widths.get(j, 0), _width(column.header))
    row = header_row
    for i, values in enumerate(table.rows):
        row += 1
        for j, value in enumerate(values):
            _set(sheet, row, j + 1, value, table.kind_of(i, j))
            widths[j + 1] = max(widths.get(j + 1, 0), _width(value) if isinstance(value, str) else 10)
    if table.total is not None:
        row += 1
        for j, value in enumerate(table.total):
            _set(sheet, row, j + 1, value, table.kind_of(None, j))
            sheet.cell(row=row, column=j + 1).font = Font(bold=True)
    if table.chart is not None and table.rows:
        _chart(sheet, table, header_row, header_row + len(table.rows))
    for note in table.notes:
        row += 1
        sheet.cell(row=row, column=1, value=note).font = NOTE_FONT
    end = row + 2
    if table.chart is not None and table.chart.kind != "heat" and table.rows:
        end = max(end, top + CHART_ROWS + 2)
    return end


def _chart(sheet: Worksheet, table: Table, header_row: int, last_row: int) -> None:
    chart_spec = table.chart
    assert chart_spec is not None
    keys = [c.key for c in table.columns]
    category = keys.index(chart_spec.category) + 1
    series = [keys.index(k) + 1 for k in chart_spec.series if k in keys]
    if chart_spec.kind == "heat":
        if series:
            first, last = get_column_letter(min(series)), get_column_letter(max(series))
            sheet.conditional_formatting.add(
                f"{first}{header_row + 1}:{last}{last_row}",
                ColorScaleRule(start_type="min", start_color="FFFFFF", end_type="max", end_color="F8696B"),
            )
        return
    chart: LineChart | BarChart
    if chart_spec.kind == "line":
        chart = LineChart()
    else:
        chart = BarChart()
        chart.type = "bar"  # horizontal: long Chinese labels stay readable
        chart.x_axis.scaling.orientation = "maxMin"  # the top item first, as in the table
        chart.legend = None
    chart.title = chart_spec.title
    chart.height, chart.width = 7.5, 16
    for column in series:
        chart.add_data(Reference(sheet, min_col=column, min_row=header_row, max_row=last_row), titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=category, min_row=header_row + 1, max_row=last_row))
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    sheet.add_chart(chart, f"{get_column_letter(len(table.columns) + 2)}{header_row}")


def _cover(sheet: Worksheet, report: Report) -> int:
    sheet.cell(row=1, column=1, value=report.title).font = Font(bold=True, size=14)
    lines = []
    if report.period is not None:
        period = f"时间：{period_text(report.period)}"
        if report.previous is not None:
            period += f"（对比上期 {report.previous.label}）"
        lines.append(period)
    if report.filters:
        lines.append(f"筛选：{filters_text(report.filters)}")
    if report.generated_at is not None:
        lines.append(f"生成时间：{generated_text(report.generated_at)}")
    for i, line in enumerate(lines, 2):
        sheet.cell(row=i, column=1, value=line).font = NOTE_FONT
    return len(lines) + 3


def build_workbook(report: Report) -> Workbook:
    """The workbook of a report (not yet saved)."""
    book = Workbook()
    first: Worksheet = book.active
    taken: set[str] = set()
    if report.empty or not report.sections:
        first.title = _sheet_name(report.title, taken)
        row = _cover(first, report)
        first.cell(row=row, column=1, value=f"{no_data_text(report)}。")
        return book
    for index, section in enumerate(report.sections):
        sheet = first if index == 0 else book.create_sheet()
        sheet.title = _sheet_name(section.title, taken)
        row = _cover(sheet, report) if index == 0 else 1
        widths: dict[int, int] = {}
        for table in section.tables:
            row = _write_table(sheet, table, row, widths)
        for note in section.notes + (report.notes if len(report.sections) == 1 else []):
            sheet.cell(row=row, column=1, value=note).font = NOTE_FONT
            row += 1
        for column, width in widths.items():
            sheet.column_dimensions[get_column_letter(column)].width = min(MAX_WIDTH, max(8, width + 2))
    if report.notes and len(report.sections) > 1:
        notes = book.create_sheet(_sheet_name("说明", taken))
        for i, note in enumerate(report.notes, 1):
            notes.cell(row=i, column=1, value=note)
        notes.column_dimensions["A"].width = 100
    return book


def write_xlsx(report: Report, path: Path) -> None:
    """Save the report's workbook to `path` (callers write to a temporary file and rename)."""
    build_workbook(report).save(path)
