"""`chatlog archive`: monthly redacted archives — content, manifest, idempotency, atomicity, the scan gate."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from chatlog_cli.redact import archive as archive_module
from chatlog_cli.redact.replace import Redactor
from chatlog_cli.store import Store
from test_redact import RAW_VALUES, cli
from test_redact import store as store


def archive(store: Store, out: Path, *extra: str) -> tuple[int, str, str]:
    return cli("archive", "--store", str(store.root), "--month", "2026-10", "--out", str(out), *extra)


def test_archive_holds_the_redacted_month_and_a_true_manifest(store: Store, tmp_path: Path) -> None:
    code, stdout, stderr = archive(store, tmp_path, "--xlsx")
    assert code == 0, stderr
    month = tmp_path / "2026-10"
    assert sorted(p.name for p in month.iterdir()) == ["manifest.json", "messages.parquet", "聊天记录.xlsx"]
    rows = pq.read_table(month / "messages.parquet").to_pylist()
    assert len(rows) == 5  # October only; the November message stays out
    text = json.dumps(rows, ensure_ascii=False, default=str)
    assert not any(value in text for value in RAW_VALUES)
    manifest = json.loads((month / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["month"] == "2026-10" and manifest["messages"] == 5 and manifest["conversations"] == 2
    assert manifest["found"] == {"idcard": 1, "phone": 2, "email": 1, "address": 1, "name": 1}
    assert manifest["scan"] == "clean" and manifest["mode"] == "mask" and manifest["key_id"] is None
    for entry in manifest["files"]:
        data = (month / entry["name"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"] and len(data) == entry["bytes"]
    assert {e["name"]: e.get("rows") for e in manifest["files"]}["messages.parquet"] == 5
    # One line for a cron mail, no colour codes.
    assert stdout.count("\n") == 1 and "chatlog archive 2026-10: 5 条消息" in stdout and "\x1b[" not in stdout
    assert code == 0 and not list(tmp_path.glob(".2026-10*"))


def test_rerunning_replaces_the_month(store: Store, tmp_path: Path) -> None:
    assert archive(store, tmp_path)[0] == 0
    first = (tmp_path / "2026-10" / "messages.parquet").read_bytes()
    (tmp_path / "2026-10" / "stale.txt").write_text("from an older run", encoding="utf-8")
    code, stdout, _ = archive(store, tmp_path, "--quiet")
    assert code == 0 and stdout == ""
    month = tmp_path / "2026-10"
    assert not (month / "stale.txt").exists()
    assert pq.read_table(month / "messages.parquet").num_rows == pq.read_table(pa.BufferReader(first)).num_rows
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2026-10"]


def test_a_failure_leaves_the_old_archive_and_no_leftovers(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert archive(store, tmp_path)[0] == 0
    before = {p.name: p.read_bytes() for p in (tmp_path / "2026-10").iterdir()}

    def disk_full(parquet: Path, xlsx: Path) -> None:
        xlsx.write_bytes(b"half a workbook")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(archive_module, "_write_xlsx", disk_full)
    with pytest.raises(OSError):
        archive_module.archive_month(store, "2026-10", tmp_path, Redactor(), xlsx=True)
    assert {p.name: p.read_bytes() for p in (tmp_path / "2026-10").iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2026-10"]


def test_the_scan_stops_a_leaking_archive(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert archive(store, tmp_path)[0] == 0
    before = (tmp_path / "2026-10" / "manifest.json").read_bytes()
    # A detector regression: redaction replaces nothing.
    monkeypatch.setattr(Redactor, "redact_counted", lambda self, text: (text, {}))
    code, _, stderr = archive(store, tmp_path)
    assert code == 3 and "未发布" in stderr
    assert not any(value in stderr for value in RAW_VALUES)
    assert (tmp_path / "2026-10" / "manifest.json").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2026-10"]


def test_pseudonym_archives_are_stable_across_runs(store: Store, tmp_path: Path) -> None:
    key = tmp_path / "k.key"
    assert cli("redact", "init-key", str(key))[0] == 0
    tables = []
    for out in (tmp_path / "a", tmp_path / "b"):
        code, _, _ = archive(store, out, "--mode", "pseudonym", "--key-file", str(key))
        assert code == 0
        tables.append(pq.read_table(out / "2026-10" / "messages.parquet").drop(["import_id"]).to_pylist())
    assert tables[0] == tables[1]
    manifest = json.loads((tmp_path / "a" / "2026-10" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["key_id"] and key.read_text().strip() not in json.dumps(manifest)


def test_bad_month_and_empty_month(store: Store, tmp_path: Path) -> None:
    for bad in ("2026-13", "202610", "last-month"):
        code, _, stderr = cli("archive", "--store", str(store.root), "--month", bad, "--out", str(tmp_path))
        assert code == 2 and "YYYY-MM" in stderr
    code, stdout, _ = cli("archive", "--store", str(store.root), "--month", "2025-01", "--out", str(tmp_path))
    assert code == 0 and "0 条消息" in stdout
    assert pq.read_table(tmp_path / "2025-01" / "messages.parquet").num_rows == 0
