"""Sentiment benchmark: chatlog's exact snownlp scores against `SnowNLP(text).sentiments`, side by side.

    python benchmarks/bench_sentiment.py                   # 1,000,000 messages (~2-3 min on 2 cores)
    python benchmarks/bench_sentiment.py --n 20000         # a quick check (~1 min)
    python benchmarks/bench_sentiment.py --write-docs      # also record the results in docs/performance.md
    python benchmarks/bench_sentiment.py --profile mix     # cProfile one workers=1 run (mix or jddc) instead

chatlog = `SentimentScorer.score_texts(texts, workers=W)` for each W of --workers: wall time of the call, best of
at least --repeat runs (a short input runs until 3 s are spent, at most 20 times), each with a freshly loaded
scorer (load excluded; a pool's spawn and worker start-up included).
snownlp = `SnowNLP(text).sentiments` per message, after `import snownlp` and one warm-up call (its 3-4 s model
load excluded). Both skip texts without a Chinese character (`is_scorable`: chatlog gives them None), so both
produce the same output. The chatlog runs come first, before snownlp's models are in the process.

(1) Realistic mix: the first --n buyer messages of `redaction_corpus.message_mix` (the redaction and tagging
    benchmarks' generator: short repeated texts, templated questions, images, look-alikes, personal data).
    Naive snownlp (~400-1,000 messages/s) would take 20-40 min for 1M messages, so it is timed on a uniform
    random sample of --ref-sample messages and its mean time per message is extrapolated to all of them: naive
    snownlp has no cache, so a message costs the same whether or not its text was seen before. Every sampled
    score must equal chatlog's exactly (`==`); the max absolute difference is reported too. The ± range of the
    extrapolation is 1.96 standard errors of the sampled per-message times.
(2) JDDC: the customer turns of the JDDC 2019 sample (`tests/corpus_turns.jddc_turns`, from
    ../shared/corpora; real text with little repetition). snownlp scores all of them (or a sample of
    --jddc-ref), and every score is compared.
(3) Start-up, each in a fresh process: importing the scorer + `SentimentScorer.load()` with the warm cache
    (best of --repeat), the first score after it, the whole `python -c` process; the one-time cache build
    (`load()` with an empty temporary CHATLOG_CACHE_DIR); snownlp's own load, for comparison; and
    `chatlog sentiment --text 你好` end to end when that command exists (skipped otherwise).

Targets: (1) ≥ 30× snownlp, (2) ≥ 8× snownlp, for every workers count; (3) import + load < 1 s; every compared
score identical and the workers counts' results equal. A failed check prints FAIL and the exit status is 1.
"""

from __future__ import annotations

# Light imports only at the top: the scorer's spawn workers re-import this module as __mp_main__.
import argparse
import datetime as dt
import json
import math
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

ROOT: Final = Path(__file__).resolve().parent.parent
BENCH_DIR: Final = Path(__file__).resolve().parent
MIX_TARGET: Final = 30.0
JDDC_TARGET: Final = 8.0
STARTUP_TARGET: Final = 1.0
CLI_TEXT: Final = "你好"
MIN_SECONDS: Final = 3.0  # chatlog runs continue past --repeat until this much time is spent …
MAX_RUNS: Final = 20  # … or this many runs

# Run in a fresh interpreter: the scorer's start-up with the cache as it is, as JSON on stdout.
STARTUP_CODE: Final = """
import json, time
t0 = time.perf_counter()
from chatlog_cli.sentiment.scorer import SentimentScorer
t1 = time.perf_counter()
scorer = SentimentScorer.load()
t2 = time.perf_counter()
scorer.score("你好")
t3 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "load": t2 - t1, "first_score": t3 - t2}))
"""
SNOWNLP_STARTUP_CODE: Final = """
import json, time
t0 = time.perf_counter()
from snownlp import SnowNLP
t1 = time.perf_counter()
SnowNLP("你好").sentiments
print(json.dumps({"import": t1 - t0, "first_score": time.perf_counter() - t1}))
"""


@dataclass
class Reference:
    """snownlp timed on some of the messages (all of them, or a uniform sample)."""

    indices: list[int]  # positions in the input
    seconds: list[float]  # per message
    scores: list[float | None]  # None where the text is not scorable (not given to snownlp)

    @property
    def per_message(self) -> float:
        return sum(self.seconds) / len(self.seconds)

    @property
    def half_width(self) -> float:
        """1.96 standard errors of the mean per-message time (0 when every message was timed)."""
        return 1.96 * statistics.stdev(self.seconds) / math.sqrt(len(self.seconds)) if len(self.seconds) > 1 else 0.0


@dataclass
class Agreement:
    """chatlog's scores against snownlp's on the messages snownlp scored."""

    compared: int = 0
    equal: int = 0
    max_diff: float = 0.0
    none_mismatch: int = 0  # chatlog gave None where the text is scorable, or a score where it is not

    @property
    def identical(self) -> bool:
        return self.compared > 0 and self.equal == self.compared and not self.none_mismatch

    def describe(self) -> str:
        verdict = "yes" if self.identical else "NO"
        text = f"{verdict}: {self.equal:,} of {self.compared:,} `==`, max abs diff {self.max_diff:.3g}"
        return text + (f", {self.none_mismatch} None mismatches" if self.none_mismatch else "")


@dataclass
class Part:
    """One input's measurements."""

    label: str
    texts: list[str]
    target: float
    ref_sample: int  # messages snownlp scores (0: all)
    ours: dict[int, float] = field(default_factory=dict)  # workers → best seconds
    pooled: dict[int, bool] = field(default_factory=dict)  # workers → a process pool was used
    consistent: bool = True  # every workers count gave the same scores
    scores: list[float | None] = field(default_factory=list)
    reference: Reference | None = None
    agreement: Agreement = field(default_factory=Agreement)

    @property
    def distinct(self) -> int:
        return len(set(self.texts))

    @property
    def distinct_scorable(self) -> int:
        from chatlog_cli.sentiment.scorer import is_scorable

        return sum(1 for t in set(self.texts) if is_scorable(t))

    @property
    def snownlp_seconds(self) -> float:
        """snownlp's time for all the texts: measured, or extrapolated from the sample."""
        assert self.reference is not None
        return self.reference.per_message * len(self.texts)

    @property
    def sampled(self) -> bool:
        return self.reference is not None and len(self.reference.indices) < len(self.texts)

    def speedup(self, workers: int) -> float:
        return self.snownlp_seconds / self.ours[workers]

    def failures(self) -> list[str]:
        failed = [f"{self.label}: workers={w} {self.speedup(w):.1f}× < {self.target:g}×" for w in self.ours
                  if self.speedup(w) < self.target]  # fmt: skip
        if not self.agreement.identical:
            failed.append(f"{self.label}: scores differ from snownlp ({self.agreement.describe()})")
        if not self.consistent:
            failed.append(f"{self.label}: the workers counts gave different scores")
        return failed


# --- inputs ------------------------------------------------------------------------------------------------------


def buyer_messages(n: int, seed: int) -> list[str]:
    """The first n buyer messages of the realistic mix (about half of the mix is buyer messages)."""
    sys.path.insert(0, str(BENCH_DIR))
    import redaction_corpus as rc

    texts: list[str] = []
    for message in rc.message_mix(3 * n + 1_000, seed):  # lazy: stops after n buyer messages
        if message.role == "buyer":
            texts.append(message.content)
            if len(texts) == n:
                break
    return texts


def jddc_texts() -> list[str] | None:
    """The JDDC 2019 sample's customer turns, or None when the corpora are not there."""
    sys.path.insert(0, str(ROOT / "tests"))
    import corpus_turns

    if not (corpus_turns.CORPORA_DIR / corpus_turns.JDDC_FILE).exists():
        return None
    return list(corpus_turns.jddc_turns().values())


# --- measuring ---------------------------------------------------------------------------------------------------


def time_ours(part: Part, workers_counts: Sequence[int], repeat: int) -> None:
    """Best wall time of `score_texts` per workers count, a freshly loaded scorer each run.

    At least `repeat` runs, more for a short input (until MIN_SECONDS are spent), so that a moment of other work
    on the machine cannot spoil every run of a 0.2 s measurement.
    """
    from chatlog_cli.sentiment.scorer import PARALLEL_MIN_TEXTS, SentimentScorer

    distinct_scorable = part.distinct_scorable
    for workers in workers_counts:
        best, spent, runs = math.inf, 0.0, 0
        while runs < repeat or (spent < MIN_SECONDS and runs < MAX_RUNS):
            scorer = SentimentScorer.load()
            started = time.perf_counter()
            scores = scorer.score_texts(part.texts, workers=workers)
            seconds = time.perf_counter() - started
            best, spent, runs = min(best, seconds), spent + seconds, runs + 1
            if not part.scores:
                part.scores = scores
            elif scores != part.scores:
                part.consistent = False
        part.ours[workers] = best
        part.pooled[workers] = workers > 1 and distinct_scorable >= PARALLEL_MIN_TEXTS
        print(f"  {part.label}: chatlog workers={workers} {best:.2f} s", file=sys.stderr, flush=True)


def time_snownlp(part: Part, seed: int) -> None:
    """snownlp on all the texts (`ref_sample` ≤ 0 or ≥ their number) or on a uniform random sample of them."""
    from snownlp import SnowNLP

    from chatlog_cli.sentiment.scorer import is_scorable

    n, sample = len(part.texts), part.ref_sample
    indices = sorted(random.Random(seed).sample(range(n), sample)) if 0 < sample < n else list(range(n))
    print(f"  {part.label}: snownlp on {len(indices):,} messages …", file=sys.stderr, flush=True)
    seconds: list[float] = []
    scores: list[float | None] = []
    clock = time.perf_counter
    for index in indices:
        text = part.texts[index]
        started = clock()
        score = SnowNLP(text).sentiments if is_scorable(text) else None
        seconds.append(clock() - started)
        scores.append(score)
    part.reference = Reference(indices, seconds, scores)
    part.agreement = agreement(part.scores, part.reference)


def agreement(ours: Sequence[float | None], reference: Reference) -> Agreement:
    result = Agreement()
    for index, theirs in zip(reference.indices, reference.scores, strict=True):
        mine = ours[index]
        if (mine is None) != (theirs is None):
            result.none_mismatch += 1
        elif mine is not None and theirs is not None:
            result.compared += 1
            result.equal += mine == theirs
            result.max_diff = max(result.max_diff, abs(mine - theirs))
    return result


def child_env(cache_dir: Path | None = None) -> dict[str, str]:
    """The environment for a child process: this checkout's src first on the path, optionally another cache."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "src"), env.get("PYTHONPATH")) if p)
    if cache_dir is not None:
        env["CHATLOG_CACHE_DIR"] = str(cache_dir)
    return env


def run_child(code: str, env: dict[str, str]) -> tuple[float, dict[str, float]]:
    """(wall seconds of the whole process, the figures it printed)."""
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return time.perf_counter() - started, json.loads(out.stdout.strip().splitlines()[-1])


@dataclass
class Startup:
    """Start-up figures, in seconds."""

    warm: dict[str, float]  # best of: import, load, import + load, first score, process
    build: dict[str, float]  # one run with an empty cache
    snownlp: dict[str, float]
    cli: float | None  # `chatlog sentiment --text 你好`, best of; None when the command does not exist
    cli_error: str = ""

    def failures(self) -> list[str]:
        failed = []
        if self.warm["import+load"] >= STARTUP_TARGET:
            failed.append(f"start-up: import + load {self.warm['import+load']:.2f} s ≥ {STARTUP_TARGET:g} s")
        if self.cli_error:
            failed.append(f"`chatlog sentiment --text {CLI_TEXT}` failed: {self.cli_error}")
        return failed


def measure_startup(repeat: int) -> Startup:
    env = child_env()
    run_child(STARTUP_CODE, env)  # makes sure the cache exists (built here if it did not)
    runs = []
    for _ in range(repeat):
        wall, figures = run_child(STARTUP_CODE, env)
        runs.append({**figures, "import+load": figures["import"] + figures["load"], "process": wall})
    warm = {key: min(run[key] for run in runs) for key in runs[0]}
    with tempfile.TemporaryDirectory(prefix="chatlog-cache-") as empty:
        wall, figures = run_child(STARTUP_CODE, child_env(Path(empty)))
        build = {**figures, "process": wall}
    wall, figures = run_child(SNOWNLP_STARTUP_CODE, env)
    startup = Startup(warm, build, {**figures, "process": wall}, None)
    probe = subprocess.run([sys.executable, "-m", "chatlog_cli", "sentiment", "--help"], env=env, capture_output=True)
    if probe.returncode == 0:
        command = [sys.executable, "-m", "chatlog_cli", "sentiment", "--text", CLI_TEXT]
        best = math.inf
        for _ in range(repeat):
            started = time.perf_counter()
            done = subprocess.run(command, env=env, capture_output=True, text=True)
            best = min(best, time.perf_counter() - started)
            if done.returncode != 0:
                startup.cli_error = f"exit {done.returncode}: {(done.stderr.strip().splitlines() or [''])[-1]}"
        startup.cli = best
    return startup


# --- report ------------------------------------------------------------------------------------------------------


def _minutes(seconds: float) -> str:
    return f"{seconds:,.1f} s" if seconds < 120 else f"{seconds:,.0f} s = {seconds / 60:.0f} min"


def part_rows(part: Part, default_workers: int) -> list[str]:
    assert part.reference is not None
    ref = part.reference
    n = len(part.texts)
    rate = 1 / ref.per_message
    if part.sampled:
        snow_rate = f"{rate:,.0f} ± {rate * ref.half_width / ref.per_message:,.0f} (sample of {len(ref.indices):,})"
        snow_time = f"≈ {_minutes(part.snownlp_seconds)} (extrapolated)"
    else:
        snow_rate = f"{rate:,.0f} (all)"
        snow_time = _minutes(part.snownlp_seconds)
    rows = []
    for workers, seconds in part.ours.items():
        speedup = part.speedup(workers)
        verdict = "PASS" if speedup >= part.target else "FAIL"
        span = ""
        if part.sampled:
            low = (ref.per_message - ref.half_width) * n / seconds
            high = (ref.per_message + ref.half_width) * n / seconds
            span = f" ({low:,.0f}–{high:,.0f})"
        shown_workers = f"{workers}{' (default)' if workers == default_workers else ''}"
        pool = "pool" if part.pooled[workers] else "in process"
        rows.append(
            f"| {part.label} | {n:,} | {part.distinct:,} ({part.distinct / n:.0%}) | {shown_workers}, {pool} "
            f"| {seconds:.2f} | {n / seconds:,.0f} | {snow_rate} | {snow_time} | {speedup:,.0f}×{span} "
            f"| ≥ {part.target:g}× | {verdict} | {part.agreement.describe()} |"
        )
    return rows


def startup_rows(s: Startup) -> list[str]:
    verdict = "PASS" if s.warm["import+load"] < STARTUP_TARGET else "FAIL"
    rows = [
        f"| import the scorer + `SentimentScorer.load()`, warm cache | {s.warm['import+load']:.2f} "
        f"(import {s.warm['import']:.2f}, load {s.warm['load']:.2f}) | < {STARTUP_TARGET:g} s | {verdict} |",
        f'| … then the first `score("你好")` | {s.warm["first_score"]:.2f} | | |',
        f"| … the whole `python -c` process (interpreter start-up included) | {s.warm['process']:.2f} | | |",
        f"| cache build: import + `load()` with an empty CHATLOG_CACHE_DIR (once per model file) "
        f"| {s.build['import'] + s.build['load']:.2f} | | |",
        f'| for comparison: `import snownlp` (loads its models) + first `SnowNLP("你好").sentiments` '
        f"| {s.snownlp['import'] + s.snownlp['first_score']:.2f} | | |",
    ]
    if s.cli is not None:
        cli_verdict = f"FAIL ({s.cli_error})" if s.cli_error else "ok"
        rows.append(
            f"| `chatlog sentiment --text {CLI_TEXT}` end to end (`python -m chatlog_cli`) | {s.cli:.2f} | "
            f"| {cli_verdict} |"
        )
    return rows


def report(args: argparse.Namespace, parts: list[Part], startup: Startup | None, default_workers: int) -> list[str]:
    import bench_import

    from chatlog_cli.sentiment.scorer import PARALLEL_MIN_TEXTS

    versions = ", ".join(f"{p} {_version(p)}" for p in ("numpy", "snownlp"))
    machine = f"{bench_import.machine().split(';')[0]}; Python {platform.python_version()}, {versions}"
    command = f"python benchmarks/bench_sentiment.py --n {args.n} --seed {args.seed} --ref-sample {args.ref_sample}"
    if args.jddc_ref:
        command += f" --jddc-ref {args.jddc_ref}"
    if args.repeat != 3:
        command += f" --repeat {args.repeat}"
    if args.workers != [1, 2]:
        command += f" --workers {' '.join(map(str, args.workers))}"
    if args.only:
        command += f" --only {' '.join(args.only)}"
    lines = [
        "## Sentiment (`benchmarks/bench_sentiment.py`)",
        "",
        f"Run {dt.date.today():%Y-%m-%d} at revision {bench_import.revision()} on {machine}.",
        f"`{command}`; chatlog: best of at least {args.repeat} runs (a short input runs until "
        f"{MIN_SECONDS:g} s are spent, at most {MAX_RUNS} times).",
        "",
        "chatlog = `SentimentScorer.score_texts(texts, workers=W)`: wall time of the call with a freshly loaded "
        "scorer (load excluded; with a pool, its spawn and worker start-up included). snownlp = "
        "`SnowNLP(text).sentiments` per message, timed in the same run after its models are loaded. Both skip "
        "texts without a Chinese character (chatlog gives them no score). chatlog scores each distinct text once; "
        f"W > 1 uses a process pool only from {PARALLEL_MIN_TEXTS:,} distinct texts. Identical = every score "
        "snownlp computed equals chatlog's with `==`.",
        "",
        "Realistic mix: the first N buyer messages of `redaction_corpus.message_mix` (the redaction and tagging "
        "benchmarks' generator). Naive snownlp has no cache, so its cost per message does not depend on "
        "repetition: it is timed on a uniform random sample of the messages, and its mean time per message × N "
        "is the extrapolated time for all of them (± and the speed-up's range: 1.96 standard errors of the sampled "
        "per-message times). "
        "JDDC: the customer turns of the JDDC 2019 sample (`tests/corpus_turns.jddc_turns`), real text with "
        f"little repetition; snownlp timed on {'a sample of them' if args.jddc_ref else 'all of them'}. "
        "Start-up excluded on both sides (see the start-up table).",
        "",
        "| input | messages | distinct texts | workers | chatlog s | chatlog msgs/s | snownlp msgs/s | snownlp s "
        "| speed-up | target | check | identical |",
        "|---|---:|---:|---|---:|---:|---:|---:|---:|---|---|---|",
    ]
    for part in parts:
        lines += part_rows(part, default_workers)
    if startup is not None:
        lines += [
            "",
            "Start-up, each in a fresh process (best of "
            f"{args.repeat}; the cache build and snownlp once). "
            + ("" if startup.cli is not None else "`chatlog sentiment` does not exist yet: not timed."),
            "",
            "| measurement | seconds | target | check |",
            "|---|---:|---|---|",
            *startup_rows(startup),
        ]
    return lines


def _version(package: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "?"


# --- main --------------------------------------------------------------------------------------------------------


def profile(args: argparse.Namespace) -> None:
    """cProfile one workers=1 `score_texts` run over the mix or the JDDC turns (scorer loaded and warmed up)."""
    import cProfile
    import pstats

    from chatlog_cli.sentiment.scorer import SentimentScorer

    texts = buyer_messages(args.n, args.seed) if args.profile == "mix" else jddc_texts()
    if texts is None:
        sys.exit("the JDDC corpus is not in ../shared/corpora")
    scorer = SentimentScorer.load()
    scorer.score("你好")  # once-per-process work (the NumPy log check) out of the profile
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.runcall(scorer.score_texts, texts, workers=1)
    print(f"{args.profile}: {len(texts):,} texts, {time.perf_counter() - started:.2f} s under cProfile\n")
    stats = pstats.Stats(profiler)
    for key in ("cumulative", "tottime"):
        stats.sort_stats(key).print_stats(args.profile_top)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1_000_000, help="buyer messages in the realistic mix")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--repeat", type=int, default=3, help="chatlog runs per workers count (best reported)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="workers counts timed")
    parser.add_argument("--ref-sample", type=int, default=5_000, help="mix messages snownlp scores")
    parser.add_argument("--jddc-ref", type=int, default=0, help="JDDC turns snownlp scores (0: all)")
    parser.add_argument("--only", nargs="+", choices=("mix", "jddc", "startup"), default=None)
    parser.add_argument("--write-docs", action="store_true", help="record the results in docs/performance.md")
    parser.add_argument("--profile", choices=("mix", "jddc"), help="cProfile one workers=1 run instead")
    parser.add_argument("--profile-top", type=int, default=25, help="profile entries shown")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    sys.path.insert(0, str(BENCH_DIR))
    if args.profile:
        profile(args)
        return
    only = args.only or ["mix", "jddc", "startup"]
    startup = measure_startup(args.repeat) if "startup" in only else None
    parts: list[Part] = []
    if "mix" in only:
        started = time.perf_counter()
        texts = buyer_messages(args.n, args.seed)
        print(f"  mix: {len(texts):,} buyer messages in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        parts.append(Part("realistic mix, buyer messages", texts, MIX_TARGET, args.ref_sample))
    if "jddc" in only:
        jddc = jddc_texts()
        if jddc is None:
            print("JDDC corpus not found in ../shared/corpora: skipped.", file=sys.stderr)
        else:
            parts.append(Part("JDDC 2019 customer turns", jddc, JDDC_TARGET, args.jddc_ref))
    # chatlog first, before snownlp's models (millions of Python objects) are in the process.
    for part in parts:
        time_ours(part, args.workers, args.repeat)
    for part in parts:
        time_snownlp(part, args.seed)
    default_workers = min(2, os.cpu_count() or 1)
    lines = report(args, parts, startup, default_workers)
    print("\n".join(lines))
    failures = [f for part in parts for f in part.failures()] + (startup.failures() if startup else [])
    for failure in failures:
        print(f"FAIL {failure}", file=sys.stderr)
    if args.write_docs:
        import bench_import

        bench_import.write_doc_section("bench_sentiment", "\n".join(lines))
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
