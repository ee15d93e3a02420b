"""Export writers: every format read back, formula neutralisation, sheet split, atomic replace, errors."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl.worksheet import _writer as openpyxl_sheet_writer

from chatlog_cli.errors import ChatlogError, OutputFileError, UsageError
from chatlog_cli.export import writers
from chatlog_cli.export.writers import EXPORT_COLUMNS, ExportResult, write_export
from chatlog_cli.io import atomic
from chatlog_cli.schema import SCHEMA

UTC = dt.UTC
ORDER_ID = "6912345678901234567"
HEADERS = [
    "时间",
    "平台",
    "店铺",
    "会话ID",
    "发送方身份",
    "发送人",
    "买家",
    "买家ID",
    "客服",
    "消息类型",
    "消息内容",
    "订单号",
    "商品ID",
    "来源文件",
    "行号",
    "消息ID",
]
INJECTIONS = ["=1+1", "+8613800000000", "-1", "@SUM(A1)", "\t=x", "\r=x"]


def row(number: int, **values: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "message_id": f"{number:032x}",
        "platform": "taobao",
        "shop": "小熊百货旗舰店",
        "conversation_id": "8800000000000000001",
        "sent_at": dt.datetime(2024, 3, 1, 4, 0, 5, tzinfo=UTC) + dt.timedelta(minutes=number),
        "sender_role": "buyer",
        "sender": "爱吃草莓的猫",
        "buyer": "爱吃草莓的猫",
        "buyer_id": "2200000000000000777",
        "agent": "客服小青",
        "msg_type": "text",
        "content": f"你好，第{number}条消息",
        "order_id": ORDER_ID,
        "product_id": "700000000123",
        "source_file": "聊天记录-2024-03.xlsx",
        "source_line": number + 2,
        "extra": None,
        "import_id": "20240301T000000-abcdef12",
    }
    base.update(values)
    return base


def table(rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=SCHEMA)


def reader(tbl: pa.Table, batch_rows: int = 2) -> pa.RecordBatchReader:
    return pa.RecordBatchReader.from_batches(tbl.schema, tbl.to_batches(max_chunksize=batch_rows))


SAMPLE = table(
    [
        row(0),
        row(
            1,
            sender_role="agent",
            sender="客服小青",
            msg_type="order_card",
            content='订单已发货，"顺丰",\n请注意查收',
        ),
        row(2, sender_role="bot", sender="店小蜜", msg_type="recall", content="😀 𠀀 表情", order_id=None),
        row(3, sender_role="system", msg_type="transfer", content="#N/A", shop=None),
        row(
            4, sender_role="unknown", msg_type="other", sent_at=dt.datetime(2024, 3, 1, 15, 59, 59, 123000, tzinfo=UTC)
        ),
    ]
)


def injection_table() -> pa.Table:
    rows = [row(i, content=text, sender=text) for i, text in enumerate(INJECTIONS)]
    rows.append(row(len(INJECTIONS), sender_role="buyer", content="普通消息 =1+1", sender="-"))
    return table(rows)


def test_export_columns_are_the_documented_headers() -> None:
    assert [c.header for c in EXPORT_COLUMNS] == HEADERS
    assert {c.name for c in EXPORT_COLUMNS} == set(SCHEMA.names) - {"extra", "import_id"}


# CSV


def read_csv(path: Path, encoding: str) -> list[list[str]]:
    with path.open(encoding=encoding, newline="") as file:
        return list(csv.reader(file))


def test_csv_utf8_with_bom(tmp_path: Path) -> None:
    target = tmp_path / "导出.csv"
    result = write_export(reader(SAMPLE), target)
    assert result == ExportResult(path=target, format="csv", rows=5, sheets=(), seconds=result.seconds)
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")
    rows = read_csv(target, "utf-8-sig")
    assert rows[0] == HEADERS
    assert len(rows) == 6
    first = dict(zip(HEADERS, rows[1], strict=True))
    assert first["时间"] == "2024-03-01 12:00:05"
    assert first["发送方身份"] == "买家"
    assert first["消息类型"] == "文本"
    assert first["订单号"] == ORDER_ID
    assert first["行号"] == "2"
    assert first["消息ID"] == f"{0:032x}"
    by_header = [dict(zip(HEADERS, r, strict=True)) for r in rows[1:]]
    assert [r["发送方身份"] for r in by_header] == ["买家", "客服", "机器人", "系统", "未知"]
    assert [r["消息类型"] for r in by_header] == ["文本", "订单卡片", "撤回", "转接", "其他"]
    assert by_header[1]["消息内容"] == '订单已发货，"顺丰",\n请注意查收'
    assert by_header[2]["消息内容"] == "😀 𠀀 表情"
    assert by_header[2]["订单号"] == ""
    assert by_header[3]["店铺"] == ""
    # Milliseconds are dropped, not rounded up into the next day.
    assert by_header[4]["时间"] == "2024-03-01 23:59:59"


def test_csv_gb18030(tmp_path: Path) -> None:
    target = tmp_path / "export.csv"
    write_export(reader(SAMPLE), target, encoding="gb18030")
    data = target.read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf")
    assert "时间".encode("gb18030") in data
    rows = read_csv(target, "gb18030")
    assert rows[0] == HEADERS
    # Characters outside the BMP survive: gb18030 covers all of Unicode.
    assert rows[3][HEADERS.index("消息内容")] == "😀 𠀀 表情"
    assert rows[2][HEADERS.index("消息内容")] == '订单已发货，"顺丰",\n请注意查收'


def test_csv_neutralises_formulas(tmp_path: Path) -> None:
    target = tmp_path / "export.csv"
    write_export(reader(injection_table()), target)
    rows = read_csv(target, "utf-8-sig")[1:]
    content = [r[HEADERS.index("消息内容")] for r in rows]
    sender = [r[HEADERS.index("发送人")] for r in rows]
    expected = ["'" + text for text in INJECTIONS] + ["普通消息 =1+1"]
    assert content == expected
    assert sender == [*expected[:-1], "'-"]
    assert all(r[0].startswith("2024-03-01 ") for r in rows)


def test_csv_writes_the_columns_present_in_export_order(tmp_path: Path) -> None:
    subset = SAMPLE.select(["content", "sent_at", "sender_role"])
    target = tmp_path / "export.csv"
    write_export(reader(subset), target)
    rows = read_csv(target, "utf-8-sig")
    assert rows[0] == ["时间", "发送方身份", "消息内容"]
    assert rows[1] == ["2024-03-01 12:00:05", "买家", "你好，第0条消息"]


# XLSX


def test_xlsx_read_back(tmp_path: Path) -> None:
    target = tmp_path / "export.xlsx"
    result = write_export(reader(SAMPLE), target)
    assert (result.format, result.rows, result.sheets) == ("xlsx", 5, ("聊天记录",))
    workbook = openpyxl.load_workbook(target)
    assert workbook.sheetnames == ["聊天记录"]
    sheet = workbook["聊天记录"]
    assert [c.value for c in sheet[1]] == HEADERS
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:P6"
    assert sheet.max_row == 6
    assert sheet.column_dimensions["K"].width == 60

    cells = {h: c for h, c in zip(HEADERS, sheet[2], strict=True)}
    assert cells["时间"].value == dt.datetime(2024, 3, 1, 12, 0, 5)
    assert cells["时间"].is_date
    assert cells["时间"].number_format == "yyyy-mm-dd hh:mm:ss"
    for header, value in [("订单号", ORDER_ID), ("买家ID", "2200000000000000777"), ("会话ID", "8800000000000000001")]:
        assert cells[header].value == value
        assert cells[header].data_type == "s"
    assert cells["行号"].value == 2
    assert cells["发送方身份"].value == "买家"

    content = [sheet.cell(r, HEADERS.index("消息内容") + 1) for r in range(2, 7)]
    assert content[1].value == '订单已发货，"顺丰",\n请注意查收'
    assert content[2].value == "😀 𠀀 表情"
    assert (content[3].value, content[3].data_type) == ("#N/A", "s")
    assert sheet.cell(5, HEADERS.index("店铺") + 1).value is None
    assert sheet.cell(6, 1).value == dt.datetime(2024, 3, 1, 23, 59, 59)


def test_xlsx_neutralises_formulas(tmp_path: Path) -> None:
    target = tmp_path / "export.xlsx"
    write_export(reader(injection_table()), target)
    sheet = openpyxl.load_workbook(target)["聊天记录"]
    for column in ("消息内容", "发送人"):
        cells = [sheet.cell(r, HEADERS.index(column) + 1) for r in range(2, 2 + len(INJECTIONS))]
        # XML reads a bare CR back as LF; the cell is still neutralised text.
        assert [c.value for c in cells] == ["'" + text.replace("\r", "\n") for text in INJECTIONS]
        assert all(c.data_type == "s" for c in cells)
    assert sheet.cell(2 + len(INJECTIONS), HEADERS.index("发送人") + 1).value == "'-"
    assert not any(c.data_type == "f" for r in sheet.iter_rows() for c in r)


def test_xlsx_drops_characters_xml_cannot_hold(tmp_path: Path) -> None:
    target = tmp_path / "export.xlsx"
    write_export(reader(table([row(0, sender="小\x01猫", content="\x02=1+1")])), target)
    sheet = openpyxl.load_workbook(target)["聊天记录"]
    assert sheet.cell(2, HEADERS.index("发送人") + 1).value == "小猫"
    assert sheet.cell(2, HEADERS.index("消息内容") + 1).value == "'=1+1"


def test_xlsx_splits_sheets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(writers, "XLSX_MAX_DATA_ROWS", 3)
    rows = table([row(i) for i in range(7)])
    target = tmp_path / "export.xlsx"
    result = write_export(reader(rows, batch_rows=2), target)
    assert result.sheets == ("聊天记录", "聊天记录2", "聊天记录3")
    workbook = openpyxl.load_workbook(target)
    assert workbook.sheetnames == list(result.sheets)
    seen = []
    for name, expected_rows in zip(result.sheets, (3, 3, 1), strict=True):
        sheet = workbook[name]
        assert [c.value for c in sheet[1]] == HEADERS
        assert sheet.max_row == expected_rows + 1
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref == f"A1:P{expected_rows + 1}"
        seen += [sheet.cell(r, HEADERS.index("消息ID") + 1).value for r in range(2, expected_rows + 2)]
    assert seen == [f"{i:032x}" for i in range(7)]


def test_xlsx_exactly_full_sheet_and_empty_export(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(writers, "XLSX_MAX_DATA_ROWS", 3)
    full = write_export(reader(table([row(i) for i in range(3)])), tmp_path / "full.xlsx")
    assert full.sheets == ("聊天记录",)
    empty = write_export(reader(table([])), tmp_path / "empty.xlsx")
    assert (empty.rows, empty.sheets) == (0, ("聊天记录",))
    sheet = openpyxl.load_workbook(tmp_path / "empty.xlsx")["聊天记录"]
    assert [c.value for c in sheet[1]] == HEADERS
    assert sheet.auto_filter.ref == "A1:P1"


# JSONL and Parquet


def test_jsonl_round_trip(tmp_path: Path) -> None:
    target = tmp_path / "export.jsonl"
    result = write_export(reader(SAMPLE), target)
    assert (result.format, result.rows) == ("jsonl", 5)
    text = target.read_text(encoding="utf-8")
    assert "爱吃草莓的猫" in text  # not \u-escaped
    records = [json.loads(line) for line in text.splitlines()]
    assert [r["sent_at"] for r in records[:1] + records[-1:]] == [
        "2024-03-01T12:00:05+08:00",
        "2024-03-01T23:59:59.123+08:00",
    ]
    expected = SAMPLE.to_pylist()
    for record, original in zip(records, expected, strict=True):
        assert list(record) == SAMPLE.schema.names
        assert dt.datetime.fromisoformat(record.pop("sent_at")) == original.pop("sent_at")
        assert record == original
    assert records[1]["sender_role"] == "agent"
    assert records[1]["content"] == '订单已发货，"顺丰",\n请注意查收'


def test_parquet_round_trip(tmp_path: Path) -> None:
    target = tmp_path / "export.parquet"
    result = write_export(reader(SAMPLE), target)
    assert (result.format, result.rows) == ("parquet", 5)
    back = pq.read_table(target)
    assert back.schema.equals(SCHEMA, check_metadata=True)
    assert back.equals(SAMPLE)
    assert pq.ParquetFile(target).metadata.row_group(0).column(0).compression == "ZSTD"


def test_format_option_overrides_extension_and_progress(tmp_path: Path) -> None:
    seen: list[int] = []
    target = tmp_path / "export.txt"
    result = write_export(reader(SAMPLE, batch_rows=2), target, format="jsonl", on_rows=seen.append)
    assert result.format == "jsonl"
    assert seen == [2, 2, 1]
    assert len(target.read_text(encoding="utf-8").splitlines()) == 5


# Atomic replace and errors


def failing_reader(tbl: pa.Table) -> pa.RecordBatchReader:
    def batches() -> Iterator[pa.RecordBatch]:
        yield from tbl.to_batches(max_chunksize=2)[:1]
        raise RuntimeError("store read failed")

    return pa.RecordBatchReader.from_batches(tbl.schema, batches())


@pytest.mark.parametrize("extension", ["xlsx", "csv", "jsonl", "parquet"])
def test_failure_leaves_old_target_and_no_temporary_files(tmp_path: Path, extension: str) -> None:
    target = tmp_path / f"export.{extension}"
    target.write_bytes(b"previous export")
    openpyxl_temp_files = list(openpyxl_sheet_writer.ALL_TEMP_FILES)
    with pytest.raises(RuntimeError, match="store read failed"):
        write_export(failing_reader(SAMPLE), target)
    assert target.read_bytes() == b"previous export"
    assert list(tmp_path.iterdir()) == [target]
    assert openpyxl_temp_files == list(openpyxl_sheet_writer.ALL_TEMP_FILES)


def test_reader_chatlog_errors_pass_through(tmp_path: Path) -> None:
    def batches() -> Iterator[pa.RecordBatch]:
        raise OSError(5, "I/O error reading the store")
        yield  # pragma: no cover

    broken = pa.RecordBatchReader.from_batches(SCHEMA, batches())
    with pytest.raises(OSError, match="reading the store") as caught:
        write_export(broken, tmp_path / "export.csv")
    assert not isinstance(caught.value, ChatlogError)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("name", "options", "message"),
    [
        ("export.txt", {}, "xlsx、csv、jsonl、parquet"),
        ("export", {}, ".xlsx、.csv、.jsonl 或 .parquet"),
        ("export.csv", {"format": "xls"}, "xlsx、csv、jsonl、parquet"),
        ("export.csv", {"encoding": "gbk"}, "gb18030"),
    ],
)
def test_usage_errors(tmp_path: Path, name: str, options: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        write_export(reader(SAMPLE), tmp_path / name, **options)
    assert list(tmp_path.iterdir()) == []


def test_missing_directory(tmp_path: Path) -> None:
    target = tmp_path / "没有这个目录" / "export.xlsx"
    with pytest.raises(OutputFileError) as caught:
        write_export(reader(SAMPLE), target)
    assert str(target.parent) in caught.value.message
    assert "请先创建该目录" in caught.value.message


def test_target_is_a_directory(tmp_path: Path) -> None:
    (tmp_path / "out.csv").mkdir()
    with pytest.raises(OutputFileError, match="是一个目录"):
        write_export(reader(SAMPLE), tmp_path / "out.csv")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs POSIX permissions and a non-root user")
def test_unwritable_directory(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(OutputFileError, match="写入权限") as caught:
            write_export(reader(SAMPLE), locked / "export.csv")
        assert str(locked) in caught.value.message
    finally:
        locked.chmod(0o700)


def test_directory_refusing_the_temporary_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: Path, *args: Any, **kwargs: Any) -> None:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "touch", refuse)
    with pytest.raises(OutputFileError, match="写入权限") as caught:
        write_export(reader(SAMPLE), tmp_path / "export.xlsx")
    assert str(tmp_path) in caught.value.message


def test_target_open_elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "export.xlsx"
    target.write_bytes(b"previous export")

    def locked(src: Any, dst: Any) -> None:
        raise PermissionError(13, "Permission denied", str(dst))

    monkeypatch.setattr(atomic.os, "replace", locked)
    with pytest.raises(OutputFileError, match="Excel") as caught:
        write_export(reader(SAMPLE), target)
    assert str(target) in caught.value.message
    assert target.read_bytes() == b"previous export"
    assert list(tmp_path.iterdir()) == [target]


def test_csv_output_is_excel_dialect(tmp_path: Path) -> None:
    target = tmp_path / "export.csv"
    write_export(reader(SAMPLE.slice(0, 2)), target)
    text = target.read_text(encoding="utf-8-sig")
    assert text.startswith("时间,平台,")
    assert '"订单已发货，""顺丰"",\n请注意查收"' in text
    assert list(csv.reader(io.StringIO(text)))[1][0] == "2024-03-01 12:00:05"
