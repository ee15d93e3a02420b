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

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from chatlog_cli.io.arrow_text import rows_containing, rows_ending_in
from chatlog_cli.platforms.base import Parsed, ParseOptions, RowReject, Sample
from chatlog_cli.platforms.roles import AGENT_MIN_BUYERS, ROBOT_NAME_RE, agent_prefix
from chatlog_cli.platforms.staging import text_export_batch
from chatlog_cli.platforms.text_lines import (
    STAMP_BYTES,
    LineBytes,
    built_ahead,
    content_of,
    lines_array,
    matches,
    regex_rows,
    scan_file,
    stamps_at,
    substrings,
)
from chatlog_cli.schema import empty_table

BANNER_TEXT: Final = "以下为一通会话"
HEADER_RE: Final = re.compile(
    r"^(?P<sender>\S(?:.*?\S)?)[ \t]+(?P<ts>\d{4}-\d{1,2}-\d{1,2}[ T]\d{1,2}:\d{1,2}:\d{1,2})[ \t]*$"
)
# Structural lines (RE2 patterns, applied to whole Arrow arrays of lines): banners, end markers, headers.
_BANNER_BYTES: Final = BANNER_TEXT.encode()
_END_PATTERN: Final = r"^[ \t]*/?\**[ \t]*会话结束(?:_?时间[ \t]*[:：].*)?\**/?[ \t]*$"
_HEADER_PATTERN: Final = (
    r"^(?P<sender>[^ \t](?:.*?[^ \t])?)[ \t]+(?P<ts>\d{4}-\d{1,2}-\d{1,2}[ T]\d{1,2}:\d{1,2}:\d{1,2})[ \t]*$"
)


# Who speaks in each session of a log, in order of first appearance: what role inference works from.
SESSION_SENDERS_SCHEMA: Final = pa.schema(
    [("session", pa.int64()), ("conversation_id", pa.string()), ("sender", pa.string())]
)


@dataclass
class _Messages:
    """One batch of parsed messages, as Arrow arrays."""

    conversation: pa.Array
    sender: pa.Array
    ts: pa.Array
    content: pa.Array
    line: pa.Array

    def __len__(self) -> int:
        return len(self.line)


class _LogScanner:
    """Finds the structure of the log in arrays of lines: whole chunks are classified by RE2 at once.

    Lines from the last structural line of a chunk onward are handed back and scanned again with the next
    chunk, because that line's message may continue there.
    """

    def __init__(self, parsed: Parsed) -> None:
        self.parsed = parsed
        self.conversation_ids: list[str] = []  # per session, in file order (a repeated session repeats its id)
        self.session: int | None = None  # the number of the session open before the next structural line
        self.senders: list[pa.Table] = []  # (session, sender, first) per chunk: who speaks in each session
        self.headers = 0  # message headers scanned so far (orders the senders' first appearances)
        self.messages = 0

    def scan(self, data: bytes, first_line: int, final: bool) -> tuple[bytes, int, _Messages | None]:
        """Parse complete messages in UTF-8 `data`; return (carried bytes, their first line number, messages)."""
        if not data:
            return b"", first_line, None
        array, starts = lines_array(data)
        banner = np.zeros(len(array), dtype=bool)
        banner[rows_containing(array, _BANNER_BYTES)] = True
        end = matches(array, "会话结束", _END_PATTERN) & ~banner
        # A header ends in its time stamp (then maybe blanks): the regex runs on such lines only (about half).
        # Matching is a fast DFA scan; extracting sender and time (slower) is done for header lines only.
        header_mask = np.zeros(len(array), dtype=bool)
        header_mask[regex_rows(array, rows_ending_in(array, b"0123456789 \t"), _HEADER_PATTERN)] = True
        header_mask &= ~(banner | end)
        structural = header_mask | banner | end
        positions = np.flatnonzero(structural)
        if final:
            stop = len(array)
        elif len(positions) == 0:
            return data, first_line, None
        else:
            stop = int(positions[-1])
            positions = positions[:-1]
        kinds_are_header = header_mask[positions]
        # Each line belongs to the structural line at or before it (-1: before any, in this range).
        owner = np.cumsum(structural[:stop]) - 1
        content_rows = np.flatnonzero(~structural[:stop])
        content_owner = owner[content_rows]
        self._reject_orphans(array, content_rows, content_owner, kinds_are_header, first_line)
        messages = self._messages(array, positions, kinds_are_header, content_rows, content_owner, first_line)
        carry = data[int(starts[stop]) :] if stop < len(array) else b""
        return carry, first_line + stop, messages

    def _reject_orphans(
        self, array: pa.Array, rows: np.ndarray, owner: np.ndarray, owner_is_header: np.ndarray, first_line: int
    ) -> None:
        orphan = rows[(owner < 0) | ~owner_is_header[np.maximum(owner, 0)]] if len(owner_is_header) else rows
        if len(orphan) == 0:
            return
        texts = pc.take(array, pa.array(orphan)).to_pylist()
        for row, text in zip(orphan.tolist(), texts, strict=True):
            if text and text.strip():
                self.parsed.rejects.append(
                    RowReject(
                        first_line + row, "outside_message", "不属于任何消息的文本行（前面没有“昵称 时间”消息头）", text
                    )
                )

    def _messages(
        self,
        array: pa.Array,
        positions: np.ndarray,
        kinds_are_header: np.ndarray,
        content_rows: np.ndarray,
        content_owner: np.ndarray,
        first_line: int,
    ) -> _Messages | None:
        header_rows = positions[kinds_are_header]
        if len(header_rows) == 0:
            self._track_session_state(kinds_are_header)
            return None
        senders, stamps = _split_headers(array, header_rows)
        # Content: the lines owned by each header, joined (a list array over the content lines in order).
        struct_index_of_header = np.flatnonzero(kinds_are_header)
        keep = np.isin(content_owner, struct_index_of_header)
        owned_rows, owned_by = content_rows[keep], content_owner[keep]
        offsets = np.searchsorted(owned_by, struct_index_of_header, side="left")
        offsets = np.append(offsets, len(owned_rows)).astype(np.int32)
        pieces = pc.take(array, pa.array(owned_rows, pa.int64()))
        joined = pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), pieces), "\n")
        content = content_of(joined)
        conversation = self._conversations(kinds_are_header, senders, stamps)
        self.messages += len(header_rows)
        return _Messages(conversation, senders, stamps, content, pa.array(header_rows + first_line, pa.int64()))

    def _conversations(self, kinds_are_header: np.ndarray, senders: pa.Array, stamps: pa.Array) -> pa.Array:
        """Session per header: a header opens a session when the structural line before it is not a header."""
        previous_is_header = np.concatenate(([self.session is not None], kinds_are_header[:-1]))
        opens = (kinds_are_header & ~previous_is_header)[kinds_are_header]
        opening = pa.array(opens)
        first_new = len(self.conversation_ids)
        for sender, stamp in zip(
            pc.filter(senders, opening).to_pylist(), pc.filter(stamps, opening).to_pylist(), strict=True
        ):
            digest = hashlib.md5(f"{sender}\x1f{stamp}".encode(), usedforsecurity=False)
            self.conversation_ids.append(f"jd-{digest.hexdigest()[:16]}")
        # Global session number of each header; headers before this chunk's first opening one continue the
        # session left open by the previous chunk.
        opened = np.cumsum(opens)
        numbers = np.where(opened == 0, -1 if self.session is None else self.session, first_new - 1 + opened)
        low = int(numbers[0])
        conversation = pc.take(pa.array(self.conversation_ids[low:], pa.string()), pa.array(numbers - low))
        # Distinct senders per session with their first appearance (far fewer pairs than messages).
        order = np.arange(self.headers, self.headers + len(numbers))
        self.headers += len(numbers)
        pairs = pa.table({"session": numbers, "sender": senders, "first": order})
        self.senders.append(pairs.group_by(["session", "sender"], use_threads=False).aggregate([("first", "min")]))
        if len(kinds_are_header):
            self.session = int(numbers[-1]) if kinds_are_header[-1] else None
        return conversation

    def _track_session_state(self, kinds_are_header: np.ndarray) -> None:
        if len(kinds_are_header) and not kinds_are_header[-1]:
            self.session = None

    def session_senders(self) -> pa.Table:
        """(session, conversation_id, sender) for every sender of every session, in order of first appearance."""
        if not self.senders:
            return empty_table(SESSION_SENDERS_SCHEMA)
        merged = pa.concat_tables(self.senders)
        firsts = merged.group_by(["session", "sender"], use_threads=False).aggregate([("first_min", "min")])
        firsts = firsts.sort_by("first_min_min")
        sessions = firsts["session"]
        ids = pc.take(pa.array(self.conversation_ids, pa.string()), sessions)
        return pa.table([sessions, ids, firsts["sender"]], schema=SESSION_SENDERS_SCHEMA)


def _split_headers(lines: pa.Array, rows: np.ndarray) -> tuple[pa.Array, pa.Array]:
    """Sender and time stamp of header lines (rows of `lines` known to match `_HEADER_PATTERN`).

    Nearly every header ends in a blank and an ASCII `YYYY-MM-DD HH:MM:SS`: then that is the stamp and the
    sender is what comes before it, blanks trimmed, exactly what the pattern captures, found by position
    (~5x cheaper than extracting with the regex). Other shapes (one-digit fields, trailing blanks) use the regex.
    """
    raw = LineBytes.of(lines)
    starts, ends = raw.starts[rows], raw.ends[rows]
    at = ends - STAMP_BYTES
    blank = raw.at(np.maximum(at - 1, starts), ends)
    shaped = (at - 1 > starts) & ((blank == 0x20) | (blank == 0x09)) & stamps_at(raw, at, ends)
    cut = np.where(shaped, at, starts)  # other rows: empty ranges (substrings needs them in order, not overlapping)
    senders = pc.utf8_rtrim(substrings(lines, starts, np.where(shaped, at - 1, starts)), characters=" \t")
    stamps = substrings(lines, cut, np.where(shaped, ends, starts))
    if shaped.all():
        return senders, stamps
    odd = ~shaped
    taken = pc.extract_regex(pc.take(lines, pa.array(rows[odd])), _HEADER_PATTERN)
    mask = pa.array(odd)
    senders = pc.replace_with_mask(senders, mask, pc.struct_field(taken, "sender"))
    return senders, pc.replace_with_mask(stamps, mask, pc.struct_field(taken, "ts"))


@dataclass(frozen=True)
class JdLogFormat:
    """The JD chat log (one or many sessions per file, banner-delimited)."""

    name: str = "jd-log"
    platform: str = "jd"
    title: str = "京东 咚咚/京麦 聊天记录 TXT/LOG"
    infers_agents: bool = True  # agents serve several buyers (`resolve_roles`)
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
        parsed = Parsed(batches=iter(()), encoding=sample.encoding, roles_to_come=True)
        parsed.batches = self._batches(sample, options, parsed)
        return parsed

    def _batches(self, sample: Sample, options: ParseOptions, parsed: Parsed) -> Iterator[pa.RecordBatch]:
        scanner = _LogScanner(parsed)
        yield from built_ahead(
            scan_file(sample, scanner.scan), lambda found: self._batch(found, sample.source.label, options)
        )
        parsed.stats.rows_read += scanner.messages + len(parsed.rejects)
        parsed.roles = resolve_roles(scanner.session_senders(), options.known_agents)
        parsed.stats.notes.append(f"会话 {len(scanner.conversation_ids)} 通")

    def _batch(self, found: _Messages, label: str, options: ParseOptions) -> pa.RecordBatch:
        is_robot = pc.match_substring_regex(found.sender, ROBOT_NAME_RE.pattern)
        return text_export_batch(
            platform=self.platform,
            shop=options.shop,
            label=label,
            lines=found.line,
            stamps=found.ts,
            senders=found.sender,
            roles=pc.if_else(is_robot, pa.scalar("bot"), pa.scalar("unknown")),  # the rest: resolve_roles
            content=found.content,
            thread=found.conversation,
            conversation=found.conversation,
        )


def resolve_roles(senders: pa.Table, known_agents: frozenset[str] = frozenset()) -> pa.Table:
    """Roles per (session, sender), inferred over the whole file from `SESSION_SENDERS_SCHEMA` rows.

    Order (FORMATS.md): robots by name; agents = senders seen in sessions of at least
    `AGENT_MIN_BUYERS` different buyers, in this file or before (`known_agents`: stored as agents), plus
    senders sharing such an agent's `店铺前缀-`; the buyer = the first speaker who is neither; anyone else
    stays `unknown`. Senders are worked on as dictionary codes, sessions as positions: a 1M-message log has
    ~100k sessions and ~200k (session, sender) pairs.
    """
    encoded = pc.dictionary_encode(senders["sender"]).combine_chunks()
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    names = encoded.dictionary.to_pylist()
    _, session = np.unique(senders["session"].to_numpy(), return_inverse=True)
    sessions = int(session.max()) + 1 if len(session) else 0
    robot = np.array([ROBOT_NAME_RE.search(x) is not None for x in names], dtype=bool)

    def first_in_session(rows: np.ndarray) -> np.ndarray:
        """Per session, the code of its first sender among `rows` (a mask), or -1."""
        first = np.full(sessions, -1, dtype=np.int64)
        positions = np.flatnonzero(rows)
        found, index = np.unique(session[positions], return_index=True)
        first[found] = codes[positions[index]]
        return first

    candidate = first_in_session(~robot[codes])[session]
    paired = (candidate >= 0) & (codes != candidate)
    pairs = np.unique(codes[paired] * len(names) + candidate[paired])
    buyers_met = np.bincount(pairs // max(len(names), 1), minlength=len(names))
    known = np.array([x in known_agents for x in names], dtype=bool)
    recurring = ((buyers_met >= AGENT_MIN_BUYERS) | known) & ~robot
    prefix = [agent_prefix(x) for x in names]
    prefixes = {prefix[i] for i in np.flatnonzero(recurring)} - {None}
    agents = recurring | (np.array([p in prefixes for p in prefix], dtype=bool) & ~robot)
    buyer = first_in_session(~robot[codes] & ~agents[codes])[session]
    role = np.select(
        [robot[codes], agents[codes], codes == buyer], ["bot", "agent", "buyer"], default="unknown"
    ).astype(object)
    buyer_names = pa.array([names[b] if b >= 0 else None for b in buyer.tolist()], pa.string())
    # A session repeated in one file has the same id: one row per (conversation, sender), the first.
    conversations = pc.dictionary_encode(senders["conversation_id"]).combine_chunks().indices.to_numpy()
    _, keep = np.unique(conversations.astype(np.int64) * len(names) + codes, return_index=True)
    keep = pa.array(np.sort(keep))
    return pa.table(
        {
            "conversation_id": pc.take(senders["conversation_id"], keep),
            "sender": pc.take(senders["sender"], keep),
            "sender_role": pc.take(pa.array(role, pa.string()), keep),
            "buyer": pc.take(buyer_names, keep),
        }
    )


FORMATS = (JdLogFormat(),)
