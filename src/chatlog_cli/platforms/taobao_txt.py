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
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

import pyarrow as pa

from chatlog_cli.io.decode import clean_text
from chatlog_cli.platforms.base import Parsed, ParseOptions, RowReject, Sample
from chatlog_cli.platforms.roles import ROBOT_NAME_RE
from chatlog_cli.platforms.staging import text_export_batch
from chatlog_cli.settings import BATCH_ROWS

_BLOCK_RE: Final = re.compile(r"^-{20,}(?P<nick>[^-].*?)-{20,}\s*$")
# Greedy nick: the header is anchored on the last "(timestamp):" of the line.
_MESSAGE_RE: Final = re.compile(
    r"^(?P<nick>.*)\((?P<ts>\d{4}-\d{1,2}-\d{1,2} \d{1,2}:\d{1,2}:\d{1,2})\):\s?\s?(?P<text>.*)$"
)
_RULE_RE: Final = re.compile(r"^={20,}\s*$")
_PREFIX: Final = "cntaobao"


def _nick(raw: str) -> str:
    raw = raw.strip()
    return raw[len(_PREFIX) :] if raw.startswith(_PREFIX) else raw


@dataclass
class _Rows:
    sender: list[str]
    buyer: list[str]
    role: list[str]
    ts: list[str]
    content: list[list[str]]
    line: list[int]


def _empty_rows() -> _Rows:
    return _Rows([], [], [], [], [], [])


class _Reader:
    """Line state: the account (line 1), the section (单聊/群聊), the current buyer block, the open message."""

    def __init__(self, parsed: Parsed) -> None:
        self.parsed = parsed
        self.account: str | None = None
        self.section = "单聊"
        self.buyer: str | None = None
        self.rows = _empty_rows()
        self.messages = 0

    def take(self) -> _Rows:
        rows, self.rows = self.rows, _empty_rows()
        return rows

    def feed(self, line_no: int, line: str) -> None:
        stripped = line.strip()
        if self.account is None and stripped:
            self.account = _nick(stripped)  # line 1: the exporting account, 店铺:子账号
        elif stripped in ("单聊", "群聊"):
            self.section = stripped
        elif not stripped:
            if self.rows.line:
                self.rows.content[-1].append("")  # blank lines inside a message; trailing ones are trimmed
        elif _RULE_RE.match(line):
            pass
        elif block := _BLOCK_RE.match(line):
            self.buyer = _nick(block.group("nick"))
        elif self.section == "群聊":
            if _MESSAGE_RE.match(line):
                self.parsed.stats.skipped["群聊消息（暂不导入）"] += 1
        else:
            self._single_chat_line(line_no, line)

    def _single_chat_line(self, line_no: int, line: str) -> None:
        message = _MESSAGE_RE.match(line)
        if message and self.buyer is not None:
            sender = _nick(message.group("nick"))
            rows = self.rows
            rows.sender.append(sender)
            rows.buyer.append(self.buyer)
            rows.role.append(_role(sender, self.buyer, self.account))
            rows.ts.append(message.group("ts"))
            rows.content.append([message.group("text")])
            rows.line.append(line_no)
            self.messages += 1
        elif self.rows.line:
            self.rows.content[-1].append(line)  # continuation of the previous message
        else:
            self.parsed.rejects.append(
                RowReject(line_no, "outside_message", "不属于任何消息的文本行（前面没有买家分隔行或消息头）", line)
            )


def _role(sender: str, buyer: str, account: str | None) -> str:
    if sender == buyer:
        return "buyer"
    if ROBOT_NAME_RE.search(sender):  # the pattern covers 店小蜜 (…小蜜)
        return "bot"
    shop = account.split(":", 1)[0] if account else None
    if ":" in sender or (shop is not None and sender == shop):
        return "agent"  # a sub-account 店铺:子账号, or the main account (the bare shop nick)
    return "unknown"


@dataclass(frozen=True)
class TaobaoAccountTxt:
    """The 千牛 legacy per-account TXT export."""

    name: str = "taobao-txt"
    platform: str = "taobao"
    title: str = "淘宝/天猫 千牛聊天记录 TXT（按账号导出）"
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
        sections = any(line.strip() in ("单聊", "群聊") for line in lines)
        if blocks and messages:
            return 0.97 if sections else 0.9
        return 0.6 if messages >= 3 and messages >= len(lines) / 4 else 0.0

    def parse(self, sample: Sample, options: ParseOptions) -> Parsed:
        """Stream messages; roles come from the block's buyer and the account line."""
        parsed = Parsed(batches=iter(()), encoding=sample.encoding)
        parsed.batches = self._batches(sample, options, parsed)
        return parsed

    def _batches(self, sample: Sample, options: ParseOptions, parsed: Parsed) -> Iterator[pa.RecordBatch]:
        reader = _Reader(parsed)
        with io.TextIOWrapper(sample.source.open(), encoding=sample.encoding, newline=None) as text:
            for line_no, raw in enumerate(text, start=1):
                reader.feed(line_no, clean_text(raw.rstrip("\n")))
                if len(reader.rows.line) >= BATCH_ROWS:
                    yield self._batch(reader.take(), sample.source.label, options, reader.account)
        if reader.rows.line:
            yield self._batch(reader.take(), sample.source.label, options, reader.account)
        parsed.stats.rows_read += reader.messages + len(parsed.rejects)

    def _batch(self, rows: _Rows, label: str, options: ParseOptions, account: str | None) -> pa.RecordBatch:
        buyer = pa.array(rows.buyer, pa.string())
        return text_export_batch(
            platform=self.platform,
            shop=options.shop or (account.split(":", 1)[0] if account else None),
            label=label,
            lines=pa.array(rows.line, pa.int64()),
            stamps=pa.array(rows.ts, pa.string()),
            senders=pa.array(rows.sender, pa.string()),
            roles=pa.array(rows.role, pa.string()),
            content=pa.array(["\n".join(parts).strip() or None for parts in rows.content], pa.string()),
            thread=buyer,
            buyer=buyer,
        )


FORMATS = (TaobaoAccountTxt(),)
