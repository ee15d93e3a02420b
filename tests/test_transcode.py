"""Utf8Reader and decoded_columns: text in GB18030 or UTF-16 read back as UTF-8, a bad byte reported where it is."""

from __future__ import annotations

import codecs
import io
import random

import pyarrow as pa
import pytest

from chatlog_cli.errors import EncodingError
from chatlog_cli.io import transcode
from chatlog_cli.io.transcode import Utf8Reader, decoded_columns, splits_as_bytes

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


# decoded_columns: a GB18030 CSV split into cells as bytes, decoded a column at a time.

CELL_PIECES = ["您好", "在吗", "退款", "😀", "𠀀", "·×°é", "€", "abc 123", "\n", ",", '"', " "]


def gb_cells(seed: int, count: int, *, nulls: bool = True) -> list[bytes | None]:
    rng = random.Random(seed)
    cells: list[bytes | None] = []
    for _ in range(count):
        if nulls and rng.random() < 0.1:
            cells.append(None)
        else:
            cells.append("".join(rng.choice(CELL_PIECES) for _ in range(rng.randrange(0, 6))).encode("gb18030"))
    return cells


def decoded_one_by_one(cells: list[bytes | None]) -> list[str | None]:
    return [None if cell is None else cell.decode("gb18030") for cell in cells]


def test_columns_decode_as_each_cell_would(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(3)
    count = 5_000
    columns = {
        "内容": gb_cells(1, count),
        "发送方": [rng.choice([b"\xc2\xf2\xbc\xd2", "客服".encode("gb18030"), None]) for _ in range(count)],
        "编号": [None if i % 7 == 0 else str(i).encode() for i in range(count)],
        "空列": [None] * count,
        "零字节": [f"第{i}条{chr(0) if i % 50 == 0 else ''}你好".encode("gb18030") for i in range(count)],
    }
    batch = pa.RecordBatch.from_pydict({name: pa.array(cells, pa.binary()) for name, cells in columns.items()})
    one_value_calls: list[int] = []
    decoded_each = transcode._decoded_each
    monkeypatch.setattr(transcode, "_decoded_each", lambda v, e: one_value_calls.append(len(v)) or decoded_each(v, e))
    for start, length in ((0, count), (7, 3_000)):  # a slice keeps its parent's buffers
        part = batch.slice(start, length)
        decoded = decoded_columns(part, "gb18030", "x.csv", first_row=2)
        assert decoded.schema == pa.schema([(name, pa.string()) for name in columns])
        for name, cells in columns.items():
            assert decoded.column(name).to_pylist() == decoded_one_by_one(cells[start : start + length]), name
    # The repeated column decodes its two distinct values, not every cell; ASCII and empty columns not at all.
    assert sorted(one_value_calls) == [2, 2, 3_000, 3_000, 5_000, 5_000]
    assert decoded.column("零字节")[43].as_py() == "第50条\x00你好"  # row 50 of the file, 43 of the slice


@pytest.mark.parametrize("column", ["内容", "发送方"])
def test_a_bad_cell_is_named_by_row_and_column(column: str) -> None:
    count = 3_000
    cells = {"内容": gb_cells(4, count, nulls=False), "发送方": ["客服".encode("gb18030")] * count}
    cells[column][1_234] = "在吗".encode("gb18030") + b"\xff\x30"
    cells["内容"][2_500] = b"\x81"  # a later bad cell in another column is not the one named
    batch = pa.RecordBatch.from_pydict({name: pa.array(values, pa.binary()) for name, values in cells.items()})
    with pytest.raises(EncodingError) as caught:
        decoded_columns(batch, "gb18030", "导出.csv", first_row=10)
    message = str(caught.value)
    assert "导出.csv" in message and f"第 1244 行“{column}”列有不是 GBK/GB18030 编码的字节" in message
    assert "--encoding" in message


def test_only_ascii_transparent_encodings_split_as_bytes() -> None:
    for encoding in ("gb18030", "GBK", "cp936", "gb2312"):
        assert splits_as_bytes(encoding, ",") and splits_as_bytes(encoding, "\t") and splits_as_bytes(encoding, ";")
        assert not splits_as_bytes(encoding, "|")  # 0x7C is the second byte of many GBK characters
    for encoding in ("utf-16", "utf-8", "big5", "no-such-codec"):
        assert not splits_as_bytes(encoding, ",")
