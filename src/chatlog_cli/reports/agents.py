"""`chatlog report agents`: service figures per agent, with the definitions printed under the table.

Conversations, replies, 首次响应时间, response times, 3 分钟回复率, unanswered conversations, negative share and
满意率, as metrics.py defines them.
"""

from __future__ import annotations

from typing import Any, Final

from chatlog_cli.reports.context import ReportContext
from chatlog_cli.reports.metrics import WITHIN_SECONDS, ServiceWindow, agent_figures_sql
from chatlog_cli.reports.model import Column, Report, Section, Table
from chatlog_cli.reports.scope import Loaded

TOTAL_LABEL: Final = "全部"

_COLUMNS: Final = (
    Column("agent", "客服"),
    Column("conversations", "接待会话", "int"),
    Column("answered_buyer_messages", "回复买家消息", "int"),
    Column("first_response_median", "首次响应时间（中位数）", "seconds"),
    Column("first_response_p90", "首次响应时间（P90）", "seconds"),
    Column("response_mean", "平均响应时间", "seconds"),
    Column("within_share", "3分钟回复率", "share"),
    Column("window_turns", "服务时间内咨询轮次", "int"),
    Column("unanswered", "未回复会话", "int"),
    Column("negative_share", "负面会话占比", "share"),
    Column("satisfied_share", "满意率", "share"),
    Column("rated", "评价数", "int"),
)


def definitions(window: ServiceWindow) -> list[str]:
    """The metric definitions, as printed under the agents table (the docstring of metrics.py, in short)."""
    return [
        "咨询轮次：买家连续发出的消息，直到下一条人工客服回复为止；机器人回复和转接提示不算回复；"
        "只有“好的”“谢谢”、表情等不需要回复的轮次不计。",
        "响应时间：从轮次中第一条需要回复的买家消息到下一条人工回复；轮次算在回复的客服名下，"
        "没有回复的算在此前最后回复的客服（或会话的接待客服）名下。",
        f"首次响应时间：会话中第一个咨询轮次的响应时间；只算服务时间（{window.label}，北京时间）内提出的轮次。",
        f"3分钟回复率：服务时间内提出的咨询轮次中，{WITHIN_SECONDS // 60} 分钟内有人工回复的比例"
        "（没有回复的算未及时）。",
        "未回复会话：有咨询轮次始终没有人工回复的会话（不论几点提出）。",
        "会话按开始时间归入日期和周，跨零点、跨周的会话整体计入开始的那一天。",
        "负面会话占比：已情感打分的会话中被标为负面（买家最后一条消息得分低于 0.2）的比例；"
        "满意率：买家评价过的会话（会话列表的满意度，未评价不计）中“满意”和“非常满意”的比例。",
    ]


def agent_rows(ctx: ReportContext, loaded: Loaded) -> tuple[list[tuple[Any, ...]], tuple[Any, ...] | None]:
    """Per-agent rows (most conversations first) and the row for everybody."""
    sql = agent_figures_sql(loaded.turns, loaded.conversations_table, loaded.served, loaded.extra)
    keys = [c.key for c in _COLUMNS]
    rows = ctx.rows(f"SELECT {', '.join(keys)} FROM ({sql}) ORDER BY agent IS NULL, conversations DESC, agent")
    people = [r for r in rows if r[0] is not None]
    total = next(((TOTAL_LABEL, *r[1:]) for r in rows if r[0] is None), None)
    return people, total


def agents_table(ctx: ReportContext) -> Table:
    """The agents table of the current period, without the columns the store has no data for."""
    people, total = agent_rows(ctx, ctx.current)
    columns = list(_COLUMNS)
    dropped = set()
    if not ctx.available.sentiment:
        dropped.add("negative_share")
    if not ctx.available.sessions:
        dropped |= {"satisfied_share", "rated"}
    keep = [i for i, c in enumerate(columns) if c.key not in dropped]
    return Table(
        key="agents",
        title="客服接待与响应",
        columns=tuple(columns[i] for i in keep),
        rows=[tuple(r[i] for i in keep) for r in people],
        total=tuple(total[i] for i in keep) if total else None,
        notes=definitions(ctx.options.window),
    )


def agents_report(ctx: ReportContext) -> Report:
    """The agents report."""
    report = ctx.new_report("agents", "客服绩效")
    report.sections.append(Section("agents", "客服", [agents_table(ctx)]))
    report.notes.extend(ctx.available.notes())
    return report
