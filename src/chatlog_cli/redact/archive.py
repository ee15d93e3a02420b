"""Monthly redacted archives for cron: `OUT/YYYY-MM/` with messages.parquet, optional XLSX and a manifest.

A month's archive is built in a hidden sibling directory, scanned for residual personal data, and only then
swapped into place, so a reader sees the old archive or the new one, never a mix; re-running replaces the
month. A scan that finds anything publishes nothing (`ResidualPiiError`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import pyarrow.compute as pc
import pyarrow.parquet as pq

from chatlog_cli import schema as s
from chatlog_cli.errors import ChatlogError, OutputFileError, UsageError
from chatlog_cli.find.filters import MessageFilter
from chatlog_cli.find.timespec import parse_span
from chatlog_cli.redact.kinds import LABELS
from chatlog_cli.redact.replace import Redactor
from chatlog_cli.redact.run import RedactReport, redact_store, redacted_sessions, redaction_info, swap_into_place
from chatlog_cli.store.query import connect
from chatlog_cli.store.store import Store

MESSAGES_FILE: Final = "messages.parquet"
SESSIONS_FILE: Final = "sessions.parquet"
XLSX_FILE: Final = "聊天记录.xlsx"
MANIFEST_FILE: Final = "manifest.json"
MANIFEST_FORMAT: Final = "chatlog-archive/1"


class ResidualPiiError(ChatlogError):
    """The scan of a finished archive found personal data; nothing was published."""

    exit_code = 3


@dataclass
class ArchiveReport:
    """One month's archive as published."""

    month: str
    path: Path
    messages: int = 0
    messages_changed: int = 0
    conversations: int = 0
    sessions: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    files: list[dict[str, Any]] = field(default_factory=list)
    replaced: bool = False
    seconds: float = 0.0


def month_filter(month: str, *, platforms: tuple[str, ...] = (), shops: tuple[str, ...] = ()) -> MessageFilter:
    """The messages of one China-time calendar month (`YYYY-MM`)."""
    try:
        valid = dt.datetime.strptime(month, "%Y-%m").strftime("%Y-%m") == month
    except ValueError:
        valid = False
    if not valid:
        raise UsageError(f"--month 应为 YYYY-MM 形式（如 2026-10），而不是 {month!r}。")
    span = parse_span(month)
    return MessageFilter(since=span.start, until=span.end, platforms=platforms, shops=shops)


def archive_month(
    store: Store,
    month: str,
    out_dir: Path,
    redactor: Redactor,
    *,
    xlsx: bool = False,
    agents: bool = False,
    platforms: tuple[str, ...] = (),
    shops: tuple[str, ...] = (),
) -> ArchiveReport:
    """Build, scan and publish the redacted archive of `month` under `out_dir` (replacing an earlier one)."""
    started = time.perf_counter()
    where = month_filter(month, platforms=platforms, shops=shops)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputFileError(f"无法创建归档目录 {out_dir}：{exc.strerror}。请检查路径和写入权限。") from None
    from filelock import FileLock, Timeout

    target = out_dir / month
    tmp = out_dir / f".{month}.tmp-{uuid.uuid4().hex[:8]}"
    lock = FileLock(str(out_dir / f".{month}.lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise OutputFileError(f"另一个 chatlog archive 正在生成 {target}。请等它结束后再运行。") from None
    try:
        _remove_leftovers(out_dir, month)
        tmp.mkdir()
        redacted = redact_store(store, where, tmp / MESSAGES_FILE, redactor, agents=agents)
        report = ArchiveReport(month, target, messages=redacted.messages, messages_changed=redacted.messages_changed)
        report.counts = redacted.kinds_found()
        report.conversations = _distinct_conversations(tmp / MESSAGES_FILE)
        report.sessions = _write_sessions(store, where, tmp / SESSIONS_FILE, redactor, agents=agents)
        if xlsx:
            _write_xlsx(tmp / MESSAGES_FILE, tmp / XLSX_FILE)
        _scan_or_fail(tmp, month)
        report.files = [_file_entry(p) for p in sorted(tmp.iterdir())]
        manifest = _manifest(report, redactor, redacted, agents=agents)
        (tmp / MANIFEST_FILE).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        report.replaced = target.exists()
        swap_into_place(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        lock.release()
        Path(lock.lock_file).unlink(missing_ok=True)
    report.seconds = time.perf_counter() - started
    return report


def _remove_leftovers(out_dir: Path, month: str) -> None:
    """Directories of interrupted runs of this month (a crash between build and swap)."""
    for pattern in (f".{month}.tmp-*", f".{month}.old-*"):
        for path in out_dir.glob(pattern):
            shutil.rmtree(path, ignore_errors=True)


def _distinct_conversations(path: Path) -> int:
    column = pq.read_table(path, columns=[s.CONVERSATION_ID])[s.CONVERSATION_ID]
    return int(pc.count_distinct(column).as_py()) if len(column) else 0


def _write_sessions(store: Store, where: MessageFilter, path: Path, redactor: Redactor, *, agents: bool) -> int:
    """Session metadata (JD 会话记录) started in the month, redacted; no file when there is none."""
    con = connect(store)
    try:
        sessions = redacted_sessions(con, where, redactor, agents=agents)
    finally:
        con.close()
    if sessions.num_rows:
        pq.write_table(sessions, path, compression="zstd")
    return int(sessions.num_rows)


def _write_xlsx(parquet: Path, xlsx: Path) -> None:
    import pyarrow as pa

    from chatlog_cli.export.writers import write_export

    source = pq.ParquetFile(parquet)
    write_export(
        pa.RecordBatchReader.from_batches(source.schema_arrow, source.iter_batches(100_000)), xlsx, format="xlsx"
    )


def _scan_or_fail(directory: Path, month: str) -> None:
    from chatlog_cli.redact.scan import scan_paths

    result = scan_paths([directory])
    if not result.clean:
        kinds = "、".join(f"{LABELS[k]} {n}" for k, n in result.hits_by_kind.items()) or "无法读取的文件"
        raise ResidualPiiError(
            f"{month} 的归档在发布前扫描发现 {result.total_hits} 处疑似个人信息（{kinds}），"
            "未发布，旧归档保持不变。请用 chatlog scan 查看位置，并反馈给开发者。"
        )


def _file_entry(path: Path) -> dict[str, Any]:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    entry: dict[str, Any] = {"name": path.name, "bytes": path.stat().st_size, "sha256": digest.hexdigest()}
    if path.suffix == ".parquet":
        entry["rows"] = pq.ParquetFile(path).metadata.num_rows
    return entry


def _manifest(report: ArchiveReport, redactor: Redactor, redacted: RedactReport, *, agents: bool) -> dict[str, Any]:
    info = redaction_info(redactor, redacted, agents=agents)
    return {
        "format": MANIFEST_FORMAT,
        "month": report.month,
        **info,
        "conversations": report.conversations,
        "sessions": report.sessions,
        "scan": "clean",
        "files": report.files,
    }
