"""Store layout, locking and the commit protocol.

```
STORE/
  chatlog-store.json                      marker: format name and schema version
  messages/platform=jd/month=2026-10/<import_id>-<n>.parquet
  rejects/<import_id>.parquet             rows that could not be parsed, with reasons
  tags/platform=jd/month=2026-10/<import_id>-<n>.parquet        tag rows of that message file (`chatlog tag`)
  sentiment/platform=jd/month=2026-10/<import_id>-<n>.parquet   scores of its messages (`chatlog sentiment`)
  models/sentiment.marshal.3              a trained sentiment model in use (`chatlog sentiment train`)
  imports.parquet                         the import log: one row per imported file (the commit record)
  .lock  .tmp/
```
An import becomes visible when its row lands in `imports.parquet` (written last, by atomic rename).
Files whose import id is not in the log are leftovers of an interrupted import: readers ignore them and the
next writer deletes them, so a crash or Ctrl-C leaves the store as it was before that file.
Tag and sentiment files are derived data: each mirrors one message file (same partition and name) and
records in its metadata the fingerprint of what made it (the rules, the model), so `chatlog tag` and
`chatlog sentiment` know what is already up to date (store/derived.py).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

import pyarrow as pa
import pyarrow.parquet as pq

from chatlog_cli import __version__
from chatlog_cli.errors import SchemaVersionError, StoreError, StoreLockedError
from chatlog_cli.schema import REJECT_SCHEMA, SCHEMA, SCHEMA_VERSION, SCHEMA_VERSION_KEY, empty_table
from chatlog_cli.settings import DEFAULT_STORE_DIR, LOCK_TIMEOUT_SECONDS, STORE_ENV_VAR

MARKER: Final = "chatlog-store.json"
# Kinds of derived data kept one file per message file (directory names under the store root).
TAGS: Final = "tags"
SENTIMENT: Final = "sentiment"
DERIVED_KINDS: Final = (TAGS, SENTIMENT)
# Present in stores written by `chatlog redact`: how the copy was redacted (see redact/run.py).
REDACTION_INFO: Final = "redaction.json"
STORE_FORMAT: Final = "chatlog-store"

IMPORT_LOG_SCHEMA: Final = pa.schema(
    [
        ("import_id", pa.string()),
        ("source_file", pa.string()),
        ("sha256", pa.string()),
        ("size_bytes", pa.int64()),
        ("platform", pa.string()),
        ("format", pa.string()),
        ("confidence", pa.float64()),
        ("encoding", pa.string()),
        ("shop", pa.string()),
        ("rows_read", pa.int64()),
        ("messages_added", pa.int64()),
        ("duplicates_skipped", pa.int64()),
        ("rejected_rows", pa.int64()),
        ("unknown_roles", pa.int64()),
        ("damaged_ids", pa.int64()),
        ("first_message_at", pa.string()),
        ("last_message_at", pa.string()),
        ("started_at", pa.timestamp("ms", tz="UTC")),
        ("finished_at", pa.timestamp("ms", tz="UTC")),
        ("chatlog_version", pa.string()),
    ],
    metadata={SCHEMA_VERSION_KEY: str(SCHEMA_VERSION).encode()},
)


def resolve_store_dir(option: str | Path | None) -> Path:
    """`--store DIR`, else `$CHATLOG_STORE`, else `./chatlog-data`."""
    if option:
        return Path(option)
    env = os.environ.get(STORE_ENV_VAR)
    return Path(env) if env else Path(DEFAULT_STORE_DIR)


def new_import_id() -> str:
    """Sortable, unique: UTC time plus random suffix."""
    now = dt.datetime.now(dt.UTC)
    return f"{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"


def atomic_write_parquet(table: pa.Table, path: Path, **options: Any) -> None:
    """Write next to the target and rename over it, so readers never see a half-written file."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        pq.write_table(table, tmp, compression="zstd", **options)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


class Store:
    """A chatlog store directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.messages_dir = root / "messages"
        self.rejects_dir = root / "rejects"
        self.sessions_dir = root / "sessions"
        self.models_dir = root / "models"
        self.tmp_dir = root / ".tmp"
        self.import_log_path = root / "imports.parquet"
        # While this object holds the write lock nobody else changes the log: it is read once, then kept (an
        # import of hundreds of small files consulted it three times per file).
        self._writing = False
        self._held_log: pa.Table | None = None

    # Opening

    @classmethod
    def open(cls, root: Path, *, create: bool = False) -> Store:
        """Open an existing store (or create one); refuse directories that are not stores."""
        store = cls(root)
        marker = root / MARKER
        if marker.exists():
            store._check_marker(marker)
            return store
        if not create:
            raise StoreError(f"数据目录 {root} 不存在或还没有导入过数据。请先运行 chatlog import 导入聊天记录。")
        if root.exists() and any(p for p in root.iterdir() if not p.name.startswith(".")):
            raise StoreError(
                f"{root} 已存在且不是 chatlog 数据目录（没有 {MARKER}）。为免覆盖其他文件，请换一个目录（--store）。"
            )
        try:
            root.mkdir(parents=True, exist_ok=True)
            info = {"format": STORE_FORMAT, "schema_version": SCHEMA_VERSION, "created_by": __version__}
            tmp = root / f".{MARKER}.tmp"
            tmp.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
            os.replace(tmp, marker)
        except OSError as exc:
            raise StoreError(f"无法创建数据目录 {root}：{exc.strerror}。请检查路径和写入权限。") from None
        return store

    def _check_marker(self, marker: Path) -> None:
        try:
            info = json.loads(marker.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise StoreError(f"{marker} 已损坏，无法确认这是 chatlog 数据目录。") from None
        version = int(info.get("schema_version", 0))
        if info.get("format") != STORE_FORMAT:
            raise StoreError(f"{self.root} 不是 chatlog 数据目录。")
        if version > SCHEMA_VERSION:
            raise SchemaVersionError(
                f"{self.root} 由更新版本的 chatlog 写入（数据版本 {version}，本程序支持 {SCHEMA_VERSION}）。"
                "请升级 chatlog：pip install -U chatlog-cli。"
            )

    # Locking and recovery

    @contextmanager
    def writing(self, timeout: float = LOCK_TIMEOUT_SECONDS) -> Iterator[None]:
        """Hold the store's write lock; clean up leftovers of interrupted imports first."""
        from filelock import FileLock, Timeout

        lock = FileLock(str(self.root / ".lock"))
        try:
            lock.acquire(timeout=timeout)
        except Timeout:
            raise StoreLockedError(
                f"另一个 chatlog 进程正在写入数据目录 {self.root}（已等待 {timeout:.0f} 秒）。"
                "请等它完成后再试；数据不会因此损坏。"
            ) from None
        self._writing = True
        try:
            self.recover()
            yield
        finally:
            self._writing, self._held_log = False, None
            lock.release()

    def recover(self) -> list[Path]:
        """Delete files of imports that never committed. Call only while holding the write lock."""
        committed = self.committed_import_ids()
        removed: list[Path] = []
        if self.tmp_dir.exists():
            shutil.rmtree(self.tmp_dir, ignore_errors=True)
        for path in [*self._message_files(), *self._reject_files(), *self._session_files()]:
            if import_id_of(path) not in committed:
                path.unlink(missing_ok=True)
                removed.append(path)
        for kind in DERIVED_KINDS:
            for path in self._derived_files(kind):
                if not self.message_file_for(kind, path).exists():  # also true of a temporary file being written
                    path.unlink(missing_ok=True)
                    removed.append(path)
        return removed

    # Reading

    def import_log(self) -> pa.Table:
        """The import log (empty when nothing was imported yet)."""
        if self._held_log is not None:
            return self._held_log
        if not self.import_log_path.exists():
            log = empty_table(IMPORT_LOG_SCHEMA)
        else:
            # ParquetFile, not read_table: read_table loads pyarrow.dataset (and pandas), slowing every command.
            log = pq.ParquetFile(self.import_log_path).read()
        if self._writing:
            self._held_log = log
        return log

    def committed_import_ids(self) -> set[str]:
        """Ids of imports whose files are part of the store."""
        return set(self.import_log().column("import_id").to_pylist())

    def _message_files(self, platform: str | None = None, months: set[str] | None = None) -> list[Path]:
        if not self.messages_dir.exists():
            return []
        if platform is None or months is None:
            return sorted(self.messages_dir.glob("platform=*/month=*/*.parquet"))
        # Only the partitions asked for: an import asks once per file, and a store holds thousands of files.
        folder = self.messages_dir / f"platform={platform}"
        return sorted(path for month in months for path in (folder / f"month={month}").glob("*.parquet"))

    def _reject_files(self) -> list[Path]:
        return sorted(self.rejects_dir.glob("*.parquet")) if self.rejects_dir.exists() else []

    def derived_dir(self, kind: str) -> Path:
        """The directory of one kind of derived data (TAGS, SENTIMENT)."""
        return self.root / kind

    def _derived_files(self, kind: str) -> list[Path]:
        folder = self.derived_dir(kind)
        if not folder.exists():
            return []
        return sorted(folder.glob("platform=*/month=*/*.parquet")) + sorted(folder.glob("platform=*/month=*/.*.tmp"))

    def derived_file_for(self, kind: str, message_file: Path) -> Path:
        """Where a message file's derived data of this kind lives (same partition, same name)."""
        return self.derived_dir(kind) / message_file.relative_to(self.messages_dir)

    def message_file_for(self, kind: str, derived_file: Path) -> Path:
        """The message file a derived file describes."""
        return self.messages_dir / derived_file.relative_to(self.derived_dir(kind))

    def derived_files(self, kind: str, message_files: list[Path] | None = None) -> list[Path]:
        """Existing derived files of committed message files (of `message_files` when the caller has them)."""
        files = self.message_files() if message_files is None else message_files
        return [p for p in (self.derived_file_for(kind, m) for m in files) if p.exists()]

    def _session_files(self) -> list[Path]:
        return sorted(self.sessions_dir.glob("platform=*/*.parquet")) if self.sessions_dir.exists() else []

    def session_files(self, *, platform: str | None = None) -> list[Path]:
        """Committed session-metadata files (JD 会话记录), optionally of one platform."""
        committed = self.committed_import_ids()
        return [
            p
            for p in self._session_files()
            if import_id_of(p) in committed and (platform is None or p.parent.name == f"platform={platform}")
        ]

    def message_files(self, *, platform: str | None = None, months: set[str] | None = None) -> list[Path]:
        """Committed message files, optionally only some partitions."""
        committed = self.committed_import_ids()
        files = []
        for path in self._message_files(platform, months):
            part_platform, part_month = partition_of(path)
            if platform is not None and part_platform != platform:
                continue
            if months is not None and part_month not in months:
                continue
            if import_id_of(path) in committed:
                files.append(path)
        return files

    def reject_files(self) -> list[Path]:
        """Committed reject files."""
        committed = self.committed_import_ids()
        return [p for p in self._reject_files() if import_id_of(p) in committed]

    def read_messages(self, columns: list[str] | None = None) -> pa.Table:
        """All committed messages (for small stores and tests; large reads should use DuckDB)."""
        files = self.message_files()
        if not files:
            return empty_table(SCHEMA) if columns is None else empty_table(SCHEMA).select(columns)
        tables = [pq.read_table(f, columns=columns, schema=SCHEMA) for f in files]
        for table, path in zip(tables, files, strict=True):
            check_schema_version(table.schema, path)
        return pa.concat_tables(tables)

    def read_rejects(self) -> pa.Table:
        """All committed rejected rows."""
        files = self.reject_files()
        if not files:
            return empty_table(REJECT_SCHEMA)
        return pa.concat_tables([pq.read_table(f, schema=REJECT_SCHEMA) for f in files])

    # Writing (under `writing()`)

    def append_import_log(self, row: dict[str, Any]) -> None:
        """Commit an import: rewrite the log with one more row, atomically."""
        entry = pa.Table.from_pylist([row], schema=IMPORT_LOG_SCHEMA)
        log = pa.concat_tables([self.import_log().cast(IMPORT_LOG_SCHEMA), entry])
        atomic_write_parquet(log, self.import_log_path)
        if self._writing:
            self._held_log = log

    def has_import_of_size(self, size_bytes: int) -> bool:
        """Whether a file of exactly this size was imported: only then can a file be one imported before."""
        # As Python numbers (a row per file): a Python number handed to pyarrow, or a column turned into NumPy,
        # makes pyarrow import pandas (~0.2 s). This is the first thing an import does, so it would wait here for
        # the importer's background import of pandas instead of hashing and parsing meanwhile.
        return size_bytes in self.import_log().column("size_bytes").to_pylist()

    def find_import_by_hash(self, sha256: str) -> dict[str, Any] | None:
        """An earlier import of a file with the same content."""
        rows: list[dict[str, Any]] = self.import_log().to_pylist()
        return next((row for row in rows if row["sha256"] == sha256), None)


def partition_of(path: Path) -> tuple[str, str]:
    """The (platform, month) of a message file, from its `platform=…/month=…/` folders."""
    return path.parent.parent.name.removeprefix("platform="), path.parent.name.removeprefix("month=")


def import_id_of(path: Path) -> str:
    """Files are named `<import_id>-<n>.parquet` (messages) or `<import_id>.parquet` (rejects, sessions)."""
    stem = path.stem
    parts = stem.split("-")
    return "-".join(parts[:2]) if len(parts) >= 2 else stem


def check_schema_version(schema: pa.Schema, path: Path) -> None:
    """Refuse files written with a newer schema."""
    meta = schema.metadata or {}
    version = int(meta.get(SCHEMA_VERSION_KEY, b"1"))
    if version > SCHEMA_VERSION:
        raise SchemaVersionError(f"{path} 的数据版本是 {version}，本程序只支持 {SCHEMA_VERSION}。请升级 chatlog。")
