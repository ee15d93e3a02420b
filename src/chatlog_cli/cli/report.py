"""`chatlog report …`: frequency, pivot, agents, hourly and the weekly report, on a terminal or into files."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from chatlog_cli.cli._filters import with_filter_options
from chatlog_cli.cli._options import StoreOpt
from chatlog_cli.cli._output import reported_errors, stderr_console, stdout_console
from chatlog_cli.cli.redact import KeyFileOpt
from chatlog_cli.errors import UsageError
from chatlog_cli.find.filters import MessageFilter
from chatlog_cli.reports.context import ReportContext, ReportOptions
from chatlog_cli.reports.metrics import ServiceWindow
from chatlog_cli.reports.model import Report
from chatlog_cli.reports.render import render_text, resolve_format, write_report
from chatlog_cli.reports.render_common import NO_DATA_HINT, no_data_text
from chatlog_cli.store.store import Store, resolve_store_dir

report_app = typer.Typer(
    no_args_is_help=True,
    help="Reports: 热词 (frequency), 数据透视表 (pivot), 客服绩效 (agents), 时段 (hourly), 周报 (weekly).",
)


class ReportFormat(StrEnum):
    """Where a report goes: a table on the terminal, or a file format."""

    table = "table"
    csv = "csv"
    json = "json"
    xlsx = "xlsx"
    md = "md"
    html = "html"


FormatOpt = Annotated[
    ReportFormat | None,
    typer.Option(
        "--format", help="table (terminal), csv, json, xlsx, md or html. Default: from -o's suffix, else table.",
        show_default=False,
    ),
]  # fmt: skip
OutputOpt = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Write to this file (.xlsx .csv .json .md .html), replaced only when complete.",
                 dir_okay=False, show_default=False),
]  # fmt: skip
ServiceHoursOpt = Annotated[
    str,
    typer.Option("--service-hours", help="Service window for response times, China time (20:00-02:00 runs overnight)."),
]


def _options(service_hours: str = "08:00-24:00") -> ReportOptions:
    return ReportOptions(window=ServiceWindow.parse(service_hours))


def _emit(report: Report, fmt: ReportFormat | None, output: Path | None) -> None:
    chosen = resolve_format(output, fmt.value if fmt else None)
    if report.empty and chosen != "table":  # the table says so itself
        stderr_console().print(f"{no_data_text(report)}。{NO_DATA_HINT}", highlight=False)
    if chosen == "table":
        if output is not None:
            raise UsageError("--format table 只能显示在终端；写文件请用 csv、json、xlsx、md 或 html。")
        from chatlog_cli.reports.render_terminal import render_terminal

        stdout_console().print(render_terminal(report))
        return
    if output is None:
        sys.stdout.write(render_text(report, chosen))
        sys.stdout.flush()
        return
    write_report(report, output, chosen)
    stderr_console().print(f"已写入 {output}", highlight=False)


def _store(store: Path | None) -> Store:
    return Store.open(resolve_store_dir(store))


@report_app.command("frequency")
@reported_errors
@with_filter_options
def frequency_command(
    store: StoreOpt = None,
    top: Annotated[int, typer.Option(min=1, max=500, help="Rows per table.")] = 20,
    user_dict: Annotated[
        list[Path] | None,
        typer.Option(
            "--dict",
            help="Extra jieba user dictionary (word [freq] [tag] per line; repeatable).",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    stopwords: Annotated[
        list[Path] | None,
        typer.Option("--stopwords", help="Extra stopwords, one per line (repeatable).", exists=True, dir_okay=False),
    ] = None,
    no_default_stopwords: Annotated[
        bool, typer.Option("--no-default-stopwords", help="Drop the bundled stopword list (use only --stopwords).")
    ] = False,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
    *,
    where: MessageFilter,
) -> None:
    """Top words of buyer messages, top tags and top buyer questions, with the change versus the previous period.

    The period is --since … --until (compared with the period of the same length before it). Words are cut with
    rjieba (jieba's dictionary, precise mode, HMM off) on redacted text.
    """
    from chatlog_cli.reports.frequency import FrequencyOptions, frequency_report

    options = FrequencyOptions(top=top, user_dicts=tuple(user_dict or ()), stopword_files=tuple(stopwords or ()),
                               default_stopwords=not no_default_stopwords)  # fmt: skip
    with ReportContext(_store(store), where, _options()) as ctx:
        report = frequency_report(ctx, options)
    _emit(report, fmt, output)


class Dim(StrEnum):
    """Pivot dimensions."""

    platform = "platform"
    shop = "shop"
    agent = "agent"
    tag = "tag"
    role = "role"
    msg_type = "msg-type"
    day = "day"
    week = "week"
    month = "month"
    weekday = "weekday"
    hour = "hour"
    sentiment_label = "sentiment-label"


class PivotValue(StrEnum):
    """Pivot values."""

    conversations = "conversations"
    messages = "messages"
    buyers = "buyers"
    mean_sentiment = "mean-sentiment"
    first_response = "first-response"


class Agg(StrEnum):
    """Pivot aggregates."""

    count_ = "count"
    mean = "mean"
    median = "median"
    p90 = "p90"
    min = "min"
    max = "max"


@report_app.command("pivot")
@reported_errors
@with_filter_options
def pivot_command(
    rows: Annotated[Dim, typer.Option("--rows", help="Dimension down the side.")],
    cols: Annotated[Dim | None, typer.Option("--cols", help="Dimension across the top.", show_default=False)] = None,
    values: Annotated[PivotValue, typer.Option("--values", help="What the cells count or measure.")] = (
        PivotValue.conversations
    ),
    agg: Annotated[
        Agg | None,
        typer.Option(
            "--agg", help="For mean-sentiment (default mean) and first-response (default median).", show_default=False
        ),
    ] = None,
    store: StoreOpt = None,
    service_hours: ServiceHoursOpt = "08:00-24:00",
    fmt: FormatOpt = None,
    output: OutputOpt = None,
    *,
    where: MessageFilter,
) -> None:
    """数据透视表: one dimension down, optionally one across, with totals (e.g. --rows agent --cols day)."""
    from chatlog_cli.reports.pivot import pivot_report

    with ReportContext(_store(store), where, _options(service_hours), compare=False) as ctx:
        report = pivot_report(ctx, rows.value, cols.value if cols else None, values.value, agg.value if agg else None)
    _emit(report, fmt, output)


@report_app.command("agents")
@reported_errors
@with_filter_options
def agents_command(
    store: StoreOpt = None,
    service_hours: ServiceHoursOpt = "08:00-24:00",
    fmt: FormatOpt = None,
    output: OutputOpt = None,
    *,
    where: MessageFilter,
) -> None:
    """Per agent: conversations, 首次响应时间 (median, P90), response time, 3分钟回复率, unanswered, negative, 满意率.

    The definitions are printed under the table (and in docs/reports.md).
    """
    from chatlog_cli.reports.agents import agents_report

    with ReportContext(_store(store), where, _options(service_hours), compare=False) as ctx:
        report = agents_report(ctx)
    _emit(report, fmt, output)


@report_app.command("hourly")
@reported_errors
@with_filter_options
def hourly_command(
    store: StoreOpt = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
    *,
    where: MessageFilter,
) -> None:
    """Conversations by hour × weekday, and by hour × problem category (what people ask at which time)."""
    from chatlog_cli.reports.hourly import hourly_report

    with ReportContext(_store(store), where, _options(), compare=False) as ctx:
        report = hourly_report(ctx)
    _emit(report, fmt, output)


@report_app.command("weekly")
@reported_errors
@with_filter_options
def weekly_command(
    week: Annotated[
        str | None,
        typer.Option(
            "--week", help="ISO week, e.g. 2026-W47 (or last-week, this-week). Default: last week.", show_default=False
        ),
    ] = None,
    store: StoreOpt = None,
    service_hours: ServiceHoursOpt = "08:00-24:00",
    key_file: KeyFileOpt = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
    *,
    where: MessageFilter,
) -> None:
    """周报: overview versus the previous week, trend, tags and words, agents, hours, follow-ups, examples.

    -o report.xlsx (one sheet per section, with charts), .html (one self-contained file, readable on a phone), .md or
    .json. Buyers are replaced by tokens and message text is redacted; with --key-file (or $CHATLOG_REDACT_KEY) a
    buyer keeps the same token from week to week.
    """
    from chatlog_cli.reports.weekly import weekly_report

    if where.since is not None or where.until is not None:
        raise UsageError("周报用 --week 指定哪一周（如 --week 2026-W47），不用 --since/--until。")
    from chatlog_cli.redact.keys import load_key
    from chatlog_cli.redact.replace import Redactor

    redactor = Redactor("label", key=load_key(key_file))
    report = weekly_report(_store(store), where, week, options=_options(service_hours), redactor=redactor)
    _emit(report, fmt, output)
