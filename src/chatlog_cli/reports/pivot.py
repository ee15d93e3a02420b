"""`chatlog report pivot`: the 数据透视表 shop owners build by hand in Excel.

One dimension down, optionally one across, a value in the cells, totals on both sides.

Every total is computed, not summed: a conversation served by two agents counts once in the total, and a median is
the median of all conversations, not of the rows' medians. Time dimensions (day, week, month, weekday, hour) use the
conversation's start time, except for `messages`, which uses each message's own time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from chatlog_cli.errors import UsageError
from chatlog_cli.find.display import ROLE_LABELS, TYPE_LABELS
from chatlog_cli.reports.context import ReportContext
from chatlog_cli.reports.hourly import WEEKDAYS
from chatlog_cli.reports.metrics import UNASSIGNED
from chatlog_cli.reports.model import Column, Kind, Report, Section, Table

SENTIMENT_LABELS: Final = {"negative": "负面", "neutral": "中性", "positive": "正面"}
MAX_COLUMNS: Final = 40


@dataclass(frozen=True)
class Dimension:
    """A pivot dimension: its SQL over the joined rows, its header, and whether its values sort as time."""

    header: str
    sql: str  # `{time}` stands for the local time the dimension reads (message or conversation start)
    ordered: bool = False  # sort by value (time) rather than by the total


def _weekday_sql() -> str:
    cases = " ".join(f"WHEN {i} THEN '{i} {w}'" for i, w in enumerate(WEEKDAYS, 1))
    return f"CASE isodow({{time}}) {cases} END"


def _mapped(column: str, labels: dict[str, str], missing: str) -> str:
    cases = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in labels.items())
    return f"coalesce(CASE {column} {cases} ELSE {column} END, '{missing}')"


DIMENSIONS: Final = {
    "platform": Dimension("平台", "b.platform"),
    "shop": Dimension("店铺", "coalesce(b.shop, '（无）')"),
    "agent": Dimension(
        "客服", f"coalesce(CASE WHEN b.sender_role = 'agent' THEN b.sender END, b.agent, '{UNASSIGNED}')"
    ),
    "tag": Dimension("标签", "coalesce(t.tag, '（无标签）')"),
    "role": Dimension("发送方", _mapped("b.sender_role", ROLE_LABELS, "未知")),
    "msg-type": Dimension("消息类型", _mapped("b.msg_type", TYPE_LABELS, "其他")),
    "day": Dimension("日期", "strftime({time}, '%Y-%m-%d')", ordered=True),
    "week": Dimension("周", "strftime({time}, '%G-W%V')", ordered=True),
    "month": Dimension("月份", "strftime({time}, '%Y-%m')", ordered=True),
    "weekday": Dimension(
        "星期",
        "CASE isodow({time}) " + " ".join(f"WHEN {i} THEN '{i} {w}'" for i, w in enumerate(WEEKDAYS, 1)) + " END",
        ordered=True,
    ),
    "hour": Dimension("时段", "lpad(CAST(hour({time}) AS VARCHAR), 2, '0') || '时'", ordered=True),
    "sentiment-label": Dimension("情感", _mapped("e.label", SENTIMENT_LABELS, "未打分")),
}


@dataclass(frozen=True)
class Value:
    """A pivot value: header, per-conversation SQL (None for message counts), default aggregate, cell kind."""

    header: str
    conversation_sql: str | None
    default_agg: str
    kind: Kind


VALUES: Final = {
    "conversations": Value("会话数", "1", "count", "int"),
    "messages": Value("消息数", None, "count", "int"),
    "buyers": Value("买家数", None, "count", "int"),
    "mean-sentiment": Value("情感得分", "e.score", "mean", "score"),
    "first-response": Value("首次响应时间", "c.first_response_seconds", "median", "seconds"),
}
AGGREGATES: Final = {
    "mean": ("平均", "avg(v)"),
    "median": ("中位数", "quantile_cont(v, 0.5)"),
    "p90": ("P90", "quantile_cont(v, 0.9)"),
    "min": ("最小", "min(v)"),
    "max": ("最大", "max(v)"),
}


def check_choice(kind: str, value: str, choices: Sequence[str]) -> None:
    """UsageError naming the choices when `value` is not one."""
    if value not in choices:
        raise UsageError(f"{kind}“{value}”不认识。可用：{'、'.join(choices)}。")


def pivot_table(ctx: ReportContext, rows: str, cols: str | None, value: str, agg: str | None) -> Table:
    """The pivot of the current period."""
    check_choice("维度", rows, list(DIMENSIONS))
    if cols is not None:
        check_choice("维度", cols, list(DIMENSIONS))
    check_choice("数值", value, list(VALUES))
    spec = VALUES[value]
    agg = agg or spec.default_agg
    if spec.default_agg == "count":
        if agg != "count":
            raise UsageError(
                f"{spec.header}只能计数（--agg count）；平均、中位数等用于 mean-sentiment 和 first-response。"
            )
    else:
        check_choice("汇总方式", agg, list(AGGREGATES))
    dims = [DIMENSIONS[rows]] + ([DIMENSIONS[cols]] if cols else [])
    used = {rows, cols}
    if "tag" in used and not ctx.available.tags:
        raise UsageError("还没有打标签，不能按标签透视；请先运行 chatlog tag。")
    if ("sentiment-label" in used or value == "mean-sentiment") and not ctx.available.sentiment:
        raise UsageError("还没有情感打分，不能按情感透视；请先运行 chatlog sentiment。")
    cells = _cells(ctx, dims, value, agg, tag_join="tag" in used)
    return _table(dims, rows, cols, value, agg, cells)


def _from(ctx: ReportContext, *, tag_join: bool) -> str:
    loaded = ctx.current
    tags = (
        "LEFT JOIN (SELECT DISTINCT message_id, tag FROM message_tags) t ON t.message_id = b.message_id"
        if tag_join
        else ""
    )
    return f"""FROM {loaded.messages} b
        JOIN {loaded.conversations_table} c USING (platform, conversation_id)
        LEFT JOIN {loaded.extra} e USING (platform, conversation_id) {tags}"""


def _cells(
    ctx: ReportContext, dims: list[Dimension], value: str, agg: str, *, tag_join: bool
) -> dict[tuple[Any, ...], Any]:
    """Cell values for every level: (row, col), (row, None), (None, col), (None, None)."""
    spec = VALUES[value]
    time = "b.local_at" if value == "messages" else "c.started_local"
    exprs = [d.sql.format(time=time) for d in dims]
    source = _from(ctx, tag_join=tag_join)
    levels = [tuple(range(len(dims)))] + ([(0,), (1,)] if len(dims) == 2 else []) + [()]
    cells: dict[tuple[Any, ...], Any] = {}
    for level in levels:
        keys = [f"{exprs[i]} AS k{i}" for i in level]
        group = ", ".join(f"k{i}" for i in level)
        select_keys = ", ".join(f"k{i}" for i in level)
        if value == "messages":
            inner = f"SELECT {', '.join([*keys, 'b.message_id AS id'])} {source}"
            outer = "count(DISTINCT id)"
        elif value == "buyers":
            inner = f"SELECT {', '.join([*keys, 'c.buyer AS id'])} {source}"
            outer = "count(DISTINCT id)"
        else:
            per_conversation = ", ".join(
                [*keys, "b.platform", "b.conversation_id", f"any_value({spec.conversation_sql}) AS v"]
            )
            group_by = ", ".join([*(exprs[i] for i in level), "b.platform", "b.conversation_id"])
            inner = f"SELECT {per_conversation} {source} GROUP BY {group_by}"
            outer = "count(*)" if agg == "count" else AGGREGATES[agg][1]
        sql = f"SELECT {select_keys + ', ' if select_keys else ''}{outer} FROM ({inner})"
        if group:
            sql += f" GROUP BY {group}"
        for row in ctx.rows(sql):
            key = [None, None]
            for position, i in enumerate(level):
                key[i] = row[position]
            cells[tuple(key[: len(dims)]) if len(dims) == 2 else (key[0],)] = row[-1]
    return cells


def _order(values: set[Any], totals: dict[Any, Any], ordered: bool) -> list[Any]:
    if ordered:
        return sorted(values)
    return sorted(values, key=lambda v: (-(totals.get(v) or 0), str(v)))


def _table(
    dims: list[Dimension], rows: str, cols: str | None, value: str, agg: str, cells: dict[tuple[Any, ...], Any]
) -> Table:
    spec = VALUES[value]
    value_header = spec.header + ("" if agg == "count" else f"（{AGGREGATES[agg][0]}）")
    title = f"数据透视表：{dims[0].header}" + (f" × {dims[1].header}" if cols else "") + f"，{value_header}"
    if not cols:
        row_totals = {k[0]: v for k, v in cells.items() if k[0] is not None}
        order = _order(set(row_totals), row_totals, dims[0].ordered)
        total = cells.get((None,))
        columns: tuple[Column, ...] = (Column(rows, dims[0].header), Column(value, value_header, spec.kind))
        body: list[tuple[Any, ...]] = [(r, row_totals[r]) for r in order]
        if agg == "count":
            columns += (Column("share", "占比", "share"),)
            body = [(r, v, (v / total) if total else None) for r, v in body]
            return Table("pivot", title, columns, body, ("合计", total, 1.0 if total else None))
        return Table("pivot", title, columns, body, ("合计", total))
    row_totals = {k[0]: v for k, v in cells.items() if k[0] is not None and k[1] is None}
    col_totals = {k[1]: v for k, v in cells.items() if k[0] is None and k[1] is not None}
    row_order = _order(set(row_totals), row_totals, dims[0].ordered)
    col_order = _order(set(col_totals), col_totals, dims[1].ordered)
    notes = []
    if len(col_order) > MAX_COLUMNS:
        notes.append(f"列太多，只列出前 {MAX_COLUMNS} 列（合计仍含全部）；可交换 --rows 和 --cols。")
        col_order = col_order[:MAX_COLUMNS]
    columns = (
        Column(rows, f"{dims[0].header} \\ {dims[1].header}"),
        *(Column(str(c), str(c), spec.kind) for c in col_order),
        Column("total", "合计", spec.kind),
    )
    zero = 0 if agg == "count" else None
    body = [(r, *(cells.get((r, c), zero) for c in col_order), row_totals[r]) for r in row_order]
    total = ("合计", *(col_totals[c] for c in col_order), cells.get((None, None)))
    return Table("pivot", title, columns, body, total, notes=notes)


def pivot_report(ctx: ReportContext, rows: str, cols: str | None, value: str, agg: str | None) -> Report:
    """The pivot report."""
    table = pivot_table(ctx, rows, cols, value, agg)
    report = ctx.new_report("pivot", "数据透视表")
    report.sections.append(Section("pivot", "数据透视表", [table]))
    report.notes.append(
        "合计按全部数据重新计算（一个会话由两位客服接待时，合计只算一次）；时间维度按会话开始时间，"
        "消息数按每条消息自己的时间。"
    )
    report.notes.extend(ctx.available.notes())
    return report
