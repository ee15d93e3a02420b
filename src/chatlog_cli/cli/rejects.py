"""`chatlog rejects`: rows that could not be imported, with file, line and reason."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from chatlog_cli.cli._options import JsonOpt, StoreOpt
from chatlog_cli.cli._output import print_json, reported_errors, stdout_console
from chatlog_cli.store.store import Store, resolve_store_dir


@reported_errors
def rejects_command(
    store: StoreOpt = None,
    import_id: Annotated[str | None, typer.Option("--import", help="Only rows of this import id.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="Show at most this many rows.")] = 200,
    show_raw: Annotated[
        bool, typer.Option("--show-raw", help="Include the raw row text (may contain personal data).")
    ] = False,
    json_output: JsonOpt = False,
) -> None:
    """List rejected rows (file, line, reason). Raw text is kept in the store and shown only with --show-raw."""
    table = Store.open(resolve_store_dir(store)).read_rejects()
    rows = table.to_pylist()
    if import_id is not None:
        rows = [r for r in rows if r["import_id"] == import_id]
    total = len(rows)
    rows = rows[:limit]
    if not show_raw:
        for row in rows:
            row.pop("raw", None)
    if json_output:
        print_json({"total": total, "rows": rows})
        return
    out = stdout_console()
    if not total:
        out.print("没有被拒绝的行。")
        return
    view = Table(
        title=f"被拒绝的行：共 {total:,} 行" + (f"（显示前 {limit} 行）" if total > limit else ""), title_justify="left"
    )
    for header in ("文件", "行", "原因代码", "原因", *(("原始内容",) if show_raw else ())):
        view.add_column(header)
    for row in rows:
        cells = [row["source_file"], str(row["source_line"]), row["reason_code"], row["reason"]]
        if show_raw:
            cells.append(row.get("raw") or "")
        view.add_row(*cells)
    out.print(view)
