"""Streamed imports (store/streamed.py): the same rows and ids as the staged path, whatever the batches."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from chatlog_cli.io import tabular
from chatlog_cli.platforms.base import Sample
from chatlog_cli.schema import STAGING_SCHEMA
from chatlog_cli.store import ingest as ingest_module
from chatlog_cli.store.identity import Digests, DigestSet, Occurrences, digest_words
from chatlog_cli.store.streamed import NotStreamable, StreamedRows
from conftest import messages, run_import

HEADER = "会话ID,买家ID,买家昵称,客服账号,发送方,消息类型,消息内容,发送时间,订单编号"
WORDS = ["在吗", "什么时候发货", "亲，今天下午发出哦", "好的", "谢谢", "尺码偏大吗", "可以退款吗", "收到了"]


def pdd_rows(seed: int, count: int, start: dt.datetime) -> list[str]:
    """Synthetic Pinduoduo rows; about one in twenty repeats an earlier row exactly (same second and text)."""
    rng = random.Random(seed)
    rows: list[str] = []
    at = start
    for index in range(count):
        if rows and rng.random() < 0.05:
            rows.append(rows[rng.randrange(max(0, len(rows) - 400), len(rows))])  # near or a few batches back
            continue
        at += dt.timedelta(seconds=rng.choice([0, 1, 7, 60, 3600 * 5]))
        buyer = rng.randrange(40)
        role = rng.choice(["买家", "客服", "机器人"])
        rows.append(
            f"S{buyer:03d}{at:%m%d},{9000 + buyer},买家{buyer}号,小店-客服{buyer % 3},{role},文本,"
            f"{rng.choice(WORDS)}{index % 3 or ''},{at:%Y-%m-%d %H:%M:%S},"
        )
    return rows


def write_csv(path: Path, rows: list[str]) -> Path:
    path.write_text(HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """CSV blocks of 4 KB: dozens of batches from a small file."""
    monkeypatch.setattr(tabular, "_CSV_BLOCK_BYTES", 4096)


def staged_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every file through the staged path, as before streaming existed."""
    monkeypatch.setattr(ingest_module, "complete", lambda batch: False)
    monkeypatch.setattr(ingest_module, "fillable_in_order", lambda batch: False)


def never_staged(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the import if any file goes through the staged path (first or after a streamed attempt)."""

    def fail(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("staged")

    monkeypatch.setattr(ingest_module, "_ingest_staged", fail)


TAOBAO_HEADER = "客户名,消息序号,发送时间,发送内容,发送账号,账号类型,会话ID,商品ID,订单号,消息状态"


def taobao_conversations(seed: int, count: int) -> list[list[str]]:
    """Taobao sheet rows, a conversation at a time: the agent named only on the agent's own rows.

    Buyers speak before any agent (their agent is the conversation's first), agents hand over (a row's agent
    is the last one before it), and some conversations have a robot only (no agent at all).
    """
    rng = random.Random(seed)
    conversations = []
    for number in range(count):
        buyer = f"tb{number:05d}"
        at = dt.datetime(2026, 10, 31, 20) + dt.timedelta(minutes=7 * number)
        agents = rng.sample(["云裳:小美", "云裳:小北", "云裳:阿杰"], rng.choice([0, 1, 1, 2]))
        speakers = [(buyer, "客户")] * rng.randrange(1, 4)
        for agent in agents:
            speakers += [(agent, "客服"), (buyer, "客户")] * rng.randrange(1, 4)
        if not agents:
            speakers += [("店小蜜", "机器人"), (buyer, "客户")]
        rows = []
        for index, (sender, kind) in enumerate(speakers, 1):
            at += dt.timedelta(seconds=rng.choice([0, 5, 40]))
            rows.append(
                f"{buyer},{index},{at:%Y-%m-%d %H:%M:%S},{rng.choice(WORDS)}{index},{sender},{kind},"
                f"TB{number:05d},,,已读"
            )
        conversations.append(rows)
    return conversations


def write_taobao(path: Path, rows: list[str]) -> Path:
    path.write_text(TAOBAO_HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def stored(store_dir: Path) -> list[dict[str, Any]]:
    rows = messages(store_dir)
    for row in rows:
        del row["import_id"]
    return sorted(rows, key=lambda r: (r["source_file"], r["source_line"], r["message_id"]))


def figures(report: Any) -> list[tuple[Any, ...]]:
    return [
        (f.status, f.rows_read, f.messages_added, f.duplicates_skipped, f.unknown_roles, f.rejected_rows)
        for f in report.files
    ]


def test_digest_words_are_one_to_one_and_read_slices() -> None:
    digests = [hashlib.md5(str(i).encode()).hexdigest() for i in range(20_000)]
    ids = pa.array(digests)
    hi, lo = digest_words(ids)
    assert len(set(zip(hi.tolist(), lo.tolist(), strict=True))) == len(digests)
    # Digests alike but for one character anywhere map to different words.
    for position in range(32):
        other = digests[0][:position] + ("0" if digests[0][position] != "0" else "f") + digests[0][position + 1 :]
        assert digest_words(pa.array([other])) != digest_words(pa.array([digests[0]]))
    part_hi, part_lo = digest_words(ids.slice(5, 100))
    assert (part_hi == hi[5:105]).all() and (part_lo == lo[5:105]).all()
    with pytest.raises(ValueError):
        digest_words(pa.array(["abc"]))


def test_occurrences_count_earlier_identical_rows_in_file_order() -> None:
    rng = random.Random(3)
    pool = [hashlib.md5(str(i).encode()).hexdigest() for i in range(3_000)]
    # Different digests sharing their first 16 characters: the same first word, still different messages.
    pool += [pool[0][:16] + hashlib.md5(f"x{i}".encode()).hexdigest()[:16] for i in range(5)]
    occurrences = Occurrences()
    seen: Counter[str] = Counter()
    for _ in range(30):
        batch = [rng.choice(pool) for _ in range(rng.randrange(1, 400))]
        expected = []
        for digest in batch:
            expected.append(seen[digest])
            seen[digest] += 1
        assert occurrences.number(Digests.of(pa.array(batch))).tolist() == expected
    assert max(seen.values()) > 3


def test_digest_set_holds_exactly_what_was_added() -> None:
    rng = random.Random(11)
    added = [hashlib.md5(f"a{i}".encode()).hexdigest() for i in range(5_000)]
    # Same first 16 characters as added ones, different last 16: the first word matches, the digest not.
    lookalikes = [d[:16] + hashlib.md5(d.encode()).hexdigest()[:16] for d in added[:50]]
    others = [hashlib.md5(f"b{i}".encode()).hexdigest() for i in range(5_000)]
    digests = DigestSet()
    for start in range(0, len(added), 700):  # several runs, merged as they grow
        digests.add(Digests.of(pa.array(added[start : start + 700])))
    assert len(digests) == len(added)
    probe = added[::7] + lookalikes + others[:300]
    rng.shuffle(probe)
    expected = [p in set(added) for p in probe]
    assert digests.contains(Digests.of(pa.array(probe))).tolist() == expected
    assert digests.first_word_seen(Digests.of(pa.array(lookalikes))).all()
    # Digests sharing a first word within one run: each found whichever of them a search lands on.
    pairs = DigestSet()
    held = added[:50] + lookalikes
    rng.shuffle(held)
    pairs.add(Digests.of(pa.array(held)))
    twins = [d[:16] + hashlib.md5(f"c{d}".encode()).hexdigest()[:16] for d in added[:50]]
    probe = held + twins
    rng.shuffle(probe)
    assert pairs.contains(Digests.of(pa.array(probe))).tolist() == [p in held for p in probe]


def test_digests_of_several_arrays_are_those_of_their_concatenation() -> None:
    ids = [hashlib.md5(str(i).encode()).hexdigest() for i in range(3_000)]
    whole = Digests.of(pa.array(ids))
    parts = Digests.of(pa.array(ids[:1_000]), pa.array(ids[1_000:1_001]), pa.array(ids[1_001:]))
    assert (parts.hi == whole.hi).all() and (parts.lo == whole.lo).all()
    assert (parts.sorted_hi == np.sort(whole.hi)).all()
    assert (parts.sorted_hi == parts.hi[parts.order]).all() and (parts.sorted_lo == parts.lo[parts.order]).all()


def test_streamed_import_stores_what_the_staged_import_stores(
    tmp_path: Path, small_batches: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = pdd_rows(1, 2_500, dt.datetime(2026, 10, 30, 20))  # crosses into November: two partitions
    first = write_csv(tmp_path / "week1.csv", rows[:1_800])
    second = write_csv(tmp_path / "week2.csv", rows[1_200:])  # overlaps the first
    assert sum(1 for _ in _batches(first)) > 10

    streamed = run_import([first], tmp_path / "streamed"), run_import([second], tmp_path / "streamed")
    together = run_import([first, second], tmp_path / "one-run")
    staged_only(monkeypatch)
    staged = run_import([first], tmp_path / "staged"), run_import([second], tmp_path / "staged")

    assert [figures(r) for r in streamed] == [figures(r) for r in staged]
    assert figures(together) == figures(staged[0]) + figures(staged[1])
    assert streamed[1].files[0].duplicates_skipped == 600
    assert stored(tmp_path / "streamed") == stored(tmp_path / "staged") == stored(tmp_path / "one-run")
    ids = [row["message_id"] for row in stored(tmp_path / "streamed")]
    assert len(ids) == len(set(ids)) == 2_500


def test_rows_needing_fills_late_in_a_file_send_it_through_the_staged_path(
    tmp_path: Path, small_batches: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = pdd_rows(2, 1_500, dt.datetime(2026, 11, 2, 9))
    # The agent column is blank on late rows: their agent must come from the rest of the conversation.
    late = [",".join([*r.split(",")[:3], "", *r.split(",")[4:]]) if i > 1_300 else r for i, r in enumerate(rows)]
    path = write_csv(tmp_path / "late.csv", late)

    class Progress:
        rows = 0

        def file_started(self, *args: Any) -> None: ...

        def rows_parsed(self, rows: int) -> None:
            self.rows += rows

        def file_finished(self, *args: Any) -> None: ...

    progress = Progress()
    from chatlog_cli.importer import ImportOptions, import_files

    report = import_files([str(path)], tmp_path / "streamed", ImportOptions(), progress)
    staged_only(monkeypatch)
    staged = run_import([path], tmp_path / "staged")
    assert figures(report) == figures(staged)
    assert report.files[0].rows_read == progress.rows == 1_500
    assert stored(tmp_path / "streamed") == stored(tmp_path / "staged")
    assert not list((tmp_path / "streamed" / ".tmp").glob("*/**/*.parquet"))


def test_agents_named_only_on_their_own_rows_are_filled_as_the_file_streams(
    tmp_path: Path, small_batches: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    conversations = taobao_conversations(4, 300)
    path = write_taobao(tmp_path / "taobao.csv", [row for rows in conversations for row in rows])
    assert sum(1 for _ in _batches(path)) > 10
    with monkeypatch.context() as patched:
        never_staged(patched)
        streamed = run_import([path], tmp_path / "streamed"), run_import([path], tmp_path / "streamed")
    staged_only(monkeypatch)
    staged = run_import([path], tmp_path / "staged"), run_import([path], tmp_path / "staged")
    assert [figures(r) for r in streamed] == [figures(r) for r in staged]
    rows = stored(tmp_path / "streamed")
    assert rows == stored(tmp_path / "staged")
    agents = {row["agent"] for row in rows if row["sender_role"] == "buyer"}
    assert {"云裳:小美", "云裳:小北", "云裳:阿杰", None} <= agents


@pytest.mark.parametrize("where", ["first batch", "later"])
@pytest.mark.parametrize("disorder", ["conversation apart", "time back"])
def test_conversations_out_of_order_are_filled_by_the_staged_path(
    tmp_path: Path, small_batches: None, monkeypatch: pytest.MonkeyPatch, where: str, disorder: str
) -> None:
    conversations = taobao_conversations(5, 200)
    handed_over = [
        i for i, rows in enumerate(conversations) if len({r.split(",")[4] for r in rows if "客服" in r}) == 2
    ]
    index = 0 if where == "first batch" else 150
    conversations.insert(index, conversations.pop(handed_over[0]))
    rows = conversations[index]
    if disorder == "conversation apart":
        # Its first row (a buyer's, before any agent: the conversation's first agent) after the next conversation
        # (in the same batch), or at the end of the file (batches later).
        conversations[index + 1 if where == "first batch" else -1].append(rows.pop(0))
    else:
        # Its last row (a buyer's, after the second agent) timed before the rest: first in the conversation.
        cells = rows[-1].split(",")
        rows[-1] = ",".join([*cells[:2], "2026-10-31 00:00:00", *cells[3:]])
    path = write_taobao(tmp_path / "taobao.csv", [row for rows in conversations for row in rows])
    streamed = run_import([path], tmp_path / "streamed")
    staged_only(monkeypatch)
    staged = run_import([path], tmp_path / "staged")
    assert figures(streamed) == figures(staged)
    assert stored(tmp_path / "streamed") == stored(tmp_path / "staged")


def test_a_conversation_too_long_to_hold_back_goes_through_the_staged_path(
    tmp_path: Path, small_batches: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chatlog_cli.store import streamed

    conversations = taobao_conversations(7, 60)
    long = [row for rows in conversations[10:40] for row in rows]  # thirty conversations made one
    conversations[10:40] = [[",".join([*r.split(",")[:6], "TB-LONG", *r.split(",")[7:]]) for r in long]]
    path = write_taobao(tmp_path / "taobao.csv", [row for rows in conversations for row in rows])
    staged_calls = []
    original = ingest_module._ingest_staged

    def counted(*args: Any, **kwargs: Any) -> Any:
        staged_calls.append(1)
        return original(*args, **kwargs)

    with monkeypatch.context() as patched:
        patched.setattr(ingest_module, "_ingest_staged", counted)
        run_import([path], tmp_path / "whole")  # streamed: the long conversation is held back whole
        assert staged_calls == []
        patched.setattr(streamed, "_HELD_ROWS_MAX", 40)
        held_back = run_import([path], tmp_path / "streamed")
    assert staged_calls == [1] and len(long) > 40
    staged_only(monkeypatch)
    staged = run_import([path], tmp_path / "staged")
    assert figures(held_back) == figures(staged)
    assert stored(tmp_path / "streamed") == stored(tmp_path / "staged")


def test_a_conversation_going_on_in_the_next_sheet_is_filled_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import openpyxl

    rows = [row.split(",") for rows in taobao_conversations(6, 40) for row in rows]
    workbook = openpyxl.Workbook()
    workbook.active.title = "聊天记录1"
    cut = next(i for i in range(len(rows) // 2, len(rows)) if rows[i][5] == "客户" and rows[i][1] == "1") + 1
    for sheet, part in ((workbook.active, rows[:cut]), (workbook.create_sheet("聊天记录2"), rows[cut:])):
        sheet.append(TAOBAO_HEADER.split(","))
        for row in part:
            sheet.append(row)
    path = tmp_path / "taobao.xlsx"
    workbook.save(path)
    with monkeypatch.context() as patched:
        never_staged(patched)
        streamed = run_import([path], tmp_path / "streamed")
    staged_only(monkeypatch)
    staged = run_import([path], tmp_path / "staged")
    assert figures(streamed) == figures(staged)
    assert stored(tmp_path / "streamed") == stored(tmp_path / "staged")
    sheets = {row["source_file"] for row in stored(tmp_path / "streamed") if row["conversation_id"] == rows[cut][6]}
    assert len(sheets) == 2  # the conversation cut between the sheets


def _batches(path: Path) -> list[pa.RecordBatch]:
    from chatlog_cli.io.sources import Source
    from chatlog_cli.platforms import detect
    from chatlog_cli.platforms.base import ParseOptions

    sample = Sample(Source(path))
    return list(detect(sample).format.parse(sample, ParseOptions()).batches)


def _batch(file: str, lines: list[int]) -> pa.RecordBatch:
    n = len(lines)
    columns = {f.name: pa.nulls(n, f.type) for f in STAGING_SCHEMA}
    columns |= {
        "platform": pa.array(["pinduoduo"] * n),
        "conversation_id": pa.array(["c"] * n),
        "buyer": pa.array(["b"] * n),
        "agent": pa.array(["a"] * n),
        "sent_at": pa.array(np.arange(n) * 1000, STAGING_SCHEMA.field("sent_at").type),
        "sender_role": pa.array(["buyer"] * n),
        "msg_type": pa.array(["text"] * n),
        "content": pa.array([f"m{line}" for line in lines]),
        "source_file": pa.array([file] * n),
        "source_line": pa.array(lines, pa.int64()),
    }
    return pa.RecordBatch.from_pydict(columns, schema=STAGING_SCHEMA)


@pytest.mark.parametrize(
    "batches",
    [
        [_batch("a.xlsx#2", [1, 2]), _batch("a.xlsx#1", [3, 4])],  # sheets out of name order
        [_batch("a.csv", [5, 6]), _batch("a.csv", [2, 3])],
        [_batch("a.csv", [2, 1])],
        [pa.concat_batches([_batch("a.csv", [1]), _batch("b.csv", [2])])],
    ],
)
def test_batches_out_of_file_order_are_not_streamed(batches: list[pa.RecordBatch]) -> None:
    import duckdb

    con = duckdb.connect()
    rows = StreamedRows(iter(batches), con, "import-1", lambda keys: set(), DigestSet())
    with pytest.raises(NotStreamable):
        list(rows)


def test_flagged_ids_are_the_ids_and_the_flag_covers_every_rewrite() -> None:
    import duckdb

    from chatlog_cli.store.identity import _FOLDED, _TRIMMED, FIRST_ID_SQL, FLAGGED_FIRST_ID_SQL, may_fold

    rng = random.Random(9)
    pieces = ["好的", "在吗", " ", "  ", "\t", "\n", "\r\n", "\f", "\u3000", "\u00a0", "\u2003", "\u202f", "\u205f",
              "\u1680", "。", "a", "·", "\u200b", "\u3001", "😀"]  # fmt: skip
    contents: list[str | None] = ["", " ", "\u3000", "a  b", "\u3000好的", "好的\u00a0", "。", None, "好的"]
    contents += ["".join(rng.choice(pieces) for _ in range(rng.randrange(1, 6))) for _ in range(3_000)]
    rows = pa.table(
        {
            "platform": ["pdd"] * len(contents),
            "thread": ["t1"] * len(contents),
            "sent_at": pa.array([1_700_000_000_000 + i for i in range(len(contents))], pa.timestamp("ms", "UTC")),
            "sender": ["小美"] * len(contents),
            "content": pa.array(contents, pa.string()),
        }
    )
    for table in (rows, rows.slice(1_000, 700)):  # a slice: offsets that do not start at 0
        content = table.column("content").combine_chunks()
        flagged = table.append_column("may_fold", pa.array(may_fold(content)))
        con = duckdb.connect()
        con.register("batch_rows", flagged)
        plain = con.sql(f"SELECT {FIRST_ID_SQL} FROM batch_rows").fetchall()
        quick = con.sql(f"SELECT {FLAGGED_FIRST_ID_SQL} FROM batch_rows").fetchall()
        assert plain == quick
        test = f"coalesce({_FOLDED} OR contains({_TRIMMED}, content[1]) OR contains({_TRIMMED}, content[-1]), false)"
        rewritten = [bool(r[0]) for r in con.sql(f"SELECT {test} AND content <> '' FROM batch_rows").fetchall()]
        assert all(f for f, r in zip(may_fold(content).tolist(), rewritten, strict=True) if r)
    assert not may_fold(pa.array(["好的", "a b", "。好", None, ""])).any()
