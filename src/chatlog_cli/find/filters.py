"""Which messages a search or export is about, as SQL over the store's `messages` view.

One filter serves `search`, `export` and (later) reports, so every command understands the same options the
same way: text matches `content` (all words unless `any_word`; a regular expression with `regex`); people are
matched by part of their nick (`--agent 小美` finds `山海小铺-小美`); an order id matches the order column or
the message text (buyers paste order numbers into messages); a tag matches by name or by its last part
(`--tag 投诉` finds 风险-投诉), ancestors included (`--tag 物流` finds every 物流-… message).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Final

from chatlog_cli.errors import UsageError
from chatlog_cli.schema import MSG_TYPES, ROLES

# What users type for roles and types (Chinese as the exports say it) → stored values.
ROLE_WORDS: Final = {
    "买家": "buyer", "顾客": "buyer", "客户": "buyer", "客服": "agent", "机器人": "bot", "系统": "system",
    "未知": "unknown", **{r: r for r in ROLES},
}  # fmt: skip
TYPE_WORDS: Final = {
    "文本": "text", "图片": "image", "链接": "link", "订单卡片": "order_card", "商品卡片": "product_card",
    "表情": "emoticon", "撤回": "recall", "转接": "transfer", "卡片": "card", "其他": "other",
    **{t: t for t in MSG_TYPES},
}  # fmt: skip


@dataclass(frozen=True)
class MessageFilter:
    """Search options; empty fields do not filter."""

    words: tuple[str, ...] = ()
    any_word: bool = False
    regex: bool = False
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    platforms: tuple[str, ...] = ()
    shops: tuple[str, ...] = ()
    agents: tuple[str, ...] = ()
    buyers: tuple[str, ...] = ()
    orders: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    conversations: tuple[str, ...] = field(default=())

    def where(self) -> tuple[str, list[Any]]:
        """A SQL condition over `messages` and its parameters ('true' when nothing filters)."""
        parts: list[str] = []
        params: list[Any] = []
        for part, values in (self._text(), self._times(), self._people(), self._values(), self._tags()):
            if part:
                parts.append(part)
                params.extend(values)
        return (" AND ".join(parts) or "true"), params

    def _text(self) -> tuple[str, list[Any]]:
        if not self.words:
            return "", []
        if self.regex:
            for pattern in self.words:
                _check_regex(pattern)
            tests = ["regexp_matches(content, ?)"] * len(self.words)
            params = list(self.words)
        else:
            # Case-insensitive only where case exists: lower() over every row costs more than the search.
            tests = [
                "contains(lower(content), ?)" if w.lower() != w.upper() else "contains(content, ?)" for w in self.words
            ]
            params = [w.lower() for w in self.words]
        return "(" + (" OR " if self.any_word else " AND ").join(tests) + ")", params

    def _times(self) -> tuple[str, list[Any]]:
        parts, params = [], []
        for moment, test in ((self.since, ">="), (self.until, "<")):
            if moment is not None:
                parts.append(f"sent_at {test} to_timestamp(? / 1000.0)")
                params.append(int(moment.timestamp() * 1000))
        return " AND ".join(parts), params

    def _people(self) -> tuple[str, list[Any]]:
        parts: list[str] = []
        params: list[Any] = []
        for columns, values in (
            (("agent", "CASE WHEN sender_role = 'agent' THEN sender END"), self.agents),
            (("buyer", "buyer_id"), self.buyers),
        ):
            if values:
                tests = [f"coalesce(contains(lower({c}), ?), false)" for _ in values for c in columns]
                parts.append("(" + " OR ".join(tests) + ")")
                params.extend(v.lower() for v in values for _ in columns)
        if self.orders:
            # In the text, the id must stand alone: 123456789012 is not found inside 261101-123456789012345.
            test = "(order_id = ? OR (contains(content, ?) AND regexp_matches(content, ?)))"
            parts.append("(" + " OR ".join(test for _ in self.orders) + ")")
            params.extend(v for o in self.orders for v in (o, o, _order_in_text_regex(o)))
        return " AND ".join(parts), params

    def _values(self) -> tuple[str, list[Any]]:
        parts: list[str] = []
        params: list[Any] = []
        for column, values in (
            ("platform", self.platforms),
            ("shop", self.shops),
            ("sender_role", tuple(_lookup(r, ROLE_WORDS, "--role") for r in self.roles)),
            ("msg_type", tuple(_lookup(t, TYPE_WORDS, "--type") for t in self.types)),
            ("conversation_id", self.conversations),
        ):
            if values:
                parts.append(f"{column} IN ({', '.join('?' * len(values))})")
                params.extend(values)
        return " AND ".join(parts), params

    def _tags(self) -> tuple[str, list[Any]]:
        if not self.tags:
            return "", []
        tests = " OR ".join("tag = ? OR ends_with(tag, '-' || ?)" for _ in self.tags)
        return f"message_id IN (SELECT message_id FROM message_tags WHERE {tests})", [
            v for tag in self.tags for v in (tag, tag)
        ]

    def highlight_pattern(self) -> str | None:
        """A regular expression (case-insensitive) for the matched text, for highlighting."""
        if not self.words:
            return None
        if self.regex:
            return "|".join(f"(?:{w})" for w in self.words)
        return "|".join(re.escape(w) for w in sorted(self.words, key=len, reverse=True))


def _lookup(value: str, words: dict[str, str], option: str) -> str:
    if value in words:
        return words[value]
    if value.lower() in words:
        return words[value.lower()]
    choices = "、".join(dict.fromkeys(words))
    raise UsageError(f"{option} 的值“{value}”不认识。可用：{choices}。")


def _check_regex(pattern: str) -> None:
    # DuckDB uses RE2; Python's parser catches the common mistakes with a clearer message first.
    try:
        re.compile(pattern)
    except re.error as exc:
        raise UsageError(f"正则表达式“{pattern}”有误：{exc}。不用 --regex 时按普通文字查找。") from None


def _order_in_text_regex(order_id: str) -> str:
    """RE2 pattern: the order id in message text, not as part of a longer number."""
    return r"(^|[^0-9A-Za-z])" + re.escape(order_id) + r"([^0-9A-Za-z]|$)"
