"""Text exports read as arrays of lines: UTF-8 chunks cut at line ends, lines as Arrow strings, RE2 over them.

Line-by-line Python costs ~5 µs a line; classifying whole chunks of lines with RE2 and NumPy costs a tenth
of that. A format's scanner gets a chunk of complete lines and hands back the lines it could not finish
yet (the open message may continue in the next chunk), which are scanned again with that chunk; or it keeps
the open message itself (`OpenMessage`), so that nothing is scanned twice however long a message runs.

Where nearly every line has one shape (Taobao's message headers), even RE2 is the slow part: the byte-level
helpers find that shape with NumPy on the lines' own buffer and cut its fields at byte offsets, and leave
only the other lines to RE2 patterns that define the result.
"""

from __future__ import annotations

import codecs
import functools
import re
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Final, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from chatlog_cli.errors import EncodingError
from chatlog_cli.io.arrow_text import find_bytes, has_unclean_bytes, rows_containing
from chatlog_cli.io.transcode import as_utf8
from chatlog_cli.platforms.base import Sample

READ_CHUNK: Final = 8 << 20

T = TypeVar("T")
R = TypeVar("R")
# (UTF-8 data of complete lines, its first line number, whether it is the last) →
# (bytes carried into the next chunk, their first line number, what the scan found or None)
Scan = Callable[[bytes, int, bool], tuple[bytes, int, T | None]]


def utf8_chunks(sample: Sample) -> Iterator[bytes]:
    """The file as UTF-8 bytes in large pieces, each ending at a line end (bare CRs turned into LFs)."""
    pending = b""
    first = True
    with sample.source.open() as source:
        utf8 = as_utf8(source, sample.encoding, sample.source.label)
        while True:
            raw = utf8.read(READ_CHUNK)
            end = not raw
            if first and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8) :]
            first = False
            data = pending + raw
            if end:
                if data:
                    yield _bare_cr_to_lf(data)
                return
            cut = data.rfind(b"\n") + 1
            pending = data[cut:]
            if cut:
                yield _bare_cr_to_lf(data[:cut])


def scan_file(sample: Sample, scan: Scan[T]) -> Iterator[T]:
    """Run a chunk scanner over the whole file, carrying unfinished lines from chunk to chunk."""
    carry = b""
    line = 1
    chunks = utf8_chunks(sample)
    chunk = next(chunks, b"")
    try:
        for following in chunks:
            carry, line, found = scan(carry + chunk, line, False)
            chunk = following
            if found is not None:
                yield found
        _, _, found = scan(carry + chunk, line, True)
    except pa.ArrowInvalid:  # invalid UTF-8 found while building the lines array
        raise encoding_error(sample) from None
    if found is not None:
        yield found


def built_ahead(items: Iterator[T], build: Callable[[T], R]) -> Iterator[R]:
    """`build(item)` for each item, in order, each on a second thread while the next item is produced.

    Scanning a chunk (structure, sessions) is sequential; building its batch (times, message types, card ids:
    Arrow kernels that release the GIL) is not, so on two cores the two overlap.
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="chatlog-build") as pool:
        pending: Future[R] | None = None
        for item in items:
            following = pool.submit(build, item)
            if pending is not None:
                yield pending.result()
            pending = following
        if pending is not None:
            yield pending.result()


def encoding_error(sample: Sample) -> EncodingError:
    """The error for a file whose bytes stop being valid in its encoding part-way."""
    return EncodingError(
        f"{sample.source.label}：文件中途有内容不是 {sample.encoding} 编码（可能混合了两种编码）。"
        "请用 --encoding 指定编码后重试。"
    )


def lines_array(data: bytes) -> tuple[pa.Array, np.ndarray]:
    """UTF-8 bytes → an Arrow array of cleaned lines (built on the same buffer, no Python strings) and line starts.

    Raises `pa.ArrowInvalid` on invalid UTF-8.
    """
    newlines = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10)
    starts = np.concatenate(([0], newlines + 1)).astype(np.int64)
    if starts[-1] == len(data) and len(starts) > 1:
        starts = starts[:-1]  # the data ends with a line end: no empty last line
    offsets = np.append(starts, len(data)).astype(np.int32)
    raw = pa.Array.from_buffers(pa.string(), len(starts), [None, pa.py_buffer(offsets), pa.py_buffer(data)])
    raw.validate(full=True)
    lines = pc.utf8_rtrim(raw, characters="\r\n")
    return (_clean_lines(lines) if _needs_cleaning(data) else lines), starts


def matches(lines: pa.Array, literal: str, pattern: str) -> np.ndarray:
    """Regex match (a mask), run only on lines containing a literal the pattern requires (a much cheaper scan)."""
    result = np.zeros(len(lines), dtype=bool)
    result[regex_rows(lines, rows_containing(lines, literal.encode()), pattern)] = True
    return result


def _bare_cr_to_lf(data: bytes) -> bytes:
    """A CR that is not part of CRLF is a line end too (old Mac-style exports)."""
    if b"\r" not in data:
        return data
    octets = np.frombuffer(data, dtype=np.uint8)
    returns = np.flatnonzero(octets == 13)
    if returns[-1] + 1 < len(octets) and (octets[returns + 1] == 10).all():
        return data
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


def _needs_cleaning(data: bytes) -> bool:
    """Control characters or NBSP-like spaces in the chunk (checked on the bytes, far cheaper than on lines)."""
    # CR is kept: line ends are cut on it before cleaning.
    return has_unclean_bytes(np.frombuffer(data, dtype=np.uint8), keep=b"\t\n\r")


def _clean_lines(lines: pa.Array) -> pa.Array:
    """Stray CRs and control characters out, NBSP-like spaces to spaces (as `io.decode.clean_text`)."""
    lines = pc.replace_substring(lines, "\r", "")
    lines = pc.replace_substring_regex(lines, "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "")
    lines = pc.replace_substring_regex(lines, "[\u00a0\u202f\u3000]", " ")
    return pc.replace_substring(lines, "\ufeff", "")


# Byte-level access for parsers whose common line shape is checked with NumPy and only the rest with RE2


def python_time_stamp() -> str:
    r"""RE2 for `YYYY-MM-DD HH:MM:SS` with unpadded fields, digits as Python's `re` reads `\d`."""
    d = python_class(r"\d")
    return rf"{d}{{4}}-{d}{{1,2}}-{d}{{1,2}} {d}{{1,2}}:{d}{{1,2}}:{d}{{1,2}}"


@functools.cache
def python_class(escape: str) -> str:
    r"""An RE2 character class matching exactly what Python's `re` matches with `escape` (`\d`, `\s`) in a str.

    RE2's `\d` and `\s` are ASCII-only and its `\p{Nd}` follows another Unicode version than Python's; a parser
    that must keep the old `re` parser's results spells the class out. Neither matches anything above U+1FFFF.
    """
    codes = np.arange(0x20000, dtype=np.uint32)
    codes = codes[(codes < 0xD800) | (codes > 0xDFFF)]  # surrogates are not characters
    found = [ord(c) for c in re.findall(escape, codes.tobytes().decode("utf-32-le"))]
    ranges: list[list[int]] = []
    for code in found:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return "[" + "".join(f"\\x{{{a:x}}}" + (f"-\\x{{{b:x}}}" if b > a else "") for a, b in ranges) + "]"


@dataclass(frozen=True)
class LineBytes:
    """The UTF-8 bytes under an Arrow array of lines, with each line's start and end (absolute byte offsets)."""

    data: np.ndarray
    starts: np.ndarray
    ends: np.ndarray

    @classmethod
    def of(cls, lines: pa.Array) -> LineBytes:
        """Views of `lines`' own buffers (no copy)."""
        _, offsets_buffer, data_buffer = lines.buffers()
        offsets = np.frombuffer(offsets_buffer, dtype=np.int32)[lines.offset : lines.offset + len(lines) + 1]
        offsets = offsets.astype(np.int64)
        data = np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer is not None else np.zeros(0, np.uint8)
        return cls(data, offsets[:-1], offsets[1:])

    def at(self, positions: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """The byte at each position, 0 where the position is at or past its line's end."""
        inside = positions < ends
        if len(self.data) == 0:
            return np.zeros(len(positions), np.uint8)
        return np.where(inside, self.data[np.clip(positions, 0, len(self.data) - 1)], 0).astype(np.uint8)

    def find(self, sequence: bytes) -> np.ndarray:
        """Where a byte sequence starts in the data (it may run over into the next line: check against `ends`)."""
        return find_bytes(self.data, sequence)

    def words(self, positions: np.ndarray) -> np.ndarray:
        """The 8 bytes from each position as a little-endian uint64 (positions must leave 8 bytes in the buffer)."""
        unaligned = np.ndarray((len(self.data) - 7,), dtype="<u8", buffer=self.data, strides=(1,))
        words: np.ndarray = unaligned[positions]
        return words


def first_at_or_after(found: np.ndarray, starts: np.ndarray, ends: np.ndarray, width: int) -> np.ndarray:
    """For each `[start, end)`, the first of the (sorted) `found` positions whose `width` bytes fit in it, else -1."""
    index = np.searchsorted(found, starts)
    if len(found) == 0:
        return np.full(len(starts), -1)
    at = found[np.minimum(index, len(found) - 1)]
    return np.where((index < len(found)) & (at + width <= ends), at, -1)


def other_rows(count: int, *taken: np.ndarray) -> np.ndarray:
    """The rows of `range(count)` in none of `taken` (a mask: NumPy's set operations sort, which costs far more)."""
    free = np.ones(count, bool)
    for rows in taken:
        free[rows] = False
    return np.flatnonzero(free)


def bools(mask: pa.Array) -> np.ndarray:
    """An Arrow boolean array (no nulls) as a NumPy one."""
    result: np.ndarray = np.asarray(mask.to_numpy(zero_copy_only=False), bool)
    return result


def regex_rows(lines: pa.Array, rows: np.ndarray, pattern: str) -> np.ndarray:
    """The rows among `rows` whose line matches an RE2 pattern (for the few lines no cheaper check decides)."""
    if len(rows) == 0:
        return rows
    found: np.ndarray = rows[bools(pc.match_substring_regex(pc.take(lines, pa.array(rows)), pattern))]
    return found


def in_row_order(
    lines: pa.Array,
    rows: np.ndarray,
    cut: np.ndarray,
    pieces: tuple[pa.Array, ...],
    pattern: str,
    names: tuple[str, ...],
) -> tuple[pa.Array, ...]:
    """Fields of the lines at `rows`: `pieces` already cut for the rows at positions `cut`, RE2 groups for the rest.

    The RE2 pattern must give the same groups as the cutting would: it is the definition the cutting follows.
    """
    others = other_rows(len(rows), cut)
    if len(others) == 0:
        return pieces
    taken = pc.extract_regex(pc.take(lines, pa.array(rows[others])), pattern)
    order = pa.array(np.argsort(np.concatenate((cut, others)), kind="stable"))
    return tuple(
        pc.take(pa.concat_arrays([mine, pc.struct_field(taken, name)]), order)
        for mine, name in zip(pieces, names, strict=True)
    )


def substrings(lines: pa.Array, begin: np.ndarray, end: np.ndarray) -> pa.Array:
    """Byte ranges `[begin, end)` of the lines' data as strings; ranges in order, not overlapping, cut at characters.

    The ranges and the gaps between them are the elements of one array over the same buffer; the ranges are
    then taken out of it, so nothing is decoded into Python strings.
    """
    if len(begin) == 0:
        return pa.array([], pa.string())
    bounds = np.empty(2 * len(begin), np.int32)
    bounds[0::2], bounds[1::2] = begin, end
    spans = pa.Array.from_buffers(pa.string(), len(bounds) - 1, [None, pa.py_buffer(bounds), lines.buffers()[2]])
    return pc.take(spans, pa.array(np.arange(0, len(bounds), 2)))


@functools.cache
def _space_bytes() -> tuple[np.ndarray, np.ndarray]:
    """Lookup tables over byte values: ASCII Python-whitespace, and first bytes of multi-byte whitespace."""
    spaces = re.findall(r"\s", "".join(map(chr, range(0x3001))))
    ascii_spaces, leads = np.zeros(256, bool), np.zeros(256, bool)
    ascii_spaces[[ord(c) for c in spaces if ord(c) < 0x80]] = True
    leads[[c.encode()[0] for c in spaces if ord(c) >= 0x80]] = True
    return ascii_spaces, leads


def skip_spaces(lines: LineBytes, positions: np.ndarray, ends: np.ndarray, most: int) -> tuple[np.ndarray, np.ndarray]:
    r"""Positions after Python's greedy `\s?` repeated `most` times, and where that needs a regex to be sure.

    ASCII whitespace is skipped here; a character that may be multi-byte whitespace leaves the row unsure.
    """
    ascii_spaces, leads = _space_bytes()
    positions = positions.copy()
    unsure = np.zeros(len(positions), bool)
    active = positions < ends
    for _ in range(most):
        byte = lines.at(positions, ends)
        unsure |= active & leads[byte]
        active &= ascii_spaces[byte]
        positions += active
        active &= positions < ends
    return positions, unsure


STAMP_BYTES: Final = 19


def _stamp_words() -> tuple[tuple[int, int, int, int], ...]:
    """(offset, digit mask, other-byte mask, other bytes) for three overlapping 8-byte words of a stamp."""
    template = b"0000-00-00 00:00:00"
    words = []
    for offset in (0, 8, STAMP_BYTES - 8):
        digits = others = value = 0
        for i, char in enumerate(template[offset : offset + 8]):
            if char == ord("0"):
                digits |= 0xFF << (8 * i)
            else:
                others |= 0xFF << (8 * i)
                value |= char << (8 * i)
        words.append((offset, digits, others, value))
    return tuple(words)


_STAMP_WORDS: Final = _stamp_words()
_HIGH_NIBBLES: Final = 0xF0F0F0F0F0F0F0F0
_THREES: Final = 0x3030303030303030
_SIXES: Final = 0x0606060606060606


def stamps_at(lines: LineBytes, positions: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Whether an ASCII `YYYY-MM-DD HH:MM:SS` (the shape nearly all exports write) starts at each position.

    Checked eight bytes at a time: a byte is a digit when it is 0x3_ and stays 0x3_ after adding 6.
    """
    found = (positions >= 0) & (positions + STAMP_BYTES <= ends)
    if not found.any():
        return found
    at = np.where(found, positions, 0)
    for offset, digits, others, value in _STAMP_WORDS:
        word = lines.words(at + offset)
        digit_bytes = word & np.uint64(digits)
        threes, sixes = np.uint64(_THREES & digits), np.uint64(_SIXES & digits)
        found &= (digit_bytes & np.uint64(_HIGH_NIBBLES)) == threes
        found &= ((digit_bytes + sixes) & np.uint64(_HIGH_NIBBLES & digits)) == threes
        found &= (word & np.uint64(others)) == np.uint64(value)
    return found


# Message contents that run on over the following lines, and into the next chunk


def join_lines(first: pa.Array, owners: np.ndarray, pieces: pa.Array) -> pa.Array:
    """Each message's first text joined by line ends with the pieces it owns (`owners`: ascending message index)."""
    if len(pieces) == 0:
        return first
    counts = np.bincount(owners, minlength=len(first))
    longer = np.flatnonzero(counts)  # most messages are one line: only the others are joined
    offsets = np.zeros(len(longer) + 1, np.int32)
    np.cumsum(counts[longer] + 1, out=offsets[1:])
    is_first = np.zeros(int(offsets[-1]), bool)
    is_first[offsets[:-1]] = True
    order = np.empty(len(is_first), np.int64)
    order[is_first] = np.arange(len(longer))
    order[~is_first] = len(longer) + np.arange(len(pieces))
    values = pc.take(pa.concat_arrays([pc.take(first, pa.array(longer)), pieces]), pa.array(order))
    joined = pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), values), "\n")
    replaced = np.arange(len(first))
    replaced[longer] = len(first) + np.arange(len(longer))
    return pc.take(pa.concat_arrays([first, joined]), pa.array(replaced))


def content_of(joined: pa.Array) -> pa.Array:
    """Joined message text → stored content: trimmed, and null when nothing is left."""
    content = pc.utf8_trim_whitespace(joined)
    empty = pc.equal(content, "")
    if not pc.any(empty).as_py():
        return content
    return pc.if_else(empty, pa.scalar(None, pa.string()), content)


class OpenMessage:
    """Assembles messages chunk by chunk; the last one stays open, as its next lines may be in the next chunk."""

    def __init__(self) -> None:
        self.message: pa.RecordBatch | None = None  # one row; `text` is its content so far, joined, untrimmed

    def add(self, heads: pa.RecordBatch, owners: np.ndarray, pieces: pa.Array, *, final: bool) -> pa.RecordBatch | None:
        """Finish what this chunk completes.

        Args:
            heads: the chunk's new messages in order, their first line of text in a `text` column.
            owners: for each piece of content, the index in `heads` of its message (-1: the open message).
            pieces: the content lines that follow the messages' first lines, in order.
            final: the last chunk: nothing stays open.

        Returns:
            The completed messages, `text` replaced by the content (see `content_of`), or None.
        """
        if self.message is not None:
            heads = pa.concat_batches([self.message, heads])
            owners = owners + 1
        if heads.num_rows == 0:
            return None
        column = heads.schema.get_field_index("text")
        heads = heads.set_column(column, "text", join_lines(heads.column(column), owners, pieces))
        keep = heads.num_rows if final else heads.num_rows - 1
        self.message = None if final else heads.slice(keep)
        if keep == 0:
            return None
        done = heads.slice(0, keep)
        return done.set_column(column, "text", content_of(done.column(column)))
