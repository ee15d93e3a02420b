"""Text in another encoding (GB18030, UTF-16) handed on as UTF-8.

Two ways, both through Python's codec (the only decoder at hand whose GB18030 tables do not depend on the
machine: glibc's iconv maps 44 sequences differently), so the same file yields the same text either way:

- `Utf8Reader` decodes the whole file as it is read, for readers that take only UTF-8 bytes (pyarrow's CSV
  reader, the text exports). pyarrow can decode through the codec itself, but a byte the codec rejects then
  escapes as a bare `UnicodeDecodeError` from pyarrow's reader thread; here it becomes an `EncodingError` that
  names the file and the line.
- `decoded_columns` decodes a CSV split into cells as bytes, one column at a time, and only the columns that
  are not ASCII: ids, times and order numbers (over half of a chat export's bytes) are passed as they are,
  and a column of a few repeated values (agent, sender role, message type) has only those values decoded.
  The codec holds the GIL, so every byte it is spared is time the parser threads get back.
"""

from __future__ import annotations

import codecs
import io
from typing import BinaryIO, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from chatlog_cli.errors import EncodingError
from chatlog_cli.io.arrow_text import utf8_buffers
from chatlog_cli.io.decode import bad_bytes_error, encoding_label

_BLOCK_BYTES: Final = 1 << 20


def as_utf8(source: BinaryIO, encoding: str, label: str) -> BinaryIO:
    """`source` itself when its text is UTF-8 (a BOM left for the reader to skip), else a `Utf8Reader` of it."""
    if encoding in ("utf-8", "utf-8-sig"):
        return source
    return Utf8Reader(source, encoding, label)  # type: ignore[return-value]  # a RawIOBase, read as a binary file


class Utf8Reader(io.RawIOBase):
    """A binary stream of `source`'s text as UTF-8; `source` holds text in `encoding` (a Python codec name)."""

    def __init__(self, source: BinaryIO, encoding: str, label: str) -> None:
        super().__init__()
        self._source = source
        self._encoding = encoding
        self._label = label
        self._decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        self._pending = memoryview(b"")
        self._lines_before = 0  # line feeds in the text decoded so far
        self._ended = False

    def readable(self) -> bool:
        """Always: the stream is read-only."""
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        """Fill `buffer` with the next UTF-8 bytes; 0 at the end."""
        # Filled whole (short only at the end): pyarrow parses what one read returns as one block, and
        # blocks of a decoded chunk's size would be several times smaller than the ones it asks for.
        view = memoryview(buffer).cast("B")
        filled = 0
        while filled < len(view):
            if not self._pending:
                if self._ended:
                    break
                self._pending = memoryview(self._next_block())
                continue
            size = min(len(view) - filled, len(self._pending))
            view[filled : filled + size] = self._pending[:size]
            self._pending = self._pending[size:]
            filled += size
        return filled

    def _next_block(self) -> bytes:
        raw = self._source.read(_BLOCK_BYTES)
        self._ended = not raw
        state = self._decoder.getstate()
        try:
            text = self._decoder.decode(raw, final=self._ended)
        except UnicodeDecodeError as exc:
            raise self._error(raw, state, exc) from None
        self._lines_before += text.count("\n")  # in the text: a UTF-16 character's bytes may hold 0x0A
        return text.encode("utf-8")

    def _error(self, raw: bytes, state: tuple[bytes, int], exc: UnicodeDecodeError) -> EncodingError:
        # The block's text up to the bad byte, decoded again from where the block began (bytes held back from
        # the previous block and, for UTF-16, the byte order), counts the lines before it.
        held = len(exc.object) - len(raw)
        lenient = codecs.getincrementaldecoder(self._encoding)(errors="replace")
        lenient.setstate(state)
        line = self._lines_before + lenient.decode(raw[: max(exc.start - held, 0)]).count("\n") + 1
        if self._ended and exc.end >= len(exc.object) and ("incomplete" in exc.reason or "truncated" in exc.reason):
            where = f"文件末尾（第 {line} 行）的字符不完整"
        else:
            where = f"第 {line} 行有不是 {encoding_label(self._encoding)} 编码的字节"
        return bad_bytes_error(self._label, where)

    def close(self) -> None:
        """Drop what is decoded but unread (the source is closed by its owner)."""
        self._pending = memoryview(b"")
        super().close()


# GB18030 and its subsets keep every byte below 0x80 for that ASCII character alone: a multi-byte
# character's later bytes are 0x30–0x39 or 0x40 and above. So a CSV in them splits into rows and cells on its
# bytes exactly as on its text, as long as the delimiter is below 0x40 (a '|' may be a character's second
# byte).
_SPLITS_AS_BYTES: Final = frozenset({"gb18030", "gbk", "gb2312"})
_STRUCTURAL_BYTES_BELOW: Final = 0x40

# A column whose first values hold at most this share of distinct values is dictionary-encoded first, so that
# each distinct value is decoded once.
_REPEATS_SAMPLE: Final = 2_000
_REPEATS_MAX_DISTINCT_SHARE: Final = 0.05

_SEPARATOR: Final = b"\x00"


def splits_as_bytes(encoding: str, delimiter: str) -> bool:
    """Whether a CSV in `encoding` can be split into cells before it is decoded (see `decoded_columns`)."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        return False
    return name in _SPLITS_AS_BYTES and all(ord(c) < _STRUCTURAL_BYTES_BELOW for c in delimiter + '"\r\n')


def decoded_columns(batch: pa.RecordBatch, encoding: str, label: str, first_row: int) -> pa.RecordBatch:
    """`batch`'s `binary` columns (cells in `encoding`) as `string` columns; `first_row` numbers its first row.

    A byte the codec rejects raises an `EncodingError` naming the file, the row and the column.
    """
    try:
        columns = [_decoded(column, encoding) for column in batch.columns]
    except UnicodeDecodeError:
        row, column = _first_bad_cell(batch, encoding)
        where = f"第 {first_row + row} 行“{column}”列有不是 {encoding_label(encoding)} 编码的字节"
        raise bad_bytes_error(label, where) from None
    return pa.RecordBatch.from_arrays(columns, names=batch.schema.names)


def _decoded(values: pa.Array, encoding: str) -> pa.Array:
    _, data = utf8_buffers(values)
    if not len(data) or int(data.max()) < 0x80:
        return values.view(pa.string())
    sample = values.slice(0, _REPEATS_SAMPLE)
    if len(values) > len(sample) and pc.count_distinct(sample).as_py() <= _REPEATS_MAX_DISTINCT_SHARE * len(sample):
        encoded = pc.dictionary_encode(values)
        return _decoded_each(encoded.dictionary, encoding).take(encoded.indices)
    return _decoded_each(values, encoding)


def _decoded_each(values: pa.Array, encoding: str) -> pa.Array:
    # One codec call for the whole column: the values joined by a 0x00 byte (after the last one too), decoded,
    # encoded as UTF-8 and cut at the 0x00 bytes again. The codec maps 0x00 to U+0000 and nothing else to it,
    # so the cuts fall between the same values, unless a value held a 0x00 byte itself: then one at a time.
    count = len(values)
    in_one_list = pa.ListArray.from_arrays(pa.array([0, count], pa.int32()), values.fill_null(b""))
    joined = pc.binary_join(in_one_list, _SEPARATOR)[0].as_buffer()
    utf8 = (str(joined, encoding) + "\x00").encode("utf-8")
    ends = np.flatnonzero(np.frombuffer(utf8, dtype=np.uint8) == 0)
    if len(ends) != count:
        return pa.array([None if cell is None else cell.decode(encoding) for cell in values.to_pylist()], pa.string())
    offsets = np.empty(count + 1, dtype=np.int32)
    offsets[0] = 0
    offsets[1:] = ends + 1
    validity = pc.is_valid(values).buffers()[1] if values.null_count else None
    with_separators = pa.Array.from_buffers(
        pa.binary(), count, [validity, pa.py_buffer(offsets), pa.py_buffer(utf8)], values.null_count
    )
    return pc.binary_slice(with_separators, 0, -1).view(pa.string())


def _first_bad_cell(batch: pa.RecordBatch, encoding: str) -> tuple[int, str]:
    """The row (0-based) and column of the first cell in `batch` that `encoding` rejects."""
    # Only on the way to an error: each cell decoded on its own, row by row, to find the first bad one.
    for row, cells in enumerate(batch.to_pylist()):
        for column, cell in cells.items():
            try:
                if cell is not None:
                    cell.decode(encoding)
            except UnicodeDecodeError:
                return row, column
    raise AssertionError("a column failed to decode, so one of its cells does")
