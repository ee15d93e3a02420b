"""JD 京东 session list (会话记录): one row per session, conversation metadata rather than messages.

FORMATS.md (Medium): header in row 1 of the first sheet, cells may carry leading spaces; columns seen are
咨询时间, 顾客, 咨询类型, 客服, 转接后客服, 技能组, 商品编号, 商品名称, 首次响应时间, 平均响应时间(S) or
新平均响应时间(S), 会话时长(M), 客户消息数, 客服消息数, 满意度, 是否解决, cid. Only 咨询时间 and 顾客 are
required: they are what the rows are matched to chat-log conversations by (start time ± 2 minutes and the
masked buyer alias, see store/sessions.py). Sessions are stored apart from messages, in `sessions/`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

import pyarrow as pa

from chatlog_cli import schema as s
from chatlog_cli.errors import MissingColumnsError
from chatlog_cli.io.tabular import ROW_COLUMN, BadRow, Sheet
from chatlog_cli.platforms.base import Parsed, ParseOptions, RowReject, Sample
from chatlog_cli.platforms.normalize import parse_time_text
from chatlog_cli.platforms.tabular import match_aliases, signature_hits
from chatlog_cli.settings import CHINA_TZ

COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "started_at": ("咨询时间", "会话开始时间", "开始时间"),
    "buyer": ("顾客", "客户", "顾客账号", "客户账号", "用户"),
    "agent": ("客服", "接待客服", "客服账号"),
    "transferred_to": ("转接后客服", "转接客服"),
    "skill_group": ("技能组", "技能组名称"),
    "consult_type": ("咨询类型",),
    "product_id": ("商品编号", "商品ID", "商品id", "sku"),
    "product_name": ("商品名称",),
    "first_response": ("首次响应时间", "首次响应时长", "首次响应时间(S)"),
    "avg_response_seconds": ("新平均响应时间(S)", "平均响应时间(S)", "平均响应时间", "平均响应时长"),
    "duration_minutes": ("会话时长(M)", "会话时长"),
    "buyer_messages": ("客户消息数", "顾客消息数"),
    "agent_messages": ("客服消息数",),
    "satisfaction": ("满意度", "评价结果"),
    "resolved": ("是否解决", "解决状态"),
    "session_id": ("cid", "会话ID", "会话id", "会话编号"),
}
REQUIRED: Final = ("started_at", "buyer")
# Headers only a session list has; a sheet needs three of them besides the required ones.
SIGNATURE: Final = ("技能组", "满意度", "首次响应时间", "转接后客服", "cid", "客服消息数", "客户消息数", "会话时长(M)",
                    "咨询类型", "是否解决", "平均响应时间(S)", "新平均响应时间(S)")  # fmt: skip
MIN_SIGNATURE: Final = 3
LABELS: Final = {"started_at": "咨询时间", "buyer": "顾客"}

_NUMBER: Final = re.compile(r"^-?\d+(?:\.\d+)?$")
_CLOCK: Final = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{2})$")
_UNITS: Final = re.compile(r"^(?:(\d+)\s*(?:小时|时))?\s*(?:(\d+)\s*分(?:钟)?)?\s*(?:(\d+(?:\.\d+)?)\s*秒)?$")


def _best_header(sheet: Sheet) -> tuple[int, dict[str, int], int]:
    """(row index, field → column, signature hits) of the most session-list-like row in the first rows."""
    best: tuple[int, dict[str, int], int] = (-1, {}, 0)
    for index, row in enumerate(sheet.preview()):
        found = match_aliases(row, COLUMNS)
        hits = signature_hits(row, SIGNATURE)
        if all(r in found for r in REQUIRED) and hits > best[2]:
            best = (index, found, hits)
    return best


def duration_seconds(text: str | None, started_at: dt.datetime | None = None) -> float | None:
    """首次响应时间 as seconds: `15`, `15秒`, `1分5秒`, `00:01:05`, or a clock time after 咨询时间."""
    if not text:
        return None
    text = text.strip()
    if _NUMBER.match(text):
        return float(text)
    clock = _CLOCK.match(text)
    if clock:
        hours, minutes, seconds = (int(g) if g else 0 for g in clock.groups())
        value = float(hours * 3600 + minutes * 60 + seconds)
        if started_at is not None:
            # A clock time of the first reply (10:00:31 for a 10:00:00 start) rather than a duration (00:00:31):
            # durations are short, so a value just after the start's time of day is read as a clock time.
            start = started_at.hour * 3600 + started_at.minute * 60 + started_at.second
            if start <= value <= start + 2 * 3600 and value > 2 * 3600:
                return value - start
        return value
    units = _UNITS.match(text)
    if units and any(units.groups()):
        h, m, sec = (float(g) if g else 0.0 for g in units.groups())
        return h * 3600 + m * 60 + sec
    when = parse_time_text(text)
    if when is not None and started_at is not None:
        delta = (when.replace(tzinfo=CHINA_TZ) - started_at).total_seconds()
        return delta if delta >= 0 else None
    return None


@dataclass(frozen=True)
class JdSessionList:
    """The JD 会话记录 export (xlsx/csv): session metadata for the chat log's conversations."""

    name: str = "jd-sessions"
    platform: str = "jd"
    title: str = "京东 会话记录（会话列表 Excel）"
    infers_agents: bool = False
    recognized_by: str = (
        "表头包含 咨询时间、顾客，以及 技能组/满意度/首次响应时间/转接后客服/cid/客服消息数 等会话统计列中的至少三个"
    )

    def sniff(self, sample: Sample) -> float:
        """0.9 when a sheet has 咨询时间, 顾客 and at least three session-statistics headers."""
        if sample.kind not in ("text", "workbook"):
            return 0.0
        hits = max((_best_header(sheet)[2] for sheet in sample.sheets[:8]), default=0)
        return 0.9 if hits >= MIN_SIGNATURE else 0.0

    def parse(self, sample: Sample, options: ParseOptions) -> Parsed:
        """Rows of every session-list sheet, in `SESSION_STAGING_SCHEMA`."""
        plans = []
        encoding = sample.encoding if sample.kind == "text" else None
        parsed = Parsed(batches=iter(()), encoding=encoding, kind="sessions")
        for sheet in sample.sheets:
            index, found, hits = _best_header(sheet)
            if index < 0 or hits < MIN_SIGNATURE:
                parsed.stats.skipped[f"工作表“{sheet.name}”没有会话记录表头，已跳过"] += 1
                continue
            plans.append((sheet, index, found))
        if not plans:
            raise MissingColumnsError(
                f"{sample.source.label}：按“{self.title}”读取时找不到表头：需要 咨询时间、顾客 两列，"
                "以及 技能组、满意度、首次响应时间 等会话统计列。请确认这是京东后台“会话记录”导出的文件。"
            )
        parsed.batches = self._batches(sample, plans, options, parsed)
        return parsed

    def _batches(
        self, sample: Sample, plans: list[tuple[Sheet, int, dict[str, int]]], options: ParseOptions, parsed: Parsed
    ) -> Iterator[pa.RecordBatch]:
        for sheet, index, found in plans:
            label = sample.source.label if sample.kind == "text" else f"{sample.source.label}#{sheet.name}"

            def bad_row(row: BadRow, label: str = label) -> None:
                parsed.rejects.append(RowReject(row.row or 0, "bad_row", row.reason, row.raw, label))

            headers, batches = sheet.read(index, bad_row)
            named = {field: headers[position] for field, position in found.items() if position < len(headers)}
            unknown = [h for i, h in enumerate(headers) if i not in found.values()]
            parsed.stats.unknown_columns.extend(u for u in unknown if u not in parsed.stats.unknown_columns)
            for batch in batches:
                rows = [self._row(r, named, unknown, label, options, parsed) for r in batch.to_pylist()]
                kept = [r for r in rows if r is not None]
                parsed.stats.rows_read += batch.num_rows
                if kept:
                    yield pa.RecordBatch.from_pylist(kept, schema=s.SESSION_STAGING_SCHEMA)

    def _row(
        self,
        cells: dict[str, Any],
        named: dict[str, str],
        unknown: list[str],
        label: str,
        options: ParseOptions,
        parsed: Parsed,
    ) -> dict[str, object] | None:
        def text(field: str) -> str | None:
            value = cells.get(named[field]) if field in named else None
            return value.strip() or None if isinstance(value, str) else None

        row = int(cells[ROW_COLUMN] or 0)
        raw = "\t".join(str(cells.get(h) or "") for h in cells if h != ROW_COLUMN)
        started = parse_time_text(text("started_at"))
        if started is None:
            reason = "咨询时间为空" if text("started_at") is None else "咨询时间无法识别（应为 YYYY-MM-DD HH:MM:SS）"
            parsed.rejects.append(RowReject(row, "bad_time", reason, raw, label))
            return None
        buyer = text("buyer")
        if buyer is None:
            parsed.rejects.append(RowReject(row, "missing_buyer", "顾客为空，无法与聊天记录对应", raw, label))
            return None
        started_at = started.replace(tzinfo=CHINA_TZ)
        extra = {h: cells[h] for h in unknown if cells.get(h)}
        numbers: dict[str, float | None] = {}
        for field in ("avg_response_seconds", "duration_minutes", "buyer_messages", "agent_messages"):
            value = text(field)
            numbers[field] = float(value) if value is not None and _NUMBER.match(value) else None
            if value is not None and numbers[field] is None:
                extra[named[field]] = value  # kept as exported, not guessed
        first_response = duration_seconds(text("first_response"), started_at)
        if text("first_response") is not None and first_response is None:
            extra[named["first_response"]] = text("first_response")
        session_id = text("session_id")
        agent = text("agent")
        identity = (
            [self.platform, session_id] if session_id else [self.platform, started.isoformat(), buyer, agent or ""]
        )
        return {
            s.SESSION_KEY: hashlib.md5("\x1f".join(identity).encode()).hexdigest(),
            s.PLATFORM: self.platform,
            s.SHOP: options.shop,
            "session_id": session_id,
            "started_at": started_at,
            s.BUYER: buyer,
            s.AGENT: agent,
            "transferred_to": text("transferred_to"),
            "skill_group": text("skill_group"),
            "consult_type": text("consult_type"),
            s.PRODUCT_ID: text("product_id"),
            "product_name": text("product_name"),
            "first_response_seconds": first_response,
            "avg_response_seconds": numbers["avg_response_seconds"],
            "duration_minutes": numbers["duration_minutes"],
            "buyer_messages": _int(numbers["buyer_messages"]),
            "agent_messages": _int(numbers["agent_messages"]),
            "satisfaction": text("satisfaction"),
            "resolved": text("resolved"),
            s.SOURCE_FILE: label,
            s.SOURCE_LINE: row,
            s.EXTRA: json.dumps(extra, ensure_ascii=False) if extra else None,
        }


def _int(value: float | None) -> int | None:
    return int(value) if value is not None else None


FORMATS = (JdSessionList(),)
