"""Spreadsheet-shaped exports (CSV, XLSX, XLS) read as batches of text columns.

Cells are read as text, never typed: order ids have 18–19 digits and lose digits as numbers. Rows keep
their 1-based row number in the file so that errors and `source_line` can point at them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Final, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from chatlog_cli.errors import EncodingError, InputFileError
from chatlog_cli.io.decode import clean_text, normalize_header
from chatlog_cli.io.sources import Source
from chatlog_cli.settings import BATCH_ROWS, HEADER_SEARCH_ROWS

ROW_COLUMN: Final = "__row__"

# Integers above 2**53 stored as Excel numbers have already lost digits (Excel keeps 15 significant ones):
# render them in exponent form so the damaged-id check flags them instead of inventing digits.
_EXACT_FLOAT_LIMIT: Final = 2**53


@dataclass(frozen=True)
class BadRow:
    """A row the reader itself could not split into cells (wrong number of columns)."""

    row: int | None
    reason: str
    raw: str | None


class Sheet(Protocol):
    """One table of a spreadsheet file: a CSV file, or one worksheet of a workbook."""

    name: str

    def preview(self) -> list[list[str]]:
        """The first rows (cells as text, '' for empty), to find the header row and sniff the format."""
        ...

    def read(
        self, header_index: int, on_bad_row: Callable[[BadRow], None]
    ) -> tuple[list[str], Iterator[pa.RecordBatch]]:
        """Header names (normalized) and batches of text columns below the header, plus `__row__`."""
        ...


def unique_headers(cells: list[str]) -> list[str]:
    """Normalize header cells and make them unique (`列3` for blanks, `名称_2` for repeats)."""
    names: list[str] = []
    seen: dict[str, int] = {}
    for index, cell in enumerate(cells, start=1):
        name = normalize_header(cell) or f"列{index}"
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        else:
            seen[name] = 1
        names.append(name)
    return names


# CSV


@dataclass
class CsvSheet:
    """A delimited text file."""

    source: Source
    encoding: str
    name: str = "csv"
    _preview: list[list[str]] | None = None

    def _delimiter(self) -> str:
        head = self._head_text()
        first_lines = head.split("\n", 5)[:5]
        counts = {d: sum(line.count(d) for line in first_lines) for d in (",", "\t", ";", "|")}
        return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","

    def _head_text(self) -> str:
        raw = self.source.head(256 * 1024)
        return clean_text(raw.decode(self.encoding, errors="replace"))

    def preview(self) -> list[list[str]]:
        """First rows, parsed with the detected delimiter."""
        if self._preview is not None:
            return self._preview
        reader = csv.reader(io.StringIO(self._head_text()), delimiter=self._delimiter())
        rows: list[list[str]] = []
        for row in reader:
            rows.append([cell.strip() for cell in row])
            if len(rows) >= HEADER_SEARCH_ROWS:
                break
        self._preview = rows
        return rows

    def read(
        self, header_index: int, on_bad_row: Callable[[BadRow], None]
    ) -> tuple[list[str], Iterator[pa.RecordBatch]]:
        """Stream the rows below the header as text batches."""
        preview = self.preview()
        if header_index >= len(preview):
            raise InputFileError(f"{self.source.label}：文件里没有表头行。")
        headers = unique_headers(preview[header_index])
        delimiter = self._delimiter()

        def invalid_row(row: Any) -> str:
            number = None if row.number is None else int(row.number)
            on_bad_row(
                BadRow(
                    number,
                    f"列数不对：应为 {row.expected_columns} 列，实际 {row.actual_columns} 列",
                    row.text,
                )
            )
            return "skip"

        read_options = pacsv.ReadOptions(
            encoding="utf8" if self.encoding in ("utf-8", "utf-8-sig") else self.encoding,
            skip_rows=header_index + 1,
            column_names=headers,
            block_size=8 << 20,
        )
        parse_options = pacsv.ParseOptions(
            delimiter=delimiter, newlines_in_values=True, invalid_row_handler=invalid_row
        )
        convert_options = pacsv.ConvertOptions(
            column_types=dict.fromkeys(headers, pa.string()),
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
        )
        return headers, self._batches(read_options, parse_options, convert_options, header_index)

    def _batches(
        self,
        read_options: pacsv.ReadOptions,
        parse_options: pacsv.ParseOptions,
        convert_options: pacsv.ConvertOptions,
        header_index: int,
    ) -> Iterator[pa.RecordBatch]:
        first_row = header_index + 2  # 1-based row number of the first data row
        try:
            with self.source.open() as handle:
                reader = pacsv.open_csv(
                    handle,
                    read_options=read_options,
                    parse_options=parse_options,
                    convert_options=convert_options,
                )
                for batch in reader:
                    rows = pa.array(np.arange(first_row, first_row + batch.num_rows, dtype=np.int64))
                    first_row += batch.num_rows
                    yield batch.append_column(ROW_COLUMN, rows)
        except pa.ArrowInvalid as exc:
            text = str(exc)
            if "UTF8" in text or ("utf8" in text.lower() and "invalid" in text.lower()):
                raise EncodingError(
                    f"{self.source.label}：文件中途出现不是 {self.encoding} 编码的内容（可能混合了两种编码）。"
                    "请用 --encoding gb18030 或 --encoding utf-8 指定编码后重试。"
                ) from None
            raise InputFileError(
                f"{self.source.label}：CSV 格式损坏，无法继续读取（{_describe_arrow_error(text)}）。请重新导出该文件。"
            ) from None


def _describe_arrow_error(text: str) -> str:
    # pyarrow messages can quote row text; keep only the first clause so no message content is shown.
    return text.split(":", 1)[0][:120]


# Workbooks (XLSX / XLS / ODS) via python-calamine


@dataclass
class WorkbookSheet:
    """One worksheet of a workbook, read with python-calamine."""

    source: Source
    name: str
    _rows: list[list[Any]] | None = None

    def _load(self) -> list[list[Any]]:
        if self._rows is None:
            self._rows = _load_sheet_rows(self.source, self.name)
        return self._rows

    def preview(self) -> list[list[str]]:
        """First rows as text."""
        return [[_cell_text(v) or "" for v in row] for row in self._load()[:HEADER_SEARCH_ROWS]]

    def read(
        self, header_index: int, on_bad_row: Callable[[BadRow], None]
    ) -> tuple[list[str], Iterator[pa.RecordBatch]]:
        """The rows below the header as text batches."""
        rows = self._load()
        if header_index >= len(rows):
            raise InputFileError(f"{self.source.label}（工作表“{self.name}”）：没有表头行。")
        headers = unique_headers([_cell_text(v) or "" for v in rows[header_index]])
        return headers, self._batches(rows, header_index, headers)

    def _batches(self, rows: list[list[Any]], header_index: int, names: list[str]) -> Iterator[pa.RecordBatch]:
        width = len(names)
        start = header_index + 1
        while start < len(rows):
            chunk = rows[start : start + BATCH_ROWS]
            numbers = [
                start + offset + 1 for offset, row in enumerate(chunk) if any(v != "" and v is not None for v in row)
            ]
            if len(numbers) != len(chunk):  # blank rows are layout, not data
                chunk = [rows[n - 1] for n in numbers]
            start += BATCH_ROWS
            if numbers:
                padded = [row if len(row) >= width else [*row, *[None] * (width - len(row))] for row in chunk]
                arrays = [_column_text(list(column)) for column in zip(*(row[:width] for row in padded), strict=True)]
                arrays.append(pa.array(numbers, pa.int64()))
                yield pa.RecordBatch.from_arrays(arrays, [*names, ROW_COLUMN])
        self._rows = None  # free the sheet once read


def _load_sheet_rows(source: Source, sheet_name: str) -> list[list[Any]]:
    import python_calamine

    try:
        with source.open() as handle:
            workbook = python_calamine.CalamineWorkbook.from_filelike(handle)
            return list(workbook.get_sheet_by_name(sheet_name).iter_rows())
    except python_calamine.CalamineError as exc:
        raise InputFileError(
            f"{source.label}：Excel 文件已损坏或不完整，无法读取工作表“{sheet_name}”"
            f"（{type(exc).__name__}）。请重新下载或用 Excel 打开后另存为 .xlsx。"
        ) from None


def workbook_sheets(source: Source) -> list[WorkbookSheet]:
    """The visible worksheets of an XLSX/XLS/ODS file, in workbook order."""
    import python_calamine

    try:
        with source.open() as handle:
            workbook = python_calamine.CalamineWorkbook.from_filelike(handle)
            metadata = workbook.sheets_metadata
    except Exception as exc:  # calamine raises several unrelated types for damaged files
        raise InputFileError(
            f"{source.label}：Excel 文件已损坏或不完整，无法打开（{type(exc).__name__}）。"
            "请重新下载，或用 Excel 打开后另存为 .xlsx 再导入。"
        ) from None
    return [
        WorkbookSheet(source, m.name)
        for m in metadata
        if str(m.visible).endswith("Visible") and str(m.typ).endswith("WorkSheet")
    ]


def _column_text(values: list[Any]) -> pa.Array:
    """One column of cells as text; all-text columns (the usual case) skip the per-cell conversion."""
    if all(v.__class__ is str for v in values):
        array = pa.array(values, pa.string())
        empty = pc.equal(array, "")
        return pc.if_else(empty, pa.scalar(None, pa.string()), array) if pc.any(empty).as_py() else array
    return pa.array([_cell_text(v) for v in values], pa.string())


def _cell_text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < _EXACT_FLOAT_LIMIT:
            return str(int(value))
        return repr(value) if abs(value) < _EXACT_FLOAT_LIMIT else f"{value:.15G}"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        # A time-of-day cell formatted as duration.
        seconds = int(value.total_seconds())
        return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    return str(value)
