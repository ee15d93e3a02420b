"""`chatlog scan`: find personal data left in files before they are published."""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from chatlog_cli.cli._output import print_json, reported_errors, stderr_console, stdout_console
from chatlog_cli.find.display import spreadsheet_safe
from chatlog_cli.redact.kinds import KINDS, LABELS
from chatlog_cli.redact.scan import Hit, ProgressCallback, ScanReport, parse_kinds, scan_paths

EXIT_CLEAN = 0
EXIT_FOUND = 1
EXIT_UNREADABLE = 2

CSV_COLUMNS = ("file", "sheet", "row", "column", "kind", "label", "masked")


class OutputFormat(StrEnum):
    """How hits are printed."""

    table = "table"
    csv = "csv"
    json = "json"


@reported_errors
def scan_command(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="Files or folders: a chatlog store, an archive folder, Parquet, CSV, XLSX/XLS, JSONL, text or ZIP.",
            exists=True,
            show_default=False,
        ),
    ],
    kinds: Annotated[
        str | None,
        typer.Option(help=f"Only these kinds, comma-separated: {','.join(KINDS)}. Default: all.", show_default=False),
    ] = None,
    limit: Annotated[int, typer.Option(min=0, help="List at most this many hits (0: all). All are counted.")] = 20,
    output: Annotated[OutputFormat, typer.Option("--format", help="table, csv or json.")] = OutputFormat.table,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print no results and stop at the first hit; read the exit code.")
    ] = False,
) -> None:
    """Find personal data (phone, 身份证, bank card, e-mail, address, name …) left in files before publishing them.

    Reads chatlog stores, archive folders, Parquet, CSV (UTF-8 or GBK), Excel, JSONL, text and ZIP files.

    Lists each hit with file, row, column, kind and the value masked (never the value itself).

    Exit codes: 0 = nothing found; 1 = personal data found (also when some file could not be read);
    2 = usage error, or a file could not be read (so it was not checked).
    """
    wanted = parse_kinds(kinds.split(",")) if kinds is not None else None
    if wanted == ():
        raise typer.BadParameter("give at least one kind", param_hint="--kinds")
    with _progress(enabled=not quiet) as on_progress:
        report = scan_paths(
            paths, kinds=wanted, keep=limit or None, first_only=quiet, on_progress=on_progress
        )  # fmt: skip
    _print_problems(report)
    if not quiet:
        _render(report, output)
    raise typer.Exit(exit_code(report))


def exit_code(report: ScanReport) -> int:
    """1 when anything was found (even if some files could not be read), else 2 for unread files, else 0."""
    if report.total_hits:
        return EXIT_FOUND
    return EXIT_UNREADABLE if report.problems else EXIT_CLEAN


@contextmanager
def _progress(*, enabled: bool) -> Iterator[ProgressCallback | None]:
    """A status line on stderr, only when both streams are terminals (never in pipes, logs or CI)."""
    if not (enabled and sys.stdout.isatty() and sys.stderr.isatty()):
        yield None
        return
    with stderr_console().status("正在检查…") as status:

        def update(file: str, cells: int) -> None:
            status.update(f"正在检查 {file}（已读 {cells:,} 个单元格/行）")

        yield update


def _print_problems(report: ScanReport) -> None:
    err = stderr_console()
    for problem in report.problems:
        err.print(f"[bold red]无法检查：[/]{problem.message}", markup=True, highlight=False)


# --- rendering -----------------------------------------------------------------------------------------------------


def _render(report: ScanReport, output: OutputFormat) -> None:
    if output is OutputFormat.json:
        print_json(report_dict(report))
    elif output is OutputFormat.csv:
        _write_csv(report)
        stderr_console().print(_headline(report), highlight=False)
    else:
        _print_tables(report)


def report_dict(report: ScanReport) -> dict[str, Any]:
    """The report as JSON-ready data (what `--format json` prints)."""
    return {
        "clean": report.clean,
        "exit_code": exit_code(report),
        "files_scanned": len(report.files),
        "cells_scanned": report.cells,
        "total_hits": report.total_hits,
        "hits_by_kind": dict(report.hits_by_kind.most_common()),
        "listed": len(report.hits),
        "limited": report.limited,
        "stopped_early": report.stopped_early,
        "hits": [_hit_dict(hit) for hit in report.hits],
        "files": [
            {"file": f.file, "format": f.format, "cells": f.cells, "hits": dict(f.hits.most_common())}
            for f in report.files
        ],
        "problems": [{"file": p.file, "message": p.message} for p in report.problems],
    }


def _hit_dict(hit: Hit) -> dict[str, Any]:
    return {
        "file": hit.file, "sheet": hit.sheet, "row": hit.row, "column": hit.column,
        "kind": hit.kind, "label": hit.label, "masked": hit.masked,
    }  # fmt: skip


def _write_csv(report: ScanReport) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for hit in report.hits:
        cells = _hit_dict(hit)
        writer.writerow([spreadsheet_safe("" if cells[c] is None else str(cells[c])) for c in CSV_COLUMNS])
    sys.stdout.flush()


def _headline(report: ScanReport) -> str:
    scanned = f"检查了 {len(report.files):,} 个文件、{report.cells:,} 个单元格/行"
    if report.total_hits:
        more = "（检查到第一处即停止）" if report.stopped_early else ""
        return f"发现 {report.total_hits:,} 处疑似个人信息{more}：{scanned}。"
    if report.problems:
        return f"可读取的部分未发现个人信息，但有 {len(report.problems)} 个文件无法检查：{scanned}。"
    return f"未发现个人信息：{scanned}。"


def _print_tables(report: ScanReport) -> None:
    out = stdout_console()
    if not report.total_hits:
        out.print(_headline(report), highlight=False)
        return
    out.print(_hits_table(report))
    if report.limited:
        out.print(f"只列出前 {len(report.hits):,} 处（--limit 0 列出全部，--format csv 可导出）。", highlight=False)
    out.print(_kinds_table(report))
    out.print(_headline(report), highlight=False)
    out.print("请先脱敏，再重新检查；检查通过（退出码 0）后再发布。", highlight=False)


def _hits_table(report: ScanReport) -> Table:
    with_sheets = any(hit.sheet for hit in report.hits)
    table = Table(title=f"发现 {report.total_hits:,} 处疑似个人信息（内容已遮盖）", title_justify="left")
    table.add_column("文件", overflow="fold", ratio=3)
    if with_sheets:
        table.add_column("工作表", overflow="fold")
    table.add_column("行", justify="right", no_wrap=True)
    table.add_column("列", overflow="fold")
    table.add_column("类型", no_wrap=True)
    table.add_column("内容（已遮盖）", overflow="fold", ratio=2)
    for hit in report.hits:
        cells = [hit.file, *([hit.sheet or ""] if with_sheets else [])]
        row = "" if hit.row is None else f"{hit.row:,}"
        table.add_row(*cells, row, hit.column or "", hit.label, hit.masked)
    return table


def _kinds_table(report: ScanReport) -> Table:
    table = Table(title="按类型", title_justify="left")
    table.add_column("类型")
    table.add_column("处数", justify="right")
    for kind, count in report.hits_by_kind.most_common():
        table.add_row(LABELS[kind], f"{count:,}")
    return table
