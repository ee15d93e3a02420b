"""NumPy views of Arrow string arrays, for checks that would otherwise cost a pass over every value.

A compute kernel (regex, trim, replace) visits each value and usually writes a new array. Many questions
("does any value contain a control character?", "which values start with 1899-12-3?") are answered by a few
vector compares over the raw UTF-8 bytes and the offsets instead, so the kernel runs only where it can change
something (`on_rows`).
"""

from __future__ import annotations

from collections.abc import Callable

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
