"""Search benchmark: find by keyword, by order id, and show a conversation, in a 1M-message store.

    python benchmarks/bench_search.py                 # 1,000,000 messages (store built once, then cached)
    python benchmarks/bench_search.py --n 50000       # a quick run
    python benchmarks/bench_search.py --write-docs    # also record the results in docs/performance.md

The store is built from bench_import.py's synthetic Pinduoduo CSV (same generator, seed and cache). Each query
runs --repeat times; the table shows the best and the median. Two figures per query: the library call
(opening the store's views, the query, fetching the shown rows), and the whole command (`chatlog search …` in
a fresh process: Python start-up and imports included), which is what a shop owner waits for.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_import  # noqa: E402  (the shared input generator and machine description)

TARGET_SECONDS = 1.0


def build_store(n: int, seed: int, workdir: Path) -> Path:
    """A store holding the n-message Pinduoduo CSV, imported once and reused while the input is unchanged."""
    from chatlog_cli.importer import import_files
    from chatlog_cli.store.store import Store

    csv_path, _ = bench_import.prepare("pdd-csv", n, seed, workdir)
    store_dir = workdir / "stores" / f"search-n{n}-s{seed}"
    marker = store_dir / "bench-source.json"
    source = {"input": csv_path.name, "size": csv_path.stat().st_size}
    if marker.exists() and json.loads(marker.read_text(encoding="utf-8")) == source:
        return store_dir
    if store_dir.exists():
        import shutil

        shutil.rmtree(store_dir)
    print(f"  building the store from {csv_path.name} …", file=sys.stderr, flush=True)
    report = import_files([str(csv_path)], store_dir)
    assert report.files[0].messages_added == n, report.files[0]
    assert Store.open(store_dir).message_files()
    marker.write_text(json.dumps(source), encoding="utf-8")
    return store_dir


def timed(call: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - started)
    return min(times), statistics.median(times), result


def command_seconds(args: list[str], repeat: int) -> tuple[float, float]:
    def run() -> None:
        subprocess.run([sys.executable, "-m", "chatlog_cli", *args], check=True, capture_output=True)

    best, median, _ = timed(run, repeat)
    return best, median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "chatlog-bench")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()

    from chatlog_cli.find.conversation import ConversationQuery, find_transcripts
    from chatlog_cli.find.filters import MessageFilter
    from chatlog_cli.find.search import search
    from chatlog_cli.find.sql import run_query
    from chatlog_cli.find.timespec import parse_span
    from chatlog_cli.store.store import Store

    store_dir = build_store(args.n, args.seed, args.workdir)
    store = Store.open(store_dir)
    order = (
        run_query(store, "SELECT order_id FROM messages WHERE order_id IS NOT NULL ORDER BY message_id LIMIT 1")
        .column(0)[0]
        .as_py()
    )
    week = "2026-W42"
    w42 = parse_span(week)
    cases: list[tuple[str, Callable[[], Any], list[str]]] = [
        ("keyword (common: 发货)", lambda: search(store, MessageFilter(words=("发货",))), ["search", "发货"]),
        (
            "two keywords + ISO week + role",
            lambda: search(
                store, MessageFilter(words=("快递", "还没"), since=w42.start, until=w42.end, roles=("buyer",))
            ),
            ["search", "快递", "还没", "--since", week, "--until", week, "--role", "买家"],
        ),
        ("order id", lambda: search(store, MessageFilter(orders=(order,))), ["search", "--order", order]),
        (
            "show the order's conversation",
            lambda: find_transcripts(store, ConversationQuery(order=order)),
            ["show", "--order", order],
        ),
    ]
    rows = []
    for label, call, cli in cases:
        best, median, result = timed(call, args.repeat)
        found = getattr(result, "matches", None)
        found = found if found is not None else len(result)
        cli_best, cli_median = command_seconds([*cli, "--store", str(store_dir)], max(1, args.repeat // 2))
        verdict = "pass" if cli_best < TARGET_SECONDS else ("pass (library)" if best < TARGET_SECONDS else "FAIL")
        rows.append((label, found, best, median, cli_best, cli_median, verdict))
        print(f"  {label}: {best:.3f} s library, {cli_best:.3f} s command, {found:,} found", file=sys.stderr)
    lines = [
        "| query | found | library best s | library median s | command best s | command median s | < 1 s |",
        "|---|---:|---:|---:|---:|---:|---|",
        *(f"| {r[0]} | {r[1]:,} | {r[2]:.3f} | {r[3]:.3f} | {r[4]:.3f} | {r[5]:.3f} | {r[6]} |" for r in rows),
    ]
    text = "\n".join(lines)
    print(text)
    if args.write_docs:
        record(text, args)


def record(table: str, args: argparse.Namespace) -> None:
    lines = [
        "## Search (`benchmarks/bench_search.py`)",
        "",
        f"Run {dt.date.today():%Y-%m-%d} at revision {bench_import.revision()} on {bench_import.machine()}.",
        f"`python benchmarks/bench_search.py --n {args.n} --repeat {args.repeat}`: a store of {args.n:,} "
        "Pinduoduo messages (bench_import's generator). Library = the `chatlog_cli.find` call, opening the "
        "store's views included; command = `python -m chatlog_cli …` in a fresh process (start-up and imports "
        "included). Target: under 1 s each.",
        "",
        table,
    ]
    bench_import.write_doc_section("bench_search", "\n".join(lines))


if __name__ == "__main__":
    main()
