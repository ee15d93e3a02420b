"""`chatlog scan`: a planted leak is caught in every format, clean files pass, values only ever masked.

All personal data here is synthetic: 110101199003077571 is a made-up 身份证 with a valid MOD 11-2 check digit.
"""

from __future__ import annotations

import csv
import json
import random
import re
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from chatlog_cli.cli import app
from chatlog_cli.cli.scan import report_dict
from chatlog_cli.redact import prefilter
from chatlog_cli.redact.detect import find_pii
from chatlog_cli.redact.kinds import KINDS
from chatlog_cli.redact.scan import FILE_NAME_COLUMN, Hit, ScanReport, masked_text, scan_paths
from chatlog_cli.redact.scan_readers import column_letter
from chatlog_cli.store import Store
from conftest import CORPORA, FIXTURES, run_import

PHONE = "13812345678"
IDCARD = "110101199003077571"
EMAIL = "zhang.san@example.com"
LEAK = f"收货人张三，电话{PHONE}，身份证{IDCARD}，邮箱{EMAIL}"
RAW_VALUES = (PHONE, IDCARD, EMAIL, "zhang.san", "张三")
# What chatlog's redaction leaves behind: labels, keyed tokens, masks, person pseudonyms.
REDACTED = "收货人[姓名]，电话[手机号]，尾号 138****5678，[身份证:7f3a9c21]，邮箱 z***@example.com，地址[地址]"
PSEUDONYM = "买家_0106234567"  # all-digit hex would read as a Beijing landline without the pseudonym rule


def kinds_at(report: ScanReport, **where: object) -> set[str]:
    """Kinds of the hits at a location (file is compared by its end)."""
    file = str(where.pop("file", ""))
    return {
        h.kind
        for h in report.hits
        if h.file.endswith(file) and all(getattr(h, key) == value for key, value in where.items())
    }


def write_parquet(path: Path, **columns: list[object]) -> Path:
    pq.write_table(pa.table(columns), path)
    return path


# --- each format ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def leaky_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("store")
    export = folder / "拼多多聊天记录.csv"
    lines = (FIXTURES / "pinduoduo" / "basic.csv").read_text(encoding="utf-8").splitlines()
    lines.append(f"S1004,20004,小**鱼,拼小喵-阿花,买家,文本,{LEAK},2026-11-04 09:00:00,")
    lines.append(f"S1005,20005,大**王,拼小喵-阿花,买家,文本,邮箱,{EMAIL},2026-11-04 10:00:00,")  # a column too many
    export.write_text("\n".join(lines) + "\n", encoding="utf-8")
    root = folder / "store"
    run_import([export], root)
    return root


def test_store_leak_is_reported_with_its_file_and_row(leaky_store: Path) -> None:
    store = Store.open(leaky_store)
    leftover = leaky_store / "messages" / "platform=jd" / "month=2026-11" / "20260101T000000-deadbeef-0.parquet"
    leftover.parent.mkdir(parents=True)
    write_parquet(leftover, content=[LEAK])  # an interrupted import's file: not part of the store
    report = scan_paths([leaky_store])
    (path,) = store.message_files()
    contents = pq.read_table(path, columns=["content"]).column("content").to_pylist()
    row = contents.index(LEAK) + 1
    assert kinds_at(report, file=path.name, row=row, column="content") == {"name", "phone", "idcard", "email"}
    (rejects,) = store.reject_files()
    assert kinds_at(report, file=rejects.name, row=1, column="raw") == {"email"}
    # Messages, rejects, the import log; hash ids and the log's SHA-256 are not phone numbers.
    assert {Path(f.file).name for f in report.files} == {path.name, rejects.name, "imports.parquet"}
    assert report.hits_by_kind == {"name": 1, "phone": 1, "idcard": 1, "email": 2}


def test_clean_store_scans_clean(tmp_path: Path) -> None:
    run_import([FIXTURES / "pinduoduo" / "basic.csv", FIXTURES / "jd" / "basic.log"], tmp_path / "store")
    report = scan_paths([tmp_path / "store"])
    assert report.clean and report.cells > 200


def test_parquet_every_text_column(tmp_path: Path) -> None:
    path = write_parquet(
        tmp_path / "messages.parquet",
        content=["好的亲", "我换个号码", None],
        extra=[None, json.dumps({"备注": f"手机 {PHONE}"}), json.dumps({"邮箱": EMAIL}, ensure_ascii=True)],
        tags=[["发货"], [], [f"身份证{IDCARD}"]],
        phone=[1, 2, int(PHONE)],
        buyer=[PSEUDONYM, "买家_7f3a9c21ab", PSEUDONYM],
        message_id=["dd9c13812345678abc0123456789abcd"] * 3,  # a hash id with a phone-shaped run inside
    )
    report = scan_paths([path])
    assert {(h.row, h.column, h.kind) for h in report.hits} == {
        (2, "extra", "phone"),
        (3, "extra", "email"),
        (3, "tags[]", "idcard"),
        (3, "phone", "phone"),
    }


def test_parquet_column_names_and_metadata(tmp_path: Path) -> None:
    table = pa.table({f"客户{PHONE}": ["x"]}).replace_schema_metadata({"note": f"联系人 {EMAIL}"})
    pq.write_table(table, tmp_path / "pivot.parquet")
    report = scan_paths([tmp_path / "pivot.parquet"])
    assert {(h.row, h.kind) for h in report.hits} == {(None, "phone"), (None, "email")}


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_csv_every_cell_with_excel_row_numbers(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / f"导出_{encoding}.csv"
    rows = [["会话", "发送方", "内容"], ["S1", "买家", "第一行\n第二行"], ["S1", "客服", "好的"], ["S2", "买家", LEAK]]
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle).writerows(rows)
    report = scan_paths([path])
    assert kinds_at(report, row=4, column="C") == {"name", "phone", "idcard", "email"}  # row 4 as Excel shows it
    assert report.files[0].format == "csv"


def test_csv_ragged_rows_are_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text(f"a,b\n1,2\n3,4,5,邮箱 {EMAIL}\n", encoding="utf-8")
    assert kinds_at(scan_paths([path]), row=3, column="D") == {"email"}


def test_xlsx_every_sheet_with_excel_coordinates(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "聊天记录"
    sheet["C3"] = LEAK  # below two blank rows, right of two blank columns
    sheet["B7"] = int(PHONE)  # a phone number typed as a number
    hidden = book.create_sheet("备份")
    hidden.sheet_state = "hidden"
    hidden["A2"] = f"邮箱：{EMAIL}"
    book.create_sheet("空白")
    book.save(tmp_path / "export.xlsx")
    report = scan_paths([tmp_path / "export.xlsx"])
    assert not report.problems  # the empty sheet is no problem
    located = {(h.sheet, f"{h.column}{h.row}", h.kind) for h in report.hits}
    assert located == {
        ("聊天记录", "C3", "name"), ("聊天记录", "C3", "phone"), ("聊天记录", "C3", "idcard"),
        ("聊天记录", "C3", "email"), ("聊天记录", "B7", "phone"), ("备份", "A2", "email"),
    }  # fmt: skip


def test_xls_legacy_workbook(tmp_path: Path) -> None:
    report = scan_paths([FIXTURES / "pinduoduo" / "old_excel.xls"])
    assert report.files[0].format == "workbook" and report.cells > 10 and not report.problems


def test_jsonl_values_keys_and_numbers_by_line(tmp_path: Path) -> None:
    path = tmp_path / "export.jsonl"
    lines = [
        {"content": "好的", "n": 1},
        {"content": "在吗", "extra": {"contact": [{"tel": int(PHONE)}]}},
        "not json but text: " + EMAIL,
        {"content": "x", "extra": {f"身份证{IDCARD}": True}},
    ]
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    report = scan_paths([path])
    assert {(h.row, h.column, h.kind) for h in report.hits} == {
        (2, "extra.contact[0].tel", "phone"),
        (3, None, "email"),
        (4, "extra", "idcard"),
    }


def test_json_document_values_by_path(tmp_path: Path) -> None:
    """manifest.json: each value is a cell, so a SHA-256 with a phone-shaped run in it is a hash, not a phone."""
    path = tmp_path / "manifest.json"
    digest = "0a" + PHONE + "f" * 51
    manifest = {"format": "chatlog-archive/1", "files": [{"name": "messages.parquet", "sha256": digest}]}
    path.write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    assert scan_paths([path]).clean
    manifest["note"] = f"联系 {PHONE}"
    path.write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    assert [(h.row, h.column, h.kind) for h in scan_paths([path]).hits] == [(None, "note", "phone")]


def test_text_file_by_line_in_gb18030(tmp_path: Path) -> None:
    path = tmp_path / "京东咚咚聊天记录.log"
    text = f"/****以下为一通会话****/\r\nj****ab 2026-10-07 10:00:00\r\n在吗\r\n{LEAK}\r\n"
    path.write_bytes(text.encode("gb18030"))
    report = scan_paths([path])
    assert report.files[0].format == "text"
    assert kinds_at(report, row=4, column=None) == {"name", "phone", "idcard", "email"}


def test_mixed_encoding_text_is_still_read(tmp_path: Path) -> None:
    path = tmp_path / "joined.txt"
    path.write_bytes(
        "第一行 UTF-8\n".encode() + f"地址：北京市朝阳区建国路88号3单元501 手机{PHONE}\n".encode("gb18030")
    )
    assert kinds_at(scan_paths([path]), row=2) == {"address", "phone"}


def test_archive_folder_and_file_names(tmp_path: Path) -> None:
    """What `archive` writes: a Parquet file, an optional workbook and manifest.json; plus a leaky file name."""
    import openpyxl

    folder = tmp_path / "archive-2026-11"
    (folder / "附件").mkdir(parents=True)
    write_parquet(folder / "messages.parquet", content=[REDACTED, "好的亲"], buyer=[PSEUDONYM, PSEUDONYM])
    manifest = {"rows": 2, "sha256": "ab" * 32, "source_file": "文件_0106234567.csv"}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    book = openpyxl.Workbook()
    book.active.append(["内容"])
    book.active.append([f"电话 {PHONE}"])
    book.save(folder / "附件" / "聊天记录.xlsx")
    (folder / f"张三_{PHONE}.txt").write_text("ok\n", encoding="utf-8")
    (folder / f"李四{IDCARD}").mkdir()
    (folder / f"李四{IDCARD}" / "notes.txt").write_text("ok\n", encoding="utf-8")
    report = scan_paths([folder])
    assert kinds_at(report, file="聊天记录.xlsx", row=2, column="A") == {"phone"}
    name_hits = [h for h in report.hits if h.column == FILE_NAME_COLUMN]
    # the folder's name once, not once per file (李四 beside the 身份证 is a name too)
    assert sorted(h.kind for h in name_hits) == ["idcard", "name", "phone"]
    assert all(PHONE not in h.file and IDCARD not in h.file for h in report.hits)
    assert any(h.file.endswith("张三_138****5678.txt") for h in name_hits)
    assert report.hits_by_kind == {"phone": 2, "idcard": 1, "name": 1}


def test_zip_members(tmp_path: Path) -> None:
    path = tmp_path / "exports.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a/clean.txt", "好的亲\n")
        archive.writestr("a/leak.txt", f"你好\n邮箱 {EMAIL}\n")
    report = scan_paths([path])
    assert [(h.file, h.row, h.kind) for h in report.hits] == [(f"{path}!a/leak.txt", 2, "email")]


def test_redacted_text_and_pseudonyms_are_clean(tmp_path: Path) -> None:
    path = tmp_path / "redacted.csv"
    path.write_text(f"买家,内容\n{PSEUDONYM},{REDACTED}\n", encoding="utf-8-sig")
    report = scan_paths([path])
    assert report.clean and report.cells == 4


def test_kinds_and_first_only(tmp_path: Path) -> None:
    path = tmp_path / "leak.txt"
    path.write_text(f"{LEAK}\n{LEAK}\n", encoding="utf-8")
    assert scan_paths([path], kinds=["email", "手机号"]).hits_by_kind == {"email": 2, "phone": 2}
    first = scan_paths([path], first_only=True)
    assert first.stopped_early and first.total_hits == 1
    limited = scan_paths([path], keep=3)
    assert len(limited.hits) == 3 and limited.total_hits == 8 and limited.limited


def test_unreadable_files_are_problems_not_clean(tmp_path: Path) -> None:
    (tmp_path / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    (tmp_path / "broken.parquet").write_bytes(b"PAR1" + b"\x00" * 20)
    (tmp_path / "ok.txt").write_text("好的\n", encoding="utf-8")
    report = scan_paths([tmp_path])
    assert not report.clean and report.total_hits == 0
    assert sorted(Path(p.file).name for p in report.problems) == ["broken.parquet", "photo.png"]
    assert all(Path(p.file).name in p.message for p in report.problems)


# --- the command ---------------------------------------------------------------------------------------------------


@pytest.fixture
def leaky_folder(tmp_path: Path) -> Path:
    import openpyxl

    folder = tmp_path / "publish"
    folder.mkdir()
    (folder / "chat.txt").write_text(f"{LEAK}\n", encoding="utf-8")
    write_parquet(folder / "messages.parquet", content=[LEAK])
    book = openpyxl.Workbook()
    book.active.title = f"买家{PHONE}"  # a sheet named after a buyer
    book.active["A1"] = LEAK
    book.save(folder / "chat.xlsx")
    (folder / "chat.jsonl").write_text(json.dumps({"content": LEAK}, ensure_ascii=False) + "\n", encoding="utf-8")
    return folder


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_output_never_shows_a_raw_value(runner: CliRunner, leaky_folder: Path, fmt: str) -> None:
    result = runner.invoke(app, ["scan", str(leaky_folder), "--format", fmt, "--limit", "0"])
    assert result.exit_code == 1
    shown = result.stdout + result.stderr
    for value in RAW_VALUES:
        assert value not in shown
    assert "138****5678" in shown and "110101********7571" in shown and "z***@example.com" in shown


def test_table_output(runner: CliRunner, leaky_folder: Path) -> None:
    result = runner.invoke(app, ["scan", str(leaky_folder), "--limit", "3"])
    assert result.exit_code == 1
    assert "发现 17 处疑似个人信息" in result.stdout and "只列出前 3 处" in result.stdout
    assert "身份证" in result.stdout and "\x1b[" not in result.stdout  # no colour when not a terminal


def test_json_output_is_the_library_report(runner: CliRunner, leaky_folder: Path) -> None:
    result = runner.invoke(app, ["scan", str(leaky_folder), "--format", "json", "--kinds", "phone,email"])
    data = json.loads(result.stdout)
    assert data == json.loads(json.dumps(report_dict(scan_paths([leaky_folder], kinds=["phone", "email"], keep=20))))
    assert data["hits_by_kind"] == {"phone": 5, "email": 4} and data["exit_code"] == 1
    sheet_name, cell = (h for h in data["hits"] if h["file"].endswith("chat.xlsx") and h["kind"] == "phone")
    assert (sheet_name["sheet"], sheet_name["row"], sheet_name["column"]) == ("买家138****5678", None, "(工作表名)")
    assert (cell["sheet"], cell["row"], cell["column"]) == ("买家138****5678", 1, "A")


def test_csv_output(runner: CliRunner, leaky_folder: Path) -> None:
    result = runner.invoke(app, ["scan", str(leaky_folder / "chat.txt"), "--format", "csv"])
    rows = list(csv.DictReader(result.stdout.splitlines()))
    assert [(r["row"], r["kind"], r["masked"]) for r in rows] == [
        ("1", "name", "张*"), ("1", "phone", "138****5678"), ("1", "idcard", "110101********7571"),
        ("1", "email", "z***@example.com"),
    ]  # fmt: skip
    assert "发现 4 处疑似个人信息" in result.stderr


def test_exit_codes(runner: CliRunner, leaky_folder: Path, tmp_path: Path) -> None:
    clean = tmp_path / "clean.txt"
    clean.write_text(REDACTED + "\n", encoding="utf-8")
    result = runner.invoke(app, ["scan", str(clean)])
    assert (result.exit_code, result.stdout.strip()) == (0, "未发现个人信息：检查了 1 个文件、1 个单元格/行。")

    quiet = runner.invoke(app, ["scan", str(leaky_folder), "--quiet"])
    assert (quiet.exit_code, quiet.stdout, quiet.stderr) == (1, "", "")

    binary = tmp_path / "photo.jpg"
    binary.write_bytes(b"\xff\xd8\xff\xe0" + bytes(100))
    unreadable = runner.invoke(app, ["scan", str(clean), str(binary)])
    assert unreadable.exit_code == 2 and "photo.jpg" in unreadable.stderr and "无法检查" in unreadable.stderr
    # A leak outranks an unreadable file: 1 says "personal data found" whatever else happened.
    assert runner.invoke(app, ["scan", str(leaky_folder), str(binary)]).exit_code == 1

    assert runner.invoke(app, ["scan", str(tmp_path / "missing.csv")]).exit_code == 2
    bad_kind = runner.invoke(app, ["scan", str(clean), "--kinds", "phone,passport"])
    assert bad_kind.exit_code == 2 and "passport" in bad_kind.stderr
    assert runner.invoke(app, ["scan", str(clean), "--limit", "-1"]).exit_code == 2


def test_help_documents_exit_codes(runner: CliRunner) -> None:
    result = runner.invoke(app, ["scan", "--help"])
    assert result.exit_code == 0 and "Exit codes" in result.stdout and "0 = nothing found" in result.stdout


# --- the prefilter -------------------------------------------------------------------------------------------------

WIDE = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)} | {" ": "\u3000"})
SPELLINGS = [
    PHONE, "138 1234 5678", "138-1234-5678", "+86 13812345678", "8613812345678", "１３８１２３４５６７８",
    "１３８－１２３４－５６７８", "138\u30001234\u30005678", "138\xa01234\xa05678",
    IDCARD, "110101 19900307 7578", "11010119900307757X", "110101900307757",
    "6222021234567890123", "6222 0212 3456 7890", "4111111111111111", "卡号 6013 8212 3456 7890",
    "6-2-2-2-0-2-1-2-3-4-5-6-7-8-9-0", "62 22 02 12 34 56 78 90", "1 3 8 1 2 3 4 5 6 7 8",
    "010-62345678", "(021)62345678", "0755 2345 6789", "电话 62345678", "座机：8765432",
    EMAIL, "zhang@qq.com", "ｚｈａｎｇ＠ｅｘａｍｐｌｅ．ｃｏｍ",
    "微信 abc_def1", "vx：zhangsan88", "VX abcdefg", "wx:abcdef", "ｗｘ：ａｂｃｄｅｆｇ", "加v abcdefg", "+V abcdefg",
    "＋ｖ　abcdefg", "加\u2003w abcdefg", "weixin abcdefgh", "WeChat: abcdefg", "薇信 abcdefg", "v信 abcdefg",
    "wxid_abcdefgh12", "微信号 12345678", "QQ 12345", "扣扣：123456789", "企鹅号 98765",
    "北京市朝阳区建国路88号3单元501", "建国路八十八号", "住在光明村三组", "地址：杭州市西湖区文三路100号",
    "寄到上海市浦东新区张江路1号", "送到幸福小区5栋2单元", "Ａ座１２层", "中山路－3号", "人民大街十号院",
    "收件人王小明", "姓名：欧阳修", "我叫李雷", "开户名张伟", "联系人：赵敏女士", "本人刘洋",
]  # fmt: skip
FILLER = [
    "好的亲",
    "订单号",
    "快递",
    "请问",
    "，",
    "。",
    " ",
    "谢谢",
    "改地址",
    "手机",
    "身份证",
    "卡号",
    "12",
    "2026-11",
]


def mixed_texts(seed: int = 7, count: int = 3000) -> list[str]:
    """Spellings of every kind glued into filler, some made full-width; then random strings of cue characters."""
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        parts = [*rng.sample(FILLER, 2), rng.choice(SPELLINGS), *rng.sample(FILLER, 2)]
        rng.shuffle(parts)
        text = rng.choice(["", " ", "，"]).join(parts)
        texts.append(text.translate(WIDE) if rng.random() < 0.2 else text)
    alphabet = list("0123456789０１２３４５６７８９ -－\u3000\xa0@＠.vVwWxXqQ+＋加")
    alphabet += list("微信号路街村号栋单元室区市省收件人姓名地址寄到住在一二三十")
    texts += ["".join(rng.choices(alphabet, k=rng.randint(4, 24))) for _ in range(count)]
    return texts


def assert_superset(texts: list[str], kinds: tuple[str, ...] | None = None) -> int:
    passed = prefilter.may_contain(pa.array(texts, pa.string()), prefilter.pattern_for(kinds)).to_pylist()
    missed = [t for t, ok in zip(texts, passed, strict=True) if not ok and find_pii(t, kinds)]
    assert missed == []
    return sum(1 for t in texts if find_pii(t, kinds))


def test_prefilter_is_a_superset_of_the_detectors() -> None:
    texts = mixed_texts()
    found = {kind: sum(1 for t in texts for f in find_pii(t) if f.kind == kind) for kind in KINDS}
    assert all(n >= 20 for n in found.values()), found  # every detector really fired on this input
    assert assert_superset(texts) > 2000


@pytest.mark.parametrize("kind", KINDS)
def test_prefilter_per_kind_is_a_superset(kind: str) -> None:
    assert assert_superset(mixed_texts(seed=11, count=600), (kind,)) > 0


def test_prefilter_on_real_chats() -> None:
    corpus = CORPORA / "jddc2019_sample" / "chat_0.1per.txt"
    if not corpus.exists():
        pytest.skip("real corpus ../shared/corpora/jddc2019_sample not present")
    texts = [line.split("\t")[-1] for line in corpus.read_text(encoding="utf-8").splitlines()]
    assert_superset(texts)


def test_prefilter_skips_plain_chat_and_knows_python_whitespace() -> None:
    plain = pa.array(
        ["好的亲，马上为您发货", "尺码偏小，建议拍大一码", "12点前下单当天发", "2026-11-01 10:00:00", None]
    )
    assert prefilter.may_contain(plain, prefilter.pattern_for()).to_pylist() == [False] * 5
    spaces = [chr(c) for c in range(0x110000) if re.match(r"\s", chr(c))]
    assert pc.all(pc.match_substring_regex(pa.array(spaces), prefilter.WHITESPACE)).as_py()


# --- small pieces --------------------------------------------------------------------------------------------------


def test_column_letters_and_masked_names() -> None:
    assert [column_letter(i) for i in (0, 25, 26, 701, 702)] == ["A", "Z", "AA", "ZZ", "AAA"]
    assert masked_text(f"张三_{PHONE}.csv") == "张三_138****5678.csv"
    assert Hit("f", 1, "A", "phone", "138****5678").label == "手机号"
