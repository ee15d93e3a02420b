"""The store: idempotent and overlapping imports, encodings, atomic writes, locking, recovery."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path

import pytest

from chatlog_cli.errors import StoreError, StoreLockedError
from chatlog_cli.settings import CHINA_TZ
from chatlog_cli.store import Store, identity
from chatlog_cli.store import ingest as ingest_module
from chatlog_cli.store import store as store_module
from conftest import FIXTURES, messages, run_import

JD = FIXTURES / "jd" / "basic.log"
PDD = FIXTURES / "pinduoduo" / "basic.csv"


def store_files(store_dir: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(store_dir)): p.read_bytes()
        for p in sorted(store_dir.rglob("*"))
        if p.is_file() and p.name != ".lock"
    }


def test_reimporting_the_same_file_adds_nothing_and_says_so(store_dir: Path) -> None:
    first = run_import([JD], store_dir).files[0]
    again = run_import([JD], store_dir).files[0]
    assert first.messages_added == 16
    assert again.status == "already_imported"
    assert again.messages_added == 0
    assert "导入过" in again.notes[0]
    assert len(messages(store_dir)) == 16


def test_the_size_check_before_an_import_leaves_pandas_unloaded(store_dir: Path) -> None:
    """The import's first step must not wait for pandas, which pyarrow loads on its first Python-value call."""
    import subprocess
    import sys

    run_import([JD], store_dir)
    size = JD.stat().st_size
    check = (
        "import sys; from pathlib import Path; from chatlog_cli.store import Store; "
        f"store = Store.open(Path({str(store_dir)!r})); "
        f"print(store.has_import_of_size({size}), store.has_import_of_size({size + 1}), 'pandas' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["True", "False", "False"]


def test_the_import_log_hashes_every_file_and_a_same_sized_other_file_still_imports(
    store_dir: Path, tmp_path: Path
) -> None:
    first = run_import([JD], store_dir).files[0]
    # A file of another size is hashed while it is parsed (it cannot be one imported before); the log still
    # gets its hash, so importing it again is recognised.
    log = Store.open(store_dir).import_log().to_pylist()
    assert log[0]["sha256"] == hashlib.sha256(JD.read_bytes()).hexdigest()
    assert log[0]["size_bytes"] == JD.stat().st_size
    # Same size, other bytes: hashed before parsing, found new, imported.
    text = JD.read_bytes()
    twin = tmp_path / "twin.log"
    twin.write_bytes(text.replace("橡胶底".encode(), "牛筋底".encode(), 1))
    assert twin.stat().st_size == JD.stat().st_size and twin.read_bytes() != text
    other = run_import([twin], store_dir).files[0]
    assert other.status == "imported" and other.messages_added == 1
    assert run_import([twin], store_dir).files[0].status == "already_imported"
    assert first.messages_added == 16


@pytest.mark.parametrize(
    ("encoding", "newline", "bom"),
    [("utf-8", "\n", True), ("utf-8", "\r\n", False), ("gbk", "\r\n", False), ("gb18030", "\n", False)],
)
@pytest.mark.parametrize("fixture", [JD, PDD], ids=["jd", "pdd"])
def test_same_export_in_another_encoding_yields_the_same_ids(
    fixture: Path, encoding: str, newline: str, bom: bool, tmp_path: Path
) -> None:
    text = fixture.read_text(encoding="utf-8")
    copy = tmp_path / f"copy{fixture.suffix}"
    data = text.replace("\n", newline).encode(encoding)
    copy.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    run_import([fixture], tmp_path / "store")
    result = run_import([copy], tmp_path / "store").files[0]
    assert result.status == "imported", result.error
    assert result.messages_added == 0
    assert result.duplicates_skipped == result.rows_read > 0
    run_import([copy], tmp_path / "fresh")
    assert [m["message_id"] for m in messages(tmp_path / "store")] == [
        m["message_id"] for m in messages(tmp_path / "fresh")
    ]
    assert [m["content"] for m in messages(tmp_path / "store")] == [m["content"] for m in messages(tmp_path / "fresh")]


def _jd_session(buyer: str, day: str, agent: str = "店-小美") -> str:
    return (
        "/*****************以下为一通会话************************************/\n"
        f"{buyer} 2026-10-{day} 10:00:00\n在吗\n"
        f"{agent} 2026-10-{day} 10:00:30\n在的亲\n"
        f"{buyer} 2026-10-{day} 10:01:00\n在吗\n"
        f"/*****************会话结束_时间:2026-10-{day} 10:05:00******************/\n"
    )


def test_overlapping_exports_add_only_new_messages(tmp_path: Path) -> None:
    week1 = tmp_path / "week1.log"
    week2 = tmp_path / "week2.txt"
    # Both cover Wednesday the 14th.
    week1.write_text("".join(_jd_session(f"b{d}", d) for d in ("12", "13", "14")), encoding="utf-8")
    week2.write_text("".join(_jd_session(f"b{d}", d) for d in ("14", "15", "16")), encoding="gb18030")
    store_dir = tmp_path / "store"
    first = run_import([week1], store_dir).files[0]
    second = run_import([week2], store_dir).files[0]
    assert (first.messages_added, second.messages_added, second.duplicates_skipped) == (9, 6, 3)
    assert len(messages(store_dir)) == 15
    assert len({m["message_id"] for m in messages(store_dir)}) == 15


def test_overlapping_exports_imported_in_one_run_add_only_new_messages(tmp_path: Path) -> None:
    """Files of one run share the ids the run has stored so far, also of a month an earlier file of it began."""
    week1, week2, week3 = tmp_path / "week1.log", tmp_path / "week2.txt", tmp_path / "week3.log"
    week1.write_text("".join(_jd_session(f"b{d}", d) for d in ("12", "13", "14")), encoding="utf-8")
    week2.write_text("".join(_jd_session(f"b{d}", d) for d in ("14", "15", "16", "31")), encoding="gb18030")
    november = _jd_session("b01", "31").replace("2026-10-31", "2026-11-01")
    week3.write_text(_jd_session("b31", "31") + november + _jd_session("b12", "12"), encoding="utf-8")
    store_dir = tmp_path / "store"
    results = run_import([week1, week2, week3], store_dir).files
    assert [(r.messages_added, r.duplicates_skipped) for r in results] == [(9, 0), (9, 3), (3, 6)]
    assert len({m["message_id"] for m in messages(store_dir)}) == len(messages(store_dir)) == 21


def test_a_file_failing_mid_run_leaves_the_next_files_deduplicated(tmp_path: Path) -> None:
    """A failed file rolls back (the run's database goes too); the files after it still find the stored ids."""
    week1, week2, broken, week3 = (tmp_path / f"{n}.log" for n in ("a-week1", "b-week2", "c-broken", "d-week3"))
    week1.write_text("".join(_jd_session(f"b{d}", d) for d in ("12", "13", "14")), encoding="utf-8")
    week2.write_text("".join(_jd_session(f"b{d}", d) for d in ("14", "15", "16")), encoding="utf-8")
    # Valid UTF-8 for longer than the detection sample, then bytes that are not: fails while being staged.
    body = "".join(_jd_session(f"x{n % 9}", f"{n % 28 + 1:02d}") for n in range(3000)).encode()
    broken.write_bytes(body + b"\xff\xfe\xfd\n")
    week3.write_text("".join(_jd_session(f"b{d}", d) for d in ("13", "16", "17")), encoding="utf-8")
    store_dir = tmp_path / "store"
    results = run_import([week1, week2, broken, week3], store_dir).files
    assert [r.status for r in results] == ["imported", "imported", "failed", "imported"]
    assert "编码" in (results[2].error or "")
    assert [(r.messages_added, r.duplicates_skipped) for r in results] == [(9, 0), (6, 3), (0, 0), (3, 6)]
    assert len(messages(store_dir)) == 18


def test_identical_repeated_messages_are_kept_apart(tmp_path: Path) -> None:
    log = tmp_path / "twice.log"
    log.write_text(
        "/*****************以下为一通会话************************************/\n"
        "买家a 2026-10-01 10:00:00\n在吗\n买家a 2026-10-01 10:00:00\n在吗\n",
        encoding="utf-8",
    )
    result = run_import([log], tmp_path / "store").files[0]
    assert result.messages_added == 2
    assert len({m["message_id"] for m in messages(tmp_path / "store")}) == 2


def test_repeats_are_numbered_in_file_order_and_folded_white_space_does_not_tell_them_apart(tmp_path: Path) -> None:
    log = tmp_path / "thrice.log"
    log.write_text(
        "/*****************以下为一通会话************************************/\n"
        "买家a 2026-10-01 10:00:00\n在 吗\n买家a 2026-10-01 10:00:00\n在\n吗\n"
        "买家a 2026-10-01 10:00:00\n  在\t 吗 \n买家a 2026-10-01 10:00:01\n在 吗\n",
        encoding="utf-8",
    )
    run_import([log], tmp_path / "store")
    rows = sorted(messages(tmp_path / "store"), key=lambda m: m["source_line"])
    second = int(dt.datetime(2026, 10, 1, 10, 0, tzinfo=CHINA_TZ).timestamp())

    def expected(at: int, occurrence: int) -> str:
        # The documented identity: platform, thread (a JD log's session), second, sender, folded content.
        identity = "\x1f".join(["jd", rows[0]["conversation_id"], str(at), "买家a", "在 吗", str(occurrence)])
        return hashlib.md5(identity.encode()).hexdigest()

    assert [m["message_id"] for m in rows] == [
        expected(second, 0),
        expected(second, 1),
        expected(second, 2),
        expected(second + 1, 0),
    ]


def test_trim_characters_are_exactly_what_duckdb_trim_removes() -> None:
    import duckdb

    removed = duckdb.sql(
        "SELECT list(i ORDER BY i) FROM range(1, 1114112) t(i) "
        "WHERE (i < 55296 OR i > 57343) "
        "AND (trim('a' || chr(i::INT)) <> ('a' || chr(i::INT)) OR trim(chr(i::INT) || 'a') <> (chr(i::INT) || 'a'))"
    ).fetchall()[0][0]
    assert removed == list(identity.TRIM_CHARACTERS)


def test_identity_content_shortcut_equals_trimming_and_folding_every_message() -> None:
    import random

    import duckdb
    import pyarrow as pa

    rng = random.Random(7)
    alphabet = ["在", "吗", "a", " ", "  ", "\t", "\n", "\r", "\f", "\v", "\x85", "\u3000", "\xa0", "\u2028", "\u200b"]
    texts = ["", " ", "在 吗", "\u3000在", "在\u3000", "a\u0301", None]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 6))) for _ in range(20_000)]
    rows = pa.table({"content": pa.array(texts, pa.string())})  # noqa: F841 (read by DuckDB by name)
    mismatches = duckdb.sql(
        f"SELECT content FROM rows WHERE {identity.CANON_SQL} "
        r"IS DISTINCT FROM coalesce(regexp_replace(trim(content), '\s+', ' ', 'g'), '')"
    ).fetchall()
    assert mismatches == []


def test_failure_while_moving_files_into_place_leaves_store_unchanged(
    store_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_import([JD], store_dir)
    before = store_files(store_dir)
    calls = {"n": 0}
    real_replace = os.replace

    def flaky_replace(src: str | Path, dst: str | Path) -> None:
        calls["n"] += 1
        if calls["n"] == 2:  # the second partition file of the PDD import
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    two_months = PDD.read_text(encoding="utf-8") + "S9,9,x,y,买家,文本,十二月的消息,2026-12-01 10:00:00,\n"
    path = store_dir.parent / "two_months.csv"
    path.write_text(two_months, encoding="utf-8")
    monkeypatch.setattr(ingest_module.os, "replace", flaky_replace)
    with pytest.raises(OSError):
        run_import([path], store_dir)
    monkeypatch.undo()
    # Readers ignore the uncommitted file; the next writer removes it.
    assert len(messages(store_dir)) == 16
    run_import([JD], store_dir)
    assert store_files(store_dir) == before


def test_failure_before_commit_leaves_store_unchanged(store_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run_import([JD], store_dir)
    before = store_files(store_dir)

    def crash(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(Store, "append_import_log", crash)
    with pytest.raises(KeyboardInterrupt):
        run_import([PDD], store_dir)
    assert store_files(store_dir) == before


def test_second_writer_fails_clearly_while_the_store_is_locked(store_dir: Path) -> None:
    store = Store.open(store_dir, create=True)
    with (
        store.writing(),
        pytest.raises(StoreLockedError, match="另一个 chatlog 进程"),
        Store.open(store_dir).writing(0.2),
    ):
        pass


def test_leftovers_of_a_killed_import_are_ignored_then_removed(store_dir: Path) -> None:
    run_import([JD], store_dir)
    partition = next((store_dir / "messages").glob("platform=jd/month=*"))
    orphan = partition / "20990101T000000-deadbeef-000000.parquet"
    orphan.write_bytes(next(partition.glob("*.parquet")).read_bytes())
    assert len(messages(store_dir)) == 16
    run_import([PDD], store_dir)
    assert not orphan.exists()


def test_refuses_to_write_into_a_directory_that_is_not_a_store(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    with pytest.raises(StoreError, match="不是 chatlog 数据目录"):
        run_import([JD], tmp_path)


def test_store_files_are_plain_partitioned_parquet(store_dir: Path) -> None:
    import duckdb
    import pyarrow.dataset as ds

    run_import([JD, PDD], store_dir)
    dataset = ds.dataset(store_dir / "messages", format="parquet", partitioning="hive")
    assert dataset.count_rows() == 26
    count = duckdb.sql(f"SELECT count(*) FROM read_parquet('{store_dir}/messages/**/*.parquet')").fetchall()[0][0]
    assert count == 26
    assert sorted(p.name for p in (store_dir / "messages").iterdir()) == ["platform=jd", "platform=pinduoduo"]
    assert (
        store_module.import_id_of(next((store_dir / "messages").rglob("*.parquet")))
        in Store.open(store_dir).committed_import_ids()
    )
