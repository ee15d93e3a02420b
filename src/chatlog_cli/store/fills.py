"""Whole-file fill-ins for staged messages: late-resolved roles, derived conversations, buyers and agents.

A few narrow columns of the staged rows are read once into NumPy and every step is a sort or a scan over
arrays. (The same steps as DuckDB window functions sorted the file once per step, and `IGNORE NULLS` frames
were slow on a single long conversation: 3–5 s per 1M messages against well under 1 s here.)

Definitions (docs/schema.md):
- a row's *scope* is (platform, shop, buyer id else buyer nick else the parser's thread); rows without a
  conversation id are split per scope into conversations at idle gaps longer than `gap_minutes`;
- a derived conversation id is `<platform>-` + the first 16 hex digits of md5(platform, shop, who, the
  conversation's first message time in epoch milliseconds), or the id of a stored conversation it continues;
- a conversation's buyer is its first `buyer` sender; the agent handling a message is the last `agent`
  sender at or before it, else the conversation's first agent.
Order inside a scope or conversation is (sent_at, source_file, source_line).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

FILLS_SCHEMA: Final = pa.schema(
    [
        ("row_key", pa.int64()),
        ("conversation_id", pa.string()),
        ("sender_role", pa.string()),
        ("buyer", pa.string()),
        ("agent", pa.string()),
    ]
)


@dataclass(frozen=True)
class FillNeeds:
    """Which whole-file steps a parse needs; the others are skipped."""

    roles: bool  # late-resolved roles to join (table `roles`: JD logs)
    conversations: bool  # rows without a conversation id
    people: bool  # rows without a buyer or handling agent
    prior: bool = False  # stored conversations that derived ones may continue (table `prior`)


def who_sql(alias: str = "", buyer: str | None = None) -> str:
    """Whose conversation a row is in (its scope): the buyer's id, else the buyer, else the parser's thread."""
    return f"coalesce({alias}buyer_id, {buyer or alias + 'buyer'}, {alias}thread, '')"


def _narrow_sql(needs: FillNeeds) -> str:
    role, buyer, joined = "st.sender_role", "st.buyer", ""
    if needs.roles:
        role = (
            "CASE WHEN st.sender_role = 'unknown' AND r.sender_role IS NOT NULL THEN r.sender_role "
            "ELSE st.sender_role END"
        )
        buyer = "coalesce(st.buyer, r.buyer)"
        joined = "LEFT JOIN roles r ON st.conversation_id = r.conversation_id AND st.sender = r.sender"
    return f"""
        SELECT st.rowid AS row_key, st.platform, coalesce(st.shop, '') AS shop_key,
               {who_sql("st.", buyer)} AS who, st.conversation_id,
               epoch_ms(st.sent_at) AS t, st.source_file, st.source_line,
               {role} AS sender_role, st.sender, {buyer} AS buyer, st.agent
        FROM staged st {joined}"""


def compute_fills(con: Any, needs: FillNeeds, gap_minutes: int) -> pa.Table:
    """`FILLS_SCHEMA` rows for every staged row (DuckDB connection `con` holds `staged`, `roles`, `prior`)."""
    rows = con.sql(_narrow_sql(needs)).to_arrow_table().combine_chunks()
    conversation = rows["conversation_id"]
    grouped: _Grouped | None = None
    if needs.conversations:
        conversation, grouped = _conversations(con, rows, gap_minutes, needs.prior)
    buyer, agent = rows["buyer"], rows["agent"]
    if needs.people:
        buyer, agent = _people(rows, conversation, grouped)
    return pa.Table.from_arrays([rows["row_key"], conversation, rows["sender_role"], buyer, agent], schema=FILLS_SCHEMA)


@dataclass(frozen=True)
class _Grouped:
    """Rows in conversation order: `order[i]` is the i-th row; conversations begin at the `starts` positions."""

    order: np.ndarray
    starts: np.ndarray


def _codes(*columns: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Equal value tuples → equal integers (a null counts as a value); for grouping, not ordering."""
    combined = np.zeros(len(columns[0]), dtype=np.int64)
    span = 1  # combined codes are below this
    for values in columns:
        encoded = pc.dictionary_encode(values)
        if isinstance(encoded, pa.ChunkedArray):
            encoded = encoded.combine_chunks()
        codes = np.asarray(pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False), dtype=np.int64) + 1
        if span * (len(encoded.dictionary) + 1) >= 2**62:  # renumber densely (a sort) only when they could overflow
            combined = np.unique(combined, return_inverse=True)[1].astype(np.int64)
            span = int(combined.max()) + 1 if len(combined) else 1
        combined = combined * (len(encoded.dictionary) + 1) + codes
        span *= len(encoded.dictionary) + 1
    return combined


def _order_keys(rows: pa.Table) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(line, file rank, time) as lexsort keys: files ranked as DuckDB orders strings (by UTF-8 bytes)."""
    files = rows["source_file"]
    names = pc.unique(files).to_pylist()
    ranked = sorted(names, key=lambda name: name.encode())
    rank = pc.index_in(files, value_set=pa.array(ranked, pa.string()))
    return (
        rows["source_line"].to_numpy(),
        np.asarray(rank.to_numpy(zero_copy_only=False), dtype=np.int64),
        rows["t"].to_numpy(),
    )


def _group_starts(sorted_groups: np.ndarray) -> np.ndarray:
    """True where a sorted group-code array begins a new group."""
    starts = np.ones(len(sorted_groups), dtype=bool)
    starts[1:] = sorted_groups[1:] != sorted_groups[:-1]
    return starts


def _conversations(con: Any, rows: pa.Table, gap_minutes: int, prior: bool) -> tuple[pa.Array, _Grouped | None]:
    """Conversation ids, with the id-less rows split per scope at idle gaps.

    When no row had an id, the rows' order by scope and time is also their order by conversation: it is
    returned for the people step to reuse.
    """
    given = rows["conversation_id"]
    missing = np.asarray(pc.is_null(given).to_numpy(zero_copy_only=False), dtype=bool)
    scope = _codes(rows["platform"], rows["shop_key"], rows["who"])
    scope = np.where(missing, scope, -1)  # rows with an id take no part
    line, file_rank, t = _order_keys(rows)
    order = np.lexsort((line, file_rank, t, scope))
    order = order[missing[order]]
    sorted_scope, sorted_t = scope[order], t[order]
    new_scope = _group_starts(sorted_scope)
    starts = new_scope.copy()
    starts[1:] |= (sorted_t[1:] - sorted_t[:-1]) > gap_minutes * 60_000
    segment = np.cumsum(starts) - 1
    first_rows = order[starts]
    segment_first = t[first_rows]
    segment_last = np.maximum.reduceat(sorted_t, np.flatnonzero(starts)) if len(order) else segment_first
    segments = pa.table(
        {
            "platform": pc.take(rows["platform"], first_rows),
            "shop_key": pc.take(rows["shop_key"], first_rows),
            "who": pc.take(rows["who"], first_rows),
            "first_ms": segment_first,
            "last_ms": segment_last,
        }
    )
    ids = _segment_ids(con, segments, gap_minutes, prior)
    index = np.full(len(missing), -1, dtype=np.int64)
    index[order] = segment
    derived = pc.take(ids, pa.array(index, mask=index < 0))
    # (A stored conversation continued by two segments joins them: then conversations are not segments.)
    grouped = _Grouped(order, np.flatnonzero(starts)) if len(order) == len(missing) and not prior else None
    return pc.coalesce(given, derived).combine_chunks(), grouped


def _segment_ids(con: Any, segments: pa.Table, gap_minutes: int, prior: bool) -> pa.Array:
    """Each new conversation's id: a stored conversation it continues (the earliest), else derived."""
    con.register("new_segments", segments)
    try:
        continued = ""
        if prior:
            gap_ms = int(gap_minutes) * 60_000
            continued = f"""
                (SELECT arg_min(p.prior_conversation, p.first_at) FROM prior p
                 WHERE p.platform = g.platform AND p.shop_key = g.shop_key AND p.who = g.who
                   AND epoch_ms(p.first_at) <= g.last_ms + {gap_ms}
                   AND epoch_ms(p.last_at) >= g.first_ms - {gap_ms}),"""
        result = con.sql(f"""
            SELECT coalesce({continued}
                   g.platform || '-' || substr(md5(concat_ws(chr(31), g.platform, g.shop_key, g.who,
                                                              CAST(g.first_ms AS VARCHAR))), 1, 16)) AS id
            FROM new_segments g""").to_arrow_table()
    finally:
        con.unregister("new_segments")
    return result["id"].combine_chunks()


def people_in_runs(rows: pa.Table, starts: np.ndarray) -> tuple[pa.Array, pa.Array]:
    """Buyers and agents as `compute_fills` fills them, for rows already in conversation order.

    Each conversation is a run of rows beginning at a `starts` position, its rows in (time, file, line) order.
    `rows`: conversation_id, sender_role, sender, buyer and agent.
    """
    return _people(rows, rows["conversation_id"], _Grouped(np.arange(rows.num_rows), starts))


def _people(rows: pa.Table, conversation: pa.Array, grouped: _Grouped | None) -> tuple[pa.Array, pa.Array]:
    """The buyer of each row's conversation and the agent handling it at that row (given values kept)."""
    if grouped is None:
        group = _codes(rows["platform"], conversation)
        line, file_rank, t = _order_keys(rows)
        order = np.lexsort((line, file_rank, t, group))
        starts = np.flatnonzero(_group_starts(group[order])) if len(order) else np.zeros(0, dtype=np.int64)
    else:
        order, starts = grouped.order, grouped.starts
    sizes = np.diff(np.append(starts, len(order)))
    group_start = np.repeat(starts, sizes)  # per sorted row: where its conversation starts
    role = rows["sender_role"]
    is_buyer = np.asarray(pc.fill_null(pc.equal(role, "buyer"), False).to_numpy(zero_copy_only=False))[order]
    is_agent = np.asarray(pc.fill_null(pc.equal(role, "agent"), False).to_numpy(zero_copy_only=False))[order]
    positions = np.arange(len(order))

    def first_in_group(mask: np.ndarray) -> np.ndarray:
        """Per sorted row, the sorted position of its conversation's first row where `mask` holds (-1: none)."""
        first = np.full(len(starts), -1, dtype=np.int64)
        hits = positions[mask]
        groups = np.searchsorted(starts, hits, side="right") - 1  # ascending, as the hits are
        leads = np.flatnonzero(np.diff(groups, prepend=-1))  # each group's first hit
        first[groups[leads]] = hits[leads]
        return np.repeat(first, sizes)

    last_agent = np.maximum.accumulate(np.where(is_agent, positions, -1)) if len(order) else positions
    last_agent = np.where(last_agent >= group_start, last_agent, -1)
    agent_at = np.where(last_agent >= 0, last_agent, first_in_group(is_agent))
    buyer_at = first_in_group(is_buyer)
    back = np.empty(len(order), dtype=np.int64)
    back[order] = positions

    def senders_at(at: np.ndarray) -> pa.Array:
        """The senders at sorted positions `at`, for the rows in their original order."""
        rows_at = np.where(at >= 0, order[np.maximum(at, 0)], -1)[back]
        return pc.take(rows["sender"], pa.array(rows_at, mask=rows_at < 0))

    buyer = pc.coalesce(rows["buyer"], senders_at(buyer_at))
    agent = pc.coalesce(rows["agent"], senders_at(agent_at))
    return buyer.combine_chunks(), agent.combine_chunks()
