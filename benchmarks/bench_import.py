"""Import benchmark: messages/s and peak memory per format, into an empty store and re-imported.

    python benchmarks/bench_import.py                 # 1,000,000 messages per format (XLSX: 300,000 rows)
    python benchmarks/bench_import.py --n 50000       # a quick run
    python benchmarks/bench_import.py --write-docs    # also record the results in docs/performance.md

Each measurement runs in its own child process, so the reported peak memory (ru_maxrss) is that of one
import alone. The re-import uses a re-encoded copy of the same messages (a byte-identical file would be
recognised by its hash and skipped), so it measures the de-duplication path: every message a duplicate.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"jd-log": 200_000, "pdd-csv": 500_000, "xlsx-mapped": 100_000}
MEMORY_TARGET_MB = 1536
MAPPING = """platform = "douyin"
[columns]
conversation_id = "会话编号"
buyer = "顾客昵称"
agent = "接待客服"
sender = "发送人"
sender_role = "身份"
sent_at = "时间"
content = "内容"
order_id = "订单号"
[roles]
buyer = ["顾客"]
agent = ["客服"]
"""
BUYER_LINES = [
    "在吗",
    "这款什么时候发货",
    "我的快递怎么还没到",
    "退款什么时候到账",
    "尺码偏大还是偏小",
    "收到的杯子是破的",
    "优惠券怎么用不了",
    "能开发票吗",
    "我要改一下收货地址",
    "质量太差了我要投诉",
    "好的谢谢",
    "那我下单了",
]
AGENT_LINES = [
    "亲，现货48小时内发货哦",
    "亲，帮您查一下物流哦，请稍等",
    "亲，退款原路退回，1-3个工作日到账",
    "亲，这款版型正常，建议按平时尺码选",
    "非常抱歉，马上给您补发",
    "亲，优惠券满99元可用哦",
    "可以的亲，在订单详情页申请电子发票",
    "好的，已经帮您修改成功啦",
    "不客气，祝您购物愉快~",
]


def conversations(n: int, seed: int = 7) -> list[list[tuple[str, str, str, str]]]:
    """n messages as conversations of (sender, role, time, text); about a third of texts are distinct."""
    rng = random.Random(seed)
    buyers = [f"买家{i:05d}" for i in range(50_000)]
    agents = [f"店铺-客服{i:03d}" for i in range(1_000)]
    start = dt.datetime(2026, 10, 1)
    out, made = [], 0
    while made < n:
        buyer, agent = rng.choice(buyers), rng.choice(agents)
        when = start + dt.timedelta(seconds=rng.randrange(30 * 86400))
        size = min(rng.randint(6, 14), n - made)
        conv = []
        for k in range(size):
            is_buyer = k % 2 == 0
            text = rng.choice(BUYER_LINES if is_buyer else AGENT_LINES)
            if rng.random() < 0.35:
                text += f"，订单{rng.randint(10**17, 10**18)}" if is_buyer else f"（{rng.randint(1, 999)}号）"
            if rng.random() < 0.05:
                text += "\n补充一句"
            conv.append(
                (buyer if is_buyer else agent, "顾客" if is_buyer else "客服", f"{when:%Y-%m-%d %H:%M:%S}", text)
            )
            when += dt.timedelta(seconds=rng.randint(5, 120))
        out.append(conv)
        made += size
    return out


def write_jd(convs: list, path: Path, newline: str = "\n") -> None:
    with path.open("w", encoding="utf-8", newline=newline) as f:
        for conv in convs:
            f.write("/*****************以下为一通会话************************************/\n")
            for sender, _, when, text in conv:
                f.write(f"{sender} {when}\n{text}\n")
            f.write(f"/*****************会话结束_时间:{conv[-1][2]}******************/\n")


def write_pdd(convs: list, path: Path, encoding: str = "utf-8-sig") -> None:
    import csv

    with path.open("w", encoding=encoding, newline="") as f:
        writer = csv.writer(f)
        writer.writerow(
            ["会话ID", "买家ID", "买家昵称", "客服账号", "发送方", "消息类型", "消息内容", "发送时间", "订单编号"]
        )
        for number, conv in enumerate(convs):
            buyer, agent = conv[0][0], next((c[0] for c in conv if c[1] == "客服"), "")
            for _, role, when, text in conv:
                writer.writerow(
                    [
                        f"S{number}",
                        buyer[2:],
                        buyer,
                        agent,
                        "买家" if role == "顾客" else "客服",
                        "文本",
                        text,
                        when,
                        "",
                    ]
                )


def write_xlsx(convs: list, path: Path) -> None:
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("聊天明细")
    sheet.append(["会话编号", "顾客昵称", "接待客服", "发送人", "身份", "时间", "内容", "订单号"])
    for number, conv in enumerate(convs):
        buyer, agent = conv[0][0], next((c[0] for c in conv if c[1] == "客服"), "")
        for sender, role, when, text in conv:
            sheet.append([f"C{number}", buyer, agent, sender, role, when, text, None])
    workbook.save(path)


def prepare(workdir: Path, n: int, xlsx_n: int) -> dict[str, tuple[Path, Path, Path | None]]:
    """(first file, re-encoded copy with the same messages, mapping) per format; cached in workdir."""
    workdir.mkdir(parents=True, exist_ok=True)
    files: dict[str, tuple[Path, Path, Path | None]] = {}
    convs = conversations(n)
    jd, jd_copy = workdir / f"jd-{n}.log", workdir / f"jd-{n}-crlf.log"
    if not jd_copy.exists():
        write_jd(convs, jd)
        write_jd(convs, jd_copy, newline="\r\n")
    files["jd-log"] = (jd, jd_copy, None)
    pdd, pdd_copy = workdir / f"pdd-{n}.csv", workdir / f"pdd-{n}-gbk.csv"
    if not pdd_copy.exists():
        write_pdd(convs, pdd)
        write_pdd(convs, pdd_copy, encoding="gb18030")
    files["pdd-csv"] = (pdd, pdd_copy, None)
    mapping = workdir / "mapping.toml"
    mapping.write_text(MAPPING, encoding="utf-8")
    xlsx, xlsx_copy = workdir / f"chat-{xlsx_n}.xlsx", workdir / f"chat-{xlsx_n}-copy.xlsx"
    if not xlsx_copy.exists():
        write_xlsx(conversations(xlsx_n), xlsx)
        write_xlsx(conversations(xlsx_n), xlsx_copy)  # same rows; different bytes (zip timestamps)
    files["xlsx-mapped"] = (xlsx, xlsx_copy, mapping)
    return files


def measure(path: Path, store: Path, mapping: Path | None) -> dict:
    """Child process: one import, timed, with its peak memory."""
    from chatlog_cli.importer import ImportOptions, import_files

    started = time.perf_counter()
    report = import_files([str(path)], store, ImportOptions(mapping=mapping))
    seconds = time.perf_counter() - started
    result = report.files[0]
    return {
        "seconds": seconds,
        "status": result.status,
        "error": result.error,
        "rows": result.rows_read,
        "added": result.messages_added,
        "duplicates": result.duplicates_skipped,
        "rejected": result.rejected_rows,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run_child(path: Path, store: Path, mapping: Path | None) -> dict:
    args = [sys.executable, __file__, "--measure", str(path), str(store)] + ([str(mapping)] if mapping else [])
    out = subprocess.run(args, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())  # fmt: skip
    mem = int(
        next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
    )
    import duckdb
    import pyarrow

    return (f"{cpu}, {os.cpu_count()} cores, {mem / 1024 / 1024:.0f} GiB RAM; Python {platform.python_version()}, "
            f"pyarrow {pyarrow.__version__}, duckdb {duckdb.__version__}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1_000_000, help="messages per text/CSV format")
    parser.add_argument("--xlsx-n", type=int, default=300_000, help="rows in the XLSX (slow to generate)")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "chatlog-bench")
    parser.add_argument("--write-docs", action="store_true", help="record the table in docs/performance.md")
    parser.add_argument("--measure", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        path, store, *mapping = args.measure
        print(json.dumps(measure(Path(path), Path(store), Path(mapping[0]) if mapping else None)))
        return

    files = prepare(args.workdir, args.n, args.xlsx_n)
    rows = []
    failures = []
    for name, (first, copy, mapping) in files.items():
        store = args.workdir / f"store-{name}"
        subprocess.run(["rm", "-rf", str(store)], check=True)
        fresh = run_child(first, store, mapping)
        again = run_child(copy, store, mapping)
        if (
            fresh["added"] != fresh["rows"]
            or fresh["rejected"]
            or again["added"] != 0
            or again["duplicates"] != fresh["rows"]
        ):
            failures.append(f"FAIL {name}: fresh={fresh} again={again}")
        for label, r in (("empty store", fresh), ("re-import, all duplicates", again)):
            rate = r["rows"] / r["seconds"]
            ok = rate >= TARGETS[name] and r["peak_mb"] < MEMORY_TARGET_MB
            rows.append(f"| {name} | {label} | {r['rows']:,} | {r['seconds']:.2f} | {rate:,.0f} | "
                        f"{TARGETS[name]:,} | {r['peak_mb']:,.0f} | {'pass' if ok else 'FAIL'} |")  # fmt: skip
    table = "\n".join(
        [
            "| format | import | messages | seconds | messages/s | target/s | peak MB | vs target |",
            "|---|---|---:|---:|---:|---:|---:|---|",
            *rows,
        ]
    )
    print(table)
    for failure in failures:
        print(failure)
    if args.write_docs:
        record(table, args)
    if failures:
        sys.exit(1)


def record(table: str, args: argparse.Namespace) -> None:
    doc = ROOT / "docs" / "performance.md"
    text = doc.read_text(encoding="utf-8") if doc.exists() else "# Performance\n"
    section = (
        "<!-- bench_import:start -->\n## Import (`benchmarks/bench_import.py`)\n\n"
        f"Run {dt.date.today():%Y-%m-%d} on {machine()}.\n"
        f"`python benchmarks/bench_import.py --n {args.n} --xlsx-n {args.xlsx_n}`. Targets: JD log ≥ 200k "
        "messages/s, CSV ≥ 500k messages/s, XLSX ≥ 100k rows/s, peak memory < 1.5 GB for 1M messages. Times are "
        "the library call (`import_files`) in a fresh process: Python start-up is excluded, hashing the file, "
        "parsing, de-duplication and writing are included.\n\n" + table + "\n<!-- bench_import:end -->"
    )
    if "<!-- bench_import:start -->" in text:
        head, rest = text.split("<!-- bench_import:start -->", 1)
        text = head + section + rest.split("<!-- bench_import:end -->", 1)[1]
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    doc.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
