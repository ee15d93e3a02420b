"""`chatlog info` as a library call: what the store holds."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from chatlog_cli.store.query import LOCAL_TIME_SQL, connect
from chatlog_cli.store.sessions import matching_counts
from chatlog_cli.store.store import Store


@dataclass
class Breakdown:
    """Counts for one platform / shop / month."""

    platform: str
    shop: str | None
    month: str
    messages: int
    conversations: int
    buyers: int


@dataclass
class StoreSummary:
    """Totals and breakdown of a store."""

    store: str
    messages: int = 0
    conversations: int = 0
    buyers: int = 0
    agents: int = 0
    first_message_at: str | None = None
    last_message_at: str | None = None
    imports: int = 0
    rejected_rows: int = 0
    roles: dict[str, int] = field(default_factory=dict)
    breakdown: list[Breakdown] = field(default_factory=list)
    # Session-list rows (JD 会话记录) and how many match a chat-log conversation.
    sessions: int = 0
    sessions_matched: int = 0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return asdict(self)


_TOTALS_SQL = f"""
SELECT count(*),
       count(DISTINCT (platform, conversation_id)),
       count(DISTINCT (platform, coalesce(buyer_id, buyer))),
       count(DISTINCT CASE WHEN sender_role = 'agent' THEN (platform, sender) END),
       strftime(min({LOCAL_TIME_SQL}), '%Y-%m-%d %H:%M:%S'),
       strftime(max({LOCAL_TIME_SQL}), '%Y-%m-%d %H:%M:%S')
FROM messages
"""

_BREAKDOWN_SQL = f"""
SELECT platform, shop, strftime({LOCAL_TIME_SQL}, '%Y-%m') AS month,
       count(*), count(DISTINCT conversation_id), count(DISTINCT coalesce(buyer_id, buyer))
FROM messages GROUP BY ALL ORDER BY platform, shop NULLS FIRST, month
"""


def summarize(store: Store) -> StoreSummary:
    """Count messages, conversations, buyers and agents, overall and per platform/shop/month."""
    summary = StoreSummary(store=str(store.root))
    con = connect(store)
    try:
        summary.imports, summary.rejected_rows = con.execute(
            "SELECT (SELECT count(*) FROM imports), (SELECT count(*) FROM rejects)"
        ).fetchall()[0]
        if store.session_files():
            matching = matching_counts(con)
            summary.sessions, summary.sessions_matched = matching.sessions, matching.matched
        if not store.message_files():
            return summary
        totals = con.execute(_TOTALS_SQL).fetchall()[0]
        (summary.messages, summary.conversations, summary.buyers, summary.agents,
         summary.first_message_at, summary.last_message_at) = totals  # fmt: skip
        summary.roles = dict(
            con.execute("SELECT sender_role, count(*) FROM messages GROUP BY 1 ORDER BY 2 DESC").fetchall()
        )
        summary.breakdown = [Breakdown(*row) for row in con.execute(_BREAKDOWN_SQL).fetchall()]
    finally:
        con.close()
    return summary
