"""Declarative spreadsheet formats: header aliases, role words and type codes in, `STAGING_SCHEMA` out.

Built-in platforms declare a `TabularFormat`; a user's `--map mapping.toml` becomes one too, so an export
we have never seen imports through the same code as the ones we know.
"""

from __future__ import annotations

import functools
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from chatlog_cli import schema as s
from chatlog_cli.errors import InputFileError, MissingColumnsError
from chatlog_cli.io.arrow_text import on_rows, rows_ending_with, rows_starting_with
from chatlog_cli.io.decode import normalize_header
from chatlog_cli.io.tabular import ROW_COLUMN, BadRow, Sheet
from chatlog_cli.platforms import content as content_rules
from chatlog_cli.platforms.base import Parsed, ParseOptions, ParseStats, RowReject, Sample
from chatlog_cli.platforms.normalize import (
    clean_strings,
    constant_column,
    damaged_id_mask,
    json_objects,
    merge_json,
    parse_times,
)
from chatlog_cli.platforms.roles import ROBOT_NAME_PATTERN

# Fields a mapping can name. `date` + `time` stand in for `sent_at` when an export splits them.
FIELDS: Final = (
    "sent_at", "date", "time", "sender", "sender_role", "content", "buyer", "buyer_id", "agent",
    "conversation_id", "order_id", "product_id", "msg_type", "shop",
)  # fmt: skip
FIELD_LABELS: Final = {
    "sent_at": "发送时间", "date": "日期", "time": "时间", "sender": "发送人", "sender_role": "发送方身份",
    "content": "消息内容", "buyer": "买家", "buyer_id": "买家ID", "agent": "客服", "conversation_id": "会话ID",
    "order_id": "订单号", "product_id": "商品ID", "msg_type": "消息类型", "shop": "店铺",
}  # fmt: skip


@functools.lru_cache(maxsize=4096)
def header_key(text: str) -> str:
    """A header cell as compared with aliases: normalized (spaces, full-width forms) and lower-cased."""
    return normalize_header(text).lower()


def match_aliases(cells: list[str], columns: Mapping[str, tuple[str, ...]]) -> dict[str, int]:
    """Field → column position for one candidate header row (first alias present; leftmost repeat)."""
    positions = {header_key(c): i for i, c in reversed(list(enumerate(cells))) if c}
    found: dict[str, int] = {}
    for name, aliases in columns.items():
        hit = next((positions[header_key(a)] for a in aliases if header_key(a) in positions), None)
        if hit is not None:
            found[name] = hit
    return found


def signature_hits(cells: list[str], signature: tuple[str, ...]) -> int:
    """How many of a format's typical headers a row shows."""
    return len({header_key(h) for h in signature} & {header_key(c) for c in cells})


@dataclass(frozen=True)
class TabularFormat:
    """A spreadsheet export described as data."""

    name: str
    platform: str
    title: str
    columns: Mapping[str, tuple[str, ...]]
    roles: Mapping[str, str] = field(default_factory=dict)
    types: Mapping[str, str] = field(default_factory=dict)
    time_formats: tuple[str, ...] = ()
    sheet: str | None = None
    header_row: int | None = None  # 1-based; None = search the first rows
    shop: str | None = None
    encoding: str | None = None
    # Headers typical of this platform's export. Generic ones (时间, 内容…) also occur in other platforms'
    # sheets, so detection only claims a file showing at least `min_signature` of these.
    signature: tuple[str, ...] = ()
    min_signature: int = 0
    # Prefixes some exports put before nicks (Taobao's `cntaobao`), removed from sender/buyer/agent.
    nick_prefixes: tuple[str, ...] = ()
    # Senders matching this RE2 pattern are agents when no role column says otherwise (Taobao `店铺:子账号`).
    agent_nick_pattern: str | None = None
    infers_agents: bool = False  # roles come from a role column, names and nick shapes

    @property
    def recognized_by(self) -> str:
        """Header aliases per field, for `chatlog formats` and detection errors."""
        parts = [f"{FIELD_LABELS.get(f, f)}: {'/'.join(a)}" for f, a in self.columns.items()]
        return "表头包含 " + "；".join(parts)

    # Sniffing

    def match_header(self, cells: list[str]) -> dict[str, int]:
        """Map fields to column positions for one candidate header row."""
        return match_aliases(cells, self.columns)

    def missing_required(self, found: Mapping[str, int]) -> list[str]:
        """Required fields absent from a header match."""
        missing = []
        if "sent_at" not in found and not ("date" in found and "time" in found):
            missing.append("sent_at")
        if "content" not in found:
            missing.append("content")
        if not ({"sender", "sender_role"} & found.keys()):
            missing.append("sender")
        return missing

    def _best_header(self, sheet: Sheet) -> tuple[int, dict[str, int]]:
        best: tuple[int, dict[str, int], float] = (-1, {}, 0.0)
        preview = sheet.preview()
        candidates = range(len(preview)) if self.header_row is None else [self.header_row - 1]
        for index in candidates:
            if index >= len(preview):
                continue
            found = self.match_header(preview[index])
            score = len(found) - 10 * len(self.missing_required(found))
            if score > best[2] or best[0] < 0:
                best = (index, found, score)
        return best[0], best[1]

    def sniff(self, sample: Sample) -> float:
        """0.6–1.0 by the share of this format's columns found; 0 without the required ones or the signature."""
        if sample.kind not in ("text", "workbook"):
            return 0.0
        best = 0.0
        for sheet in sample.sheets[:8]:
            _, found = self._best_header(sheet)
            if found and not self.missing_required(found) and self._signature_hits(sheet) >= self.min_signature:
                best = max(best, 0.6 + 0.4 * len(found) / len(self.columns))
        return best

    def _signature_hits(self, sheet: Sheet) -> int:
        return max((signature_hits(row, self.signature) for row in sheet.preview()), default=0)

    # Parsing

    def parse(self, sample: Sample, options: ParseOptions) -> Parsed:
        """Parse every sheet that has this format's header."""
        sheets = self._sheets(sample)
        encoding = sample.encoding if sample.kind == "text" else None
        parsed = Parsed(batches=iter(()), encoding=encoding)
        plans = []
        for sheet in sheets:
            index, found = self._best_header(sheet)
            missing = self.missing_required(found) if index >= 0 else ["sent_at", "content", "sender"]
            if missing:
                plans.append((sheet, index, found, missing))
                continue
            plans.append((sheet, index, found, []))
        usable = [p for p in plans if not p[3]]
        if not usable:
            raise self._missing_columns_error(sample, plans)
        for sheet, _, _, _ in (p for p in plans if p[3]):
            parsed.stats.skipped[f"工作表“{sheet.name}”没有聊天记录表头，已跳过"] += 1
        parsed.batches = self._batches(sample, usable, options, parsed)
        return parsed

    def _sheets(self, sample: Sample) -> list[Sheet]:
        if self.sheet is None or sample.kind != "workbook":
            return list(sample.sheets)
        chosen = [sh for sh in sample.sheets if sh.name == self.sheet]
        if not chosen:
            names = "、".join(sh.name for sh in sample.sheets)
            raise InputFileError(f"{sample.source.label}：找不到工作表“{self.sheet}”（文件里有：{names}）。")
        return chosen

    def _missing_columns_error(
        self, sample: Sample, plans: list[tuple[Sheet, int, dict[str, int], list[str]]]
    ) -> MissingColumnsError:
        sheet, index, _, missing = plans[0]
        preview = sheet.preview()
        seen = "、".join(c for c in preview[index] if c) if 0 <= index < len(preview) else "（无）"
        wanted = "；".join(f"{FIELD_LABELS[m]}（可用表头：{'/'.join(self._aliases_for(m))}）" for m in missing)
        return MissingColumnsError(
            f"{sample.source.label}：按“{self.title}”格式读取时缺少必需的列：{wanted}。"
            f"找到的表头是：{seen}。请检查导出时是否勾选了这些列，或用 --map 提供列对应关系。"
        )

    def _aliases_for(self, name: str) -> tuple[str, ...]:
        if name == "sent_at":
            return self.columns.get("sent_at", ()) + self.columns.get("date", ())
        if name == "sender":
            return self.columns.get("sender", ()) + self.columns.get("sender_role", ())
        return self.columns.get(name, ())

    def _batches(
        self,
        sample: Sample,
        plans: list[tuple[Sheet, int, dict[str, int], list[str]]],
        options: ParseOptions,
        parsed: Parsed,
    ) -> Iterator[pa.RecordBatch]:
        for sheet, index, found, _ in plans:
            label = sample.source.label if sample.kind == "text" else f"{sample.source.label}#{sheet.name}"

            def bad_row(row: BadRow, label: str = label) -> None:
                parsed.rejects.append(RowReject(row.row or 0, "bad_row", row.reason, row.raw, label))

            headers, batches = sheet.read(index, bad_row)
            by_position = {pos: name for name, pos in found.items()}
            mapped = {by_position[i]: headers[i] for i in range(len(headers)) if i in by_position}
            unknown = [h for i, h in enumerate(headers) if i not in by_position]
            parsed.stats.unknown_columns.extend(u for u in unknown if u not in parsed.stats.unknown_columns)
            normalize = functools.partial(
                self._normalize_alone, mapped=mapped, unknown=unknown, label=label, options=options
            )
            yield from _in_parallel(batches, normalize, parsed)

    def _normalize_alone(
        self, batch: pa.RecordBatch, *, mapped: dict[str, str], unknown: list[str], label: str, options: ParseOptions
    ) -> tuple[pa.RecordBatch, Parsed]:
        """Normalize one batch with its own counters and rejects (batches run on two threads)."""
        scratch = Parsed(batches=iter(()), encoding=None)
        return self._normalize(batch, mapped, unknown, label, options, scratch), scratch

    def _normalize(
        self,
        batch: pa.RecordBatch,
        mapped: dict[str, str],
        unknown: list[str],
        label: str,
        options: ParseOptions,
        parsed: Parsed,
    ) -> pa.RecordBatch:
        stats = parsed.stats
        n = batch.num_rows
        stats.rows_read += n
        rows = batch.column(ROW_COLUMN)

        def text(name: str) -> pa.Array | None:
            return clean_strings(batch.column(mapped[name])) if name in mapped else None

        def or_nulls(values: pa.Array | None) -> pa.Array:
            return values if values is not None else pa.nulls(n, pa.string())

        time_text = text("sent_at")
        if "date" in mapped:
            # Date and time in two columns (the time one may be the column `sent_at` also matched). A date
            # cell read from Excel carries midnight ("2026-11-01 00:00:00"); only its date part counts.
            date_only = _date_part(text("date"))
            time_text = pc.binary_join_element_wise(date_only, text("time") if "time" in mapped else time_text, " ")
        sent_at = parse_times(time_text, self.time_formats)
        content = text("content")
        sender, buyer, buyer_id, agent = (self._nick(text(f)) for f in ("sender", "buyer", "buyer_id", "agent"))
        if buyer is None and buyer_id is not None:
            buyer = buyer_id

        msg_type = self._typed(self._lookup(text("msg_type"), self.types), or_nulls(content))

        role = self._roles(text("sender_role"), sender, buyer, buyer_id, agent, stats)
        if sender is None:
            # Exports with a role column but no sender column: the sender is the buyer or the agent.
            sender = pc.case_when(
                pc.make_struct(pc.equal(role, "buyer"), pc.equal(role, "agent")), or_nulls(buyer), or_nulls(agent)
            )

        order_id = text("order_id")
        extra = json_objects({h: clean_strings(batch.column(h)) for h in unknown}, n)
        if order_id is not None:
            damaged = damaged_id_mask(order_id)
            damaged_count = pc.sum(damaged).as_py() or 0
            if damaged_count:
                stats.damaged_ids += damaged_count
                extra = merge_json(
                    extra, {"damaged_order_id": pc.if_else(damaged, order_id, pa.scalar(None, pa.string()))}
                )
                order_id = pc.if_else(damaged, pa.scalar(None, pa.string()), order_id)
        card_order = content_rules.extract_order_ids(or_nulls(content), msg_type)
        order_id = card_order if order_id is None else pc.coalesce(order_id, card_order)
        product_id = content_rules.extract_product_ids(or_nulls(content), msg_type)
        if "product_id" in mapped:
            product_id = pc.coalesce(text("product_id"), product_id)

        shop = text("shop")
        default_shop = options.shop or self.shop
        if default_shop:
            shop = constant_column(default_shop, n) if shop is None else pc.coalesce(shop, default_shop)
        conversation_id = text("conversation_id")
        thread = pc.coalesce(or_nulls(buyer_id), or_nulls(buyer), or_nulls(conversation_id), "")

        staged = pa.RecordBatch.from_arrays(
            [
                constant_column(self.platform, n),
                or_nulls(shop),
                or_nulls(conversation_id),
                sent_at,
                role,
                or_nulls(sender),
                or_nulls(buyer),
                or_nulls(buyer_id),
                or_nulls(agent),
                msg_type,
                or_nulls(content),
                order_id,
                product_id,
                constant_column(label, n),
                rows,
                extra,
                thread,
            ],
            schema=s.STAGING_SCHEMA,
        )
        return self._drop_rejects(staged, batch, time_text, parsed, label)

    def _drop_rejects(
        self, staged: pa.RecordBatch, raw: pa.RecordBatch, time_text: pa.Array, parsed: Parsed, label: str
    ) -> pa.RecordBatch:
        bad_time = pc.is_null(staged.column(s.SENT_AT))
        empty = pc.and_(pc.is_null(staged.column(s.CONTENT)), pc.equal(staged.column(s.MSG_TYPE), "other"))
        bad = pc.or_(bad_time, empty)
        if not pc.any(bad).as_py():
            return staged
        positions = pc.indices_nonzero(bad)
        # The raw row as tab-separated cells, built for the rejected rows only.
        names = raw.schema.names
        cells = [pc.fill_null(raw.column(i).take(positions), "") for i in range(len(names)) if names[i] != ROW_COLUMN]
        lines = pc.binary_join_element_wise(*cells, "\t").to_pylist()
        rows = raw.column(ROW_COLUMN).take(positions).to_pylist()
        bad_times = bad_time.take(positions).to_pylist()
        no_times = pc.is_null(time_text.take(positions)).to_pylist()
        for row, line, is_bad_time, no_time in zip(rows, lines, bad_times, no_times, strict=True):
            if not is_bad_time:
                code, reason = "empty_message", "消息内容为空"
            elif no_time:
                code, reason = "missing_time", "发送时间为空"
            else:
                code, reason = "bad_time", "发送时间无法识别（应为 YYYY-MM-DD HH:MM:SS 之类的日期时间）"
            parsed.rejects.append(RowReject(row, code, reason, line, label))
        return staged.filter(pc.invert(bad))

    def _nick(self, values: pa.Array | None) -> pa.Array | None:
        if values is None or not self.nick_prefixes:
            return values
        # Prefixes found on the bytes and cut off by position: a regex replace over every nick cost ~4x more
        # (Taobao buyers all start with cntaobao). The first listed prefix a nick starts with is the one cut.
        stripped, taken = values, np.zeros(len(values), dtype=bool)
        for prefix in self.nick_prefixes:
            rows = rows_starting_with(values, prefix.encode())
            rows = rows[~taken[rows]]
            if not len(rows):
                continue
            taken[rows] = True
            if len(rows) == len(values):
                return pc.utf8_slice_codeunits(values, len(prefix))
            mask = np.zeros(len(values), dtype=bool)
            mask[rows] = True
            cut = pc.utf8_slice_codeunits(values.take(pa.array(rows)), len(prefix))
            stripped = pc.replace_with_mask(stripped, pa.array(mask), cut)
        return stripped

    @staticmethod
    def _typed(column_type: pa.Array | None, content: pa.Array) -> pa.Array:
        """The type column's word where it has a known one, else the type the content shows.

        Content is classified only where the column says nothing: with a full type column, not at all
        (a regex scan of every message, ~0.3 s per 1M).
        """
        if column_type is None:
            return content_rules.classify(content)
        if column_type.null_count == 0:
            return column_type
        untyped = pc.is_null(column_type)
        return pc.replace_with_mask(column_type, untyped, content_rules.classify(content.filter(untyped)))

    @staticmethod
    def _lookup(values: pa.Array | None, table: Mapping[str, str]) -> pa.Array | None:
        if values is None or not table:
            return None
        keys = pa.array([header_key(k) for k in table])
        # A role or type column holds a handful of distinct words: look each up once.
        words = pc.dictionary_encode(values)
        index = pc.index_in(pc.utf8_lower(words.dictionary), value_set=keys)
        return pc.take(pc.take(pa.array(list(table.values()), pa.string()), index), words.indices)

    def _roles(
        self,
        raw_role: pa.Array | None,
        sender: pa.Array | None,
        buyer: pa.Array | None,
        buyer_id: pa.Array | None,
        agent: pa.Array | None,
        stats: ParseStats,
    ) -> pa.Array:
        n = len(next(a for a in (raw_role, sender, buyer, agent) if a is not None))
        role = self._lookup(raw_role, self.roles)
        if role is not None and raw_role is not None:
            unmapped = pc.and_(pc.is_null(role), pc.is_valid(raw_role))
            if pc.any(unmapped).as_py():
                for word in pc.unique(pc.filter(raw_role, unmapped)).to_pylist()[:10]:
                    note = f"发送方身份“{word}”不认识，记为 unknown（可在 --map 的 [roles] 里指定）"
                    if note not in stats.notes:
                        stats.notes.append(note)
        if role is None:
            role = pa.nulls(n, pa.string())
        if sender is not None and role.null_count:
            role = self._roles_from_names(role, sender, buyer, buyer_id, agent)
        return pc.fill_null(role, "unknown")

    def _roles_from_names(
        self,
        role: pa.Array,
        sender: pa.Array,
        buyer: pa.Array | None,
        buyer_id: pa.Array | None,
        agent: pa.Array | None,
    ) -> pa.Array:
        """Roles the role column left open, from who sent the message (robot names, sub-accounts, the buyer)."""
        # Only the open rows are looked at: a role column usually maps all but a few.
        open_rows = pc.is_null(role)
        whole = role.null_count == len(role)

        def rows(values: pa.Array) -> pa.Array:
            return values if whole else values.filter(open_rows)

        found = pa.nulls(role.null_count, pa.string())
        names = rows(sender)
        is_robot = pc.fill_null(pc.match_substring_regex(names, ROBOT_NAME_PATTERN), False)
        found = pc.if_else(is_robot, pa.scalar("bot"), found)
        if self.agent_nick_pattern:
            is_agent = pc.fill_null(pc.match_substring_regex(names, self.agent_nick_pattern), False)
            found = pc.if_else(pc.and_(pc.is_null(found), is_agent), pa.scalar("agent"), found)
        for column, value in ((buyer, "buyer"), (buyer_id, "buyer"), (agent, "agent")):
            if column is not None:
                same = pc.fill_null(pc.equal(names, rows(column)), False)
                found = pc.if_else(pc.and_(pc.is_null(found), same), pa.scalar(value), found)
        return found if whole else pc.replace_with_mask(role, open_rows, found)


def _date_part(dates: pa.Array) -> pa.Array:
    """Date cells without the midnight an Excel date cell carries (`2026-11-01 00:00:00`)."""
    rows = rows_ending_with(dates, b"00:00:00")
    return on_rows(dates, rows, lambda cells: pc.replace_substring_regex(cells, r"[ T]00:00:00$", ""))


def _in_parallel(
    batches: Iterator[pa.RecordBatch],
    normalize: Callable[[pa.RecordBatch], tuple[pa.RecordBatch, Parsed]],
    parsed: Parsed,
) -> Iterator[pa.RecordBatch]:
    """Normalize the next batch on a second core while this one is staged (Arrow kernels release the GIL).

    Output order is the input order; each batch's counters, notes and rejects are merged here, in order.
    """
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="chatlog-normalize") as pool:
        pending: deque[Future[tuple[pa.RecordBatch, Parsed]]] = deque()
        for batch in batches:
            pending.append(pool.submit(normalize, batch))
            if len(pending) > 2:
                yield _merged(pending.popleft().result(), parsed)
        while pending:
            yield _merged(pending.popleft().result(), parsed)


def _merged(result: tuple[pa.RecordBatch, Parsed], parsed: Parsed) -> pa.RecordBatch:
    batch, scratch = result
    parsed.stats.rows_read += scratch.stats.rows_read
    parsed.stats.damaged_ids += scratch.stats.damaged_ids
    parsed.stats.notes.extend(n for n in scratch.stats.notes if n not in parsed.stats.notes)
    parsed.rejects.extend(scratch.rejects)
    return batch
