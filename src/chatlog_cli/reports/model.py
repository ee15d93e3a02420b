"""Report data: what every renderer draws (terminal, XLSX, Markdown, HTML, JSON, CSV).

A report is sections of tables. Cells hold raw values (ints, floats, seconds, shares as 0…1, relative changes);
each column says what kind of value it holds, and the renderers format by kind, so the XLSX, the terminal and the
JSON show the same numbers (the XLSX and JSON hold the raw value, the terminal its formatted text).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

# text: as is · int: a count · float: a plain number · share: 0…1 shown as a percentage · seconds: a duration
# score: a sentiment score 0…1 · change: relative change versus the previous period (0.25 = +25 %; None when the
# previous period had nothing to compare with) · points: a difference of two shares (0.031 = +3.1 个百分点)
# row: the kind is the row's (`Table.row_kinds`) · row_change: `change`, or `points` when the row's kind is a
# share or a score (a share that went from 10 % to 12 % rose 2 points, not 20 %).
Kind = Literal["text", "int", "float", "share", "seconds", "score", "change", "points", "row", "row_change"]


@dataclass(frozen=True)
class Column:
    """One column: its key in JSON/CSV, its header for people, the kind of value it holds."""

    key: str
    header: str
    kind: Kind = "text"


@dataclass(frozen=True)
class Chart:
    """A chart of a table: `category` is the column along the axis (or the rows of a heat table)."""

    kind: Literal["line", "bar", "heat"]
    title: str
    category: str
    series: tuple[str, ...]  # the value columns drawn (heat: the columns coloured)


@dataclass
class Table:
    """Rows of raw values in column order, an optional totals row, notes printed under it, an optional chart."""

    key: str  # stable id: JSON key, CSV/Markdown anchor
    title: str
    columns: tuple[Column, ...]
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    total: tuple[Any, ...] | None = None
    notes: list[str] = field(default_factory=list)
    chart: Chart | None = None
    row_kinds: list[Kind] | None = None  # per row, for columns of kind "row" / "row_change"

    def kind_of(self, row: int | None, column: int) -> Kind:
        """The kind of one cell (`row` None: the totals row)."""
        kind = self.columns[column].kind
        if kind not in ("row", "row_change"):
            return kind
        row_kind: Kind = "float" if self.row_kinds is None or row is None else self.row_kinds[row]
        if kind == "row":
            return row_kind
        return "points" if row_kind in ("share", "score") else "change"

    def records(self) -> list[dict[str, Any]]:
        """Rows as dicts keyed by column key."""
        keys = [c.key for c in self.columns]
        return [dict(zip(keys, row, strict=True)) for row in self.rows]


@dataclass
class Section:
    """A part of a report (the weekly report's 概览, 标签与热词, 客服 …; one XLSX sheet each)."""

    key: str
    title: str
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Period:
    """A half-open time range [start, end) in China time, with how people call it (2026-W47, 2026-11-01 ~ 11-07)."""

    start: dt.datetime
    end: dt.datetime
    label: str

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        length = self.end - self.start
        start = self.start - length
        return Period(start, self.start, period_label(start, self.start))


def period_label(start: dt.datetime, end: dt.datetime) -> str:
    """`2026-W47` for an ISO week, `2026-11` for a month, else the first and last day."""
    if start.time() == dt.time() and end - start == dt.timedelta(weeks=1) and start.weekday() == 0:
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    whole_days = start.time() == dt.time() and end.time() == dt.time()
    months = (end.year * 12 + end.month) - (start.year * 12 + start.month)
    if whole_days and start.day == 1 and end.day == 1 and months == 1:
        return f"{start:%Y-%m}"
    last = end - dt.timedelta(microseconds=1)
    if whole_days:
        return f"{start:%Y-%m-%d}" if last.date() == start.date() else f"{start:%Y-%m-%d} ~ {last:%Y-%m-%d}"
    return f"{start:%Y-%m-%d %H:%M} ~ {end:%Y-%m-%d %H:%M}"


@dataclass
class Report:
    """A report: what it covers, its sections and notes (definitions, what was left out and why)."""

    key: str  # frequency, pivot, agents, hourly, weekly
    title: str
    period: Period | None
    previous: Period | None = None
    sections: list[Section] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    filters: dict[str, Any] = field(default_factory=dict)  # the filters applied, for the header
    generated_at: dt.datetime | None = None
    conversations: int = 0  # conversations in the period after the filters; 0 means "no data in this range"

    @property
    def empty(self) -> bool:
        """No conversation in the range: renderers say so instead of drawing empty tables."""
        return self.conversations == 0

    def tables(self) -> list[Table]:
        """Every table, in order."""
        return [t for s in self.sections for t in s.tables]

    def table(self, key: str) -> Table:
        """The table with this key (KeyError if none)."""
        for t in self.tables():
            if t.key == key:
                return t
        raise KeyError(key)
