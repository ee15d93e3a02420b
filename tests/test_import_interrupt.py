"""Ctrl-C during an import stops it promptly, says so, and leaves the store as it was before that file.

The import runs in a child process (a real SIGINT to a real process); a small driver slows the stage being
interrupted so the signal lands there on any machine: the parser while rows are staged (DuckDB used to pull
the parser's batches itself and ignore Ctrl-C until the file was done), or the Parquet files while they are
written (some already in `.tmp`).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from chatlog_cli.store import ingest
from conftest import FIXTURES, REPO, run_import

JD = FIXTURES / "jd" / "basic.log"  # staged whole in DuckDB (its roles need the whole file)
PDD = FIXTURES / "pinduoduo" / "basic.csv"
YOUZAN = FIXTURES / "youzan" / "basic.csv"  # streamed (store/streamed.py)

_DRIVER = """
import sys, time
from pathlib import Path
from chatlog_cli.store import ingest
from chatlog_cli.cli import main

stage, marker = sys.argv[1], Path(sys.argv[2])
if stage == "parsing":
    prefetched = ingest._prefetched

    def slow(batches):
        batch = next(iter(prefetched(batches)))
        for _ in range(200):  # 20 s of parsing, the same batch over and over
            marker.touch()
            yield batch
            time.sleep(0.1)

    ingest._prefetched = slow
else:
    write = ingest._PartitionFiles.write

    def slow_write(self, batch):  # 2 rows per batch, 0.5 s each
        marker.touch()
        time.sleep(0.5)
        return write(self, batch)

    ingest.ROW_GROUP_ROWS = 2
    ingest._PartitionFiles.write = slow_write
sys.argv = ["chatlog", "import", *sys.argv[3:]]
main()
"""


@pytest.mark.parametrize("export", [JD, YOUZAN], ids=["staged", "streamed"])
@pytest.mark.parametrize("stage", ["parsing", "writing"])
def test_ctrl_c_stops_the_import_and_leaves_the_store_as_it_was(tmp_path: Path, stage: str, export: Path) -> None:
    store = tmp_path / "store"
    run_import([PDD], store)
    before = sorted(p.relative_to(store) for p in store.rglob("*") if p.is_file())
    marker = tmp_path / "marker"
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "NO_COLOR": "1"}
    child = subprocess.Popen(
        [sys.executable, "-c", _DRIVER, stage, str(marker), str(export), "--store", str(store)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    deadline = time.monotonic() + 30
    while not marker.exists() and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert marker.exists(), child.communicate()[1].decode()
    time.sleep(0.2)
    child.send_signal(signal.SIGINT)
    interrupted = time.monotonic()
    _, err = child.communicate(timeout=30)
    stopped_within = time.monotonic() - interrupted

    assert child.returncode == 130
    assert stopped_within < 10  # not after the 20 s the slowed stage would take
    message = err.decode()
    assert "已中断" in message and f"{export.name} 未导入" in message
    assert "Traceback" not in message
    after = sorted(p.relative_to(store) for p in store.rglob("*") if p.is_file())
    assert after == before  # the PDD import stays, nothing of the interrupted file, no leftovers in .tmp


def test_ctrl_c_that_duckdb_reports_as_an_error_is_a_keyboard_interrupt() -> None:
    with pytest.raises(KeyboardInterrupt), ingest._interruptible():
        raise RuntimeError("Query interrupted")
    with pytest.raises(KeyboardInterrupt), ingest._interruptible():
        try:
            signal.raise_signal(signal.SIGINT)
        except KeyboardInterrupt:  # what DuckDB does when it was reading a registered Arrow table
            raise RuntimeError("exporting a stream from the object failed") from None
    with pytest.raises(RuntimeError, match="something else"), ingest._interruptible():
        raise RuntimeError("something else")
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
