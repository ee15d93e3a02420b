"""`chatlog import` as a library call: files in, an import report out. Never prints."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import importlib
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, Protocol

from chatlog_cli import __version__
from chatlog_cli.errors import ChatlogError, InputFileError, StoreError, UsageError
from chatlog_cli.io.sources import Source, expand_inputs
from chatlog_cli.platforms import detect, get_format, platforms
from chatlog_cli.platforms.base import ExportFormat, Parsed, ParseOptions, Sample
from chatlog_cli.platforms.mapping import load_mapping
from chatlog_cli.store.ingest import Ingestion, ingest, write_rejects
from chatlog_cli.store.sessions import SessionMatching, ingest_sessions, session_matching
from chatlog_cli.store.store import REDACTION_INFO, Store, new_import_id
from chatlog_cli.store.streamed import NotStreamable

Status = Literal["imported", "already_imported", "failed"]


@dataclass(frozen=True)
class ImportOptions:
    """How files are recognised and parsed."""

    platform: str | None = None
    format: str | None = None
    mapping: Path | None = None
    parse: ParseOptions = field(default_factory=ParseOptions)


@dataclass
class FileResult:
    """The outcome for one input file (all figures are counts of rows or messages)."""

    source: str
    status: Status
    format: str | None = None
    platform: str | None = None
    confidence: float | None = None
    encoding: str | None = None
    rows_read: int = 0
    messages_added: int = 0
    # Session lists (JD 会话记录) add conversation metadata, not messages: `kind` says which a file held.
    kind: Literal["messages", "sessions"] = "messages"
    sessions_added: int = 0
    duplicates_skipped: int = 0
    rejected_rows: int = 0
    unknown_roles: int = 0
    damaged_ids: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    unknown_columns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str | None = None
    import_id: str | None = None
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready figures."""
        return asdict(self)


@dataclass
class ImportReport:
    """Results for every input, in order."""

    store: Path
    files: list[FileResult]
    # After the run: how the store's session lists (JD 会话记录) match conversations; None without any.
    session_matching: SessionMatching | None = None

    @property
    def failed(self) -> list[FileResult]:
        """Files that did not import."""
        return [f for f in self.files if f.status == "failed"]

    def totals(self) -> dict[str, int]:
        """Sums over all files."""
        keys = (
            "rows_read",
            "messages_added",
            "sessions_added",
            "duplicates_skipped",
            "rejected_rows",
            "unknown_roles",
            "damaged_ids",
        )
        totals = {k: sum(getattr(f, k) for f in self.files) for k in keys}
        totals["files"] = len(self.files)
        totals["files_failed"] = len(self.failed)
        totals["files_already_imported"] = sum(1 for f in self.files if f.status == "already_imported")
        return totals


class ImportProgress(Protocol):
    """Hooks a front end may implement to show progress."""

    def file_started(self, source: Source, index: int, count: int) -> None:
        """A file is about to be read."""

    def rows_parsed(self, rows: int) -> None:
        """More rows were parsed from the current file."""

    def file_finished(self, result: FileResult) -> None:
        """A file is done (imported, skipped or failed)."""


def import_files(
    arguments: Sequence[str],
    store_dir: Path,
    options: ImportOptions | None = None,
    progress: ImportProgress | None = None,
) -> ImportReport:
    """Import export files (paths, directories, globs, ZIPs) into the store at `store_dir`."""
    options = options or ImportOptions()
    if options.mapping is not None and options.format is not None:
        raise UsageError("--map 与 --format 不能同时使用：列映射文件本身就指定了格式。")
    if options.platform is not None and options.platform not in platforms():
        raise UsageError(f"不认识的平台 {options.platform}。可用：{', '.join(platforms())}。")
    forced = _forced_format(options)
    _import_meanwhile()
    sources, missing = expand_inputs(arguments)
    if not sources and not missing:
        raise UsageError("没有找到要导入的文件（目录为空？）。")
    results = [FileResult(m.argument, "failed", error=m.message) for m in missing]
    if not sources:  # only mistyped paths: reported, and no empty store is left behind for them
        return ImportReport(store_dir, results, None)
    store = Store.open(store_dir, create=True)
    if (store.root / REDACTION_INFO).exists():
        # Raw exports imported next to redacted rows would leak the very data the copy was made without.
        raise StoreError(
            f"{store.root} 是脱敏副本（chatlog redact 生成），不能再导入原始聊天记录。请导入到原数据目录（--store）。"
        )
    with store.writing(), Ingestion(store) as ingestion:
        for index, source in enumerate(sources):
            if progress is not None:
                progress.file_started(source, index, len(sources))
            result = _import_one(store, source, options, forced, progress, ingestion)
            results.append(result)
            if progress is not None:
                progress.file_finished(result)
    matching = None
    if any(r.kind == "sessions" or r.platform == "jd" for r in results if r.status == "imported"):
        matching = session_matching(store)
    return ImportReport(store_dir, results, matching)


def _import_meanwhile() -> None:
    """Start importing pandas and DuckDB on a thread: the first file needs them only once it has been read.

    pyarrow imports pandas on its first NumPy conversion (~0.3 s); DuckDB (~0.1 s) is imported when staging
    starts. Until then the first file is hashed, read from its workbook or parsed as CSV, all of which release
    the GIL, so both imports cost next to nothing here (together ~10% of a 300k-row workbook's time otherwise).
    """
    missing = [m for m in ("pandas", "duckdb") if m not in sys.modules]
    if missing:
        threading.Thread(target=_import_quietly, args=(missing,), name="chatlog-imports", daemon=True).start()


def _import_quietly(modules: list[str]) -> None:
    for module in modules:
        with contextlib.suppress(Exception):  # whoever imports it next gets the error, where it belongs
            importlib.import_module(module)


def _forced_format(options: ImportOptions) -> ExportFormat | None:
    if options.mapping is not None:
        return load_mapping(options.mapping)
    if options.format is not None:
        return get_format(options.format)
    return None


def _import_one(
    store: Store,
    source: Source,
    options: ImportOptions,
    forced: ExportFormat | None,
    progress: ImportProgress | None,
    ingestion: Ingestion,
) -> FileResult:
    started = time.perf_counter()
    started_at = dt.datetime.now(dt.UTC)
    result = FileResult(source.label, "failed")
    try:
        prior = store.find_import_by_hash(source.sha256()) if store.has_import_of_size(source.size) else None
        if prior is not None:
            result.status = "already_imported"
            result.format, result.platform = prior["format"], prior["platform"]
            result.import_id = prior["import_id"]
            result.notes.append(f"同样内容的文件已于 {prior['finished_at']:%Y-%m-%d %H:%M} 导入过，未重复添加")
            return result
        sha256 = _sha256_meanwhile(source)
        encoding = options.parse.encoding or getattr(forced, "encoding", None)
        sample = Sample(source, encoding)
        if sample.kind == "empty":
            raise InputFileError(f"{source.label}：文件是空的，没有任何内容。请确认导出是否成功后重新下载。")
        if forced is not None:
            fmt, confidence = forced, 1.0
        else:
            detection = detect(sample, platform=options.platform)
            fmt, confidence = detection.format, detection.confidence
        result.format, result.platform, result.confidence = fmt.name, fmt.platform, round(confidence, 3)
        parse_options = options.parse
        if fmt.infers_agents:
            parse_options = replace(parse_options, known_agents=ingestion.known_agents(fmt.platform))
        parsed = fmt.parse(sample, parse_options)
        import_id = new_import_id()
        if parsed.kind == "sessions":
            _import_sessions(store, source, parsed, import_id, sha256(), confidence, options, result, started_at)
            result.seconds = round(time.perf_counter() - started, 3)
            return result
        rows = _RowsOnce(progress)
        into_store = functools.partial(
            ingest,
            store,
            import_id=import_id,
            source_label=source.label,
            gap_minutes=options.parse.session_gap_minutes,
            on_rows=rows.parsed,
            ingestion=ingestion,
        )
        try:
            added = into_store(parsed)
        except NotStreamable:
            # Rows further down need the whole-file steps after all: nothing was written; parse again, staged.
            rows.restart()
            parsed = fmt.parse(sample, parse_options)
            added = into_store(parsed, streamed=False)
        result.encoding = parsed.encoding
        result.rows_read = parsed.stats.rows_read
        result.messages_added = added.messages_added
        result.duplicates_skipped = added.duplicates_skipped
        result.rejected_rows = len(parsed.rejects)
        result.unknown_roles = added.unknown_roles
        result.damaged_ids = parsed.stats.damaged_ids
        result.skipped = dict(parsed.stats.skipped)
        result.unknown_columns = parsed.stats.unknown_columns
        result.notes.extend(parsed.stats.notes)
        if added.staged_rows == 0:
            result.notes.append("文件里没有可导入的消息")
        result.import_id = import_id
        result.seconds = round(time.perf_counter() - started, 3)
        store.append_import_log(
            _log_row(result, source, sha256(), confidence, options, started_at)
            | {"first_message_at": added.first_message_at, "last_message_at": added.last_message_at}
        )
        result.status = "imported"
        if fmt.infers_agents and parsed.roles is not None:
            ingestion.learn_agents(fmt.platform, parsed.roles)
    except ChatlogError as exc:
        _roll_back(store, ingestion)
        result.error = exc.message
    except BaseException:
        _roll_back(store, ingestion)  # Ctrl-C or a bug: leave the store as it was before this file
        raise
    result.seconds = round(time.perf_counter() - started, 3)
    return result


def _sha256_meanwhile(source: Source) -> Callable[[], str]:
    """The file's content hash for the import log, computed on a thread while the file is parsed.

    Only a file of the same size as one imported before can be that file again; for any other file the
    hash is not needed before parsing (~0.13 s per 150 MB on one core, which then overlaps the parse).
    """
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chatlog-sha256")
    future = pool.submit(source.sha256)
    pool.shutdown(wait=False)
    return future.result


class _RowsOnce:
    """Parsed-row progress that counts a file's rows once, also when the file is parsed a second time."""

    def __init__(self, progress: ImportProgress | None) -> None:
        self.progress = progress
        self.reported = 0
        self.seen = 0

    def parsed(self, rows: int) -> None:
        self.seen += rows
        if self.progress is not None and self.seen > self.reported:
            self.progress.rows_parsed(self.seen - self.reported)
            self.reported = self.seen

    def restart(self) -> None:
        self.seen = 0


def _roll_back(store: Store, ingestion: Ingestion) -> None:
    """Undo a file that failed: its files go, and so does the run's database, whose spill files are in `.tmp`."""
    ingestion.close()
    store.recover()


def _import_sessions(
    store: Store,
    source: Source,
    parsed: Parsed,
    import_id: str,
    sha256: str,
    confidence: float,
    options: ImportOptions,
    result: FileResult,
    started_at: dt.datetime,
) -> None:
    """A session list (JD 会话记录): conversation metadata, matched to the chat log's conversations."""
    added = ingest_sessions(store, parsed, import_id=import_id)
    write_rejects(store, parsed, import_id, source.label)
    result.kind = "sessions"
    result.encoding = parsed.encoding
    result.rows_read = parsed.stats.rows_read
    result.sessions_added = added.added
    result.duplicates_skipped = added.duplicates
    result.rejected_rows = len(parsed.rejects)
    result.skipped = dict(parsed.stats.skipped)
    result.unknown_columns = parsed.stats.unknown_columns
    result.import_id = import_id
    result.notes.extend(parsed.stats.notes)
    store.append_import_log(_log_row(result, source, sha256, confidence, options, started_at))
    result.status = "imported"


def _log_row(
    result: FileResult,
    source: Source,
    sha256: str,
    confidence: float,
    options: ImportOptions,
    started_at: dt.datetime,
) -> dict[str, Any]:
    """The import-log row of a file whose import is complete (its figures are in `result`)."""
    return {
        "import_id": result.import_id,
        "source_file": source.label,
        "sha256": sha256,
        "size_bytes": source.size,
        "platform": result.platform,
        "format": result.format,
        "confidence": confidence,
        "encoding": result.encoding,
        "shop": options.parse.shop,
        "rows_read": result.rows_read,
        "messages_added": result.messages_added,
        "duplicates_skipped": result.duplicates_skipped,
        "rejected_rows": result.rejected_rows,
        "unknown_roles": result.unknown_roles,
        "damaged_ids": result.damaged_ids,
        "first_message_at": None,
        "last_message_at": None,
        "started_at": started_at,
        "finished_at": dt.datetime.now(dt.UTC),
        "chatlog_version": __version__,
    }
