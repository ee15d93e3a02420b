"""One report run: a DuckDB connection over the store, the period (and the previous one) loaded, what is missing.

Tags, sentiment and session lists are used when the store has them; when it does not, reports leave those parts out
and say so in their notes (`Availability.notes`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from chatlog_cli.find.filters import MessageFilter
from chatlog_cli.reports.metrics import ServiceWindow
from chatlog_cli.reports.model import Period, Report
from chatlog_cli.reports.scope import Loaded, load, resolve_period
from chatlog_cli.settings import CHINA_TZ
from chatlog_cli.store.derived import missing_files
from chatlog_cli.store.query import connect
from chatlog_cli.store.store import SENTIMENT, TAGS, Store


@dataclass(frozen=True)
class ReportOptions:
    """Settings every report shares."""

    window: ServiceWindow = field(default_factory=ServiceWindow)
    now: dt.datetime | None = None  # "now" for open-ended periods and alerts (tests fix it)


@dataclass(frozen=True)
class Availability:
    """Which optional data the store has for the report."""

    tags: bool  # some messages tagged by `chatlog tag`
    untagged_files: int
    sentiment: bool  # some messages scored by `chatlog sentiment`
    unscored_files: int
    sessions: bool  # a session list with 满意度 (JD 会话记录) matched to conversations

    def notes(self) -> list[str]:
        """What the report leaves out or may miss, and the command that fills it in."""
        notes = []
        if not self.tags:
            notes.append("还没有打标签，标签与问题类别未列出；运行 chatlog tag 后再生成报表。")
        elif self.untagged_files:
            notes.append(f"有 {self.untagged_files} 个文件的消息还没有打标签，标签统计可能不全；运行 chatlog tag。")
        if not self.sentiment:
            notes.append("还没有情感打分，负面会话占比未列出；运行 chatlog sentiment 后再生成报表。")
        elif self.unscored_files:
            notes.append(
                f"有 {self.unscored_files} 个文件的消息还没有情感打分，负面占比可能不全；运行 chatlog sentiment。"
            )
        return notes


class ReportContext:
    """The store opened for one report: `current` (and `previous`, when comparing) loaded into DuckDB."""

    def __init__(
        self,
        store: Store,
        where: MessageFilter,
        options: ReportOptions | None = None,
        *,
        period: Period | None = None,
        compare: bool | None = None,
    ) -> None:
        self.store = store
        self.where = where
        self.options = options or ReportOptions()
        self.now = self.options.now or dt.datetime.now(CHINA_TZ)
        self.con: Any = connect(store)
        try:
            if period is None:  # resolving scans the store when there is no --since
                period, comparable = resolve_period(self.con, where, self.now)
            else:
                comparable = True
            self.period: Period = period
            self.compare = comparable if compare is None else compare
            self.current: Loaded = load(self.con, where, self.period, "cur", self.options.window)
            self.previous: Loaded | None = (
                load(self.con, where, self.period.previous(), "prev", self.options.window) if self.compare else None
            )
            self.available = self._availability()
        except BaseException:
            self.con.close()
            raise

    def _availability(self) -> Availability:
        def some(view: str) -> bool:
            return bool(self.con.execute(f"SELECT EXISTS (SELECT 1 FROM {view})").fetchall()[0][0])

        return Availability(
            tags=some("message_tags"),
            untagged_files=missing_files(self.store, TAGS),
            sentiment=some("message_sentiment"),
            unscored_files=missing_files(self.store, SENTIMENT),
            sessions=some("conversation_sessions"),
        )

    def new_report(self, key: str, title: str) -> Report:
        """An empty report of this context's period, filters and generation time."""
        return Report(
            key=key,
            title=title,
            period=self.period,
            previous=self.previous.period if self.previous else None,
            filters=describe_filters(self.where),
            generated_at=self.now,
            conversations=self.current.conversations,
        )

    def rows(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        """Run a query and fetch every row."""
        return [tuple(r) for r in self.con.execute(sql, params or []).fetchall()]

    def close(self) -> None:
        """Close the connection (temp tables go with it)."""
        self.con.close()

    def __enter__(self) -> ReportContext:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()


def describe_filters(where: MessageFilter) -> dict[str, Any]:
    """The filters that choose conversations, by `MessageFilter` field (times are the period, shown apart)."""
    fields = ("platforms", "shops", "agents", "buyers", "orders", "roles", "types", "tags", "words")
    return {name: list(getattr(where, name)) for name in fields if getattr(where, name)}


def change(current: float | None, previous: float | None) -> float | None:
    """Relative change; None when there is nothing to compare with (no previous value, or it was 0)."""
    if current is None or previous is None or previous == 0:
        return None
    return (current - previous) / previous


def difference(current: float | None, previous: float | None) -> float | None:
    """Absolute change of a share or score; None when either is missing."""
    if current is None or previous is None:
        return None
    return current - previous
