"""JD session list (会话记录): parsing, storage, matching to chat-log conversations, bad input."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import openpyxl
import pytest

from chatlog_cli.cli import app
from chatlog_cli.platforms.jd_sessions import duration_seconds
from chatlog_cli.store.query import connect
from chatlog_cli.store.sessions import aliases_agree_sql
from chatlog_cli.store.store import Store
from conftest import FIXTURES, run_import, sessions

LOG = FIXTURES / "jd" / "basic.log"
SESSIONS = FIXTURES / "jd" / "session_list.csv"


def _matches(store_dir: Path) -> dict[str, tuple[str, float]]:
    con = connect(Store.open(store_dir))
    try:
        rows = con.execute("SELECT session_id, conversation_id, seconds_apart FROM conversation_sessions").fetchall()
    finally:
        con.close()
    return {sid: (cid, apart) for sid, cid, apart in rows}


def _conversation_starts(store_dir: Path) -> dict[str, str]:
    con = connect(Store.open(store_dir))
    try:
        rows = con.execute(
            "SELECT conversation_id, strftime(min(sent_at), '%H:%M:%S') FROM messages GROUP BY 1"
        ).fetchall()
    finally:
        con.close()
    return {start: cid for cid, start in rows}


@pytest.mark.parametrize("order", ["log first", "sessions first"])
def test_sessions_match_conversations_by_start_time_and_masked_buyer(store_dir: Path, order: str) -> None:
    files = [LOG, SESSIONS] if order == "log first" else [SESSIONS, LOG]
    report = run_import(files, store_dir)
    assert [f.status for f in report.files] == ["imported", "imported"]
    result = next(f for f in report.files if f.kind == "sessions")
    assert result.sessions_added == 5 and result.messages_added == 0
    # Counted over the store after the whole run, whatever the order of the files.
    assert report.session_matching is not None
    assert (report.session_matching.sessions, report.session_matching.matched) == (5, 3)
    starts = _conversation_starts(store_dir)
    assert _matches(store_dir) == {
        "9001": (starts["10:00:00"], 12.0),  # j***b ~ j****ab
        "9002": (starts["11:20:00"], 90.0),  # 13****21, 90 s apart: inside ± 2 minutes
        "9003": (starts["09:00:00"], 5.0),
    }  # 9004 starts 25 minutes after y****88's conversation; 9005 has no conversation


def test_a_later_chat_log_import_completes_the_matches(store_dir: Path) -> None:
    first = run_import([SESSIONS], store_dir)
    assert first.session_matching is not None and first.session_matching.matched == 0
    second = run_import([LOG], store_dir)
    assert second.session_matching is not None and second.session_matching.unmatched == 2
    assert sorted(_matches(store_dir)) == ["9001", "9002", "9003"]


def test_reimporting_an_overlapping_session_list_adds_each_session_once(tmp_path: Path, store_dir: Path) -> None:
    run_import([SESSIONS], store_dir)
    lines = SESSIONS.read_text(encoding="utf-8").splitlines()
    overlapping = tmp_path / "会话记录_第二次导出.csv"
    extra = "2026-10-10 09:00:00,z****1,售前,山海小铺-小美,,售前咨询组,,,10,10,1,1,1,满意,已解决,9006"
    overlapping.write_text("\n".join([lines[0], *lines[3:], extra]) + "\n", encoding="utf-8")
    [result] = run_import([overlapping], store_dir).files
    assert (result.sessions_added, result.duplicates_skipped) == (1, 3)
    assert [r["session_id"] for r in sessions(store_dir)] == ["9001", "9002", "9003", "9004", "9005", "9006"]


def test_workbook_with_title_row_and_no_cid(tmp_path: Path, store_dir: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "会话记录"
    sheet.append(["京东咚咚 会话记录导出"])
    sheet.append([" 咨询时间", " 顾客", " 客服", "技能组", "满意度", "首次响应时间", "平均响应时间(S)"])
    sheet.append([dt.datetime(2026, 10, 7, 10, 0, 12), "j***b", "山海小铺-小美", "售前咨询组", "满意", "1分5秒", 20])
    sheet.append([dt.datetime(2026, 10, 7, 10, 0, 12), "j***b", "山海小铺-小美", "售前咨询组", "满意", "1分5秒", 20])
    workbook.save(tmp_path / "会话记录.xlsx")
    [result] = run_import([tmp_path / "会话记录.xlsx", LOG], store_dir).files[:1]
    assert result.format == "jd-sessions" and result.sessions_added == 1 and result.duplicates_skipped == 1
    [row] = sessions(store_dir)
    assert row["session_id"] is None and row["first_response_seconds"] == 65.0 and row["source_line"] == 3
    assert row["started_at"] == "2026-10-07T10:00:12+08:00"
    assert _matches(store_dir) == {None: (_conversation_starts(store_dir)["10:00:00"], 12.0)}


def test_bad_rows_are_rejected_with_row_and_reason(tmp_path: Path, store_dir: Path) -> None:
    lines = SESSIONS.read_text(encoding="utf-8").splitlines()
    bad = tmp_path / "会话记录.csv"
    broken_time = lines[1].replace("2026-10-07 10:00:12", "昨天上午")
    no_buyer = lines[2].replace("13****21", "")
    bad.write_text("\n".join([lines[0], broken_time, no_buyer, lines[3]]) + "\n", encoding="utf-8")
    [result] = run_import([bad], store_dir).files
    assert (result.status, result.sessions_added, result.rejected_rows) == ("imported", 1, 2)
    rejects = Store.open(store_dir).read_rejects().to_pylist()
    assert [(r["source_line"], r["reason_code"]) for r in rejects] == [(2, "bad_time"), (3, "missing_buyer")]
    assert "咨询时间无法识别" in rejects[0]["reason"]


def test_forced_format_on_a_file_without_session_columns_names_them(tmp_path: Path, runner) -> None:
    path = tmp_path / "别的表.csv"
    path.write_text("日期,金额\n2026-10-07,10\n", encoding="utf-8")
    result = runner.invoke(app, ["import", str(path), "--format", "jd-sessions", "--store", str(tmp_path / "s")])
    assert result.exit_code != 0
    assert "别的表.csv" in result.output and "咨询时间" in result.output and "顾客" in result.output


def test_cli_reports_session_rows_not_messages(tmp_path: Path, runner) -> None:
    result = runner.invoke(app, ["import", str(LOG), str(SESSIONS), "--store", str(tmp_path / "s")])
    assert result.exit_code == 0, result.output
    assert "5 条会话记录" in result.output
    assert "会话记录（京东会话列表）共 5 条，其中 3 条对上了" in result.output and "2 条没有对上" in result.output


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("31", 31.0),
        ("12.5", 12.5),
        ("45秒", 45.0),
        ("1分5秒", 65.0),
        ("2分钟", 120.0),
        ("00:00:45", 45.0),
        ("00:02:05", 125.0),
        ("10:00:43", 31.0),  # the clock time of the first reply, 31 s after a 10:00:12 start
        ("2026-10-07 10:01:12", 60.0),
        ("2026-10-07 09:00:00", None),  # before the session started: not a response time
        ("约1分钟", None),
        ("", None),
    ],
)
def test_first_response_durations(text: str, expected: float | None) -> None:
    started = dt.datetime(2026, 10, 7, 10, 0, 12, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert duration_seconds(text, started) == expected


@pytest.mark.parametrize(
    ("a", "b", "agree"),
    [
        ("j****ab", "j****ab", True),
        ("j***b", "j****ab", True),
        ("j****ab", "jack_ab", True),
        ("jack_ab", "j****ab", True),
        ("j****ab", "k****ab", False),
        ("j****ab", "j****cd", False),
        ("j****ab", "jab", False),  # the masked part hides at least one character
        ("****", "****", True),  # identical
        ("****", "a****", False),  # nothing visible to compare
        ("张**", "张三丰", True),
        ("张**", "李三丰", False),
        ("alice", "bob", False),
    ],
)
def test_masked_buyer_aliases(a: str, b: str, agree: bool) -> None:
    sql = f"SELECT {aliases_agree_sql('x.a', 'x.b')} FROM (SELECT ?::VARCHAR AS a, ?::VARCHAR AS b) x"
    assert duckdb.execute(sql, [a, b]).fetchall() == [(agree,)]
