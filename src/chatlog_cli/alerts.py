"""Conversations that need follow-up today (`chatlog alerts`): risk tags and buyers left waiting.

Reasons, each with the message that shows it:
- **risk**: a tag whose rule has priority high or urgent (风险-投诉, 风险-差评 …), from `chatlog tag`.
- **unanswered**: a buyer turn that no human agent answered (priority high).
- **slow reply**: a buyer turn answered only after the reply limit (default 15 minutes), when it was asked
  inside the service window (priority normal; overnight questions answered in the morning are not alerts).
- **very negative sentiment**, only when asked for (`sentiment_below`): a buyer message scored below it by
  `chatlog sentiment` (priority normal; the lowest-scored message is the evidence). Off by default: snownlp's
  model scores plain questions near 0 (on JDDC, 47 % of conversations have a buyer message below 0.01), so it
  is useful with a model trained on the shop's own chats.

Buyer turns and human replies are reports/metrics.py's: robot replies and transfer notices do not answer a turn,
and a turn of nothing but acknowledgements (好的, 谢谢, 嗯嗯, OK), emoticons or recalled messages expects no reply.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Final

from chatlog_cli.find.filters import MessageFilter
from chatlog_cli.reports.metrics import ServiceWindow, create_messages, create_turns
from chatlog_cli.settings import CHINA_TZ, DEFAULT_REPLY_MINUTES, SERVICE_HOURS
from chatlog_cli.store.query import connect, conversation_tags_sql
from chatlog_cli.store.store import Store

PRIORITY_RANK: Final = {"normal": 0, "high": 1, "urgent": 2}


@dataclass(frozen=True)
class Reason:
    """Why a conversation needs follow-up, with the evidence message."""

    kind: str  # risk / unanswered / slow_reply / negative_sentiment
    priority: str
    text: str  # for the shop owner, in Chinese
    at: dt.datetime
    message_id: str
    content: str


@dataclass(frozen=True)
class Alert:
    """A conversation needing follow-up: its highest priority and every reason."""

    platform: str
    conversation_id: str
    shop: str | None
    buyer: str | None
    agents: str | None
    priority: str
    at: dt.datetime  # the earliest evidence: how long this has been waiting
    reasons: tuple[Reason, ...]


@dataclass
class AlertReport:
    """Alerts, most urgent first and oldest first within a priority."""

    alerts: list[Alert] = field(default_factory=list)
    conversations: int = 0  # conversations looked at
    untagged_files: int = 0  # message files never tagged: risk alerts are incomplete for them
    unscored_files: int = 0  # message files never scored by `chatlog sentiment`
    reply_minutes: int = DEFAULT_REPLY_MINUTES

    def at_least(self, priority: str) -> list[Alert]:
        """Alerts of this priority or higher."""
        return [a for a in self.alerts if PRIORITY_RANK[a.priority] >= PRIORITY_RANK[priority]]


def find_alerts(
    store: Store,
    where: MessageFilter,
    *,
    reply_minutes: int = DEFAULT_REPLY_MINUTES,
    service_hours: tuple[int, int] = SERVICE_HOURS,
    now: dt.datetime | None = None,
    sentiment_below: float | None = None,
) -> AlertReport:
    """Alerts for the conversations with at least one selected message."""
    from chatlog_cli.store.derived import missing_files
    from chatlog_cli.store.store import SENTIMENT, TAGS

    now = now or dt.datetime.now(CHINA_TZ)
    condition, params = where.where()
    report = AlertReport(
        reply_minutes=reply_minutes,
        untagged_files=missing_files(store, TAGS),
        unscored_files=missing_files(store, SENTIMENT) if sentiment_below is not None else 0,
    )
    con = connect(store)
    try:
        con.execute(
            f"CREATE TEMP TABLE chosen AS SELECT DISTINCT platform, conversation_id FROM messages WHERE {condition}",
            params,
        )
        report.conversations = int(con.execute("SELECT count(*) FROM chosen").fetchone()[0])
        reasons: dict[tuple[str, str], list[Reason]] = {}
        candidates = [
            *_risk_reasons(con),
            *_waiting_reasons(con, reply_minutes, service_hours, now),
            *(_sentiment_reasons(con, sentiment_below) if sentiment_below is not None else []),
        ]
        for key, reason in candidates:
            reasons.setdefault(key, []).append(reason)
        info = _conversation_info(con)
    finally:
        con.close()
    for key, found in reasons.items():
        found.sort(key=lambda r: (-PRIORITY_RANK[r.priority], r.at))
        shop, buyer, agents = info.get(key, (None, None, None))
        report.alerts.append(
            Alert(key[0], key[1], shop, buyer, agents, found[0].priority, min(r.at for r in found), tuple(found))
        )
    report.alerts.sort(key=lambda a: (-PRIORITY_RANK[a.priority], a.at, a.platform, a.conversation_id))
    return report


def _risk_reasons(con: Any) -> list[tuple[tuple[str, str], Reason]]:
    rows = con.execute(
        f"""SELECT t.platform, t.conversation_id, t.tag, t.priority, t.evidence_rule, t.evidence_keyword,
                  t.evidence_message_id, epoch_ms(m.sent_at), coalesce(m.content, '')
           FROM ({conversation_tags_sql("chosen")}) t
           JOIN messages m ON m.message_id = t.evidence_message_id
           WHERE t.priority IN ('high', 'urgent')"""
    ).fetchall()
    alerting = {(r[0], r[1], r[2]) for r in rows}
    found = []
    for platform, conversation, tag, priority, rule, keyword, message_id, at, content in rows:
        # A group tag (风险) repeats its member's evidence (风险-投诉): keep the member only.
        if rule != tag and (platform, conversation, rule) in alerting:
            continue
        text = f"{tag}：关键词“{keyword}”"
        found.append(((platform, conversation), Reason("risk", priority, text, _time(at), message_id, content)))
    return found


def _waiting_reasons(
    con: Any, reply_minutes: int, service_hours: tuple[int, int], now: dt.datetime
) -> list[tuple[tuple[str, str], Reason]]:
    create_messages(con, "chosen", "chosen_messages")
    create_turns(con, "chosen_messages", "chosen_turns", ServiceWindow.from_hours(service_hours))
    # Only late or unanswered turns leave the database (most turns are answered in time).
    rows = con.execute(
        """SELECT platform, conversation_id, epoch_ms(asked_at), epoch_ms(reply_at), first_message_id,
                  coalesce(first_content, ''), in_window
           FROM chosen_turns WHERE asks AND (reply_at IS NULL OR response_seconds > ?)""",
        [reply_minutes * 60],
    ).fetchall()
    limit = dt.timedelta(minutes=reply_minutes)
    found = []
    for platform, conversation, asked_ms, reply_ms, message_id, content, in_window in rows:
        asked_at, reply_at = _time(asked_ms), (_time(reply_ms) if reply_ms is not None else None)
        if reply_at is None:
            if now - asked_at < limit:
                continue  # still within the limit: not late yet
            reason = Reason("unanswered", "high", "买家消息没有客服回复", asked_at, message_id, content)
        elif reply_at - asked_at > limit and in_window:
            waited = (reply_at - asked_at).total_seconds() / 60
            reason = Reason(
                "slow_reply", "normal", f"买家等了 {waited:.0f} 分钟才有客服回复", asked_at, message_id, content
            )
        else:
            continue
        found.append(((platform, conversation), reason))
    return found


def _sentiment_reasons(con: Any, below: float) -> list[tuple[tuple[str, str], Reason]]:
    rows = con.execute(
        """SELECT s.platform, s.conversation_id, s.min, s.lowest_message_id, epoch_ms(m.sent_at),
                  coalesce(m.content, '')
           FROM conversation_sentiment s JOIN chosen USING (platform, conversation_id)
           JOIN messages m ON m.message_id = s.lowest_message_id
           WHERE s.min < ?""",
        [below],
    ).fetchall()
    return [
        ((platform, conversation),
         Reason("negative_sentiment", "normal", f"买家情绪很差（情绪值 {low:.2f}）", _time(at), message_id, content))
        for platform, conversation, low, message_id, at, content in rows
    ]  # fmt: skip


def _time(epoch_ms: int) -> dt.datetime:
    # Epoch milliseconds rather than TIMESTAMPTZ values: DuckDB needs pytz to hand those to Python.
    return dt.datetime.fromtimestamp(epoch_ms / 1000, CHINA_TZ)


def _conversation_info(con: Any) -> dict[tuple[str, str], tuple[str | None, str | None, str | None]]:
    rows = con.execute(
        """SELECT platform, conversation_id, any_value(shop), arg_min(buyer, sent_at) FILTER (WHERE buyer IS NOT NULL),
                  string_agg(DISTINCT agent, '、' ORDER BY agent)
           FROM messages JOIN chosen USING (platform, conversation_id) GROUP BY ALL"""
    ).fetchall()
    return {(r[0], r[1]): (r[2], r[3], r[4]) for r in rows}
