"""Tagging benchmark: messages per second with the built-in rules, in memory and end to end over a store.

    python benchmarks/bench_tag.py                  # 1,000,000 messages (target ≥ 1,000,000 messages/s)
    python benchmarks/bench_tag.py --n 100000       # a quick check
    python benchmarks/bench_tag.py --write-docs     # also record the results in docs/performance.md

(a) In memory: `Tagger.tag_table` over `redaction_corpus.message_mix` (the redaction benchmark's realistic mix:
    short repeated texts, templated questions and answers, images and system lines; ~15 % distinct texts) as a
    table in the store's message schema — and over the same number of all-distinct texts (each message made
    unique by a counter), the worst case for the per-text cache.
(b) End to end: `tag_store` (what `chatlog tag` runs) on a store holding the import benchmark's Pinduoduo CSV
    (imported once and cached under --workdir): read the message files, match, write the tag files, then count
    tags per conversation. Tag files are deleted before each run so every run tags everything.
Best of --repeat runs each.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Final

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_import
import bench_redact

TARGET: Final = 1_000_000


def best_of(repeat: int, run: Any) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - started)
    return best, result


def in_memory(args: argparse.Namespace, tagger: Any) -> list[str]:
    import pyarrow as pa
    import pyarrow.compute as pc

    table, _ = bench_redact.mix_table(args.n, args.seed)
    table = table.select(["message_id", "content", "sender_role"])
    unique = table.set_column(
        1,
        "content",
        pc.binary_join_element_wise(
            pc.fill_null(table["content"], ""), pa.array([f" #{i}" for i in range(table.num_rows)]), ""
        ),
    )
    rows = []
    for label, data in (("realistic mix", table), ("all texts distinct", unique)):
        distinct = int(pc.count_distinct(data["content"]).as_py())
        print(f"  {label}: tagging {data.num_rows:,} messages …", file=sys.stderr, flush=True)
        seconds, tags = best_of(args.repeat, lambda d=data: tagger.tag_table(d))
        tagged = int(pc.count_distinct(tags["message_id"]).as_py())
        rows.append(_row(label, data.num_rows, distinct, seconds, tagged, tags.num_rows))
    return rows


def end_to_end(args: argparse.Namespace, tagger: Any) -> list[str]:
    from chatlog_cli.find.filters import MessageFilter
    from chatlog_cli.importer import ImportOptions, import_files
    from chatlog_cli.store.store import Store
    from chatlog_cli.tagging.run import tag_store

    workdir = args.workdir
    csv_path, _ = bench_import.prepare("pdd-csv", args.n, args.seed, workdir)
    store_dir = workdir / f"tag-store-{args.n}-{args.seed}"
    if not (store_dir / "imports.parquet").exists():
        shutil.rmtree(store_dir, ignore_errors=True)
        print(f"  importing {csv_path.name} once …", file=sys.stderr, flush=True)
        import_files([str(csv_path)], store_dir, ImportOptions())
    store = Store.open(store_dir)
    total = sum(1 for _ in store.message_files())

    def run() -> Any:
        shutil.rmtree(store.derived_dir("tags"), ignore_errors=True)
        return tag_store(store, tagger, MessageFilter())

    print(f"  tagging the store ({total} message files) …", file=sys.stderr, flush=True)
    seconds, report = best_of(args.repeat, run)
    summary = report.summary
    return [
        _row(
            "store, end to end (`tag_store`)",
            report.messages_read,
            None,
            seconds,
            summary.tagged_messages,
            report.tag_rows,
        )
    ]


def _row(label: str, n: int, distinct: int | None, seconds: float, tagged: int, rows: int) -> str:
    rate = n / seconds
    verdict = "PASS" if rate >= TARGET else "FAIL"
    shown = f"{distinct:,} ({distinct / n:.0%})" if distinct is not None else "—"
    return f"| {label} | {n:,} | {shown} | {seconds:.2f} | {rate:,.0f} | {verdict} | {tagged:,} | {rows:,} |"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "chatlog-bench", help="inputs cache and stores"
    )
    parser.add_argument("--write-docs", action="store_true", help="record the results in docs/performance.md")
    return parser.parse_args()


def main() -> None:
    from chatlog_cli.tagging.rules import default_rules
    from chatlog_cli.tagging.tagger import Tagger

    args = parse_args()
    rules = default_rules()
    started = time.perf_counter()
    tagger = Tagger(rules)
    compile_seconds = time.perf_counter() - started
    rows = in_memory(args, tagger) + end_to_end(args, tagger)
    lines = [
        "## Tagging (`benchmarks/bench_tag.py`)",
        "",
        f"Run {dt.date.today():%Y-%m-%d} at revision {bench_import.revision()} on {bench_import.machine()}.",
        f"`python benchmarks/bench_tag.py --n {args.n} --seed {args.seed}`; best of {args.repeat}.",
        "",
        f"Rules: the built-in set, {len(rules.rules)} rules with {rules.keyword_count} keywords and regular "
        f"expressions ({sum(len(r.exclude) for r in rules.rules)} exclude phrases); compiling them "
        f"(automaton, regexes) takes {compile_seconds * 1000:.0f} ms. In memory = `Tagger.tag_table` on an Arrow "
        "table; end to end = `tag_store`: read the store's message files, match, write the tag files, count tags "
        "per conversation (the summary `chatlog tag` prints).",
        "",
        "| input | messages | distinct texts | seconds | messages/s | ≥ 1M/s | tagged messages | tag rows |",
        "|---|---:|---:|---:|---:|---|---:|---:|",
        *rows,
    ]
    print("\n".join(lines))
    if args.write_docs:
        bench_import.write_doc_section("bench_tag", "\n".join(lines))


if __name__ == "__main__":
    main()
