"""What a report covers: the period, the conversations in it, and their messages loaded once into DuckDB.

A conversation belongs to the period in which it started and comes with all its messages (metrics.py). The other
filters (--platform, --shop, --agent, --buyer, --order, --tag …) choose conversations: those with at least one
matching message.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any

from chatlog_cli.find.filters import MessageFilter
from chatlog_cli.reports.metrics import (
    ServiceWindow,
    create_conversation_agents,
    create_conversation_metrics,
    create_messages,
    create_turns,
)
from chatlog_cli.reports.model import Period, period_label
from chatlog_cli.settings import CHINA_TZ


@dataclass(frozen=True)
class Loaded:
    """Temp tables `<prefix>_messages`, `_turns`, `_conversations`, `_served`, `_extra` for one period."""

    prefix: str
    period: Period
    conversations: int

    @property
    def messages(self) -> str:
        """The period's conversations' messages, with local time, buyer key and whether each asks."""
        return f"{self.prefix}_messages"

    @property
    def turns(self) -> str:
        """Buyer turns (metrics.create_turns)."""
        return f"{self.prefix}_turns"

    @property
    def conversations_table(self) -> str:
        """Conversation figures (metrics.create_conversation_metrics)."""
        return f"{self.prefix}_conversations"

    @property
    def served(self) -> str:
        """Conversation–agent pairs (metrics.create_conversation_agents)."""
        return f"{self.prefix}_served"

    @property
    def extra(self) -> str:
        """Per conversation: sentiment label and score, satisfaction."""
        return f"{self.prefix}_extra"


def without_times(where: MessageFilter) -> MessageFilter:
    """The filter's conversation-choosing part (times choose the period instead)."""
    return dataclasses.replace(where, since=None, until=None)


def resolve_period(con: Any, where: MessageFilter, now: dt.datetime | None = None) -> tuple[Period, bool]:
    """The period a report covers, and whether comparing it with the previous one makes sense.

    --since and --until give it; --since alone runs to now; without --since the period starts at the first
    conversation (so there is no "previous period" to compare with).
    """
    now = now or dt.datetime.now(CHINA_TZ)
    if where.since is not None:
        # --since alone runs to now (or, for a day still ahead, to the end of that day: an empty period).
        end = where.until or max(now, where.since + dt.timedelta(days=1))
        return Period(where.since, end, period_label(where.since, end)), True
    row = con.execute("SELECT epoch_ms(min(sent_at)), epoch_ms(max(sent_at)) FROM messages").fetchone()
    if row[0] is None:
        start = end = where.until or now
    else:
        start = dt.datetime.fromtimestamp(row[0] / 1000, CHINA_TZ)
        start = start.replace(hour=0, minute=0, second=0, microsecond=0)
        last = dt.datetime.fromtimestamp(row[1] / 1000, CHINA_TZ)
        end = where.until or (last.replace(hour=0, minute=0, second=0, microsecond=0) + dt.timedelta(days=1))
    return Period(start, end, period_label(start, end)), False


def load(con: Any, where: MessageFilter, period: Period, prefix: str, window: ServiceWindow) -> Loaded:
    """Load the period's conversations and compute their turns and figures; returns how many conversations."""
    condition, params = without_times(where).where()
    chooser = (
        f"SELECT DISTINCT platform, coalesce(conversation_id, '') AS conversation_id FROM messages WHERE {condition}"
        if condition != "true"
        else None
    )
    # Every conversation's start, once per connection (the current and the previous period share it).
    con.execute(
        """CREATE TEMP TABLE IF NOT EXISTS conversation_starts AS
           SELECT platform, coalesce(conversation_id, '') AS conversation_id, min(sent_at) AS started_at
           FROM messages GROUP BY ALL"""
    )
    started = """
        SELECT * FROM conversation_starts
        WHERE started_at >= to_timestamp(? / 1000.0) AND started_at < to_timestamp(? / 1000.0)"""
    bounds = [int(period.start.timestamp() * 1000), int(period.end.timestamp() * 1000)]
    if chooser:
        query = f"SELECT s.* FROM ({started}) s JOIN ({chooser}) c USING (platform, conversation_id)"
        query_params = bounds + params
    else:
        query, query_params = started, bounds
    con.execute(f"CREATE OR REPLACE TEMP TABLE {prefix}_chosen AS {query}", query_params)
    create_messages(con, f"{prefix}_chosen", f"{prefix}_messages")
    create_turns(con, f"{prefix}_messages", f"{prefix}_turns", window)
    create_conversation_metrics(con, f"{prefix}_messages", f"{prefix}_turns", f"{prefix}_conversations")
    create_conversation_agents(con, f"{prefix}_messages", f"{prefix}_turns", f"{prefix}_served")
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {prefix}_extra AS
        SELECT c.platform, c.conversation_id, s.label, s.score, x.satisfaction
        FROM {prefix}_chosen c
        LEFT JOIN conversation_sentiment s
          ON s.platform = c.platform AND coalesce(s.conversation_id, '') = c.conversation_id
        LEFT JOIN (SELECT platform, conversation_id, any_value(satisfaction) AS satisfaction
                   FROM conversation_sessions GROUP BY ALL) x
          ON x.platform = c.platform AND coalesce(x.conversation_id, '') = c.conversation_id
        """
    )
    count = int(con.execute(f"SELECT count(*) FROM {prefix}_chosen").fetchall()[0][0])
    return Loaded(prefix, period, count)
