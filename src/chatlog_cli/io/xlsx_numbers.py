"""Which values of an XLSX worksheet are stored as numbers too large for a double to hold exactly.

An order id typed into Excel (or written by a tool as a number) is a number cell: Excel keeps 15 significant
digits, so a 19-digit id has already lost its tail. Read as text, such a cell looks like any other digit
string, so the workbook reader alone cannot tell a damaged id from an intact text id. Re-reading the whole
sheet with typed cells costs as much as the first read (~7 s per 1M rows); scanning the sheet's XML for
large number values costs a quarter of that, and XLSX is what the platforms export.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from typing import IO, Final
from xml.etree import ElementTree

from chatlog_cli.io.sources import Source

_MAIN_NS: Final = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS: Final = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL_NS: Final = "{http://schemas.openxmlformats.org/package/2006/relationships}"

# Values with 16+ digits, plain or in exponent form; the literal `<v>` prefix keeps the scan fast.
_LARGE_VALUE: Final = re.compile(rb"<v>([0-9.]{16,}|[0-9](?:\.[0-9]*)?[Ee]\+?[0-9]+)</v>")
# The cell's type attribute: absent or `n` is a number; `s`, `str`, `inlineStr`, `b`, `e` are not.
_CELL_TYPE: Final = re.compile(rb'\st="([A-Za-z]+)"')
_CHUNK: Final = 1 << 24
_OVERLAP: Final = 512  # longer than any `<c …><v>…</v>` tail cut at a chunk boundary
_EXACT_FLOAT_LIMIT: Final = 2**53


def large_number_values(source: Source, sheet_name: str) -> frozenset[float] | None:
    """Values ≥ 2**53 of the sheet's number cells; None when the file is not an XLSX this can read."""
    try:
        with source.open() as handle:
            data = handle if source.member is None else io.BytesIO(handle.read())
            with zipfile.ZipFile(data) as archive:
                path = _sheet_path(archive, sheet_name)
                if path is None:
                    return None
                with archive.open(path) as sheet:
                    return frozenset(_scan(sheet))
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, OSError):
        return None


def _sheet_path(archive: zipfile.ZipFile, sheet_name: str) -> str | None:
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    relation = next(
        (s.get(f"{_REL_NS}id") for s in workbook.iter(f"{_MAIN_NS}sheet") if s.get("name") == sheet_name), None
    )
    if relation is None:
        return None
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    for rel in rels.iter(f"{_PKG_REL_NS}Relationship"):
        if rel.get("Id") == relation:
            target = rel.get("Target", "")
            return target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
    return None


def _scan(sheet: IO[bytes]) -> set[float]:
    values: set[float] = set()
    tail = b""
    while chunk := sheet.read(_CHUNK):
        data = tail + chunk
        for match in _LARGE_VALUE.finditer(data):
            start = data.rfind(b"<c", 0, match.start())
            kind = _CELL_TYPE.search(data, start, match.start()) if start >= 0 else None
            if kind is not None and kind.group(1) != b"n":
                continue
            value = float(match.group(1))
            if value >= _EXACT_FLOAT_LIMIT:
                values.add(value)
        # Keep the unscanned end: a match cut at the boundary is found again in the next round.
        cut = data.rfind(b"<c", max(0, len(data) - _OVERLAP))
        tail = data[cut:] if cut >= 0 else data[-_OVERLAP:]
    return values
