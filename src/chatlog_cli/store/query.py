"""DuckDB over the store: views of committed data only.

`messages`, `imports`, `rejects`; `sessions` (session-list metadata such as JD 会话记录) and
`conversation_sessions` (each session with the chat-log conversation it was matched to).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from chatlog_cli.schema import SCHEMA, SESSION_SCHEMA
from chatlog_cli.store.store import Store


def local_time_sql(expression: str = "sent_at") -> str:
    """China local time of a timestamp expression without a time-zone database (no DST since 1991)."""
    return f"make_timestamp(epoch_ms({expression}) * 1000 + CAST(28800000000 AS BIGINT))"


LOCAL_TIME_SQL = local_time_sql()


def sql_list(paths: Sequence[Path]) -> str:
    """A DuckDB list literal of file paths (views cannot take prepared parameters)."""
    return "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths) + "]"


def connect(store: Store) -> Any:
    """An in-memory DuckDB connection with the store's views."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    _files_view(con, "messages", store.message_files(), SCHEMA)
    _files_view(con, "sessions", store.session_files(), SESSION_SCHEMA)
    from chatlog_cli.store.sessions import matches_sql

    con.execute(
        "CREATE VIEW conversation_sessions AS SELECT m.conversation_id, m.seconds_apart, s.* "
        f"FROM sessions s JOIN ({matches_sql()}) m USING (session_key)"
    )
    con.register("_imports", store.import_log())
    con.execute("CREATE VIEW imports AS SELECT * FROM _imports")
    con.register("_rejects", store.read_rejects())
    con.execute("CREATE VIEW rejects AS SELECT * FROM _rejects")
    return con


def _files_view(con: Any, name: str, files: Sequence[Path], schema: pa.Schema) -> None:
    """A view over Parquet files, or over an empty table of the schema when there are none yet."""
    if files:
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet({sql_list(files)}, hive_partitioning = false)")
    else:
        con.register(f"_empty_{name}", schema.empty_table())
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM _empty_{name}")
