"""Text in another encoding (GB18030, UTF-16) handed on as UTF-8 while it is read.

For readers that take only UTF-8 bytes (pyarrow's CSV reader).

pyarrow can decode through Python's codec itself, but a byte its codec rejects then escapes as a bare
`UnicodeDecodeError` from pyarrow's reader thread. Here the same codec decodes the file in blocks, and a
byte it rejects becomes an `EncodingError` that names the file and the line.
"""

from __future__ import annotations

import codecs
import io
from typing import BinaryIO, Final

from chatlog_cli.errors import EncodingError

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
            where = f"第 {line} 行有不是 {_ENCODING_NAMES.get(self._encoding, self._encoding)} 编码的字节"
        return EncodingError(
            f"{self._label}：{where}（文件可能混合了两种编码，或已损坏）。"
            "请重新导出该文件；如果确定是别的编码，请用 --encoding 指定后重试。"
        )

    def close(self) -> None:
        """Drop what is decoded but unread (the source is closed by its owner)."""
        self._pending = memoryview(b"")
        super().close()


_ENCODING_NAMES: Final = {"gb18030": "GBK/GB18030", "utf-16": "UTF-16"}
