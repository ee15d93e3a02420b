"""Taobao 千牛 message-manager TXT (消息管理器 → 导出, 即时消息) — FORMATS.md: Low evidence.

```
即时消息
2026-11-05
2026-11-05 10:00:00 tb123456789: 在吗
2026-11-05 10:00:05 云裳旗舰店:小美: 您好，在的
```
One file is one contact's history, so the one sender who is not the shop side is the buyer: messages are kept
(as Arrow arrays) until the whole file has been read.

The file is read in chunks of lines (`text_lines`): the usual header shape is found with NumPy, everything else
with RE2 patterns that match what the Python patterns below match (they stay for sniffing).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from chatlog_cli.platforms.base import Parsed, ParseOptions, RowReject, Sample
from chatlog_cli.platforms.normalize import constant_column
from chatlog_cli.platforms.roles import ROBOT_NAME_PATTERN
from chatlog_cli.platforms.staging import text_export_batch
from chatlog_cli.platforms.text_lines import (
    STAMP_BYTES,
    LineBytes,
    OpenMessage,
    bools,
    built_ahead,
    first_at_or_after,
    in_row_order,
    lines_array,
    other_rows,
    python_class,
    python_time_stamp,
    regex_rows,
    scan_file,
    skip_spaces,
    stamps_at,
    substrings,
)
from chatlog_cli.settings import BATCH_ROWS

_DAY_RE: Final = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}\s*$")
# `店铺:子账号` has no space after its colon; the nick ends at the first ": " (or a full-width colon).
_MESSAGE_RE: Final = re.compile(
    r"^(?P<ts>\d{4}-\d{1,2}-\d{1,2} \d{1,2}:\d{1,2}:\d{1,2})\s+(?P<nick>.+?)(?:: |：)\s?(?P<text>.*)$"
)
_MARKER: Final = "即时消息"
_PREFIX: Final = "cntaobao"
# Bytes that may not open a nick in the shape cut without RE2: whitespace (the time's spaces would run on),
# a first byte of multi-byte whitespace, and the separators' first bytes (the nick would be empty).
_NOT_A_NICK_START: Final = np.array([9, 32, ord(":"), 0xC2, 0xE1, 0xE2, 0xE3, "：".encode()[0]], np.uint8)


@dataclass(frozen=True)
class _Patterns:
    """RE2 versions of the line patterns, with Python's Unicode digits and whitespace."""

    message: str
    day: str


@functools.cache
def _patterns() -> _Patterns:
    d, s = python_class(r"\d"), python_class(r"\s")
    stamp = python_time_stamp()
    return _Patterns(
        message=rf"^(?P<ts>{stamp}){s}+(?P<nick>.+?)(?:: |：){s}?(?P<text>.*)$",
        day=rf"^{d}{{4}}-{d}{{1,2}}-{d}{{1,2}}{s}*$",
    )


_MESSAGES_SCHEMA: Final = pa.schema(
    [("line", pa.int64()), ("ts", pa.string()), ("sender", pa.string()), ("text", pa.string())]
)
_NONE: Final = np.zeros(0, np.int64)


@dataclass
class _Headers:
    """Message header lines of a chunk; where their nick ends and text starts if cut at byte offsets (-1: by RE2)."""

    rows: np.ndarray
    nick_end: np.ndarray
    text_start: np.ndarray

    def from_row(self, begin: int) -> _Headers:
        """The headers at or after a row."""
        keep = self.rows >= begin
        return _Headers(self.rows[keep], self.nick_end[keep], self.text_start[keep])


@dataclass
class _HistoryScanner:
    """Finds messages in chunks of lines; holds the completed ones until the buyer can be decided."""

    parsed: Parsed
    found: list[pa.RecordBatch] = field(default_factory=list)
    open: OpenMessage = field(default_factory=OpenMessage)
    started: bool = False  # before the first message, 即时消息 and blank lines are skipped, other lines rejected

    def scan(self, data: bytes, first_line: int, final: bool) -> tuple[bytes, int, None]:
        """Parse the complete lines in UTF-8 `data`; nothing is carried back (the open message is kept here)."""
        if not data:
            self._keep(self.open.add(_no_messages(), _NONE, pa.array([], pa.string()), final=final))
            return b"", first_line, None
        lines, _ = lines_array(data)
        raw = LineBytes.of(lines)
        headers = _header_rows(lines, raw)
        days = regex_rows(lines, other_rows(len(lines), headers.rows), _patterns().day)
        begin = self._begin(lines, headers.rows, days, first_line)
        headers = headers.from_row(begin)
        # Continuation lines (blank ones included) are kept as they are; day lines are dropped even inside a message.
        content = other_rows(len(lines), np.arange(begin), headers.rows, days)
        pieces = substrings(lines, raw.starts[content], raw.ends[content])
        ts, nick, text = _split_headers(lines, raw, headers)
        heads = pa.RecordBatch.from_arrays(
            [pa.array(headers.rows + first_line), ts, _without_prefix(nick), text], schema=_MESSAGES_SCHEMA
        )
        self._keep(self.open.add(heads, np.searchsorted(headers.rows, content) - 1, pieces, final=final))
        return b"", first_line + len(lines), None

    def _begin(self, lines: pa.Array, header_rows: np.ndarray, days: np.ndarray, first_line: int) -> int:
        """The row of the first message, while none has been seen; the lines before it are skipped or rejected."""
        if self.started:
            return 0
        marked = bools(pc.match_substring(pc.take(lines, pa.array(header_rows)), _MARKER))
        unmarked = header_rows[~marked]
        begin = int(unmarked[0]) if len(unmarked) else len(lines)
        self.started = begin < len(lines)
        before = lines.slice(0, begin)
        skip = bools(pc.or_(pc.match_substring(before, _MARKER), pc.equal(pc.utf8_trim_whitespace(before), "")))
        skip[days[days < begin]] = True
        orphans = np.flatnonzero(~skip)
        for row, text in zip(orphans.tolist(), pc.take(before, pa.array(orphans)).to_pylist(), strict=True):
            self.parsed.rejects.append(
                RowReject(
                    first_line + row, "outside_message", "不属于任何消息的文本行（前面没有“时间 昵称:”消息头）", text
                )
            )
        return begin

    def _keep(self, done: pa.RecordBatch | None) -> None:
        if done is not None:
            self.found.append(done)

    @property
    def messages(self) -> int:
        """Completed messages so far."""
        return sum(batch.num_rows for batch in self.found)


def _no_messages() -> pa.RecordBatch:
    return pa.RecordBatch.from_pylist([], schema=_MESSAGES_SCHEMA)


def _without_prefix(nick: pa.Array) -> pa.Array:
    """`nick.removeprefix("cntaobao")` (a chunk has few distinct nicks: done once for each)."""
    codes = pc.dictionary_encode(nick)
    names = codes.dictionary
    names = pc.if_else(pc.starts_with(names, _PREFIX), pc.utf8_slice_codeunits(names, len(_PREFIX)), names)
    return pc.take(names, codes.indices)


def _header_rows(lines: pa.Array, raw: LineBytes) -> _Headers:
    """Lines that match `_MESSAGE_RE`; the usual shape is recognised (and cut) here, the rest by RE2.

    The usual shape: an ASCII `YYYY-MM-DD HH:MM:SS`, one space or tab, then a nick that starts with neither
    whitespace nor a separator and ends at the line's first `: `, with no `：` before it.
    """
    starts, ends = raw.starts, raw.ends
    nick_at = starts + STAMP_BYTES + 1
    shaped = stamps_at(raw, starts, ends) & (nick_at < ends)
    gap = raw.at(nick_at - 1, ends)
    shaped &= ((gap == 9) | (gap == 32)) & ~np.isin(raw.at(nick_at, ends), _NOT_A_NICK_START)
    rows = np.flatnonzero(shaped)
    separator = first_at_or_after(raw.find(b": "), nick_at[rows], ends[rows], 2)
    rows, separator = rows[separator >= 0], separator[separator >= 0]
    # Few distinct nicks per chunk: a full-width colon in one (the nick would end there) is looked for in those.
    codes = pc.dictionary_encode(substrings(lines, nick_at[rows], separator))
    wide = bools(pc.match_substring(codes.dictionary, "："))[codes.indices.to_numpy()]
    text_start, unsure = skip_spaces(raw, separator + 2, ends[rows], 1)
    rest = regex_rows(lines, other_rows(len(lines), rows), _patterns().message)
    every = np.concatenate((rows, rest))
    order = np.argsort(every, kind="stable")
    unknown = np.full(len(rest), -1)
    return _Headers(
        every[order],
        np.concatenate((separator, unknown))[order],
        np.concatenate((np.where(unsure | wide, -1, text_start), unknown))[order],
    )


def _split_headers(lines: pa.Array, raw: LineBytes, headers: _Headers) -> tuple[pa.Array, pa.Array, pa.Array]:
    """Time, nick and text of header lines: cut at byte offsets where known, by RE2 for the others."""
    cut = np.flatnonzero(headers.text_start >= 0)
    rows, starts = headers.rows[cut], raw.starts[headers.rows[cut]]
    mine = (
        substrings(lines, starts, starts + STAMP_BYTES),
        substrings(lines, starts + STAMP_BYTES + 1, headers.nick_end[cut]),
        substrings(lines, headers.text_start[cut], raw.ends[rows]),
    )
    return in_row_order(lines, headers.rows, cut, mine, _patterns().message, ("ts", "nick", "text"))


@dataclass(frozen=True)
class TaobaoMessageManagerTxt:
    """The 千牛 message-manager export of one contact's chat history."""

    name: str = "taobao-im"
    platform: str = "taobao"
    title: str = "淘宝/天猫 千牛消息管理器导出 TXT（即时消息）"
    infers_agents: bool = False
    recognized_by: str = (
        "文本文件，开头附近有“即时消息”，单独的“YYYY-MM-DD”日期行，消息行为“YYYY-MM-DD HH:MM:SS 昵称: 内容”。"
    )

    def sniff(self, sample: Sample) -> float:
        """The 即时消息 marker plus message lines."""
        if sample.kind != "text":
            return 0.0
        lines = sample.lines
        messages = sum(1 for line in lines if _MESSAGE_RE.match(line))
        marker = any(_MARKER in line for line in lines[:5])
        if marker and messages:
            return 0.95
        return 0.55 if messages >= 3 and messages >= len(lines) / 3 else 0.0

    def parse(self, sample: Sample, options: ParseOptions) -> Parsed:
        """Read the whole file, then decide who the buyer is."""
        parsed = Parsed(batches=iter(()), encoding=sample.encoding)
        parsed.batches = self._batches(sample, options, parsed)
        return parsed

    def _batches(self, sample: Sample, options: ParseOptions, parsed: Parsed) -> Iterator[pa.RecordBatch]:
        scanner = _HistoryScanner(parsed)
        for _ in scan_file(sample, scanner.scan):
            pass
        parsed.stats.rows_read += scanner.messages + len(parsed.rejects)
        if not scanner.found:
            return
        names = pc.unique(pa.chunked_array([found.column("sender") for found in scanner.found]))
        roles, buyer, customers = _roles(names, options.shop)
        if customers > 1:
            parsed.stats.notes.append(f"文件里有 {customers} 个非客服发送人，无法确定买家，记为 unknown")

        def build(part: pa.RecordBatch) -> pa.RecordBatch:
            senders = part.column("sender")
            return text_export_batch(
                platform=self.platform,
                shop=options.shop,
                label=sample.source.label,
                lines=part.column("line"),
                stamps=part.column("ts"),
                senders=senders,
                roles=pc.take(roles, pc.index_in(senders, names)),
                content=part.column("text"),
                thread=constant_column(buyer or "", part.num_rows),
                buyer=constant_column(buyer, part.num_rows),
            )

        parts = (
            found.slice(start, BATCH_ROWS) for found in scanner.found for start in range(0, found.num_rows, BATCH_ROWS)
        )
        yield from built_ahead(parts, build)  # the next batch is built while the store takes this one


def _roles(names: pa.Array, shop: str | None) -> tuple[pa.Array, str | None, int]:
    """The role of each distinct sender, the buyer (if exactly one sender is not the shop side) and how many are not."""
    colon = pc.match_substring(names, ":")
    robot = pc.match_substring_regex(names, ROBOT_NAME_PATTERN)
    # The main account replies under the bare shop nick: the part before `:` of the sub-accounts' nicks.
    shops = pc.list_element(pc.split_pattern(pc.filter(names, colon), ":", max_splits=1), 0)
    if shop:
        shops = pa.concat_arrays([shops, pa.array([shop], pa.string())])
    in_shops = pc.is_in(names, shops)
    customers = pc.filter(names, pc.invert(pc.or_(pc.or_(colon, robot), in_shops)))
    buyer = str(customers[0].as_py()) if len(customers) == 1 else None
    is_buyer = pc.equal(names, buyer) if buyer is not None else pa.array(np.zeros(len(names), bool))
    roles = pc.if_else(
        robot, "bot", pc.if_else(pc.or_(colon, in_shops), "agent", pc.if_else(is_buyer, "buyer", "unknown"))
    )
    return roles, buyer, len(customers)


FORMATS = (TaobaoMessageManagerTxt(),)
