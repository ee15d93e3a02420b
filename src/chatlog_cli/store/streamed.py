"""Importing a file whose rows are complete as they come: each batch identified and written as it arrives.

A file needs the whole-file steps of `store/fills.py` when the parser leaves roles to be resolved late, or a
row lacks its conversation id, buyer or agent. Most spreadsheet exports (Pinduoduo, Youzan) carry all of
them on every row. For those, staging every row in DuckDB and reading it back cost more than half the
import: here a batch gets its `message_id`s (one DuckDB query over the batch, on a thread of its own while
the batch before is numbered), loses the messages the store already holds, and goes to the Parquet writer
while the parser reads the next one.
Memory no longer grows with the file but for 16 bytes a row (`Occurrences`).

Rows that carry their conversation id but lack the buyer or agent (the Taobao sheet names the agent only on
the agent's rows) are streamed too when each conversation's rows come together in time order: `PeopleFilled`
fills each conversation as it ends, as `store/fills.py` would.

The ids and fills are the staged path's exactly: occurrence numbers count a repeat's earlier rows in (source
file, source line) order, so batches must come in that order. A batch out of order, or needing a fill that
takes the whole file, raises `NotStreamable`, and the file is imported staged instead (nothing of it has been
committed).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from chatlog_cli.schema import CONVERSATION_ID, SENT_AT, SOURCE_FILE, SOURCE_LINE, STAGING_SCHEMA
from chatlog_cli.settings import CHINA_UTC_OFFSET_MS
from chatlog_cli.store.fills import people_in_runs
from chatlog_cli.store.identity import (
    FLAGGED_FIRST_ID_SQL,
    Digests,
    DigestSet,
    Occurrences,
    may_fold,
    message_id_sql,
)

# Without these on every row, a message's conversation, buyer or agent comes from other rows (fills).
_FILLED_FROM_OTHER_ROWS: Final = (CONVERSATION_ID, "buyer", "agent")
_ROW_COLUMNS: Final = [f.name for f in STAGING_SCHEMA if f.name != "thread"]
_HELD_ROWS_MAX: Final = 250_000


class NotStreamable(Exception):
    """The file needs the staged import: a batch out of file order, or rows that need fills."""


def complete(batch: pa.RecordBatch) -> bool:
    """Whether every row carries what fills would otherwise derive from the rest of the file."""
    return all(batch.column(name).null_count == 0 for name in _FILLED_FROM_OTHER_ROWS)


def fillable_in_order(batch: pa.RecordBatch) -> bool:
    """Whether the batch's missing buyers and agents can be filled as it streams (`PeopleFilled`)."""
    try:
        _conversation_starts(batch)
    except NotStreamable:
        return False
    return True


class PeopleFilled:
    """Batches with their missing buyers and agents filled in as the staged import's fills would.

    Many exports (the Taobao sheet) name the agent only on the agent's own rows: a buyer's row gets the agent
    from the rest of its conversation (`store/fills.py`: the last agent at or before it, else the first).
    When each conversation's rows come together in the file, in time order, that needs only the conversation
    itself: a batch's conversations are filled as they end, and the last one, which may go on in the next
    batch, is held back until it does. A batch that breaks the order (a conversation coming back, time going
    back within one, a row without a conversation id) raises `NotStreamable`.
    """

    def __init__(self, batches: Iterator[pa.RecordBatch]) -> None:
        self.batches = batches
        self._ended: set[str] = set()

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        held: pa.RecordBatch | None = None
        for batch in self.batches:
            if batch.num_rows == 0:
                continue
            rows = batch if held is None else _concatenated(held, batch)
            starts = _conversation_starts(rows)
            conversations = rows.column(CONVERSATION_ID).take(pa.array(starts)).to_pylist()
            if not self._ended.isdisjoint(conversations):
                raise NotStreamable("a conversation comes back later in the file")
            held = rows.slice(int(starts[-1]))
            if held.num_rows > _HELD_ROWS_MAX:  # one conversation as long as a file: staged, in bounded memory
                raise NotStreamable("a conversation too long to hold back")
            if len(starts) > 1:
                self._ended.update(conversations[:-1])
                yield from _by_file(_filled(rows.slice(0, int(starts[-1])), starts[:-1]))
        if held is not None:
            yield from _by_file(_filled(held, np.zeros(1, dtype=np.int64)))


@dataclass
class StreamTotals:
    """What the batches held, counted as they passed."""

    rows: int = 0
    unknown_roles: int = 0
    first_ms: int | None = None
    last_ms: int | None = None


class StreamedRows:
    """The file's rows with their ids, minus stored messages, in batches for `write_partitions`.

    `con`: a cursor of the run's database (`Ingestion`), for the id queries; `stored_partitions(keys)` adds
    the ids of those (platform, month) partitions to `stored` and returns the keys that have any.
    """

    def __init__(
        self,
        batches: Iterator[pa.RecordBatch],
        con: Any,
        import_id: str,
        stored_partitions: Callable[[set[tuple[str, str]]], set[tuple[str, str]]],
        stored: DigestSet,
        *,
        filled: bool = False,
    ) -> None:
        self.batches = batches
        self.filled = filled  # buyers and agents already filled (`PeopleFilled`): a row may still lack them
        self.con = con
        self.import_id = import_id
        self.stored_partitions = stored_partitions
        self.stored = stored
        self.totals = StreamTotals()
        self._occurrences = Occurrences()
        self._position: tuple[str, int] | None = None
        self._stored: set[tuple[str, str]] = set()
        self._looked_up: set[tuple[str, str]] = set()
        # The batch's rows in their order: a cursor-local setting (the run's other queries need no order).
        con.execute("SET SESSION preserve_insertion_order = true")

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        # A batch's first ids (DuckDB's query, one thread per registered batch) are computed on a thread of
        # their own, on a cursor of their own, while this thread numbers, filters and hands on the batch
        # before: the two overlap on two cores (the parser's threads mostly wait for this one).
        cursor = self.con.cursor()
        cursor.execute("SET enable_progress_bar = false")
        cursor.execute("SET SESSION preserve_insertion_order = true")
        try:
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="chatlog-ids") as pool:
                ahead: tuple[pa.RecordBatch, Future[_FirstIds]] | None = None
                for batch in self.batches:
                    if batch.num_rows == 0:
                        continue
                    self._check(batch)
                    following = (batch, pool.submit(_first_ids, cursor, batch))
                    if ahead is not None:
                        yield self._identified(ahead[0], ahead[1].result())
                    ahead = following
                if ahead is not None:
                    yield self._identified(ahead[0], ahead[1].result())
        finally:
            cursor.close()

    def _check(self, batch: pa.RecordBatch) -> None:
        if not self.filled and not complete(batch):
            raise NotStreamable("rows need fills")
        files = batch.column(SOURCE_FILE)
        first_file = files[0].as_py()
        if files.null_count or not pc.all(pc.equal(files, first_file)).as_py():
            raise NotStreamable("several source files in one batch")
        lines = batch.column(SOURCE_LINE).to_numpy()
        if (np.diff(lines) < 0).any():
            raise NotStreamable("lines out of order")
        start = (first_file, int(lines[0]))
        if self._position is not None and start < self._position:
            raise NotStreamable("batches out of order")
        self._position = (first_file, int(lines[-1]))

    def _identified(self, batch: pa.RecordBatch, first: _FirstIds) -> pa.RecordBatch:
        ids, digests = self._ids(batch, first)
        months, labels = first.months, first.labels
        platform = batch.column("platform")[0].as_py()
        keys = {(platform, label) for label in labels}
        self._count(batch)
        month = pa.array(labels, pa.string()).take(pa.array(months))
        rows = batch.select(_ROW_COLUMNS)
        out = pa.RecordBatch.from_arrays(
            [ids, *rows.columns, pa.repeat(pa.scalar(self.import_id), batch.num_rows), month],
            names=["message_id", *_ROW_COLUMNS, "import_id", "month"],
        )
        if self._stored_keys(keys):
            # An id fixes its message's second and platform, so its partition: one set of stored ids serves
            # every partition the run touches (ids of other partitions cannot match).
            out = out.filter(pa.array(~self.stored.contains(digests)))
        return out

    def _ids(self, batch: pa.RecordBatch, first: _FirstIds) -> tuple[pa.Array, Digests]:
        """The batch's message ids (repeats renumbered in file order), and their digests."""
        ids, digests = first.ids, first.digests
        occurrence = self._occurrences.number(digests)
        repeats = np.flatnonzero(occurrence)
        if len(repeats):
            self.con.register(
                "repeat_rows",
                batch.take(pa.array(repeats)).append_column("occurrence", pa.array(occurrence[repeats])),
            )
            try:
                renamed = _one_array(self.con.sql(f"SELECT {message_id_sql('occurrence')} FROM repeat_rows"))
            finally:
                self.con.unregister("repeat_rows")
            mask = np.zeros(len(ids), dtype=bool)
            mask[repeats] = True
            ids = pc.replace_with_mask(ids, pa.array(mask), renamed)
            digests = _digests(ids)
        return ids, digests

    def _count(self, batch: pa.RecordBatch) -> None:
        totals = self.totals
        totals.rows += batch.num_rows
        totals.unknown_roles += pc.sum(pc.equal(batch.column("sender_role"), "unknown")).as_py() or 0
        span = pc.min_max(batch.column(SENT_AT).cast(pa.int64()))
        low, high = span["min"].as_py(), span["max"].as_py()
        totals.first_ms = low if totals.first_ms is None else min(totals.first_ms, low)
        totals.last_ms = high if totals.last_ms is None else max(totals.last_ms, high)

    def _stored_keys(self, keys: set[tuple[str, str]]) -> set[tuple[str, str]]:
        new = keys - self._looked_up
        if new:
            self._stored |= set(self.stored_partitions(new))
            self._looked_up |= new
        return keys & self._stored


def _conversation_starts(rows: pa.RecordBatch) -> npt.NDArray[np.int64]:
    """Where each conversation's run of rows begins; `NotStreamable` unless each comes once, in time order."""
    conversation = rows.column(CONVERSATION_ID)
    if conversation.null_count or rows.column(SENT_AT).null_count:
        raise NotStreamable("rows without a conversation id or time")
    same = _same_as_before(conversation)
    starts = np.flatnonzero(np.concatenate([[True], ~same]))
    if len(pc.unique(conversation)) != len(starts):
        raise NotStreamable("a conversation's rows apart in the file")
    times = rows.column(SENT_AT).cast(pa.int64()).to_numpy()
    if (np.diff(times)[same] < 0).any():
        raise NotStreamable("time going back within a conversation")
    return starts


def _same_as_before(values: pa.Array) -> npt.NDArray[np.bool_]:
    """For each row after the first, whether it holds the row before's value (a null is never the same)."""
    return np.asarray(pc.equal(values.slice(1), values.slice(0, len(values) - 1)).fill_null(False), dtype=bool)


def _concatenated(first: pa.RecordBatch, second: pa.RecordBatch) -> pa.RecordBatch:
    return pa.Table.from_batches([first, second]).combine_chunks().to_batches()[0]


def _by_file(rows: pa.RecordBatch) -> Iterator[pa.RecordBatch]:
    """The rows in one batch per source file (a conversation held back may go on in a workbook's next sheet)."""
    files = rows.column(SOURCE_FILE)
    same = _same_as_before(files)
    bounds = [0, *(np.flatnonzero(~same) + 1).tolist(), rows.num_rows]
    for start, end in itertools.pairwise(bounds):
        yield rows.slice(start, end - start)


def _filled(rows: pa.RecordBatch, starts: npt.NDArray[np.int64]) -> pa.RecordBatch:
    buyer, agent = people_in_runs(pa.Table.from_batches([rows]), starts)
    names = rows.schema.names
    columns = list(rows.columns)
    columns[names.index("buyer")], columns[names.index("agent")] = buyer, agent
    return pa.RecordBatch.from_arrays(columns, schema=rows.schema)


@dataclass(frozen=True)
class _FirstIds:
    """What a batch needs before its rows are numbered: occurrence-0 ids, their digests, each row's month."""

    ids: pa.Array
    digests: Digests
    months: np.ndarray[Any, np.dtype[np.intp]]
    labels: list[str]


def _first_ids(con: Any, batch: pa.RecordBatch) -> _FirstIds:
    """The batch's occurrence-0 ids, on cursor `con` (its own: a cursor serves one thread)."""
    flagged = batch.append_column("may_fold", pa.array(may_fold(batch.column("content"))))
    con.register("batch_rows", flagged)
    try:
        ids = _one_array(con.sql(f"SELECT {FLAGGED_FIRST_ID_SQL} AS message_id FROM batch_rows"))
    finally:
        con.unregister("batch_rows")
    return _FirstIds(ids, _digests(ids), *_local_months(batch.column(SENT_AT)))


def _digests(ids: pa.Array) -> Digests:
    try:
        return Digests.of(ids)
    except ValueError:  # not md5 hex: never from FLAGGED_FIRST_ID_SQL, but then the staged path copes
        raise NotStreamable("ids that are not md5 digests") from None


def _one_array(relation: Any) -> pa.Array:
    column = relation.to_arrow_table().column(0)
    return column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)


def _local_months(sent_at: pa.Array) -> tuple[np.ndarray[Any, np.dtype[np.intp]], list[str]]:
    """Each row's China-local month as an index into the month labels (`YYYY-MM`) the batch spans."""
    local = sent_at.cast(pa.int64()).to_numpy() + CHINA_UTC_OFFSET_MS
    months = local.astype("datetime64[ms]").astype("datetime64[M]").astype(np.int64)
    low, high = int(months.min()), int(months.max())
    if low == high:
        return np.zeros(len(months), dtype=np.intp), [_month_label(low)]
    present, index = np.unique(months, return_inverse=True)
    return index.astype(np.intp), [_month_label(int(m)) for m in present]


def _month_label(months_since_1970: int) -> str:
    return str(np.datetime64(months_since_1970, "M"))
