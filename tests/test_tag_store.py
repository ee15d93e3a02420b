"""`chatlog tag` over a store: tag files, idempotent and incremental runs, --tag search, explanations, CLI errors."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from tests.conftest import run_import
from tests.tagging_helpers import write_pdd_csv, write_rules
from typer.testing import CliRunner

from chatlog_cli.cli import app
from chatlog_cli.find.filters import MessageFilter
from chatlog_cli.find.search import search
from chatlog_cli.schema import TAG_SCHEMA
from chatlog_cli.store import Store
from chatlog_cli.store.query import connect

FIRST = [
    ("A1", "buyer", "2026-11-02 10:00:00", "在吗"),
    ("A1", "agent", "2026-11-02 10:01:00", "亲，在的"),
    ("A1", "buyer", "2026-11-02 10:02:00", "想换货退款，快递还没收到"),
    ("A1", "buyer", "2026-11-02 10:03:00", "再不处理我就投诉"),
    ("A2", "buyer", "2026-11-03 11:00:00", "我不退款了"),
    ("A2", "agent", "2026-11-03 11:01:00", "好的，可以换货"),
]
SECOND = [("B1", "buyer", "2026-11-20 09:00:00", "给你差评")]


@pytest.fixture
def tagged_store(tmp_path: Path) -> tuple[Path, Path]:
    store_dir = tmp_path / "store"
    run_import([write_pdd_csv(tmp_path / "first.csv", FIRST)], store_dir)
    return store_dir, write_rules(tmp_path / "rules.toml")


def tag(store_dir: Path, rules: Path, *args: str) -> dict:
    result = CliRunner().invoke(
        app, ["tag", "--store", str(store_dir), "--rules", str(rules), "--format", "json", *args]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def tag_files(store_dir: Path) -> dict[Path, tuple[float, bytes]]:
    return {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in sorted((store_dir / "tags").rglob("*.parquet"))}


def test_tagging_writes_tag_rows_and_counts_per_tag(tagged_store: tuple[Path, Path]) -> None:
    store_dir, rules = tagged_store
    report = tag(store_dir, rules)
    assert report["files_tagged"] == 1 and report["messages_tagged_now"] == 6
    counts = {t["tag"]: (t["messages"], t["conversations"]) for t in report["tags"]}
    # Agent messages are not tagged by buyer rules; 不退款 cancels 退款.
    assert counts == {"退换货": (1, 1), "售后处理": (1, 1), "物流-配送时效": (1, 1), "物流": (1, 1),
                      "风险-投诉": (1, 1), "风险": (1, 1)}  # fmt: skip
    assert (report["messages"], report["conversations"], report["tagged_conversations"]) == (6, 2, 1)
    [file] = tag_files(store_dir)
    assert pq.read_schema(file).remove_metadata() == TAG_SCHEMA.remove_metadata()


def test_rerunning_with_the_same_rules_writes_nothing(tagged_store: tuple[Path, Path]) -> None:
    store_dir, rules = tagged_store
    tag(store_dir, rules)
    before = tag_files(store_dir)
    report = tag(store_dir, rules)
    assert report["files_tagged"] == 0 and report["files_up_to_date"] == 1
    assert tag_files(store_dir) == before
    result = CliRunner().invoke(app, ["tag", "--store", str(store_dir), "--rules", str(rules)])
    assert "标签已是最新" in result.stdout


def test_changed_rules_retag_and_new_imports_are_tagged_incrementally(
    tagged_store: tuple[Path, Path], tmp_path: Path
) -> None:
    store_dir, rules = tagged_store
    tag(store_dir, rules)
    run_import([write_pdd_csv(tmp_path / "second.csv", SECOND)], store_dir)
    report = tag(store_dir, rules)
    assert (report["files_tagged"], report["files_up_to_date"], report["messages_tagged_now"]) == (1, 1, 1)
    write_rules(rules, '\n[[rule]]\ntag = "问候"\nkeywords = ["在吗"]\n')
    report = tag(store_dir, rules)
    assert report["files_tagged"] == 2
    assert "问候" in {t["tag"] for t in report["tags"]}


def test_a_filter_tags_the_files_it_touches_and_counts_only_its_messages(
    tagged_store: tuple[Path, Path], tmp_path: Path
) -> None:
    store_dir, rules = tagged_store
    run_import([write_pdd_csv(tmp_path / "second.csv", SECOND)], store_dir)
    report = tag(store_dir, rules, "--since", "2026-11-20")
    assert (report["files_tagged"], report["files_outside_selection_not_current"]) == (1, 1)
    assert report["messages"] == 1
    assert {t["tag"] for t in report["tags"]} == {"风险-差评", "风险"}


def test_search_by_tag_name_last_part_or_ancestor(tagged_store: tuple[Path, Path]) -> None:
    store_dir, rules = tagged_store
    tag(store_dir, rules)
    store = Store.open(store_dir)

    def found(*tags: str) -> list[str]:
        return [r["content"] for r in search(store, MessageFilter(tags=tags)).rows]

    assert found("风险-投诉") == found("投诉") == found("风险") == ["再不处理我就投诉"]
    assert found("物流") == ["想换货退款，快递还没收到"]
    assert found("退换货", "投诉") == ["想换货退款，快递还没收到", "再不处理我就投诉"]
    assert found("问候") == []
    result = CliRunner().invoke(app, ["search", "--store", str(store_dir), "--tag", "投诉", "--format", "json"])
    assert json.loads(result.stdout)["matches"] == 1


def test_conversation_tags_keep_the_first_tagged_message_as_evidence(tagged_store: tuple[Path, Path]) -> None:
    store_dir, rules = tagged_store
    tag(store_dir, rules)
    con = connect(Store.open(store_dir))
    rows = con.execute(
        "SELECT t.tag, t.messages, t.evidence_rule, t.evidence_keyword, m.content FROM conversation_tags t "
        "JOIN messages m ON m.message_id = t.evidence_message_id WHERE t.tag IN ('售后处理', '风险') ORDER BY t.tag"
    ).fetchall()
    assert rows == [
        ("售后处理", 1, "退换货", "换货", "想换货退款，快递还没收到"),
        ("风险", 1, "风险-投诉", "投诉", "再不处理我就投诉"),
    ]


def test_explain_a_stored_message_and_a_text(tagged_store: tuple[Path, Path]) -> None:
    store_dir, rules = tagged_store
    tag(store_dir, rules)
    con = connect(Store.open(store_dir))
    [(message_id,)] = con.execute("SELECT message_id FROM messages WHERE content = '我不退款了'").fetchall()
    runner = CliRunner()
    result = runner.invoke(app, ["tag", "--store", str(store_dir), "--rules", str(rules), "--explain", message_id[:10]])
    assert result.exit_code == 0, result.output
    assert "已存标签：无（用当前规则打的）" in result.stdout
    assert "被排除词“不退款”抵消" in result.stdout
    result = runner.invoke(app, ["tag", "--rules", str(rules), "--text", "想换货退款", "--format", "json"])
    explained = json.loads(result.stdout)
    assert explained["tags"] == ["退换货", "售后处理"]
    assert [(m["matched"], m["start"], m["counts"]) for m in explained["matches"]] == [
        ("换货", 1, True),
        ("退款", 3, True),
    ]
    result = runner.invoke(app, ["tag", "--rules", str(rules), "--text", "给差评", "--role", "客服"])
    assert "标签（客服）：无" in result.stdout and "规则不适用于客服" in result.stdout


def test_explain_unknown_or_short_ids_are_usage_errors(tagged_store: tuple[Path, Path]) -> None:
    store_dir, rules = tagged_store
    runner = CliRunner()
    result = runner.invoke(app, ["tag", "--store", str(store_dir), "--rules", str(rules), "--explain", "abc"])
    assert result.exit_code == 2 and "至少要写前 8 位" in result.stderr
    result = runner.invoke(app, ["tag", "--store", str(store_dir), "--rules", str(rules), "--explain", "f" * 32])
    assert result.exit_code == 2 and "没有编号为" in result.stderr


def test_rules_command_lists_rules_and_bad_files_fail_with_the_line(tmp_path: Path) -> None:
    runner = CliRunner()
    rules = write_rules(tmp_path / "rules.toml")
    result = runner.invoke(app, ["tag", "rules", "--rules", str(rules), "--format", "json"])
    listed = json.loads(result.stdout)
    assert [r["tag"] for r in listed["rules"]][:2] == ["售后处理", "退换货"]
    assert listed["rules"][1]["ancestors"] == ["售后处理"]
    result = runner.invoke(app, ["tag", "rules"])
    assert result.exit_code == 0 and "风险-投诉" in result.stdout and "内置规则" in result.stdout
    text = rules.read_text(encoding="utf-8")
    rules.write_text(text + 'roles = ["boss"]\n', encoding="utf-8")
    result = runner.invoke(app, ["tag", "rules", "--rules", str(rules)])
    assert result.exit_code == 2
    assert f"第 {len(text.splitlines()) + 1} 行" in result.stderr and "roles 里的 boss 不认识" in result.stderr


def test_tag_files_of_uncommitted_or_vanished_message_files_are_cleaned_up(tagged_store: tuple[Path, Path]) -> None:
    store_dir, rules = tagged_store
    tag(store_dir, rules)
    store = Store.open(store_dir)
    orphan = store.derived_dir("tags") / "platform=pinduoduo" / "month=2026-11" / "20990101T000000-deadbeef-0.parquet"
    pq.write_table(pa.table({"x": [1]}), orphan)
    with store.writing():
        pass
    assert not orphan.exists()
    assert len(tag_files(store_dir)) == 1
