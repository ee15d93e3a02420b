"""What every export format provides: content sniffing and parsing into `STAGING_SCHEMA` batches."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal, Protocol

import pyarrow as pa

from chatlog_cli.errors import DamagedTextError, InputFileError
from chatlog_cli.io.decode import clean_text, detect_encoding, normalize_encoding_name
from chatlog_cli.io.sources import Source
from chatlog_cli.io.tabular import CsvSheet, Sheet, workbook_sheets
from chatlog_cli.settings import DEFAULT_SESSION_GAP_MINUTES, SNIFF_BYTES

FileKind = Literal["text", "workbook", "html", "binary", "empty"]


@dataclass(frozen=True)
class ParseOptions:
    """User choices that affect parsing."""

    shop: str | None = None
    encoding: str | None = None
    session_gap_minutes: int = DEFAULT_SESSION_GAP_MINUTES
    # Senders the store already holds as this platform's agents (and those earlier files of the run added):
    # evidence for formats that infer agents (`ExportFormat.infers_agents`). Set by the importer.
    known_agents: frozenset[str] = frozenset()


@dataclass(frozen=True)
class RowReject:
    """A row or line that could not become a message. `raw` is kept in the store, never printed."""

    source_line: int
    reason_code: str
    reason: str
    raw: str | None = None
    source_file: str | None = None  # defaults to the file being imported (set for workbook sheets)


@dataclass
class ParseStats:
    """Counters a parser fills while its batches are consumed."""

    rows_read: int = 0
    damaged_ids: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    unknown_columns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Parsed:
    """A parse in progress: consume `batches` first; `rejects`, `stats` and `roles` are final after."""

    batches: Iterator[pa.RecordBatch]
    encoding: str | None
    rejects: list[RowReject] = field(default_factory=list)
    stats: ParseStats = field(default_factory=ParseStats)
    # Optional late role resolution (conversation_id, sender, sender_role, buyer), for formats whose roles
    # depend on the whole file (JD logs); applied by the store to rows staged as `unknown`.
    roles: pa.Table | None = None
    roles_to_come: bool = False  # `roles` will be set once the batches are consumed: no row is final before
    # What the batches hold: messages (`STAGING_SCHEMA`) or session metadata (`SESSION_STAGING_SCHEMA`).
    kind: Literal["messages", "sessions"] = "messages"


class Sample:
    """The beginning of a file, decoded lazily, for sniffing: text lines or spreadsheet header rows."""

    def __init__(self, source: Source, encoding: str | None = None) -> None:
        self.source = source
        self._encoding_override = normalize_encoding_name(encoding) if encoding else None
        self.head = source.head(SNIFF_BYTES)
        self.complete = len(self.head) < SNIFF_BYTES

    @cached_property
    def kind(self) -> FileKind:
        """What the bytes are, whatever the file name says."""
        head = self.head
        if not head.strip():
            return "empty"
        if head.startswith(b"PK\x03\x04") or head.startswith(b"\xd0\xcf\x11\xe0"):
            return "workbook"  # XLSX/ODS (ZIP) or XLS (OLE2)
        probe = head[:2048].lstrip(b"\xef\xbb\xbf").lstrip().lower()
        if probe.startswith((b"<html", b"<!doctype html", b"<table", b"<?xml")) and b"<t" in probe:
            return "html"
        if self._encoding_override is None and b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
            return "binary"
        try:
            _ = self.encoding
        except DamagedTextError:
            raise  # text, with bytes to name; not "binary"
        except InputFileError:
            return "binary"
        return "text"

    @cached_property
    def encoding(self) -> str:
        """The text encoding (override, BOM, strict UTF-8, then GB18030)."""
        if self._encoding_override:
            return self._encoding_override
        return detect_encoding(self.head, complete=self.complete, file_label=self.source.label)

    @cached_property
    def text(self) -> str:
        """The decoded, cleaned head of a text file ('' for other kinds)."""
        if self.kind != "text":
            return ""
        return clean_text(self.head.decode(self.encoding, errors="replace"))

    @cached_property
    def lines(self) -> list[str]:
        """The first non-blank lines of a text file."""
        return [line for line in self.text.split("\n")[:200] if line.strip()]

    @cached_property
    def sheets(self) -> list[Sheet]:
        """Tables to sniff: the CSV itself, or the visible worksheets of a workbook."""
        if self.kind == "workbook":
            return list(workbook_sheets(self.source))
        if self.kind == "text":
            return [CsvSheet(self.source, self.encoding)]
        return []

    def describe(self) -> str:
        """What was seen, for 'format not recognised' errors: header cells, or line shapes (no content)."""
        if self.kind == "empty":
            return "文件是空的"
        if self.kind == "binary":
            return "文件不是文本，也不是 Excel（二进制内容）"
        if self.kind == "html":
            return (
                "文件其实是网页（HTML 表格，常见于后台导出的 .xls），不是真正的 Excel；"
                "请用 Excel 打开后“另存为” .xlsx 再导入"
            )
        if self.kind == "workbook":
            parts = []
            for sheet in self.sheets[:3]:
                rows = [r for r in sheet.preview() if any(r)]
                # The fullest of the first rows is most likely the header (title rows have one cell).
                widest = max(rows, key=lambda r: sum(1 for c in r if c)) if rows else []
                cells = "、".join(c for c in widest if c)[:200] or "（空）"
                parts.append(f"工作表“{sheet.name}”的表头行：{cells}")
            return "；".join(parts) or "工作簿里没有可见的工作表"
        text_rows = self.sheets[0].preview() if self.sheets else []
        header = [c for c in text_rows[0] if c] if text_rows else []
        if len(header) >= 3 and not any(re.search(r"\d{5}", c) for c in header):
            return "第一行（表头）是：" + "、".join(header)[:300]
        first = [_line_shape(line) for line in self.lines[:3]]
        return "前几行的样子（只显示结构：数字记作 9，字母记作 a，汉字记作 字）：" + " | ".join(first)


def _line_shape(line: str) -> str:
    # Shape, not content: no phone number, name or address may leak into an error message.
    shape = re.sub(r"\d", "9", line.strip())
    shape = re.sub(r"[A-Za-z]", "a", shape)
    return re.sub(r"[\u3400-\u9fff]", "字", shape)[:40]


class ExportFormat(Protocol):
    """One export shape of one platform."""

    @property
    def name(self) -> str:
        """Registry key and `--format` value, e.g. `jd-log`."""
        ...

    @property
    def platform(self) -> str:
        """Value of the `platform` column, e.g. `jd`."""
        ...

    @property
    def title(self) -> str:
        """Human name, e.g. `京东 咚咚/京麦 聊天记录 TXT/LOG`."""
        ...

    @property
    def recognized_by(self) -> str:
        """How detection recognises it (shown by `chatlog formats` and in detection errors)."""
        ...

    @property
    def infers_agents(self) -> bool:
        """Whether agents are inferred from who they talk to (then `ParseOptions.known_agents` is filled)."""
        ...

    def sniff(self, sample: Sample) -> float:
        """Confidence 0..1 that the sample is this format."""
        ...

    def parse(self, sample: Sample, options: ParseOptions) -> Parsed:
        """Start parsing; rows come out of `Parsed.batches` in `STAGING_SCHEMA`."""
        ...
