"""Finding personal data left in files before they are published (`chatlog scan`).

Reads a chatlog store, Parquet, CSV, Excel, JSON Lines or text files, or folders of them (an archive), and
reports every cell in which `detect.find_pii` finds something: file, row, column, kind and the *masked* value.
Nothing here prints, and no raw value leaves this module: hits carry masked values, and file, sheet and
column names are masked where they themselves hold personal data.

Speed: a cheap vectorized test (`prefilter`) drops the cells no detector can fire on, and each distinct value
of a batch is detected once. What counts as a cell, and how rows are numbered, is in `scan_readers`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import pyarrow as pa
import pyarrow.compute as pc

from chatlog_cli.errors import ChatlogError, UsageError
from chatlog_cli.io.sources import Source, display_member_name
from chatlog_cli.redact import prefilter
from chatlog_cli.redact.detect import Finding, find_pii
from chatlog_cli.redact.kinds import KINDS, LABELS
from chatlog_cli.redact.replace import PERSON_TOKEN_HEX, TOKEN_PREFIXES, mask_value
from chatlog_cli.redact.scan_readers import SYSTEM_FILES, ZIP, Cells, read_cells, sniff, zip_members
from chatlog_cli.store.store import MARKER, Store

FILE_NAME_COLUMN: Final = "(文件名)"
STORE_FORMAT: Final = "store"

# Hash ids (the store's message and conversation ids, the import log's SHA-256): hex digits only, so runs of
# decimal digits inside them look like phone numbers about once in a thousand ids.
_DIGEST: Final = r"^(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{40}|[0-9a-fA-F]{64})$"
# chatlog's pseudonyms for people and file names (`Redactor.person_token`): hex digits after a prefix, not a number.
_PERSON_TOKEN: Final = re.compile(rf"(?:{'|'.join(TOKEN_PREFIXES)})_[0-9a-f]{{{PERSON_TOKEN_HEX}}}(?![0-9A-Za-z])")
_JSON_ESCAPE: Final = re.compile(r"\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})|\\u([0-9a-f]{4})", re.IGNORECASE)

ProgressCallback = Callable[[str, int], None]


@dataclass(frozen=True, slots=True)
class Hit:
    """One piece of personal data in a file, located and masked.

    `row` is 1-based: the Parquet row, the spreadsheet row as Excel shows it, or the line of a JSONL or text
    file; None for a file name, a Parquet column name or a value of a JSON document. `column` is the Parquet
    column (`extra`, `tags[]`), the spreadsheet column letter, the JSON key path, `(文件名)`, or None for a
    text line.
    """

    file: str
    row: int | None
    column: str | None
    kind: str
    masked: str
    sheet: str | None = None

    @property
    def label(self) -> str:
        """The kind as shop owners read it (手机号, 身份证 …)."""
        return LABELS[self.kind]


@dataclass(slots=True)
class FileSummary:
    """What was read in one file and what was found there."""

    file: str
    format: str
    cells: int = 0
    hits: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True, slots=True)
class FileProblem:
    """A file that could not be read (completely): it is not vouched for."""

    file: str
    message: str


@dataclass(slots=True)
class ScanReport:
    """Hits (up to the requested number), counts per kind and per file, and files that could not be read."""

    files: list[FileSummary] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    problems: list[FileProblem] = field(default_factory=list)
    stopped_early: bool = False

    @property
    def hits_by_kind(self) -> Counter[str]:
        """Hits per kind over all files."""
        total: Counter[str] = Counter()
        for summary in self.files:
            total.update(summary.hits)
        return total

    @property
    def total_hits(self) -> int:
        """All hits, listed or not."""
        return sum(self.hits_by_kind.values())

    @property
    def cells(self) -> int:
        """Cells, values and lines read."""
        return sum(s.cells for s in self.files)

    @property
    def limited(self) -> bool:
        """True when more hits were counted than listed."""
        return self.total_hits > len(self.hits)

    @property
    def clean(self) -> bool:
        """Nothing found, and every file was read."""
        return self.total_hits == 0 and not self.problems


def parse_kinds(names: Iterable[str]) -> tuple[str, ...]:
    """Kinds from names (`phone`) or labels (`手机号`); a UsageError names the valid ones."""
    by_label = {label: kind for kind, label in LABELS.items()}
    kinds: list[str] = []
    for name in (n.strip() for n in names if n.strip()):
        kind = name.lower() if name.lower() in KINDS else by_label.get(name)
        if kind is None:
            valid = "、".join(f"{k}（{LABELS[k]}）" for k in KINDS)
            raise UsageError(f"不认识的类型“{name}”。可用：{valid}。")
        if kind not in kinds:
            kinds.append(kind)
    return tuple(kinds)


def scan_paths(
    paths: Sequence[str | Path],
    *,
    kinds: Iterable[str] | None = None,
    keep: int | None = None,
    first_only: bool = False,
    on_progress: ProgressCallback | None = None,
) -> ScanReport:
    """Scan files and folders (stores, archives) for personal data.

    Args:
        paths: files, folders or chatlog store directories.
        kinds: only these kinds (default: all).
        keep: list at most this many hits in the report (all are counted); None keeps all.
        first_only: stop at the first hit (for a yes/no answer).
        on_progress: called with a file's (masked) name and the cells read in it so far.
    """
    scanner = _Scanner(parse_kinds(kinds) if kinds is not None else KINDS, keep, first_only, on_progress)
    try:
        for path in _unique(Path(p) for p in paths):
            scanner.scan_path(path)
    except _Stop:
        scanner.report.stopped_early = True
    return scanner.report


def masked_text(text: str) -> str:
    """`text` with any personal data in it masked (for file, sheet and column names shown to the user)."""
    findings = find_pii(text)
    for f in reversed(findings):
        text = text[: f.start] + mask_value(f.kind, f.value) + text[f.end :]
    return text


# --- walking the inputs ---------------------------------------------------------------------------------------------


class _Stop(Exception):
    """The first hit was found and that is all that was asked."""


def _unique(paths: Iterable[Path]) -> Iterator[Path]:
    seen: set[Path] = set()
    for path in paths:
        resolved = path.resolve()
        if resolved not in seen:
            seen.add(resolved)
            yield path


class _Scanner:
    def __init__(
        self, kinds: tuple[str, ...], keep: int | None, first_only: bool, on_progress: ProgressCallback | None
    ) -> None:
        self.kinds = kinds
        self.pattern = prefilter.pattern_for(kinds)
        self.keep = keep
        self.first_only = first_only
        self.on_progress = on_progress
        self.report = ScanReport()
        self._labels: dict[str, str] = {}
        self._folders: set[Path] = set()

    def safe(self, text: str) -> str:
        """A name as it may be shown: personal data in it masked."""
        if text not in self._labels:
            self._labels[text] = masked_text(text)
        return self._labels[text]

    def scan_path(self, path: Path) -> None:
        if path.is_dir():
            if (path / MARKER).is_file():
                self.scan_store(path)
            else:
                self.scan_folder(path)
        else:
            self.scan_file(Source(path), path.name)

    def scan_folder(self, folder: Path) -> None:
        resolved = folder.resolve()
        if resolved in self._folders:  # a symlink loop, or a folder given twice
            return
        self._folders.add(resolved)
        try:
            entries = sorted(folder.iterdir())
        except OSError as exc:
            self.problem(str(folder), f"无法读取文件夹（{exc.strerror}）。请检查读取权限。")
            return
        for entry in entries:
            if entry.name in SYSTEM_FILES:
                continue
            if entry.is_dir():
                self.scan_subfolder(entry)
            else:
                self.scan_file(Source(entry), entry.name)

    def scan_subfolder(self, folder: Path) -> None:
        self.scan_name(str(folder), folder.name)
        if (folder / MARKER).is_file():
            self.scan_store(folder)
        else:
            self.scan_folder(folder)

    def scan_store(self, root: Path) -> None:
        """Every committed Parquet file of a store: messages, sessions, rejects and the import log."""
        store = Store(root)
        try:
            files = [*store.message_files(), *store.session_files(), *store.reject_files()]
        except (OSError, pa.ArrowException):
            self.problem(
                str(store.import_log_path),
                "数据目录的导入记录无法读取，无法确定哪些文件属于数据目录。请先运行 chatlog info 检查该目录。",
            )
            return
        if store.import_log_path.exists():
            files.append(store.import_log_path)
        for path in files:
            self.scan_file(Source(path), None)

    def scan_file(self, source: Source, name: str | None) -> None:
        """One file (or ZIP member); `name` is the part of its path to check for personal data too."""
        label = self.safe(source.label)
        summary = FileSummary(label, "")
        self.report.files.append(summary)
        if name is not None:
            self.scan_cells(summary, Cells(pa.array([name]), None, FILE_NAME_COLUMN), count=False)
        try:
            sniffed = sniff(source)
            summary.format = sniffed.format
            if sniffed.format == ZIP:
                for member in zip_members(source):
                    self.scan_file(member, display_member_name(member.member or ""))
                return
            for cells in read_cells(source, sniffed):
                self.scan_cells(summary, cells)
                if self.on_progress is not None:
                    self.on_progress(label, summary.cells)
        except ChatlogError as exc:
            summary.format = summary.format or "unreadable"
            self.report.problems.append(FileProblem(label, self.safe(exc.message)))
        except OSError as exc:
            summary.format = summary.format or "unreadable"
            self.problem(source.label, f"读取中断（{exc.strerror or type(exc).__name__}）。请检查文件后重试。")

    def scan_name(self, label: str, name: str) -> None:
        summary = FileSummary(self.safe(label), "folder")
        self.scan_cells(summary, Cells(pa.array([name]), None, FILE_NAME_COLUMN), count=False)
        if summary.hits:
            self.report.files.append(summary)

    def problem(self, label: str, message: str) -> None:
        safe = self.safe(label)
        self.report.problems.append(FileProblem(safe, self.safe(f"{label}：{message}")))

    def scan_cells(self, summary: FileSummary, cells: Cells, *, count: bool = True) -> None:
        if count:  # file names are checked, but they are not cells
            summary.cells += len(cells.values) - cells.values.null_count
        found = sorted(
            ((cells.row_at(i) or 0, i, f) for i, findings in findings_in(cells.values, self.pattern, self.kinds)
             for f in findings),
            key=lambda item: (item[0], item[1]),
        )  # fmt: skip
        for _, index, finding in found:
            summary.hits[finding.kind] += 1
            if self.keep is None or len(self.report.hits) < self.keep:
                self.report.hits.append(self.hit(summary.file, cells, index, finding))
            if self.first_only:
                raise _Stop

    def hit(self, file: str, cells: Cells, index: int, finding: Finding) -> Hit:
        column = cells.column_at(index)
        return Hit(
            file=file,
            row=cells.row_at(index),
            column=None if column is None else self.safe(column),
            kind=finding.kind,
            masked=mask_value(finding.kind, finding.value),
            sheet=None if cells.sheet is None else self.safe(cells.sheet),
        )


# --- detecting -----------------------------------------------------------------------------------------------------


def findings_in(values: pa.Array, pattern: str, kinds: Iterable[str]) -> Iterator[tuple[int, list[Finding]]]:
    """(index, findings) for each value of a string array in which the detectors find something.

    Values the prefilter rules out and hash ids are dropped with vectorized tests; the detectors then run once
    per distinct remaining value, and only the rows holding a value with findings are visited in Python.
    """
    candidates = prefilter.may_contain(values, pattern)
    if not pc.any(candidates).as_py():
        return
    indices = pc.indices_nonzero(candidates)
    texts = values.filter(candidates)
    not_digest = pc.invert(pc.fill_null(pc.match_substring_regex(texts, _DIGEST), False))
    indices, texts = indices.filter(not_digest), texts.filter(not_digest)
    wanted = tuple(kinds)
    found: dict[str, list[Finding]] = {}
    for text in pc.unique(texts).to_pylist():
        findings = find_pii(_detectable(text), wanted)
        if findings:
            found[text] = findings
    if not found:
        return
    positive = pc.is_in(texts, value_set=pa.array(list(found), pa.string()))
    for index, text in zip(indices.filter(positive).to_pylist(), texts.filter(positive).to_pylist(), strict=True):
        yield index, found[text]


def _detectable(text: str) -> str:
    """The text the detectors see: JSON escapes (ensure_ascii) decoded, chatlog's person pseudonyms blanked."""
    if "\\" in text:
        text = _JSON_ESCAPE.sub(_unescape, text)
    if "_" in text:
        text = _PERSON_TOKEN.sub("·", text)
    return text


def _unescape(match: re.Match[str]) -> str:
    if match.group(3) is not None:
        return chr(int(match.group(3), 16))
    high, low = int(match.group(1), 16), int(match.group(2), 16)
    return chr(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
