"""Taobao / Tmall 千牛 spreadsheet with one row per buyer, the whole conversation in one cell.

FORMATS.md: Medium evidence for the shape, Guess for the exact headers (so they are matched by alias).

| 买家 | 日期 | 聊天记录 |
|---|---|---|
| tb123456789 | 2026-11-05 | `2026-11-05⏎10:00:00⏎在吗⏎tb123456789⏎10:00:05⏎您好，在的⏎云裳旗舰店:小美⏎没有更多内容了` |

The cell is the console's web page copied as text: a date line, then per message an `HH:MM:SS` line, the
content lines and the sender line — the sender comes *after* the content — and `没有更多内容了` at the end.
A later date line changes the date of the messages after it; without one, the row's 日期 cell gives the date.
Lines of page chrome (聊天记录查询, 查询结果, 客户昵称, 员工账号, 账号信息保护显示) and the end marker are
filtered and counted. The buyer is the row's buyer cell and the thread, as in the other Taobao shapes, so the
same message gets the same `message_id` whichever shape it was exported in.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Final

import pyarrow as pa

from chatlog_cli.errors import MissingColumnsError
from chatlog_cli.io.decode import clean_text
from chatlog_cli.io.tabular import ROW_COLUMN, BadRow, Sheet
from chatlog_cli.platforms.base import Parsed, ParseOptions, RowReject, Sample
from chatlog_cli.platforms.roles import ROBOT_NAME_RE
from chatlog_cli.platforms.staging import text_export_batch
from chatlog_cli.platforms.tabular import header_key, match_aliases
from chatlog_cli.settings import BATCH_ROWS

COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "buyer": ("买家", "客户名", "买家昵称", "客户昵称"),
    "date": ("日期", "聊天日期"),
    "chat": ("聊天记录", "聊天内容", "会话内容"),
}
_REQUIRED: Final = {"buyer": "买家", "chat": "聊天记录"}
END_MARKER: Final = "没有更多内容了"
# Words of the console's query page that leak into copied cells (whole lines only, optionally followed by
# a colon or a space and a value, e.g. `客户昵称：tb123`).
CHROME_WORDS: Final = ("聊天记录查询", "查询结果", "客户昵称", "员工账号", "账号信息保护显示")
_CHROME_RE: Final = re.compile(r"^(?:" + "|".join(CHROME_WORDS) + r")(?:\s*[:：\s].*)?$")

_DATE: Final = r"(?P<y>\d{4})[-/.年](?P<m>\d{1,2})[-/.月](?P<d>\d{1,2})日?"
_TIME: Final = r"(?P<H>\d{1,2}):(?P<M>\d{2}):(?P<S>\d{2})"
_DATE_RE: Final = re.compile(_DATE)
_TIME_RE: Final = re.compile(_TIME)
_DATETIME_RE: Final = re.compile(_DATE + r"[ T]+" + _TIME)
_ROW_DATE_RE: Final = re.compile(r"^\s*" + _DATE)
# Seller sub-accounts are `店铺:子账号` (half-width colon); the main account is the bare shop nick.
_SUB_ACCOUNT_RE: Final = re.compile(r"^[^:\s]+:[^:\s]+$")
_PREFIX: Final = "cntaobao"
# Excel serial day numbers (a 日期 cell formatted as a number).
_EXCEL_SERIAL_RANGE: Final = (20000.0, 80000.0)
_EXCEL_EPOCH: Final = dt.date(1899, 12, 30)

SKIPPED_CHROME: Final = "网页残留文字（聊天记录查询、查询结果、客户昵称、员工账号等，已过滤）"
SKIPPED_END_MARKER: Final = "结束标记“没有更多内容了”（已过滤）"
SKIPPED_REPEATED_HEADER: Final = "重复的表头行（已跳过）"


def _nick(raw: str) -> str:
    raw = raw.strip()
    return raw[len(_PREFIX) :] if raw.startswith(_PREFIX) else raw


def find_header(preview: list[list[str]]) -> tuple[int, dict[str, int]]:
    """The first row with a buyer and a conversation column, and each field's position (-1, {} if none)."""
    for index, cells in enumerate(preview):
        found = match_aliases(cells, COLUMNS)
        if "buyer" in found and "chat" in found:
            return index, found
    return -1, {}


def count_timestamps(cell: str) -> int:
    """How many lines of a cell are `HH:MM:SS` (or `YYYY-MM-DD HH:MM:SS`) message times."""
    return sum(1 for line in clean_text(cell).split("\n") if _TIME_RE.fullmatch(line.strip()) or _is_datetime(line))


def _is_datetime(line: str) -> bool:
    return _DATETIME_RE.fullmatch(line.strip()) is not None


def row_date(value: str | None) -> str | None:
    """`YYYY-MM-DD` from a 日期 cell: text, an Excel date (`… 00:00:00`) or an Excel serial number."""
    if not value:
        return None
    match = _ROW_DATE_RE.match(value)
    if match:
        return _iso_date(match)
    try:
        serial = float(value)
    except ValueError:
        return None
    if _EXCEL_SERIAL_RANGE[0] <= serial <= _EXCEL_SERIAL_RANGE[1]:
        return (_EXCEL_EPOCH + dt.timedelta(days=int(serial))).isoformat()
    return None


def _iso_date(match: re.Match[str]) -> str | None:
    try:
        return dt.date(int(match["y"]), int(match["m"]), int(match["d"])).isoformat()
    except ValueError:
        return None


# Splitting one cell


@dataclass
class CellMessage:
    """One message recovered from a conversation cell."""

    sent_at: str  # `YYYY-MM-DD HH:MM:SS`, China local time
    sender: str
    content: str


@dataclass
class CellProblem:
    """Part of a cell that could not become a message (reason in Simplified Chinese, raw never printed)."""

    code: str
    reason: str
    raw: str


@dataclass
class CellParse:
    """What one conversation cell holds."""

    messages: list[CellMessage] = field(default_factory=list)
    problems: list[CellProblem] = field(default_factory=list)
    chrome_lines: int = 0
    end_markers: int = 0


@dataclass
class _Block:
    date: str | None
    time: tuple[int, int, int]
    lines: list[str] = field(default_factory=list)

    def time_text(self) -> str:
        hour, minute, second = self.time
        return f"{hour:02d}:{minute:02d}:{second:02d}"


def split_cell(text: str, default_date: str | None, buyer: str | None = None) -> CellParse:
    """Split a conversation cell into messages: time line, content lines, then the sender line.

    Args:
        text: the cell.
        default_date: the row's 日期 (`YYYY-MM-DD`), used until the cell's first date line.
        buyer: the row's buyer, to recognise a cell whose sender comes *before* the content (rejected whole).
    """
    result = CellParse()
    blocks, stray = _blocks(clean_text(text), default_date, result)
    if not blocks:
        result.problems.append(
            CellProblem("no_timestamp", "聊天记录里没有“HH:MM:SS”时间行，无法拆分成消息", text.strip())
        )
        return result
    if stray:
        result.problems.append(
            CellProblem(
                "outside_message",
                "聊天记录里有不属于任何消息的文本（在第一个时间行之前，或在“没有更多内容了”之后）",
                "\n".join(stray),
            )
        )
    for block in blocks:
        _add_message(block, result)
    if buyer and _sender_first(blocks, buyer) and not any(m.sender == buyer for m in result.messages):
        return CellParse(
            problems=[
                CellProblem(
                    "sender_first",
                    "聊天记录的发送人写在内容之前，与已知格式（内容在前、发送人在后）不符，整格未导入",
                    text.strip(),
                )
            ],
            chrome_lines=result.chrome_lines,
            end_markers=result.end_markers,
        )
    return result


def _blocks(text: str, date: str | None, result: CellParse) -> tuple[list[_Block], list[str]]:
    blocks: list[_Block] = []
    stray: list[str] = []
    current: _Block | None = None
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped == END_MARKER:
            result.end_markers += 1
            current = None
        elif _CHROME_RE.match(stripped):
            result.chrome_lines += 1
        elif (both := _DATETIME_RE.fullmatch(stripped)) is not None:
            date = _iso_date(both)
            current = _Block(date, (int(both["H"]), int(both["M"]), int(both["S"])))
            blocks.append(current)
        elif (day := _DATE_RE.fullmatch(stripped)) is not None:
            date = _iso_date(day)  # the day changed: the date line ends the previous message
            current = None
        elif (time := _TIME_RE.fullmatch(stripped)) is not None:
            current = _Block(date, (int(time["H"]), int(time["M"]), int(time["S"])))
            blocks.append(current)
        elif current is not None:
            current.lines.append(line.rstrip())
        elif stripped:
            stray.append(stripped)
    return blocks, stray


def _add_message(block: _Block, result: CellParse) -> None:
    lines = block.lines
    while lines and not lines[-1].strip():
        lines.pop()
    while lines and not lines[0].strip():
        lines.pop(0)
    hour, minute, second = block.time
    raw = block.time_text() + "\n" + "\n".join(lines)
    if block.date is None:
        result.problems.append(
            CellProblem("missing_date", "消息没有可用的日期（前面没有日期行或日期行无法识别，日期列也为空）", raw)
        )
    elif len(lines) < 2:
        result.problems.append(
            CellProblem("bad_message", "消息的时间行后不足两行，分不出内容和发送人（应为内容在前、发送人在后）", raw)
        )
    elif not (hour < 24 and minute < 60 and second < 60):
        result.problems.append(CellProblem("bad_time", "消息时间无法识别（应为 HH:MM:SS）", raw))
    else:
        content = "\n".join(lines[:-1]).strip()
        result.messages.append(CellMessage(f"{block.date} {block.time_text()}", _nick(lines[-1]), content))


def _sender_first(blocks: list[_Block], buyer: str) -> bool:
    firsts = [next((line for line in b.lines if line.strip()), "") for b in blocks]
    return any(_nick(first) == buyer for first in firsts)


def _role(sender: str, buyer: str, shops: set[str]) -> str:
    if sender == buyer:
        return "buyer"
    if ROBOT_NAME_RE.search(sender):
        return "bot"
    if _SUB_ACCOUNT_RE.match(sender) or sender in shops:
        return "agent"  # a sub-account 店铺:子账号, or the main account (a shop seen in a sub-account or --shop)
    return "unknown"


# The format


@dataclass
class _Rows:
    line: list[int] = field(default_factory=list)
    stamp: list[str] = field(default_factory=list)
    sender: list[str] = field(default_factory=list)
    role: list[str] = field(default_factory=list)
    content: list[str] = field(default_factory=list)
    buyer: list[str] = field(default_factory=list)


@dataclass
class _Plan:
    sheet: Sheet
    header_index: int
    found: dict[str, int]
    label: str


@dataclass(frozen=True)
class TaobaoConversationSheet:
    """The 千牛 spreadsheet with one row per buyer and the conversation as text in one cell."""

    name: str = "taobao-conversation-sheet"
    platform: str = "taobao"
    title: str = "淘宝/天猫 千牛聊天记录表格（每行一个买家，整段对话在一格里）"
    infers_agents: bool = False
    recognized_by: str = (
        "表头包含 买家: " + "/".join(COLUMNS["buyer"]) + "；聊天记录: " + "/".join(COLUMNS["chat"])
        + "；可有 日期: " + "/".join(COLUMNS["date"])
        + "。聊天记录格里有至少两行“HH:MM:SS”时间，每条消息为时间行、内容、发送人（发送人在内容之后），"
        "以“没有更多内容了”结尾。"
    )  # fmt: skip

    def sniff(self, sample: Sample) -> float:
        """The header, and a conversation cell with at least two time lines (decisive: no other shape has it)."""
        if sample.kind not in ("text", "workbook"):
            return 0.0
        best = 0.0
        for sheet in sample.sheets[:8]:
            preview = sheet.preview()
            index, found = find_header(preview)
            if index < 0:
                continue
            column = found["chat"]
            cells = [row[column] for row in preview[index + 1 :] if column < len(row) and row[column]]
            most = max((count_timestamps(cell) for cell in cells), default=0)
            if most >= 2:
                best = max(best, 0.95 if "date" in found else 0.9)
            elif most == 1:
                best = max(best, 0.55)  # one message per cell could be anything: a weak claim only
        return best

    def parse(self, sample: Sample, options: ParseOptions) -> Parsed:
        """Parse every sheet that has a buyer and a conversation column; other sheets are skipped and counted."""
        parsed = Parsed(batches=iter(()), encoding=sample.encoding if sample.kind == "text" else None)
        plans: list[_Plan] = []
        for sheet in sample.sheets:
            index, found = find_header(sheet.preview())
            if index < 0:
                parsed.stats.skipped[f"工作表“{sheet.name}”没有聊天记录表头，已跳过"] += 1
                continue
            label = sample.source.label if sample.kind == "text" else f"{sample.source.label}#{sheet.name}"
            plans.append(_Plan(sheet, index, found, label))
        if not plans:
            wanted = "；".join(f"{field_name}（{'/'.join(COLUMNS[key])}）" for key, field_name in _REQUIRED.items())
            raise MissingColumnsError(
                f"{sample.source.label}：按“{self.title}”格式读取时找不到表头，需要的列：{wanted}。"
                "请检查导出的表格，或用 --format 选择其他格式。"
            )
        parsed.batches = self._batches(plans, options, parsed)
        return parsed

    def _batches(self, plans: list[_Plan], options: ParseOptions, parsed: Parsed) -> Iterator[pa.RecordBatch]:
        for plan in plans:
            reader = _SheetReader(plan, options, parsed)
            for batch in reader.batches():
                reader.feed(batch)
                if len(reader.rows.line) >= BATCH_ROWS:
                    yield self._batch(reader.take(), plan.label, options)
            if reader.rows.line:
                yield self._batch(reader.take(), plan.label, options)

    def _batch(self, rows: _Rows, label: str, options: ParseOptions) -> pa.RecordBatch:
        buyer = pa.array(rows.buyer, pa.string())
        return text_export_batch(
            platform=self.platform,
            shop=options.shop,
            label=label,
            lines=pa.array(rows.line, pa.int64()),
            stamps=pa.array(rows.stamp, pa.string()),
            senders=pa.array(rows.sender, pa.string()),
            roles=pa.array(rows.role, pa.string()),
            content=pa.array(rows.content, pa.string()),
            thread=buyer,
            buyer=buyer,
        )


class _SheetReader:
    """Rows of one sheet → messages in `rows`; rejects and counters go to `parsed`."""

    def __init__(self, plan: _Plan, options: ParseOptions, parsed: Parsed) -> None:
        self.plan = plan
        self.parsed = parsed
        self.rows = _Rows()
        self.headers: list[str] = []
        self.shops = {options.shop} if options.shop else set()
        self.header_cells = {header_key(c) for c in plan.sheet.preview()[plan.header_index] if c}

    def take(self) -> _Rows:
        rows, self.rows = self.rows, _Rows()
        return rows

    def batches(self) -> Iterator[pa.RecordBatch]:
        label = self.plan.label

        def bad_row(row: BadRow) -> None:
            self.parsed.rejects.append(RowReject(row.row or 0, "bad_row", row.reason, row.raw, label))
            self.parsed.stats.rows_read += 1

        self.headers, batches = self.plan.sheet.read(self.plan.header_index, bad_row)
        return batches

    def feed(self, batch: pa.RecordBatch) -> None:
        def column(key: str) -> list[str | None]:
            position = self.plan.found.get(key)
            if position is None or position >= len(self.headers):
                return [None] * batch.num_rows
            values: list[str | None] = batch.column(self.headers[position]).to_pylist()
            return values

        numbers: list[int] = batch.column(ROW_COLUMN).to_pylist()
        for number, buyer, date, chat in zip(numbers, column("buyer"), column("date"), column("chat"), strict=True):
            self._row(number, buyer, date, chat)

    def _reject(self, number: int, code: str, reason: str, raw: str | None) -> None:
        self.parsed.rejects.append(RowReject(number, code, reason, raw, self.plan.label))
        self.parsed.stats.rows_read += 1

    def _row(self, number: int, buyer_cell: str | None, date_cell: str | None, chat: str | None) -> None:
        skipped = self.parsed.stats.skipped
        cells = [c for c in (buyer_cell, date_cell, chat) if c and c.strip()]
        if not cells:
            return  # a blank row is layout
        if all(header_key(c) in self.header_cells for c in cells):
            skipped[SKIPPED_REPEATED_HEADER] += 1  # pages of an export pasted one after another
            return
        buyer = _nick(clean_text(buyer_cell or ""))
        cell = split_cell(chat or "", row_date(date_cell), buyer or None)
        if cell.chrome_lines:
            skipped[SKIPPED_CHROME] += cell.chrome_lines
        if cell.end_markers:
            skipped[SKIPPED_END_MARKER] += cell.end_markers
        if _only_chrome(chat):
            if _CHROME_RE.match(buyer) or not buyer:
                skipped[SKIPPED_CHROME] += 1  # a row of page chrome below the header (查询结果 …)
            else:
                self._reject(number, "empty_chat", "聊天记录为空", _raw(buyer_cell, date_cell, chat))
            return
        if not buyer:
            self._reject(number, "missing_buyer", "买家为空，无法确定这段对话属于谁", _raw(buyer_cell, date_cell, chat))
            return
        for problem in cell.problems:
            self._reject(number, problem.code, problem.reason, problem.raw)
        # The main account is the bare shop nick: recognisable once one of its sub-accounts spoke in the cell.
        shops = self.shops | {m.sender.split(":", 1)[0] for m in cell.messages if _SUB_ACCOUNT_RE.match(m.sender)}
        rows = self.rows
        for message in cell.messages:
            rows.line.append(number)
            rows.stamp.append(message.sent_at)
            rows.sender.append(message.sender)
            rows.role.append(_role(message.sender, buyer, shops))
            rows.content.append(message.content)
            rows.buyer.append(buyer)
        self.parsed.stats.rows_read += len(cell.messages)


def _only_chrome(chat: str | None) -> bool:
    """True when a cell holds nothing but blank lines, page chrome and end markers."""
    lines = (line.strip() for line in clean_text(chat or "").split("\n"))
    return all(not line or line == END_MARKER or _CHROME_RE.match(line) for line in lines)


def _raw(*cells: str | None) -> str:
    return "\t".join(c or "" for c in cells)


FORMATS = (TaobaoConversationSheet(),)
