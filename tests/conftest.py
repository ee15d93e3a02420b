"""Shared fixtures: CLI runner, temporary stores, fixture paths, and golden-file helpers."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from chatlog_cli.importer import ImportOptions, ImportReport, import_files
from chatlog_cli.store import Store

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).parent.parent
CORPORA = REPO.parent / "shared" / "corpora"

# Columns compared in golden files: everything but where/when it was imported.
GOLDEN_DROP = ("import_id", "source_file")


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    return tmp_path / "store"


@pytest.fixture
def batches_decoded_as_bytes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Row counts of the CSV batches split into cells as bytes and decoded a column at a time, as they come."""
    from chatlog_cli.io import tabular

    counts: list[int] = []
    decoded_columns = tabular.decoded_columns

    def counted(batch: Any, *args: Any) -> Any:
        counts.append(batch.num_rows)
        return decoded_columns(batch, *args)

    monkeypatch.setattr(tabular, "decoded_columns", counted)
    return counts


def run_import(paths: list[Path | str], store_dir: Path, **options: Any) -> ImportReport:
    return import_files([str(p) for p in paths], store_dir, ImportOptions(**options))


def messages(store_dir: Path) -> list[dict[str, Any]]:
    """Store rows as plain dicts, in a stable order."""
    table = Store.open(store_dir).read_messages()
    rows = table.sort_by(
        [("platform", "ascending"), ("sent_at", "ascending"), ("source_line", "ascending")]
    ).to_pylist()
    for row in rows:
        row["sent_at"] = row["sent_at"].isoformat()
    return rows


def sessions(store_dir: Path) -> list[dict[str, Any]]:
    """Session-metadata rows (JD 会话记录) as plain dicts, in a stable order."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from chatlog_cli.schema import SESSION_SCHEMA

    files = Store.open(store_dir).session_files()
    table = pa.concat_tables([pq.read_table(f) for f in files]) if files else SESSION_SCHEMA.empty_table()
    rows = table.sort_by([("started_at", "ascending"), ("source_line", "ascending")]).to_pylist()
    for row in rows:
        row["started_at"] = row["started_at"].isoformat()
    return rows


def golden_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in row.items() if k not in GOLDEN_DROP} for row in rows]


def assert_matches_golden(rows: list[dict[str, Any]], golden: Path) -> None:
    """Compare with a JSONL golden file; CHATLOG_UPDATE_GOLDEN=1 rewrites it (review the diff!)."""
    actual = golden_rows(rows)
    if os.environ.get("CHATLOG_UPDATE_GOLDEN") == "1":
        golden.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in actual), encoding="utf-8")
    expected = [json.loads(line) for line in golden.read_text(encoding="utf-8").splitlines() if line]
    assert actual == expected
