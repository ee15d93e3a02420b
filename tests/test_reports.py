"""`chatlog report …` end to end on hand-built conversations: the same numbers in every format, totals, notes when
tags or sentiment are missing, redaction, empty ranges and every bad-option path."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from tests.conftest import run_import
from tests.report_helpers import CHATS, A, B, Row, write_chats
from typer.testing import CliRunner

from chatlog_cli.cli import app
from chatlog_cli.reports.formatting import format_value

# Week W44 (the week before): two conversations, so the weekly report has something to compare with.
EARLIER: list[Row] = [
    ("W44A", "buyer", "2026-10-27 10:00:00", "什么时候发货？", A, ""),
    ("W44A", "agent", "2026-10-27 10:00:40", "今天发", A, ""),
    ("W44B", "buyer", "2026-10-28 20:00:00", "质量太差了，我要投诉", B, ""),
    ("W44B", "agent", "2026-10-28 20:10:00", "非常抱歉", B, ""),
]
# Personal data in a W45 conversation: it must never reach a report.
PRIVATE: list[Row] = [
    ("PII", "buyer", "2026-11-03 09:30:00", "什么时候发货？电话13812345678，收件人张伟", A, ""),
    ("PII", "buyer", "2026-11-03 09:30:20", "地址北京市朝阳区建国路88号3单元501，我要投诉", A, ""),
    ("PII", "agent", "2026-11-03 09:31:00", "好的亲，马上处理", A, ""),
]
WEEK = "2026-W45"


def _run(*args: str) -> Any:
    return CliRunner().invoke(app, [*args])


@pytest.fixture(scope="module")
def plain_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Imported, never tagged or scored."""
    root = tmp_path_factory.mktemp("reports")
    run_import([write_chats(root / "chats.csv", CHATS + EARLIER + PRIVATE)], root / "store")
    return root / "store"


@pytest.fixture(scope="module")
def store(plain_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Tagged and scored."""
    target = tmp_path_factory.mktemp("tagged") / "store"
    shutil.copytree(plain_store, target)
    for command in (["tag", "-q"], ["sentiment", "-q"]):
        result = _run(*command, "--store", str(target))
        assert result.exit_code == 0, result.output
    return target


def _weekly(store: Path, out: Path) -> Any:
    result = _run("report", "weekly", "--week", WEEK, "--store", str(store), "-o", str(out))
    assert result.exit_code == 0, result.output
    return out


def _tables(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["key"]: t for s in report["sections"] for t in s["tables"]}


def _sheet_tables(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table in the workbook by title: its rows under the header (totals included), up to the blank line."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    for sheet in openpyxl.load_workbook(path).worksheets:
        rows = list(sheet.iter_rows(values_only=True))
        for i, row in enumerate(rows):
            title = row[0]
            if isinstance(title, str) and i + 1 < len(rows) and rows[i + 1][0] is not None and row[1] is None:
                body = []
                for values in rows[i + 2 :]:
                    if all(v is None for v in values):
                        break
                    body.append(values)
                found.setdefault(title, body)
    return found


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float):
        return abs(a - b) <= 1e-9 * max(1.0, abs(a))
    return (a if a is not None else None) == (b if b is not None else None)


def test_weekly_numbers_are_the_same_in_xlsx_json_and_terminal(
    store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHATLOG_REDACT_KEY", "k" * 40)  # the same buyer tokens in every run
    report = json.loads(_weekly(store, tmp_path / "w.json").read_text(encoding="utf-8"))
    workbook = _sheet_tables(_weekly(store, tmp_path / "w.xlsx"))
    terminal = _run("report", "weekly", "--week", WEEK, "--store", str(store))
    assert terminal.exit_code == 0, terminal.output
    tables = _tables(report)
    assert {"overview", "trend", "words", "tags", "questions", "agents", "hour_weekday", "hour_category", "alerts",
            "example_1"} <= set(tables)  # fmt: skip
    compared = 0
    for key, table in tables.items():
        keys = [c["key"] for c in table["columns"]]
        json_rows = [[r[k] for k in keys] for r in table["rows"]]
        if table["total"]:
            json_rows.append([table["total"][k] for k in keys])
        sheet_rows = [list(r[: len(keys)]) for r in workbook[table["title"]]][: len(json_rows)]
        assert len(sheet_rows) == len(json_rows), key
        for json_row, sheet_row in zip(json_rows, sheet_rows, strict=True):
            assert all(_same(a, b) for a, b in zip(json_row, sheet_row, strict=True)), (key, json_row, sheet_row)
            compared += 1
        # The terminal shows each number as format_value makes it.
        kinds = table["row_kinds"]
        for i, row in enumerate(table["rows"]):
            for column in table["columns"]:
                kind = column["kind"]
                if kind == "row":
                    kind = kinds[i]
                if kind in ("int", "share", "seconds") and row[column["key"]] is not None:
                    assert format_value(kind, row[column["key"]]) in terminal.output, (key, column["key"])
    assert compared > 50


def test_weekly_overview_compares_with_the_week_before(store: Path, tmp_path: Path) -> None:
    report = json.loads(_weekly(store, tmp_path / "w.json").read_text(encoding="utf-8"))
    assert report["period"]["label"] == WEEK and report["previous_period"]["label"] == "2026-W44"
    overview = {r["metric"]: r for r in _tables(report)["overview"]["rows"]}
    assert overview["会话数"]["current"] == 9 and overview["会话数"]["previous"] == 2
    assert overview["会话数"]["change"] == pytest.approx(3.5)
    assert overview["未回复会话"]["current"] == 2
    trend = _tables(report)["trend"]["rows"]
    assert [r["conversations"] for r in trend] == [7, 1, 0, 0, 0, 0, 1]  # Tuesday PII, Sunday MIDNIGHT


def test_weekly_report_holds_no_personal_data(store: Path, tmp_path: Path) -> None:
    texts = [_weekly(store, tmp_path / f"w.{s}").read_text(encoding="utf-8") for s in ("json", "md", "csv")]
    book = openpyxl.load_workbook(_weekly(store, tmp_path / "w.xlsx"))
    texts.append("\n".join(str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for v in row))
    for text in texts:
        for secret in ("13812345678", "张伟", "建国路88号", "买家PII", "9PII", "买家OPEN"):
            assert secret not in text
    assert "买家_" in texts[0]  # buyers appear as tokens


def test_agents_report_and_its_definitions(store: Path) -> None:
    result = _run("report", "agents", "--since", WEEK, "--until", WEEK, "--store", str(store), "--format", "json")
    assert result.exit_code == 0, result.output
    table = _tables(json.loads(result.output))["agents"]
    rows = {r["agent"]: r for r in table["rows"]}
    assert rows[A]["conversations"] == 5 and rows[B]["conversations"] == 4
    assert table["total"]["agent"] == "全部" and table["total"]["conversations"] == 9
    assert any("3分钟回复率" in note for note in table["notes"])
    terminal = _run("report", "agents", "--since", WEEK, "--until", WEEK, "--store", str(store))
    assert "咨询轮次：买家连续发出的消息" in terminal.output  # definitions printed under the table


def test_pivot_totals_count_a_shared_conversation_once(store: Path) -> None:
    result = _run("report", "pivot", "--rows", "agent", "--cols", "day", "--since", WEEK, "--until", WEEK,
                  "--store", str(store), "--format", "json")  # fmt: skip
    assert result.exit_code == 0, result.output
    table = _tables(json.loads(result.output))["pivot"]
    rows = {r["agent"]: r for r in table["rows"]}
    # Monday: A served BURST, ROBOT, TRANSFER, THANKS; B served TRANSFER, NIGHT, OPEN; nobody BOTONLY.
    # TRANSFER counts once in the total: 4 + 3 + 1 - 1.
    assert rows[A]["2026-11-02"] == 4 and rows[B]["2026-11-02"] == 3
    assert table["total"]["2026-11-02"] == 7
    assert table["total"]["total"] == 9


def test_pivot_first_response_median_and_values(store: Path) -> None:
    result = _run("report", "pivot", "--rows", "platform", "--values", "first-response", "--agg", "max",
                  "--since", WEEK, "--until", WEEK, "--store", str(store), "--format", "json")  # fmt: skip
    assert result.exit_code == 0, result.output
    table = _tables(json.loads(result.output))["pivot"]
    assert table["rows"][0]["first-response"] == 240.0  # ROBOT
    for rows, values in (("sentiment-label", "conversations"), ("tag", "messages"), ("hour", "buyers"),
                         ("weekday", "mean-sentiment"), ("msg-type", "messages"), ("role", "messages")):  # fmt: skip
        result = _run("report", "pivot", "--rows", rows, "--values", values, "--store", str(store), "--format", "csv")
        assert result.exit_code == 0, (rows, values, result.output)
        assert result.output.splitlines()[-1].startswith("合计")


def test_hourly_heat_table(store: Path) -> None:
    result = _run("report", "hourly", "--since", WEEK, "--until", WEEK, "--store", str(store), "--format", "json")
    assert result.exit_code == 0, result.output
    tables = _tables(json.loads(result.output))
    by_hour = {r["hour"]: r for r in tables["hour_weekday"]["rows"]}
    assert by_hour["10时"]["mon"] == 1 and by_hour["23时"]["sun"] == 1 and by_hour["02时"]["mon"] == 1
    assert tables["hour_weekday"]["total"]["total"] == 9
    assert "hour_category" in tables


def test_frequency_counts_words_on_redacted_text_and_compares_periods(store: Path) -> None:
    result = _run("report", "frequency", "--since", WEEK, "--until", WEEK, "--store", str(store), "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["previous_period"]["label"] == "2026-W44"
    tables = _tables(report)
    words = {r["word"]: r for r in tables["words"]["rows"]}
    assert all(not any(ch.isdigit() for ch in w) for w in words)
    assert "张伟" not in words and "建国路" not in words
    assert words["发货"]["messages"] == 2 and words["发货"]["previous"] == 1  # NIGHT + PII; W44A
    assert {r["tag"] for r in tables["tags"]["rows"]} >= {"风险-投诉"}


def test_reports_say_what_is_missing_without_tags_or_sentiment(plain_store: Path, tmp_path: Path) -> None:
    report = json.loads(_weekly(plain_store, tmp_path / "w.json").read_text(encoding="utf-8"))
    notes = " ".join(report["notes"])
    assert "chatlog tag" in notes and "chatlog sentiment" in notes
    tables = _tables(report)
    assert "tags" not in tables and "hour_category" not in tables
    assert "negative_share" not in [c["key"] for c in tables["agents"]["columns"]]
    result = _run("report", "pivot", "--rows", "tag", "--store", str(plain_store))
    assert result.exit_code == 2 and "chatlog tag" in result.output


def test_empty_range_is_not_an_error(store: Path, tmp_path: Path) -> None:
    result = _run("report", "agents", "--since", "2030-01-01", "--store", str(store))
    assert result.exit_code == 0 and "没有数据" in result.output
    out = tmp_path / "empty.json"
    result = _run("report", "weekly", "--week", "2030-W01", "--store", str(store), "-o", str(out))
    assert result.exit_code == 0 and "没有数据" in result.output
    assert json.loads(out.read_text(encoding="utf-8"))["empty"] is True
    result = _run("report", "weekly", "--week", "2030-W01", "--store", str(store), "-o", str(tmp_path / "e.xlsx"))
    assert result.exit_code == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["pivot", "--rows", "colour"], "colour"),
        (["pivot", "--rows", "agent", "--values", "messages", "--agg", "median"], "只能计数"),
        (["weekly", "--since", "2026-11-01"], "--week"),
        (["weekly", "--week", "2026-W60"], "2026-W60"),
        (["agents", "-o", "report.txt"], "report.txt"),
        (["agents", "--format", "xlsx"], "-o"),
        (["agents", "--service-hours", "早上"], "早上"),
    ],
)
def test_bad_options_exit_2_with_a_message(store: Path, tmp_path: Path, args: list[str], message: str) -> None:
    result = _run("report", *args, "--store", str(store))
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_unwritable_output_fails_cleanly_and_keeps_the_old_file(
    store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "nowhere" / "w.xlsx"
    result = _run("report", "weekly", "--week", WEEK, "--store", str(store), "-o", str(missing))
    assert result.exit_code == 1 and "nowhere" in result.output
    target = tmp_path / "w.xlsx"
    target.write_bytes(b"last week's report")

    def broken(*_: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("chatlog_cli.reports.render_xlsx.write_xlsx", broken)
    result = _run("report", "weekly", "--week", WEEK, "--store", str(store), "-o", str(target))
    assert result.exit_code == 1 and "disk full" in result.output and "原有文件未改动" in result.output
    assert target.read_bytes() == b"last week's report"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
