"""Utf8Reader: text in GB18030 or UTF-16 read back as UTF-8, and a bad byte reported by its line."""

from __future__ import annotations

import codecs
import io
import random

import pytest

from chatlog_cli.errors import EncodingError
from chatlog_cli.io import transcode
from chatlog_cli.io.transcode import Utf8Reader

# Two-byte and four-byte GB18030 characters, ASCII, a line break inside a quoted cell.
PIECES = ["您好", "在吗", "订单号 1234567890", "，", "😀", "𠀀", "\n", '"两行\n内容"', "abc", "·×°", "€"]


def text(seed: int, count: int) -> str:
    rng = random.Random(seed)
    return "".join(rng.choice(PIECES) for _ in range(count))


def read_all(reader: io.RawIOBase, size: int) -> bytes:
    parts = []
    buffer = bytearray(size)
    while n := reader.readinto(buffer):
        parts.append(bytes(buffer[:n]))
    return b"".join(parts)


@pytest.mark.parametrize("encoding", ["gb18030", "utf-16"])
@pytest.mark.parametrize("read_size", [1, 7, 4096, 1 << 22])
def test_text_comes_back_as_utf8_across_blocks(encoding: str, read_size: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transcode, "_BLOCK_BYTES", 13)  # characters split between source blocks
    original = text(5, 400 if read_size == 1 else 3_000)
    reader = Utf8Reader(io.BytesIO(original.encode(encoding)), encoding, "x.csv")
    assert read_all(reader, read_size) == original.encode("utf-8")


def test_reads_are_filled_whole_until_the_end(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transcode, "_BLOCK_BYTES", 100)
    expected = text(2, 2_000).encode("utf-8")
    reader = Utf8Reader(io.BytesIO(expected.decode("utf-8").encode("gb18030")), "gb18030", "x.csv")
    sizes = []
    buffer = bytearray(1_000)
    while n := reader.readinto(buffer):
        sizes.append(n)
    assert all(n == 1_000 for n in sizes[:-1]) and sum(sizes) == len(expected)


@pytest.mark.parametrize("block", [13, 1 << 20])
@pytest.mark.parametrize("at_line", [1, 2, 57])
def test_a_byte_gb18030_rejects_is_reported_by_line(block: int, at_line: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transcode, "_BLOCK_BYTES", block)
    lines = [f"第{i}行，您好".encode("gb18030") for i in range(1, 80)]
    lines[at_line - 1] = lines[at_line - 1][:5] + b"\xff\x30" + lines[at_line - 1][5:]
    reader = Utf8Reader(io.BytesIO(b"\n".join(lines)), "gb18030", "导出.csv")
    with pytest.raises(EncodingError) as caught:
        read_all(reader, 4096)
    message = str(caught.value)
    assert "导出.csv" in message and f"第 {at_line} 行" in message and "GBK/GB18030" in message
    assert "--encoding" in message


@pytest.mark.parametrize("block", [13, 1 << 20])
def test_a_lone_surrogate_in_utf16_is_reported_by_line(block: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transcode, "_BLOCK_BYTES", block)
    # 上 is U+4E0A: its UTF-16-LE bytes hold 0x0A, which is not a line break there.
    lines = [f"第{i}行上上上".encode("utf-16-le") for i in range(1, 60)]
    lines[40] = lines[40][:4] + b"\x00\xd8" + lines[40][4:]
    data = codecs.BOM_UTF16_LE + "\n".encode("utf-16-le").join(lines)
    with pytest.raises(EncodingError, match="第 41 行有不是 UTF-16 编码的字节"):
        read_all(Utf8Reader(io.BytesIO(data), "utf-16", "x.csv"), 4096)


def test_a_character_cut_off_at_the_end_is_reported() -> None:
    data = "第一行\n第二行".encode("gb18030")[:-1]
    with pytest.raises(EncodingError, match="文件末尾（第 2 行）的字符不完整"):
        read_all(Utf8Reader(io.BytesIO(data), "gb18030", "x.csv"), 4096)
