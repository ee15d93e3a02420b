"""`chatlog show` as a library call: whole conversations as transcripts."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any, Final

from chatlog_cli.errors import UsageError
from chatlog_cli.find.display import message_text
from chatlog_cli.find.filters import MessageFilter
from chatlog_cli.find.timespec import parse_span
from chatlog_cli.store.query import connect
from chatlog_cli.store.store import Store

# A pause longer than this is marked in a transcript (the buyer left, or nobody answered).
GAP_MARK_SECONDS: Final = 600
MAX_CONVERSATIONS: Final = 20


@dataclass
class TranscriptLine:
    """One message as a transcript shows it."""

    time: str
    sender_role: str
    sender: str | None
    msg_type: str
    text: str  # content, or a label for typed messages
    order_id: str | None
    gap_before_seconds: float | None  # set when the pause before this message exceeds GAP_MARK_SECONDS


@dataclass
class Transcript:
    """A conversation with its summary figures."""

    platform: str
    shop: str | None
    conversation_id: str
    buyer: str | None
    agents: str | None
    started_at: str
    ended_at: str
    messages: int
    first_response_seconds: float | None  # 首次响应时间: buyer's first message → first human agent reply
    order_ids: str | None
    session: dict[str, Any] | None = None  # JD 会话记录 metadata when a session list matched
    lines: list[TranscriptLine] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return asdict(self)


@dataclass
class ConversationQuery:
    """Which conversations to show: by id, by order id, or by buyer (optionally on one day)."""

    conversation_id: str | None = None
    order: str | None = None
    buyer: str | None = None
    day: str | None = None

    def where(self, now: dt.datetime | None = None) -> tuple[str, list[Any]]:
        """SQL over `messages` selecting the conversations' rows."""
        if self.conversation_id:
            return "conversation_id = ? OR starts_with(conversation_id, ?)", [self.conversation_id] * 2
        if self.order:
            return MessageFilter(orders=(self.order,)).where()
        if self.buyer:
            # The exact buyer (search's --buyer matches part of a nick; here one buyer's conversations are meant).
            span = parse_span(self.day, now) if self.day else None
            within, params = MessageFilter(since=span.start if span else None, until=span.end if span else None).where()
            return f"(buyer = ? OR buyer_id = ?) AND {within}", [self.buyer, self.buyer, *params]
        raise UsageError("请给出会话ID，或 --order 订单号，或 --buyer 买家昵称（可加 --date 日期）。")


def find_transcripts(store: Store, query: ConversationQuery, *, limit: int = MAX_CONVERSATIONS) -> list[Transcript]:
    """The matching conversations, oldest first, each with all its messages."""
    condition, params = query.where()
    con = connect(store)
    try:
        ids = con.execute(
            f"SELECT platform, conversation_id FROM messages WHERE {condition} "
            "GROUP BY ALL ORDER BY min(sent_at), conversation_id LIMIT ?",
            [*params, limit],
        ).fetchall()
        transcripts = []
        for platform, conversation_id in ids:
            transcripts.append(_transcript(con, platform, conversation_id))
        return transcripts
    finally:
        con.close()


def _transcript(con: Any, platform: str, conversation_id: str) -> Transcript:
    summary = con.execute(
        """SELECT platform, shop, conversation_id, buyer, agents, strftime(started_at, '%Y-%m-%d %H:%M:%S'),
                  strftime(ended_at, '%Y-%m-%d %H:%M:%S'), messages, first_response_seconds, order_ids
           FROM conversations WHERE platform = ? AND conversation_id = ?""",
        [platform, conversation_id],
    ).fetchall()[0]
    transcript = Transcript(*summary)
    rows = con.execute(
        """SELECT strftime(sent_at, '%Y-%m-%d %H:%M:%S'), sender_role, sender, msg_type, content, order_id,
                  epoch(sent_at) - epoch(lag(sent_at) OVER (ORDER BY sent_at, source_file, source_line))
           FROM messages WHERE platform = ? AND conversation_id = ?
           ORDER BY sent_at, source_file, source_line""",
        [platform, conversation_id],
    ).fetchall()
    for time, role, sender, msg_type, content, order_id, gap in rows:
        marked = gap if gap is not None and gap > GAP_MARK_SECONDS else None
        text = message_text(msg_type, content, order_id)
        transcript.lines.append(TranscriptLine(time, role, sender, msg_type, text, order_id, marked))
    session = con.execute(
        """SELECT session_id, skill_group, satisfaction, resolved, transferred_to, first_response_seconds
           FROM conversation_sessions WHERE platform = ? AND conversation_id = ?""",
        [platform, conversation_id],
    ).fetchall()
    if session:
        keys = ("session_id", "skill_group", "satisfaction", "resolved", "transferred_to", "first_response_seconds")
        transcript.session = dict(zip(keys, session[0], strict=True))
    return transcript
