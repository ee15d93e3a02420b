"""Taobao legacy account TXT export (FORMATS.md: Medium evidence).

```
adidas官方旗舰店:小A
================================================================
                              单聊
================================================================
----------------------------tb123456789----------------------------
tb123456789(2017-04-01 10:00:00):  在吗
adidas官方旗舰店:小A(2017-04-01 10:00:05):  您好，在的
continuation line of the previous message
```
GBK; line 1 is the exporting account `店铺:子账号`; buyer blocks are framed by 28 dashes; a nick may contain
`(`, so the message header is anchored on the *last* `(timestamp):`. Group chats (群聊) are skipped and counted.

The file is read in chunks of lines (`text_lines`): each line's kind is found for a whole chunk at once, the
usual header shape with NumPy and everything else with RE2 patterns that match what the Python patterns below
match (they stay for sniffing).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from chatlog_cli.platforms.base import Parsed, ParseOptions, RowReject, Sample
from chatlog_cli.platforms.roles import ROBOT_NAME_PATTERN
from chatlog_cli.platforms.staging import text_export_batch
from chatlog_cli.platforms.text_lines import (
    STAMP_BYTES,
    LineBytes,
    OpenMessage,
    bools,
    built_ahead,
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

_BLOCK_RE: Final = re.compile(r"^-{20,}(?P<nick>[^-].*?)-{20,}\s*$")
# Greedy nick: the header is anchored on the last "(timestamp):" of the line.
_MESSAGE_RE: Final = re.compile(
    r"^(?P<nick>.*)\((?P<ts>\d{4}-\d{1,2}-\d{1,2} \d{1,2}:\d{1,2}:\d{1,2})\):\s?\s?(?P<text>.*)$"
)
_PREFIX: Final = "cntaobao"
_SECTIONS: Final = ("单聊", "群聊")
_GROUP_SKIPPED: Final = "群聊消息（暂不导入）"


@dataclass(frozen=True)
class _Patterns:
    """RE2 versions of the line patterns, with Python's Unicode digits and whitespace."""

    message: str
    block: str
    rule: str


@functools.cache
def _patterns() -> _Patterns:
    stamp, s = python_time_stamp(), python_class(r"\s")
    return _Patterns(
        message=rf"^(?P<nick>.*)\((?P<ts>{stamp})\):{s}?{s}?(?P<text>.*)$",
        block=rf"^-{{20,}}(?P<nick>[^-].*?)-{{20,}}{s}*$",
        rule=rf"^={{20,}}{s}*$",
    )


def _nick(raw: str) -> str:
    raw = raw.strip()
    return raw[len(_PREFIX) :] if raw.startswith(_PREFIX) else raw


def _nicks(raw: pa.Array) -> pa.Array:
    """`_nick` over an array."""
    raw = pc.utf8_trim_whitespace(raw)
    return pc.if_else(pc.starts_with(raw, _PREFIX), pc.utf8_slice_codeunits(raw, len(_PREFIX)), raw)


def _shop(account: str | None) -> str | None:
    return account.split(":", 1)[0] if account else None


def _mask(n: int, rows: np.ndarray) -> np.ndarray:
    mask = np.zeros(n, bool)
    mask[rows] = True
    return mask


_MESSAGES_SCHEMA: Final = pa.schema(
    [
        (name, pa.int64() if name == "line" else pa.string())
        for name in ("line", "ts", "sender", "buyer", "role", "text")
    ]
)
_NONE: Final = np.zeros(0, np.int64)


@dataclass
class _Headers:
    """Message-shaped lines of a chunk, and where their `):` is when they are cut at byte offsets (-1: by RE2)."""

    rows: np.ndarray
    closing: np.ndarray

    def only(self, keep: np.ndarray) -> _Headers:
        """The headers where `keep` (a mask over all lines) is true."""
        chosen = keep[self.rows]
        return _Headers(self.rows[chosen], self.closing[chosen])


@dataclass
class _Chunk:
    """A chunk's lines and what each one is (boolean masks over the lines)."""

    lines: pa.Array
    raw: LineBytes
    ignored: np.ndarray  # up to and including the account line
    section: np.ndarray
    blank: np.ndarray
    structure: np.ndarray  # rule lines and buyer blocks
    group: np.ndarray  # inside a 群聊 section
    headers: _Headers
    block_rows: np.ndarray
    block_nicks: pa.Array


class _AccountScanner:
    """Finds messages in chunks of lines; the account, section, buyer and open message are kept between chunks.

    A message does not end by itself in this export: blank lines and continuation lines belong to the last message
    until the next one, across buyer blocks and 群聊 sections too (where only blank lines are kept).
    """

    def __init__(self, parsed: Parsed) -> None:
        self.parsed = parsed
        self.account: str | None = None
        self.group = False
        self.buyer: str | None = None
        self.open = OpenMessage()
        self.messages = 0

    def scan(self, data: bytes, first_line: int, final: bool) -> tuple[bytes, int, pa.RecordBatch | None]:
        """Parse the complete lines in UTF-8 `data`; nothing is carried back (the open message is kept here)."""
        if not data:
            return b"", first_line, self.open.add(_no_messages(), _NONE, pa.array([], pa.string()), final=final)
        lines, _ = lines_array(data)
        chunk = self._classify(lines, LineBytes.of(lines))
        return b"", first_line + len(lines), self._messages(chunk, first_line, final)

    def _classify(self, lines: pa.Array, raw: LineBytes) -> _Chunk:
        n = len(lines)
        headers = _header_rows(lines, raw)
        # Message-shaped lines are neither blank nor 单聊/群聊 lines: only the others need trimming.
        rest = other_rows(n, headers.rows)
        trimmed = pc.utf8_trim_whitespace(pc.take(lines, pa.array(rest)))
        blank = _mask(n, rest[bools(pc.equal(trimmed, ""))])
        ignored = self._account(lines, blank)
        blank &= ~ignored
        sections = bools(pc.is_in(trimmed, pa.array(_SECTIONS))) & ~ignored[rest]
        section = _mask(n, rest[sections])
        first_byte = raw.at(raw.starts, raw.ends)
        patterns = _patterns()
        rules = regex_rows(lines, np.flatnonzero((first_byte == ord("=")) & ~ignored), patterns.rule)
        blocks = regex_rows(lines, np.flatnonzero((first_byte == ord("-")) & ~ignored), patterns.block)
        nicks = pc.struct_field(pc.extract_regex(pc.take(lines, pa.array(blocks)), patterns.block), "nick")
        structure = _mask(n, rules) | _mask(n, blocks)
        group = self._group(section, bools(pc.equal(pc.filter(trimmed, pa.array(sections)), "群聊")))
        headers = headers.only(~(ignored | structure))
        return _Chunk(lines, raw, ignored, section, blank, structure, group, headers, blocks, _nicks(nicks))

    def _account(self, lines: pa.Array, blank: np.ndarray) -> np.ndarray:
        """Lines up to the account line (the file's first non-blank line, 店铺:子账号), while it is not known."""
        ignored = np.zeros(len(lines), bool)
        if self.account is None:
            nonblank = np.flatnonzero(~blank)
            stop = int(nonblank[0]) + 1 if len(nonblank) else len(lines)
            if len(nonblank):
                self.account = _nick(str(lines[stop - 1].as_py()))
            ignored[:stop] = True
        return ignored

    def _group(self, section: np.ndarray, is_group: np.ndarray) -> np.ndarray:
        """For each line, whether it is in a 群聊 section (from the section line on)."""
        if not section.any():
            return np.full(len(section), self.group)
        latest = np.maximum.accumulate(np.where(section, np.cumsum(section) - 1, -1))
        group = np.where(latest >= 0, is_group[np.maximum(latest, 0)], self.group)
        self.group = bool(group[-1])
        return group

    def _messages(self, chunk: _Chunk, first_line: int, final: bool) -> pa.RecordBatch | None:
        n, raw = len(chunk.lines), chunk.raw
        # A header's buyer is the nick of the last buyer block before it; none yet: the line is not a message.
        latest_block = np.maximum.accumulate(np.where(_mask(n, chunk.block_rows), np.arange(n), -1))
        header = _mask(n, chunk.headers.rows)
        if (in_group := (header & chunk.group).sum()) > 0:
            self.parsed.stats.skipped[_GROUP_SKIPPED] += int(in_group)
        valid = header & ~chunk.group & ((latest_block >= 0) | (self.buyer is not None))
        before = np.cumsum(valid) - valid  # messages started before each line, in this chunk
        is_open = (before > 0) | (self.open.message is not None)
        other = ~(chunk.ignored | chunk.section | chunk.blank | chunk.structure | valid | chunk.group)
        self._reject(chunk.lines, np.flatnonzero(other & ~is_open), first_line)
        content = np.flatnonzero((other | chunk.blank) & is_open)
        # Whitespace-only lines count as empty lines of the message.
        ends = np.where(chunk.blank[content], raw.starts[content], raw.ends[content])
        pieces = substrings(chunk.lines, raw.starts[content], ends)
        headers = chunk.headers.only(valid)
        block_of = latest_block[headers.rows]
        buyers = pc.take(
            pa.concat_arrays([pa.array([self.buyer], pa.string()), chunk.block_nicks]),
            pa.array(np.where(block_of >= 0, np.searchsorted(chunk.block_rows, block_of) + 1, 0)),
        )
        if len(chunk.block_rows):
            self.buyer = str(chunk.block_nicks[-1].as_py())
        self.messages += len(headers.rows)
        heads = self._heads(chunk, headers, first_line, buyers)
        return self.open.add(heads, before[content] - 1, pieces, final=final)

    def _heads(self, chunk: _Chunk, headers: _Headers, first_line: int, buyers: pa.Array) -> pa.RecordBatch:
        """The chunk's new messages: line, time, sender, buyer, role and first line of text."""
        if len(headers.rows) == 0:
            return _no_messages()
        nick, ts, text = _split_headers(chunk.lines, chunk.raw, headers)
        # A chunk has few distinct nicks: each is cleaned, and its role found, once.
        codes = pc.dictionary_encode(nick)
        names = _nicks(codes.dictionary)
        sender = pc.take(names, codes.indices)
        shop = _shop(self.account)
        agent = pc.match_substring(names, ":")  # a sub-account 店铺:子账号, or the main account (the bare shop nick)
        if shop is not None:
            agent = pc.or_(agent, pc.equal(names, shop))
        robot = pc.match_substring_regex(names, ROBOT_NAME_PATTERN)  # the pattern covers 店小蜜 (…小蜜)
        role_of_name = pc.if_else(robot, "bot", pc.if_else(agent, "agent", "unknown"))
        role = pc.if_else(pc.equal(sender, buyers), "buyer", pc.take(role_of_name, codes.indices))
        columns = [pa.array(headers.rows + first_line), ts, sender, buyers, role, text]
        return pa.RecordBatch.from_arrays(columns, schema=_MESSAGES_SCHEMA)

    def _reject(self, lines: pa.Array, rows: np.ndarray, first_line: int) -> None:
        if len(rows) == 0:
            return
        for row, text in zip(rows.tolist(), pc.take(lines, pa.array(rows)).to_pylist(), strict=True):
            self.parsed.rejects.append(
                RowReject(
                    first_line + row, "outside_message", "不属于任何消息的文本行（前面没有买家分隔行或消息头）", text
                )
            )


def _no_messages() -> pa.RecordBatch:
    return pa.RecordBatch.from_pylist([], schema=_MESSAGES_SCHEMA)


def _header_rows(lines: pa.Array, raw: LineBytes) -> _Headers:
    """Lines that match `_MESSAGE_RE`: lines with one `):`, after an ASCII `(YYYY-MM-DD HH:MM:SS`, without RE2.

    Such a line matches, anchored on that `):`; other lines with a `):` are left to RE2.
    """
    closers = raw.find(b"):")
    line_of = np.searchsorted(raw.starts, closers, side="right") - 1
    inside = closers + 2 <= raw.ends[line_of]
    closers, line_of = closers[inside], line_of[inside]  # the lines' bytes follow each other without line ends
    alone = np.ones(len(line_of), bool)  # the only "):" of its line: neither neighbour is in the same line
    alone[1:] &= line_of[1:] != line_of[:-1]
    alone[:-1] &= line_of[:-1] != line_of[1:]
    single, closing = line_of[alone], closers[alone]
    opening = closing - STAMP_BYTES - 1
    plain = (opening >= raw.starts[single]) & (raw.at(opening, closing) == ord("("))
    plain &= stamps_at(raw, closing - STAMP_BYTES, closing)
    unsure = _mask(len(lines), line_of)
    unsure[single[plain]] = False
    rest = regex_rows(lines, np.flatnonzero(unsure), _patterns().message)
    rows = np.concatenate((single[plain], rest))
    order = np.argsort(rows, kind="stable")
    return _Headers(rows[order], np.concatenate((closing[plain], np.full(len(rest), -1)))[order])


def _split_headers(lines: pa.Array, raw: LineBytes, headers: _Headers) -> tuple[pa.Array, ...]:
    """Nick, time and text of header lines: cut at byte offsets where the `):` is known, by RE2 for the others."""
    rows, closing = headers.rows, headers.closing
    ends = raw.ends[rows]
    text_at, unsure = skip_spaces(raw, closing + 2, ends, 2)
    cut = np.flatnonzero((closing >= 0) & ~unsure)
    mine = (
        substrings(lines, raw.starts[rows[cut]], closing[cut] - STAMP_BYTES - 1),
        substrings(lines, closing[cut] - STAMP_BYTES, closing[cut]),
        substrings(lines, text_at[cut], ends[cut]),
    )
    return in_row_order(lines, rows, cut, mine, _patterns().message, ("nick", "ts", "text"))


@dataclass(frozen=True)
class TaobaoAccountTxt:
    """The 千牛 legacy per-account TXT export."""

    name: str = "taobao-txt"
    platform: str = "taobao"
    title: str = "淘宝/天猫 千牛聊天记录 TXT（按账号导出）"
    infers_agents: bool = False
    recognized_by: str = (
        "文本文件（常为 GBK），第一行是导出账号“店铺:子账号”，有“单聊”/“群聊”分节，每个买家以 28 个“-”夹着昵称的"
        "行开头，消息行为“昵称(YYYY-MM-DD HH:MM:SS):  内容”。"
    )

    def sniff(self, sample: Sample) -> float:
        """Buyer blocks and `nick(time):` lines together are decisive."""
        if sample.kind != "text":
            return 0.0
        lines = sample.lines
        blocks = sum(1 for line in lines if _BLOCK_RE.match(line))
        messages = sum(1 for line in lines if _MESSAGE_RE.match(line))
        sections = any(line.strip() in _SECTIONS for line in lines)
        if blocks and messages:
            return 0.97 if sections else 0.9
        return 0.6 if messages >= 3 and messages >= len(lines) / 4 else 0.0

    def parse(self, sample: Sample, options: ParseOptions) -> Parsed:
        """Stream messages; roles come from the block's buyer and the account line."""
        parsed = Parsed(batches=iter(()), encoding=sample.encoding)
        parsed.batches = self._batches(sample, options, parsed)
        return parsed

    def _batches(self, sample: Sample, options: ParseOptions, parsed: Parsed) -> Iterator[pa.RecordBatch]:
        scanner = _AccountScanner(parsed)

        def build(found: pa.RecordBatch) -> list[pa.RecordBatch]:
            return [
                self._batch(found.slice(start, BATCH_ROWS), sample.source.label, options, scanner.account)
                for start in range(0, found.num_rows, BATCH_ROWS)
            ]

        for batches in built_ahead(scan_file(sample, scanner.scan), build):
            yield from batches
        parsed.stats.rows_read += scanner.messages + len(parsed.rejects)

    def _batch(self, found: pa.RecordBatch, label: str, options: ParseOptions, account: str | None) -> pa.RecordBatch:
        buyer = found.column("buyer")
        return text_export_batch(
            platform=self.platform,
            shop=options.shop or _shop(account),
            label=label,
            lines=found.column("line"),
            stamps=found.column("ts"),
            senders=found.column("sender"),
            roles=found.column("role"),
            content=found.column("text"),
            thread=buyer,
            buyer=buyer,
        )


FORMATS = (TaobaoAccountTxt(),)
