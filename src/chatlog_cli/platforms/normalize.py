"""Vectorized clean-up shared by all parsers: text cells, timestamps, ids, extra columns as JSON."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Sequence
from typing import Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from chatlog_cli.io.arrow_text import ODD_SPACES, contains_bytes, has_unclean_bytes, on_rows, utf8_buffers
from chatlog_cli.io.decode import CONTROL_CHARS_PATTERN
from chatlog_cli.schema import TIMESTAMP_TYPE
from chatlog_cli.settings import CHINA_TZ, CHINA_UTC_OFFSET_MS

DEFAULT_TIME_FORMATS: Final = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S")

_FALLBACK_TIME_RE: Final = re.compile(
    r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]+|\s*)"
    r"(\d{1,2})[:时](\d{1,2})(?:[:分](?:(\d{1,2})(?:\.(\d{1,6}))?秒?)?)?$"
)
# Excel serial day numbers for 1954..2119: a bare number in that range in a time column is a date.
_EXCEL_SERIAL_RANGE: Final = (20000.0, 80000.0)
_EXCEL_EPOCH: Final = dt.datetime(1899, 12, 30)


def constant_column(value: str | None, length: int) -> pa.Array:
    """One value repeated (platform, shop, file label): built by Arrow, not from a Python list per row."""
    return pa.repeat(pa.scalar(value, pa.string()), length)


def clean_strings(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Remove control characters, unify spaces and line ends, trim; empty strings become null."""
    if isinstance(values, pa.ChunkedArray):
        return pa.chunked_array([clean_strings(chunk) for chunk in values.chunks], pa.string())
    if values.null_count == len(values):
        return values.cast(pa.string())
    if values.type != pa.string():
        values = values.cast(pa.string())
    # Most columns need none of the work below. Each step first looks at the raw UTF-8 bytes with NumPy
    # (a few vector compares over the buffer), far cheaper than a regex or trim pass that copies every value.
    offsets, data = utf8_buffers(values)
    if _needs_cleaning(data):
        values = on_rows(values, _unclean_rows(offsets, data), _replace_unclean)
        offsets, data = utf8_buffers(values)
    edges = _edge_spaces(offsets, data)
    if edges.any():
        values = on_rows(values, np.flatnonzero(edges), pc.utf8_trim_whitespace)
        offsets, data = utf8_buffers(values)
    empty = offsets[1:] == offsets[:-1]
    if values.null_count:
        empty &= values.is_valid().to_numpy(zero_copy_only=False)
    if empty.any():
        values = pc.if_else(pa.array(empty), pa.scalar(None, pa.string()), values)
    return values


def _replace_unclean(values: pa.Array) -> pa.Array:
    values = pc.replace_substring(values, "\r\n", "\n")
    values = pc.replace_substring(values, "\r", "\n")
    values = pc.replace_substring_regex(values, CONTROL_CHARS_PATTERN, "")
    return pc.replace_substring_regex(values, "[\u00a0\u202f\u3000\ufeff]", " ")


def _needs_cleaning(data: npt.NDArray[np.uint8]) -> bool:
    # CR counts: clean_strings unifies line ends.
    return has_unclean_bytes(data, keep=b"\t\n")


def _unclean_rows(offsets: npt.NDArray[np.int32], data: npt.NDArray[np.uint8]) -> npt.NDArray[np.intp]:
    """The rows holding any of the bytes `_needs_cleaning` looks for."""
    marks = ((data < 0x20) & (data != 0x09) & (data != 0x0A)) | (data == 0x7F)
    for space in ODD_SPACES:
        size = len(data) - len(space) + 1
        if size <= 0:
            continue
        found = data[:size] == space[0]
        for shift, byte in enumerate(space[1:], start=1):
            found &= data[shift : shift + size] == byte
        marks[:size] |= found
    return np.unique(np.searchsorted(offsets, np.flatnonzero(marks), side="right") - 1)


def _edge_spaces(offsets: npt.NDArray[np.int32], data: npt.NDArray[np.uint8]) -> npt.NDArray[np.bool_]:
    """Values that may start or end with a character `utf8_trim_whitespace` removes (a superset).

    Those are ASCII 9–13 and 28–32, U+0085, U+00A0, U+1680, U+2000–U+200A, U+2028, U+2029, U+202F, U+205F and
    U+3000. Their first and last bytes pick the candidates; whole characters are compared for those only
    (CJK text often ends in a byte that ends one of them too: 。 is E3 80 82, U+2002 is E2 80 82).
    """
    bounds = offsets.astype(np.int64)  # NumPy indexes with int64; converting once beats once per gather
    starts, ends = bounds[:-1], bounds[1:]
    if not len(data):
        return np.zeros(len(starts), dtype=np.bool_)
    last = len(data) - 1
    # An empty value's edge bytes belong to its neighbours (ends - 1 may be -1: the buffer's last byte); such
    # values are masked out below. Bytes beyond a value (positions clamped to the buffer) only add candidates.
    first = data[np.minimum(starts, last)]
    final = data[ends - 1]
    maybe: npt.NDArray[np.bool_] = (first <= 0x20) | (first == 0xC2) | ((first >= 0xE1) & (first <= 0xE3))
    maybe |= (final <= 0x20) | (final == 0x85) | (final == 0xA0) | ((final >= 0x80) & (final <= 0x8A))
    maybe |= (final == 0xA8) | (final == 0xA9) | (final == 0xAF) | (final == 0x9F)
    maybe &= ends > starts
    candidates = np.flatnonzero(maybe)
    if not len(candidates):
        return maybe
    head, tail = starts[candidates], ends[candidates]
    first, second, third = first[candidates], data[np.minimum(head + 1, last)], data[np.minimum(head + 2, last)]
    final, before_final, third_last = final[candidates], data[np.maximum(tail - 2, 0)], data[np.maximum(tail - 3, 0)]
    leading = (first <= 0x20) | _space2(first, second) | _space3(first, second, third)
    trailing = (final <= 0x20) | _space2(before_final, final) | _space3(third_last, before_final, final)
    maybe[candidates] = leading | trailing
    return maybe


def _space2(lead: npt.NDArray[np.uint8], tail: npt.NDArray[np.uint8]) -> npt.NDArray[np.bool_]:
    # U+0085 and U+00A0 (the two-byte characters Arrow's Unicode whitespace includes).
    result: npt.NDArray[np.bool_] = (lead == 0xC2) & ((tail == 0x85) | (tail == 0xA0))
    return result


def _space3(
    lead: npt.NDArray[np.uint8], middle: npt.NDArray[np.uint8], tail: npt.NDArray[np.uint8]
) -> npt.NDArray[np.bool_]:
    # U+1680, U+2000–U+200A, U+2028, U+2029, U+202F, U+205F and U+3000.
    general = (middle == 0x80) & ((tail <= 0x8A) | (tail == 0xA8) | (tail == 0xA9) | (tail == 0xAF))
    general |= (middle == 0x81) & (tail == 0x9F)
    result: npt.NDArray[np.bool_] = (
        ((lead == 0xE1) & (middle == 0x9A) & (tail == 0x80))
        | ((lead == 0xE2) & general)
        | ((lead == 0xE3) & (middle == 0x80) & (tail == 0x80))
    )
    return result


def local_to_timestamp(naive: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Naive China-local times → `TIMESTAMP_TYPE` (UTC instants labelled Asia/Shanghai)."""
    millis = pc.cast(pc.cast(naive, pa.timestamp("ms")), pa.int64())
    return pc.cast(pc.subtract(millis, CHINA_UTC_OFFSET_MS), pa.int64()).cast(TIMESTAMP_TYPE)


def parse_times(values: pa.Array | pa.ChunkedArray, formats: Sequence[str] = ()) -> pa.Array | pa.ChunkedArray:
    """Parse China-local time strings; unparseable values come back null.

    Fast path: Arrow's strptime over the user's formats and the common ones (it accepts unpadded
    fields such as `2024-1-5 9:03:07`). Values it misses go through a Python parser that understands
    full-width digits, 年月日, fractional seconds, Excel serial numbers and Unix epochs.
    """
    values = _trimmed(values)
    # The user's formats come first and could read `2026-11-01 10:00:00` differently (day and month swapped).
    result = None if formats else _canonical_times(values)
    if result is None:
        result = _strptime_any(values, formats)
    missing = pc.and_(pc.is_null(result), pc.is_valid(values))
    if pc.any(missing).as_py():
        result = _fill_with_fallback(values, result, missing)
    return local_to_timestamp(result)


def _trimmed(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    if isinstance(values, pa.Array) and values.type == pa.string() and not _edge_spaces(*utf8_buffers(values)).any():
        return values
    return pc.utf8_trim_whitespace(values)


def _strptime_any(values: pa.Array | pa.ChunkedArray, formats: Sequence[str]) -> pa.Array | pa.ChunkedArray:
    wanted = len(values) - values.null_count
    result = None
    dashed = None
    candidates = [(fmt, False) for fmt in formats] + [(fmt, True) for fmt in DEFAULT_TIME_FORMATS]
    for fmt, use_dashes in candidates:
        if use_dashes and dashed is None:
            dashed = pc.replace_substring(values, "/", "-") if _may_contain(values, b"/") else values
        parsed = pc.strptime(dashed if use_dashes else values, format=fmt, unit="ms", error_is_null=True)
        result = parsed if result is None else pc.coalesce(result, parsed)
        if len(result) - result.null_count == wanted:
            break  # every value parsed: the usual case, after one format
    assert result is not None
    return result


def _may_contain(values: pa.Array | pa.ChunkedArray, needle: bytes) -> bool:
    if isinstance(values, pa.Array) and values.type == pa.string():
        return contains_bytes(utf8_buffers(values)[1], needle)
    return True


# `YYYY-MM-DD HH:MM:SS`, the shape nearly every export uses, as the range each byte may take.
_CANONICAL_LOW: Final = np.frombuffer(b"0000-00-00 00:00:00", dtype=np.uint8)
_CANONICAL_HIGH: Final = np.frombuffer(b"9999-99-99 99:99:99", dtype=np.uint8)


def _canonical_times(values: pa.Array | pa.ChunkedArray) -> pa.Array | None:
    """Times via Arrow's ISO-8601 cast (several times faster than strptime) when every value has the canonical shape.

    None otherwise, and when some value is no valid date or time: strptime reads 02-30 as 03-02 and 10:00:60 as
    10:01:00, and those results are kept.
    """
    if not isinstance(values, pa.Array) or values.type != pa.string() or values.null_count == len(values):
        return None
    offsets, data = utf8_buffers(values)
    starts, lengths = offsets[:-1], np.diff(offsets)
    if values.null_count:
        valid = values.is_valid().to_numpy(zero_copy_only=False)
        starts, lengths = starts[valid], lengths[valid]
    width = len(_CANONICAL_LOW)
    if (lengths != width).any():
        return None
    first, count = int(starts[0]), len(starts)
    if int(starts[-1]) - first == width * (count - 1):
        cells = data[first : first + width * count].reshape(count, width)  # back to back: a view, no copy
    else:
        cells = data[starts[:, np.newaxis] + np.arange(width)]
    if ((cells < _CANONICAL_LOW) | (cells > _CANONICAL_HIGH)).any():
        return None
    try:
        return pc.cast(values, pa.timestamp("ms"))
    except pa.ArrowInvalid:
        return None


def _fill_with_fallback(
    values: pa.Array | pa.ChunkedArray, parsed: pa.Array | pa.ChunkedArray, missing: pa.Array | pa.ChunkedArray
) -> pa.Array:
    # Python for the values strptime missed only (usually a handful; Python objects cost ~1 µs each).
    if isinstance(parsed, pa.ChunkedArray):
        parsed = parsed.combine_chunks()
    if isinstance(missing, pa.ChunkedArray):
        missing = missing.combine_chunks()
    texts = values.filter(missing).to_pylist()
    found = pa.array([parse_time_text(text) for text in texts], pa.timestamp("ms"))
    return pc.replace_with_mask(parsed, missing, found)


def parse_time_text(text: str | None) -> dt.datetime | None:
    """Parse one China-local time string in any of the shapes seen in exports; None if it is not one."""
    if not text:
        return None
    text = unicodedata.normalize("NFKC", text).strip()
    match = _FALLBACK_TIME_RE.match(text)
    if match:
        year, month, day, hour, minute = (int(g) for g in match.groups()[:5])
        second = int(match.group(6) or 0)
        micro = int((match.group(7) or "0").ljust(6, "0"))
        try:
            return dt.datetime(year, month, day, hour, minute, second, micro)
        except ValueError:
            return None
    try:
        number = float(text)
    except ValueError:
        return None
    if _EXCEL_SERIAL_RANGE[0] <= number <= _EXCEL_SERIAL_RANGE[1]:
        # Round to the second: serials carry float noise (0.999999 s).
        return _EXCEL_EPOCH + dt.timedelta(seconds=round(number * 86400))
    if 1e9 <= number < 1e10:  # Unix seconds (Pinduoduo's `ts`), converted to China time
        return dt.datetime.fromtimestamp(number, CHINA_TZ).replace(tzinfo=None)
    if 1e12 <= number < 1e13:  # Unix milliseconds
        return dt.datetime.fromtimestamp(number / 1000, CHINA_TZ).replace(tzinfo=None)
    return None


# Excel keeps 15 significant digits: an 18–19 digit order id typed as a number comes back as `1.23457E+18`
# or with its tail zeroed. Such ids are flagged and never joined on.
_SCIENTIFIC_ID: Final = r"^\d(\.\d+)?[Ee]\+?\d+$"
_ZEROED_TAIL_ID: Final = r"^\d{15}0{2,}$"


def damaged_id_mask(ids: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """True where an id looks damaged by a spreadsheet (exponent form, or zeroed past digit 15)."""
    if not isinstance(ids, pa.Array) or ids.type != pa.string():
        return _damaged(ids)
    # Both shapes start with a digit and either hold an E or end in 00 after 16+ characters: the regexes run
    # on those ids only (usually none).
    offsets, data = utf8_buffers(ids)
    starts, ends = offsets[:-1], offsets[1:]
    result = np.zeros(len(ids), dtype=np.bool_)
    if not len(data):
        return pa.array(result)
    first = data[np.minimum(starts, len(data) - 1)]
    candidates = (ends > starts) & (first >= ord("0")) & (first <= ord("9"))
    zeroed = ends - starts >= 17
    zeroed &= (data[np.maximum(ends - 1, 0)] == ord("0")) & (data[np.maximum(ends - 2, 0)] == ord("0"))
    exponent = np.zeros(len(ids), dtype=np.bool_)
    letters = np.flatnonzero((data == ord("E")) | (data == ord("e")))
    if len(letters):
        exponent[np.searchsorted(offsets, letters, side="right") - 1] = True
    positions = np.flatnonzero(candidates & (zeroed | exponent))
    if len(positions):
        damaged = _damaged(ids.take(pa.array(positions)))
        result[positions] = damaged.to_numpy(zero_copy_only=False)
    return pa.array(result)


def _damaged(ids: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    scientific = pc.match_substring_regex(ids, _SCIENTIFIC_ID)
    zeroed = pc.match_substring_regex(ids, _ZEROED_TAIL_ID)
    return pc.fill_null(pc.or_(scientific, zeroed), False)


# JSON string escapes the cleaned text can need (control characters other than tab and line feed are gone).
_JSON_ESCAPES: Final = (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\t", "\\t"))


def _json_escaped(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    values = values.cast(pa.string())
    plain = isinstance(values, pa.Array)
    data = utf8_buffers(values)[1] if plain else None
    for char, escape in _JSON_ESCAPES:
        if data is None or contains_bytes(data, char.encode()):
            values = pc.replace_substring(values, char, escape)
    return values


def json_objects(columns: dict[str, pa.Array | pa.ChunkedArray], length: int) -> pa.Array:
    """One JSON object per row from named text columns (null cells omitted); null when all are null."""
    import json

    # A column without a value adds nothing to any object.
    columns = {name: values for name, values in columns.items() if values.null_count < len(values)}
    if not columns:
        return pa.nulls(length, pa.string())
    # Each piece is `"key":"value",` or '' for a null cell. (binary_join_element_wise with
    # null_handling="skip" drops the rows where every input is null in pyarrow 26, so nulls are blanked.)
    pieces = [
        pc.fill_null(
            pc.binary_join_element_wise(json.dumps(name, ensure_ascii=False) + ':"', _json_escaped(values), '",', ""),
            "",
        )
        for name, values in columns.items()
    ]
    joined = pc.binary_join_element_wise(*pieces, "") if len(pieces) > 1 else pieces[0]
    inner = pc.utf8_rtrim(joined, characters=",")
    result = pc.if_else(
        pc.equal(inner, ""), pa.scalar(None, pa.string()), pc.binary_join_element_wise("{", inner, "}", "")
    )
    return result.combine_chunks() if isinstance(result, pa.ChunkedArray) else result


def merge_json(base: pa.Array | pa.ChunkedArray, extra: dict[str, pa.Array | pa.ChunkedArray]) -> pa.Array:
    """Add keys to JSON-object strings (or nulls) without parsing them."""
    more = json_objects(extra, len(base))
    base = base.combine_chunks() if isinstance(base, pa.ChunkedArray) else base
    changed = more.is_valid()
    if not pc.any(changed).as_py():
        return base
    # Only the rows that gain keys are rebuilt (damaged ids are few; the column is long).
    merged = _merge_objects(base.filter(changed), more.filter(changed))
    return pc.replace_with_mask(base, changed, merged)


def _merge_objects(base: pa.Array, more: pa.Array) -> pa.Array:
    inner_base = pc.fill_null(pc.utf8_slice_codeunits(base, 1, -1), "")
    inner_more = pc.fill_null(pc.utf8_slice_codeunits(more, 1, -1), "")
    both = pc.and_(pc.not_equal(inner_base, ""), pc.not_equal(inner_more, ""))
    separator = pc.if_else(both, pa.scalar(","), pa.scalar(""))
    inner = pc.binary_join_element_wise(inner_base, separator, inner_more, "")
    result: pa.Array = pc.if_else(
        pc.equal(inner, ""), pa.scalar(None, pa.string()), pc.binary_join_element_wise("{", inner, "}", "")
    )
    return result
