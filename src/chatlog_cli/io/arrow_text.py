"""NumPy views of Arrow string arrays, for checks that would otherwise cost a pass over every value.

A compute kernel (regex, trim, replace) visits each value and usually writes a new array. Many questions
("does any value contain a control character?", "which values start with 1899-12-3?") are answered by a few
vector compares over the raw UTF-8 bytes and the offsets instead, so the kernel runs only where it can change
something (`on_rows`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc


def utf8_buffers(values: pa.Array) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.uint8]]:
    """A `string` array's value offsets (one more than values) and the data bytes they index, without copying.

    The offsets are rebased to start at 0 and the data cut to the array's own values: a slice (a batch of a
    sheet) shares its buffers with the whole column, whose other bytes must neither be scanned nor matched.
    The bytes under null values are usually empty but not promised to be, so checks may only over-report.
    """
    _, offset_buffer, data_buffer = values.buffers()
    if not len(values) or offset_buffer is None:
        return np.zeros(len(values) + 1, dtype=np.int32), np.zeros(0, dtype=np.uint8)
    offsets = np.frombuffer(offset_buffer, dtype=np.int32)[values.offset : values.offset + len(values) + 1]
    start, end = int(offsets[0]), int(offsets[-1])
    data = np.frombuffer(data_buffer, dtype=np.uint8)[start:end] if data_buffer is not None else np.zeros(0, np.uint8)
    return (offsets - np.int32(start) if start else offsets), data


def contains_bytes(data: npt.NDArray[np.uint8], needle: bytes) -> bool:
    """Whether a byte sequence occurs in a buffer (vector compares; Python's `in` would need a copy)."""
    size = len(data) - len(needle) + 1
    if size <= 0:
        return False
    found = data[:size] == needle[0]
    for shift, byte in enumerate(needle[1:], start=1):
        if not found.any():
            return False
        found &= data[shift : shift + size] == byte
    return bool(found.any())


# Spaces that clean-up turns into plain spaces (U+FEFF: removed), as UTF-8 (see `io.decode.clean_text`).
ODD_SPACES: Final = tuple(c.encode() for c in "\u00a0\u202f\u3000\ufeff")
# Large buffers are scanned in slices that stay in the CPU cache: each NumPy compare makes a temporary as
# large as its input, and fresh multi-megabyte temporaries cost more in page faults than the compares.
_SCAN_SLICE: Final = 1 << 18


def has_unclean_bytes(data: npt.NDArray[np.uint8], keep: bytes) -> bool:
    """Whether UTF-8 bytes hold a control character other than those in `keep`, DEL, or an odd space."""
    longest = max(len(space) for space in ODD_SPACES)
    kept = np.frombuffer(keep, dtype=np.uint8)
    for start in range(0, len(data), _SCAN_SLICE):
        part = data[start : start + _SCAN_SLICE + longest - 1]  # overlap: a space cut at the slice end
        controls = part < 0x20
        if controls.any() and not np.isin(part[controls], kept).all():  # mostly line ends: few to look at
            return True
        if (part == 0x7F).any():
            return True
        if (part >= 0x80).any() and any(contains_bytes(part, space) for space in ODD_SPACES):
            return True
    return False


def find_bytes(octets: np.ndarray, sequence: bytes) -> np.ndarray:
    """Where a sequence of two or more bytes starts, in order.

    The first two bytes are compared as 16-bit words, at even and at odd offsets: two passes over half as many
    items, and far fewer hits to follow up than the first byte alone would give.
    """
    head = sequence[0] | sequence[1] << 8
    runs = []
    for shift in (0, 1):
        pairs = octets[shift : shift + (len(octets) - shift) // 2 * 2].view("<u2")
        runs.append(np.flatnonzero(pairs == head) * 2 + shift)
    at = np.sort(np.concatenate(runs), kind="stable")  # two sorted runs: a merge
    for offset, byte in enumerate(sequence[2:], start=2):
        at = at[at + offset < len(octets)]
        at = at[octets[at + offset] == byte]
    return at


def rows_containing(values: pa.Array, needle: bytes) -> npt.NDArray[np.intp]:
    """Positions of the values that contain `needle` (two or more bytes), in order.

    Nulls may be among them (their bytes are unspecified). ~3x faster than `pc.match_substring` on lines of chat.
    """
    offsets, data = utf8_buffers(values)
    at = find_bytes(data, needle)
    rows = np.searchsorted(offsets, at, side="right") - 1
    rows = rows[at + len(needle) <= offsets[rows + 1]]  # values are adjacent: a match may run into the next one
    return np.unique(rows)


def rows_ending_in(values: pa.Array, octets: bytes) -> npt.NDArray[np.intp]:
    """Positions of the non-empty values whose last byte is one of `octets` (nulls may be among them)."""
    offsets, data = utf8_buffers(values)
    rows = np.flatnonzero(np.diff(offsets) > 0)
    return rows[np.isin(data[offsets[1:][rows].astype(np.int64) - 1], np.frombuffer(octets, dtype=np.uint8))]


def rows_starting_with(values: pa.Array, prefix: bytes) -> npt.NDArray[np.intp]:
    """Positions of the values that start with `prefix` (nulls may be among them: their bytes are unspecified)."""
    offsets, data = utf8_buffers(values)
    starts = offsets[:-1].astype(np.int64)
    rows = np.flatnonzero(np.diff(offsets) >= len(prefix))
    for shift, byte in enumerate(prefix):  # one byte at a time, on the values still in the running
        rows = rows[data[starts[rows] + shift] == byte]
    return rows


def rows_ending_with(values: pa.Array, suffix: bytes) -> npt.NDArray[np.intp]:
    """Positions of the values that end with `suffix` (nulls may be among them: their bytes are unspecified)."""
    offsets, data = utf8_buffers(values)
    ends = offsets[1:].astype(np.int64)
    rows = np.flatnonzero(np.diff(offsets) >= len(suffix))
    for shift, byte in enumerate(reversed(suffix), start=1):
        rows = rows[data[ends[rows] - shift] == byte]
    return rows


def on_rows(values: pa.Array, rows: npt.NDArray[np.intp], function: Callable[[pa.Array], pa.Array]) -> pa.Array:
    """`function` applied to some rows of `values` (positions), the others kept as they are.

    When the rows are few (a padded cell here and there, the multi-line messages of a CRLF export), running
    the kernels on those rows and copying the column once beats several passes over the whole column.
    """
    if not len(rows):
        return values
    if len(rows) * 4 > len(values):
        return function(values)
    mask = np.zeros(len(values), dtype=np.bool_)
    mask[rows] = True
    return pc.replace_with_mask(values, pa.array(mask), function(values.take(pa.array(rows))))
