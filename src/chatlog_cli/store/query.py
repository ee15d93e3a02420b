"""DuckDB over the store: views of committed data only.

`messages`, `imports`, `rejects`; `sessions` (session-list metadata such as JD 会话记录) and
`conversation_sessions` (each session with the chat-log conversation it was matched to).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

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
    files = store.message_files()
    if files:
        con.execute(f"CREATE VIEW messages AS SELECT * FROM read_parquet({sql_list(files)}, hive_partitioning = false)")
    else:
        con.register("_empty_messages", SCHEMA.empty_table())
        con.execute("CREATE VIEW messages AS SELECT * FROM _empty_messages")
    sessions = store.session_files()
    if sessions:
        con.execute(f"CREATE VIEW sessions AS SELECT * FROM read_parquet({sql_list(sessions)})")
    else:
        con.register("_empty_sessions", SESSION_SCHEMA.empty_table())
        con.execute("CREATE VIEW sessions AS SELECT * FROM _empty_sessions")
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
