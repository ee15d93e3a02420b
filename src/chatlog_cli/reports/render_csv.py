"""CSV: one table as a plain CSV; several tables one after another, each under a `# title` line.

Values are the raw ones (shares as 0…1, durations in seconds), so a spreadsheet can compute with them.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from chatlog_cli.reports.model import Report, Table


def _cell(value: Any) -> Any:
    if isinstance(value, float):
        return f"{value:.6g}" if abs(value) < 1e6 else f"{value:.0f}"
    return "" if value is None else value


def _write_table(writer: Any, table: Table) -> None:
    writer.writerow([c.header for c in table.columns])
    for row in table.rows:
        writer.writerow([_cell(v) for v in row])
    if table.total is not None:
        writer.writerow([_cell(v) for v in table.total])


def render_csv(report: Report) -> str:
    """The report's tables as CSV text."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    tables = report.tables()
    if len(tables) == 1:
        _write_table(writer, tables[0])
        return out.getvalue()
    for number, table in enumerate(tables):
        if number:
            out.write("\n")
        out.write(f"# {table.title}\n")
        _write_table(writer, table)
    return out.getvalue()
