"""Write a stream of message rows to one export file.

XLSX and CSV are for shop owners: Chinese headers (`EXPORT_COLUMNS`), translated roles and message types,
China local time, and cells that cannot run as formulas in Excel. JSONL and Parquet are for tools: the
schema's English column names and raw values.

Every format streams batch by batch and is written to a temporary file next to the target, which replaces
the target only when the whole export succeeded.
"""

from __future__ import annotations

import contextlib
import csv
import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, NamedTuple

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from chatlog_cli import schema as s
from chatlog_cli.errors import OutputFileError, UsageError
from chatlog_cli.find.display import COLUMN_HEADERS, FORMULA_STARTS, ROLE_LABELS, TYPE_LABELS
from chatlog_cli.io.atomic import create_temporary, replace_target
from chatlog_cli.settings import CHINA_UTC_OFFSET_MS

FORMATS: Final = ("xlsx", "csv", "jsonl", "parquet")
CSV_ENCODINGS: Final = ("utf-8-sig", "gb18030")

# Data rows per worksheet: Excel's 1,048,576 rows minus the header row. Larger exports continue on
# 聊天记录2, 聊天记录3, … (tests lower this to check the split).
XLSX_MAX_DATA_ROWS = 1_048_575
SHEET_NAME: Final = "聊天记录"
XLSX_TIME_FORMAT: Final = "yyyy-mm-dd hh:mm:ss"

# Rows buffered into one Parquet row group (small reader batches would otherwise make tiny row groups).
PARQUET_ROW_GROUP_ROWS: Final = 256_000


class ExportColumn(NamedTuple):
    """One column of the spreadsheet formats (XLSX, CSV)."""

    name: str  # schema column
    header: str  # what shop owners see
    width: float  # XLSX column width, in characters


# The columns of XLSX and CSV exports, in order. `extra` and `import_id` are store internals and left out.
EXPORT_COLUMNS: Final[tuple[ExportColumn, ...]] = (
    ExportColumn(s.SENT_AT, COLUMN_HEADERS[s.SENT_AT], 20),
    ExportColumn(s.PLATFORM, COLUMN_HEADERS[s.PLATFORM], 10),
    ExportColumn(s.SHOP, COLUMN_HEADERS[s.SHOP], 16),
    ExportColumn(s.CONVERSATION_ID, COLUMN_HEADERS[s.CONVERSATION_ID], 22),
    ExportColumn(s.SENDER_ROLE, COLUMN_HEADERS[s.SENDER_ROLE], 11),
    ExportColumn(s.SENDER, COLUMN_HEADERS[s.SENDER], 18),
    ExportColumn(s.BUYER, COLUMN_HEADERS[s.BUYER], 18),
    ExportColumn(s.BUYER_ID, COLUMN_HEADERS[s.BUYER_ID], 22),
    ExportColumn(s.AGENT, COLUMN_HEADERS[s.AGENT], 16),
    ExportColumn(s.MSG_TYPE, COLUMN_HEADERS[s.MSG_TYPE], 10),
    ExportColumn(s.CONTENT, COLUMN_HEADERS[s.CONTENT], 60),
    ExportColumn(s.ORDER_ID, COLUMN_HEADERS[s.ORDER_ID], 22),
    ExportColumn(s.PRODUCT_ID, COLUMN_HEADERS[s.PRODUCT_ID], 16),
    ExportColumn(s.SOURCE_FILE, COLUMN_HEADERS[s.SOURCE_FILE], 30),
    ExportColumn(s.SOURCE_LINE, COLUMN_HEADERS[s.SOURCE_LINE], 8),
    ExportColumn(s.MESSAGE_ID, COLUMN_HEADERS[s.MESSAGE_ID], 34),
)

_VALUE_LABELS: Final[dict[str, dict[str, str]]] = {s.SENDER_ROLE: ROLE_LABELS, s.MSG_TYPE: TYPE_LABELS}

_EXTENSIONS: Final = {".xlsx": "xlsx", ".csv": "csv", ".jsonl": "jsonl", ".parquet": "parquet"}

# Cells a spreadsheet would run as a formula (find.display.FORMULA_STARTS) get a leading single quote.
_FORMULA_START: Final = "^[" + "".join(re.escape(c) for c in FORMULA_STARTS) + "]"
# Characters XML 1.0 (and so XLSX) cannot hold; openpyxl refuses them (its ILLEGAL_CHARACTERS_RE).
_XML_ILLEGAL: Final = r"[\x00-\x08\x0b\x0c\x0e-\x1f]"
_ERROR_CODE_VALUES: Final = pa.array(ERROR_CODES, pa.string())


_Progress = Callable[[int], None] | None


@dataclass(frozen=True)
class ExportResult:
    """What `write_export` wrote."""

    path: Path
    format: str
    rows: int
    sheets: tuple[str, ...]  # XLSX worksheet names; empty for the other formats
    seconds: float


def resolve_format(path: Path, format: str | None = None) -> str:
    """The export format: `format` if given, else from the file extension; `UsageError` if unsupported."""
    supported = "、".join(FORMATS)
    if format is not None:
        if format.lower() not in FORMATS:
            raise UsageError(f"不支持的导出格式 {format}。支持的格式：{supported}。")
        return format.lower()
    found = _EXTENSIONS.get(path.suffix.lower())
    if found is None:
        raise UsageError(
            f"无法从文件名 {path.name} 判断导出格式（扩展名 {path.suffix or '无'}）。"
            f"请使用扩展名 .xlsx、.csv、.jsonl 或 .parquet，或指定格式（{supported}）。"
        )
    return found


def write_export(
    batches: pa.RecordBatchReader,
    path: Path,
    *,
    format: str | None = None,
    encoding: str = "utf-8-sig",
    on_rows: Callable[[int], None] | None = None,
) -> ExportResult:
    """Write message rows (`SCHEMA` columns, any subset, any order) to `path`, streaming batch by batch.

    Args:
        batches: The rows to export. XLSX and CSV write the `EXPORT_COLUMNS` present in it; JSONL and
            Parquet write every column as given.
        path: The target file. It is replaced only when the whole export succeeded.
        format: `xlsx`, `csv`, `jsonl` or `parquet`; None takes it from the extension of `path`.
        encoding: CSV only: `utf-8-sig` (UTF-8 with BOM, which Excel needs for Chinese) or `gb18030`.
        on_rows: Called after each batch with the number of rows in that batch.

    Raises:
        UsageError: Unsupported format or encoding.
        OutputFileError: The target's directory is missing or not writable, or writing failed.
    """
    fmt = resolve_format(path, format)
    if encoding.lower() not in CSV_ENCODINGS:
        raise UsageError(f"不支持的 CSV 编码 {encoding}。可选：utf-8-sig（默认，Excel 可直接打开）或 gb18030。")
    start = time.perf_counter()
    tmp = create_temporary(path)
    source = _Source(batches)
    sheets: tuple[str, ...] = ()
    try:
        if fmt == "xlsx":
            rows, sheets = _write_xlsx(source, tmp, on_rows)
        elif fmt == "csv":
            rows = _write_csv(source, tmp, encoding.lower(), on_rows)
        elif fmt == "jsonl":
            rows = _write_jsonl(source, tmp, on_rows)
        else:
            rows = _write_parquet(source, tmp, on_rows)
        replace_target(tmp, path)
    except _SourceFailed as failed:
        # The reader's own error (a store problem, a bug): pass it on unchanged.
        raise failed.original from None
    except OSError as exc:
        raise OutputFileError(
            f"写入导出文件 {path} 失败：{exc.strerror or exc}。请检查磁盘空间和写入权限后重试；原文件（如有）未被改动。"
        ) from exc
    finally:
        tmp.unlink(missing_ok=True)
    return ExportResult(path=path, format=fmt, rows=rows, sheets=sheets, seconds=time.perf_counter() - start)


# Target handling


class _SourceFailed(Exception):
    """Carries an exception raised by the input reader past the writers' OSError handling."""

    def __init__(self, original: BaseException) -> None:
        super().__init__(str(original))
        self.original = original


class _Source:
    """The input batches; marks the reader's exceptions so they are not taken for write errors."""

    def __init__(self, reader: pa.RecordBatchReader) -> None:
        self.reader = reader
        self.schema: pa.Schema = reader.schema

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        batches = iter(self.reader)
        while True:
            try:
                batch = next(batches)
            except StopIteration:
                return
            except Exception as exc:
                raise _SourceFailed(exc) from exc
            yield batch


# Spreadsheet values


def _spreadsheet_columns(schema: pa.Schema) -> list[ExportColumn]:
    columns = [c for c in EXPORT_COLUMNS if c.name in schema.names]
    if not columns:
        expected = "、".join(c.name for c in EXPORT_COLUMNS)
        raise UsageError(f"要导出的数据没有可写入表格的列（需要以下列中的至少一列：{expected}）。")
    return columns


def _local_time(array: pa.Array) -> pa.Array:
    """China local wall-clock time to the second, as a naive timestamp (no time zone database needed)."""
    epoch_ms = array.cast(s.TIMESTAMP_TYPE).cast(pa.int64())
    local = pc.add(epoch_ms, CHINA_UTC_OFFSET_MS).cast(pa.timestamp("ms"))
    return local.cast(pa.timestamp("s"), safe=False)


def _neutralize(array: pa.Array) -> pa.Array:
    """Prefix `'` to text a spreadsheet would read as a formula."""
    risky = pc.match_substring_regex(array, _FORMULA_START)
    return pc.if_else(risky, pc.binary_join_element_wise("'", array, ""), array)


def _text(array: pa.Array, name: str, *, xlsx: bool) -> pa.Array:
    if pa.types.is_dictionary(array.type):
        array = array.cast(array.type.value_type)
    labels = _VALUE_LABELS.get(name)
    if labels is not None:
        array = pa.array([None if v is None else labels.get(v, v) for v in array.to_pylist()], pa.string())
    if xlsx:
        array = pc.replace_substring_regex(array, _XML_ILLEGAL, "")
    return _neutralize(array)


def _is_text(data_type: pa.DataType) -> bool:
    if pa.types.is_dictionary(data_type):
        data_type = data_type.value_type
    return bool(pa.types.is_string(data_type) or pa.types.is_large_string(data_type))


# CSV


def _write_csv(source: _Source, tmp: Path, encoding: str, on_rows: _Progress) -> int:
    columns = _spreadsheet_columns(source.schema)
    rows = 0
    # gb18030 encodes all of Unicode and Arrow strings are valid UTF-8, so strict encoding cannot fail.
    with tmp.open("w", encoding=encoding, errors="strict", newline="") as file:
        writer = csv.writer(file)
        writer.writerow([c.header for c in columns])
        for batch in source:
            values: list[list[Any]] = []
            for column in columns:
                array = batch.column(column.name)
                if column.name == s.SENT_AT:
                    values.append(_local_time(array).cast(pa.string()).to_pylist())
                elif _is_text(array.type):
                    values.append(_text(array, column.name, xlsx=False).to_pylist())
                else:
                    values.append(array.to_pylist())
            writer.writerows(zip(*values, strict=True))
            rows += batch.num_rows
            if on_rows is not None:
                on_rows(batch.num_rows)
    return rows


# XLSX


class _XlsxSheets:
    """Write-only worksheets of at most `XLSX_MAX_DATA_ROWS` data rows each, opened as rows arrive."""

    def __init__(self, columns: list[ExportColumn]) -> None:
        self.workbook = Workbook(write_only=True)
        self.columns = columns
        self.last_column = get_column_letter(len(columns))
        self.names: list[str] = []
        self.sheet: Any = None
        self.rows_in_sheet = 0
        self.limit = XLSX_MAX_DATA_ROWS

    def current(self) -> Any:
        """The sheet the next row goes to."""
        if self.sheet is None or self.rows_in_sheet >= self.limit:
            self._next_sheet()
        return self.sheet

    def _next_sheet(self) -> None:
        self._finish_sheet()
        name = SHEET_NAME if not self.names else f"{SHEET_NAME}{len(self.names) + 1}"
        sheet = self.workbook.create_sheet(name)
        # Views and column widths go into the sheet's XML before the first row.
        sheet.freeze_panes = "A2"
        for index, column in enumerate(self.columns, 1):
            sheet.column_dimensions[get_column_letter(index)].width = column.width
        header = []
        for column in self.columns:
            cell = WriteOnlyCell(sheet, value=column.header)
            cell.font = Font(bold=True)
            header.append(cell)
        sheet.append(header)
        self.names.append(name)
        self.sheet = sheet
        self.rows_in_sheet = 0

    def _finish_sheet(self) -> None:
        if self.sheet is not None:
            # The filter range needs the final row count; write-only sheets take it until they are closed.
            self.sheet.auto_filter.ref = f"A1:{self.last_column}{self.rows_in_sheet + 1}"
            self.sheet.close()

    def save(self, path: Path) -> None:
        """Finish the last sheet (a header-only one if there were no rows) and write the workbook."""
        if self.sheet is None:
            self._next_sheet()
        self._finish_sheet()
        self.workbook.save(path)

    def discard(self) -> None:
        """Remove the sheets' temporary files after a failure (openpyxl keeps them until exit)."""
        for sheet in self.workbook.worksheets:
            writer = getattr(sheet, "_writer", None)
            if writer is None:
                continue
            with contextlib.suppress(Exception):
                rows = getattr(sheet, "_rows", None)
                if rows is not None:
                    rows.close()
            with contextlib.suppress(Exception):
                writer.close()
            with contextlib.suppress(Exception):
                writer.cleanup()


def _xlsx_values(batch: pa.RecordBatch, columns: list[ExportColumn]) -> tuple[list[list[Any]], list[int]]:
    """Column values for one batch, and the indexes of columns holding text openpyxl would take for errors."""
    values: list[list[Any]] = []
    error_like: list[int] = []
    for index, column in enumerate(columns):
        array = batch.column(column.name)
        if column.name == s.SENT_AT:
            values.append(_local_time(array).to_pylist())
        elif _is_text(array.type):
            text = _text(array, column.name, xlsx=True)
            if pc.any(pc.is_in(text, value_set=_ERROR_CODE_VALUES)).as_py():
                error_like.append(index)
            values.append(text.to_pylist())
        else:
            values.append(array.to_pylist())
    return values, error_like


def _write_xlsx(source: _Source, tmp: Path, on_rows: _Progress) -> tuple[int, tuple[str, ...]]:
    columns = _spreadsheet_columns(source.schema)
    time_index = next((i for i, c in enumerate(columns) if c.name == s.SENT_AT), None)
    sheets = _XlsxSheets(columns)
    rows = 0
    try:
        for batch in source:
            values, error_like = _xlsx_values(batch, columns)
            for row in zip(*values, strict=True):
                sheet = sheets.current()
                cells = list(row)
                if time_index is not None and cells[time_index] is not None:
                    cell = WriteOnlyCell(sheet, value=cells[time_index])
                    cell.number_format = XLSX_TIME_FORMAT
                    cells[time_index] = cell
                for index in error_like:
                    if cells[index] in ERROR_CODES:
                        # Plain strings like "#N/A" would become error cells; keep them text.
                        cell = WriteOnlyCell(sheet, value=cells[index])
                        cell.data_type = "s"
                        cells[index] = cell
                sheet.append(cells)
                sheets.rows_in_sheet += 1
            rows += batch.num_rows
            if on_rows is not None:
                on_rows(batch.num_rows)
        sheets.save(tmp)
    except BaseException:
        sheets.discard()
        raise
    return rows, tuple(sheets.names)


# JSONL


def _iso_time(array: pa.Array) -> pa.Array:
    """ISO 8601 in China time with its offset: `2024-03-01T12:00:05+08:00` (`.123` when there are ms)."""
    epoch_ms = array.cast(s.TIMESTAMP_TYPE).cast(pa.int64())
    local_ms = pc.add(epoch_ms, CHINA_UTC_OFFSET_MS).cast(pa.timestamp("ms"))
    whole = local_ms.cast(pa.timestamp("s"), safe=False)
    has_ms = pc.not_equal(local_ms.cast(pa.int64()), pc.multiply(whole.cast(pa.int64()), 1000))
    text = pc.if_else(has_ms, local_ms.cast(pa.string()), whole.cast(pa.string()))
    text = pc.replace_substring(text, " ", "T", max_replacements=1)
    return pc.binary_join_element_wise(text, "+08:00", "")


def _write_jsonl(source: _Source, tmp: Path, on_rows: _Progress) -> int:
    rows = 0
    with tmp.open("w", encoding="utf-8", newline="\n") as file:
        for batch in source:
            if s.SENT_AT in batch.schema.names:
                index = batch.schema.get_field_index(s.SENT_AT)
                batch = batch.set_column(index, s.SENT_AT, _iso_time(batch.column(index)))
            file.writelines(json.dumps(record, ensure_ascii=False) + "\n" for record in batch.to_pylist())
            rows += batch.num_rows
            if on_rows is not None:
                on_rows(batch.num_rows)
    return rows


# Parquet


def _write_parquet(source: _Source, tmp: Path, on_rows: _Progress) -> int:
    rows = 0
    pending: list[pa.RecordBatch] = []
    pending_rows = 0
    with pq.ParquetWriter(tmp, source.schema, compression="zstd") as writer:
        for batch in source:
            pending.append(batch)
            pending_rows += batch.num_rows
            if pending_rows >= PARQUET_ROW_GROUP_ROWS:
                writer.write_table(pa.Table.from_batches(pending, source.schema), row_group_size=pending_rows)
                pending, pending_rows = [], 0
            rows += batch.num_rows
            if on_rows is not None:
                on_rows(batch.num_rows)
        if pending:
            writer.write_table(pa.Table.from_batches(pending, source.schema))
    return rows
