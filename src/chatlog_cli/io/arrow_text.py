"""NumPy views of Arrow string arrays, for checks that would otherwise cost a pass over every value.

A compute kernel (regex, trim, replace) visits each value and usually writes a new array. Many questions
("does any value contain a control character?", "can any value start with a space?") are answered by a few
vector compares over the raw UTF-8 bytes and the offsets instead, so the kernel runs only when it can change
something.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa


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


def value_lengths(values: pa.Array) -> npt.NDArray[np.int32]:
    """Byte length of each value of a `string` array (0 for nulls as Arrow writes them)."""
    offsets, _ = utf8_buffers(values)
    return np.diff(offsets)
