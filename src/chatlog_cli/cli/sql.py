"""`chatlog sql`: read-only DuckDB SQL over the store."""

from __future__ import annotations

import csv
import sys
from typing import Annotated

import typer
from rich.table import Table

from chatlog_cli.cli._options import StoreOpt
from chatlog_cli.cli._output import print_json, reported_errors, stdout_console
from chatlog_cli.cli.search import OutputFormat
from chatlog_cli.find.display import spreadsheet_safe
from chatlog_cli.find.sql import VIEWS, run_query
from chatlog_cli.store.store import Store, resolve_store_dir


@reported_errors
def sql_command(
    query: Annotated[
        str, typer.Argument(help='One SELECT statement, e.g. "SELECT agent, count(*) FROM messages GROUP BY 1".')
    ],
    store: StoreOpt = None,
    output: Annotated[
        OutputFormat | None,
        typer.Option("--format", help="table (default on a terminal), csv (default when piped) or json."),
    ] = None,
    max_rows: Annotated[int, typer.Option(min=1, help="Table output shows at most this many rows.")] = 1000,
) -> None:
    """Run a read-only SQL query (DuckDB) over the views messages, conversations, sessions, imports, rejects."""
    chosen = output or (OutputFormat.table if sys.stdout.isatty() else OutputFormat.csv)
    limit = max_rows if chosen is OutputFormat.table else None
    table = run_query(Store.open(resolve_store_dir(store)), query, max_rows=limit)
    if chosen is OutputFormat.json:
        print_json(table.to_pylist())
        return
    if chosen is OutputFormat.csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(table.column_names)
        for row in table.to_pylist():
            writer.writerow([spreadsheet_safe("" if v is None else str(v)) for v in row.values()])
        return
    view = Table(title=f"{table.num_rows:,} 行", title_justify="left")
    for name in table.column_names:
        view.add_column(name, overflow="fold")
    for row in table.to_pylist():
        view.add_row(*("" if v is None else str(v) for v in row.values()))
    stdout_console().print(view)
    if table.num_rows == max_rows:
        stdout_console().print(
            f"（只显示前 {max_rows} 行；--max-rows 可调整，--format csv 输出全部。可用视图：{', '.join(VIEWS)}）"
        )
