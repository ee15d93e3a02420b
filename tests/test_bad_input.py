"""Bad input: a clear message naming the file and what to do, the right exit code, nothing lost."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from chatlog_cli.cli import app
from conftest import FIXTURES, messages

PDD = FIXTURES / "pinduoduo" / "basic.csv"
JD = FIXTURES / "jd" / "basic.log"


def invoke(runner: CliRunner, *args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_empty_file(runner: CliRunner, tmp_path: Path) -> None:
    empty = tmp_path / "导出.csv"
    empty.write_bytes(b"")
    result = invoke(runner, "import", str(empty), "--store", str(tmp_path / "s"))
    assert result.exit_code == 1
    assert "导出.csv" in result.stdout and "文件是空的" in result.stdout


def test_binary_junk(runner: CliRunner, tmp_path: Path) -> None:
    junk = tmp_path / "chat.log"
    junk.write_bytes(bytes(range(256)) * 40)
    result = invoke(runner, "import", str(junk), "--store", str(tmp_path / "s"))
    assert result.exit_code == 1
    assert "chat.log" in result.stdout and "认不出" in result.stdout and "二进制" in result.stdout


def test_binary_junk_without_zero_bytes_is_still_binary(runner: CliRunner, tmp_path: Path) -> None:
    junk = tmp_path / "chat.csv"
    junk.write_bytes(bytes(range(1, 256)) * 40)
    result = invoke(runner, "import", str(junk), "--store", str(tmp_path / "s"))
    assert result.exit_code == 1 and "二进制" in result.stdout


@pytest.mark.parametrize(("encoding", "name"), [("gbk", "GBK/GB18030"), ("utf-8", "UTF-8")])
def test_a_bad_byte_near_the_start_is_named_by_line_not_called_binary(
    runner: CliRunner, tmp_path: Path, encoding: str, name: str
) -> None:
    lines = JD.read_text(encoding="utf-8").split("\n")
    data = "\n".join(lines[:6]).encode(encoding) + b"\n\xff" + "\n".join(lines[6:]).encode(encoding)
    damaged = tmp_path / "咚咚.log"
    damaged.write_bytes(data)
    result = invoke(runner, "import", str(damaged), "--store", str(tmp_path / "s"))
    assert result.exit_code == 1
    assert f"咚咚.log：第 7 行有不是 {name} 编码的字节" in result.stdout and "--encoding" in result.stdout
    assert "二进制" not in result.stdout and not list((tmp_path / "s").rglob("*.parquet"))


def test_truncated_xlsx(runner: CliRunner, tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    workbook.active.append(["会话ID", "发送方", "消息内容", "发送时间"])
    for i in range(500):
        workbook.active.append([f"S{i}", "买家", f"消息{i}" * 20, "2026-11-01 10:00:00"])
    full = tmp_path / "full.xlsx"
    workbook.save(full)
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    result = invoke(runner, "import", str(cut), "--store", str(tmp_path / "s"))
    assert result.exit_code == 1
    assert "cut.xlsx" in result.stdout and "损坏" in result.stdout and "重新下载" in result.stdout


def test_missing_required_column_is_named(runner: CliRunner, tmp_path: Path) -> None:
    lines = PDD.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    no_time = tmp_path / "no_time.csv"
    no_time.write_text(
        ",".join(h for h in header if h != "发送时间") + "\n" + "S1,1,a,b,买家,文本,你好,\n", encoding="utf-8"
    )
    detected = invoke(runner, "import", str(no_time), "--store", str(tmp_path / "s"))
    assert detected.exit_code == 1
    assert "认不出" in detected.stdout and "会话ID、买家ID" in detected.stdout  # the headers it saw
    forced = invoke(runner, "import", str(no_time), "--format", "pdd-csv", "--store", str(tmp_path / "s"))
    assert forced.exit_code == 1
    assert "缺少必需的列：发送时间" in forced.stdout and "--map" in forced.stdout


def test_unparseable_times_are_rejected_rows_not_lost(runner: CliRunner, tmp_path: Path) -> None:
    text = PDD.read_text(encoding="utf-8").replace("2026-11-02 21:35:00", "昨天晚上").replace("2026-11-02 21:40:00", "")
    bad = tmp_path / "bad_times.csv"
    bad.write_text(text, encoding="utf-8")
    store = str(tmp_path / "s")
    result = invoke(runner, "import", str(bad), "--store", store, "--json")
    assert result.exit_code == 0
    [figures] = json.loads(result.stdout)["files"]
    assert (figures["rows_read"], figures["messages_added"], figures["rejected_rows"]) == (10, 8, 2)
    listed = invoke(runner, "rejects", "--store", store, "--json")
    rows = json.loads(listed.stdout)["rows"]
    assert {(r["source_line"], r["reason_code"]) for r in rows} == {(8, "bad_time"), (9, "missing_time")}
    assert all("raw" not in r for r in rows)
    shown = invoke(runner, "rejects", "--store", store, "--show-raw", "--json")
    assert "昨天晚上" in json.loads(shown.stdout)["rows"][0]["raw"] + json.loads(shown.stdout)["rows"][1]["raw"]
    plain = invoke(runner, "rejects", "--store", store)
    assert "昨天晚上" not in plain.stdout and "bad_time" in plain.stdout


def test_error_messages_never_print_message_content(runner: CliRunner, tmp_path: Path) -> None:
    secret = "13812345678 北京市朝阳区某某路1号"
    junk = tmp_path / "notes.txt"
    junk.write_text(f"{secret}\n随便写的笔记\n", encoding="utf-8")
    result = invoke(runner, "import", str(junk), "--store", str(tmp_path / "s"))
    assert result.exit_code == 1
    assert "13812345678" not in result.stdout + result.stderr
    assert "朝阳区" not in result.stdout + result.stderr


def test_directory_of_mixed_good_and_bad_files(runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    shutil.copy(JD, folder / "a_good.log")
    (folder / "b_empty.csv").write_bytes(b"")
    (folder / "c_junk.bin").write_bytes(b"\x00\x01\x02" * 100)
    shutil.copy(PDD, folder / "d_good.csv")
    store = tmp_path / "s"
    result = invoke(runner, "import", str(folder), "--store", str(store), "--json")
    assert result.exit_code == 1
    by_file = {Path(f["source"]).name: f for f in json.loads(result.stdout)["files"]}
    assert by_file["a_good.log"]["status"] == "imported" and by_file["d_good.csv"]["status"] == "imported"
    assert by_file["b_empty.csv"]["status"] == "failed" and by_file["c_junk.bin"]["status"] == "failed"
    assert len(messages(store)) == 26


def test_missing_file_argument_is_reported_and_others_import(runner: CliRunner, tmp_path: Path) -> None:
    result = invoke(runner, "import", str(tmp_path / "nope.csv"), str(JD), "--store", str(tmp_path / "s"))
    assert result.exit_code == 1
    assert "找不到文件" in result.stdout and "nope.csv" in result.stdout
    assert len(messages(tmp_path / "s")) == 16


def test_only_missing_files_leave_no_store_behind(runner: CliRunner, tmp_path: Path) -> None:
    result = invoke(runner, "import", str(tmp_path / "nope.csv"), "--store", str(tmp_path / "s"))
    assert result.exit_code == 1 and "找不到文件" in result.stdout and "nope.csv" in result.stdout
    as_json = invoke(runner, "import", str(tmp_path / "nope.csv"), "--store", str(tmp_path / "s"), "--json")
    assert as_json.exit_code == 1 and json.loads(as_json.stdout)["totals"]["files_failed"] == 1
    assert not (tmp_path / "s").exists()


def test_usage_errors_exit_2(runner: CliRunner, tmp_path: Path) -> None:
    unknown_format = invoke(runner, "import", str(JD), "--format", "nope", "--store", str(tmp_path / "s"))
    assert unknown_format.exit_code == 2 and "没有名为 nope 的格式" in unknown_format.stderr
    unknown_platform = invoke(runner, "import", str(JD), "--platform", "nope", "--store", str(tmp_path / "s"))
    assert unknown_platform.exit_code == 2
    both = invoke(
        runner, "import", str(JD), "--format", "jd-log", "--map", str(FIXTURES / "mapped" / "mapping.toml"),
        "--store", str(tmp_path / "s"),
    )  # fmt: skip
    assert both.exit_code == 2
    no_args = runner.invoke(app, ["import"])
    assert no_args.exit_code == 2


def test_mixed_encoding_file_fails_with_advice(runner: CliRunner, tmp_path: Path) -> None:
    body = JD.read_text(encoding="utf-8")
    mixed = tmp_path / "mixed.log"
    # UTF-8 for the first 64 KiB sniffed, then a GBK-encoded tail.
    filler = "".join(body for _ in range(60))
    mixed.write_bytes(filler.encode("utf-8") + "山海小铺-小美 2026-10-09 10:00:00\n好的\n".encode("gbk"))
    result = invoke(runner, "import", str(mixed), "--store", str(tmp_path / "s"))
    assert result.exit_code == 1
    assert "--encoding" in result.stdout
    assert not (tmp_path / "s" / "messages").exists() or not list((tmp_path / "s" / "messages").rglob("*.parquet"))


def test_gbk_csv_with_a_bad_byte_past_the_sniffed_head_names_the_line(runner: CliRunner, tmp_path: Path) -> None:
    header, *rows = PDD.read_text(encoding="utf-8").splitlines()
    lines = [header.encode("gbk")] + [rows[i % len(rows)].encode("gbk") for i in range(8_000)]
    lines[6_000] = lines[6_000][:12] + b"\xff\x30" + lines[6_000][12:]  # ~600 KB in: past any sniffing
    bad = tmp_path / "聊天记录.csv"
    bad.write_bytes(b"\n".join(lines) + b"\n")
    result = invoke(runner, "import", str(bad), "--store", str(tmp_path / "s"))
    assert result.exit_code == 1
    assert "聊天记录.csv" in result.stdout and "第 6001 行" in result.stdout and "--encoding" in result.stdout
    assert not list((tmp_path / "s").rglob("*.parquet")) or not messages(tmp_path / "s")


def test_gbk_csv_with_a_bad_byte_in_a_cell_names_the_row_and_column(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chatlog_cli.io import tabular

    monkeypatch.setattr(tabular, "_CSV_BLOCK_BYTES", 64 << 10)  # the bad byte a few batches in
    header, *rows = list(csv.reader(PDD.read_text(encoding="utf-8-sig").splitlines(keepends=True)))
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows([header, *(rows[i % len(rows)] for i in range(8_000))])
    data = text.getvalue().encode("gbk")
    rows_at = [m.end() for m in re.finditer(rb"\r\nS\d+,", data)]  # where each data row's second cell starts
    at = rows_at[6_000 - 1]  # row 6,001 of the file (the header is row 1)
    bad = tmp_path / "聊天记录.csv"
    bad.write_bytes(data[:at] + b"\xff\x30" + data[at:])
    result = invoke(runner, "import", str(bad), "--store", str(tmp_path / "s"))
    assert result.exit_code == 1
    assert "第 6001 行“买家ID”列有不是 GBK/GB18030 编码的字节" in result.stdout and "聊天记录.csv" in result.stdout
    assert not list((tmp_path / "s").rglob("*.parquet")) or not messages(tmp_path / "s")


def test_gbk_text_export_with_a_bad_byte_names_the_line(runner: CliRunner, tmp_path: Path) -> None:
    lines = (FIXTURES / "taobao" / "account.txt").read_bytes().split(b"\r\n")
    head, body = lines[:4], [line for line in lines[4:] if line]
    lines = head + body * 3_000  # ~1 MB
    lines[20_000] = lines[20_000][:3] + b"\xff\x30" + lines[20_000][3:]
    bad = tmp_path / "account.txt"
    bad.write_bytes(b"\r\n".join(lines) + b"\r\n")
    result = invoke(runner, "import", str(bad), "--store", str(tmp_path / "s"))
    assert result.exit_code == 1
    assert "account.txt" in result.stdout and "第 20001 行" in result.stdout and "--encoding" in result.stdout


def test_folder_import_skips_mapping_and_notes(runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    shutil.copy(JD, folder / "a.log")
    (folder / "mapping.toml").write_text('platform = "x"\n', encoding="utf-8")
    (folder / "说明.md").write_text("导出说明", encoding="utf-8")
    result = invoke(runner, "import", str(folder), "--store", str(tmp_path / "s"), "--json")
    assert result.exit_code == 0
    assert [Path(f["source"]).name for f in json.loads(result.stdout)["files"]] == ["a.log"]


def test_xls_that_is_really_csv_is_read(runner: CliRunner, tmp_path: Path) -> None:
    fake = tmp_path / "聊天记录.xls"
    fake.write_bytes(PDD.read_text(encoding="utf-8").encode("gbk"))
    result = invoke(runner, "import", str(fake), "--store", str(tmp_path / "s"), "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["files"][0]["format"] == "pdd-csv"


def test_xls_that_is_really_html_is_rejected_with_advice(runner: CliRunner, tmp_path: Path) -> None:
    fake = tmp_path / "聊天记录.xls"
    fake.write_text("<html><body><table><tr><td>会话ID</td></tr></table></body></html>", encoding="utf-8")
    result = invoke(runner, "import", str(fake), "--store", str(tmp_path / "s"))
    assert result.exit_code == 1
    assert "HTML" in result.stdout and "另存为" in result.stdout


def test_taobao_conversation_cells_that_do_not_fit_are_rejected_by_row(runner: CliRunner, tmp_path: Path) -> None:
    good = '"10:00:00\n在吗\ntb1\n10:00:05\n您好\n云裳旗舰店:小美\n没有更多内容了"'
    sheet = tmp_path / "按买家.csv"
    sheet.write_text(
        "买家,日期,聊天记录\n"
        f"tb1,2026-11-05,{good}\n"
        'tb2,2026-11-05,"收货人李四 13812345678 没有时间行"\n'  # no timestamp
        'tb3,,"10:00:00\n在吗\ntb3"\n'  # no date line and no 日期
        'tb4,2026-11-05,"10:00:00\ntb4\n在吗\n10:00:05\n云裳旗舰店:小美\n您好"\n'  # sender before content
        ',2026-11-05,"10:00:00\n在吗\ntb5"\n'  # no buyer
        "tb6,2026-11-05,\n",  # empty conversation
        encoding="utf-8",
    )
    store = str(tmp_path / "s")
    result = invoke(runner, "import", str(sheet), "--store", store, "--json")
    assert result.exit_code == 0
    [figures] = json.loads(result.stdout)["files"]
    assert figures["format"] == "taobao-conversation-sheet"
    assert (figures["messages_added"], figures["rejected_rows"], figures["rows_read"]) == (2, 5, 7)
    listed = invoke(runner, "rejects", "--store", store, "--json")
    rows = json.loads(listed.stdout)["rows"]
    assert [(r["source_line"], r["reason_code"]) for r in rows] == [
        (3, "no_timestamp"), (4, "missing_date"), (5, "sender_first"), (6, "missing_buyer"), (7, "empty_chat")
    ]  # fmt: skip
    assert all(re.search(r"[\u4e00-\u9fff]", r["reason"]) for r in rows)
    plain = invoke(runner, "rejects", "--store", store)
    assert "13812345678" not in plain.stdout and "收货人" not in plain.stdout


def test_malformed_rows_before_between_and_after_good_rows(runner: CliRunner, tmp_path: Path) -> None:
    """Wrong column counts anywhere in a Windows export (BOM, CRLF, a multi-line cell): the good rows keep
    their row numbers and each malformed row is rejected with its own."""
    header = "会话ID,买家ID,买家昵称,客服账号,发送方,消息类型,消息内容,发送时间,订单编号"
    body = [
        "S1,1,a,店-小美,买家,文本,少两列,2026-11-01 10:00:00",  # row 2: first data row, malformed
        "S1,1,a,店-小美,买家,文本,你好,2026-11-01 10:00:01,",
        'S1,1,a,店-小美,买家,文本,"在吗\r\n还在吗",2026-11-01 10:00:02,',
        "S1,1,a,店-小美,客服,文本,多一列,2026-11-01 10:00:03,,多余",  # row 5
        "S1,1,a,店-小美,客服,文本,在的,2026-11-01 10:00:04,",
        "S1,1,a,店-小美",  # row 7: last row, malformed
    ]
    path = tmp_path / "拼多多.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join([header, *body]).encode("utf-8") + b"\r\n")
    store = str(tmp_path / "s")
    result = invoke(runner, "import", str(path), "--store", store, "--json")
    assert result.exit_code == 0
    [figures] = json.loads(result.stdout)["files"]
    assert (figures["rows_read"], figures["messages_added"], figures["rejected_rows"]) == (3, 3, 3)
    assert [(m["source_line"], m["content"]) for m in messages(tmp_path / "s")] == [
        (3, "你好"), (4, "在吗\n还在吗"), (6, "在的")
    ]  # fmt: skip
    listed = json.loads(invoke(runner, "rejects", "--store", store, "--json").stdout)["rows"]
    assert sorted((r["source_line"], r["reason_code"]) for r in listed) == [
        (2, "bad_row"),
        (5, "bad_row"),
        (7, "bad_row"),
    ]
    assert all("少两列" not in r["reason"] for r in listed)
