"""`chatlog info`: what the store holds."""

from __future__ import annotations

from rich.table import Table

from chatlog_cli.cli._options import JsonOpt, StoreOpt
from chatlog_cli.cli._output import print_json, reported_errors, stdout_console
from chatlog_cli.info import StoreSummary, summarize
from chatlog_cli.store.store import Store, resolve_store_dir

_ROLE_NAMES = {"buyer": "买家", "agent": "客服", "bot": "机器人", "system": "系统", "unknown": "未知"}


@reported_errors
def info_command(store: StoreOpt = None, json_output: JsonOpt = False) -> None:
    """Summarize the store: messages, conversations, buyers, agents, date range, per platform/shop/month."""
    summary = summarize(Store.open(resolve_store_dir(store)))
    if json_output:
        print_json(summary.as_dict())
        return
    print_summary(summary)


def print_summary(summary: StoreSummary) -> None:
    """Render a store summary as rich tables."""
    out = stdout_console()
    overview = Table(title=f"聊天记录数据目录：{summary.store}", title_justify="left", show_header=False)
    overview.add_column(style="bold")
    overview.add_column(justify="right")
    overview.add_row("消息", f"{summary.messages:,}")
    overview.add_row("会话", f"{summary.conversations:,}")
    overview.add_row("买家", f"{summary.buyers:,}")
    overview.add_row("客服", f"{summary.agents:,}")
    span = f"{summary.first_message_at} ~ {summary.last_message_at}" if summary.first_message_at else "-"
    overview.add_row("时间范围", span)
    roles = "，".join(f"{_ROLE_NAMES.get(r, r)} {n:,}" for r, n in summary.roles.items())
    overview.add_row("发送方", roles or "-")
    if summary.sessions:
        overview.add_row("会话记录（会话列表）", f"{summary.sessions:,}（对上聊天记录 {summary.sessions_matched:,}）")
    overview.add_row("导入文件", f"{summary.imports:,}")
    overview.add_row("被拒绝的行", f"{summary.rejected_rows:,}")
    out.print(overview)
    if summary.breakdown:
        table = Table(title="按平台 / 店铺 / 月份", title_justify="left")
        for header in ("平台", "店铺", "月份", "消息", "会话", "买家"):
            table.add_column(header, justify="right" if header in ("消息", "会话", "买家") else "left")
        for row in summary.breakdown:
            table.add_row(
                row.platform,
                row.shop or "-",
                row.month,
                f"{row.messages:,}",
                f"{row.conversations:,}",
                f"{row.buyers:,}",
            )
        out.print(table)
