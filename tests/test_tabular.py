"""Spreadsheet formats: header search, aliases, times, ids, roles, extra columns, mapping files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from chatlog_cli.errors import MappingFileError
from chatlog_cli.platforms.mapping import load_mapping, mapping_from_dict
from conftest import FIXTURES, messages, run_import

HEADER = "会话ID,买家ID,买家昵称,客服账号,发送方,消息类型,消息内容,发送时间,订单编号"


def import_csv(tmp_path: Path, body: str, header: str = HEADER, **options: object) -> tuple[list[dict], object]:
    # These tests exercise the spreadsheet machinery; headers are generic, so the format is named.
    options.setdefault("format", "pdd-csv")
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "export.csv"
    path.write_text(header + "\n" + body, encoding="utf-8")
    result = run_import([path], tmp_path / "store", **options).files[0]
    assert result.status == "imported", result.error
    return messages(tmp_path / "store"), result


def test_header_found_below_title_rows_and_aliases_with_spaces(tmp_path: Path) -> None:
    header = "拼多多聊天记录,,\n导出时间 2026-11-20,,\n 会话ID , 发送方 ,消息内容,发送时间"
    rows, _ = import_csv(tmp_path, "S1,买家,你好,2026-11-01 10:00:00\n", header=header)
    assert rows[0]["content"] == "你好" and rows[0]["source_line"] == 4


def test_time_shapes(tmp_path: Path) -> None:
    body = "\n".join(
        f"S1,买家,m{i},{t}"
        for i, t in enumerate(
            [
                "2026/11/1 8:05:07",
                "2026-11-01T08:05:08",
                "2026-11-01 08:05",
                "２０２６-１１-０１ ０８:０５:０９",
                "45962.5",
                "1761955200",
                "2026年11月1日 8时05分10秒",
            ]
        )
    )
    rows, result = import_csv(tmp_path, body + "\n", header="会话ID,发送方,消息内容,发送时间")
    assert result.rejected_rows == 0
    got = {r["content"]: r["sent_at"] for r in rows}
    assert got["m0"] == "2026-11-01T08:05:07+08:00"
    assert got["m2"] == "2026-11-01T08:05:00+08:00"
    assert got["m3"] == "2026-11-01T08:05:09+08:00"
    assert got["m4"] == "2025-11-01T12:00:00+08:00"  # Excel serial day number
    assert got["m5"] == "2025-11-01T08:00:00+08:00"  # Unix seconds are UTC instants
    assert got["m6"] == "2026-11-01T08:05:10+08:00"


def test_date_and_time_in_separate_columns(tmp_path: Path) -> None:
    mapping = mapping_from_dict(
        {"columns": {"date": "日期", "time": "时刻", "content": "内容", "sender": "发送人"}, "platform": "other"}
    )
    path = tmp_path / "split.csv"
    path.write_text("日期,时刻,内容,发送人\n2026-11-01,08:05:07,你好,甲\n", encoding="utf-8")
    from chatlog_cli.importer import ImportOptions, import_files

    tmp_map = tmp_path / "m.toml"
    tmp_map.write_text(
        'platform = "other"\n[columns]\ndate = "日期"\ntime = "时刻"\ncontent = "内容"\nsender = "发送人"\n',
        encoding="utf-8",
    )
    import_files([str(path)], tmp_path / "store", ImportOptions(mapping=tmp_map))
    [row] = messages(tmp_path / "store")
    assert row["sent_at"] == "2026-11-01T08:05:07+08:00" and mapping.platform == "other"


def test_excel_dates_and_long_ids_in_real_cells(tmp_path: Path) -> None:
    import datetime as dt

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["会话ID", "发送方", "消息内容", "发送时间", "订单编号"])
    sheet.append(["S1", "买家", "文本id", dt.datetime(2026, 11, 1, 8, 5, 7), "6912345678901234567"])
    sheet.append(["S1", "买家", "数字id", dt.datetime(2026, 11, 1, 8, 6, 0), 6912345678901234567])
    sheet.append(["S1", "买家", "科学计数", dt.datetime(2026, 11, 1, 8, 7, 0), "6.91235E+18"])
    path = tmp_path / "ids.xlsx"
    workbook.save(path)
    result = run_import([path], tmp_path / "store", format="pdd-csv").files[0]
    rows = {r["content"]: r for r in messages(tmp_path / "store")}
    assert rows["文本id"]["order_id"] == "6912345678901234567"
    assert rows["文本id"]["sent_at"] == "2026-11-01T08:05:07+08:00"
    assert rows["数字id"]["order_id"] is None and json.loads(rows["数字id"]["extra"])["damaged_order_id"]
    assert rows["科学计数"]["order_id"] is None
    assert result.damaged_ids == 2


def test_summary_sheets_are_skipped_and_every_chat_sheet_read(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    summary = workbook.active
    summary.title = "导出汇总"
    summary.append(["买家数", 2])
    for buyer in ("甲", "乙"):
        sheet = workbook.create_sheet(buyer)
        sheet.append(["会话ID", "发送方", "消息内容", "发送时间"])
        sheet.append([f"S-{buyer}", "买家", f"{buyer}的消息", "2026-11-01 10:00:00"])
    path = tmp_path / "sheets.xlsx"
    workbook.save(path)
    result = run_import([path], tmp_path / "store", format="pdd-csv").files[0]
    assert result.messages_added == 2
    assert any("导出汇总" in reason for reason in result.skipped)
    assert {r["source_file"].split("#")[1] for r in messages(tmp_path / "store")} == {"甲", "乙"}


def test_unknown_role_words_are_reported_not_guessed(tmp_path: Path) -> None:
    rows, result = import_csv(tmp_path, "S1,1,a,b,店小二,文本,你好,2026-11-01 10:00:00,\n")
    assert rows[0]["sender_role"] == "unknown" and result.unknown_roles == 1
    assert any("店小二" in note for note in result.notes)


def test_unknown_columns_are_kept_in_extra(tmp_path: Path) -> None:
    rows, result = import_csv(
        tmp_path,
        'S1,买家,你好,2026-11-01 10:00:00,PC端,"含,逗号"\n',
        header="会话ID,发送方,消息内容,发送时间,来源,备注",
    )
    assert json.loads(rows[0]["extra"]) == {"来源": "PC端", "备注": "含,逗号"}
    assert result.unknown_columns == ["来源", "备注"]


def test_conversations_split_at_idle_gap_when_export_has_no_ids(tmp_path: Path) -> None:
    body = "\n".join(
        f"买家甲,买家,m{i},2026-11-01 {t}" for i, t in enumerate(["10:00:00", "10:10:00", "10:50:00", "11:10:00"])
    )
    rows, _ = import_csv(tmp_path, body + "\n", header="买家昵称,发送方,消息内容,发送时间")
    conversations = [r["conversation_id"] for r in rows]
    assert conversations[0] == conversations[1] != conversations[2] == conversations[3]
    rows_short, _ = import_csv(tmp_path / "b", body + "\n", header="买家昵称,发送方,消息内容,发送时间", parse=_gap(15))
    assert len({r["conversation_id"] for r in rows_short}) == 3


def test_conversation_cut_by_the_end_of_an_export_continues_in_the_next(tmp_path: Path) -> None:
    # Shops export overlapping ranges without conversation ids; the second export continues conversations the
    # first one cut off (including across a month boundary) instead of starting new ones.
    header = "买家昵称,发送方,消息内容,发送时间\n"
    first = [
        ("甲", "a1", "2026-10-31 23:40:00"),
        ("甲", "a2", "2026-10-31 23:50:00"),
        ("乙", "b1", "2026-11-01 08:00:00"),
    ]
    second = [
        ("甲", "a2", "2026-10-31 23:50:00"),
        ("甲", "a3", "2026-11-01 00:05:00"),
        ("甲", "a4", "2026-11-01 02:00:00"),  # after a 115-minute pause: a new conversation
        ("乙", "b0", "2026-11-01 07:45:00"),  # earlier than what is stored, within the gap: the same one
        ("丙", "c1", "2026-11-01 09:00:00"),
    ]
    store = tmp_path / "store"
    for name, rows in (("first", first), ("second", second)):
        path = tmp_path / f"{name}.csv"
        path.write_text(header + "".join(f"{b},买家,{c},{t}\n" for b, c, t in rows), encoding="utf-8")
        assert run_import([path], store, format="pdd-csv").files[0].status == "imported"
    conversation = {r["content"]: r["conversation_id"] for r in messages(store)}
    assert len(conversation) == 7
    assert conversation["a1"] == conversation["a2"] == conversation["a3"] != conversation["a4"]
    assert conversation["b0"] == conversation["b1"]
    assert len(set(conversation.values())) == 4


def test_stored_conversation_ids_from_the_export_are_never_continued(tmp_path: Path) -> None:
    header = "会话ID,买家昵称,发送方,消息内容,发送时间\n"
    store = tmp_path / "store"
    (tmp_path / "a.csv").write_text(header + "S-9,甲,买家,x1,2026-11-01 10:00:00\n", encoding="utf-8")
    (tmp_path / "b.csv").write_text(header + ",甲,买家,x2,2026-11-01 10:05:00\n", encoding="utf-8")
    for name in ("a.csv", "b.csv"):
        run_import([tmp_path / name], store, format="pdd-csv")
    conversation = {r["content"]: r["conversation_id"] for r in messages(store)}
    assert conversation["x1"] == "S-9" and conversation["x2"].startswith("pinduoduo-")


def _gap(minutes: int):
    from chatlog_cli.platforms.base import ParseOptions

    return ParseOptions(session_gap_minutes=minutes)


def test_shop_option_is_stored(tmp_path: Path) -> None:
    rows, _ = import_csv(tmp_path, "S1,1,a,b,买家,文本,你好,2026-11-01 10:00:00,\n", parse=_shop("拼小喵旗舰店"))
    assert rows[0]["shop"] == "拼小喵旗舰店"


def _shop(name: str):
    from chatlog_cli.platforms.base import ParseOptions

    return ParseOptions(shop=name)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('platform = "douyin"\n[columns\nsent_at = "时间"\n', "TOML 语法错误"),
        ('platform = "抖音"\n[columns]\nsent_at = "时间"\n', "platform 须是小写英文标识"),
        ('[columns]\nsent_at = "时间"\nsender = "人"\n', "缺少 content"),
        ('[columns]\nwhen = "时间"\n', "when 不是可用字段"),
        ('[columns]\nsent_at = "t"\ncontent = "c"\nsender = "s"\n[roles]\nclient = ["顾客"]\n', "client 不是可用取值"),
        ('[columns]\nsent_at = "t"\ncontent = "c"\nsender = "s"\n[time]\nformats = ["YYYY-MM-DD"]\n', "strftime"),
        ("colums = 1\n", "不认识的键 colums"),
    ],
)
def test_invalid_mapping_files_name_the_problem(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(MappingFileError) as error:
        load_mapping(path)
    assert message in str(error.value) and "bad.toml" in str(error.value)


def test_mapping_file_errors_give_the_toml_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('platform = "x"\n\n[columns]\nsent_at = 时间\n', encoding="utf-8")
    with pytest.raises(MappingFileError, match="第 4 行"):
        load_mapping(path)


def test_mapping_with_missing_column_in_file_names_it(tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("序号,时间,内容\n1,2026/11/3 9:05,你好\n", encoding="utf-8")
    report = run_import([path], tmp_path / "store", mapping=FIXTURES / "mapped" / "mapping.toml")
    [result] = report.files
    assert result.status == "failed"
    assert "缺少必需的列" in result.error and "发送人" in result.error


def test_excel_date_and_time_cells_in_separate_columns(tmp_path: Path) -> None:
    import datetime as dt

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["日期", "时刻", "内容", "发送人"])
    sheet.append([dt.date(2026, 11, 1), dt.time(8, 5, 7), "你好", "甲"])
    sheet.append([None, None, None, None])  # a blank row is layout, not a message
    sheet.append(["2026-11-01", "08:06:00", "在吗", "甲"])
    path = tmp_path / "split.xlsx"
    workbook.save(path)
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        'platform = "other"\n[columns]\ndate = "日期"\ntime = "时刻"\ncontent = "内容"\nsender = "发送人"\n',
        encoding="utf-8",
    )
    result = run_import([path], tmp_path / "store", mapping=mapping).files[0]
    assert (result.rows_read, result.rejected_rows) == (2, 0)
    rows = messages(tmp_path / "store")
    assert [(r["sent_at"], r["source_line"]) for r in rows] == [
        ("2026-11-01T08:05:07+08:00", 2),
        ("2026-11-01T08:06:00+08:00", 4),
    ]


def test_youzan_configured_column_subset(tmp_path: Path) -> None:
    # Shops choose the exported columns: without 会话ID and 接待客服 the export still imports.
    subset = "客户昵称,发送方,消息内容,消息时间,结束方式\n木子**,客户,在吗,2026-11-01 09:30:00,客服结束\n"
    path = tmp_path / "youzan_subset.csv"
    path.write_text(subset, encoding="utf-8")
    result = run_import([path], tmp_path / "store").files[0]
    assert (result.format, result.messages_added) == ("youzan", 1)
    [row] = messages(tmp_path / "store")
    assert (row["sender_role"], row["buyer"], row["conversation_id"].startswith("youzan-")) == ("buyer", "木子**", True)


def test_youzan_missing_required_column_is_named(tmp_path: Path) -> None:
    path = tmp_path / "youzan_no_time.csv"
    path.write_text("客户昵称,接待客服,发送方,消息内容\n木子**,安安,客户,在吗\n", encoding="utf-8")
    result = run_import([path], tmp_path / "store", format="youzan").files[0]
    assert result.status == "failed"
    assert "缺少必需的列：发送时间" in result.error and "消息时间" in result.error


def _id_workbook(path: Path, ids: list[object]) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "聊天"
    sheet.append(["会话ID", "发送方", "消息内容", "发送时间", "订单编号"])
    for index, value in enumerate(ids):
        sheet.append(["S1", "买家", f"m{index}", f"2026-11-01 08:{index:02d}:00", value])
    workbook.save(path)


def test_text_id_that_looks_like_a_rendered_double_is_not_damaged(tmp_path: Path) -> None:
    # 6912345678901234688 is exactly a double's value; as a text cell it is an intact id.
    path = tmp_path / "ids.xlsx"
    _id_workbook(path, ["6912345678901234688", 6912345678901234567, "1234567890123456789"])
    result = run_import([path], tmp_path / "store", format="pdd-csv").files[0]
    rows = {r["content"]: r for r in messages(tmp_path / "store")}
    assert rows["m0"]["order_id"] is None  # same rendering as the damaged number cell in row 3
    assert rows["m1"]["order_id"] is None
    assert rows["m2"]["order_id"] == "1234567890123456789"
    assert result.damaged_ids == 2


def test_xlsx_number_scan_finds_numbers_across_chunk_boundaries(tmp_path: Path, monkeypatch: Any) -> None:
    from chatlog_cli.io import xlsx_numbers
    from chatlog_cli.io.sources import expand_inputs

    path = tmp_path / "many.xlsx"
    numbers = [6912345678901234567 + 4096 * i for i in range(300)]
    _id_workbook(path, [*numbers, "6912345678901234688", 12345])
    monkeypatch.setattr(xlsx_numbers, "_CHUNK", 1000)  # cells are cut at chunk ends many times over
    [source], _ = expand_inputs([str(path)])
    found = xlsx_numbers.large_number_values(source, "聊天")
    assert found == {float(n) for n in numbers}
    assert xlsx_numbers.large_number_values(source, "没有这个表") is None


def test_xlsx_number_scan_reads_workbooks_inside_zip_and_declines_other_files(tmp_path: Path) -> None:
    import zipfile

    from chatlog_cli.io.sources import expand_inputs
    from chatlog_cli.io.xlsx_numbers import large_number_values

    book = tmp_path / "ids.xlsx"
    _id_workbook(book, [6912345678901234567])
    archive = tmp_path / "exports.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(book, "导出/ids.xlsx")
    [member], _ = expand_inputs([str(archive)])
    assert large_number_values(member, "聊天") == {6912345678901234567.0}
    csv_file = tmp_path / "a.csv"
    csv_file.write_text("a,b\n1,2\n", encoding="utf-8")
    [plain], _ = expand_inputs([str(csv_file)])
    assert large_number_values(plain, "Sheet1") is None


def test_workbooks_without_a_readable_sheet_xml_fall_back_to_a_typed_reread(tmp_path: Path, monkeypatch: Any) -> None:
    # .xls and .ods have no sheet XML to scan: number cells are then found by re-reading the column typed.
    from chatlog_cli.io import tabular

    monkeypatch.setattr(tabular, "large_number_values", lambda source, sheet: None)
    path = tmp_path / "ids.xlsx"
    _id_workbook(path, ["6912345678901234688", 6912345678901234567])
    result = run_import([path], tmp_path / "store", format="pdd-csv").files[0]
    rows = {r["content"]: r for r in messages(tmp_path / "store")}
    assert rows["m0"]["order_id"] == "6912345678901234688"  # the typed read tells text from number cells
    assert rows["m1"]["order_id"] is None
    assert result.damaged_ids == 1


def test_real_old_excel_xls_is_read(tmp_path: Path) -> None:
    # tests/fixtures/pinduoduo/old_excel.xls is a genuine OLE2 (Excel 97-2003) file, written once with xlwt
    # (not a dependency): text cells, a date-formatted time cell and an order id typed as a number.
    result = run_import([FIXTURES / "pinduoduo" / "old_excel.xls"], tmp_path / "store").files[0]
    assert (result.format, result.status, result.messages_added, result.damaged_ids) == ("pdd-csv", "imported", 3, 1)
    rows = messages(tmp_path / "store")
    assert [r["sent_at"] for r in rows] == [
        "2026-11-01T10:00:00+08:00",
        "2026-11-01T10:00:30+08:00",
        "2026-11-01T10:01:00+08:00",  # an Excel date cell, not text
    ]
    assert rows[0]["order_id"] == "231101-123456789012345" and rows[0]["content"] == "你好，请问什么时候发货？"
    assert rows[2]["order_id"] is None and json.loads(rows[2]["extra"]) == {"damaged_order_id": "6.91234567890123E+18"}


def test_csv_rows_keep_their_numbers_around_malformed_and_multi_line_rows(tmp_path: Path) -> None:
    """A malformed row is rejected with its row number, and the rows after it keep theirs (not shifted up)."""
    path = tmp_path / "pdd.csv"
    path.write_text(
        "会话ID,买家ID,买家昵称,客服账号,发送方,消息类型,消息内容,发送时间,订单编号\n"
        'S1,1,a,店-小美,买家,文本,"在吗\n你好",2026-11-01 10:00:00,\n'
        "S1,1,a,店-小美,买家,文本,少一列,2026-11-01 10:00:01\n"
        "S1,1,a,店-小美,客服,文本,好的,2026-11-01 10:00:02,\n",
        encoding="utf-8",
    )
    run_import([path], tmp_path / "store", format="pdd-csv")
    rows = {r["content"]: r["source_line"] for r in messages(tmp_path / "store")}
    assert rows == {"在吗\n你好": 2, "好的": 4}
    from chatlog_cli.store import Store

    rejects = Store.open(tmp_path / "store").read_rejects().to_pylist()
    assert [(r["source_line"], r["reason_code"]) for r in rejects] == [(3, "bad_row")]


def _parse(path: Path, format_name: str = "pdd-csv") -> tuple[list[dict[str, Any]], Any]:
    """Parse without a store: the staged rows (in order) and the `Parsed` with its rejects and stats."""
    import pyarrow as pa

    from chatlog_cli.io.sources import expand_inputs
    from chatlog_cli.platforms import get_format
    from chatlog_cli.platforms.base import ParseOptions, Sample

    [source], _ = expand_inputs([str(path)])
    parsed = get_format(format_name).parse(Sample(source), ParseOptions())
    batches = list(parsed.batches)
    rows = pa.Table.from_batches(batches).to_pylist() if batches else []
    return rows, parsed


def _write_csv(path: Path, rows: list[list[str]], *, bom: bool = True, encoding: str = "utf-8") -> None:
    import csv
    import io

    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows(rows)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.getvalue().encode(encoding))


NASTY_HEADER = [*HEADER.split(","), "备注"]


def test_cells_are_cleaned_trimmed_and_blank_cells_become_null(tmp_path: Path) -> None:
    """Unicode padding, control characters, CR line ends and whitespace-only cells (BOM, CRLF rows)."""
    path = tmp_path / "nasty.csv"
    time = "2026-11-01 10:00:0"
    rows = [
        ["S1", "1", "\u3000买家甲\u00a0", "店-小美\u2003", "\u3000买家 ", "文本", "\u2028你好\u0085", f"{time}0", ""],
        ["S1", "1", "买家甲", "店-小美", "客服", " 文本", "控制\x03字符\x7f", f"{time}1", " "],
        ["S1", "1", "买家甲", "店-小美", "客服", "", "中间\u00a0空\u3000格\u202f", f"\ufeff{time}2", ""],
        ["S1", "1", "买家甲", "店-小美", "买家", "", "在吗\r\n你好\r裸回车", f"{time}3", ""],
        ["S1", "1", "买家甲", "店-小美", "买家", "\u3000", " \u3000\u00a0\t", f"{time}4", ""],
        ["S1", "1", "买家甲", "店-小美", "买家", "文本", "没有时间", "\u3000", ""],
    ]
    notes = ['a\\b "q"\t', "\u3000", "x\ny", "", "", ""]
    _write_csv(path, [NASTY_HEADER, *([*row, note] for row, note in zip(rows, notes, strict=True))])
    rows, parsed = _parse(path)
    assert [(r["source_line"], r["content"]) for r in rows] == [
        (2, "你好"), (3, "控制字符"), (4, "中间 空 格"), (5, "在吗\n你好\n裸回车")
    ]  # fmt: skip
    first = rows[0]
    assert (first["buyer"], first["agent"], first["sender_role"], first["msg_type"]) == (
        "买家甲",
        "店-小美",
        "buyer",
        "text",
    )
    assert json.loads(first["extra"]) == {"备注": 'a\\b "q"'}
    assert rows[1]["extra"] is None and rows[1]["order_id"] is None and rows[1]["msg_type"] == "text"
    assert (
        json.loads(rows[2]["extra"]) == {"备注": "x\ny"}
        and rows[2]["sent_at"].isoformat() == "2026-11-01T10:00:02+08:00"
    )
    assert [(r.source_line, r.reason_code) for r in parsed.rejects] == [(6, "empty_message"), (7, "missing_time")]
    assert parsed.stats.rows_read == 6 and parsed.stats.unknown_columns == ["备注"]


def test_gbk_and_utf8_exports_parse_the_same(tmp_path: Path) -> None:
    body = [
        NASTY_HEADER,
        ["S1", "1", "买家甲\u3000", "店-小美", "买家", "文本", "你好，在吗？", "2026/11/1 8:05:07", "1.23E+18", "备注"],
        ["S1", "1", "买家甲", "店-小美", "客服", "文本", "在的亲", "2026-11-01 08:06:00", "", ""],
    ]
    _write_csv(tmp_path / "utf8.csv", body)
    _write_csv(tmp_path / "gbk.csv", body, bom=False, encoding="gb18030")
    utf8, utf8_parsed = _parse(tmp_path / "utf8.csv")
    gbk, gbk_parsed = _parse(tmp_path / "gbk.csv")
    assert [{k: v for k, v in r.items() if k != "source_file"} for r in utf8] == [
        {k: v for k, v in r.items() if k != "source_file"} for r in gbk
    ]
    assert utf8[0]["buyer"] == "买家甲" and utf8[0]["sent_at"].isoformat() == "2026-11-01T08:05:07+08:00"
    assert utf8_parsed.stats.damaged_ids == gbk_parsed.stats.damaged_ids == 1


def test_damaged_order_ids_are_moved_to_extra(tmp_path: Path) -> None:
    ids = [
        "1.23E+18",
        "6.91235e+18",
        "123456789012345000",
        "6912345678901234567",
        "12E5",
        "1.5",
        "231101-123456789012345",
    ]
    body = "".join(f"S1,1,a,b,买家,文本,m{i},2026-11-01 10:00:{i:02d},{v}\n" for i, v in enumerate(ids))
    rows, result = import_csv(tmp_path, body)
    got = {r["content"]: (r["order_id"], json.loads(r["extra"] or "{}").get("damaged_order_id")) for r in rows}
    assert got == {
        "m0": (None, "1.23E+18"),
        "m1": (None, "6.91235e+18"),
        "m2": (None, "123456789012345000"),
        "m3": ("6912345678901234567", None),
        "m4": ("12E5", None),
        "m5": ("1.5", None),
        "m6": ("231101-123456789012345", None),
    }
    assert result.damaged_ids == 3


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_malformed_rows_keep_their_numbers_when_read_in_many_blocks(
    tmp_path: Path, monkeypatch: Any, encoding: str
) -> None:
    """The multi-threaded read hands out rows until a malformed one appears, then the numbered read takes over.

    With tiny blocks the first read has handed out several batches by then; row numbers and rejects must be
    exactly those of a single-threaded read either way. (A GB18030 file's first read is of bytes, stopped by
    the malformed row instead of reporting it.)
    """
    from chatlog_cli.io import tabular

    header = "标题行,,\n" + HEADER + "\n"
    lines = []
    for i in range(80):
        if i in (0, 50, 79):
            lines.append(f"S1,1,a,b,买家,文本,坏{i},2026-11-01 10:00:00\n")  # one column short
        elif i == 10:
            lines.append(f'S1,1,a,b,买家,文本,"多行\r\n第{i}条",2026-11-01 10:{i // 60:02d}:{i % 60:02d},\n')
        else:
            lines.append(f"S1,1,a,b,买家,文本,第{i}条,2026-11-01 10:{i // 60:02d}:{i % 60:02d},\n")
    path = tmp_path / "blocks.csv"
    path.write_text(header + "".join(lines), encoding=encoding)
    expected_lines = [i + 3 for i in range(80) if i not in (0, 50, 79)]

    default_rows, default_parsed = _parse(path)
    calls: list[int] = []
    numbered = tabular.CsvSheet._numbered_batches

    def spy(self: Any, headers: Any, header_index: int, on_bad_row: Any, skip: int) -> Any:
        calls.append(skip)
        return numbered(self, headers, header_index, on_bad_row, skip)

    monkeypatch.setattr(tabular, "_CSV_BLOCK_BYTES", 256)
    monkeypatch.setattr(tabular.CsvSheet, "_numbered_batches", spy)
    small_rows, small_parsed = _parse(path)
    assert calls and all(skip < 77 for skip in calls)
    for rows, parsed in ((default_rows, default_parsed), (small_rows, small_parsed)):
        assert [r["source_line"] for r in rows] == expected_lines
        assert rows[9]["content"] == "多行\n第10条"
        assert [(r.source_line, r.reason_code) for r in parsed.rejects] == [
            (3, "bad_row"),
            (53, "bad_row"),
            (82, "bad_row"),
        ]
        assert parsed.stats.rows_read == 77


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_clean_files_are_read_without_the_numbered_fallback(tmp_path: Path, monkeypatch: Any, encoding: str) -> None:
    from chatlog_cli.io import tabular

    def fail(*args: Any) -> Any:
        raise AssertionError("no malformed row: the numbered read must not run")

    monkeypatch.setattr(tabular, "_CSV_BLOCK_BYTES", 256)
    monkeypatch.setattr(tabular.CsvSheet, "_numbered_batches", fail)
    path = tmp_path / "clean.csv"
    path.write_text(
        HEADER + "\n" + "".join(f"S1,1,a,b,买家,文本,第{i}条,2026-11-01 10:00:{i % 60:02d},\n" for i in range(50)),
        encoding=encoding,
    )
    rows, parsed = _parse(path)
    assert [r["source_line"] for r in rows] == list(range(2, 52)) and not parsed.rejects


def test_gb18030_csv_split_as_bytes_reads_as_decoded_text(
    tmp_path: Path, monkeypatch: Any, batches_decoded_as_bytes: list[int]
) -> None:
    """Cells split from the bytes and decoded a column at a time are the cells of the decoded file."""
    import random

    from chatlog_cli.io import tabular

    rng = random.Random(8)
    pieces = ["您好", "退款", "😀", "𠀀", "·é€", "abc", "\r\n", ",", '"', " ", "\u3000", "1234567890123456789"]
    rows = [NASTY_HEADER]
    for i in range(600):
        role = rng.choice(["买家", "客服", "机器人", ""])
        content = "".join(rng.choice(pieces) for _ in range(rng.randrange(0, 8)))
        order = rng.choice(["", "231101-123456789012345", "订单"])
        note = rng.choice(["", "备注" * rng.randrange(3)])
        sent = f"2026-11-01 10:{i // 60 % 60:02d}:{i % 60:02d}"
        rows.append([f"S{i // 9}", str(i // 9), f"买家{i // 9}", "店-小美", role, "文本", content, sent, order, note])
    path = tmp_path / "gb.csv"
    _write_csv(path, rows, bom=False, encoding="gb18030")
    monkeypatch.setattr(tabular, "_CSV_BLOCK_BYTES", 2048)
    as_bytes, as_bytes_parsed = _parse(path)
    assert sum(batches_decoded_as_bytes) == 600 and len(batches_decoded_as_bytes) > 5
    monkeypatch.setattr(tabular, "splits_as_bytes", lambda encoding, delimiter: False)
    as_text, as_text_parsed = _parse(path)
    assert as_bytes == as_text and len(as_text) > 400
    assert as_bytes_parsed.rejects == as_text_parsed.rejects and as_bytes_parsed.stats == as_text_parsed.stats


def test_workbook_cells_are_cleaned_and_blank_rows_skipped(tmp_path: Path, monkeypatch: Any) -> None:
    import datetime as dt

    from chatlog_cli.io import tabular

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["有赞历史会话明细"])
    sheet.append(["会话ID", "客户昵称", "接待客服", "发送方", "消息内容", "消息时间", "会话来源", "订单号"])
    sheet.append(["C1", "\u3000木子**\u00a0", "安安", " 客户", "在吗\u2003", dt.datetime(2026, 11, 1, 9, 30), "微信"])
    sheet.append([])
    sheet.append(["C1", "木子**", "安安", "客服", " \u3000 ", "2026-11-01 09:31:00", None, "\u3000"])
    sheet.append(["C1", "木子**", "安安", "客服", "在的\t", " 2026/11/1 9:32 ", " ", "1.23E+18"])
    path = tmp_path / "youzan.xlsx"
    workbook.save(path)
    rows, parsed = _parse(path, "youzan")
    assert [(r["source_line"], r["content"], r["buyer"], r["sender_role"], r["extra"]) for r in rows] == [
        (3, "在吗", "木子**", "buyer", '{"会话来源":"微信"}'),
        (6, "在的", "木子**", "agent", '{"damaged_order_id":"1.23E+18"}'),
    ]
    assert [r["sent_at"].isoformat() for r in rows] == ["2026-11-01T09:30:00+08:00", "2026-11-01T09:32:00+08:00"]
    assert [(r.source_line, r.reason_code) for r in parsed.rejects] == [(5, "empty_message")]
    assert parsed.stats.damaged_ids == 1
    # Batches of a sheet are slices sharing the columns' buffers: each must see only its own cells.
    monkeypatch.setattr(tabular, "_SHEET_BATCH_ROWS", 1)
    assert _parse(path, "youzan")[0] == rows


def _clean_reference(values: Any) -> Any:
    """clean_strings as plain Arrow kernel passes over every value (what the byte-level checks must equal)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from chatlog_cli.io.decode import CONTROL_CHARS_PATTERN

    values = pc.replace_substring(pc.replace_substring(values, "\r\n", "\n"), "\r", "\n")
    values = pc.replace_substring_regex(values, CONTROL_CHARS_PATTERN, "")
    values = pc.replace_substring_regex(values, "[\u00a0\u202f\u3000\ufeff]", " ")
    values = pc.utf8_trim_whitespace(values)
    return pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.string()), values)


def test_clean_strings_equals_the_plain_kernels_for_every_character() -> None:
    import pyarrow as pa

    from chatlog_cli.platforms.normalize import clean_strings

    every = [chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000]
    shapes = (lambda ch: ch, lambda ch: ch + "x", lambda ch: "中" + ch, lambda ch: ch + "文" + ch)
    for shape in shapes:
        values = pa.array([shape(ch) for ch in every])
        assert clean_strings(values).equals(_clean_reference(values))
    # Each whitespace or unclean character alone in an otherwise clean column (the checks must not miss it),
    # in tiny arrays and slices that share a buffer.
    odd = [*"\t\n\x0b\x0c\r\x1c\x1f \x85\xa0\u1680\u2000\u2005\u200a\u2028\u2029\u202f\u205f\u3000\ufeff\x03\x7f"]
    for ch in odd:
        for values in (
            pa.array([ch]),
            pa.array(["中文", f"a{ch}", "b"]),
            pa.array([f"{ch}中", None, ""]),
            pa.array(["abc", f"x{ch}y", "z"]).slice(1, 1),
            pa.array(["ab", "c", f"{ch}"]).slice(1),
        ):
            assert clean_strings(values).equals(_clean_reference(values)), (hex(ord(ch)), values)
    chunked = pa.chunked_array([pa.array([" a", None]), pa.array(["", "b\u3000"])])
    assert clean_strings(chunked).to_pylist() == ["a", None, None, "b"]
    assert clean_strings(pa.nulls(3)).type == pa.string()


def test_parse_times_canonical_fast_path_keeps_strptime_results() -> None:
    import pyarrow as pa

    from chatlog_cli.platforms.normalize import parse_times

    def iso(values: list[str | None], formats: tuple[str, ...] = ()) -> list[str | None]:
        parsed = parse_times(pa.array(values, pa.string()), formats).to_pylist()
        return [None if v is None else v.isoformat() for v in parsed]

    assert iso(["2026-11-01 10:00:00", None, "2024-02-29 23:59:59"]) == [
        "2026-11-01T10:00:00+08:00", None, "2024-02-29T23:59:59+08:00"
    ]  # fmt: skip
    # strptime reads impossible dates and seconds leniently; the ISO cast would refuse them.
    assert iso(["2026-02-30 10:00:00", "2026-11-01 10:00:60"]) == [
        "2026-03-02T10:00:00+08:00",
        "2026-11-01T10:01:00+08:00",
    ]
    assert iso(["2026-11-01 24:00:00", "2026-11-01 1a:00:00"]) == [None, None]
    # Shapes the cast would accept but the default formats do not mean (a bare date), or mean otherwise.
    assert iso(["2026-11-01", "2026-11-01 10:00:00Z"]) == [None, None]
    assert iso([" 2026/11/01 10:00:00\u3000", "2026-11-01T10:00:00"]) == [
        "2026-11-01T10:00:00+08:00", "2026-11-01T10:00:00+08:00"
    ]  # fmt: skip
    # A user's format comes first, even where the canonical shape would parse.
    assert iso(["2026-01-02 10:00:00"], ("%Y-%d-%m %H:%M:%S",)) == ["2026-02-01T10:00:00+08:00"]


def test_classify_scatters_typed_messages_in_place() -> None:
    import pyarrow as pa

    from chatlog_cli.platforms.content import classify

    content = pa.array(["你好", "[图片]", None, "对方撤回了一条消息", "https://example.com/a", "订单号：123456"])
    expected = ["text", "image", "other", "recall", "link", "text"]
    assert classify(content).to_pylist() == expected
    assert classify(pa.chunked_array([content.slice(0, 2), content.slice(2)])).to_pylist() == expected
    assert classify(content.slice(1, 3)).to_pylist() == expected[1:4]


def test_type_column_words_win_and_content_types_only_the_rest() -> None:
    import pyarrow as pa

    from chatlog_cli.platforms.tabular import TabularFormat

    content = pa.array(["[图片]", "[图片]", "https://example.com/a", "你好", None])
    column = pa.array(["text", None, None, "image", None])  # the type column's words, already mapped
    typed = TabularFormat._typed
    assert typed(column, content).to_pylist() == ["text", "image", "link", "image", "other"]
    assert typed(None, content).to_pylist() == ["image", "image", "link", "text", "other"]
    full = pa.array(["text", "image", "text", "text", "other"])
    assert typed(full, content).to_pylist() == full.to_pylist()


def test_damaged_id_mask_on_slices_sharing_a_buffer() -> None:
    import pyarrow as pa

    from chatlog_cli.platforms.normalize import damaged_id_mask

    ids = pa.array(["1", "1.2E+18", None, "x", "123456789012345000", "E", "", "9e5"])
    damaged = [v is not None and v in ("1.2E+18", "123456789012345000", "9e5") for v in ids.to_pylist()]
    for start in range(len(ids) + 1):
        for length in range(len(ids) - start + 1):
            assert damaged_id_mask(ids.slice(start, length)).to_pylist() == damaged[start : start + length]


def test_clean_text_equals_one_translation_of_every_odd_space() -> None:
    """clean_text replaces only the odd spaces present; the result is what a full `str.translate` gives."""
    import random

    from chatlog_cli.io.decode import _CONTROL_RE, _SPACE_TRANSLATION, clean_text

    rng = random.Random(3)
    pieces = ["a", "在", "\u3000", "\xa0", "\u202f", "\ufeff", "\r", "\n", "\r\n", "\x00", " ", "\t", "\x85"]
    for _ in range(20_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        lines = text.replace("\r\n", "\n").replace("\r", "\n")
        assert clean_text(text) == _CONTROL_RE.sub("", lines).translate(_SPACE_TRANSLATION)


def test_workbook_sheets_from_the_workbook_part_are_calamines_visible_worksheets(tmp_path: Path) -> None:
    import python_calamine

    from chatlog_cli.io.sources import expand_inputs
    from chatlog_cli.io.tabular import _xlsx_sheet_names, workbook_sheets

    book = openpyxl.Workbook()
    book.active.title = "聊天记录"
    book.create_sheet("隐藏").sheet_state = "hidden"
    book.create_sheet("深藏").sheet_state = "veryHidden"
    book.create_chartsheet("图表")
    book.create_sheet("买家 2")
    path = tmp_path / "book.xlsx"
    book.save(path)
    source = expand_inputs([str(path)])[0][0]
    with path.open("rb") as handle:
        metadata = python_calamine.CalamineWorkbook.from_filelike(handle).sheets_metadata
    calamine = [m.name for m in metadata if str(m.visible).endswith("Visible") and str(m.typ).endswith("WorkSheet")]
    assert calamine == ["聊天记录", "买家 2"]
    assert _xlsx_sheet_names(source) == calamine
    assert [sheet.name for sheet in workbook_sheets(source)] == calamine
    not_a_workbook = tmp_path / "old.xls"
    not_a_workbook.write_bytes(b"\xd0\xcf\x11\xe0" + bytes(508))
    assert _xlsx_sheet_names(expand_inputs([str(not_a_workbook)])[0][0]) is None


def test_nick_prefixes_are_cut_as_the_regex_alternation_would() -> None:
    import dataclasses
    import re

    import pyarrow as pa
    import pyarrow.compute as pc

    from chatlog_cli.platforms.taobao import TAOBAO_MESSAGES

    nicks = pa.array(["cntaobaotb1", "cnx", "cntaobao", None, "tb2", "小cn", "", "cnt", "cntaobao测试"])
    for prefixes in (("cntaobao",), ("cn", "cntaobao"), ("cntaobao", "cn"), ("zz",)):
        form = dataclasses.replace(TAOBAO_MESSAGES, nick_prefixes=prefixes)
        pattern = "^(?:" + "|".join(re.escape(p) for p in prefixes) + ")"
        assert form._nick(nicks).to_pylist() == pc.replace_substring_regex(nicks, pattern, "").to_pylist()
    everyone = pa.array(["cntaobaoa", "cntaobaob"])
    assert TAOBAO_MESSAGES._nick(everyone).to_pylist() == ["a", "b"]
