"""`chatlog sentiment` as a library call: score the store's messages incrementally, then summarise.

Scores are kept per message file (store/derived.py), stamped with the model's fingerprint and the scored
roles: a second run with the same model writes nothing, new imports are scored on their own, and a different
model (trained, or back to the default) re-scores everything. Only text messages with Chinese in them are
scored (see scorer.is_scorable); the others have no row.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from chatlog_cli.find.filters import MessageFilter
from chatlog_cli.schema import CONTENT, MESSAGE_ID, MSG_TYPE, SCORE, SENDER_ROLE, SENTIMENT_SCHEMA
from chatlog_cli.sentiment.aggregate import LABELS_ZH, NEGATIVE, NEUTRAL, POSITIVE, Thresholds
from chatlog_cli.sentiment.scorer import SentimentScorer
from chatlog_cli.store.derived import pending_files, read_batches, stamp_metadata, write_per_file
from chatlog_cli.store.query import connect, conversation_sentiment_sql
from chatlog_cli.store.store import SENTIMENT, Store

MODEL_KEY: Final = b"chatlog.sentiment_model"
DEFAULT_ROLES: Final = ("buyer",)


def stamp(scorer: SentimentScorer, roles: Sequence[str]) -> str:
    """What a sentiment file's scores depend on: the model (and engine) and which roles were scored."""
    return f"{scorer.fingerprint}:{','.join(sorted(roles))}"


@dataclass(frozen=True)
class ConversationRow:
    """One conversation's buyer sentiment (for the most-negative list)."""

    platform: str
    conversation_id: str | None
    buyer: str | None
    agents: str | None
    scored_messages: int
    mean: float
    min: float
    last: float
    change: float
    score: float
    label: str
    lowest_message_id: str
    lowest_text: str
    started_at: str


@dataclass
class SentimentSummary:
    """Sentiment over the conversations with a selected message."""

    conversations: int = 0  # conversations in the selection
    scored_conversations: int = 0  # … with at least one scored buyer message
    scored_messages: int = 0  # scored buyer messages in those conversations
    mean: float | None = None  # mean of the conversation scores
    labels: dict[str, int] = field(default_factory=lambda: {NEGATIVE: 0, NEUTRAL: 0, POSITIVE: 0})
    most_negative: list[ConversationRow] = field(default_factory=list)


@dataclass
class SentimentRunReport:
    """What a scoring run did."""

    model: str  # stamp of the model and roles
    roles: tuple[str, ...]
    files_scored: int = 0
    files_current: int = 0
    files_elsewhere: int = 0
    messages_read: int = 0
    messages_scored: int = 0
    distinct_texts: int = 0
    seconds: float = 0.0
    summary: SentimentSummary = field(default_factory=SentimentSummary)


def score_table(scorer: SentimentScorer, messages: pa.Table, roles: Sequence[str]) -> tuple[pa.Table, np.ndarray, int]:
    """Scores of a message table's scorable messages: (message_id, score) rows, their row numbers, distinct texts."""
    wanted = pc.and_(
        pc.is_in(messages[SENDER_ROLE], value_set=pa.array(list(roles), pa.string())),
        pc.equal(messages[MSG_TYPE], "text"),
    )
    rows = np.flatnonzero(pc.fill_null(wanted, False).to_numpy(zero_copy_only=False))
    texts = messages[CONTENT].take(pa.array(rows)).to_pylist()
    scores = scorer.score_texts(texts)
    keep = np.fromiter((s is not None for s in scores), dtype=bool, count=len(scores))
    kept_rows = rows[keep]
    table = pa.table(
        {
            MESSAGE_ID: messages[MESSAGE_ID].take(pa.array(kept_rows)),
            SCORE: pa.array([s for s in scores if s is not None], pa.float64()),
        },
        schema=SENTIMENT_SCHEMA,
    )
    return table, kept_rows.astype(np.int64), len({t for t, k in zip(texts, keep, strict=True) if k})


def score_store(
    store: Store,
    scorer: SentimentScorer,
    where: MessageFilter,
    *,
    roles: Sequence[str] = DEFAULT_ROLES,
    thresholds: Thresholds | None = None,
    top: int = 10,
    on_rows: Callable[[int], None] | None = None,
) -> SentimentRunReport:
    """Score the selected messages' files not yet scored with this model; then summarise the selection."""
    started = time.perf_counter()
    roles = tuple(sorted(set(roles)))
    current_stamp = stamp(scorer, roles)
    report = SentimentRunReport(current_stamp, roles)
    with store.writing():
        pending = pending_files(store, SENTIMENT, MODEL_KEY, current_stamp, where)
        report.files_current, report.files_elsewhere = pending.current, pending.elsewhere
        metadata = stamp_metadata(SENTIMENT_SCHEMA, MODEL_KEY, current_stamp)
        for batch_files, messages in read_batches(pending.files, [MESSAGE_ID, CONTENT, SENDER_ROLE, MSG_TYPE]):
            scores, rows, distinct = score_table(scorer, messages, roles)
            report.messages_scored += write_per_file(store, SENTIMENT, batch_files, scores, rows, metadata)
            report.files_scored += len(batch_files)
            report.messages_read += messages.num_rows
            report.distinct_texts += distinct
            if on_rows is not None:
                on_rows(messages.num_rows)
    report.summary = sentiment_summary(store, where, thresholds or Thresholds(), top=top)
    report.seconds = time.perf_counter() - started
    return report


def sentiment_summary(store: Store, where: MessageFilter, thresholds: Thresholds, *, top: int = 10) -> SentimentSummary:
    """Labels and the most negative conversations among those with a selected message."""
    condition, params = where.where()
    con = connect(store)
    try:
        con.execute(
            f"CREATE TEMP TABLE chosen AS SELECT DISTINCT platform, conversation_id FROM messages WHERE {condition}",
            params,
        )
        con.execute(
            "CREATE TEMP TABLE cs AS SELECT c.* FROM "
            f"({conversation_sentiment_sql(thresholds)}) c JOIN chosen USING (platform, conversation_id)"
        )
        conversations = int(con.execute("SELECT count(*) FROM chosen").fetchone()[0])
        totals = con.execute("SELECT count(*), coalesce(sum(scored_messages), 0), avg(score) FROM cs").fetchone()
        labels = dict(con.execute("SELECT label, count(*) FROM cs GROUP BY label").fetchall())
        # Buyer and agents only for the listed conversations (the `conversations` view computes all of them).
        rows = con.execute(
            """WITH top AS (SELECT * FROM cs ORDER BY score, min, platform, conversation_id LIMIT ?),
               info AS (
                   SELECT m.platform, m.conversation_id,
                          arg_min(m.buyer, m.sent_at) FILTER (WHERE m.buyer IS NOT NULL) AS buyer,
                          string_agg(DISTINCT m.agent, '、' ORDER BY m.agent) AS agents,
                          min(m.sent_at) AS started_at
                   FROM messages m JOIN top USING (platform, conversation_id) GROUP BY ALL)
               SELECT top.platform, top.conversation_id, info.buyer, info.agents, top.scored_messages, top.mean,
                      top.min, top.last, top.change, top.score, top.label, top.lowest_message_id,
                      coalesce(low.content, ''), strftime(info.started_at, '%Y-%m-%d %H:%M')
               FROM top JOIN info USING (platform, conversation_id)
               JOIN messages low ON low.message_id = top.lowest_message_id
               ORDER BY top.score, top.min, top.platform, top.conversation_id""",
            [top],
        ).fetchall()
    finally:
        con.close()
    summary = SentimentSummary(conversations, int(totals[0]), int(totals[1]))
    summary.mean = float(totals[2]) if totals[2] is not None else None
    summary.labels.update({str(k): int(v) for k, v in labels.items()})
    summary.most_negative = [_conversation_row(r) for r in rows]
    return summary


def _conversation_row(row: Sequence[Any]) -> ConversationRow:
    platform, conversation, buyer, agents, n, mean, low, last, change, score, label, mid, text, started = row
    return ConversationRow(
        str(platform), conversation, buyer, agents, int(n), float(mean), float(low), float(last), float(change),
        float(score), str(label), str(mid), str(text), str(started),
    )  # fmt: skip


def stored_score(store: Store, message_id: str) -> float | None:
    """The score the store holds for a message (None when it has none)."""
    con = connect(store)
    try:
        row = con.execute("SELECT score FROM message_sentiment WHERE message_id = ? LIMIT 1", [message_id]).fetchone()
    finally:
        con.close()
    return float(row[0]) if row is not None else None


def label_zh(label: str) -> str:
    """The Chinese word for a label (负面 / 中性 / 正面)."""
    return LABELS_ZH.get(label, label)
