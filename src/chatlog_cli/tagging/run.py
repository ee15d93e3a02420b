"""`chatlog tag` as a library call: bring the store's tags up to date with a rule set, and count them.

Tags are kept per message file, each tag file stamped with the fingerprint of the rules that made it, and
brought up to date incrementally (store/derived.py): new imports and changed rules are tagged, nothing else.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from chatlog_cli.find.filters import MessageFilter
from chatlog_cli.schema import CONTENT, MESSAGE_ID, SENDER_ROLE, TAG_SCHEMA
from chatlog_cli.store.derived import (
    missing_files,
    pending_files,
    read_batches,
    stamp_metadata,
    stamp_of,
    write_per_file,
)
from chatlog_cli.store.query import connect, sql_list
from chatlog_cli.store.store import TAGS, Store
from chatlog_cli.tagging.tagger import Tagger

RULES_KEY: Final = b"chatlog.tag_rules"
SOURCES_KEY: Final = b"chatlog.tag_rule_sources"


@dataclass(frozen=True)
class TagCount:
    """How often one tag occurs in the selection."""

    tag: str
    priority: str
    messages: int
    conversations: int


@dataclass
class TagSummary:
    """Tags in the selected messages."""

    messages: int = 0  # selected messages
    conversations: int = 0  # conversations with a selected message
    tagged_messages: int = 0  # selected messages with at least one tag
    tagged_conversations: int = 0
    counts: list[TagCount] = field(default_factory=list)  # most conversations first


@dataclass
class TagRunReport:
    """What a tagging run did."""

    fingerprint: str
    files_tagged: int = 0  # files (re)tagged now
    files_current: int = 0  # selected files already tagged with these rules
    messages_read: int = 0  # messages matched in this run
    tag_rows: int = 0
    files_elsewhere: int = 0  # files outside the selection not tagged with these rules
    seconds: float = 0.0
    summary: TagSummary = field(default_factory=TagSummary)


def tag_store(
    store: Store,
    tagger: Tagger,
    where: MessageFilter,
    *,
    on_rows: Callable[[int], None] | None = None,
) -> TagRunReport:
    """Tag the selected messages' files that are not yet tagged with these rules; then count tags."""
    started = time.perf_counter()
    fingerprint = tagger.rules.fingerprint
    report = TagRunReport(fingerprint)
    with store.writing():
        pending = pending_files(store, TAGS, RULES_KEY, fingerprint, where)
        report.files_current, report.files_elsewhere = pending.current, pending.elsewhere
        metadata = stamp_metadata(
            TAG_SCHEMA, RULES_KEY, fingerprint, {SOURCES_KEY: " + ".join(tagger.rules.sources).encode()}
        )
        for batch_files, messages in read_batches(pending.files, [MESSAGE_ID, CONTENT, SENDER_ROLE]):
            tags, rows = tagger.tag_table_with_rows(messages)
            report.tag_rows += write_per_file(store, TAGS, batch_files, tags, rows, metadata)
            report.files_tagged += len(batch_files)
            report.messages_read += messages.num_rows
            if on_rows is not None:
                on_rows(messages.num_rows)
    report.summary = tag_summary(store, where)
    report.seconds = time.perf_counter() - started
    return report


def is_current(tag_file: Path, fingerprint: str) -> bool:
    """Whether a tag file exists and was made with these rules."""
    return stamp_of(tag_file, RULES_KEY) == fingerprint


def untagged_files(store: Store) -> int:
    """Committed message files without any tag file (never tagged)."""
    return missing_files(store, TAGS)


def tag_summary(store: Store, where: MessageFilter) -> TagSummary:
    """Counts per tag over the selected messages (tags as stored, whichever rules made them)."""
    condition, params = where.where()
    con = connect(store)
    try:
        # Grouping per conversation first, then counting groups, is twice as fast in DuckDB as
        # count(DISTINCT (platform, conversation_id)).
        selected = f"SELECT message_id, platform, conversation_id FROM messages WHERE {condition}"
        totals = con.execute(
            f"""WITH s AS ({selected}),
            tagged AS (SELECT DISTINCT message_id FROM message_tags),
            per_conversation AS (
                SELECT s.platform, s.conversation_id, count(*) AS n, count(tagged.message_id) AS k
                FROM s LEFT JOIN tagged USING (message_id) GROUP BY ALL)
            SELECT coalesce(sum(n), 0)::BIGINT, count(*), coalesce(sum(k), 0)::BIGINT, count(*) FILTER (WHERE k > 0)
            FROM per_conversation""",
            params,
        ).fetchone()
        rows = con.execute(
            f"""WITH s AS ({selected}),
            per_conversation AS (
                SELECT t.tag, any_value(t.priority) AS priority, count(*) AS n
                FROM s JOIN message_tags t USING (message_id) GROUP BY t.tag, s.platform, s.conversation_id)
            SELECT tag, any_value(priority), sum(n)::BIGINT, count(*) AS conversations
            FROM per_conversation GROUP BY tag ORDER BY conversations DESC, tag""",
            params,
        ).fetchall()
    finally:
        con.close()
    messages, conversations, tagged_messages, tagged_conversations = (int(v) for v in _row(totals))
    summary = TagSummary(messages, conversations, tagged_messages, tagged_conversations)
    summary.counts = [TagCount(str(t), str(p), int(m), int(c)) for t, p, m, c in rows]
    return summary


def _row(values: Any) -> tuple[Any, ...]:
    return tuple(values) if values is not None else (0, 0, 0, 0)


@dataclass(frozen=True)
class StoredMessage:
    """One message and the tags the store holds for it (for `chatlog tag --explain`)."""

    message_id: str
    sent_at: str
    platform: str
    conversation_id: str | None
    sender_role: str
    content: str
    tags: tuple[str, ...]
    tagged_with: str | None  # fingerprint of the rules that made those tags; None when its file is untagged


def find_message(store: Store, message_id: str) -> StoredMessage | None:
    """A message by id or by a unique prefix of at least 8 characters."""
    from chatlog_cli.errors import UsageError

    key = message_id.strip().lower()
    if len(key) < 8:
        raise UsageError("消息编号至少要写前 8 位（见 chatlog search --format csv 的“消息编号”列）。")
    con = connect(store)
    try:
        files = store.message_files()
        if not files:
            return None
        rows = con.execute(
            "SELECT message_id, strftime(sent_at, '%Y-%m-%d %H:%M:%S'), platform, conversation_id, sender_role, "
            f"coalesce(content, ''), filename FROM read_parquet({sql_list(files)}, filename = true, "
            "hive_partitioning = false) WHERE starts_with(message_id, ?) LIMIT 2",
            [key],
        ).fetchall()
        if len(rows) > 1:
            raise UsageError(f"有多条消息的编号以 {key} 开头，请多写几位。")
        if not rows:
            return None
        mid, sent_at, platform, conversation, role, content, filename = rows[0]
        tags = [
            str(tag)
            for (tag,) in con.execute(
                "SELECT tag FROM message_tags WHERE message_id = ? ORDER BY tag", [mid]
            ).fetchall()
        ]
    finally:
        con.close()
    stamp = stamp_of(store.derived_file_for(TAGS, Path(filename)), RULES_KEY)
    return StoredMessage(mid, sent_at, platform, conversation, role, content, tuple(tags), stamp)
