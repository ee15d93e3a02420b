"""`chatlog search` as a library call: matching messages, with context, and how many there are."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from chatlog_cli.find.filters import MessageFilter
from chatlog_cli.store.query import connect
from chatlog_cli.store.store import Store

# Columns of a search row (times as China-time text, so results print and serialize as they read).
ROW_COLUMNS: Final = (
    "time", "platform", "shop", "conversation_id", "sender_role", "sender", "buyer", "agent", "msg_type",
    "content", "order_id", "message_id", "source_file", "source_line",
)  # fmt: skip
_SELECT: Final = (
    "strftime(sent_at, '%Y-%m-%d %H:%M:%S') AS time, platform, shop, conversation_id, sender_role, sender, "
    "buyer, agent, msg_type, content, order_id, message_id, source_file, source_line"
)
_ORDER: Final = "sent_at, source_file, source_line, message_id"


@dataclass
class SearchResult:
    """Matches in time order; with context, neighbouring messages of the same conversation around them."""

    matches: int  # matching messages in the store
    conversations: int  # conversations with at least one match
    rows: list[dict[str, Any]] = field(default_factory=list)  # ROW_COLUMNS + `match` (bool) + `block` (int)
    shown_matches: int = 0  # matches among `rows` (fewer than `matches` when limited)

    @property
    def limited(self) -> bool:
        """Whether more matches exist than were returned."""
        return self.shown_matches < self.matches


def search(store: Store, where: MessageFilter, *, context: int = 0, limit: int | None = 200) -> SearchResult:
    """Find messages; `context` adds up to N messages before and after each match (same conversation)."""
    condition, params = where.where()
    con = connect(store)
    try:
        # Two scans of the store: the counts, then the first `limit` matches (a top-N, not a sort of all).
        matches, conversations = con.execute(
            f"SELECT count(*), count(DISTINCT (platform, conversation_id)) FROM messages WHERE {condition}", params
        ).fetchall()[0]
        result = SearchResult(int(matches), int(conversations))
        if not matches or limit == 0:
            return result
        limit_sql = f"LIMIT {int(limit)}" if limit is not None else ""
        shown = f"SELECT * FROM messages WHERE {condition} ORDER BY {_ORDER} {limit_sql}"
        if context <= 0:
            query = (
                f"SELECT {_SELECT}, true AS match, row_number() OVER (ORDER BY {_ORDER}) AS block "
                f"FROM ({shown}) ORDER BY {_ORDER}"
            )
        else:
            query = _with_context(shown, int(context))
        cursor = con.execute(query, params)
        names = [d[0] for d in cursor.description]
        result.rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        result.shown_matches = sum(1 for r in result.rows if r["match"])
        return result
    finally:
        con.close()


def _with_context(shown: str, context: int) -> str:
    # Positions within each touched conversation; a block is a run of consecutive rows of one conversation.
    return f"""
    WITH shown AS ({shown}),
    touched AS (SELECT platform, conversation_id, min(sent_at) AS hit_at FROM shown GROUP BY ALL),
    conv AS (
        SELECT m.*, t.hit_at,
               row_number() OVER (PARTITION BY m.platform, m.conversation_id ORDER BY {_ORDER}) AS pos
        FROM messages m JOIN touched t
          ON m.platform = t.platform AND m.conversation_id IS NOT DISTINCT FROM t.conversation_id),
    anchors AS (SELECT platform, conversation_id, pos FROM conv WHERE message_id IN (SELECT message_id FROM shown)),
    near AS (
        SELECT c.message_id, bool_or(c.pos = a.pos) AS match
        FROM conv c JOIN anchors a
          ON c.platform = a.platform AND c.conversation_id IS NOT DISTINCT FROM a.conversation_id
         AND c.pos BETWEEN a.pos - {context} AND a.pos + {context}
        GROUP BY c.message_id),
    picked AS (
        SELECT c.*, n.match,
               c.pos - lag(c.pos) OVER (PARTITION BY c.platform, c.conversation_id ORDER BY c.pos) AS step
        FROM conv c JOIN near n USING (message_id))
    SELECT {_SELECT}, match,
           sum(CASE WHEN step = 1 THEN 0 ELSE 1 END)
               OVER (ORDER BY hit_at, platform, conversation_id, pos ROWS UNBOUNDED PRECEDING) AS block
    FROM picked
    ORDER BY hit_at, platform, conversation_id, pos"""
