"""Hand-built reports for the renderer tests (and for looking at: `python tests/report_samples.py out.html`)."""

from __future__ import annotations

import datetime as dt
import math
import sys
from pathlib import Path

from chatlog_cli.reports.model import Chart, Column, Period, Report, Section, Table
from chatlog_cli.settings import CHINA_TZ

WEEK = Period(dt.datetime(2026, 11, 16, tzinfo=CHINA_TZ), dt.datetime(2026, 11, 23, tzinfo=CHINA_TZ), "2026-W47")
DAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
SCRIPT = "<script>alert('x')</script>"


def overview() -> Table:
    return Table(
        key="overview",
        title="核心指标",
        columns=(
            Column("metric", "指标"),
            Column("current", "本周", "row"),
            Column("previous", "上周", "row"),
            Column("change", "环比", "row_change"),
        ),
        rows=[
            ("会话数", 1284, 1027, 0.2502),
            ("咨询买家", 1093, 901, 0.2131),
            ("平均首次响应", 38.4, 52.0, -0.2615),
            ("平均响应时长", 74.0, 71.5, 0.035),
            ("30秒应答率", 0.812, 0.776, 0.036),
            ("未回复会话占比", 0.021, 0.034, -0.013),
        ],
        row_kinds=["int", "int", "seconds", "seconds", "share", "share"],
        notes=["首次响应：买家第一条消息到客服第一次回复（不含机器人）。"],
    )


def daily() -> Table:
    conversations = [168, 201, 187, 176, 192, 214, 146]
    buyers = [143, 170, 162, 149, 160, 185, 124]
    first = [41.0, 35.5, 37.2, 44.8, 36.1, 33.9, 40.2]
    return Table(
        key="daily",
        title="每日趋势",
        columns=(
            Column("day", "日期"),
            Column("conversations", "会话数", "int"),
            Column("buyers", "买家数", "int"),
            Column("first_reply", "平均首响", "seconds"),
        ),
        rows=[(f"11-{16 + i} {d}", conversations[i], buyers[i], first[i]) for i, d in enumerate(DAYS)],
        total=(None, sum(conversations), 1093, 38.4),
        chart=Chart("line", "每日会话与首响", "day", ("conversations", "buyers", "first_reply")),
    )


def tags() -> Table:
    rows = [
        ("物流-催发货", 312, 0.243, 0.18),
        ("售后-退换货", 205, 0.160, -0.07),
        ("商品-尺码咨询", 188, 0.146, 0.02),
        ("优惠-优惠券/价格", 141, 0.110, 0.41),
        ("物流-快递查询", 97, 0.076, None),
        ("风险-投诉", 23, 0.018, -0.25),
    ]
    return Table(
        key="tags",
        title="热门标签",
        columns=(
            Column("tag", "标签"),
            Column("conversations", "会话数", "int"),
            Column("share", "占比", "share"),
            Column("change", "环比", "change"),
        ),
        rows=rows,
        total=(None, 966, 0.752, 0.09),
        chart=Chart("bar", "标签会话数", "tag", ("conversations",)),
        notes=["一个会话可有多个标签，占比之和可超过 100%。"],
    )


def hours() -> Table:
    rows = []
    for hour in range(24):
        # A shop's day: quiet at night, a morning rise, peaks after lunch and at 21:00, busier at the weekend.
        base = 2 + 30 * math.exp(-(((hour - 14.5) / 4.0) ** 2)) + 22 * math.exp(-(((hour - 21) / 1.6) ** 2))
        counts = [round(base * (1.35 if d >= 5 else 1.0) + (d * 7 + hour) % 5) for d in range(7)]
        rows.append((f"{hour:02d}时", *counts, sum(counts)))
    return Table(
        key="hours",
        title="咨询时段（会话数）",
        columns=(
            Column("hour", "时段"),
            *(Column(f"d{i}", d, "int") for i, d in enumerate(DAYS)),
            Column("all", "合计", "int"),
        ),
        rows=rows,
        chart=Chart("heat", "咨询时段", "hour", tuple(f"d{i}" for i in range(7))),
    )


def samples() -> Table:
    return Table(
        key="samples",
        title="需要关注的消息",
        columns=(Column("tag", "标签"), Column("buyer", "买家"), Column("text", "消息")),
        rows=[
            ("风险-投诉", "tb_小王|88", f"{SCRIPT} 为什么还没发货 | 再不发我就投诉了"),
            ("售后-退换货", "jd_李女士", "鞋子磨脚\n想换大一码，运费谁出？"),
            ("风险-差评", "橙子&柚子", 'A&B "引号" 与 <b>粗体</b>'),
        ],
    )


def agents() -> Table:
    return Table(
        key="agents",
        title="客服表现",
        columns=(
            Column("agent", "客服"),
            Column("conversations", "接待会话", "int"),
            Column("first_reply", "平均首响", "seconds"),
            Column("rate30", "30秒应答率", "share"),
            Column("rate30_change", "应答率变化", "points"),
            Column("score", "情绪分", "score"),
        ),
        rows=[
            ("山海小铺-小美", 512, 29.3, 0.884, 0.041, 0.71),
            ("山海小铺-阿杰", 437, 41.7, 0.803, -0.022, 0.66),
            ("山海小铺-夜班", 335, 3725.0, 0.702, None, None),
        ],
        total=(None, 1284, 38.4, 0.812, 0.036, 0.68),
    )


def weekly() -> Report:
    """A weekly-like report with every table kind the renderers know."""
    return Report(
        key="weekly",
        title="客服周报",
        period=WEEK,
        previous=WEEK.previous(),
        sections=[
            Section("overview", "概览", [overview(), daily()]),
            Section("tags", "标签与热词", [tags(), samples()], notes=["标签来自 `chatlog tag` 的规则。"]),
            Section("hours", "时段分布", [hours()]),
            Section("agents", "客服", [agents()]),
        ],
        notes=["时间均为北京时间。", "环比：与上一周相比；百分比指标的变化以百分点（pt）表示。"],
        filters={"shops": ["山海小铺"], "platforms": ["taobao"]},
        generated_at=dt.datetime(2026, 11, 23, 8, 0, tzinfo=CHINA_TZ),
        conversations=1284,
    )


def empty() -> Report:
    """A report over a week with nothing in it."""
    return Report(
        key="weekly",
        title="客服周报",
        period=WEEK,
        previous=WEEK.previous(),
        filters={"shops": ["山海小铺"]},
        generated_at=dt.datetime(2026, 11, 23, 8, 0, tzinfo=CHINA_TZ),
    )


if __name__ == "__main__":
    from chatlog_cli.reports.render_html import render_html
    from chatlog_cli.reports.render_markdown import render_markdown

    out = Path(sys.argv[1] if len(sys.argv) > 1 else "report-sample.html")
    out.write_text(render_html(weekly()), encoding="utf-8")
    out.with_suffix(".md").write_text(render_markdown(weekly()), encoding="utf-8")
