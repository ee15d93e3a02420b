"""One import as a transaction: stage parsed rows, finish them in SQL, add only new messages.

Staging happens in an in-process DuckDB database that spills to disk, so memory stays bounded whatever
the file size. The SQL fills what needs the whole file: late-resolved roles, derived conversation ids
(idle-gap split), the buyer and handling agent per message, the occurrence number and `message_id`.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from chatlog_cli.platforms.base import Parsed
from chatlog_cli.schema import REJECT_SCHEMA, SCHEMA, STAGING_SCHEMA
from chatlog_cli.settings import STAGING_MEMORY_LIMIT
from chatlog_cli.store.query import LOCAL_TIME_SQL, local_time_sql
from chatlog_cli.store.store import Store

ROW_GROUP_ROWS: Final = 256_000
_ROLES_SCHEMA: Final = pa.schema([(c, pa.string()) for c in ("conversation_id", "sender", "sender_role", "buyer")])

# Conversation order inside the SQL: time, then file position (stable for equal times).
_ORDER: Final = "sent_at, source_file, source_line"


def _who(alias: str = "") -> str:
    """Whose conversation a row is in: the buyer (id, else nick), else the parser's thread."""
    return f"coalesce({alias}buyer_id, {alias}buyer, {alias}thread, '')"


def _derived_id(alias: str = "") -> str:
    """A derived conversation id: `<platform>-` + 16 hex digits of platform, shop, buyer and segment start."""
    return (
        f"{alias}platform || '-' || substr(md5(concat_ws(chr(31), {alias}platform, coalesce({alias}shop, ''), "
        f"{_who(alias)}, CAST(epoch_ms({alias}segment_first) AS VARCHAR))), 1, 16)"
    )


_WHO: Final = _who()
_SECOND: Final = "(epoch_ms(sent_at) // 1000)"
# Identity content: trimmed, inner white-space runs folded, so export shapes that wrap text differently agree.
_CANON: Final = r"regexp_replace(trim(coalesce(content, '')), '\s+', ' ', 'g')"


_UNKNOWN_ROLES_NO_JOIN_SQL: Final = "SELECT count(*) FROM staged WHERE sender_role = 'unknown'"
_UNKNOWN_ROLES_SQL: Final = """
SELECT count(*) FROM staged st LEFT JOIN roles r ON st.conversation_id = r.conversation_id AND st.sender = r.sender
WHERE st.sender_role = 'unknown' AND coalesce(r.sender_role, 'unknown') = 'unknown'
"""


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


@dataclass(frozen=True)
class _Needs:
    """Which whole-file steps a parse needs; skipping the others keeps large imports fast."""

    roles: bool  # late-resolved roles to join (JD logs)
    conversations: bool  # rows without a conversation id: split per buyer at an idle gap
    people: bool  # rows without a buyer or handling agent to fill from their conversation
    prior: bool = False  # stored messages that derived conversations may continue (table `prior`)


def _finish_sql(needs: _Needs, gap_minutes: int, import_id: str) -> str:
    """Staged rows → final rows with ids; one statement, read top to bottom."""
    steps = ["SELECT * FROM staged"]
    if needs.roles:
        steps.append("""
        SELECT st.* REPLACE (
            CASE WHEN st.sender_role = 'unknown' AND r.sender_role IS NOT NULL
                 THEN r.sender_role ELSE st.sender_role END AS sender_role,
            coalesce(st.buyer, r.buyer) AS buyer)
        FROM {prev} st LEFT JOIN roles r
          ON st.conversation_id = r.conversation_id AND st.sender = r.sender""")
    if needs.conversations:
        # Exports without conversation ids: a new conversation after an idle gap, per buyer.
        scope = f"platform, coalesce(shop, ''), {_WHO}, conversation_id IS NULL"
        segment = f"platform, coalesce(shop, ''), {_WHO}, segment"
        steps.append(f"""
        SELECT *,
            CASE WHEN conversation_id IS NULL THEN
                CASE WHEN lag(sent_at) OVER w IS NULL
                       OR sent_at - lag(sent_at) OVER w > INTERVAL {int(gap_minutes)} MINUTE
                     THEN 1 ELSE 0 END
            END AS starts
        FROM {{prev}} WINDOW w AS (PARTITION BY {scope} ORDER BY {_ORDER})""")
        steps.append(f"""
        SELECT *, sum(starts) OVER (PARTITION BY {scope} ORDER BY {_ORDER} ROWS UNBOUNDED PRECEDING) AS segment
        FROM {{prev}}""")
        steps.append(f"""
        SELECT *, min(sent_at) OVER s AS segment_first, max(sent_at) OVER s AS segment_last
        FROM {{prev}} WINDOW s AS (PARTITION BY {segment})""")
        if needs.prior:
            steps.append(_continue_stored_sql(gap_minutes))
        else:
            steps.append(f"""
        SELECT * EXCLUDE (starts, segment, segment_first, segment_last)
            REPLACE (coalesce(conversation_id, {_derived_id()}) AS conversation_id)
        FROM {{prev}}""")
    if needs.people:
        # The buyer of each conversation, and the human agent handling it at each message.
        steps.append(f"""
        SELECT * REPLACE (
            coalesce(buyer, first_value(CASE WHEN sender_role = 'buyer' THEN sender END IGNORE NULLS) OVER whole)
                AS buyer,
            coalesce(agent,
                last_value(CASE WHEN sender_role = 'agent' THEN sender END IGNORE NULLS) OVER upto,
                first_value(CASE WHEN sender_role = 'agent' THEN sender END IGNORE NULLS) OVER after)
                AS agent)
        FROM {{prev}}
        WINDOW
            whole AS (PARTITION BY platform, conversation_id ORDER BY {_ORDER}
                      ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING),
            upto AS (PARTITION BY platform, conversation_id ORDER BY {_ORDER}
                     ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW),
            after AS (PARTITION BY platform, conversation_id ORDER BY {_ORDER}
                      ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING)""")
    # The identity key: identical (thread, second, sender, content) messages are numbered, not merged. Such
    # repeats are rare, so only their groups are numbered with a window; every other row has occurrence 0.
    steps.append(f"""
        SELECT *, concat_ws(chr(31), platform, coalesce(thread, ''), CAST({_SECOND} AS VARCHAR),
                            coalesce(sender, ''), {_CANON}) AS identity
        FROM {{prev}}""")
    steps.append("SELECT *, md5(identity || chr(31) || '0') AS first_id FROM {prev}")
    ctes = [f"s{index} AS ({step.format(prev=f's{index - 1}')})" for index, step in enumerate(steps)]
    ctes[-1] = ctes[-1].replace(" AS (", " AS MATERIALIZED (", 1)  # read three times below
    last = f"s{len(steps) - 1}"
    ctes.append(f"repeats AS (SELECT first_id FROM {last} GROUP BY first_id HAVING count(*) > 1)")
    columns = ", ".join(f.name for f in STAGING_SCHEMA if f.name != "thread")
    tail = f"'{import_id}' AS import_id, strftime({LOCAL_TIME_SQL}, '%Y-%m') AS month"
    return (
        "WITH "
        + ",\n".join(ctes)
        + f"""
        SELECT first_id AS message_id, {columns}, {tail}
        FROM {last} WHERE first_id NOT IN (SELECT first_id FROM repeats)
        UNION ALL
        SELECT md5(identity || chr(31) || CAST(
                   row_number() OVER (PARTITION BY first_id ORDER BY source_file, source_line) - 1 AS VARCHAR)),
               {columns}, {tail}
        FROM {last} WHERE first_id IN (SELECT first_id FROM repeats)"""
    )


def ingest(
    store: Store,
    parsed: Parsed,
    *,
    import_id: str,
    source_label: str,
    gap_minutes: int,
    on_rows: Callable[[int], None] | None = None,
) -> IngestResult:
    """Stage, finish and write one parsed file; the caller commits it to the import log afterwards."""
    con = _connect(store)
    try:
        counted = _Counted(parsed.batches, on_rows)
        # One streaming scan: DuckDB pulls the parser's batches itself (per-batch INSERTs cost ~5x more).
        con.register("incoming", pa.RecordBatchReader.from_batches(STAGING_SCHEMA, iter(counted)))
        try:
            con.execute("CREATE TEMP TABLE staged AS SELECT * FROM incoming")
        except Exception:
            if counted.error is not None:
                raise counted.error from None
            raise
        con.unregister("incoming")
        staged_rows = counted.rows
        if parsed.roles is not None:
            con.register("roles", parsed.roles.cast(_ROLES_SCHEMA))
        missing = con.execute(
            "SELECT count(*) FILTER (conversation_id IS NULL), count(*) FILTER (buyer IS NULL OR agent IS NULL) "
            "FROM staged"
        ).fetchall()[0]
        partitions = con.execute(
            f"SELECT DISTINCT platform, strftime({LOCAL_TIME_SQL}, '%Y-%m') FROM staged"
        ).fetchall()
        existing = _existing_files(store, partitions)
        prior = missing[0] > 0 and _stage_prior(con, store, gap_minutes)
        needs = _Needs(roles=parsed.roles is not None, conversations=missing[0] > 0, people=missing[1] > 0, prior=prior)
        if existing:
            con.execute(
                "CREATE TEMP TABLE existing AS SELECT DISTINCT message_id FROM read_parquet(?)",
                [[str(p) for p in existing]],
            )
        else:
            con.execute("CREATE TEMP TABLE existing (message_id VARCHAR)")
        unknown = con.execute(_UNKNOWN_ROLES_SQL if needs.roles else _UNKNOWN_ROLES_NO_JOIN_SQL).fetchall()[0][0]
        span = con.execute(
            f"SELECT strftime(min({LOCAL_TIME_SQL}), '%Y-%m-%d %H:%M:%S'), "
            f"strftime(max({LOCAL_TIME_SQL}), '%Y-%m-%d %H:%M:%S') FROM staged"
        ).fetchall()[0]
        # The whole-file steps run once, inside this streamed query: nothing else is materialized.
        # Not sorted: sorting every column cost ~1.5 s per 1M messages, and readers order what they show.
        new_rows = con.sql(
            f"SELECT f.* FROM ({_finish_sql(needs, gap_minutes, import_id)}) f "
            "ANTI JOIN existing e ON f.message_id = e.message_id"
        )
        added = write_partitions(store, new_rows.to_arrow_reader(ROW_GROUP_ROWS), import_id)
        write_rejects(store, parsed, import_id, source_label)
    finally:
        con.close()
    return IngestResult(staged_rows, added, staged_rows - added, int(unknown), *_local_span(span))


def _continue_stored_sql(gap_minutes: int) -> str:
    """The conversation-id step when stored conversations may continue.

    A segment of this file that comes within the idle gap of a stored conversation of the same buyer (table
    `prior`: one row per stored conversation with its first and last message) takes that conversation's id,
    the earliest if several.
    """
    gap = f"INTERVAL {int(gap_minutes)} MINUTE"
    return f"""
        SELECT s.* EXCLUDE (starts, segment, segment_first, segment_last)
            REPLACE (coalesce(s.conversation_id, c.prior_conversation, {_derived_id("s.")}) AS conversation_id)
        FROM {{prev}} s LEFT JOIN (
            SELECT g.platform, g.shop_key, g.who, g.segment,
                   arg_min(p.prior_conversation, p.first_at) AS prior_conversation
            FROM (SELECT DISTINCT platform, coalesce(shop, '') AS shop_key, {_WHO} AS who, segment, segment_first,
                         segment_last
                  FROM {{prev}} WHERE conversation_id IS NULL) g
            JOIN prior p ON p.platform = g.platform AND p.shop_key = g.shop_key AND p.who = g.who
                        AND p.first_at <= g.segment_last + {gap} AND p.last_at >= g.segment_first - {gap}
            GROUP BY ALL) c
          ON s.conversation_id IS NULL AND s.platform = c.platform AND coalesce(s.shop, '') = c.shop_key
         AND {_who("s.")} = c.who
         AND s.segment = c.segment"""


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
    # Derived ids are `<platform>-<16 hex digits>` (see _finish_sql); ids from an export are left alone.
    con.execute(
        f"""
        CREATE TEMP TABLE prior AS
        WITH wanted AS (
            SELECT platform, coalesce(shop, '') AS shop_key, {_WHO} AS who,
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

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        try:
            for batch in self.batches:
                self.rows += batch.num_rows
                if self.on_rows is not None:
                    self.on_rows(batch.num_rows)
                yield batch
        except BaseException as exc:  # DuckDB wraps it; the caller re-raises the original
            self.error = exc
            raise


def _local_span(span: tuple[Any, Any] | None) -> tuple[str | None, str | None]:
    return (span[0], span[1]) if span else (None, None)


def _existing_files(store: Store, partitions: list[tuple[str, str]]) -> list[Path]:
    by_platform: dict[str, set[str]] = {}
    for platform, month in partitions:
        by_platform.setdefault(platform, set()).add(month)
    files: list[Path] = []
    for platform, months in by_platform.items():
        files.extend(store.message_files(platform=platform, months=months))
    return files


def write_partitions(store: Store, reader: pa.RecordBatchReader, import_id: str) -> int:
    """Write rows into one file per (platform, month), staged in .tmp and then moved into place."""
    staging = store.tmp_dir / import_id
    writers: dict[tuple[str, str], tuple[pq.ParquetWriter, Path, Path]] = {}
    total = 0
    try:
        for batch in reader:
            table = pa.Table.from_batches([batch])
            keys = _partition_keys(table)
            for key in keys:
                part = (
                    table
                    if len(keys) == 1
                    else table.filter(pc.and_(pc.equal(table["platform"], key[0]), pc.equal(table["month"], key[1])))
                )
                if key not in writers:
                    relative = (
                        Path(f"platform={key[0]}") / f"month={key[1]}" / f"{import_id}-{uuid.uuid4().hex[:6]}.parquet"
                    )
                    target = staging / relative
                    target.parent.mkdir(parents=True, exist_ok=True)
                    writer = pq.ParquetWriter(target, SCHEMA, compression="zstd")
                    writers[key] = (writer, target, store.messages_dir / relative)
                writers[key][0].write_table(part.select(SCHEMA.names).cast(SCHEMA), row_group_size=ROW_GROUP_ROWS)
                total += part.num_rows
        while writers:
            _, (writer, tmp, final) = writers.popitem()
            writer.close()
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, final)
    finally:
        for writer, _, _ in writers.values():
            writer.close()
        shutil.rmtree(staging, ignore_errors=True)
    return total


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
