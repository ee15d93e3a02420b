"""A report as GitHub-flavoured Markdown: for pasting into a wiki, a work chat or a ticket.

Charts are left out (Markdown cannot draw); their tables carry the same numbers. Cells come from
`render_common.cell_text`, so they read exactly as in the HTML and the terminal.
"""

from __future__ import annotations

from typing import Any

from chatlog_cli.reports.formatting import is_number_kind
from chatlog_cli.reports.model import Report, Section, Table
from chatlog_cli.reports.render_common import (
    cell_text,
    filter_items,
    generated_text,
    no_data_text,
    period_text,
)


def render_markdown(report: Report) -> str:
    """The whole report: title, period, sections (`##`) of tables (`###`), notes last."""
    lines = [f"# {escape_text(report.title)}", ""]
    if report.empty:
        lines += [escape_text(no_data_text(report)), ""]
        return "\n".join(lines)
    lines += _header(report)
    for section in report.sections:
        lines += _section(section)
    if report.notes:
        lines += ["---", "", "**说明**", ""]
        lines += [f"- {escape_text(note)}" for note in report.notes]
        lines.append("")
    return "\n".join(lines)


def _header(report: Report) -> list[str]:
    """The period line, then one line of what the report counts and how it was filtered."""
    lines = []
    if report.period is not None:
        period = f"统计周期：{period_text(report.period)}"
        if report.previous is not None:
            period += f" · 对比：{period_text(report.previous)}"
        lines += [escape_text(period), ""]
    meta = [f"会话：{report.conversations:,}"]
    meta += [f"{label}：{value}" for label, value in filter_items(report.filters)]
    if report.generated_at is not None:
        meta.append(f"生成于 {generated_text(report.generated_at)}")
    return [*lines, escape_text(" · ".join(meta)), ""]


def _section(section: Section) -> list[str]:
    lines = [f"## {escape_text(section.title)}", ""]
    for table in section.tables:
        lines += _table(table)
    lines += _notes(section.notes)
    return lines


def _table(table: Table) -> list[str]:
    lines = [f"### {escape_text(table.title)}", ""]
    numeric = [is_number_kind(table.kind_of(0 if table.rows else None, c)) for c in range(len(table.columns))]
    lines.append(_row([escape_cell(col.header) for col in table.columns]))
    lines.append(_row(["---:" if right else ":---" for right in numeric]))
    for r, values in enumerate(table.rows):
        lines.append(_row([escape_cell(cell_text(table, r, c, v)) for c, v in enumerate(values)]))
    if table.total is not None:
        lines.append(_row([_bold(escape_cell(cell_text(table, None, c, v))) for c, v in enumerate(table.total)]))
    lines.append("")
    return lines + _notes(table.notes, quote=True)


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _bold(text: str) -> str:
    # `****` would render as a horizontal rule fragment, not as nothing.
    return f"**{text}**" if text.strip() else text


def _notes(notes: list[str], *, quote: bool = False) -> list[str]:
    """Notes as a list; a table's as a quoted list so they read as belonging to the table above."""
    if not notes:
        return []
    prefix = "> - " if quote else "- "
    return [*(prefix + escape_text(note) for note in notes), ""]


def escape_text(text: Any) -> str:
    """Text that Markdown shows as written: no HTML (chat text may hold `<script>`), one line per item."""
    # Backslash first, so the escapes added next are not doubled; `<` escaped so no renderer sees a tag.
    out = str(text).replace("\\", "\\\\").replace("<", "\\<")
    return " ".join(out.splitlines()) if "\n" in out or "\r" in out else out


def escape_cell(text: Any) -> str:
    """A table cell: as `escape_text`, with `|` escaped and line breaks kept as `<br>`."""
    out = str(text).replace("\\", "\\\\").replace("<", "\\<").replace("|", "\\|")
    return "<br>".join(out.splitlines()) if "\n" in out or "\r" in out else out
