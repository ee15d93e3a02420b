"""`chatlog import`: read export files into the store."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from chatlog_cli.cli._options import JsonOpt, StoreOpt
from chatlog_cli.cli._output import (
    print_json,
    reported_errors,
    stderr_console,
    stderr_is_terminal,
    stdout_console,
)
from chatlog_cli.settings import DEFAULT_SESSION_GAP_MINUTES
from chatlog_cli.store.store import resolve_store_dir

if TYPE_CHECKING:  # the importer loads every parser: imported when a command needs it, so start-up stays quick
    from chatlog_cli.importer import FileResult, ImportReport
    from chatlog_cli.io.sources import Source

_STATUS = {"imported": "[green]已导入[/]", "already_imported": "[yellow]已导入过[/]", "failed": "[red]失败[/]"}


class _TerminalProgress:
    """A spinner with a running row count per file, on stderr, for people at a terminal."""

    def __init__(self) -> None:
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("[{task.fields[index]}] {task.description}"),
            TextColumn("{task.completed:,} 行"),
            TimeElapsedColumn(),
            console=stderr_console(),
            transient=True,
        )
        self.task: TaskID | None = None
        self.current: str | None = None

    def __enter__(self) -> _TerminalProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def file_started(self, source: Source, index: int, count: int) -> None:
        self.current = source.label
        self.task = self.progress.add_task(source.name, total=None, index=f"{index + 1}/{count}")

    def rows_parsed(self, rows: int) -> None:
        if self.task is not None:
            self.progress.advance(self.task, rows)

    def file_finished(self, result: FileResult) -> None:
        self.current = None
        if self.task is not None:
            self.progress.remove_task(self.task)
            self.task = None


class _PlainProgress:
    """One line per finished file on stderr, for logs and cron mail."""

    current: str | None = None

    def __enter__(self) -> _PlainProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def file_started(self, source: Source, index: int, count: int) -> None:
        self.current = source.label
        self.position = f"{index + 1}/{count}"

    def rows_parsed(self, rows: int) -> None:
        return None

    def file_finished(self, result: FileResult) -> None:
        self.current = None
        state = {"imported": "已导入", "already_imported": "已导入过，跳过", "failed": "失败"}[result.status]
        stderr_console().print(
            f"[{self.position}] {result.source}: {state}，新增 {_added(result)}"
            + (" 条" if result.kind == "messages" else ""),
            markup=False,
            highlight=False,
        )


@reported_errors
def import_command(
    files: Annotated[list[str], typer.Argument(help="Export files, directories, globs or ZIP archives.")],
    store: StoreOpt = None,
    platform: Annotated[
        str | None, typer.Option(help="Only consider this platform's formats (jd, pinduoduo, …).")
    ] = None,
    format: Annotated[
        str | None, typer.Option("--format", help="Skip detection and parse as this format (see `chatlog formats`).")
    ] = None,
    shop: Annotated[str | None, typer.Option(help="Shop name stored with every message (店铺).")] = None,
    mapping: Annotated[
        Path | None,
        typer.Option(
            "--map", help="Column mapping (TOML) for a spreadsheet export chatlog does not know.", dir_okay=False
        ),
    ] = None,
    encoding: Annotated[
        str | None, typer.Option(help="Text encoding, when detection gets it wrong (utf-8, gbk, gb18030).")
    ] = None,
    session_gap: Annotated[
        int,
        typer.Option(min=1, help="Minutes of silence that end a conversation when the export has no conversation ids."),
    ] = DEFAULT_SESSION_GAP_MINUTES,
    json_output: JsonOpt = False,
) -> None:
    """Import chat-record exports (聊天记录) into the store; re-importing adds nothing twice.

    The platform and format are detected from each file's content. Exit status: 0 all files imported,
    1 some file failed (the others still import), 2 usage error, 130 stopped with Ctrl-C (the file being
    imported is rolled back; the files before it stay imported).
    """
    from chatlog_cli.allocator import keep_freed_memory
    from chatlog_cli.importer import ImportOptions, import_files
    from chatlog_cli.platforms.base import ParseOptions

    keep_freed_memory()
    options = ImportOptions(
        platform=platform,
        format=format,
        mapping=mapping,
        parse=ParseOptions(shop=shop, encoding=encoding, session_gap_minutes=session_gap),
    )
    store_dir = resolve_store_dir(store)
    progress = _TerminalProgress() if stderr_is_terminal() and not json_output else _PlainProgress()
    try:
        with progress:
            report = import_files(files, store_dir, options, progress)
    except KeyboardInterrupt:
        _report_interrupted(progress.current)
        raise typer.Exit(130) from None
    if json_output:
        print_json(
            {
                "store": str(report.store),
                "files": [f.as_dict() for f in report.files],
                "totals": report.totals(),
                "session_matching": asdict(report.session_matching) if report.session_matching else None,
            }
        )
    else:
        _print_report(report)
    if report.failed:
        raise typer.Exit(1)


def _report_interrupted(current: str | None) -> None:
    """Ctrl-C: the file being imported was rolled back; the ones before it stay imported."""
    undone = f"{current} 未导入，数据目录保持导入它之前的样子。" if current else "数据目录未被改动。"
    stderr_console().print(
        f"[bold yellow]已中断：[/]{undone}之前已完成的文件已保存；重新运行同一命令会跳过它们，只导入其余文件。",
        markup=True,
        highlight=False,
    )


def _added(result: FileResult) -> str:
    if result.kind == "sessions":
        return f"{result.sessions_added:,} 条会话记录"
    return f"{result.messages_added:,}"


def _short_name(source: str) -> str:
    # The table shows file names; full paths go in the notes below it and in --json.
    archive, _, member = source.partition("!")
    return f"{Path(archive).name}!{Path(member).name}" if member else Path(source).name


def _print_report(report: ImportReport) -> None:
    out = stdout_console()
    table = Table(title=f"导入结果 → {report.store}", title_justify="left")
    table.add_column("文件", overflow="fold", ratio=3)
    table.add_column("格式", overflow="fold")
    for header in ("读取", "新增", "重复", "拒绝", "未知角色", "损坏编号"):
        table.add_column(header, justify="right", no_wrap=True)
    table.add_column("状态", no_wrap=True)
    for f in report.files:
        fmt = f"{f.format} {f.confidence:.0%}" if f.format and f.confidence is not None else (f.format or "-")
        table.add_row(
            _short_name(f.source), fmt, f"{f.rows_read:,}", _added(f), f"{f.duplicates_skipped:,}",
            f"{f.rejected_rows:,}", f"{f.unknown_roles:,}", f"{f.damaged_ids:,}", _STATUS[f.status],
        )  # fmt: skip
    totals = report.totals()
    table.add_section()
    table.add_row(
        f"合计 {totals['files']} 个文件", "", f"{totals['rows_read']:,}", f"{totals['messages_added']:,}",
        f"{totals['duplicates_skipped']:,}", f"{totals['rejected_rows']:,}", f"{totals['unknown_roles']:,}",
        f"{totals['damaged_ids']:,}", f"[red]{totals['files_failed']} 失败[/]" if totals["files_failed"] else "",
    )  # fmt: skip
    out.print(table)
    for f in report.files:
        lines = []
        if f.error:
            lines.append(f"[red]{f.error}[/]")
        lines.extend(f.notes)
        lines.extend(f"{reason}：{count}" for reason, count in f.skipped.items())
        if f.unknown_columns:
            lines.append("未使用的列（原样保存在 extra 列中）：" + "、".join(f.unknown_columns))
        if lines:
            out.print(f"[bold]{f.source}[/]", highlight=False)
            for line in lines:
                out.print(f"  • {line}", highlight=False)
    matching = report.session_matching
    if matching is not None:
        out.print(
            f"会话记录（京东会话列表）共 {matching.sessions:,} 条，其中 {matching.matched:,} 条对上了聊天记录中的会话"
            f"（咨询时间相差 2 分钟内、顾客昵称一致），{matching.unmatched:,} 条没有对上"
            + ("：导入对应时间段的聊天记录 .log/.txt 后会自动对上。" if matching.unmatched else "。"),
            highlight=False,
        )
    if totals["rejected_rows"]:
        out.print("被拒绝的行已保存在数据目录中，查看原因：[bold]chatlog rejects[/]")
    if totals["unknown_roles"]:
        out.print("有消息的发送方身份无法确定（记为 unknown），不会被猜测。")
