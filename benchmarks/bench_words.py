"""Word counting and question grouping (`chatlog report frequency`): agreement with jieba, speed, what comes out.

    python benchmarks/bench_words.py                 # everything (~2 min on 2 cores)
    python benchmarks/bench_words.py --skip-agreement   # speed and output only (~30 s)

(1) Agreement: rjieba (jieba-rs) against jieba, both with chatlog's dictionary (`WordCounter.load` for each
    engine), on every text of ../shared/corpora that is not a label: JDDC rows, NTCIR-14 utterances (customers
    and helpdesk), ECD Taobao utterances, online_shopping_10_cats, waimai_10k and ChnSentiCorp reviews. Three
    comparisons: the engines' cut of the raw text, of the cleaned text (`text_clean.segmentable`), and the
    counted words (`WordCounter.words`). Target: identical, every text.
(2) Speed of `WordCounter.count`: the first --n buyer messages of `redaction_corpus.message_mix` (the redaction
    and tagging benchmarks' realistic mix), label-redacted by chatlog's redactor as the report sees them, passed
    as distinct texts with weights (best of --repeat; the jieba engine once, for comparison). Target: < 3 s for
    500,000 messages with rjieba. Load time of each engine.
(3) Personal data: the mix's buyer messages redacted in mask mode and in label mode; no counted word may hold a
    digit, an asterisk or any part (two characters or more) of a value the redactor found, except the
    administrative prefix an address mask keeps on purpose (北京市朝阳区****).
(4) Output on JDDC buyer turns: the top 30 words; questions (`is_question`), the top question groups, and
    grouping speed on 100,000 distinct questions (JDDC questions with two characters inserted). Target < 2 s.
"""

from __future__ import annotations

import argparse
import collections
import csv
import json
import random
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from bench_tag import best_of

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from tests.corpus_turns import CORPORA_DIR, JDDC_FILE, jddc_turns  # noqa: E402

from chatlog_cli.reports.questions import group_questions, is_question  # noqa: E402
from chatlog_cli.reports.text_clean import segmentable  # noqa: E402
from chatlog_cli.reports.words import WordCounter  # noqa: E402


def corpus_texts() -> Iterator[str]:
    """Every text of the shared corpora (JDDC, NTCIR, ECD, reviews), in a fixed order."""
    for line in (CORPORA_DIR / JDDC_FILE).read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) >= 7:
            yield "\t".join(parts[6:])
    ntcir = json.loads((CORPORA_DIR / "ntcir14_stc3_customer_helpdesk/train_data_cn.json").read_text("utf-8"))
    for dialogue in ntcir:
        for turn in dialogue["turns"]:
            yield from turn["utterances"]
    for name in ("test.txt", "valid.txt"):
        for line in (CORPORA_DIR / "ecd_taobao_sample" / name).read_text(encoding="utf-8").splitlines():
            yield from (utterance.replace(" ", "") for utterance in line.split("\t")[1:])
    for name in (
        "online_shopping_10_cats/online_shopping_10_cats.csv",
        "waimai_10k/waimai_10k.csv",
        "chnsenticorp_htl_all/ChnSentiCorp_htl_all.csv",
    ):
        with (CORPORA_DIR / name).open(encoding="utf-8-sig", newline="") as file:
            yield from (row["review"] or "" for row in csv.DictReader(file))
    for name in ("train.tsv", "dev.tsv"):
        lines = (CORPORA_DIR / "chnsenticorp" / name).read_text(encoding="utf-8").splitlines()[1:]
        yield from (line.split("\t")[-1] for line in lines)


def agreement(rjieba: WordCounter, jieba: WordCounter) -> bool:
    texts = list(corpus_texts())
    print(f"\n(1) rjieba vs jieba on {len(texts):,} corpus texts ({len(set(texts)):,} distinct)")
    checks: list[tuple[str, Callable[[WordCounter, str], list[str]]]] = [
        ("engine cut, raw text", lambda counter, text: counter._cut(text)),
        ("engine cut, cleaned text", lambda counter, text: counter._cut(segmentable(text))),
        ("counted words", lambda counter, text: counter.words(text)),
    ]
    ok = True
    for label, run in checks:
        differ = [text for text in texts if run(rjieba, text) != run(jieba, text)]
        ok &= not differ
        print(f"  {label}: {len(texts) - len(differ):,} / {len(texts):,} identical")
        for text in differ[:3]:
            print(f"    differs: {text[:60]!r}")
    return ok


def buyer_messages(n: int) -> list[str]:
    import redaction_corpus

    messages = []
    for message in redaction_corpus.message_mix(2 * n + 1000):
        if message.role == "buyer":
            messages.append(message.content)
            if len(messages) == n:
                break
    return messages


def redacted(messages: list[str], mode: str) -> collections.Counter[str]:
    from chatlog_cli.redact.replace import Redactor

    redactor = Redactor(mode)  # type: ignore[arg-type]
    distinct = collections.Counter(messages)
    out: collections.Counter[str] = collections.Counter()
    for text, count in distinct.items():
        out[redactor.redact_text(text)] += count
    return out


def speed(args: argparse.Namespace, counter: WordCounter, reference: WordCounter | None) -> bool:
    messages = buyer_messages(args.n)
    texts = redacted(messages, "label")
    distinct, weights = list(texts), list(texts.values())
    print(f"\n(2) count(): {len(messages):,} buyer messages of the mix, label-redacted: {len(distinct):,} distinct")
    seconds, counts = best_of(
        args.repeat, lambda: WordCounter(counter._cut, counter.stopwords, "", {}).count(distinct, weights)
    )
    print(f"  rjieba: {seconds:.2f} s (fresh counter each run, best of {args.repeat}) — target < 3 s")
    if reference is not None:
        fresh = WordCounter(reference._cut, reference.stopwords, "", {})
        started = time.perf_counter()
        same = fresh.count(distinct, weights) == counts
        print(f"  jieba:  {time.perf_counter() - started:.2f} s (once); same counts: {same}")
    print("  top 15:", " ".join(f"{word}:{n:,}" for word, n in counts.most_common(15)))
    return seconds < 3


def personal_data(args: argparse.Namespace, counter: WordCounter) -> bool:
    from chatlog_cli.redact import detect
    from chatlog_cli.redact.replace import Redactor
    from chatlog_cli.reports.text_clean import normalize

    messages = sorted(set(buyer_messages(min(args.n, 200_000))))
    findings = {text: detect.find_pii(text) for text in messages}
    with_pii = [text for text in messages if findings[text]]
    print(f"\n(3) personal data: {len(with_pii):,} distinct buyer messages with findings, mask and label mode")
    ok = True
    for mode in ("mask", "label"):
        redactor = Redactor(mode)  # type: ignore[arg-type]
        leaks = []
        for text in with_pii:
            # A word from personal data is part of a found value and nowhere else in the message (加我wx：wxid_… may
            # count wx, which the buyer wrote).
            outside = text
            for finding in reversed(findings[text]):
                outside = outside[: finding.start] + " " + outside[finding.end :]
            outside = normalize(outside).lower()
            secrets = [normalize(text[f.start : f.end]).lower() for f in findings[text]]
            for word in counter.words(redactor.redact_text(text)):
                from_data = any(word in secret for secret in secrets) and word not in outside
                if from_data or any(char.isdigit() or char == "*" for char in word):
                    leaks.append((text, word))
        ok &= not leaks
        print(f"  {mode}: {len(leaks)} words from personal data" + (f", e.g. {leaks[:3]}" if leaks else ""))
    return ok


def jddc_output(counter: WordCounter) -> bool:
    turns = collections.Counter(jddc_turns().values())
    counts = counter.count(list(turns), list(turns.values()))
    print(f"\n(4) JDDC: {sum(turns.values()):,} buyer turns; top 30 words:")
    print("  " + " ".join(f"{word}:{n}" for word, n in counts.most_common(30)))
    # JDDC rows join a buyer's consecutive messages with spaces: split them back into messages.
    messages = collections.Counter(part for turn in jddc_turns().values() for part in turn.split())
    questions = {text: n for text, n in messages.items() if is_question(text)}
    print(f"  {sum(messages.values()):,} messages, {sum(questions.values()):,} questions ({len(questions):,} distinct)")
    for group in group_questions(list(questions), list(questions.values()), limit=15):
        print(f"  {group.count:>4} × {group.key}  (e.g. {group.example!r}, {group.variants} texts)")
    rng = random.Random(1)
    pool = "衣服裤子鞋子帽子手机电脑耳机充电器颜色尺码大小红蓝黑白"
    base = sorted(questions)
    synthetic: set[str] = set()
    while len(synthetic) < 100_000:
        text = rng.choice(base)
        at = rng.randrange(len(text) + 1)
        synthetic.add(text[:at] + rng.choice(pool) + rng.choice(pool) + text[at:])
    texts = sorted(synthetic)
    weights = [rng.randint(1, 9) for _ in texts]
    seconds, _ = best_of(3, lambda: group_questions(texts, weights))
    asking, _ = best_of(1, lambda: [is_question(text) for text in texts])
    print(
        f"  group_questions on 100,000 distinct questions: {seconds:.2f} s (target < 2 s); is_question: {asking:.2f} s"
    )
    return seconds < 2


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=500_000, help="buyer messages for the speed run")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-agreement", action="store_true", help="skip (1), the slow part")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if not (CORPORA_DIR / JDDC_FILE).exists():
        sys.exit(f"needs {CORPORA_DIR}")
    for engine in ("rjieba", "jieba"):
        started = time.perf_counter()
        WordCounter.load(engine=engine)  # type: ignore[arg-type]
        print(f"load ({engine}): {time.perf_counter() - started:.2f} s (first in this process)")
    counter = WordCounter.load()
    reference = WordCounter.load(engine="jieba")
    print(counter.mode)
    ok = True
    if not args.skip_agreement:
        ok &= agreement(counter, reference)
    ok &= speed(args, counter, reference)
    ok &= personal_data(args, counter)
    ok &= jddc_output(counter)
    print("\nall checks passed" if ok else "\nFAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
