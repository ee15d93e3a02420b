"""Time specs for `--since` / `--until`: absolute dates and times, or relative words, in China time.

Every spec names a span: `2026-11-01` is that day, `2026-W46` that ISO week, `last-week` the previous
Monday-to-Sunday, `7d` the last seven days up to now. `--since X` starts at the beginning of X's span and
`--until X` ends at its end (exclusive), so `--since 2026-11-01 --until 2026-11-07` covers seven whole days.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Final

from chatlog_cli.errors import UsageError
from chatlog_cli.settings import CHINA_TZ

SHANGHAI: Final = CHINA_TZ

_RELATIVE: Final = re.compile(r"^(\d+)\s*(m|min|h|d|w)$", re.IGNORECASE)
_ISO_WEEK: Final = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)
_MONTH: Final = re.compile(r"^(\d{4})[-/.年](\d{1,2})月?$")
_DATE: Final = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")
_DATETIME: Final = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$")
_UNITS: Final = {"m": "minutes", "min": "minutes", "h": "hours", "d": "days", "w": "weeks"}

EXAMPLES: Final = (
    "2026-11-01、2026-11-01 09:00、2026-11、2026-W46、today、yesterday、this-week、last-week、this-month、"
    "last-month、7d、12h"
)


@dataclass(frozen=True)
class Span:
    """A half-open interval [start, end) of aware datetimes."""

    start: dt.datetime
    end: dt.datetime


def now_in_china() -> dt.datetime:
    """The current time in China (the clock relative specs count from)."""
    return dt.datetime.now(SHANGHAI)


def parse_span(text: str, now: dt.datetime | None = None) -> Span:
    """The span a time spec names; UsageError with examples when it is not one."""
    now = (now or now_in_china()).astimezone(SHANGHAI)
    spec = text.strip()
    span = _named_span(spec.lower(), now)
    if span is not None:
        return span
    if match := _RELATIVE.match(spec):
        delta = dt.timedelta(**{_UNITS[match.group(2).lower()]: int(match.group(1))})
        return Span(now - delta, now)
    try:
        span = _calendar_span(spec)
    except ValueError:
        raise UsageError(f"时间“{text}”不存在（日期或周数超出范围）。可用的写法：{EXAMPLES}。") from None
    if span is None:
        raise UsageError(f"看不懂时间“{text}”。可用的写法：{EXAMPLES}（均为北京时间）。")
    return span


def _named_span(word: str, now: dt.datetime) -> Span | None:
    today = dt.datetime.combine(now.date(), dt.time(), SHANGHAI)
    monday = today - dt.timedelta(days=now.weekday())
    first = today.replace(day=1)
    spans = {
        "now": Span(now, now),
        "today": Span(today, today + dt.timedelta(days=1)),
        "yesterday": Span(today - dt.timedelta(days=1), today),
        "this-week": Span(monday, monday + dt.timedelta(weeks=1)),
        "last-week": Span(monday - dt.timedelta(weeks=1), monday),
        "this-month": Span(first, _add_month(first)),
        "last-month": Span(_add_month(first, -1), first),
    }
    aliases = {"今天": "today", "昨天": "yesterday", "本周": "this-week", "上周": "last-week", "本月": "this-month",
               "上月": "last-month"}  # fmt: skip
    return spans.get(aliases.get(word, word))


def _calendar_span(spec: str) -> Span | None:
    if match := _ISO_WEEK.match(spec):
        monday = dt.date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
        start = dt.datetime.combine(monday, dt.time(), SHANGHAI)
        return Span(start, start + dt.timedelta(weeks=1))
    if match := _MONTH.match(spec):
        start = dt.datetime(int(match.group(1)), int(match.group(2)), 1, tzinfo=SHANGHAI)
        return Span(start, _add_month(start))
    if match := _DATE.match(spec):
        year, month, day = (int(g) for g in match.groups())
        start = dt.datetime(year, month, day, tzinfo=SHANGHAI)
        return Span(start, start + dt.timedelta(days=1))
    if match := _DATETIME.match(spec):
        year, month, day, hour, minute = (int(g) for g in match.groups()[:5])
        second = match.group(6)
        start = dt.datetime(year, month, day, hour, minute, int(second or 0), tzinfo=SHANGHAI)
        return Span(start, start + (dt.timedelta(seconds=1) if second else dt.timedelta(minutes=1)))
    return None


def since_until(
    since: str | None, until: str | None, now: dt.datetime | None = None
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The start of `since`'s span and the end of `until`'s span; UsageError when they are reversed."""
    start = parse_span(since, now).start if since else None
    end = parse_span(until, now).end if until else None
    if start is not None and end is not None and start >= end:
        raise UsageError(f"--since {since} 晚于 --until {until}：没有这样的时间段。")
    return start, end


def _add_month(moment: dt.datetime, months: int = 1) -> dt.datetime:
    index = moment.year * 12 + moment.month - 1 + months
    return moment.replace(year=index // 12, month=index % 12 + 1, day=1)
