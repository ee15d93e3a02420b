"""`chatlog export` as a library call: the messages a filter selects, streamed into a file."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Final

from chatlog_cli.export.writers import ExportResult, resolve_format, write_export
from chatlog_cli.find.filters import MessageFilter
from chatlog_cli.store.query import connect
from chatlog_cli.store.store import Store

BATCH_ROWS: Final = 100_000
# Sorting a large export spills to disk beyond this, so memory stays bounded whatever the store's size.
QUERY_MEMORY_LIMIT: Final = "512MB"


def count_messages(store: Store, where: MessageFilter) -> int:
    """How many messages the filter selects (for progress bars)."""
    condition, params = where.where()
    con = connect(store)
    try:
        return int(con.execute(f"SELECT count(*) FROM messages WHERE {condition}", params).fetchall()[0][0])
    finally:
        con.close()


def export_messages(
    store: Store,
    where: MessageFilter,
    path: Path,
    *,
    format: str | None = None,
    encoding: str = "utf-8-sig",
    on_rows: Callable[[int], None] | None = None,
) -> ExportResult:
    """Write the selected messages, in time order, to `path` (replaced only when complete)."""
    resolve_format(path, format)  # a bad target fails before any work
    condition, params = where.where()
    spill = Path(tempfile.mkdtemp(prefix="chatlog-export-"))
    con = connect(store)
    try:
        con.execute(f"SET memory_limit = '{QUERY_MEMORY_LIMIT}'")
        con.execute(f"SET temp_directory = '{spill}'")
        relation = con.sql(
            f"SELECT * FROM messages WHERE {condition} ORDER BY sent_at, source_file, source_line", params=params
        )
        reader = relation.to_arrow_reader(BATCH_ROWS)
        return write_export(reader, path, format=format, encoding=encoding, on_rows=on_rows)
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)
