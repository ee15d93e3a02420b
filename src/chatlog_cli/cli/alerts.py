"""`chatlog alerts`: conversations needing follow-up (risk tags, unanswered and slow replies), for people and cron."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from chatlog_cli.alerts import AlertReport, find_alerts
from chatlog_cli.cli._filters import with_filter_options
from chatlog_cli.cli._options import StoreOpt, TableOrJson, TableOrJsonOpt
from chatlog_cli.cli._output import print_json, reported_errors, stderr_console, stdout_console
from chatlog_cli.find.filters import MessageFilter
from chatlog_cli.settings import DEFAULT_REPLY_MINUTES, SERVICE_HOURS
from chatlog_cli.store.store import Store, resolve_store_dir
from chatlog_cli.tagging.rules import PRIORITY_LABELS

# Distinct from errors (1) and usage errors (2), so cron can tell "alerts exist" from "chatlog failed".
ALERTS_EXIT_CODE = 3


class FailOn(StrEnum):
    """The lowest priority that makes the command fail."""

    urgent = "urgent"
    high = "high"


@reported_errors
@with_filter_options
def alerts_command(
    store: StoreOpt = None,
    reply_minutes: Annotated[
        int, typer.Option("--reply-minutes", min=1, help="A buyer turn not answered within this many minutes is late.")
    ] = DEFAULT_REPLY_MINUTES,
    sentiment_below: Annotated[
        float | None,
        typer.Option(
            "--sentiment-below",
            min=0.0,
            max=1.0,
            help="Also flag conversations with a buyer message scored below this by `chatlog sentiment` (off by "
            "default: worth it with a model trained on your chats, see docs/sentiment.md).",
            show_default=False,
        ),
    ] = None,
    output: TableOrJsonOpt = TableOrJson.table,
    fail_on: Annotated[
        FailOn | None,
        typer.Option("--fail-on", help=f"Exit {ALERTS_EXIT_CODE} when alerts of this priority or higher exist (cron)."),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="Show at most this many alerts in the table.")] = 50,
    *,
    where: MessageFilter,
) -> None:
    """Conversations needing follow-up: risk tags (投诉, 12315, 差评 …), buyers without a reply, slow replies.

    Sorted by priority (紧急, 高, 一般), oldest first. Risk alerts need `chatlog tag` to have run.
    Exit codes: 0 done, 1 error, 2 bad options, 3 alerts at or above --fail-on.
    """
    report = find_alerts(
        Store.open(resolve_store_dir(store)), where, reply_minutes=reply_minutes, sentiment_below=sentiment_below
    )
    if output is TableOrJson.json:
        print_json(_json(report))
    else:
        _print_table(report, limit)
    if report.untagged_files:
        stderr_console().print(
            f"提示：有 {report.untagged_files} 个文件的消息还没有打标签，风险提醒可能不全；请先运行 chatlog tag。",
            highlight=False,
        )
    if report.unscored_files:
        stderr_console().print(
            f"提示：有 {report.unscored_files} 个文件的消息还没有情感打分，情绪提醒可能不全；"
            "请先运行 chatlog sentiment。",
            highlight=False,
        )
    if fail_on is not None and report.at_least(fail_on.value):
        raise typer.Exit(ALERTS_EXIT_CODE)


def _print_table(report: AlertReport, limit: int) -> None:
    out = stdout_console()
    if not report.alerts:
        out.print(f"没有需要跟进的会话（检查了 {report.conversations:,} 个会话）。")
        return
    by_priority = {p: len([a for a in report.alerts if a.priority == p]) for p in ("urgent", "high", "normal")}
    counts = "，".join(f"{PRIORITY_LABELS[p]} {n}" for p, n in by_priority.items() if n)
    title = f"需要跟进的会话：{len(report.alerts)} 个（{counts}），共检查 {report.conversations:,} 个会话"
    if len(report.alerts) > limit:
        title += f"；显示前 {limit} 个（--limit 可调整，--format json 可全部导出）"
    table = Table(title=title, title_justify="left", show_lines=True)
    for header, options in (
        ("优先级", {"no_wrap": True}),
        ("时间", {"no_wrap": True}),
        ("会话", {}),
        ("买家", {}),
        ("原因", {"ratio": 2}),
        ("证据消息", {"ratio": 3}),
    ):
        table.add_column(header, overflow="fold", **options)
    styles = {"urgent": "bold red", "high": "yellow", "normal": ""}
    for alert in report.alerts[:limit]:
        first = alert.reasons[0]
        reasons = "\n".join(r.text for r in alert.reasons)
        # Every reason's evidence, each message once (律师 and 曝光 are often in the same message).
        evidence = "\n".join(dict.fromkeys(r.content.replace("\n", " ⏎ ") for r in alert.reasons))
        table.add_row(
            Text(PRIORITY_LABELS[alert.priority], style=styles[alert.priority]),
            f"{first.at:%Y-%m-%d %H:%M}",
            f"{alert.platform} {alert.conversation_id}",
            alert.buyer or "",
            Text(reasons),
            Text(evidence),
        )
    out.print(table)
    start, end = SERVICE_HOURS
    out.print(
        f"说明：超过 {report.reply_minutes} 分钟没有人工客服回复算回复慢（只算 {start:02d}:00–{end:02d}:00 内的提问；"
        "机器人回复不算）；只有“好的”“谢谢”等结束语、表情的买家消息不需要回复。",
        highlight=False,
    )


def _json(report: AlertReport) -> dict[str, Any]:
    return {
        "conversations_checked": report.conversations,
        "reply_minutes": report.reply_minutes,
        "untagged_files": report.untagged_files,
        "unscored_files": report.unscored_files,
        "alerts": [
            {
                "priority": a.priority,
                "platform": a.platform,
                "conversation_id": a.conversation_id,
                "shop": a.shop,
                "buyer": a.buyer,
                "agents": a.agents,
                "since": a.at.isoformat(),
                "reasons": [
                    {
                        "kind": r.kind,
                        "priority": r.priority,
                        "reason": r.text,
                        "at": r.at.isoformat(),
                        "message_id": r.message_id,
                        "content": r.content,
                    }
                    for r in a.reasons
                ],
            }
            for a in report.alerts
        ],
    }
