"""Which renderer a report goes to, and writing report files whole or not at all."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from chatlog_cli.errors import OutputFileError, UsageError
from chatlog_cli.io.atomic import atomic_target
from chatlog_cli.reports.model import Report

FILE_FORMATS: Final = ("xlsx", "csv", "json", "md", "html")
SUFFIXES: Final = {".xlsx": "xlsx", ".csv": "csv", ".json": "json", ".md": "md", ".markdown": "md", ".html": "html",
                   ".htm": "html"}  # fmt: skip


def resolve_format(output: Path | None, fmt: str | None) -> str:
    """The format asked for, else the output file's suffix, else a table on the terminal."""
    if fmt is not None:
        if fmt == "xlsx" and output is None:
            raise UsageError("XLSX 是文件格式，请用 -o 指定文件名，如 -o 周报.xlsx。")
        return fmt
    if output is None:
        return "table"
    found = SUFFIXES.get(output.suffix.lower())
    if found is None:
        raise UsageError(
            f"看不出 {output.name} 要写成什么格式。请用 .xlsx、.csv、.json、.md 或 .html 结尾，或加 --format。"
        )
    return found


def render_text(report: Report, fmt: str) -> str:
    """The report as text in a text format (csv, json, md, html)."""
    if fmt == "csv":
        from chatlog_cli.reports.render_csv import render_csv

        return render_csv(report)
    if fmt == "json":
        from chatlog_cli.reports.render_json import render_json

        return render_json(report)
    if fmt == "md":
        from chatlog_cli.reports.render_markdown import render_markdown

        return render_markdown(report)
    if fmt == "html":
        from chatlog_cli.reports.render_html import render_html

        return render_html(report)
    raise ValueError(f"not a text format: {fmt}")


def write_report(report: Report, path: Path, fmt: str) -> None:
    """Write the report file: a temporary file next to `path`, renamed over it when complete."""
    with atomic_target(path) as tmp:
        try:
            if fmt == "xlsx":
                from chatlog_cli.reports import render_xlsx

                render_xlsx.write_xlsx(report, tmp)
            else:
                # CSV with a BOM: Excel on Chinese Windows reads BOM-less UTF-8 as GBK.
                encoding = "utf-8-sig" if fmt == "csv" else "utf-8"
                tmp.write_text(render_text(report, fmt), encoding=encoding)
        except OSError as exc:
            raise OutputFileError(
                f"写入 {path} 失败：{exc.strerror or exc}。原有文件未改动；请检查磁盘空间和写入权限后重试。"
            ) from exc
