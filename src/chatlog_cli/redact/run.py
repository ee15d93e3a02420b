"""`chatlog redact` as library calls: a redacted copy of the selected messages, or a dry run.

The source store is only read. The copy is a file (CSV/XLSX/JSONL/Parquet, written like `chatlog export`) or a
chatlog store directory that every query command can open (`--store`). Either appears only when complete.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from chatlog_cli import __version__
from chatlog_cli import schema as s
from chatlog_cli.errors import OutputFileError
from chatlog_cli.find.filters import MessageFilter
from chatlog_cli.redact.kinds import KINDS
from chatlog_cli.redact.replace import Redactor
from chatlog_cli.redact.table import map_distinct, redact_batches, redact_sessions
from chatlog_cli.store.query import connect, local_time_sql
from chatlog_cli.store.store import REDACTION_INFO, Store, new_import_id

BATCH_ROWS: Final = 100_000
QUERY_MEMORY_LIMIT: Final = "512MB"
FILE_SUFFIXES: Final = (".xlsx", ".csv", ".jsonl", ".parquet")


@dataclass
class RedactReport:
    """What a redaction run did."""

    path: Path | None
    format: str
    messages: int = 0
    messages_changed: int = 0
    sessions: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def kinds_found(self) -> dict[str, int]:
        """Findings per kind, in the fixed kind order, without zeros."""
        return {k: self.counts[k] for k in KINDS if self.counts[k]}


def redaction_info(redactor: Redactor, report: RedactReport, *, agents: bool) -> dict[str, Any]:
    """The public description of a redaction (mode, kinds, counts, key fingerprint — never the key)."""
    return {
        "chatlog_version": __version__,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "mode": redactor.mode,
        "kinds": [k for k in KINDS if k in redactor.kinds],
        "agents_pseudonymised": agents,
        "key_id": redactor.key_id if redactor.key_is_stable else None,
        "key": "stable" if redactor.key_is_stable else "ephemeral (tokens cannot be linked to other outputs)",
        "messages": report.messages,
        "messages_changed": report.messages_changed,
        "sessions": report.sessions,
        "found": report.kinds_found(),
    }


def is_file_target(path: Path) -> bool:
    """A file target (by extension) rather than a store directory."""
    return path.suffix.lower() in FILE_SUFFIXES


def _selected(con: Any, where: MessageFilter, redactor: Redactor, *, with_month: bool) -> pa.RecordBatchReader:
    """The selected messages in time order, their ids already re-keyed (in DuckDB's threads, not Python)."""
    condition, params = where.where()
    month = f", strftime({local_time_sql()}, '%Y-%m') AS month" if with_month else ""
    message_id, key = redactor.rekey_id_sql(s.MESSAGE_ID)
    conversation_id, _ = redactor.rekey_id_sql(s.CONVERSATION_ID)
    relation = con.sql(
        f"SELECT * REPLACE ({message_id} AS {s.MESSAGE_ID}, {conversation_id} AS {s.CONVERSATION_ID}){month} "
        f"FROM messages WHERE {condition} ORDER BY sent_at, source_file, source_line",
        params=[key, key, *params],
    )
    return relation.to_arrow_reader(BATCH_ROWS)


def _connect(store: Store, spill: Path) -> Any:
    con = connect(store)
    con.execute(f"SET memory_limit = '{QUERY_MEMORY_LIMIT}'")
    con.execute(f"SET temp_directory = '{spill}'")
    return con


def redact_store(
    store: Store,
    where: MessageFilter,
    out: Path,
    redactor: Redactor,
    *,
    agents: bool = False,
    format: str | None = None,
    encoding: str = "utf-8-sig",
    on_rows: Callable[[int], None] | None = None,
) -> RedactReport:
    """Write a redacted copy of the selected messages to `out` (a file by extension, else a store directory)."""
    started = time.perf_counter()
    file_target = format is not None or is_file_target(out)
    spill = Path(tempfile.mkdtemp(prefix="chatlog-redact-"))
    con = _connect(store, spill)
    totals: Counter[str] = Counter()
    try:
        if file_target:
            from chatlog_cli.export.writers import resolve_format, write_export

            resolve_format(out, format)
            selected = _selected(con, where, redactor, with_month=False)
            batches = redact_batches(
                _counted(selected, on_rows), redactor, agents=agents, rekey_ids=False, totals=totals
            )
            reader = pa.RecordBatchReader.from_batches(selected.schema, batches)
            result = write_export(reader, out, format=format, encoding=encoding)
            report = RedactReport(result.path, result.format)
        else:
            report = _write_store_copy(con, store, where, out, redactor, agents=agents, totals=totals, on_rows=on_rows)
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)
    _take_totals(report, totals)
    report.seconds = time.perf_counter() - started
    return report


def _take_totals(report: RedactReport, totals: Counter[str]) -> None:
    """What `redact_batches` counted, as the report's figures."""
    report.messages = totals["messages"]
    report.messages_changed = totals["messages_changed"]
    report.counts = Counter({k: totals[k] for k in KINDS if totals[k]})


def _counted(reader: pa.RecordBatchReader, on_rows: Callable[[int], None] | None) -> Iterator[pa.RecordBatch]:
    for batch in reader:
        yield batch
        if on_rows is not None:
            on_rows(batch.num_rows)


def dry_run(
    store: Store, where: MessageFilter, redactor: Redactor, *, agents: bool = False, samples: int = 10
) -> RedactReport:
    """What `redact` would replace, per kind, with a few changed messages in their redacted form (never raw)."""
    started = time.perf_counter()
    spill = Path(tempfile.mkdtemp(prefix="chatlog-redact-"))
    con = _connect(store, spill)
    report = RedactReport(None, "dry-run")
    try:
        condition, params = where.where()
        relation = con.sql(
            f"SELECT {s.CONTENT} FROM messages WHERE {condition} ORDER BY sent_at, source_file, source_line",
            params=params,
        )
        for batch in relation.to_arrow_reader(BATCH_ROWS):
            column = batch.column(s.CONTENT)
            redacted, counts, changed = map_distinct(column, redactor.redact_counted)
            report.messages += batch.num_rows
            report.messages_changed += changed
            report.counts.update(counts)
            if len(report.samples) < samples and changed:
                for before, after in zip(column.to_pylist(), redacted.to_pylist(), strict=True):
                    if before != after and after not in report.samples:
                        report.samples.append(after)
                        if len(report.samples) >= samples:
                            break
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)
    report.seconds = time.perf_counter() - started
    return report


# --- store-directory output ------------------------------------------------------------------------------------


def _write_store_copy(
    con: Any,
    source: Store,
    where: MessageFilter,
    out: Path,
    redactor: Redactor,
    *,
    agents: bool,
    totals: Counter[str],
    on_rows: Callable[[int], None] | None,
) -> RedactReport:
    from chatlog_cli.store.ingest import write_partitions

    _check_replaceable(out)
    tmp = out.parent / f".{out.name}.tmp-{uuid.uuid4().hex[:8]}"
    try:
        target = Store.open(tmp, create=True)
        import_id = new_import_id()
        started_at = dt.datetime.now(dt.UTC)
        selected = _selected(con, where, redactor, with_month=True)
        batches = redact_batches(
            _with_import_id(_counted(selected, on_rows), import_id),
            redactor,
            agents=agents,
            rekey_ids=False,
            totals=totals,
        )
        written = write_partitions(target, pa.RecordBatchReader.from_batches(selected.schema, batches), import_id)
        sessions = _copy_sessions(con, target, where, redactor, import_id, agents=agents)
        report = RedactReport(out, "store", sessions=sessions)
        _take_totals(report, totals)
        target.append_import_log(_log_row(import_id, written, started_at))
        info = redaction_info(redactor, report, agents=agents)
        (tmp / REDACTION_INFO).write_text(json.dumps(info, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        swap_into_place(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return report


def _with_import_id(batches: Iterator[pa.RecordBatch], import_id: str) -> Iterator[pa.RecordBatch]:
    for batch in batches:
        i = batch.schema.get_field_index(s.IMPORT_ID)
        yield batch.set_column(i, batch.schema.field(i), pa.array([import_id] * batch.num_rows, pa.string()))


def redacted_sessions(con: Any, where: MessageFilter, redactor: Redactor, *, agents: bool) -> pa.Table:
    """Session metadata (JD 会话记录) started in the filter's time range, platforms and shops, redacted.

    Only those filters apply: sessions carry no message text, and their conversations are matched at query time.
    """
    conditions: list[str] = ["true"]
    params: list[Any] = []
    if where.since is not None:
        conditions.append("started_at >= ?")
        params.append(where.since)
    if where.until is not None:
        conditions.append("started_at < ?")
        params.append(where.until)
    for column, values in (("platform", where.platforms), ("shop", where.shops)):
        if values:
            conditions.append(f"{column} IN ({', '.join('?' * len(values))})")
            params.extend(values)
    query = f"SELECT * FROM sessions WHERE {' AND '.join(conditions)} ORDER BY started_at, source_file, source_line"
    table = con.sql(query, params=params).arrow()
    if isinstance(table, pa.RecordBatchReader):
        table = table.read_all()
    if table.num_rows:
        table = redact_sessions(table, redactor, agents=agents)
    return table.select(s.SESSION_SCHEMA.names).cast(s.SESSION_SCHEMA)


def _copy_sessions(
    con: Any, target: Store, where: MessageFilter, redactor: Redactor, import_id: str, *, agents: bool
) -> int:
    """The redacted sessions, as the copy's session files (one per platform, committed by `import_id`)."""
    table = redacted_sessions(con, where, redactor, agents=agents)
    if table.num_rows == 0:
        return 0
    table = table.set_column(
        table.schema.get_field_index(s.IMPORT_ID),
        table.schema.field(s.IMPORT_ID),
        pa.array([import_id] * table.num_rows, pa.string()),
    )
    for platform in sorted(set(table[s.PLATFORM].to_pylist())):
        path = target.sessions_dir / f"platform={platform}" / f"{import_id}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table.filter(pc.equal(table[s.PLATFORM], platform)), path, compression="zstd")
    return int(table.num_rows)


def _log_row(import_id: str, rows: int, started_at: dt.datetime) -> dict[str, Any]:
    return {
        "import_id": import_id,
        "source_file": "chatlog redact",
        "format": "redacted",
        "rows_read": rows,
        "messages_added": rows,
        "duplicates_skipped": 0,
        "rejected_rows": 0,
        "started_at": started_at,
        "finished_at": dt.datetime.now(dt.UTC),
        "chatlog_version": __version__,
    }


def _check_replaceable(out: Path) -> None:
    """A store target may replace only an earlier redacted copy, never other data."""
    if not out.exists():
        if not out.parent.is_dir():
            raise OutputFileError(f"目录 {out.parent} 不存在。请先创建它，或换一个输出位置（-o）。")
        return
    if out.is_dir() and (out / REDACTION_INFO).is_file():
        return
    if out.is_dir() and not any(out.iterdir()):
        return
    raise OutputFileError(
        f"{out} 已存在且不是 chatlog 脱敏副本，为免覆盖未改动。请换一个输出目录，"
        "或用 .xlsx/.csv/.jsonl/.parquet 结尾的文件名输出为文件。"
    )


def swap_into_place(tmp: Path, out: Path) -> None:
    """Replace `out` by `tmp`: the old copy is moved aside first and deleted only after the new one is in place."""
    old = out.parent / f".{out.name}.old-{uuid.uuid4().hex[:8]}"
    if out.exists():
        os.replace(out, old)
    try:
        os.replace(tmp, out)
    except OSError:
        if old.exists():
            os.replace(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)
