"""Every registered format (and the user-mapping path): fixture present, detected, golden output, no rejects."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from chatlog_cli.io.sources import Source
from chatlog_cli.platforms import REGISTRY, detect
from chatlog_cli.platforms.base import Sample
from conftest import FIXTURES, assert_matches_golden, messages, run_import, sessions

FIXTURE_FILES = {
    "jd-log": FIXTURES / "jd" / "basic.log",
    "jd-sessions": FIXTURES / "jd" / "session_list.csv",
    "pdd-csv": FIXTURES / "pinduoduo" / "basic.csv",
    "youzan": FIXTURES / "youzan" / "basic.csv",
    "taobao-sheet": FIXTURES / "taobao" / "basic.csv",
    "taobao-txt": FIXTURES / "taobao" / "account.txt",
    "taobao-im": FIXTURES / "taobao" / "message_manager.txt",
    "taobao-conversation-sheet": FIXTURES / "taobao" / "conversation.csv",
}
MAPPED = FIXTURES / "mapped"


def test_every_registered_format_has_a_fixture() -> None:
    assert {f.name for f in REGISTRY} == set(FIXTURE_FILES)
    for path in FIXTURE_FILES.values():
        assert path.exists()
        assert path.with_suffix(".expected.jsonl").exists()


@pytest.mark.parametrize("fmt", REGISTRY, ids=lambda f: f.name)
def test_detects_its_fixture(fmt) -> None:
    detection = detect(Sample(Source(FIXTURE_FILES[fmt.name])))
    assert detection.format.name == fmt.name
    assert detection.confidence >= 0.8


@pytest.mark.parametrize("fmt", REGISTRY, ids=lambda f: f.name)
def test_fixture_matches_golden_output(fmt, store_dir: Path) -> None:
    path = FIXTURE_FILES[fmt.name]
    report = run_import([path], store_dir)
    [result] = report.files
    assert result.status == "imported", result.error
    assert result.rejected_rows == 0
    assert result.format == fmt.name
    rows = sessions(store_dir) if result.kind == "sessions" else messages(store_dir)
    assert rows
    assert_matches_golden(rows, path.with_suffix(".expected.jsonl"))


@pytest.mark.parametrize("fmt", REGISTRY, ids=lambda f: f.name)
def test_other_formats_do_not_claim_the_fixture(fmt) -> None:
    sample = Sample(Source(FIXTURE_FILES[fmt.name]))
    for other in REGISTRY:
        if other.name != fmt.name:
            assert other.sniff(sample) < 0.5


def test_mapped_spreadsheet_matches_golden(store_dir: Path) -> None:
    report = run_import([MAPPED / "basic.csv"], store_dir, mapping=MAPPED / "mapping.toml")
    [result] = report.files
    assert result.status == "imported", result.error
    assert result.damaged_ids == 1
    assert_matches_golden(messages(store_dir), MAPPED / "basic.expected.jsonl")


def csv_to_xlsx(csv_path: Path, xlsx_path: Path) -> None:
    import csv

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    with csv_path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.reader(handle):
            sheet.append([cell if cell != "" else None for cell in row])
    workbook.save(xlsx_path)


@pytest.mark.parametrize(
    ("csv_path", "options"),
    [
        (FIXTURE_FILES["pdd-csv"], {}),
        (FIXTURE_FILES["youzan"], {}),
        (FIXTURE_FILES["taobao-sheet"], {}),
        (FIXTURE_FILES["taobao-conversation-sheet"], {}),
        (MAPPED / "basic.csv", {"mapping": MAPPED / "mapping.toml"}),
    ],
    ids=["pdd-csv", "youzan", "taobao-sheet", "taobao-conversation-sheet", "mapped"],
)
def test_xlsx_variant_equals_csv(csv_path: Path, options: dict, tmp_path: Path) -> None:
    xlsx = tmp_path / "same.xlsx"
    csv_to_xlsx(csv_path, xlsx)
    run_import([csv_path], tmp_path / "a", **options)
    run_import([xlsx], tmp_path / "b", **options)

    def comparable(rows: list[dict]) -> list[dict]:
        return [{k: v for k, v in r.items() if k not in ("import_id", "source_file")} for r in rows]

    assert comparable(messages(tmp_path / "a")) == comparable(messages(tmp_path / "b"))
