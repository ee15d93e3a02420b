"""`chatlog report weekly`: what analysts run every Monday.

Overview with the change versus the previous week, daily trend, top tags, words and questions, agents, hourly heat
table, conversations needing follow-up, and a few example conversations, redacted.

Weeks are ISO weeks (Monday 00:00 to Monday 00:00, China time). Personal data never reaches the report: buyers are
keyed tokens (买家_…) and message text is redacted (label mode: [手机号], [地址] …); agents keep their nicks (the
shop's own staff).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any, Final

from chatlog_cli.alerts import Alert, find_alerts
from chatlog_cli.find.display import ROLE_LABELS
from chatlog_cli.find.filters import MessageFilter
from chatlog_cli.find.timespec import parse_span
from chatlog_cli.redact.replace import Redactor
from chatlog_cli.reports.agents import agent_rows, agents_table
from chatlog_cli.reports.context import ReportContext, ReportOptions, change, difference
from chatlog_cli.reports.frequency import FrequencyOptions, frequency_tables
from chatlog_cli.reports.hourly import WEEKDAYS, hourly_tables
from chatlog_cli.reports.metrics import WITHIN_SECONDS
from chatlog_cli.reports.model import Chart, Column, Kind, Period, Report, Section, Table
from chatlog_cli.reports.scope import Loaded
from chatlog_cli.settings import CHINA_TZ
from chatlog_cli.store.store import Store
from chatlog_cli.tagging.rules import PRIORITY_LABELS

EXAMPLE_CONVERSATIONS: Final = 3
ALERT_ROWS: Final = 20
EXAMPLE_MESSAGES: Final = 30


def week_period(week: str | None, now: dt.datetime) -> Period:
    """The ISO week `2026-W47` (or `last-week`, `this-week`, a date inside it); the last complete week by default."""
    span = parse_span(week or "last-week", now)
    monday = span.start - dt.timedelta(days=span.start.weekday())
    monday = monday.replace(hour=0, minute=0, second=0, microsecond=0)
    year, number, _ = monday.isocalendar()
    return Period(monday, monday + dt.timedelta(weeks=1), f"{year}-W{number:02d}")


def _overview_values(ctx: ReportContext, loaded: Loaded, alerts: int) -> dict[str, Any]:
    _, everybody = agent_rows(ctx, loaded)
    figures = dict(zip(
        ("agent", "conversations", "answered_buyer_messages", "first_response_median", "first_response_p90",
         "response_mean", "within_share", "window_turns", "unanswered", "negative_share", "satisfied_share", "rated"),
        everybody or (None,) * 12, strict=True,
    ))  # fmt: skip
    buyers, messages, buyer_messages = ctx.rows(
        f"SELECT count(DISTINCT buyer), coalesce(sum(messages), 0), coalesce(sum(buyer_messages), 0) "
        f"FROM {loaded.conversations_table}"
    )[0]
    return {
        **figures,
        "conversations": loaded.conversations,
        "buyers": buyers,
        "messages": messages,
        "buyer_messages": buyer_messages,
        "unanswered": figures["unanswered"] or 0,
        "alerts": alerts,
    }


def overview_table(ctx: ReportContext, alerts_now: int, alerts_before: int) -> Table:
    """本周 / 上周 / 变化 for each headline figure."""
    now = _overview_values(ctx, ctx.current, alerts_now)
    before = _overview_values(ctx, ctx.previous, alerts_before) if ctx.previous else {}
    lines: list[tuple[str, str, Kind]] = [
        ("conversations", "会话数", "int"),
        ("buyers", "咨询买家数", "int"),
        ("messages", "消息数", "int"),
        ("buyer_messages", "买家消息数", "int"),
        ("first_response_median", "首次响应时间（中位数）", "seconds"),
        ("response_mean", "平均响应时间", "seconds"),
        ("within_share", f"{WITHIN_SECONDS // 60}分钟回复率", "share"),
        ("unanswered", "未回复会话", "int"),
        ("alerts", "需跟进会话", "int"),
    ]
    if ctx.available.sentiment:
        lines.append(("negative_share", "负面会话占比", "share"))
    if ctx.available.sessions:
        lines.append(("satisfied_share", "满意率", "share"))
    rows: list[tuple[Any, ...]] = []
    kinds: list[Kind] = []
    for key, label, kind in lines:
        current, previous = now.get(key), before.get(key)
        delta = difference(current, previous) if kind in ("share", "score") else change(current, previous)
        rows.append((label, current, previous, delta))
        kinds.append(kind)
    return Table(
        key="overview",
        title="本周概览",
        columns=(
            Column("metric", "指标"),
            Column("current", "本周", "row"),
            Column("previous", "上周", "row"),
            Column("change", "变化", "row_change"),
        ),
        rows=rows,
        row_kinds=kinds,
        notes=["变化：数量和时间为相对上周的增减；比例为相差的百分点（pt）。定义见“客服”页。"],
    )


def trend_table(ctx: ReportContext) -> Table:
    """Each day of the week: conversations, buyer messages, first response, 3-minute share."""
    loaded = ctx.current
    found = {
        day: (n, buyer_messages, median)
        for day, n, buyer_messages, median in ctx.rows(
            f"""SELECT strftime(started_local, '%Y-%m-%d'), count(*), sum(buyer_messages),
                       quantile_cont(first_response_seconds, 0.5)
                FROM {loaded.conversations_table} GROUP BY ALL"""
        )
    }
    within = {
        day: share
        for day, share in ctx.rows(
            f"""SELECT strftime(c.started_local, '%Y-%m-%d'),
                       count(*) FILTER (WHERE t.response_seconds <= {WITHIN_SECONDS}) / count(*)
                FROM {loaded.turns} t JOIN {loaded.conversations_table} c USING (platform, conversation_id)
                WHERE t.asks AND t.in_window GROUP BY ALL"""
        )
    }
    rows = []
    for offset in range(7):
        day = (ctx.period.start + dt.timedelta(days=offset)).strftime("%Y-%m-%d")
        n, buyer_messages, median = found.get(day, (0, 0, None))
        rows.append((f"{day[5:]} {WEEKDAYS[offset]}", n, int(buyer_messages or 0), median, within.get(day)))
    return Table(
        key="trend",
        title="每日趋势",
        columns=(
            Column("day", "日期"),
            Column("conversations", "会话数", "int"),
            Column("buyer_messages", "买家消息数", "int"),
            Column("first_response_median", "首次响应时间（中位数）", "seconds"),
            Column("within_share", f"{WITHIN_SECONDS // 60}分钟回复率", "share"),
        ),
        rows=rows,
        chart=Chart("line", "每日会话数与买家消息数", "day", ("conversations", "buyer_messages")),
    )


def _alerts_for(store: Store, where: MessageFilter, period: Period, now: dt.datetime) -> list[Alert]:
    ranged = dataclasses.replace(where, since=period.start, until=period.end)
    return find_alerts(store, ranged, now=now).alerts


def alerts_table(alerts: list[Alert], redactor: Redactor) -> Table:
    """The week's conversations needing follow-up, most urgent first, evidence redacted."""
    rows = []
    for alert in alerts[:ALERT_ROWS]:
        rows.append((
            PRIORITY_LABELS[alert.priority],
            f"{alert.at:%m-%d %H:%M}",
            alert.platform,
            redactor.person_token(alert.buyer) if alert.buyer else "",
            "；".join(r.text for r in alert.reasons),
            redactor.redact_text(alert.reasons[0].content),
        ))  # fmt: skip
    notes = ["风险标签来自 chatlog tag；未回复与回复慢按“客服”页的定义；证据消息已脱敏。"]
    if len(alerts) > ALERT_ROWS:
        notes.append(f"共 {len(alerts)} 个，列出最紧急的 {ALERT_ROWS} 个；全部见 chatlog alerts。")
    return Table(
        key="alerts",
        title="需跟进的会话",
        columns=(
            Column("priority", "优先级"),
            Column("at", "时间"),
            Column("platform", "平台"),
            Column("buyer", "买家"),
            Column("reasons", "原因"),
            Column("evidence", "证据消息"),
        ),
        rows=rows,
        notes=notes,
    )


def example_tables(ctx: ReportContext, alerts: list[Alert], redactor: Redactor) -> list[Table]:
    """A few whole conversations (the most urgent alerts first), redacted."""
    chosen = [(a.platform, a.conversation_id, "；".join(r.text for r in a.reasons)) for a in alerts]
    tables = []
    for number, (platform, conversation, why) in enumerate(chosen[:EXAMPLE_CONVERSATIONS], 1):
        messages = ctx.rows(
            f"""SELECT strftime(local_at, '%m-%d %H:%M:%S'), sender_role, sender, coalesce(content, '')
                FROM {ctx.current.messages} WHERE platform = ? AND conversation_id = ?
                ORDER BY sent_at, source_file, source_line LIMIT {EXAMPLE_MESSAGES + 1}""",
            [platform, conversation],
        )
        rows = []
        for at, role, sender, content in messages[:EXAMPLE_MESSAGES]:
            who = redactor.person_token(sender) if role == "buyer" and sender else (sender or "")
            rows.append((at, ROLE_LABELS.get(role, role), who, redactor.redact_text(content)))
        notes = [f"入选原因：{why}。"]
        if len(messages) > EXAMPLE_MESSAGES:
            notes.append(f"只列出前 {EXAMPLE_MESSAGES} 条消息；完整会话：chatlog show {conversation}。")
        tables.append(Table(
            key=f"example_{number}",
            title=f"会话示例 {number}（{platform}）",
            columns=(
                Column("at", "时间"), Column("role", "发送方"), Column("sender", "昵称"), Column("content", "内容")
            ),
            rows=rows,
            notes=notes,
        ))  # fmt: skip
    return tables


def weekly_report(
    store: Store,
    where: MessageFilter,
    week: str | None = None,
    *,
    options: ReportOptions | None = None,
    frequency: FrequencyOptions | None = None,
    redactor: Redactor | None = None,
) -> Report:
    """The weekly report of one ISO week, compared with the week before.

    `redactor` replaces buyers and personal data (label mode); give it the shop's key for buyer tokens that stay the
    same from one week's report to the next.
    """
    options = options or ReportOptions()
    now = options.now or dt.datetime.now(CHINA_TZ)
    period = week_period(week, now)
    redactor = redactor or Redactor("label")
    with ReportContext(store, where, options, period=period, compare=True) as ctx:
        report = ctx.new_report("weekly", f"客服周报 {period.label}")
        if report.empty:
            return report
        alerts_now = _alerts_for(store, where, period, now)
        alerts_before = _alerts_for(store, where, period.previous(), now)
        report.sections = [
            Section("overview", "概览", [overview_table(ctx, len(alerts_now), len(alerts_before)), trend_table(ctx)]),
            Section("topics", "标签与热词", frequency_tables(ctx, frequency or FrequencyOptions(top=15), redactor)),
            Section("agents", "客服", [agents_table(ctx)]),
            Section("hourly", "时段", hourly_tables(ctx)),
            Section("alerts", "需跟进", [alerts_table(alerts_now, redactor)]),
            Section("examples", "会话示例", example_tables(ctx, alerts_now, redactor)),
        ]
        report.notes.extend(ctx.available.notes())
        report.notes.append("买家昵称已替换为代号（买家_…），消息中的手机号、地址、姓名等已脱敏。")
        return report
