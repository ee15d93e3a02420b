"""The normalized message schema (v1): defined once here, documented in docs/schema.md.

Every parser produces `STAGING_SCHEMA` batches; the store turns them into `SCHEMA` rows (it adds
`message_id`, `import_id`, fills derived conversation ids, roles and agents).
"""

from __future__ import annotations

from typing import Final

import pyarrow as pa

from chatlog_cli.settings import DEFAULT_TZ

SCHEMA_VERSION: Final = 1
SCHEMA_VERSION_KEY: Final = b"chatlog.schema_version"

# Column names.
MESSAGE_ID: Final = "message_id"
PLATFORM: Final = "platform"
SHOP: Final = "shop"
CONVERSATION_ID: Final = "conversation_id"
SENT_AT: Final = "sent_at"
SENDER_ROLE: Final = "sender_role"
SENDER: Final = "sender"
BUYER: Final = "buyer"
BUYER_ID: Final = "buyer_id"
AGENT: Final = "agent"
MSG_TYPE: Final = "msg_type"
CONTENT: Final = "content"
ORDER_ID: Final = "order_id"
PRODUCT_ID: Final = "product_id"
SOURCE_FILE: Final = "source_file"
SOURCE_LINE: Final = "source_line"
IMPORT_ID: Final = "import_id"
EXTRA: Final = "extra"
# Staging only: the scope inside which (time, sender, content) identifies a message. It is the buyer when
# the export names one, else the export's conversation id, else a structural session key, so that the same
# message exported in two shapes, or in two overlapping exports, hashes to the same message_id.
THREAD: Final = "thread"

ROLES: Final = ("buyer", "agent", "bot", "system", "unknown")
MSG_TYPES: Final = (
    "text",
    "image",
    "link",
    "order_card",
    "product_card",
    "emoticon",
    "recall",
    "transfer",
    "card",
    "other",
)

TIMESTAMP_TYPE: Final = pa.timestamp("ms", tz=DEFAULT_TZ)

_COMMON_FIELDS: Final = [
    pa.field(PLATFORM, pa.string(), nullable=False),
    pa.field(SHOP, pa.string()),
    pa.field(CONVERSATION_ID, pa.string()),
    pa.field(SENT_AT, TIMESTAMP_TYPE, nullable=False),
    pa.field(SENDER_ROLE, pa.string(), nullable=False),
    pa.field(SENDER, pa.string()),
    pa.field(BUYER, pa.string()),
    pa.field(BUYER_ID, pa.string()),
    pa.field(AGENT, pa.string()),
    pa.field(MSG_TYPE, pa.string(), nullable=False),
    pa.field(CONTENT, pa.string()),
    pa.field(ORDER_ID, pa.string()),
    pa.field(PRODUCT_ID, pa.string()),
    pa.field(SOURCE_FILE, pa.string(), nullable=False),
    pa.field(SOURCE_LINE, pa.int64(), nullable=False),
    pa.field(EXTRA, pa.string()),
]

SCHEMA: Final = pa.schema(
    [
        pa.field(MESSAGE_ID, pa.string(), nullable=False),
        *_COMMON_FIELDS,
        pa.field(IMPORT_ID, pa.string(), nullable=False),
    ],
    metadata={SCHEMA_VERSION_KEY: str(SCHEMA_VERSION).encode()},
)

STAGING_SCHEMA: Final = pa.schema([*_COMMON_FIELDS, pa.field(THREAD, pa.string())])

# Rows a parser could not turn into messages: kept in the store with the reason, never dropped silently.
REJECT_SCHEMA: Final = pa.schema(
    [
        pa.field(IMPORT_ID, pa.string(), nullable=False),
        pa.field(SOURCE_FILE, pa.string(), nullable=False),
        pa.field(SOURCE_LINE, pa.int64(), nullable=False),
        pa.field("reason_code", pa.string(), nullable=False),
        pa.field("reason", pa.string(), nullable=False),
        pa.field("raw", pa.string()),
    ],
    metadata={SCHEMA_VERSION_KEY: str(SCHEMA_VERSION).encode()},
)

COLUMN_DOCS: Final[dict[str, str]] = {
    MESSAGE_ID: "Stable hash of (platform, thread, sent_at to the second, sender, whitespace-folded content, "
    "occurrence); the de-duplication key. 32 hex characters.",
    PLATFORM: "`jd`, `pinduoduo`, `taobao`, `youzan`, or the `platform` named in a mapping file.",
    SHOP: "Shop name from `--shop`, the mapping file, or the export.",
    CONVERSATION_ID: "The export's conversation/session id, or a stable derived id (JD log: hash of the "
    "session's first message; spreadsheets without ids: per buyer, split at an idle gap).",
    SENT_AT: "When the message was sent, China time (Asia/Shanghai), millisecond precision.",
    SENDER_ROLE: "`buyer` / `agent` / `bot` / `system` / `unknown` (never guessed silently).",
    SENDER: "The sender's nick as exported (Taobao `cntaobao` prefix removed).",
    BUYER: "The conversation's buyer as the export names them (nick, often masked like `小**猫`; else the id).",
    BUYER_ID: "The buyer's account id when the export has one besides the nick (optional).",
    AGENT: "The human agent handling the conversation at that message, if known.",
    MSG_TYPE: "`text` / `image` / `link` / `order_card` / `product_card` / `emoticon` / `recall` / "
    "`transfer` / `card` / `other`.",
    CONTENT: "Message text, control characters removed, line breaks kept as `\\n`.",
    ORDER_ID: "Order number as text (never a number: 18–19 digit ids lose digits as floats).",
    PRODUCT_ID: "Product/SKU id as text, from a column or an order card (optional).",
    SOURCE_FILE: "The file the message was imported from (`archive.zip!member.txt` for ZIP members).",
    SOURCE_LINE: "1-based line (text exports) or row (spreadsheets) where the message starts.",
    IMPORT_ID: "The import that added the row (see `imports.parquet`).",
    EXTRA: "JSON object: export columns the parser does not map, and flags such as `damaged_order_id`.",
}


# Conversation metadata from session-list exports (JD 会话记录): one row per session, joined to the
# conversations of the chat log at query time (see store/sessions.py), so import order does not matter.
SESSION_KEY: Final = "session_key"
SESSION_STAGING_SCHEMA: Final = pa.schema(
    [
        pa.field(SESSION_KEY, pa.string(), nullable=False),
        pa.field(PLATFORM, pa.string(), nullable=False),
        pa.field(SHOP, pa.string()),
        pa.field("session_id", pa.string()),
        pa.field("started_at", TIMESTAMP_TYPE, nullable=False),
        pa.field(BUYER, pa.string()),
        pa.field(AGENT, pa.string()),
        pa.field("transferred_to", pa.string()),
        pa.field("skill_group", pa.string()),
        pa.field("consult_type", pa.string()),
        pa.field(PRODUCT_ID, pa.string()),
        pa.field("product_name", pa.string()),
        pa.field("first_response_seconds", pa.float64()),
        pa.field("avg_response_seconds", pa.float64()),
        pa.field("duration_minutes", pa.float64()),
        pa.field("buyer_messages", pa.int64()),
        pa.field("agent_messages", pa.int64()),
        pa.field("satisfaction", pa.string()),
        pa.field("resolved", pa.string()),
        pa.field(SOURCE_FILE, pa.string(), nullable=False),
        pa.field(SOURCE_LINE, pa.int64(), nullable=False),
        pa.field(EXTRA, pa.string()),
    ]
)
SESSION_SCHEMA: Final = pa.schema(
    [*SESSION_STAGING_SCHEMA, pa.field(IMPORT_ID, pa.string(), nullable=False)],
    metadata={SCHEMA_VERSION_KEY: str(SCHEMA_VERSION).encode()},
)

SESSION_COLUMN_DOCS: Final[dict[str, str]] = {
    SESSION_KEY: "De-duplication key: MD5 of platform and the export's session id (`cid`), or of platform, "
    "start second, buyer and agent when there is none.",
    PLATFORM: "`jd`.",
    SHOP: "Shop name from `--shop`.",
    "session_id": "The export's session id (`cid`), if it has one.",
    "started_at": "咨询时间: when the buyer started the session, China time.",
    BUYER: "顾客: the buyer as the session list names them (often masked, like the chat log).",
    AGENT: "客服: the agent who received the session.",
    "transferred_to": "转接后客服: the agent the session was transferred to, if any.",
    "skill_group": "技能组.",
    "consult_type": "咨询类型.",
    PRODUCT_ID: "商品编号, as text.",
    "product_name": "商品名称.",
    "first_response_seconds": "首次响应时间 in seconds (a duration, or a clock time minus 咨询时间).",
    "avg_response_seconds": "平均响应时间(S) / 新平均响应时间(S).",
    "duration_minutes": "会话时长(M).",
    "buyer_messages": "客户消息数.",
    "agent_messages": "客服消息数.",
    "satisfaction": "满意度 as exported (非常满意 … 非常不满意, 未评价).",
    "resolved": "是否解决 as exported.",
    SOURCE_FILE: "The file the row was imported from.",
    SOURCE_LINE: "1-based row in that file (sheet).",
    EXTRA: "JSON object: columns not mapped above, and values that could not be read as numbers.",
    IMPORT_ID: "The import that added the row.",
}


# Tags (`chatlog tag`): one row per (message, tag) in files beside the message files they describe
# (store/store.py); a message's ancestor tags are rows too, so "all of 物流" is one equality test.
TAG: Final = "tag"
TAG_SCHEMA: Final = pa.schema(
    [
        pa.field(MESSAGE_ID, pa.string(), nullable=False),
        pa.field(TAG, pa.string(), nullable=False),
        pa.field("rule", pa.string(), nullable=False),
        pa.field("keyword", pa.string(), nullable=False),
        pa.field("priority", pa.string(), nullable=False),
    ],
    metadata={SCHEMA_VERSION_KEY: str(SCHEMA_VERSION).encode()},
)

TAG_COLUMN_DOCS: Final[dict[str, str]] = {
    MESSAGE_ID: "The tagged message.",
    TAG: "The tag (a rule's name, e.g. `物流-配送时效`, or one of its ancestors, e.g. `物流`).",
    "rule": "The rule whose keyword matched: the tag itself, or the descendant that rolled up into it.",
    "keyword": "The first keyword of that rule found in the message (for a regular expression, the text it "
    "matched), as evidence.",
    "priority": "The tag's priority: `normal`, `high` or `urgent`.",
}


# Sentiment (`chatlog sentiment`): one row per scored message, in files beside the message files.
SCORE: Final = "score"
SENTIMENT_SCHEMA: Final = pa.schema(
    [
        pa.field(MESSAGE_ID, pa.string(), nullable=False),
        pa.field(SCORE, pa.float64(), nullable=False),
    ],
    metadata={SCHEMA_VERSION_KEY: str(SCHEMA_VERSION).encode()},
)

SENTIMENT_COLUMN_DOCS: Final[dict[str, str]] = {
    MESSAGE_ID: "The scored message.",
    SCORE: "snownlp's sentiment score, 0 (negative) … 1 (positive): exactly `snownlp.SnowNLP(content).sentiments` "
    "with the model that made the file.",
}


def empty_table(schema: pa.Schema) -> pa.Table:
    """A table with no rows; `pa.Schema.empty_table()` imports pandas (~0.3 s the first time in a process)."""
    return pa.Table.from_batches([], schema)


def _markdown(schema: pa.Schema, docs: dict[str, str]) -> str:
    lines = ["| column | type | nullable | meaning |", "|---|---|---|---|"]
    for f in schema:
        lines.append(f"| `{f.name}` | `{f.type}` | {'yes' if f.nullable else 'no'} | {docs[f.name]} |")
    return "\n".join(lines) + "\n"


def schema_markdown() -> str:
    """The column table of docs/schema.md (a test keeps the page in step with this module)."""
    return _markdown(SCHEMA, COLUMN_DOCS)


def tag_schema_markdown() -> str:
    """The tag table of docs/schema.md."""
    return _markdown(TAG_SCHEMA, TAG_COLUMN_DOCS)


def sentiment_schema_markdown() -> str:
    """The sentiment table of docs/schema.md."""
    return _markdown(SENTIMENT_SCHEMA, SENTIMENT_COLUMN_DOCS)


def session_schema_markdown() -> str:
    """The session-metadata table of docs/schema.md."""
    return _markdown(SESSION_SCHEMA, SESSION_COLUMN_DOCS)
