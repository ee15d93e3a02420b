"""DuckDB over the store: views of committed data only.

`messages`, `imports`, `rejects`; `sessions` (session-list metadata such as JD 会话记录) and
`conversation_sessions` (each session with the chat-log conversation it was matched to); `message_tags`
(one row per message and tag, from `chatlog tag`) and `conversation_tags` (tags rolled up per conversation,
with the first tagged message as evidence); `message_sentiment` (scores from `chatlog sentiment`) and
`conversation_sentiment` (the buyer's scores summarised per conversation, labelled with the default thresholds).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from chatlog_cli.schema import REJECT_SCHEMA, SCHEMA, SENTIMENT_SCHEMA, SESSION_SCHEMA, TAG_SCHEMA
from chatlog_cli.sentiment.aggregate import Thresholds
from chatlog_cli.settings import CHINA_UTC_OFFSET_MS, DEFAULT_TZ
from chatlog_cli.store.store import IMPORT_LOG_SCHEMA, SENTIMENT, TAGS, Store


def local_time_sql(expression: str = "sent_at") -> str:
    """China local time of a timestamp expression without a time-zone database (no DST since 1991)."""
    return f"make_timestamp(epoch_ms({expression}) * 1000 + CAST({CHINA_UTC_OFFSET_MS * 1000} AS BIGINT))"


LOCAL_TIME_SQL = local_time_sql()


# One row per conversation. 首次响应时间 (first_response_seconds): from the buyer's first message to the first
# human agent message after it; robot replies do not count (that is what shops are measured on).
CONVERSATIONS_SQL = """
WITH firsts AS (
    SELECT platform, conversation_id, min(sent_at) FILTER (WHERE sender_role = 'buyer') AS first_buyer_at
    FROM messages GROUP BY ALL)
SELECT m.platform, any_value(m.shop) AS shop, m.conversation_id,
       arg_min(m.buyer, m.sent_at) FILTER (WHERE m.buyer IS NOT NULL) AS buyer,
       string_agg(DISTINCT m.agent, '、' ORDER BY m.agent) AS agents,
       min(m.sent_at) AS started_at, max(m.sent_at) AS ended_at, count(*) AS messages,
       count(*) FILTER (WHERE m.sender_role = 'buyer') AS buyer_messages,
       count(*) FILTER (WHERE m.sender_role = 'agent') AS agent_messages,
       epoch(min(m.sent_at) FILTER (WHERE m.sender_role = 'agent' AND m.sent_at >= f.first_buyer_at))
         - epoch(any_value(f.first_buyer_at)) AS first_response_seconds,
       string_agg(DISTINCT m.order_id, '、' ORDER BY m.order_id) AS order_ids
FROM messages m JOIN firsts f ON m.platform = f.platform AND m.conversation_id IS NOT DISTINCT FROM f.conversation_id
GROUP BY m.platform, m.conversation_id
"""


# One row per conversation and tag: how many of its messages carry the tag, and the first one as evidence
# (ties within a second broken by position in the export).
def conversation_tags_sql(scope: str | None = None) -> str:
    """SQL of the `conversation_tags` view; with `scope`, only for the conversations in that table.

    `scope` has platform and conversation_id (a missing id as ''): reports and alerts roll up the tags of the
    conversations they look at rather than every tag in the store.
    """
    order = "epoch_ms(m.sent_at) * 1000000 + m.source_line"
    within = (
        f"JOIN {scope} s ON s.platform = m.platform AND s.conversation_id = coalesce(m.conversation_id, '')"
        if scope
        else ""
    )
    return f"""
SELECT m.platform, m.conversation_id, t.tag, any_value(t.priority) AS priority, count(*) AS messages,
       min(m.sent_at) AS first_at,
       arg_min(t.message_id, {order}) AS evidence_message_id,
       arg_min(t.rule, {order}) AS evidence_rule,
       arg_min(t.keyword, {order}) AS evidence_keyword
FROM message_tags t JOIN messages m USING (message_id) {within}
GROUP BY m.platform, m.conversation_id, t.tag
"""


# Per conversation, over the buyer's scored messages in time order (ties within a second broken by position in
# the export); the definitions are sentiment/aggregate.py's (a test keeps the two in step).
def conversation_sentiment_sql(thresholds: Thresholds | None = None) -> str:
    """SQL for one row per conversation with a scored buyer message.

    Columns: scored_messages, mean, min, first, last, change, score, label, lowest_message_id.
    """
    thresholds = thresholds or Thresholds()
    order = "epoch_ms(m.sent_at) * 1000000 + m.source_line"
    return f"""
SELECT platform, conversation_id, scored_messages, mean, min, first, last, last - first AS change, score,
       CASE WHEN score < {thresholds.negative_below!r} THEN 'negative'
            WHEN score > {thresholds.positive_above!r} THEN 'positive' ELSE 'neutral' END AS label,
       lowest_message_id
FROM (
    SELECT m.platform, m.conversation_id, count(*) AS scored_messages, avg(s.score) AS mean, min(s.score) AS min,
           arg_min(s.score, {order}) AS first, arg_max(s.score, {order}) AS last,
           arg_max(s.score, {order}) AS score,
           arg_min(s.message_id, (s.score, {order})) AS lowest_message_id
    FROM message_sentiment s JOIN messages m USING (message_id)
    WHERE m.sender_role = 'buyer'
    GROUP BY m.platform, m.conversation_id)
"""


def sql_list(paths: Sequence[Path]) -> str:
    """A DuckDB list literal of file paths (views cannot take prepared parameters)."""
    return "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths) + "]"


def connect(store: Store) -> Any:
    """An in-memory DuckDB connection with the store's views."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    # Times read back, printed or formatted by SQL are China time, like the exports they came from.
    con.execute(f"SET TimeZone = '{DEFAULT_TZ}'")
    message_files = store.message_files()
    _files_view(con, "messages", message_files, SCHEMA)
    _files_view(con, "sessions", store.session_files(), SESSION_SCHEMA)
    from chatlog_cli.store.sessions import matches_sql

    con.execute(
        "CREATE VIEW conversation_sessions AS SELECT m.conversation_id, m.seconds_apart, s.* "
        f"FROM sessions s JOIN ({matches_sql()}) m USING (session_key)"
    )
    con.execute(f"CREATE VIEW conversations AS {CONVERSATIONS_SQL}")
    _files_view(con, "message_tags", store.derived_files(TAGS, message_files), TAG_SCHEMA)
    con.execute(f"CREATE VIEW conversation_tags AS {conversation_tags_sql()}")
    _files_view(con, "message_sentiment", store.derived_files(SENTIMENT, message_files), SENTIMENT_SCHEMA)
    con.execute(f"CREATE VIEW conversation_sentiment AS {conversation_sentiment_sql()}")
    imports = [store.import_log_path] if store.import_log_path.exists() else []
    _files_view(con, "imports", imports, IMPORT_LOG_SCHEMA)
    _files_view(con, "rejects", store.reject_files(), REJECT_SCHEMA)
    return con


def _files_view(con: Any, name: str, files: Sequence[Path], schema: pa.Schema) -> None:
    """A view over Parquet files, or an empty one with the schema's columns when there are none yet."""
    if files:
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet({sql_list(files)}, hive_partitioning = false)")
        return
    # Typed NULLs rather than a registered empty Arrow table: registering makes DuckDB import pandas and
    # pyarrow.dataset, a quarter of a second on every command.
    columns = ", ".join(f"NULL::{_duckdb_type(f.type)} AS {f.name}" for f in schema)
    con.execute(f"CREATE VIEW {name} AS SELECT {columns} WHERE false")


def _duckdb_type(data_type: pa.DataType) -> str:
    if pa.types.is_timestamp(data_type):
        return "TIMESTAMPTZ" if data_type.tz else "TIMESTAMP"
    simple = {pa.string(): "VARCHAR", pa.int64(): "BIGINT", pa.float64(): "DOUBLE", pa.bool_(): "BOOLEAN"}
    return simple[data_type]
