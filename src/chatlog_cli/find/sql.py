"""`chatlog sql` as a library call: one read-only DuckDB query over the store's views."""

from __future__ import annotations

from typing import Final

import pyarrow as pa

from chatlog_cli.errors import UsageError
from chatlog_cli.store.query import connect
from chatlog_cli.store.store import Store

VIEWS: Final = ("messages", "conversations", "sessions", "conversation_sessions", "imports", "rejects")
_READ_ONLY: Final = ("SELECT", "EXPLAIN")


def run_query(store: Store, query: str, *, max_rows: int | None = None) -> pa.Table:
    """Run one SELECT (or EXPLAIN); anything that could write — COPY, CREATE, ATTACH, SET … — is refused."""
    import duckdb

    con = connect(store)
    try:
        try:
            statements = con.extract_statements(query)
        except duckdb.Error as exc:
            raise UsageError(f"SQL 语法有误：{_first_line(exc)}") from None
        if len(statements) != 1:
            raise UsageError(f"一次只能运行一条 SQL 语句（收到 {len(statements)} 条）。")
        kind = str(statements[0].type).rsplit(".", 1)[-1]
        if kind not in _READ_ONLY:
            raise UsageError(
                f"chatlog sql 只读：不能运行 {kind} 语句。只允许 SELECT（以及 EXPLAIN）；"
                f"可查询的视图：{', '.join(VIEWS)}。要导出结果，请用 --format csv 重定向到文件，或用 chatlog export。"
            )
        try:
            relation = con.sql(query)
            if relation is None:
                return pa.table({})
            if max_rows is not None:
                relation = relation.limit(max_rows)
            return relation.to_arrow_table()
        except duckdb.Error as exc:
            raise UsageError(f"查询出错：{_first_line(exc)}（可查询的视图：{', '.join(VIEWS)}）") from None
    finally:
        con.close()


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
