"""`chatlog redact`: redacted copies (files and stores), dry runs, plain text, keys and pseudonyms."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from chatlog_cli.cli import app
from chatlog_cli.find.filters import MessageFilter
from chatlog_cli.redact.keys import KEY_ENV_VAR, create_key_file, load_key
from chatlog_cli.redact.replace import Redactor
from chatlog_cli.redact.run import redact_store
from chatlog_cli.store import Store
from conftest import run_import

# Synthetic Pinduoduo export: planted PII in messages and in an unmapped column (收货手机), look-alikes beside.
_ROW = (
    "会话ID",
    "买家ID",
    "买家昵称",
    "客服账号",
    "发送方",
    "消息类型",
    "消息内容",
    "发送时间",
    "订单编号",
    "收货手机",
)
_CAT = ("90001", "小**猫", "拼小喵-阿花")
_DOG = ("90002", "大**狗", "拼小喵-阿草")
ROWS = [
    ("S1", *_CAT, "买家", "文本", "在吗", "2026-10-01 10:00:00", "", ""),
    ("S1", *_CAT, "买家", "文本", "收货人张三，电话13800001234，地址北京市朝阳区建国路88号3栋501",
     "2026-10-01 10:00:10", "231001-123456789012345", "13800001234"),
    ("S1", *_CAT, "客服", "文本", "好的亲，订单231001-123456789012345已改，运单SF1234567890123",
     "2026-10-01 10:01:00", "231001-123456789012345", ""),
    ("S2", *_DOG, "买家", "文本", "身份证110101199003077571，邮箱dog@example.com", "2026-10-15 09:00:00", "", ""),
    ("S2", *_DOG, "客服", "文本", "收到，价格¥138.00，满199减20", "2026-10-15 09:00:30", "", ""),
    ("S3", *_CAT, "买家", "文本", "还是我，手机13800001234", "2026-11-02 12:00:00", "", ""),
]  # fmt: skip
RAW_VALUES = ("13800001234", "张三", "建国路88号", "110101199003077571", "dog@example.com", "小**猫", "大**狗")
KEEP_VALUES = ("231001-123456789012345", "SF1234567890123", "¥138.00", "满199减20")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    root = tmp_path_factory.mktemp("redact")
    export = root / "pdd.csv"
    export.write_text(",".join(_ROW) + "\n" + "".join(",".join(row) + "\n" for row in ROWS), encoding="utf-8-sig")
    run_import([export], root / "store")
    return Store.open(root / "store")


def cli(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def all_text(path: Path) -> str:
    if path.is_dir():
        return "\n".join(all_text(p) for p in sorted(path.rglob("*")) if p.is_file())
    if path.suffix == ".parquet":
        return json.dumps(pq.read_table(path).to_pylist(), ensure_ascii=False, default=str)
    if path.suffix == ".xlsx":
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True)
        return "\n".join(str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row)
    return path.read_text(encoding="utf-8-sig")


@pytest.mark.parametrize("name", ["out.csv", "out.xlsx", "out.jsonl", "out.parquet", "out-store"])
def test_every_output_keeps_ids_and_loses_pii(store: Store, tmp_path: Path, name: str) -> None:
    out = tmp_path / name
    code, stdout, _ = cli("redact", "--store", str(store.root), "-o", str(out))
    assert code == 0, stdout
    text = all_text(out)
    for value in RAW_VALUES:
        assert value not in text, value
    for value in KEEP_VALUES:
        assert value in text, value
    assert "138****1234" in text and "买家_" in text
    assert "已脱敏 6 条消息（3 条含个人信息）" in stdout


def test_store_copy_is_a_store_and_the_source_is_untouched(store: Store, tmp_path: Path) -> None:
    before = sorted((p, p.stat().st_mtime_ns) for p in store.root.rglob("*") if p.is_file())
    out = tmp_path / "copy"
    report = redact_store(store, MessageFilter(), out, Redactor("label"))
    assert report.messages == 6 and report.kinds_found() == {"idcard": 1, "phone": 3, "email": 1, "address": 1,
                                                             "name": 1}  # fmt: skip
    assert sorted((p, p.stat().st_mtime_ns) for p in store.root.rglob("*") if p.is_file()) == before
    copy = Store.open(out)
    rows = copy.read_messages().to_pylist()
    assert len(rows) == 6
    info = json.loads((out / "redaction.json").read_text(encoding="utf-8"))
    assert info["mode"] == "label" and info["key_id"] is None and info["found"]["phone"] == 3
    # Conversations stay conversations, the same buyer the same token; ids are re-keyed, not the store's.
    source = {r["message_id"] for r in store.read_messages().to_pylist()}
    assert not source & {r["message_id"] for r in rows}
    assert len({r["conversation_id"] for r in rows}) == 3
    buyers = {r["buyer"] for r in rows}
    assert len(buyers) == 2 and all(b.startswith("买家_") for b in buyers)
    senders = {r["sender"] for r in rows if r["sender_role"] == "buyer"}
    assert senders <= buyers
    assert {r["agent"] for r in rows} == {"拼小喵-阿花", "拼小喵-阿草"}
    assert all(r["source_file"].startswith("文件_") and r["source_file"].endswith(".csv") for r in rows)
    # The unmapped 收货手机 column is personal by its header.
    extras = [json.loads(r["extra"]) for r in rows if r["extra"]]
    assert any(e.get("收货手机") == "[手机号]" for e in extras)
    # Raw exports cannot be imported into a redacted copy.
    code, _, stderr = cli("import", "--store", str(out), str(store.root.parent / "pdd.csv"))
    assert code != 0 and "脱敏副本" in stderr and len(Store.open(out).read_messages()) == 6
    # Running again replaces the earlier copy; a directory holding anything else is refused.
    redact_store(store, MessageFilter(), out, Redactor("label"))
    other = tmp_path / "other"
    other.mkdir()
    (other / "keep.txt").write_text("x", encoding="utf-8")
    code, _, stderr = cli("redact", "--store", str(store.root), "-o", str(other))
    assert code == 1 and "不是 chatlog 脱敏副本" in stderr and (other / "keep.txt").exists()


def test_agents_option_and_filters(store: Store, tmp_path: Path) -> None:
    out = tmp_path / "october.jsonl"
    code, _, _ = cli("redact", "--store", str(store.root), "-o", str(out), "--agents", "--since", "2026-10",
                     "--until", "2026-10")  # fmt: skip
    assert code == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 5
    assert all(r["agent"].startswith("客服_") for r in rows)


def test_pseudonyms_are_stable_across_runs_and_differ_across_keys(store: Store, tmp_path: Path) -> None:
    key_a, key_b = tmp_path / "a.key", tmp_path / "b.key"
    create_key_file(key_a)
    create_key_file(key_b)
    outputs = []
    for key, name in ((key_a, "1.csv"), (key_a, "2.csv"), (key_b, "3.csv")):
        code, _, _ = cli("redact", "--store", str(store.root), "-o", str(tmp_path / name), "--mode", "pseudonym",
                         "--key-file", str(key))  # fmt: skip
        assert code == 0
        outputs.append((tmp_path / name).read_text(encoding="utf-8-sig"))
    assert outputs[0] == outputs[1]
    assert outputs[0] != outputs[2]
    # The same phone number in two conversations, months apart, gets one token.
    tokens = [line.split("[手机号:")[1][:8] for line in outputs[0].splitlines() if "[手机号:" in line]
    assert len(tokens) == 2 and len(set(tokens)) == 1
    for secret in (key_a.read_text().strip(), key_b.read_text().strip()):
        assert all(secret not in text for text in outputs)


def test_pseudonym_mode_refuses_to_run_without_a_key(store: Store, tmp_path: Path) -> None:
    code, _, stderr = cli("redact", "--store", str(store.root), "-o", str(tmp_path / "x.csv"), "--mode",
                          "pseudonym", env={KEY_ENV_VAR: ""})  # fmt: skip
    assert code == 2 and "需要密钥" in stderr and not (tmp_path / "x.csv").exists()


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_key_files_are_private_and_never_replaced(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "redact.key"
    code, stdout, _ = cli("redact", "init-key", str(path))
    assert code == 0 and str(path) in stdout
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = load_key(path)
    assert key is not None and len(key) == 64
    code, _, stderr = cli("redact", "init-key", str(path))
    assert code == 2 and "已存在" in stderr and load_key(path) == key
    path.chmod(0o644)
    code, _, stderr = cli("redact", "--text", "-", "--mode", "pseudonym", "--key-file", str(path))
    assert code == 2 and "chmod 600" in stderr
    with pytest.raises(Exception, match="太短"):
        load_key(None, {KEY_ENV_VAR: "short"})
    assert load_key(None, {KEY_ENV_VAR: "x" * 40}) == b"x" * 40


def test_dry_run_shows_counts_and_only_redacted_samples(store: Store) -> None:
    code, stdout, _ = cli("redact", "--store", str(store.root), "--dry-run")
    assert code == 0
    assert "将脱敏 6 条消息，其中 3 条含个人信息" in stdout and "手机号 2" in stdout
    assert "138****1234" in stdout
    for value in RAW_VALUES[:5]:
        assert value not in stdout


def test_text_mode_is_one_line_out_per_line_in(tmp_path: Path) -> None:
    source = tmp_path / "lines.txt"
    lines = ["手机13800001234\n", "\n", "订单号2836521843926543791\n", "邮箱a@b.cn 谢谢"]
    source.write_bytes("".join(lines).encode("gb18030"))
    code, stdout, stderr = cli("redact", "--text", str(source), "--mode", "label")
    assert code == 0
    assert stdout.splitlines() == ["手机[手机号]", "", "订单号2836521843926543791", "邮箱[邮箱] 谢谢"]
    assert "手机号 1" in stderr
    result = CliRunner().invoke(app, ["redact", "--text", "-", "-q"], input="QQ 123456789\n")
    assert result.stdout == "QQ 12*****89\n" and result.stderr == ""


def test_bad_options_are_usage_errors(store: Store, tmp_path: Path) -> None:
    code, _, stderr = cli("redact", "--store", str(store.root), "-o", str(tmp_path / "x.csv"), "--kinds", "phone,foo")
    assert code == 2 and "foo" in stderr
    code, _, stderr = cli("redact", "--store", str(store.root))
    assert code == 2 and "-o" in stderr
    code, _, _ = cli("redact", "--store", str(store.root), "-o", str(tmp_path / "x.csv"), "--kinds", "手机号")
    text = (tmp_path / "x.csv").read_text(encoding="utf-8-sig")
    assert code == 0 and "138****1234" in text and "dog@example.com" in text
