"""`chatlog search`: find messages by text, time, people, order, role and type."""

from __future__ import annotations

import csv
import re
import sys
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from chatlog_cli.cli._filters import with_filter_options
from chatlog_cli.cli._options import StoreOpt
from chatlog_cli.cli._output import print_json, reported_errors, stderr_console, stdout_console
from chatlog_cli.find.display import COLUMN_HEADERS, TYPE_LABELS, message_text, role_label, spreadsheet_safe
from chatlog_cli.find.filters import MessageFilter
from chatlog_cli.find.search import ROW_COLUMNS, SearchResult, search
from chatlog_cli.store.store import Store, resolve_store_dir

# Search rows carry `time` (China-time text) where exports carry `sent_at`; the headers are the export's.
CSV_HEADERS = COLUMN_HEADERS | {"time": COLUMN_HEADERS["sent_at"]}


class OutputFormat(StrEnum):
    """How results are printed."""

    table = "table"
    csv = "csv"
    json = "json"


@reported_errors
@with_filter_options
def search_command(
    words: Annotated[list[str] | None, typer.Argument(help="Words to find in message text (all must match).")] = None,
    store: StoreOpt = None,
    context: Annotated[int, typer.Option("--context", "-C", min=0, help="Messages before/after each match.")] = 0,
    limit: Annotated[int, typer.Option(min=1, help="Show at most this many matches.")] = 200,
    output: Annotated[
        OutputFormat | None,
        typer.Option("--format", help="table (default on a terminal), csv (default when piped) or json."),
    ] = None,
    *,
    where: MessageFilter,
) -> None:
    """Find messages: words (AND, or --any), time range, platform, shop, agent, buyer, order, role, type."""
    result = search(Store.open(resolve_store_dir(store)), where, context=context, limit=limit)
    chosen = output or (OutputFormat.table if sys.stdout.isatty() else OutputFormat.csv)
    if chosen is OutputFormat.json:
        print_json(
            {"matches": result.matches, "conversations": result.conversations, "limited": result.limited,
             "rows": result.rows}
        )  # fmt: skip
    elif chosen is OutputFormat.csv:
        _write_csv(result, context > 0)
        if not result.matches:  # on stderr, so the CSV stays a CSV (header only)
            stderr_console().print("没有找到匹配的消息。")
    else:
        _print_table(result, where, context > 0)


def _write_csv(result: SearchResult, with_context: bool) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    columns = list(ROW_COLUMNS)
    extra = ["是否匹配"] if with_context else []
    writer.writerow([CSV_HEADERS[c] for c in columns] + extra)
    for row in result.rows:
        shown = row | {"sender_role": role_label(row["sender_role"]), "msg_type": TYPE_LABELS.get(row["msg_type"], "")}
        cells = [spreadsheet_safe(_cell(shown[c])) for c in columns]
        writer.writerow(cells + (["是" if row["match"] else "否"] if with_context else []))
    sys.stdout.flush()


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def _print_table(result: SearchResult, where: MessageFilter, with_context: bool) -> None:
    out = stdout_console()
    if not result.matches:
        out.print("没有找到匹配的消息。")
        return
    summary = f"找到 {result.matches:,} 条消息，分布在 {result.conversations:,} 个会话中"
    if result.limited:
        summary += f"；显示前 {result.shown_matches:,} 条（--limit 可调整，--format csv 可全部导出）"
    table = Table(title=summary, title_justify="left", show_lines=False)
    for header, options in (
        ("时间", {"no_wrap": True}), ("平台", {}), ("会话", {"no_wrap": True}),
        ("身份", {"no_wrap": True}), ("发送人", {"overflow": "fold"}), ("内容", {"overflow": "fold", "ratio": 3}),
    ):  # fmt: skip
        table.add_column(header, **options)
    pattern = where.highlight_pattern()
    highlight = re.compile(pattern, re.IGNORECASE) if pattern else None
    block = None
    for row in result.rows:
        if with_context and block is not None and row["block"] != block:
            table.add_section()
        block = row["block"]
        content = Text(message_text(row["msg_type"], row["content"], row["order_id"]))
        if highlight is not None and row["match"]:
            content.highlight_regex(highlight, style="bold black on yellow")
        style = None if row["match"] or not with_context else "dim"
        table.add_row(
            row["time"], row["platform"], row["conversation_id"] or "", role_label(row["sender_role"]),
            row["sender"] or "", content, style=style,
        )  # fmt: skip
    out.print(table)
