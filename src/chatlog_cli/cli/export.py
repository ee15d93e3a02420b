"""`chatlog export`: what a search selects, as Excel, CSV, JSONL or Parquet."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from chatlog_cli.cli._filters import with_filter_options
from chatlog_cli.cli._options import StoreOpt
from chatlog_cli.cli._output import reported_errors, stderr_console, stderr_is_terminal, stdout_console
from chatlog_cli.find.filters import MessageFilter
from chatlog_cli.store.store import Store, resolve_store_dir


@reported_errors
@with_filter_options
def export_command(
    words: Annotated[list[str] | None, typer.Argument(help="Only messages containing these words.")] = None,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Target file: .xlsx, .csv, .jsonl or .parquet.", dir_okay=False)
    ] = Path("聊天记录.xlsx"),
    store: StoreOpt = None,
    file_format: Annotated[
        str | None, typer.Option("--format", help="xlsx, csv, jsonl or parquet (default: from the extension).")
    ] = None,
    encoding: Annotated[
        str, typer.Option(help="CSV only: utf-8-sig (UTF-8 with BOM, opens in Excel) or gb18030 for old tools.")
    ] = "utf-8-sig",
    *,
    where: MessageFilter,
) -> None:
    """Export messages (all, or those the filters select) in time order; the file appears only when complete."""
    # The writers load openpyxl (and with it pandas): only when exporting, so other commands start quickly.
    from chatlog_cli.find.export import count_messages, export_messages

    opened = Store.open(resolve_store_dir(store))
    if stderr_is_terminal():
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        total = count_messages(opened, where)
        columns = (TextColumn("导出中"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, console=stderr_console(), transient=True) as progress:
            task = progress.add_task("export", total=total)
            result = export_messages(
                opened, where, output, format=file_format, encoding=encoding,
                on_rows=lambda n: progress.advance(task, n),
            )  # fmt: skip
    else:
        result = export_messages(opened, where, output, format=file_format, encoding=encoding)
    sheets = f"，{len(result.sheets)} 个工作表" if len(result.sheets) > 1 else ""
    stdout_console().print(
        f"已导出 {result.rows:,} 条消息到 {result.path}（{result.format}{sheets}，{result.seconds:.1f} 秒）",
        highlight=False,
    )
