"""`chatlog show`: a whole conversation as a chat transcript."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from chatlog_cli.cli._options import JsonOpt, StoreOpt
from chatlog_cli.cli._output import print_json, reported_errors, stdout_console
from chatlog_cli.find.conversation import ConversationQuery, Transcript, find_transcripts
from chatlog_cli.find.display import role_label
from chatlog_cli.store.store import Store, resolve_store_dir

_ROLE_STYLES = {"buyer": "cyan", "agent": "green", "bot": "magenta", "system": "yellow", "unknown": "red"}


@reported_errors
def show_command(
    conversation_id: Annotated[
        str | None, typer.Argument(help="Conversation id (or its beginning), as search shows it.")
    ] = None,
    store: StoreOpt = None,
    order: Annotated[str | None, typer.Option(help="Show the conversations about this order id.")] = None,
    buyer: Annotated[str | None, typer.Option(help="Show this buyer's conversations (exact nick or id).")] = None,
    date: Annotated[str | None, typer.Option(help="With --buyer: only that day/week/month (2026-11-05, …).")] = None,
    json_output: JsonOpt = False,
) -> None:
    """Show conversations as transcripts: who said what when, gaps over 10 minutes, 首次响应时间 at the top."""
    query = ConversationQuery(conversation_id=conversation_id, order=order, buyer=buyer, day=date)
    transcripts = find_transcripts(Store.open(resolve_store_dir(store)), query)
    if json_output:
        print_json([t.as_dict() for t in transcripts])
        return
    out = stdout_console()
    if not transcripts:
        out.print("没有找到这样的会话。可以先用 chatlog search 查找，再用它显示的会话ID。")
        return
    for transcript in transcripts:
        out.print(_header(transcript))
        out.print(_body(transcript))


def _header(t: Transcript) -> Table:
    header = Table(show_header=False, box=None, padding=(0, 1))
    header.add_column(style="bold")
    header.add_column()
    header.add_row("会话", f"{t.conversation_id}（{t.platform}{'，' + t.shop if t.shop else ''}）")
    header.add_row("买家", t.buyer or "-")
    header.add_row("客服", t.agents or "-")
    header.add_row("时间", f"{t.started_at} ~ {t.ended_at}，{t.messages} 条消息")
    header.add_row(
        "首次响应时间", _seconds(t.first_response_seconds) if t.first_response_seconds is not None else "无人工回复"
    )
    if t.order_ids:
        header.add_row("订单", t.order_ids)
    if t.session:
        parts = [f"{k}：{v}" for k, v in (("技能组", t.session["skill_group"]), ("满意度", t.session["satisfaction"]),
                 ("是否解决", t.session["resolved"])) if v]  # fmt: skip
        header.add_row("会话记录", "，".join(parts) or "-")
    return header


def _body(t: Transcript) -> Table:
    body = Table(show_header=False, box=None, padding=(0, 1), pad_edge=False)
    body.add_column(no_wrap=True, style="dim")
    body.add_column(no_wrap=True)
    body.add_column(overflow="fold")
    for line in t.lines:
        if line.gap_before_seconds is not None:
            body.add_row("", "", Text(f"…… 间隔 {_seconds(line.gap_before_seconds)} ……", style="dim italic"))
        who = line.sender or role_label(line.sender_role)
        if line.sender_role != "buyer" and line.sender:
            who = f"{line.sender}（{role_label(line.sender_role)}）"
        body.add_row(line.time[11:], Text(who, style=_ROLE_STYLES.get(line.sender_role, "")), line.text)
    return body


def _seconds(value: float) -> str:
    seconds = round(value)
    if seconds < 60:
        return f"{seconds} 秒"
    if seconds < 3600:
        return f"{seconds // 60} 分 {seconds % 60} 秒"
    return f"{seconds // 3600} 小时 {seconds % 3600 // 60} 分"
