"""Derived data kept one file per message file (tags, sentiment scores), brought up to date incrementally.

Each derived file mirrors one message file (same partition and name) and carries in its Parquet metadata a
stamp: the fingerprint of what made it (a rule set, a model). A run recomputes exactly the selected message
files whose derived file is missing or stamped differently, so running twice writes nothing, new imports are
processed on their own and a changed rule set or model redoes everything. A message file is processed whole
even when a filter selects only some of its messages: the file is the unit that can be stamped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq

from chatlog_cli import __version__
from chatlog_cli.find.filters import MessageFilter
from chatlog_cli.store.query import connect, sql_list
from chatlog_cli.store.store import Store, atomic_write_parquet

# Messages read per batch: enough for texts to repeat across files, bounded for memory.
BATCH_MESSAGES: Final = 2_000_000


@dataclass(frozen=True)
class Pending:
    """Which selected message files need (re)computing for a stamp."""

    files: list[Path]  # selected files without a current derived file
    current: int  # selected files already up to date
    elsewhere: int  # files outside the selection that are not up to date


def stamp_of(path: Path, key: bytes) -> str | None:
    """The stamp recorded in a derived file (None when it is missing or unreadable)."""
    if not path.exists():
        return None
    try:
        metadata = pq.read_schema(path).metadata or {}
    except (OSError, pa.ArrowInvalid):
        return None  # unreadable: compute it again
    value = metadata.get(key)
    return value.decode() if value is not None else None


def pending_files(store: Store, kind: str, key: bytes, stamp: str, where: MessageFilter) -> Pending:
    """The selected message files whose derived file of `kind` is missing or not stamped `stamp`."""
    all_files = store.message_files()
    selected = selected_files(store, where, all_files)
    chosen = set(selected)
    todo = [f for f in selected if stamp_of(store.derived_file_for(kind, f), key) != stamp]
    elsewhere = sum(1 for f in all_files if f not in chosen and stamp_of(store.derived_file_for(kind, f), key) != stamp)
    return Pending(todo, len(selected) - len(todo), elsewhere)


def missing_files(store: Store, kind: str) -> int:
    """Committed message files without any derived file of this kind (never processed)."""
    return sum(1 for f in store.message_files() if not store.derived_file_for(kind, f).exists())


def selected_files(store: Store, where: MessageFilter, files: list[Path]) -> list[Path]:
    """The message files holding at least one selected message."""
    condition, params = where.where()
    if condition == "true" or not files:
        return files
    con = connect(store)
    try:
        # The `messages` view hides file names; the same files read directly expose them.
        rows = con.execute(
            f"SELECT DISTINCT filename FROM read_parquet({sql_list(files)}, filename = true, "
            f"hive_partitioning = false) WHERE {condition}",
            params,
        ).fetchall()
    finally:
        con.close()
    chosen = {Path(name) for (name,) in rows}
    return [f for f in files if f in chosen]


def read_batches(
    files: Sequence[Path], columns: list[str], max_rows: int = BATCH_MESSAGES
) -> Iterator[tuple[list[tuple[Path, int]], pa.Table]]:
    """Files grouped into tables of up to `max_rows` rows (a bigger file is a batch of its own)."""
    group: list[tuple[Path, pa.Table]] = []
    size = 0
    for path in files:
        table = pq.read_table(path, columns=columns)
        if group and size + table.num_rows > max_rows:
            yield [(p, t.num_rows) for p, t in group], pa.concat_tables([t for _, t in group])
            group, size = [], 0
        group.append((path, table))
        size += table.num_rows
    if group:
        yield [(p, t.num_rows) for p, t in group], pa.concat_tables([t for _, t in group])


def stamp_metadata(
    schema: pa.Schema, key: bytes, stamp: str, extra: dict[bytes, bytes] | None = None
) -> dict[bytes, bytes]:
    """Schema metadata for a derived file: the stamp, chatlog's version and the time it was made."""
    return {
        **(schema.metadata or {}),
        key: stamp.encode(),
        **(extra or {}),
        b"chatlog.version": __version__.encode(),
        b"chatlog.made_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds").encode(),
    }


def write_per_file(
    store: Store,
    kind: str,
    batch_files: list[tuple[Path, int]],
    derived: pa.Table,
    rows: npt.NDArray[np.int64],
    metadata: dict[bytes, bytes],
) -> int:
    """Write a batch's derived rows as one file per message file, atomically; returns the rows written.

    `rows` holds, for each derived row, the row of the batch it belongs to.
    """
    bounds = np.cumsum([0, *(n for _, n in batch_files)])
    file_of_row = np.searchsorted(bounds, rows, side="right") - 1
    written = 0
    for index, (path, _) in enumerate(batch_files):
        part = derived.filter(pa.array(file_of_row == index)).replace_schema_metadata(metadata)
        target = store.derived_file_for(kind, path)
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_parquet(part, target)
        written += part.num_rows
    return written
