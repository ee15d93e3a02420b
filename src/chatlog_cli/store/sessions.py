"""Session metadata (JD 会话记录) in the store, and how it is matched to chat-log conversations.

A session list has no conversation ids the chat log shares, so rows are matched the way FORMATS.md
describes: the conversation of the same platform whose first message is within ± 2 minutes of 咨询时间
and whose buyer alias agrees with 顾客. Both exports mask buyer nicks (`j****ab`), possibly with a
different number of visible characters, so masked aliases agree when their visible beginnings and ends
are consistent. Matching runs in SQL over whatever is stored, at query time: the session list and the
chat log can be imported in either order, and a later chat-log import completes earlier matches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import pyarrow as pa
import pyarrow.compute as pc

from chatlog_cli.schema import SESSION_SCHEMA, SESSION_STAGING_SCHEMA, empty_table
from chatlog_cli.store.store import Store, atomic_write_parquet

if TYPE_CHECKING:
    from chatlog_cli.platforms.base import Parsed

MATCH_WINDOW_MINUTES: Final = 2


@dataclass(frozen=True)
class SessionIngestResult:
    """What one session-list import added."""

    rows: int
    added: int
    duplicates: int


def _visible(alias: str, end: str) -> str:
    # The unmasked beginning (`^[^*]*`) or end (`[^*]*$`) of an alias such as `j****ab`.
    return f"regexp_extract({alias}, '{'^[^*]*' if end == 'head' else '[^*]*$'}')"


def _one_masked(masked: str, plain: str) -> str:
    head, tail = _visible(masked, "head"), _visible(masked, "tail")
    return (
        f"(starts_with({plain}, {head}) AND ends_with({plain}, {tail}) "
        f"AND length({plain}) > length({head}) + length({tail}))"
    )


def aliases_agree_sql(a: str, b: str) -> str:
    """SQL: two buyer aliases name the same buyer, allowing for `*` masks on either side."""
    ha, ta, hb, tb = _visible(a, "head"), _visible(a, "tail"), _visible(b, "head"), _visible(b, "tail")
    both_masked = (
        f"((starts_with({ha}, {hb}) OR starts_with({hb}, {ha})) AND (ends_with({ta}, {tb}) OR ends_with({tb}, {ta})) "
        f"AND length({ha} || {ta}) > 0 AND length({hb} || {tb}) > 0)"
    )
    return f"""({a} = {b} OR CASE
        WHEN contains({a}, '*') AND contains({b}, '*') THEN {both_masked}
        WHEN contains({a}, '*') THEN {_one_masked(a, b)}
        WHEN contains({b}, '*') THEN {_one_masked(b, a)}
        ELSE false END)"""


def matches_sql(messages: str = "messages", sessions: str = "sessions") -> str:
    """SQL: (session_key, platform, conversation_id, seconds_apart), each side matched at most once."""
    return f"""
    WITH conversations AS (
        SELECT platform, conversation_id, min(sent_at) AS started_at, arg_min(buyer, sent_at) AS buyer
        FROM {messages}
        WHERE platform IN (SELECT DISTINCT platform FROM {sessions}) AND buyer IS NOT NULL
        GROUP BY platform, conversation_id),
    candidates AS (
        SELECT s.session_key, c.platform, c.conversation_id,
               abs(epoch_ms(c.started_at) - epoch_ms(s.started_at)) / 1000.0 AS seconds_apart
        FROM {sessions} s JOIN conversations c
          ON c.platform = s.platform
         AND c.started_at BETWEEN s.started_at - INTERVAL {MATCH_WINDOW_MINUTES} MINUTE
                              AND s.started_at + INTERVAL {MATCH_WINDOW_MINUTES} MINUTE
        WHERE {aliases_agree_sql("s.buyer", "c.buyer")}),
    ranked AS (
        SELECT *,
            row_number() OVER (PARTITION BY session_key ORDER BY seconds_apart, conversation_id) AS by_session,
            row_number() OVER (PARTITION BY platform, conversation_id ORDER BY seconds_apart, session_key)
                AS by_conversation
        FROM candidates)
    SELECT session_key, platform, conversation_id, seconds_apart FROM ranked
    WHERE by_session = 1 AND by_conversation = 1"""


def ingest_sessions(store: Store, parsed: Parsed, *, import_id: str) -> SessionIngestResult:
    """Add new session rows (by `session_key`) as `sessions/platform=…/<import_id>.parquet`; uncommitted."""
    import duckdb

    incoming = pa.Table.from_batches(list(parsed.batches), schema=SESSION_STAGING_SCHEMA)
    con: Any = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        con.register("incoming", incoming)
        platforms = [p for (p,) in con.execute("SELECT DISTINCT platform FROM incoming").fetchall()]
        stored = [str(f) for p in platforms for f in store.session_files(platform=p)]
        if stored:
            con.execute("CREATE TEMP TABLE stored AS SELECT * FROM read_parquet(?)", [stored])
        else:
            con.register("stored", empty_table(SESSION_SCHEMA))
        # Within one file a session id repeats only as an exact duplicate row: keep the first.
        new = con.sql(
            f"SELECT * EXCLUDE (n), '{import_id}' AS import_id FROM ("
            "  SELECT *, row_number() OVER (PARTITION BY session_key ORDER BY source_file, source_line) AS n"
            "  FROM incoming) WHERE n = 1 AND session_key NOT IN (SELECT session_key FROM stored)"
        ).to_arrow_table()
        new = new.select(SESSION_SCHEMA.names).cast(SESSION_SCHEMA)
        for platform in platforms:
            part = new.filter(pc.equal(new["platform"], platform))
            if part.num_rows:
                target = store.sessions_dir / f"platform={platform}" / f"{import_id}.parquet"
                target.parent.mkdir(parents=True, exist_ok=True)
                atomic_write_parquet(part, target)
    finally:
        con.close()
    return SessionIngestResult(incoming.num_rows, new.num_rows, incoming.num_rows - new.num_rows)


@dataclass(frozen=True)
class SessionMatching:
    """How the store's session-list rows match chat-log conversations right now."""

    sessions: int
    matched: int

    @property
    def unmatched(self) -> int:
        """Sessions without a conversation (the chat log of their time is not imported, or differs)."""
        return self.sessions - self.matched


def session_matching(store: Store) -> SessionMatching | None:
    """Counts over the whole store; None when it holds no session lists."""
    if not store.session_files():
        return None
    from chatlog_cli.store.query import connect

    con = connect(store)
    try:
        return matching_counts(con)
    finally:
        con.close()


def matching_counts(con: Any) -> SessionMatching:
    """Counts over an open store connection (`store.query.connect`)."""
    total, matched = con.execute(
        "SELECT (SELECT count(*) FROM sessions), (SELECT count(*) FROM conversation_sessions)"
    ).fetchall()[0]
    return SessionMatching(int(total), int(matched))
