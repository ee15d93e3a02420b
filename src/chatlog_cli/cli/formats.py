"""`chatlog formats`: the export formats chatlog reads and how each is recognised."""

from __future__ import annotations

from rich.table import Table

from chatlog_cli.cli._options import JsonOpt
from chatlog_cli.cli._output import print_json, stdout_console


def formats_command(json_output: JsonOpt = False) -> None:
    """List supported export formats and how each is recognised from content."""
    from chatlog_cli.platforms import REGISTRY

    rows = [
        {"format": f.name, "platform": f.platform, "title": f.title, "recognized_by": f.recognized_by} for f in REGISTRY
    ]
    rows.append(
        {
            "format": "mapped",
            "platform": "(mapping)",
            "title": "任意 CSV/XLSX + 列映射文件",
            "recognized_by": "不自动识别：用 --map mapping.toml 指定每个字段对应的表头（见 docs/mapping.md）",
        }
    )
    if json_output:
        print_json(rows)
        return
    table = Table(title="chatlog 支持的聊天记录格式", title_justify="left", show_lines=True)
    for header in ("格式 (--format)", "平台", "名称", "如何识别"):
        table.add_column(header)
    for row in rows:
        table.add_row(row["format"], row["platform"], row["title"], row["recognized_by"])
    stdout_console().print(table)
