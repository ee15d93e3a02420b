"""The command line: help texts, JSON output equal to the library's figures, info, formats."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chatlog_cli.cli import app
from chatlog_cli.info import summarize
from chatlog_cli.platforms import REGISTRY
from chatlog_cli.store import Store
from conftest import FIXTURES

JD = FIXTURES / "jd" / "basic.log"
PDD = FIXTURES / "pinduoduo" / "basic.csv"
COMMANDS = [c.name for c in app.registered_commands]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(runner: CliRunner, command: str) -> None:
    callback = next(c.callback for c in app.registered_commands if c.name == command)
    assert callback.__doc__ and len(callback.__doc__.strip()) > 20
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.stdout


def test_version(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout.startswith("chatlog ")


def test_import_json_figures_and_info(runner: CliRunner, tmp_path: Path) -> None:
    store = tmp_path / "store"
    result = runner.invoke(app, ["import", str(JD), str(PDD), "--store", str(store), "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["totals"]["messages_added"] == 26
    jd, pdd = data["files"]
    assert (jd["format"], jd["platform"], jd["rows_read"], jd["messages_added"]) == ("jd-log", "jd", 16, 16)
    assert (pdd["format"], pdd["encoding"], pdd["duplicates_skipped"]) == ("pdd-csv", "utf-8", 0)

    info = runner.invoke(app, ["info", "--store", str(store), "--json"])
    summary = json.loads(info.stdout)
    assert summary == json.loads(json.dumps(summarize(Store.open(store)).as_dict(), default=str))
    assert (summary["messages"], summary["conversations"], summary["buyers"]) == (26, 7, 7)
    assert summary["agents"] == 4
    assert summary["first_message_at"] == "2026-10-07 10:00:00"
    assert [(b["platform"], b["month"], b["messages"]) for b in summary["breakdown"]] == [
        ("jd", "2026-10", 16),
        ("pinduoduo", "2026-11", 10),
    ]

    table = runner.invoke(app, ["info", "--store", str(store)])
    assert "消息" in table.stdout and "26" in table.stdout


def test_store_from_environment(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHATLOG_STORE", str(tmp_path / "env-store"))
    assert runner.invoke(app, ["import", str(JD)]).exit_code == 0
    assert (tmp_path / "env-store" / "chatlog-store.json").exists()


def test_info_on_missing_store_explains(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["info", "--store", str(tmp_path / "nothing")])
    assert result.exit_code == 1
    assert "chatlog import" in result.stderr


def test_plain_progress_lines_when_not_a_terminal(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["import", str(JD), "--store", str(tmp_path / "s")])
    assert "[1/1]" in result.stderr and "新增 16 条" in result.stderr
    assert "\x1b[" not in result.stdout  # no colour codes in pipes


def test_formats_lists_every_registered_format(runner: CliRunner) -> None:
    data = json.loads(runner.invoke(app, ["formats", "--json"]).stdout)
    assert [d["format"] for d in data] == [f.name for f in REGISTRY] + ["mapped"]
    assert all(d["recognized_by"] for d in data)


def test_python_dash_m_runs_the_cli() -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "chatlog_cli", "--version"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0 and result.stdout.startswith("chatlog ")


def test_import_keeps_freed_memory_for_reuse(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import platform
    import sys

    from chatlog_cli import allocator

    calls: list[bool] = []
    real = allocator.keep_freed_memory
    monkeypatch.setattr(allocator, "keep_freed_memory", lambda: calls.append(True) or real())
    result = runner.invoke(app, ["import", str(JD), "--store", str(tmp_path / "store")], catch_exceptions=False)
    assert result.exit_code == 0 and calls == [True]
    if sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc":
        assert real() is True  # mallopt accepted every setting
    import pyarrow as pa

    if "jemalloc" in pa.supported_memory_backends():
        assert pa.default_memory_pool().backend_name == "jemalloc"
    monkeypatch.setattr(sys, "platform", "darwin")
    assert real() is False
