"""Every piece of text in a file, as batches of cells that know their row and column: what `scan` reads.

Formats are recognised by content, not by name: Parquet and workbooks by their magic bytes, JSON Lines by a
first line that parses as JSON, CSV by its extension or by a delimiter that splits the first lines evenly;
anything else that decodes is read as text lines. Row numbers are 1-based and mean what the user sees: the
Parquet row, the spreadsheet row as Excel shows it (a CSV record counts as one row even when a cell spans
lines), the line of a JSONL or text file.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import json
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from chatlog_cli.errors import ChatlogError, UnscannableFileError
from chatlog_cli.io.decode import detect_encoding
from chatlog_cli.io.sources import Source, zip_file_names
from chatlog_cli.settings import SNIFF_BYTES

BATCH_CELLS: Final = 65_536
CSV_BATCH_ROWS: Final = 16_384

PARQUET: Final = "parquet"
WORKBOOK: Final = "workbook"
CSV: Final = "csv"
JSONL: Final = "jsonl"
JSON: Final = "json"
ZIP: Final = "zip"
TEXT: Final = "text"
EMPTY: Final = "empty"

SHEET_NAME_COLUMN: Final = "(工作表名)"

Rows = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Cells:
    """Text values with where they are: one row number per value (None: not in a row, e.g. a column name)."""

    values: pa.Array
    rows: Rows | None
    columns: str | Sequence[str | None] | None
    sheet: str | None = None

    def column_at(self, index: int) -> str | None:
        """The column of the value at `index`."""
        if self.columns is None or isinstance(self.columns, str):
            return self.columns
        return self.columns[index]

    def row_at(self, index: int) -> int | None:
        """The 1-based row (or line) of the value at `index`."""
        return None if self.rows is None else int(self.rows[index])


@dataclass(frozen=True, slots=True)
class Sniffed:
    """What a file is, and the encoding of text formats."""

    format: str
    encoding: str | None = None
    delimiter: str | None = None


def column_letter(index: int) -> str:
    """Spreadsheet column name of a 0-based index: 0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _numbers(first: int, count: int) -> Rows:
    return np.arange(first, first + count, dtype=np.int64)


# --- sniffing ------------------------------------------------------------------------------------------------------

_OLE2: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls (and password-protected .xlsx)
_BINARY_MAGIC: Final = (
    b"%PDF-", b"\x89PNG", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"\x1f\x8b", b"7z\xbc\xaf", b"Rar!", b"\xfd7zXZ",
    b"SQLite format 3\x00",
)  # fmt: skip
# Files a system writes next to the user's (folder thumbnails, Finder state): never published on purpose.
SYSTEM_FILES: Final = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})
# A JSON document (manifest.json) is parsed whole, so that each value is a cell of its own; larger files are
# read as text lines.
_LARGEST_JSON_DOCUMENT: Final = 256 << 20
_CONTROL_BYTES: Final = bytes([*range(0x00, 0x09), *range(0x0E, 0x1B), *range(0x1C, 0x20)])
_CSV_SUFFIXES: Final = (".csv", ".tsv")
_DELIMITERS: Final = (",", "\t", ";", "|")


def sniff(source: Source) -> Sniffed:
    """Recognise a file by its first bytes (the name only tells CSV from other text)."""
    if source.member is None and not source.path.is_file():  # a FIFO would block, a dangling link not open
        raise UnscannableFileError(f"{source.label}：不是普通文件（失效的链接或设备文件），无法检查。")
    head = _head(source)
    if not head:
        return Sniffed(EMPTY)
    if head.startswith(b"PAR1"):
        return Sniffed(PARQUET)
    if head.startswith(_OLE2) or (head.startswith(b"PK\x03\x04") and _is_workbook(source)):
        return Sniffed(WORKBOOK)
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        if source.member is not None:
            raise UnscannableFileError(
                f"{source.label}：是压缩包里的压缩包，无法检查。请先解压，再检查解压出的文件夹。"
            )
        return Sniffed(ZIP)
    encoding = _text_encoding(source, head)
    text = head.decode(encoding, errors="replace").lstrip("\ufeff")
    if _is_jsonl(text):
        return Sniffed(JSONL, encoding)
    if text.lstrip().startswith(("{", "[")) and source.size <= _LARGEST_JSON_DOCUMENT:
        return Sniffed(JSON, encoding)  # read as text lines if it does not parse after all
    delimiter = _delimited(text)
    if delimiter is not None or source.name.lower().endswith(_CSV_SUFFIXES):
        return Sniffed(CSV, encoding, delimiter or _likeliest_delimiter(text))
    return Sniffed(TEXT, encoding)


def _head(source: Source) -> bytes:
    try:
        return source.head(SNIFF_BYTES)
    except (OSError, zipfile.BadZipFile, RuntimeError) as exc:
        raise UnscannableFileError(
            f"{source.label}：无法打开（{type(exc).__name__}）。请检查文件是否存在、是否有读取权限、压缩包是否加密。"
        ) from None


def _is_workbook(source: Source) -> bool:
    try:
        with source.open() as handle, zipfile.ZipFile(handle) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError):
        return False
    return "[Content_Types].xml" in names or "mimetype" in names  # OOXML, or OpenDocument (.ods)


def _text_encoding(source: Source, head: bytes) -> str:
    """The encoding to read a text file with; binary files are refused (they cannot be checked)."""
    binary = UnscannableFileError(
        f"{source.label}：是二进制文件（图片、PDF、压缩包等），无法检查其中的内容。"
        "如果要连同它一起发布，请人工检查；否则请把它移出要发布的文件夹。"
    )
    if head.startswith(_BINARY_MAGIC):
        raise binary
    try:
        encoding = detect_encoding(head, complete=len(head) < SNIFF_BYTES, file_label=source.label)
    except ChatlogError:
        # Neither encoding reads all of it: text with GBK and UTF-8 lines (see decoded_lines), or binary data,
        # which has control bytes that text does not.
        if sum(head.count(bytes([b])) for b in _CONTROL_BYTES) > len(head) // 100:
            raise binary from None
        return "utf-8"
    if b"\x00" in head and encoding != "utf-16":
        raise binary
    return encoding


def _is_jsonl(text: str) -> bool:
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if not first.startswith(("{", "[")):
        return False
    try:
        json.loads(first)
    except ValueError:
        return False
    return True


def _delimited(text: str) -> str | None:
    """The delimiter that splits the first records into the same number (≥ 2) of fields, if any."""
    for delimiter in _DELIMITERS:
        try:
            records = [r for r in itertools.islice(csv.reader(io.StringIO(text), delimiter=delimiter), 21) if r]
        except csv.Error:
            continue
        if len(records) > 20 or len(text) >= SNIFF_BYTES:
            records = records[:-1]  # the last record may be cut off
        counts = {len(record) for record in records}
        if len(records) >= 3 and len(counts) == 1 and counts.pop() >= 2:
            return delimiter
    return None


# --- reading -------------------------------------------------------------------------------------------------------


def zip_members(source: Source) -> list[Source]:
    """The files in a ZIP archive (without folders, macOS resource forks and system files; hidden files too)."""
    try:
        names = zip_file_names(source.path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UnscannableFileError(
            f"{source.label}：ZIP 压缩包已损坏，无法检查（{type(exc).__name__}）。请重新下载或重新打包。"
        ) from None
    return [Source(source.path, name) for name in names if Path(name).name not in SYSTEM_FILES]


def read_cells(source: Source, sniffed: Sniffed) -> Iterator[Cells]:
    """All text of a file in batches (ZIP archives are read member by member, see `zip_members`)."""
    encoding = sniffed.encoding or "utf-8"
    if sniffed.format == PARQUET:
        from chatlog_cli.redact.scan_parquet import parquet_cells  # it builds on this module's Cells

        yield from parquet_cells(source)
    elif sniffed.format == WORKBOOK:
        yield from _workbook_cells(source)
    elif sniffed.format == CSV:
        yield from _csv_cells(source, encoding, sniffed.delimiter or ",")
    elif sniffed.format == JSONL:
        yield from _jsonl_cells(source, encoding)
    elif sniffed.format == JSON:
        yield from _json_document_cells(source, encoding)
    elif sniffed.format == TEXT:
        yield from _text_cells(source, encoding)


# Text is decoded line by line: a file that is mostly UTF-8 can hold GBK lines (exports joined by hand), and a
# line that does not decode in the file's encoding is read in the other one rather than dropped, so its digits
# and cue words are still seen. Splitting the bytes at b"\n" is safe in UTF-8 and GB18030 (no multi-byte
# character contains 0x0A); UTF-16 is decoded as a whole.
_OTHER_ENCODING: Final = {"utf-8": "gb18030", "utf-8-sig": "gb18030", "gb18030": "utf-8"}


def decoded_lines(source: Source, encoding: str) -> Iterator[str]:
    """The file's lines as text, each with its line end (csv needs them to read cells that span lines)."""
    with source.open() as raw:
        if encoding not in _OTHER_ENCODING:
            yield from io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="")
            return
        other = _OTHER_ENCODING[encoding]
        for number, line in enumerate(raw):
            data = line[len(codecs.BOM_UTF8) :] if number == 0 and line.startswith(codecs.BOM_UTF8) else line
            yield _decode_line(data, encoding.removesuffix("-sig"), other)


def _decode_line(data: bytes, encoding: str, other: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        pass
    try:
        return data.decode(other)
    except UnicodeDecodeError:
        return data.decode(encoding, errors="replace")


def _text_cells(source: Source, encoding: str) -> Iterator[Cells]:
    lines = decoded_lines(source, encoding)
    first = 1
    while batch := list(itertools.islice(lines, BATCH_CELLS)):
        yield Cells(pa.array([line.rstrip("\r\n") for line in batch], pa.string()), _numbers(first, len(batch)), None)
        first += len(batch)


def _csv_cells(source: Source, encoding: str, delimiter: str) -> Iterator[Cells]:
    # A whole conversation can sit in one cell; csv's default limit (128 KiB) would stop the scan there.
    csv.field_size_limit(max(csv.field_size_limit(), 1 << 30))
    reader = csv.reader(decoded_lines(source, encoding), delimiter=delimiter)
    first = 1
    try:
        while records := list(itertools.islice(reader, CSV_BATCH_ROWS)):
            rows = _numbers(first, len(records))
            for index, column in enumerate(itertools.zip_longest(*records)):
                yield Cells(pa.array(column, pa.string()), rows, column_letter(index))
            first += len(records)
    except csv.Error:
        raise UnscannableFileError(
            f"{source.label}：第 {reader.line_num} 行附近 CSV 格式损坏，无法继续检查。"
            "请用 Excel 打开后另存为 CSV 或 XLSX 再检查。"
        ) from None


def _likeliest_delimiter(text: str) -> str:
    first_lines = text.split("\n", 5)[:5]
    counts = {d: sum(line.count(d) for line in first_lines) for d in _DELIMITERS}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def _jsonl_cells(source: Source, encoding: str) -> Iterator[Cells]:
    values: list[str] = []
    rows: list[int] = []
    columns: list[str | None] = []
    for number, line in enumerate(decoded_lines(source, encoding), start=1):
        for column, value in _json_line(line):
            values.append(value)
            rows.append(number)
            columns.append(column)
        if len(values) >= BATCH_CELLS:
            yield Cells(pa.array(values, pa.string()), np.array(rows, dtype=np.int64), columns)
            values, rows, columns = [], [], []
    if values:
        yield Cells(pa.array(values, pa.string()), np.array(rows, dtype=np.int64), columns)


def _json_document_cells(source: Source, encoding: str) -> Iterator[Cells]:
    """Each value of a JSON document, with its key path (no row: one document has no rows)."""
    try:
        data = json.loads("".join(decoded_lines(source, encoding)))
    except ValueError:
        yield from _text_cells(source, encoding)
        return
    leaves = _json_leaves(data, None)
    while batch := list(itertools.islice(leaves, BATCH_CELLS)):
        yield Cells(pa.array([value for _, value in batch], pa.string()), None, [column for column, _ in batch])


def _json_line(line: str) -> Iterator[tuple[str | None, str]]:
    """String values (and keys) of one JSON line with their paths; a line that is not JSON, as text."""
    if not line.strip():
        return
    try:
        data = json.loads(line)
    except ValueError:
        yield None, line.rstrip("\r\n")
        return
    yield from _json_leaves(data, None)


def _json_leaves(data: Any, path: str | None) -> Iterator[tuple[str | None, str]]:
    if isinstance(data, str):
        yield path, data
    elif isinstance(data, bool) or data is None:
        return
    elif isinstance(data, int | float):
        yield path, number_text(data)  # a phone number written as a JSON number is still a phone number
    elif isinstance(data, dict):
        for key, value in data.items():
            yield path, str(key)
            yield from _json_leaves(value, f"{path}.{key}" if path else str(key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _json_leaves(value, f"{path or ''}[{index}]")


def number_text(value: float) -> str:
    """A number as a person would type it: integral floats without `.0` or an exponent."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return str(value)


# Workbooks: cells via fastexcel (straight to Arrow), sheet list via python-calamine. Every worksheet is read,
# hidden ones too: a hidden sheet is published with the file.


def _workbook_cells(source: Source) -> Iterator[Cells]:
    import fastexcel

    sheets = _worksheet_names(source)
    try:
        if source.member is None:
            reader = fastexcel.read_excel(str(source.path))
        else:
            with source.open() as handle:
                reader = fastexcel.read_excel(handle.read())
    except Exception as exc:  # fastexcel raises several unrelated types for damaged files
        raise _damaged_workbook(source, exc) from None
    for name in sheets:
        yield Cells(pa.array([name], pa.string()), None, SHEET_NAME_COLUMN, sheet=name)  # sheets named after buyers
        yield from _sheet_cells(source, reader, name)


def _sheet_cells(source: Source, reader: Any, name: str) -> Iterator[Cells]:
    try:
        # skip_rows=0 keeps leading blank rows, so row i of the result is Excel row i + 1.
        sheet = reader.load_sheet(name, header_row=None, skip_rows=0, dtypes="string")
        letters = [column_letter(info.absolute_index) for info in sheet.available_columns()]
        data = sheet.to_arrow()
    except Exception as exc:  # fastexcel raises several unrelated types for damaged sheets
        raise _damaged_workbook(source, exc) from None
    table = pa.Table.from_batches([data]) if isinstance(data, pa.RecordBatch) else data
    for offset in range(0, table.num_rows, BATCH_CELLS):
        part = table.slice(offset, BATCH_CELLS)
        rows = _numbers(offset + 1, part.num_rows)
        for letter, column in zip(letters, part.columns, strict=True):
            yield Cells(_as_string(column.combine_chunks()), rows, letter, sheet=name)


def _as_string(values: pa.Array) -> pa.Array:
    return values if values.type == pa.string() else pc.cast(values, pa.string())


def _worksheet_names(source: Source) -> list[str]:
    import python_calamine

    try:
        with source.open() as handle:
            metadata = python_calamine.CalamineWorkbook.from_filelike(handle).sheets_metadata
    except Exception as exc:  # calamine raises several unrelated types for damaged or encrypted files
        raise _damaged_workbook(source, exc) from None
    return [m.name for m in metadata if str(m.typ).endswith("WorkSheet")]


def _damaged_workbook(source: Source, exc: Exception) -> UnscannableFileError:
    return UnscannableFileError(
        f"{source.label}：Excel 文件已损坏、不完整、设有密码或并非表格，无法检查（{type(exc).__name__}）。"
        "请用 Excel 打开，取消密码后另存为 .xlsx 再检查。"
    )
