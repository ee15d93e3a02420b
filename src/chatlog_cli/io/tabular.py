"""Spreadsheet-shaped exports (CSV, XLSX, XLS) read as batches of text columns.

Cells are read as text, never typed: order ids have 18–19 digits and lose digits as numbers. Rows keep
their 1-based row number in the file so that errors and `source_line` can point at them.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import io
import threading
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Final, Protocol, TypeVar
from xml.etree import ElementTree

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from chatlog_cli.errors import EncodingError, InputFileError
from chatlog_cli.io.arrow_text import on_rows, rows_starting_with, utf8_buffers
from chatlog_cli.io.decode import clean_text, normalize_header
from chatlog_cli.io.sources import Source
from chatlog_cli.io.transcode import as_utf8, decoded_columns, splits_as_bytes
from chatlog_cli.io.xlsx_numbers import large_number_values
from chatlog_cli.settings import BATCH_ROWS, HEADER_SEARCH_ROWS

ROW_COLUMN: Final = "__row__"

T = TypeVar("T")

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

_CSV_BLOCK_BYTES: Final = 8 << 20  # pyarrow parses (and hands out) the file in blocks of this size


@dataclass
class CsvSheet:
    """A delimited text file."""

    source: Source
    encoding: str
    name: str = "csv"
    _preview: list[list[str]] | None = None
    _head: str | None = None

    def _delimiter(self) -> str:
        head = self._head_text()
        first_lines = head.split("\n", 5)[:5]
        counts = {d: sum(line.count(d) for line in first_lines) for d in (",", "\t", ";", "|")}
        return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","

    def _head_text(self) -> str:
        if self._head is None:
            raw = self.source.head(256 * 1024)
            self._head = clean_text(raw.decode(self.encoding, errors="replace"))
        return self._head

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
        return headers, self._batches(headers, header_index, on_bad_row)

    def _batches(
        self, headers: list[str], header_index: int, on_bad_row: Callable[[BadRow], None]
    ) -> Iterator[pa.RecordBatch]:
        # Multi-threaded parsing cannot tell which row was malformed, and most files have no such row. So the
        # file is read multi-threaded until a malformed row shows up (none: the usual case, done), and then
        # again single-threaded, numbered, from the start, skipping the good rows already handed out: those
        # all came before the first malformed row, so their numbers are the same either way.
        # A GBK/GB18030 file is split into cells as bytes and decoded a column at a time (`decoded_columns`,
        # whose errors name the row and column, as rejects do). Its malformed rows cannot be shown to the
        # handler (pyarrow hands it the row as UTF-8), so there the first one stops the reader instead, and the
        # single-threaded pass decodes the file as it reads (`Utf8Reader`, whose errors name the line).
        first_row = header_index + 2  # 1-based row number of the first data row
        done = 0
        malformed = threading.Event()
        as_bytes = splits_as_bytes(self.encoding, self._delimiter())

        def flag(row: Any) -> str:
            malformed.set()
            return "skip"

        try:
            try:
                with self._open_csv(headers, header_index, flag, use_threads=True, as_bytes=as_bytes) as reader:
                    for batch in reader:
                        if malformed.is_set():  # in this batch or one parsed ahead of it
                            break
                        if as_bytes:
                            batch = decoded_columns(batch, self.encoding, self.source.label, first_row + done)
                        numbers = np.arange(first_row + done, first_row + done + batch.num_rows, dtype=np.int64)
                        yield batch.append_column(ROW_COLUMN, pa.array(numbers))
                        done += batch.num_rows
            except pa.ArrowInvalid:
                if not as_bytes:
                    raise
                malformed.set()  # a malformed row, or a damage the decoding pass will name
            if malformed.is_set():
                yield from self._numbered_batches(headers, header_index, on_bad_row, done)
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

    def _numbered_batches(
        self, headers: list[str], header_index: int, on_bad_row: Callable[[BadRow], None], skip: int
    ) -> Iterator[pa.RecordBatch]:
        """All rows with their numbers, malformed ones reported, minus the first `skip` good rows."""
        skipped: set[int] = set()

        def invalid_row(row: Any) -> str:
            number = None if row.number is None else int(row.number)
            if number is not None:
                skipped.add(number)
            on_bad_row(
                BadRow(
                    number,
                    f"列数不对：应为 {row.expected_columns} 列，实际 {row.actual_columns} 列",
                    row.text,
                )
            )
            return "skip"

        first_row = header_index + 2
        # Single-threaded, pyarrow reports each malformed row's number (record, 1-based, counting the rows above
        # the header); the good rows after it are numbered around it.
        with self._open_csv(headers, header_index, invalid_row, use_threads=False) as reader:
            for batch in reader:
                # A malformed row is reported while its block is parsed, before that block's batch.
                numbers = np.arange(first_row, first_row + batch.num_rows + len(skipped), dtype=np.int64)
                if skipped:
                    numbers = numbers[~np.isin(numbers, np.fromiter(skipped, np.int64))]
                numbers = numbers[: batch.num_rows]
                if len(numbers):
                    first_row = int(numbers[-1]) + 1
                if skip:
                    dropped = min(skip, batch.num_rows)
                    batch, numbers, skip = batch.slice(dropped), numbers[dropped:], skip - dropped
                    if not batch.num_rows:
                        continue
                yield batch.append_column(ROW_COLUMN, pa.array(numbers))

    @contextlib.contextmanager
    def _open_csv(
        self,
        headers: list[str],
        header_index: int,
        invalid_row: Callable[[Any], str],
        *,
        use_threads: bool,
        as_bytes: bool = False,
    ) -> Iterator[pacsv.CSVStreamingReader]:
        """A reader of text columns, or with `as_bytes` of the cells' bytes undecoded (`binary` columns)."""
        read_options = pacsv.ReadOptions(
            encoding="utf8",
            skip_rows=header_index + 1,
            column_names=headers,
            block_size=_CSV_BLOCK_BYTES,
            use_threads=use_threads,
        )
        parse_options = pacsv.ParseOptions(
            delimiter=self._delimiter(), newlines_in_values=True, invalid_row_handler=None if as_bytes else invalid_row
        )
        convert_options = pacsv.ConvertOptions(
            column_types=dict.fromkeys(headers, pa.binary() if as_bytes else pa.string()),
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
        )
        with self.source.open() as raw:
            reader = pacsv.open_csv(
                raw if as_bytes else as_utf8(raw, self.encoding, self.source.label),
                read_options=read_options,
                parse_options=parse_options,
                convert_options=convert_options,
            )
            try:
                yield reader
            finally:
                reader.close()  # stop reading ahead before the file closes


def _describe_arrow_error(text: str) -> str:
    # pyarrow messages can quote row text; keep only the first clause so no message content is shown.
    return text.split(":", 1)[0][:120]


# Workbooks (XLSX / XLS / ODS): cells via fastexcel (straight to Arrow, ~4x faster than building Python
# objects per cell), sheet visibility via python-calamine.

# Excel keeps 15 significant digits: a number cell at or above 2**53 has already lost digits. fastexcel renders
# such a cell as a precise-looking integer string, so long-digit columns are re-read as numbers and their
# damaged cells rewritten in exponent form, which the damaged-id check flags.
_LONG_DIGITS: Final = r"^\d{16,}$"
# A time-only cell (date and time in separate columns) comes back on Excel's day zero.
_DAY_ZERO: Final = r"^1899-12-3[01] "
_DAY_ZERO_PREFIX: Final = b"1899-12-3"


# The sheet is in memory already; batches about as large as the CSV reader's keep both normalize threads busy
# to the end (a 300k-row sheet in 200k-row batches leaves one thread idle for a third of the time).
_SHEET_BATCH_ROWS: Final = min(BATCH_ROWS, 50_000)


@dataclass
class WorkbookSheet:
    """One worksheet of a workbook, read once (as text) and kept for sniffing and parsing."""

    source: Source
    name: str
    _table: pa.Table | None = None

    def _reader(self) -> Any:
        cached = self.source._cache.get("fastexcel")
        if cached is not None:
            return cached
        import fastexcel

        try:
            if self.source.member is None:
                reader = fastexcel.read_excel(str(self.source.path))
            else:
                with self.source.open() as handle:
                    reader = fastexcel.read_excel(handle.read())
        except Exception as exc:  # fastexcel raises several unrelated types for damaged files
            raise _damaged_workbook(self.source, self.name, exc) from None
        self.source._cache["fastexcel"] = reader
        return reader

    def _load(self, skip: int, **options: Any) -> pa.Table:
        try:
            result = self._reader().load_sheet(self.name, header_row=None, skip_rows=skip, **options).to_arrow()
        except Exception as exc:
            raise _damaged_workbook(self.source, self.name, exc) from None
        return pa.Table.from_batches([result]) if isinstance(result, pa.RecordBatch) else result

    def _text(self) -> pa.Table:
        if self._table is None:
            self._scan_numbers_meanwhile()
            self._table = self._load(0, dtypes="string")
        return self._table

    def _scan_numbers_meanwhile(self) -> None:
        # fastexcel parses the sheet on one core with the GIL released; the XML scan `_mark_lost_digits` may
        # need afterwards (a quarter of the parse) runs on the other core meanwhile, and is dropped unused
        # when no long-digit column could hold damaged number cells.
        key = f"large-numbers:{self.name}"
        if key not in self.source._cache:
            self.source._cache[key] = _in_background(functools.partial(large_number_values, self.source, self.name))

    def preview(self) -> list[list[str]]:
        """First rows as text ('' for empty cells)."""
        return [[v or "" for v in row.values()] for row in self._text().slice(0, HEADER_SEARCH_ROWS).to_pylist()]

    def read(
        self, header_index: int, on_bad_row: Callable[[BadRow], None]
    ) -> tuple[list[str], Iterator[pa.RecordBatch]]:
        """The rows below the header as text batches."""
        preview = self.preview()
        if header_index >= len(preview):
            raise InputFileError(f"{self.source.label}（工作表“{self.name}”）：没有表头行。")
        headers = unique_headers(preview[header_index])
        return headers, self._batches(header_index, headers)

    def _batches(self, header_index: int, names: list[str]) -> Iterator[pa.RecordBatch]:
        table = self._text().slice(header_index + 1)
        columns = []
        for index in range(len(names)):
            if index >= table.num_columns:
                columns.append(pa.nulls(table.num_rows, pa.string()))
                continue
            column = table.column(index).combine_chunks()
            # The regexes run on the cells whose bytes say they can match, not on every cell of every column.
            day_zero = rows_starting_with(column, _DAY_ZERO_PREFIX) if column.type == pa.string() else None
            if day_zero is None or len(day_zero):
                rows = np.arange(len(column)) if day_zero is None else day_zero
                column = on_rows(column, rows, lambda cells: pc.replace_substring_regex(cells, _DAY_ZERO, ""))
            if _may_have_long_digits(column):
                column = self._mark_lost_digits(header_index, table.column_names[index], column)
            columns.append(column)
        numbers = pa.array(np.arange(header_index + 2, header_index + 2 + table.num_rows, dtype=np.int64))
        data = pa.Table.from_arrays([*columns, numbers], [*names, ROW_COLUMN])
        blank = functools.reduce(pc.and_, [pc.is_null(c) for c in columns])
        if pc.any(blank).as_py():
            data = data.filter(pc.invert(blank))  # blank rows are layout, not data
        self._table = None  # free the sheet once read
        yield from data.to_batches(max_chunksize=_SHEET_BATCH_ROWS)

    def _mark_lost_digits(self, header_index: int, column_name: str, text: pa.Array) -> pa.Array:
        # A number cell with lost digits renders as the exact integer value of a double; text ids almost never
        # are one, so the (whole-sheet) second read below is skipped when no distinct long value could be.
        distinct = pc.unique(pc.filter(text, pc.fill_null(pc.match_substring_regex(text, _LONG_DIGITS), False)))
        if not any(_is_float_rendering(v) for v in distinct.to_pylist()):
            return text
        long_digits = pc.fill_null(pc.match_substring_regex(text, _LONG_DIGITS), False)
        large_numbers = self._large_numbers()
        if large_numbers is not None:
            # XLSX: a cell is a damaged number when its text is exactly how a large number cell renders.
            renderings = pa.array(sorted(str(int(v)) for v in large_numbers), pa.string())
            numeric = pc.fill_null(pc.is_in(text, renderings), False)
        else:
            # Which cells are numbers? Read as booleans, number cells coerce to a value and text cells to null
            # (a float read would parse digit text too). tests/test_tabular.py pins this fastexcel behaviour.
            as_bool = self._load(header_index + 1, use_columns=[column_name], dtypes={column_name: "boolean"})
            numeric = pc.is_valid(as_bool.column(0).combine_chunks())
        candidates = pc.and_(numeric, long_digits)
        if not pc.any(candidates).as_py():
            return text
        values = pc.cast(pc.if_else(candidates, text, None), pa.float64())
        damaged = pc.fill_null(pc.greater_equal(values, float(_EXACT_FLOAT_LIMIT)), False)
        rendered = [f"{v:.15G}" for v in values.filter(damaged).to_pylist()]
        return pc.replace_with_mask(text, damaged, pa.array(rendered, pa.string()))

    def _large_numbers(self) -> frozenset[float] | None:
        key = f"large-numbers:{self.name}"
        if key not in self.source._cache:
            self.source._cache[key] = large_number_values(self.source, self.name)
        cached = self.source._cache[key]
        if isinstance(cached, Future):
            cached = self.source._cache[key] = cached.result()
        return cached if isinstance(cached, frozenset) else None


def _in_background(function: Callable[[], T]) -> Future[T]:
    """Run `function` on a daemon thread (an unused result must not keep the program from exiting)."""
    future: Future[T] = Future()

    def run() -> None:
        try:
            future.set_result(function())
        except BaseException as exc:  # handed to whoever asks for the result
            future.set_exception(exc)

    threading.Thread(target=run, name="chatlog-xlsx-numbers", daemon=True).start()
    return future


def _may_have_long_digits(column: pa.Array) -> bool:
    """Whether some cell matches `_LONG_DIGITS`: the regex runs on cells whose first 16 bytes are digits."""
    if column.type != pa.string():
        return bool(pc.any(pc.match_substring_regex(column, _LONG_DIGITS)).as_py())
    offsets, data = utf8_buffers(column)
    starts = offsets[:-1].astype(np.int64)
    rows = np.flatnonzero(np.diff(offsets) >= 16)
    for shift in range(16):  # ids, times and dates drop out after a few bytes
        cells = data[starts[rows] + shift]
        rows = rows[(cells >= ord("0")) & (cells <= ord("9"))]
    return len(rows) > 0 and bool(pc.any(pc.match_substring_regex(column.take(pa.array(rows)), _LONG_DIGITS)).as_py())


def _is_float_rendering(digits: str) -> bool:
    """True when a digit string is exactly what a float64 prints as an integer (e.g. 6912345678901234688)."""
    value = float(digits)
    return value >= _EXACT_FLOAT_LIMIT and int(value) == int(digits)


_MAIN_NS: Final = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RELATION_NS: Final = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PACKAGE_NS: Final = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def _xlsx_sheet_names(source: Source) -> list[str] | None:
    """The visible worksheets of an XLSX, read from its workbook part (None: python-calamine decides).

    python-calamine opens the whole workbook to answer (~0.08 s for a 300k-row sheet, before fastexcel opens it
    again); the workbook part and its relationships are two small XML files. None for what they cannot answer:
    XLS, ODS, strict OOXML, damage.
    """
    try:
        with source.open() as handle, zipfile.ZipFile(handle) as archive:
            book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
            relations = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, OSError):
        return None
    kinds = {
        r.get("Id"): (r.get("Type") or "").rsplit("/", 1)[-1] for r in relations.iter(f"{_PACKAGE_NS}Relationship")
    }
    sheets = list(book.iter(f"{_MAIN_NS}sheet"))
    if not sheets or any(sheet.get("name") is None for sheet in sheets):
        return None
    return [
        str(sheet.get("name"))
        for sheet in sheets
        if kinds.get(sheet.get(f"{_RELATION_NS}id")) == "worksheet" and sheet.get("state", "visible") == "visible"
    ]


def _damaged_workbook(source: Source, sheet: str, exc: Exception) -> InputFileError:
    return InputFileError(
        f"{source.label}：Excel 文件已损坏或不完整，无法读取工作表“{sheet}”（{type(exc).__name__}）。"
        "请重新下载，或用 Excel 打开后另存为 .xlsx 再导入。"
    )


def workbook_sheets(source: Source) -> list[WorkbookSheet]:
    """The visible worksheets of an XLSX/XLS/ODS file, in workbook order."""
    names = _xlsx_sheet_names(source)
    if names is not None:
        return [WorkbookSheet(source, name) for name in names]
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
