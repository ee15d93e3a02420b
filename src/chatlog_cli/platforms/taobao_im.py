"""Taobao 千牛 message-manager TXT (消息管理器 → 导出, 即时消息) — FORMATS.md: Low evidence.

```
即时消息
2026-11-05
2026-11-05 10:00:00 tb123456789: 在吗
2026-11-05 10:00:05 云裳旗舰店:小美: 您好，在的
```
One file is one contact's history, so the one sender who is not the shop side is the buyer. Files are small;
they are parsed whole.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

import pyarrow as pa

from chatlog_cli.io.decode import clean_text
from chatlog_cli.platforms.base import Parsed, ParseOptions, RowReject, Sample
from chatlog_cli.platforms.roles import ROBOT_NAME_RE
from chatlog_cli.platforms.staging import text_export_batch

_DAY_RE: Final = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}\s*$")
# `店铺:子账号` has no space after its colon; the nick ends at the first ": " (or a full-width colon).
_MESSAGE_RE: Final = re.compile(
    r"^(?P<ts>\d{4}-\d{1,2}-\d{1,2} \d{1,2}:\d{1,2}:\d{1,2})\s+(?P<nick>.+?)(?:: |：)\s?(?P<text>.*)$"
)
_MARKER: Final = "即时消息"


def _shop_side(nick: str) -> bool:
    return ":" in nick or ROBOT_NAME_RE.search(nick) is not None


@dataclass(frozen=True)
class TaobaoMessageManagerTxt:
    """The 千牛 message-manager export of one contact's chat history."""

    name: str = "taobao-im"
    platform: str = "taobao"
    title: str = "淘宝/天猫 千牛消息管理器导出 TXT（即时消息）"
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
        stamps: list[str] = []
        senders: list[str] = []
        bodies: list[list[str]] = []
        lines: list[int] = []
        with io.TextIOWrapper(sample.source.open(), encoding=sample.encoding, newline=None) as text:
            for line_no, raw in enumerate(text, start=1):
                line = clean_text(raw.rstrip("\n"))
                if (not lines and (_MARKER in line or not line.strip())) or _DAY_RE.match(line):
                    continue
                message = _MESSAGE_RE.match(line)
                if message:
                    stamps.append(message.group("ts"))
                    senders.append(message.group("nick").removeprefix("cntaobao"))
                    bodies.append([message.group("text")])
                    lines.append(line_no)
                elif lines:
                    bodies[-1].append(line)  # continuation (blank lines inside a message included)
                else:
                    parsed.rejects.append(
                        RowReject(
                            line_no, "outside_message", "不属于任何消息的文本行（前面没有“时间 昵称:”消息头）", line
                        )
                    )
        parsed.stats.rows_read += len(lines) + len(parsed.rejects)
        if not lines:
            return
        # The main account replies under the bare shop nick: the part before `:` of the sub-accounts' nicks.
        shops = {nick.split(":", 1)[0] for nick in senders if ":" in nick} | ({options.shop} if options.shop else set())
        customers = Counter(nick for nick in senders if not _shop_side(nick) and nick not in shops)
        buyer = next(iter(customers)) if len(customers) == 1 else None
        if len(customers) > 1:
            parsed.stats.notes.append(f"文件里有 {len(customers)} 个非客服发送人，无法确定买家，记为 unknown")
        roles = [
            "bot"
            if ROBOT_NAME_RE.search(n)
            else "agent"
            if ":" in n or n in shops
            else "buyer"
            if n == buyer
            else "unknown"
            for n in senders
        ]
        buyers = pa.array([buyer] * len(lines), pa.string())
        yield text_export_batch(
            platform=self.platform,
            shop=options.shop,
            label=sample.source.label,
            lines=pa.array(lines, pa.int64()),
            stamps=pa.array(stamps, pa.string()),
            senders=pa.array(senders, pa.string()),
            roles=pa.array(roles, pa.string()),
            content=pa.array(["\n".join(b).strip() or None for b in bodies], pa.string()),
            thread=pa.array([buyer or ""] * len(lines), pa.string()),
            buyer=buyers,
        )


FORMATS = (TaobaoMessageManagerTxt(),)
