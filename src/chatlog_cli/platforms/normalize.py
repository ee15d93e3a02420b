"""Vectorized clean-up shared by all parsers: text cells, timestamps, ids, extra columns as JSON."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Sequence
from typing import Final

import pyarrow as pa
import pyarrow.compute as pc

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


# Anything clean_strings would change besides trimming; most columns contain none of it, and one scan for
# it is far cheaper than four replacement passes.
_UNCLEAN: Final = "[\r\u00a0\u202f\u3000\ufeff" + CONTROL_CHARS_PATTERN[1:-1] + "]"


def clean_strings(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Remove control characters, unify spaces and line ends, trim; empty strings become null."""
    if values.null_count == len(values):
        return values.cast(pa.string())
    if pc.any(pc.match_substring_regex(values, _UNCLEAN)).as_py():
        values = pc.replace_substring(values, "\r\n", "\n")
        values = pc.replace_substring(values, "\r", "\n")
        values = pc.replace_substring_regex(values, CONTROL_CHARS_PATTERN, "")
        values = pc.replace_substring_regex(values, "[\u00a0\u202f\u3000\ufeff]", " ")
    values = pc.utf8_trim_whitespace(values)
    empty = pc.equal(values, "")
    if pc.any(empty).as_py():
        values = pc.if_else(empty, pa.scalar(None, pa.string()), values)
    return values


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
    values = pc.utf8_trim_whitespace(values)
    wanted = len(values) - values.null_count
    result = None
    dashed = None
    candidates = [(fmt, False) for fmt in formats] + [(fmt, True) for fmt in DEFAULT_TIME_FORMATS]
    for fmt, use_dashes in candidates:
        if use_dashes and dashed is None:
            dashed = pc.replace_substring(values, "/", "-")
        parsed = pc.strptime(dashed if use_dashes else values, format=fmt, unit="ms", error_is_null=True)
        result = parsed if result is None else pc.coalesce(result, parsed)
        if len(result) - result.null_count == wanted:
            break  # every value parsed: the usual case, after one format
    assert result is not None
    missing = pc.and_(pc.is_null(result), pc.is_valid(values))
    if pc.any(missing).as_py():
        result = _fill_with_fallback(values, result, missing)
    return local_to_timestamp(result)


def _fill_with_fallback(
    values: pa.Array | pa.ChunkedArray, parsed: pa.Array | pa.ChunkedArray, missing: pa.Array | pa.ChunkedArray
) -> pa.Array:
    texts = values.to_pylist()
    out = parsed.to_pylist()
    for index in pc.indices_nonzero(missing).to_pylist():
        out[index] = parse_time_text(texts[index])
    return pa.array(out, pa.timestamp("ms"))


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
    scientific = pc.match_substring_regex(ids, _SCIENTIFIC_ID)
    zeroed = pc.match_substring_regex(ids, _ZEROED_TAIL_ID)
    return pc.fill_null(pc.or_(scientific, zeroed), False)


def _json_string(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    escaped = pc.replace_substring(values.cast(pa.string()), "\\", "\\\\")
    escaped = pc.replace_substring(escaped, '"', '\\"')
    escaped = pc.replace_substring(escaped, "\n", "\\n")
    escaped = pc.replace_substring(escaped, "\t", "\\t")
    return pc.binary_join_element_wise('"', escaped, '"', "")


def json_objects(columns: dict[str, pa.Array | pa.ChunkedArray], length: int) -> pa.Array:
    """One JSON object per row from named text columns (null cells omitted); null when all are null."""
    import json

    if not columns:
        return pa.nulls(length, pa.string())
    # Each piece is `"key":"value",` or '' for a null cell. (binary_join_element_wise with
    # null_handling="skip" returned a short array on all-null inputs in pyarrow 26, so nulls are blanked.)
    pieces = [
        pc.fill_null(
            pc.binary_join_element_wise(json.dumps(name, ensure_ascii=False) + ":", _json_string(values), ",", ""), ""
        )
        for name, values in columns.items()
    ]
    joined = pc.binary_join_element_wise(*pieces, "")
    inner = pc.utf8_rtrim(joined, characters=",")
    result = pc.if_else(
        pc.equal(inner, ""), pa.scalar(None, pa.string()), pc.binary_join_element_wise("{", inner, "}", "")
    )
    return result.combine_chunks() if isinstance(result, pa.ChunkedArray) else result


def merge_json(base: pa.Array | pa.ChunkedArray, extra: dict[str, pa.Array | pa.ChunkedArray]) -> pa.Array:
    """Add keys to JSON-object strings (or nulls) without parsing them."""
    more = json_objects(extra, len(base))
    inner_base = pc.fill_null(pc.utf8_slice_codeunits(base, 1, -1), "")
    inner_more = pc.fill_null(pc.utf8_slice_codeunits(more, 1, -1), "")
    both = pc.and_(pc.not_equal(inner_base, ""), pc.not_equal(inner_more, ""))
    separator = pc.if_else(both, pa.scalar(","), pa.scalar(""))
    inner = pc.binary_join_element_wise(inner_base, separator, inner_more, "")
    result = pc.if_else(
        pc.equal(inner, ""), pa.scalar(None, pa.string()), pc.binary_join_element_wise("{", inner, "}", "")
    )
    return result.combine_chunks() if isinstance(result, pa.ChunkedArray) else result
