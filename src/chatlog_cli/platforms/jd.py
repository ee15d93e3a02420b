"""JD 京东 (咚咚 / 京麦): the chat-log TXT/LOG export (FORMATS.md: High evidence).

```
/*****************以下为一通会话************************************/
j****ab 2026-10-07 10:00:00
这款鞋底材质怎么样？
店铺名-小美 2026-10-07 10:00:31
亲，是橡胶底的哦
/*****************会话结束_时间:2026-10-07 10:05:12******************/
```
No role labels and no session ids: ids are derived from each session's first message, roles are inferred
from the whole file (robots by name, agents by recurring across buyers, then the first speaker).
"""

from __future__ import annotations

import codecs
import hashlib
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Final

import pyarrow as pa
import pyarrow.compute as pc

from chatlog_cli import schema as s
from chatlog_cli.errors import EncodingError
from chatlog_cli.io.decode import clean_text
from chatlog_cli.platforms import content as content_rules
from chatlog_cli.platforms.base import Parsed, ParseOptions, RowReject, Sample
from chatlog_cli.platforms.normalize import parse_times
from chatlog_cli.platforms.roles import AGENT_MIN_BUYERS, ROBOT_NAME_RE, agent_prefix
from chatlog_cli.settings import BATCH_ROWS

BANNER_TEXT: Final = "以下为一通会话"
END_TEXT: Final = "会话结束"
HEADER_RE: Final = re.compile(
    r"^(?P<sender>\S(?:.*?\S)?)[ \t]+(?P<ts>\d{4}-\d{1,2}-\d{1,2}[ T]\d{1,2}:\d{1,2}:\d{1,2})[ \t]*$"
)
_END_LINE_RE: Final = re.compile(r"^/?\**\s*会话结束(?:_?时间\s*[:：].*)?\**/?$")
_READ_CHUNK: Final = 1 << 20


def _is_end_marker(line: str) -> bool:
    return END_TEXT in line and _END_LINE_RE.match(line.strip()) is not None


@dataclass
class _Session:
    conversation_id: str
    senders: list[str] = field(default_factory=list)


class _Columns:
    """Row-wise accumulation of one batch (plain lists are the fastest thing to append to in Python)."""

    def __init__(self) -> None:
        self.conversation: list[str] = []
        self.sender: list[str] = []
        self.ts: list[str] = []
        self.content: list[str | None] = []
        self.line: list[int] = []

    def __len__(self) -> int:
        return len(self.line)


class _LogReader:
    """Line-by-line state machine: banners open sessions, headers open messages, other lines are content."""

    def __init__(self, parsed: Parsed) -> None:
        self.parsed = parsed
        self.cols = _Columns()
        self.sessions: list[_Session] = []
        self.session: _Session | None = None
        self.body: list[str] = []
        self.in_message = False
        self.messages = 0

    def take_columns(self) -> _Columns:
        cols, self.cols = self.cols, _Columns()
        return cols

    def close_message(self) -> None:
        if not self.in_message:
            return
        body = self.body
        while body and not body[-1].strip():
            body.pop()
        self.cols.content.append("\n".join(body).strip() if body else None)
        self.body = []
        self.in_message = False

    def feed(self, line_no: int, line: str) -> bool:
        """Consume one line; True when it ended a session (a safe place to cut a batch)."""
        if not line:
            if self.in_message:
                self.body.append(line)
            return False
        first = line[0]
        if (first in "/*" or END_TEXT in line or BANNER_TEXT in line) and (BANNER_TEXT in line or _is_end_marker(line)):
            self.close_message()
            self.session = None  # the next header opens a new session
            return True
        match = HEADER_RE.match(line) if first not in " \t" else None
        if match is not None:
            self.close_message()
            self._open_message(line_no, match.group("sender"), match.group("ts"))
        elif self.in_message:
            self.body.append(line)
        elif line.strip():
            self.parsed.rejects.append(
                RowReject(line_no, "outside_message", "不属于任何消息的文本行（前面没有“昵称 时间”消息头）", line)
            )
        return False

    def _open_message(self, line_no: int, sender: str, ts: str) -> None:
        session = self.session
        if session is None:
            digest = hashlib.md5(f"{sender}\x1f{ts}".encode(), usedforsecurity=False).hexdigest()
            session = self.session = _Session(f"jd-{digest[:16]}")
            self.sessions.append(session)
        if sender not in session.senders:
            session.senders.append(sender)
        cols = self.cols
        cols.conversation.append(session.conversation_id)
        cols.sender.append(sender)
        cols.ts.append(ts)
        cols.line.append(line_no)
        self.messages += 1
        self.in_message = True


@dataclass(frozen=True)
class JdLogFormat:
    """The JD chat log (one or many sessions per file, banner-delimited)."""

    name: str = "jd-log"
    platform: str = "jd"
    title: str = "京东 咚咚/京麦 聊天记录 TXT/LOG"
    recognized_by: str = (
        "文本文件，含会话开始行“/*****…以下为一通会话…*****/”，消息头为“昵称 YYYY-MM-DD HH:MM:SS”单独一行，"
        "下面是消息内容；可选结束行“会话结束_时间:…”。也可放在 ZIP 里。"
    )

    def sniff(self, sample: Sample) -> float:
        """Banners are decisive; header-shaped lines alone are a weaker hint."""
        if sample.kind != "text":
            return 0.0
        lines = sample.lines
        banners = sum(1 for line in lines if BANNER_TEXT in line)
        headers = sum(1 for line in lines if HEADER_RE.match(line))
        if banners and headers:
            return 0.98
        if banners:
            return 0.8
        if headers >= 3 and headers >= len(lines) / 4:
            return 0.55
        return 0.0

    def parse(self, sample: Sample, options: ParseOptions) -> Parsed:
        """Stream sessions into batches; roles are resolved once the whole file has been read."""
        parsed = Parsed(batches=iter(()), encoding=sample.encoding)
        parsed.batches = self._batches(sample, options, parsed)
        return parsed

    def _lines(self, sample: Sample) -> Iterator[str]:
        decoder = codecs.getincrementaldecoder(sample.encoding)(errors="strict")
        pending = ""
        line_no = 0
        with sample.source.open() as handle:
            while True:
                chunk = handle.read(_READ_CHUNK)
                try:
                    text = pending + decoder.decode(chunk, final=not chunk)
                except UnicodeDecodeError:
                    raise EncodingError(
                        f"{sample.source.label}：第 {line_no + pending.count(chr(10)) + 1} 行附近不是 "
                        f"{sample.encoding} 编码（文件可能混合了两种编码）。请用 --encoding 指定编码后重试。"
                    ) from None
                # Keep a trailing CR back so a CRLF split across two chunks stays one line end.
                hold = "\r" if chunk and text.endswith("\r") else ""
                lines = clean_text(text[: len(text) - len(hold)]).split("\n")
                pending = lines.pop() + hold if chunk else ""
                line_no += len(lines)
                yield from lines
                if not chunk:
                    return

    def _batches(self, sample: Sample, options: ParseOptions, parsed: Parsed) -> Iterator[pa.RecordBatch]:
        reader = _LogReader(parsed)
        for line_no, line in enumerate(self._lines(sample), start=1):
            if reader.feed(line_no, line) and len(reader.cols) >= BATCH_ROWS:
                yield self._batch(reader.take_columns(), sample.source.label, options)
        reader.close_message()
        if len(reader.cols):
            yield self._batch(reader.take_columns(), sample.source.label, options)
        parsed.stats.rows_read += reader.messages + len(parsed.rejects)
        parsed.roles = resolve_roles(reader.sessions)
        parsed.stats.notes.append(f"会话 {len(reader.sessions)} 通")

    def _batch(self, cols: _Columns, label: str, options: ParseOptions) -> pa.RecordBatch:
        n = len(cols)
        sender = pa.array(cols.sender, pa.string())
        content = pa.array(cols.content, pa.string())
        conversation = pa.array(cols.conversation, pa.string())
        msg_type = content_rules.classify(content)
        is_robot = pc.match_substring_regex(sender, ROBOT_NAME_RE.pattern)
        role = pc.if_else(is_robot, pa.scalar("bot"), pa.scalar("unknown"))
        nulls = pa.nulls(n, pa.string())
        return pa.RecordBatch.from_arrays(
            [
                pa.array([self.platform] * n, pa.string()),
                pa.array([options.shop] * n, pa.string()),
                conversation,
                parse_times(pa.array(cols.ts, pa.string())),
                role,
                sender,
                nulls,
                nulls,
                nulls,
                msg_type,
                content,
                content_rules.extract_order_ids(content, msg_type),
                content_rules.extract_product_ids(content, msg_type),
                pa.array([label] * n, pa.string()),
                pa.array(cols.line, pa.int64()),
                nulls,
                conversation,
            ],
            schema=s.STAGING_SCHEMA,
        )


def resolve_roles(sessions: list[_Session]) -> pa.Table:
    """Roles per (session, sender), inferred over the whole file.

    Order (FORMATS.md): robots by name; agents = senders seen in sessions of at least
    `AGENT_MIN_BUYERS` different buyers, plus senders sharing such an agent's `店铺前缀-`; the buyer = the
    first speaker who is neither; anyone else stays `unknown`.
    """
    robots = {x for ses in sessions for x in ses.senders if ROBOT_NAME_RE.search(x)}

    def first_human(ses: _Session, exclude: set[str]) -> str | None:
        return next((x for x in ses.senders if x not in robots and x not in exclude), None)

    buyers_of: dict[str, set[str]] = defaultdict(set)
    for ses in sessions:
        candidate = first_human(ses, set())
        for sender in ses.senders:
            if candidate is not None and sender != candidate:
                buyers_of[sender].add(candidate)
    recurring = {x for x, buyers in buyers_of.items() if len(buyers) >= AGENT_MIN_BUYERS and x not in robots}
    prefixes = {p for p in map(agent_prefix, recurring) if p}
    agents = recurring | {x for ses in sessions for x in ses.senders if x not in robots and agent_prefix(x) in prefixes}
    rows: dict[str, list[str | None]] = {"conversation_id": [], "sender": [], "sender_role": [], "buyer": []}
    for ses in sessions:
        buyer = first_human(ses, agents)
        for sender in ses.senders:
            role = (
                "bot"
                if sender in robots
                else "agent"
                if sender in agents
                else "buyer"
                if sender == buyer
                else "unknown"
            )
            rows["conversation_id"].append(ses.conversation_id)
            rows["sender"].append(sender)
            rows["sender_role"].append(role)
            rows["buyer"].append(buyer)
    return pa.table(rows, schema=pa.schema([(k, pa.string()) for k in rows]))


FORMATS = (JdLogFormat(),)
