"""The README's main job on the bundled examples: what a new user sees first must keep working."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from chatlog_cli.cli import app
from conftest import REPO

EXPORTS = REPO / "examples" / "exports"


def test_readme_main_job_imports_every_example_and_is_idempotent(tmp_path: Path) -> None:
    runner = CliRunner()
    store = str(tmp_path / "demo-store")
    folders = [str(EXPORTS / name) for name in ("jd", "pinduoduo", "youzan", "taobao")]
    first = runner.invoke(app, ["import", *folders, "--store", store, "--json"], catch_exceptions=False)
    assert first.exit_code == 0, first.stdout
    files = json.loads(first.stdout)["files"]
    assert {f["format"] for f in files} == {
        "jd-log",
        "jd-sessions",
        "pdd-csv",
        "youzan",
        "taobao-sheet",
        "taobao-txt",
        "taobao-im",
        "taobao-conversation-sheet",
    }
    # The JD session list covers the first two logs' days, plus six sessions whose chat is not in them.
    assert json.loads(first.stdout)["session_matching"] == {"sessions": 94, "matched": 88}
    assert all(f["status"] == "imported" and f["rejected_rows"] == 0 and f["unknown_roles"] == 0 for f in files)
    overlapping = [f for f in files if f["duplicates_skipped"]]
    assert len(overlapping) == 2  # the second JD log and the GBK Pinduoduo CSV repeat a few days
    mapped = runner.invoke(
        app,
        ["import", str(next((EXPORTS / "custom").glob("*.xlsx"))), "--map", str(EXPORTS / "custom" / "mapping.toml"),
         "--store", store, "--json"],
    )  # fmt: skip
    assert mapped.exit_code == 0, mapped.stdout
    [custom] = json.loads(mapped.stdout)["files"]
    assert (custom["format"], custom["platform"], custom["unknown_roles"]) == ("mapped", "douyin", 0)

    again = runner.invoke(app, ["import", *folders, "--store", store, "--json"])
    assert json.loads(again.stdout)["totals"]["messages_added"] == 0
    assert {f["status"] for f in json.loads(again.stdout)["files"]} == {"already_imported"}

    info = json.loads(runner.invoke(app, ["info", "--store", store, "--json"]).stdout)
    assert {b["platform"] for b in info["breakdown"]} == {"jd", "pinduoduo", "youzan", "taobao", "douyin"}
    assert info["roles"].get("unknown", 0) == 0


def test_examples_are_small_and_synthetic() -> None:
    total = sum(p.stat().st_size for p in (REPO / "examples").rglob("*") if p.is_file())
    assert total < 2 * 1024 * 1024


def test_generic_spreadsheet_is_not_claimed_by_a_platform(tmp_path: Path) -> None:
    from chatlog_cli.errors import FormatDetectionError
    from chatlog_cli.io.sources import Source
    from chatlog_cli.platforms import detect
    from chatlog_cli.platforms.base import Sample

    path = tmp_path / "generic.csv"
    path.write_text("会话编号,发送人,时间,内容,订单号\nC1,甲,2026-11-01 10:00:00,你好,\n", encoding="utf-8")
    try:
        detect(Sample(Source(path)))
    except FormatDetectionError as error:
        assert "--map" in str(error)
    else:
        raise AssertionError("a sheet with only generic headers must not be claimed")
