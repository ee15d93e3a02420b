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
