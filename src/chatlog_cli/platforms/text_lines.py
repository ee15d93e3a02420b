"""Text exports read as arrays of lines: UTF-8 chunks cut at line ends, lines as Arrow strings, RE2 over them.

Line-by-line Python costs ~5 µs a line; classifying whole chunks of lines with RE2 and NumPy costs a tenth
of that. A format's scanner gets a chunk of complete lines and hands back the lines it could not finish
yet (the open message may continue in the next chunk), which are scanned again with that chunk.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Final, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from chatlog_cli.errors import EncodingError
from chatlog_cli.platforms.base import Sample

READ_CHUNK: Final = 8 << 20
_ODD_SPACES: Final = tuple(c.encode() for c in "\u00a0\u202f\u3000\ufeff")

T = TypeVar("T")
R = TypeVar("R")
# (UTF-8 data of complete lines, its first line number, whether it is the last) →
# (bytes carried into the next chunk, their first line number, what the scan found or None)
Scan = Callable[[bytes, int, bool], tuple[bytes, int, T | None]]


def utf8_chunks(sample: Sample) -> Iterator[bytes]:
    """The file as UTF-8 bytes in large pieces, each ending at a line end (bare CRs turned into LFs).

    LF never occurs inside a GB18030 or UTF-8 character, so cutting at it is safe before decoding too.
    """
    utf8 = sample.encoding in ("utf-8", "utf-8-sig")
    decoder = None if utf8 else codecs.getincrementaldecoder(sample.encoding)(errors="strict")
    pending = b""
    first = True
    with sample.source.open() as handle:
        while True:
            raw = handle.read(READ_CHUNK)
            if first and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8) :]
            first = False
            if decoder is not None:
                try:
                    raw = decoder.decode(raw, final=not raw).encode("utf-8")
                except UnicodeDecodeError:
                    raise encoding_error(sample) from None
            data = pending + raw
            if not raw:
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


def matches(lines: pa.Array, literal: str, pattern: str) -> pa.Array:
    """Regex match, run only on lines containing a literal the pattern requires (a much cheaper scan)."""
    candidates = pc.fill_null(pc.match_substring(lines, literal), False)
    positions = pc.indices_nonzero(candidates).to_numpy()
    result = np.zeros(len(lines), dtype=bool)
    if len(positions):
        hits = pc.match_substring_regex(pc.take(lines, pa.array(positions)), pattern)
        result[positions] = pc.fill_null(hits, False).to_numpy(zero_copy_only=False)
    return pa.array(result)


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
    octets = np.frombuffer(data, dtype=np.uint8)
    allowed = sum(np.count_nonzero(octets == code) for code in (9, 10, 13))
    if np.count_nonzero(octets < 32) > allowed or b"\x7f" in data:
        return True
    return any(len(find_bytes(octets, space)) for space in _ODD_SPACES if space[:1] in data)


def _clean_lines(lines: pa.Array) -> pa.Array:
    """Stray CRs and control characters out, NBSP-like spaces to spaces (as `io.decode.clean_text`)."""
    lines = pc.replace_substring(lines, "\r", "")
    lines = pc.replace_substring_regex(lines, "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "")
    lines = pc.replace_substring_regex(lines, "[\u00a0\u202f\u3000]", " ")
    return pc.replace_substring(lines, "\ufeff", "")
