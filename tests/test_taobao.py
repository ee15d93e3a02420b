"""Taobao per-message spreadsheet specifics: per-buyer sheets, summary sheet, roles without a role column."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from conftest import messages, run_import


def test_per_buyer_sheets_summary_skipped_and_roles_from_nicks(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    summary = workbook.active
    summary.title = "导出汇总"
    summary.append(["导出时间", "2026-11-20"])
    summary.append(["买家数", 2])
    for buyer in ("cntaobaotb111", "cntaobaotb222"):
        sheet = workbook.create_sheet(buyer[-5:])
        sheet.append(["聊天记录查询"])  # page chrome above the header
        sheet.append(["客户名", "消息序号", "发送时间", "发送内容", "发送账号"])
        sheet.append([buyer, 1, "2026-11-03 10:00:00", "在吗", buyer])
        sheet.append([buyer, 2, "2026-11-03 10:00:30", "在的亲", "云裳旗舰店:小美"])
        sheet.append([buyer, 3, "2026-11-03 10:01:00", "亲，欢迎光临", "店小蜜机器人"])
        sheet.append([buyer, 4, "2026-11-03 10:02:00", "好的", "云裳旗舰店"])  # main account: not inferable
    path = tmp_path / "千牛聊天记录.xlsx"
    workbook.save(path)
    result = run_import([path], tmp_path / "store").files[0]
    assert (result.format, result.messages_added, result.rejected_rows) == ("taobao-sheet", 8, 0)
    assert any("导出汇总" in reason for reason in result.skipped)
    assert result.unknown_roles == 2
    rows = messages(tmp_path / "store")
    roles = {(r["buyer"], r["sender"]): r["sender_role"] for r in rows}
    assert roles[("tb111", "tb111")] == "buyer"
    assert roles[("tb111", "云裳旗舰店:小美")] == "agent"
    assert roles[("tb111", "店小蜜机器人")] == "bot"
    assert roles[("tb111", "云裳旗舰店")] == "unknown"
    assert {r["source_line"] for r in rows if r["content"] == "在吗"} == {3}


def test_account_txt_skips_group_chats_and_counts_them(tmp_path: Path) -> None:
    from conftest import FIXTURES

    result = run_import([FIXTURES / "taobao" / "account.txt"], tmp_path / "store").files[0]
    assert (result.format, result.encoding, result.messages_added) == ("taobao-txt", "gb18030", 8)
    assert result.skipped == {"群聊消息（暂不导入）": 1}
    assert result.unknown_roles == 0


def test_same_messages_as_txt_and_as_spreadsheet_share_ids(tmp_path: Path) -> None:
    from conftest import FIXTURES

    sheet = tmp_path / "same.csv"
    sheet.write_text(
        "客户名,发送时间,发送内容,发送账号,账号类型\n"
        "cntaobaotb123456789,2026-11-05 10:00:00,在吗,cntaobaotb123456789,客户\n"
        'cntaobaotb123456789,2026-11-05 10:00:05,"您好，在的\n请问有什么可以帮您",云裳旗舰店:小美,客服\n',
        encoding="utf-8",
    )
    run_import([FIXTURES / "taobao" / "account.txt"], tmp_path / "store")
    again = run_import([sheet], tmp_path / "store").files[0]
    assert (again.format, again.rows_read, again.messages_added, again.duplicates_skipped) == ("taobao-sheet", 2, 0, 2)


# One row per buyer, the whole conversation in one cell (taobao-conversation-sheet)

CONVERSATION_CELL = "\n".join(
    [
        "聊天记录查询",
        "2026-11-05",
        "10:00:00",
        "在吗",
        "cntaobaotb123456789",
        "10:00:05",
        "您好，在的",
        "请问有什么可以帮您",
        "云裳旗舰店:小美",
        "10:01:00",
        "请在客户端查看原始聊天记录，网页版无法展示",
        "cntaobaotb123456789",
        "10:01:30",
        "这个裙子(夏款)有M码吗",
        "cntaobaotb123456789",
        "没有更多内容了",
    ]
)


def test_split_cell_exact_messages_chrome_and_end_marker() -> None:
    from chatlog_cli.platforms.taobao_conversation import CellMessage, split_cell

    cell = split_cell(CONVERSATION_CELL, None, "tb123456789")
    assert cell.messages == [
        CellMessage("2026-11-05 10:00:00", "tb123456789", "在吗"),
        CellMessage("2026-11-05 10:00:05", "云裳旗舰店:小美", "您好，在的\n请问有什么可以帮您"),
        CellMessage("2026-11-05 10:01:00", "tb123456789", "请在客户端查看原始聊天记录，网页版无法展示"),
        CellMessage("2026-11-05 10:01:30", "tb123456789", "这个裙子(夏款)有M码吗"),
    ]
    assert (cell.problems, cell.chrome_lines, cell.end_markers) == ([], 1, 1)


def test_split_cell_date_change_mid_conversation_and_row_date_default() -> None:
    from chatlog_cli.platforms.taobao_conversation import split_cell

    text = "23:59:58\n还在吗\n花开2024(上海)\n2026-11-06\n00:00:03\n在的\n云裳旗舰店:阿杰\n没有更多内容了"
    cell = split_cell(text, "2026-11-05", "花开2024(上海)")
    assert [(m.sent_at, m.sender, m.content) for m in cell.messages] == [
        ("2026-11-05 23:59:58", "花开2024(上海)", "还在吗"),
        ("2026-11-06 00:00:03", "云裳旗舰店:阿杰", "在的"),
    ]
    assert cell.problems == []


def test_split_cell_problems_are_reported_not_dropped() -> None:
    from chatlog_cli.platforms.taobao_conversation import split_cell

    assert [p.code for p in split_cell("只有一句话，没有时间", "2026-11-05").problems] == ["no_timestamp"]
    assert [p.code for p in split_cell("10:00:00\n在吗\ntb1", None).problems] == ["missing_date"]
    one_line = split_cell("10:00:00\n在吗\ntb1\n10:00:09\ntb1\n没有更多内容了\n尾巴", "2026-11-05", "tb1")
    assert [m.content for m in one_line.messages] == ["在吗"]
    assert [p.code for p in one_line.problems] == ["outside_message", "bad_message"]
    assert split_cell("25:00:00\n在吗\ntb1", "2026-11-05").problems[0].code == "bad_time"
    # Sender before content (another layout): the whole cell is rejected rather than read with swapped fields.
    swapped = split_cell("10:00:00\ntb1\n在吗\n10:00:05\n云裳旗舰店:小美\n在的", "2026-11-05", "tb1")
    assert (swapped.messages, [p.code for p in swapped.problems]) == ([], ["sender_first"])


def _conversation_workbook(path: Path) -> None:
    import datetime as dt

    workbook = openpyxl.Workbook()
    summary = workbook.active
    summary.title = "导出汇总"
    summary.append(["导出时间", "2026-11-20"])
    first = workbook.create_sheet("第1页")
    first.append(["聊天记录查询"])
    first.append(["查询结果"])
    first.append(["客户昵称", "聊天日期", "会话内容"])  # header on row 3, aliases of 买家/日期/聊天记录
    cell = "10:00:00\n在吗\ncntaobaotb111\n10:00:30\n在的亲\n云裳旗舰店:小美\n没有更多内容了"
    first.append(["cntaobaotb111", dt.datetime(2026, 11, 3), cell])  # an Excel date cell
    first.append(["账号信息保护显示"])  # chrome row below the header
    first.append(["客户昵称", "聊天日期", "会话内容"])  # a second page pasted below: its header repeats
    second = workbook.create_sheet("第2页")
    second.append(["会话内容", "买家昵称"])  # other column order, no date column
    second.append(["2026-11-04\n20:00:00\n发货了吗\ntb222\n20:01:00\n亲，今天发\n店小蜜\n没有更多内容了", "tb222"])
    second.append(["这一格没有时间行", "tb333"])
    workbook.save(path)


def test_conversation_workbook_aliases_sheets_chrome_and_rejects(tmp_path: Path) -> None:
    path = tmp_path / "千牛聊天记录_按买家.xlsx"
    _conversation_workbook(path)
    store = tmp_path / "store"
    result = run_import([path], store).files[0]
    assert result.format == "taobao-conversation-sheet"
    assert (result.messages_added, result.rejected_rows, result.rows_read) == (4, 1, 5)
    assert result.skipped == {
        "工作表“导出汇总”没有聊天记录表头，已跳过": 1,
        "网页残留文字（聊天记录查询、查询结果、客户昵称、员工账号等，已过滤）": 1,
        "结束标记“没有更多内容了”（已过滤）": 2,
        "重复的表头行（已跳过）": 1,
    }
    rows = messages(store)
    assert [(r["sent_at"], r["sender"], r["sender_role"], r["content"], r["source_line"]) for r in rows] == [
        ("2026-11-03T10:00:00+08:00", "tb111", "buyer", "在吗", 4),
        ("2026-11-03T10:00:30+08:00", "云裳旗舰店:小美", "agent", "在的亲", 4),
        ("2026-11-04T20:00:00+08:00", "tb222", "buyer", "发货了吗", 2),
        ("2026-11-04T20:01:00+08:00", "店小蜜", "bot", "亲，今天发", 2),
    ]
    assert {r["buyer"] for r in rows} == {"tb111", "tb222"}
    from chatlog_cli.store import Store

    rejects = Store.open(store).read_rejects().to_pylist()
    assert [(r["source_file"].rsplit("#", 1)[1], r["source_line"], r["reason_code"]) for r in rejects] == [
        ("第2页", 3, "no_timestamp")
    ]


def test_conversation_csv_in_gbk_and_utf8_bom(tmp_path: Path) -> None:
    text = '买家,日期,聊天记录\ntb1,2026-11-05,"10:00:00\n在吗\ntb1\n10:00:05\n您好\n云裳旗舰店:小美\n没有更多内容了"\n'
    for name, data in (("gbk.csv", text.encode("gbk")), ("bom.csv", b"\xef\xbb\xbf" + text.encode("utf-8"))):
        path = tmp_path / name
        path.write_bytes(data)
        result = run_import([path], tmp_path / f"store-{name}").files[0]
        assert (result.format, result.messages_added, result.rejected_rows) == ("taobao-conversation-sheet", 2, 0)
        assert [r["content"] for r in messages(tmp_path / f"store-{name}")] == ["在吗", "您好"]


def test_same_messages_in_all_three_shapes_share_ids(tmp_path: Path) -> None:
    """Account TXT, per-message sheet and one-row-per-buyer sheet: each message is stored once."""
    from conftest import FIXTURES

    per_message = tmp_path / "per_message.csv"
    per_message.write_text(
        "客户名,发送时间,发送内容,发送账号,账号类型\n"
        "cntaobaotb123456789,2026-11-05 10:00:00,在吗,cntaobaotb123456789,客户\n"
        'cntaobaotb123456789,2026-11-05 10:00:05,"您好，在的\n请问有什么可以帮您",云裳旗舰店:小美,客服\n',
        encoding="utf-8",
    )
    workbook = openpyxl.Workbook()
    workbook.active.append(["买家", "日期", "聊天记录"])
    workbook.active.append(["cntaobaotb123456789", "2026-11-05", CONVERSATION_CELL])
    per_buyer = tmp_path / "per_buyer.xlsx"
    workbook.save(per_buyer)

    store = tmp_path / "store"
    txt = run_import([FIXTURES / "taobao" / "account.txt"], store).files[0]
    assert txt.messages_added == 8
    ids_before = {r["message_id"] for r in messages(store)}
    again = run_import([per_buyer], store).files[0]
    assert again.format == "taobao-conversation-sheet"
    assert (again.rows_read, again.messages_added, again.duplicates_skipped) == (4, 0, 4)
    sheet = run_import([per_message], store).files[0]
    assert (sheet.format, sheet.messages_added, sheet.duplicates_skipped) == ("taobao-sheet", 0, 2)
    assert {r["message_id"] for r in messages(store)} == ids_before

    # And the other way round: the one-row-per-buyer sheet first, then the TXT adds only its other buyer.
    other = tmp_path / "other"
    run_import([per_buyer], other)
    first_ids = {r["message_id"] for r in messages(other)}
    txt_again = run_import([FIXTURES / "taobao" / "account.txt"], other).files[0]
    assert (txt_again.messages_added, txt_again.duplicates_skipped) == (4, 4)
    assert first_ids <= ids_before


def test_message_manager_main_account_replies_are_the_shop_not_a_second_buyer(tmp_path: Path) -> None:
    path = tmp_path / "消息记录.txt"
    path.write_text(
        "即时消息\n\n2026-11-05\n"
        "2026-11-05 10:00:00 tb123456789: 在吗\n"
        "2026-11-05 10:00:05 云裳旗舰店:小美: 您好，在的\n"
        "2026-11-05 10:01:00 云裳旗舰店: 亲，已经在派送了\n"
        "2026-11-05 10:02:00 tb123456789: 好的谢谢\n",
        encoding="utf-8",
    )
    [result] = run_import([path], tmp_path / "store").files
    assert (result.format, result.unknown_roles) == ("taobao-im", 0)
    rows = messages(tmp_path / "store")
    assert [(r["sender"], r["sender_role"]) for r in rows] == [
        ("tb123456789", "buyer"),
        ("云裳旗舰店:小美", "agent"),
        ("云裳旗舰店", "agent"),  # the main account: the bare shop nick
        ("tb123456789", "buyer"),
    ]
    assert {r["buyer"] for r in rows} == {"tb123456789"}


# Text exports (taobao-txt, taobao-im): exact rows for awkward lines, whatever the chunking

D28 = "-" * 28
RULE = "=" * 64


def parse_text(
    tmp_path: Path, text: str, format_name: str, *, encoding: str = "utf-8", shop: str | None = None
) -> tuple[list[tuple], object]:
    """Parse without a store: (line, time, sender, role, buyer, content) rows, and the `Parsed` for rejects/stats."""
    import pyarrow as pa

    from chatlog_cli.io.sources import expand_inputs
    from chatlog_cli.platforms import get_format
    from chatlog_cli.platforms.base import ParseOptions, Sample
    from chatlog_cli.schema import STAGING_SCHEMA

    path = tmp_path / "chat.txt"
    path.write_bytes(text.encode(encoding))
    [source], _ = expand_inputs([str(path)])
    parsed = get_format(format_name).parse(Sample(source), ParseOptions(shop=shop))
    table = pa.Table.from_batches(list(parsed.batches), schema=STAGING_SCHEMA)
    rows = [
        (
            r["source_line"],
            r["sent_at"].strftime("%m-%d %H:%M:%S"),
            r["sender"],
            r["sender_role"],
            r["buyer"],
            r["content"],
        )
        for r in table.to_pylist()
    ]
    return rows, parsed


ACCOUNT_TXT = "\n".join(
    [
        "  cntaobao云裳旗舰店:小美  ",
        "导出说明",
        "tb0(2026-11-05 09:00:00):  买家块之前",
        RULE,
        "                              单聊",
        RULE,
        f"{D28}cntaobaotb111{D28}",
        "第一个消息之前",
        "tb111(2026-11-05 10:00:00):  在吗",
        "云裳旗舰店:小美(2026-11-05 10:01:00):  您好，在的",
        "",
        "   ",
        "第二段",
        "2026-11-05 10:02:00 tb111: 像即时消息的行",
        "  ----------------------------tb333----------------------------",
        "-" * 20,
        "",
        f"{D28}小(可爱)**{D28}",
        "小(可爱)**(2026-11-06 21:00:00):  我的快递到哪了",
        "a(b):c(2026-11-06 21:00:01):  文本里有):冒号括号",
        "小(可爱)**(2026-11-06 21:00:02):  完整的(2026-11-06 21:00:03):  锚点",
        "云裳旗舰店(2026-11-06 21:02:00):  亲，已经在派送了",
        "店小蜜(2026-11-06 21:02:01):  亲，还有其他问题吗",
        "别的店:小王(2026-11-06 21:02:02):  ",
        "",
        RULE,
        "                              群聊",
        RULE,
        "某群(2026-11-06 22:00:00):  群消息不导入",
        "群消息续行",
        "",
        "某群(2026-11-06 22:00:01):  群消息2",
        "单聊",
        "回到单聊后的续行",
        "小(可爱)**(2026-11-07 08:00:00):  最后一条",
        "",
        "",
        "  ",
        "",
    ]
)
ACCOUNT_TXT_ROWS = [
    (9, "11-05 10:00:00", "tb111", "buyer", "tb111", "在吗"),
    # Blank and whitespace-only lines are empty lines of the message; header-, block- or rule-like text that is
    # not exactly one of them is content.
    (
        10,
        "11-05 10:01:00",
        "云裳旗舰店:小美",
        "agent",
        "tb111",
        "您好，在的\n\n\n第二段\n2026-11-05 10:02:00 tb111: 像即时消息的行\n"
        "  ----------------------------tb333----------------------------\n--------------------",
    ),
    (19, "11-06 21:00:00", "小(可爱)**", "buyer", "小(可爱)**", "我的快递到哪了"),
    (20, "11-06 21:00:01", "a(b):c", "agent", "小(可爱)**", "文本里有):冒号括号"),
    # The header is anchored on the last "(time):" of the line, even when that one was typed in the message.
    (21, "11-06 21:00:03", "小(可爱)**(2026-11-06 21:00:02):  完整的", "agent", "小(可爱)**", "锚点"),
    (22, "11-06 21:02:00", "云裳旗舰店", "agent", "小(可爱)**", "亲，已经在派送了"),
    (23, "11-06 21:02:01", "店小蜜", "bot", "小(可爱)**", "亲，还有其他问题吗"),
    # A message runs on through the 群聊 section (whose lines are skipped) into the next 单聊 section.
    (24, "11-06 21:02:02", "别的店:小王", "agent", "小(可爱)**", "回到单聊后的续行"),
    (35, "11-07 08:00:00", "小(可爱)**", "buyer", "小(可爱)**", "最后一条"),
]


def _rejects(parsed: object) -> list[tuple]:
    return [(r.source_line, r.reason_code, r.raw) for r in parsed.rejects]  # type: ignore[attr-defined]


def test_account_txt_awkward_lines_give_exact_rows_rejects_and_counts(tmp_path: Path) -> None:
    rows, parsed = parse_text(tmp_path, ACCOUNT_TXT, "taobao-txt")
    assert rows == ACCOUNT_TXT_ROWS
    assert _rejects(parsed) == [
        (2, "outside_message", "导出说明"),
        (3, "outside_message", "tb0(2026-11-05 09:00:00):  买家块之前"),  # no buyer block yet
        (8, "outside_message", "第一个消息之前"),
    ]
    assert parsed.stats.rows_read == 12  # type: ignore[attr-defined]
    assert parsed.stats.skipped == {"群聊消息（暂不导入）": 2}  # type: ignore[attr-defined]


def test_account_txt_header_spacing_and_time_shapes(tmp_path: Path) -> None:
    text = "\n".join(
        [
            "云裳旗舰店:小美",
            f"{D28}tb1{D28}",
            "tb1(2026-11-05 10:00:01):no space",
            "tb1(2026-11-05 10:00:02): one space",
            "tb1(2026-11-05 10:00:03):   three spaces",
            "tb1(2026-11-05 10:00:04):\ttab",
            "tb1(2026-11-05 10:00:05):\u2003\u2003em spaces",
            "tb1(2026-1-5 9:3:7):  unpadded",
            "tb1(２０２６-１１-０５ １０:００:０６):  full-width digits",
            "tb1(2026-11-05 10:00:07) :  space before the colon",
            "  tb1  (2026-11-05 10:00:08):  spaces around the nick",
        ]
    )
    rows, parsed = parse_text(tmp_path, text, "taobao-txt")
    assert [(line, time, content) for line, time, _, _, _, content in rows] == [
        (3, "11-05 10:00:01", "no space"),
        (4, "11-05 10:00:02", "one space"),
        (5, "11-05 10:00:03", "three spaces"),
        (6, "11-05 10:00:04", "tab"),
        (7, "11-05 10:00:05", "em spaces"),
        (8, "01-05 09:03:07", "unpadded"),
        (9, "11-05 10:00:06", "full-width digits\ntb1(2026-11-05 10:00:07) :  space before the colon"),
        (11, "11-05 10:00:08", "spaces around the nick"),
    ]
    assert {sender for _, _, sender, _, _, _ in rows} == {"tb1"}
    assert _rejects(parsed) == []


def test_account_txt_control_characters_odd_spaces_bom_and_bare_cr_line_ends(tmp_path: Path) -> None:
    text = (
        "\ufeff云裳旗舰店:小美\r"
        f"{D28}tb1{D28}\r"
        "tb1\u00a0x(2026-11-05 10:00:00):  你\x03好\u00a0呀\u3000\r末尾\r\r\n"
        "tb1(2026-11-05 10:00:01):  \u3000\r"
    )
    expected = [
        (3, "11-05 10:00:00", "tb1 x", "unknown", "tb1", "你好 呀 \n末尾"),
        (6, "11-05 10:00:01", "tb1", "buyer", "tb1", None),
    ]
    assert parse_text(tmp_path, text, "taobao-txt")[0] == expected
    assert parse_text(tmp_path, text[1:], "taobao-txt", encoding="gb18030")[0] == expected


def test_account_txt_chunk_boundaries_do_not_change_the_result(tmp_path: Path, monkeypatch) -> None:
    from chatlog_cli.platforms import text_lines

    text = ACCOUNT_TXT.replace("\n", "\r\n")
    for encoding in ("utf-8", "gb18030"):
        header = text.encode(encoding).index("小(可爱)**(2026-11-06 21:00:02)".encode(encoding))
        for chunk in (1, 2, 3, 7, 13, 64, header, header + 5):  # reads inside characters, at and inside a header
            monkeypatch.setattr(text_lines, "READ_CHUNK", chunk)
            rows, parsed = parse_text(tmp_path, text, "taobao-txt", encoding=encoding)
            assert rows == ACCOUNT_TXT_ROWS, (encoding, chunk)
            assert [r[0] for r in _rejects(parsed)] == [2, 3, 8]
            assert parsed.stats.skipped == {"群聊消息（暂不导入）": 2}  # type: ignore[attr-defined]


def test_account_txt_continuation_after_a_full_batch_stays_with_its_message(tmp_path: Path, monkeypatch) -> None:
    from chatlog_cli.platforms import taobao_txt

    monkeypatch.setattr(taobao_txt, "BATCH_ROWS", 2)
    text = f"云裳旗舰店:小美\n{D28}tb1{D28}\n" + "".join(
        f"tb1(2026-11-05 10:00:0{i}):  第{i}条\n续行{i}\n" for i in range(5)
    )
    rows, parsed = parse_text(tmp_path, text, "taobao-txt")
    assert [content for *_, content in rows] == [f"第{i}条\n续行{i}" for i in range(5)]
    assert _rejects(parsed) == []


MESSAGE_MANAGER_TXT = "\n".join(
    [
        "",
        "即时消息",
        "导出说明",
        "2026-11-05",
        "2026-11-05 09:59:59 tb1: 即时消息",
        "2026-11-05 10:00:00 cntaobaotb1: 在吗",
        "即时消息",
        "",
        "2026-11-05",
        "续行",
        "2026-11-05 10:00:05 云裳旗舰店:小美: 您好，在的",
        "2026-11-05 10:00:06 云裳旗舰店:小美：全角冒号",
        "2026-11-05 10:00:07   tb1:  多个空格",
        "2026-11-05 10:00:08\ttb1: a: b: c",
        "2026-11-05 10:00:10 云裳旗舰店: 主账号",
        "2026-11-05 10:00:11 店小蜜: 机器人",
        "2026-11-5 9:0:1 tb1: 不补零",
        " 2026-11-05 10:00:12 tb1: 行首空格是续行",
        "2026-11-05 10:00:13 tb1 没有冒号是续行",
        "",
        "2026-11-06",
        "2026-11-06 09:00:30 tb1: 收到了，谢谢：质量不错",
        "",
        "",
    ]
)
MESSAGE_MANAGER_ROWS = [
    # Before the first message, 即时消息 lines (even a message line containing it) and blank lines are skipped;
    # after it they are content. Day lines are dropped everywhere.
    (6, "11-05 10:00:00", "tb1", "buyer", "tb1", "在吗\n即时消息\n\n续行"),
    (11, "11-05 10:00:05", "云裳旗舰店:小美", "agent", "tb1", "您好，在的"),
    (12, "11-05 10:00:06", "云裳旗舰店:小美", "agent", "tb1", "全角冒号"),
    (13, "11-05 10:00:07", "tb1", "buyer", "tb1", "多个空格"),
    (14, "11-05 10:00:08", "tb1", "buyer", "tb1", "a: b: c"),
    (15, "11-05 10:00:10", "云裳旗舰店", "agent", "tb1", "主账号"),
    (16, "11-05 10:00:11", "店小蜜", "bot", "tb1", "机器人"),
    (
        17,
        "11-05 09:00:01",
        "tb1",
        "buyer",
        "tb1",
        "不补零\n 2026-11-05 10:00:12 tb1: 行首空格是续行\n2026-11-05 10:00:13 tb1 没有冒号是续行",
    ),
    (22, "11-06 09:00:30", "tb1", "buyer", "tb1", "收到了，谢谢：质量不错"),
]


def test_message_manager_awkward_lines_give_exact_rows_and_rejects(tmp_path: Path) -> None:
    rows, parsed = parse_text(tmp_path, MESSAGE_MANAGER_TXT, "taobao-im")
    assert rows == MESSAGE_MANAGER_ROWS
    assert _rejects(parsed) == [(3, "outside_message", "导出说明")]
    assert (parsed.stats.rows_read, parsed.stats.notes) == (10, [])  # type: ignore[attr-defined]


def test_message_manager_chunk_boundaries_line_ends_and_encoding_do_not_change_the_result(
    tmp_path: Path, monkeypatch
) -> None:
    from chatlog_cli.platforms import text_lines

    for line_end, encoding, smallest in (("\r\n", "utf-8", 1), ("\r", "gb18030", 4)):
        text = MESSAGE_MANAGER_TXT.replace("\n", line_end)
        header = text.encode(encoding).index(b"2026-11-05 10:00:08")
        for chunk in (smallest, 7, 13, 64, header, header + 3):
            monkeypatch.setattr(text_lines, "READ_CHUNK", chunk)
            rows, parsed = parse_text(tmp_path, text, "taobao-im", encoding=encoding)
            assert rows == MESSAGE_MANAGER_ROWS, (encoding, chunk)
            assert _rejects(parsed) == [(3, "outside_message", "导出说明")]


def test_message_manager_buyer_needs_exactly_one_customer(tmp_path: Path) -> None:
    text = (
        "即时消息\n2026-11-05 10:00:00 tb1: 在吗\n2026-11-05 10:00:01 tb2: 我也在\n"
        "2026-11-05 10:00:02 云裳旗舰店:小美: 两位好\n"
    )
    rows, parsed = parse_text(tmp_path, text, "taobao-im")
    assert [(sender, role, buyer) for _, _, sender, role, buyer, _ in rows] == [
        ("tb1", "unknown", None),
        ("tb2", "unknown", None),
        ("云裳旗舰店:小美", "agent", None),
    ]
    assert parsed.stats.notes == ["文件里有 2 个非客服发送人，无法确定买家，记为 unknown"]  # type: ignore[attr-defined]
    # --shop names the shop side: tb2 becomes an agent and tb1 the buyer.
    rows, parsed = parse_text(tmp_path, text, "taobao-im", shop="tb2")
    assert [(sender, role, buyer) for _, _, sender, role, buyer, _ in rows] == [
        ("tb1", "buyer", "tb1"),
        ("tb2", "agent", "tb1"),
        ("云裳旗舰店:小美", "agent", "tb1"),
    ]
    # A nick that is only whitespace: the time's spaces give one back, as the pattern allows.
    rows, _ = parse_text(tmp_path, "即时消息\n2026-11-05 10:00:09  : 昵称是空格\n", "taobao-im")
    assert rows == [(2, "11-05 10:00:09", " ", "buyer", " ", "昵称是空格")]
