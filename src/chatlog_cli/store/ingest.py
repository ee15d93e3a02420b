"""One import as a transaction: identify parsed rows, fill what they lack, add only new messages.

Rows that carry everything (conversation id, buyer, agent, final roles), or lack only buyers and agents their
conversation's other rows give, are streamed: identified and written batch by batch (`store/streamed.py`). The
others are staged in an in-process DuckDB database that spills to disk, so memory stays bounded whatever the
file size; what needs the whole file — late-resolved roles, derived conversation ids (idle-gap split), the
buyer and handling agent per message — is computed in `store/fills.py`, the occurrence number and `message_id`
here, in SQL. Either way the files are written to `.tmp` and moved into the store only when complete.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import os
import shutil
import signal
import threading
import uuid
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from queue import Full, Queue
from types import FrameType
from typing import Any, Final

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from chatlog_cli.platforms.base import Parsed
from chatlog_cli.schema import REJECT_SCHEMA, SCHEMA, STAGING_SCHEMA
from chatlog_cli.settings import CHINA_UTC_OFFSET_MS, STAGING_MEMORY_LIMIT
from chatlog_cli.store.fills import FillNeeds, compute_fills, who_sql
from chatlog_cli.store.identity import (
    FIRST_ID_SQL,
    IDENTITY_SQL,
    SECOND_SQL,
    Digests,
    DigestSet,
    message_id_sql,
)
from chatlog_cli.store.query import LOCAL_TIME_SQL, local_time_sql
from chatlog_cli.store.store import Store, partition_of
from chatlog_cli.store.streamed import NotStreamable, PeopleFilled, StreamedRows, complete, fillable_in_order

ROW_GROUP_ROWS: Final = 256_000
# Columns whose values repeat (nicks, roles, ids of conversations): dictionary-encoded. Ids of messages, text and
# times rarely repeat, so trying a dictionary for them is wasted work. Min/max statistics only where a row
# group's range can exclude it (times, line numbers, few-valued columns): over ids, nicks and text it spans
# almost everything. Together ~20% of the Parquet writing time.
_DICTIONARY_COLUMNS: Final = [
    f.name for f in SCHEMA if f.name not in ("message_id", "sent_at", "content", "source_line")
]
_STATISTICS_COLUMNS: Final = [
    "platform",
    "shop",
    "sent_at",
    "sender_role",
    "msg_type",
    "source_file",
    "source_line",
    "import_id",
]
_ROLES_SCHEMA: Final = pa.schema([(c, pa.string()) for c in ("conversation_id", "sender", "sender_role", "buyer")])


@dataclass(frozen=True)
class IngestResult:
    """What one import added."""

    staged_rows: int
    messages_added: int
    duplicates_skipped: int
    unknown_roles: int
    first_message_at: str | None
    last_message_at: str | None


def _connect(store: Store) -> Any:
    import duckdb

    spill = store.tmp_dir / "duckdb"
    spill.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(config={"memory_limit": STAGING_MEMORY_LIMIT, "temp_directory": str(spill)})
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")  # DuckDB would draw its own bar on stderr
    return con


class Ingestion:
    """The DuckDB database of one import run, shared by the run's files.

    A directory of hundreds of small exports (a message-manager TXT per contact) used to pay, per file, ~20 ms
    for opening a database and a read of every stored id of the months it touches, which grows with each file
    the run adds. Now each file gets a cursor of its own (its temporary tables go with it), and the ids of a
    stored Parquet file are read into `stored_ids` once per run, when a file first touches its partition
    (platform and month); a file's new rows are checked against the ids of its own partitions only.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._database: Any = None
        # Stored ids of the files a streamed import touched, as digests (store/streamed.py)
        self.stored_digests = DigestSet()
        self._digested: set[Path] = set()
        self._read: set[Path] = set()
        self._agents: dict[str, set[str]] = {}

    def __enter__(self) -> Ingestion:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the database (its tables are in memory and `.tmp`: nothing to keep); the next file opens another."""
        if self._database is not None:
            self._database.close()
            self._database = None
        self._read.clear()

    def cursor(self) -> Any:
        """A connection of its own to the run's database."""
        if self._database is None:
            self._database = _connect(self.store)
            self._database.execute("CREATE TABLE stored_ids (partition VARCHAR, message_id VARCHAR)")
        con = self._database.cursor()
        con.execute("SET enable_progress_bar = false")
        return con

    def read_ids(self, con: Any, files: list[Path]) -> None:
        """Make sure the ids of these stored files are in `stored_ids`, with their partition (`partition_key`)."""
        unread: dict[str, list[str]] = {}
        for file in files:
            if file not in self._read:
                key = partition_key(*partition_of(file))
                unread.setdefault(key, []).append(str(file))
        for key, paths in unread.items():
            con.execute("INSERT INTO stored_ids SELECT ?, message_id FROM read_parquet(?)", [key, paths])
        self._read.update(files)

    def read_digests(self, files: list[Path]) -> None:
        """Add the ids of these stored files to `stored_digests` (each file read once per run)."""
        chunks: list[pa.Array] = []
        for file in files:
            if file not in self._digested:
                chunks += pq.ParquetFile(file).read(columns=["message_id"]).column(0).chunks
                self._digested.add(file)
        if chunks:  # one sort of them all: cheaper than merging a run per row group
            self.stored_digests.add(Digests.of(*chunks))

    def known_agents(self, platform: str) -> frozenset[str]:
        """Senders stored as this platform's agents, read once per run, plus those `learn_agents` added."""
        if platform not in self._agents:
            files = self.store.message_files(platform=platform)
            names: set[str] = set()
            if files:
                con = self.cursor()
                try:
                    rows = con.execute(
                        "SELECT DISTINCT sender FROM read_parquet(?) WHERE sender_role = 'agent' AND sender <> ''",
                        [[str(f) for f in files]],
                    ).fetchall()
                finally:
                    con.close()
                names = {row[0] for row in rows}
            self._agents[platform] = names
        return frozenset(self._agents[platform])

    def learn_agents(self, platform: str, roles: pa.Table) -> None:
        """Add the agents of a file just imported (`roles`: sender, sender_role), for the run's next files."""
        agents = pc.filter(roles["sender"], pc.equal(roles["sender_role"], "agent"))
        self._agents.setdefault(platform, set()).update(a for a in agents.to_pylist() if a is not None)


def partition_key(platform: str, month: str) -> str:
    """How `stored_ids` names a partition of the store."""
    return f"{platform}/{month}"


# The identity key: identical (thread, second, sender, content) messages are numbered, not merged. Such repeats
# are rare. Candidates are the rows whose (thread, second, sender) recurs, found with a 64-bit hash: a superset
# of the true repeats (~0.01% of rows) that needs no content folding. Only they are numbered exactly. Every
# other row has occurrence 0, hashed in the final query, which DuckDB runs on all cores (staging reads the
# parser's stream on one thread: hashing there made it the slowest step for CSV files).
_STAGE_SQL: Final = "CREATE TEMP TABLE staged AS SELECT * FROM incoming"
_RENUMBERED_SQL: Final = f"""
CREATE TEMP TABLE renumbered AS
WITH keyed AS (
    SELECT rowid AS row_key, hash(platform, coalesce(thread, ''), {SECOND_SQL}, coalesce(sender, '')) AS k
    FROM staged),
candidates AS (
    SELECT row_key FROM keyed WHERE k IN (SELECT k FROM keyed GROUP BY k HAVING count(*) > 1))
SELECT rowid AS row_key,
       {message_id_sql(f"row_number() OVER (PARTITION BY {IDENTITY_SQL} ORDER BY source_file, source_line) - 1")}
           AS message_id
FROM staged WHERE rowid IN (SELECT row_key FROM candidates)
"""


def _final_sql(*, fills: bool, renumbered: bool, stored: list[str], import_id: str) -> str:
    """Staged rows with their fills and ids, minus stored ones: streamed to the Parquet writer."""
    filled = {"conversation_id", "sender_role", "buyer", "agent"} if fills else set()
    columns = ", ".join(
        f"f.{f.name}" if f.name in filled else f"st.{f.name}" for f in STAGING_SCHEMA if f.name != "thread"
    )
    message_id = f"coalesce(n.message_id, {FIRST_ID_SQL})" if renumbered else FIRST_ID_SQL
    joins = []
    if fills:
        joins.append("JOIN fills f ON st.rowid = f.row_key")
    if renumbered:
        joins.append("LEFT JOIN renumbered n ON st.rowid = n.row_key")
    rows = (
        f"SELECT {message_id} AS message_id, {columns}, '{import_id}' AS import_id, "
        f"strftime({local_time_sql('st.sent_at')}, '%Y-%m') AS month FROM staged st {' '.join(joins)}"
    )
    if not stored:
        return rows
    keys = ", ".join("'" + key.replace("'", "''") + "'" for key in stored)
    ids = f"(SELECT message_id FROM stored_ids WHERE partition IN ({keys}))"
    return f"SELECT r.* FROM ({rows}) r ANTI JOIN {ids} e ON r.message_id = e.message_id"


@contextmanager
def _interruptible() -> Iterator[None]:
    """Ctrl-C during the import as KeyboardInterrupt, whatever DuckDB turned it into.

    DuckDB reports a statement stopped by Ctrl-C as RuntimeError('Query interrupted'), and a Ctrl-C that lands
    while it reads a registered Arrow table as an InvalidInputException: either would end the command with a
    traceback instead of the interrupted-import message. Python's own SIGINT handler is wrapped to notice it.
    """
    interrupted = threading.Event()
    wrapped = (
        threading.current_thread() is threading.main_thread()
        and signal.getsignal(signal.SIGINT) is signal.default_int_handler
    )

    def noted(signum: int, frame: FrameType | None) -> None:
        interrupted.set()
        signal.default_int_handler(signum, frame)

    if wrapped:
        signal.signal(signal.SIGINT, noted)
    try:
        yield
    except Exception as exc:
        if interrupted.is_set() or str(exc) == "Query interrupted":
            raise KeyboardInterrupt from exc
        raise
    finally:
        if wrapped:
            signal.signal(signal.SIGINT, signal.default_int_handler)


@_interruptible()
def ingest(
    store: Store,
    parsed: Parsed,
    *,
    import_id: str,
    source_label: str,
    gap_minutes: int,
    on_rows: Callable[[int], None] | None = None,
    ingestion: Ingestion | None = None,
    streamed: bool = True,
) -> IngestResult:
    """Identify, de-duplicate and write one parsed file; the caller commits it to the import log afterwards.

    A file whose first batch needs no fills, or only those `PeopleFilled` makes as it streams, is streamed
    (`store/streamed.py`); if a later batch turns out to need more, `NotStreamable` is raised with nothing
    written, and the caller parses the file again and imports it with `streamed=False`: staged in DuckDB whole.
    `ingestion`: the run's database, when several files are imported (else one is opened for this file).
    """
    run = ingestion or Ingestion(store)
    con = run.cursor()
    counted = _Counted(parsed.batches, on_rows)
    stream = iter(counted)
    try:
        batches: Iterator[pa.RecordBatch] = stream
        if streamed and parsed.roles is None and not parsed.roles_to_come:
            first = next(stream, None)
            batches = itertools.chain([first] if first is not None else [], stream)
            filled = first is not None and not complete(first)
            if not filled or fillable_in_order(first):
                result = _ingest_streamed(store, run, con, batches, import_id, filled=filled)
                write_rejects(store, parsed, import_id, source_label)
                return result
        return _ingest_staged(
            store,
            run,
            con,
            parsed,
            counted,
            batches,
            import_id=import_id,
            source_label=source_label,
            gap_minutes=gap_minutes,
        )
    finally:
        with contextlib.suppress(ValueError):  # "generator already executing": a DuckDB thread still in it
            stream.close()  # stops the parser's thread when the import ended early
        con.close()
        if ingestion is None:
            run.close()


def _ingest_streamed(
    store: Store, run: Ingestion, con: Any, batches: Iterator[pa.RecordBatch], import_id: str, *, filled: bool
) -> IngestResult:
    def stored_partitions(keys: set[tuple[str, str]]) -> set[tuple[str, str]]:
        files = _existing_files(store, sorted(keys))
        try:
            run.read_digests(files)
        except ValueError:  # stored ids that are not md5 hex: the staged path compares them as text
            raise NotStreamable("stored ids that are not md5 digests") from None
        return {partition_of(file) for file in files}

    if filled:
        batches = iter(PeopleFilled(batches))
    rows = StreamedRows(batches, con, import_id, stored_partitions, run.stored_digests, filled=filled)
    added = write_partitions(store, rows, import_id)
    totals = rows.totals
    return IngestResult(
        totals.rows,
        added,
        totals.rows - added,
        totals.unknown_roles,
        _local_text(totals.first_ms),
        _local_text(totals.last_ms),
    )


def _ingest_staged(
    store: Store,
    run: Ingestion,
    con: Any,
    parsed: Parsed,
    counted: _Counted,
    batches: Iterator[pa.RecordBatch],
    *,
    import_id: str,
    source_label: str,
    gap_minutes: int,
) -> IngestResult:
    """Stage the whole file in DuckDB, compute its fills (`store/fills.py`) and ids, write the new rows.

    `batches`: the rows of `counted` (its first batch may have been taken already, to choose the path).
    """
    # One streaming scan: DuckDB pulls the parser's batches itself (per-batch INSERTs cost ~5x more).
    con.register("incoming", pa.RecordBatchReader.from_batches(STAGING_SCHEMA, batches))
    try:
        con.execute(_STAGE_SQL)
    except Exception:
        if counted.error is not None:
            raise counted.error from None
        raise
    con.unregister("incoming")
    staged_rows = counted.rows
    if parsed.roles is not None:
        con.register("roles", parsed.roles.cast(_ROLES_SCHEMA))
    missing = con.execute(
        "SELECT count(*) FILTER (conversation_id IS NULL), count(*) FILTER (buyer IS NULL OR agent IS NULL) FROM staged"
    ).fetchall()[0]
    partitions = con.execute(f"SELECT DISTINCT platform, strftime({LOCAL_TIME_SQL}, '%Y-%m') FROM staged").fetchall()
    existing = _existing_files(store, partitions)
    prior = missing[0] > 0 and _stage_prior(con, store, gap_minutes)
    needs = FillNeeds(roles=parsed.roles is not None, conversations=missing[0] > 0, people=missing[1] > 0, prior=prior)
    fills = needs.roles or needs.conversations or needs.people
    if fills:
        filled = compute_fills(con, needs, gap_minutes)
        con.register("fills", filled)
    con.execute(_RENUMBERED_SQL)
    renumbered = con.execute("SELECT count(*) FROM renumbered").fetchall()[0][0] > 0
    if existing:
        run.read_ids(con, existing)
    roles_table = "fills" if fills else "staged"
    unknown = con.execute(f"SELECT count(*) FROM {roles_table} WHERE sender_role = 'unknown'").fetchall()[0][0]
    span = con.execute(
        f"SELECT strftime(min({LOCAL_TIME_SQL}), '%Y-%m-%d %H:%M:%S'), "
        f"strftime(max({LOCAL_TIME_SQL}), '%Y-%m-%d %H:%M:%S') FROM staged"
    ).fetchall()[0]
    # Not sorted: sorting every column cost ~1.5 s per 1M messages, and readers order what they show.
    stored = [partition_key(platform, month) for platform, month in partitions] if existing else []
    new_rows = con.sql(_final_sql(fills=fills, renumbered=renumbered, stored=stored, import_id=import_id))
    added = write_partitions(store, new_rows.to_arrow_reader(ROW_GROUP_ROWS), import_id)
    write_rejects(store, parsed, import_id, source_label)
    return IngestResult(staged_rows, added, staged_rows - added, int(unknown), *_local_span(span))


def _stage_prior(con: Any, store: Store, gap_minutes: int) -> bool:
    """Stored conversations with derived ids near this file's id-less messages, as table `prior` (spans)."""
    gap = f"INTERVAL {int(gap_minutes)} MINUTE"
    windows = con.execute(
        f"SELECT DISTINCT platform, strftime({local_time_sql(f'sent_at - {gap}')}, '%Y-%m'), "
        f"strftime({local_time_sql(f'sent_at + {gap}')}, '%Y-%m') "
        "FROM staged WHERE conversation_id IS NULL"
    ).fetchall()
    files = _existing_files(store, [(p, m) for p, before, after in windows for m in (before, after)])
    if not files:
        return False
    # Derived ids are `<platform>-<16 hex digits>` (see store/fills.py); ids from an export are left alone.
    con.execute(
        f"""
        CREATE TEMP TABLE prior AS
        WITH wanted AS (
            SELECT platform, coalesce(shop, '') AS shop_key, {who_sql()} AS who,
                   min(sent_at) - {gap} AS lo, max(sent_at) + {gap} AS hi
            FROM staged WHERE conversation_id IS NULL GROUP BY ALL)
        SELECT m.platform, w.shop_key, w.who, m.conversation_id AS prior_conversation,
               min(m.sent_at) AS first_at, max(m.sent_at) AS last_at
        FROM read_parquet(?) m JOIN wanted w
          ON m.platform = w.platform AND coalesce(m.shop, '') = w.shop_key
         AND coalesce(m.buyer_id, m.buyer, '') = w.who AND m.sent_at BETWEEN w.lo AND w.hi
        WHERE m.conversation_id LIKE m.platform || '-%'
          AND length(m.conversation_id) = length(m.platform) + 17
        GROUP BY ALL""",
        [[str(f) for f in files]],
    )
    return bool(con.execute("SELECT count(*) > 0 FROM prior").fetchall()[0][0])


class _Counted:
    """Counts rows flowing from the parser to DuckDB and reports progress."""

    def __init__(self, batches: Iterator[pa.RecordBatch], on_rows: Callable[[int], None] | None) -> None:
        self.batches = batches
        self.on_rows = on_rows
        self.rows = 0
        self.error: BaseException | None = None

    def __iter__(self) -> Generator[pa.RecordBatch, None, None]:
        try:
            for batch in _prefetched(self.batches):
                self.rows += batch.num_rows
                if self.on_rows is not None:
                    self.on_rows(batch.num_rows)
                yield batch
        except BaseException as exc:  # DuckDB wraps it; the caller re-raises the original
            self.error = exc
            raise


def _prefetched(batches: Iterator[pa.RecordBatch], depth: int = 2) -> Iterator[pa.RecordBatch]:
    """The parser's batches, parsed on a second thread while DuckDB stages (and hashes) the previous ones.

    Errors raised by the parser come out here, in order. When the consumer stops early, the parser stops
    after the batch it is working on.
    """
    queue: Queue[tuple[str, Any]] = Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: tuple[str, Any]) -> bool:
        while not stop.is_set():
            try:
                queue.put(item, timeout=0.1)
                return True
            except Full:
                continue
        return False

    def produce() -> None:
        try:
            for batch in batches:
                if not put(("batch", batch)):
                    return
        except BaseException as exc:  # handed to the consumer, which raises it
            put(("error", exc))
            return
        put(("end", None))

    thread = threading.Thread(target=produce, name="chatlog-parse", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = queue.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        thread.join()


def _local_span(span: tuple[Any, Any] | None) -> tuple[str | None, str | None]:
    return (span[0], span[1]) if span else (None, None)


def _local_text(epoch_ms: int | None) -> str | None:
    """China local time of a UTC instant as `local_time_sql` and `%Y-%m-%d %H:%M:%S` would give it."""
    if epoch_ms is None:
        return None
    local = dt.datetime(1970, 1, 1) + dt.timedelta(milliseconds=epoch_ms + CHINA_UTC_OFFSET_MS)
    return local.strftime("%Y-%m-%d %H:%M:%S")


def _existing_files(store: Store, partitions: list[tuple[str, str]]) -> list[Path]:
    by_platform: dict[str, set[str]] = {}
    for platform, month in partitions:
        by_platform.setdefault(platform, set()).add(month)
    files: list[Path] = []
    for platform, months in by_platform.items():
        files.extend(store.message_files(platform=platform, months=months))
    return files


def write_partitions(store: Store, reader: Iterable[pa.RecordBatch], import_id: str) -> int:
    """Write rows into one file per (platform, month), staged in .tmp and then moved into place.

    A batch is encoded and compressed on a second thread while the next one is computed: the Parquet writer
    releases the GIL, and on two cores the two overlap almost entirely.
    """
    files = _PartitionFiles(store, import_id)
    total = 0
    try:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="chatlog-parquet") as pool:
            pending: Future[int] | None = None
            for batch in reader:
                if pending is not None:
                    total += pending.result()
                pending = pool.submit(files.write, batch)
            if pending is not None:
                total += pending.result()
        files.commit()
    finally:
        files.discard()
    return total


class _PartitionFiles:
    """The Parquet files of one import being written, one per (platform, month), in `.tmp` until committed."""

    def __init__(self, store: Store, import_id: str) -> None:
        self.store = store
        self.import_id = import_id
        self.staging = store.tmp_dir / import_id
        self.writers: dict[tuple[str, str], tuple[pq.ParquetWriter, Path, Path]] = {}

    def write(self, batch: pa.RecordBatch) -> int:
        table = pa.Table.from_batches([batch])
        keys = _partition_keys(table)
        for key in keys:
            part = (
                table
                if len(keys) == 1
                else table.filter(pc.and_(pc.equal(table["platform"], key[0]), pc.equal(table["month"], key[1])))
            )
            self._writer(key).write_table(part.select(SCHEMA.names).cast(SCHEMA), row_group_size=ROW_GROUP_ROWS)
        return int(table.num_rows)

    def _writer(self, key: tuple[str, str]) -> pq.ParquetWriter:
        if key not in self.writers:
            name = f"{self.import_id}-{uuid.uuid4().hex[:6]}.parquet"
            relative = Path(f"platform={key[0]}") / f"month={key[1]}" / name
            target = self.staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            writer = pq.ParquetWriter(
                target,
                SCHEMA,
                compression="zstd",
                use_dictionary=_DICTIONARY_COLUMNS,
                write_statistics=_STATISTICS_COLUMNS,
            )
            self.writers[key] = (writer, target, self.store.messages_dir / relative)
        return self.writers[key][0]

    def commit(self) -> None:
        """Close every file and move it into the store."""
        while self.writers:
            _, (writer, tmp, final) = self.writers.popitem()
            writer.close()
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, final)

    def discard(self) -> None:
        """Close what is still open and remove what was not committed."""
        for writer, _, _ in self.writers.values():
            writer.close()
        self.writers.clear()
        shutil.rmtree(self.staging, ignore_errors=True)


def _partition_keys(table: pa.Table) -> list[tuple[str, str]]:
    keys = (
        pa.Table.from_arrays([table["platform"], table["month"]], names=["p", "m"]).group_by(["p", "m"]).aggregate([])
    )
    return sorted(zip(keys["p"].to_pylist(), keys["m"].to_pylist(), strict=True))


def write_rejects(store: Store, parsed: Parsed, import_id: str, source_label: str) -> None:
    """Keep the rows a parse rejected, with their reasons, as `rejects/<import_id>.parquet` (uncommitted)."""
    if not parsed.rejects:
        return
    rows = [
        {
            "import_id": import_id,
            "source_file": r.source_file or source_label,
            "source_line": r.source_line,
            "reason_code": r.reason_code,
            "reason": r.reason,
            "raw": r.raw,
        }
        for r in parsed.rejects
    ]
    table = pa.Table.from_pylist(rows, schema=REJECT_SCHEMA)
    store.rejects_dir.mkdir(parents=True, exist_ok=True)
    tmp = store.tmp_dir / f"{import_id}.rejects.parquet"
    tmp.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, store.rejects_dir / f"{import_id}.parquet")
