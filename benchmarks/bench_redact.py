"""Redaction benchmark: recall and look-alike preservation on a labelled corpus, false positives on real chat
(JDDC 2019), and throughput over a 1M-message mix.

    python benchmarks/bench_redact.py                       # all three parts (1,000,000 messages for speed)
    python benchmarks/bench_redact.py --only quality        # recall/preservation only (20,000 lines, ~10 s)
    python benchmarks/bench_redact.py --only jddc --show 40 # what the detectors flag in the JDDC sample
    python benchmarks/bench_redact.py --n 100000 --only throughput
    python benchmarks/bench_redact.py --write-docs          # also record the results in docs/

(a) Quality: `redaction_corpus.corpus()` lines are redacted in `label` and `mask` mode. Recall per planted item =
    its secret is gone from the output (see `redaction_corpus.leak`: for numbers, no 7-digit window of it may
    remain); preservation per look-alike = it appears verbatim in the output. Targets: recall ≥ 99.5 % for phone,
    身份证, bank card and e-mail, ≥ 95 % for address and name; look-alikes preserved ≥ 99.5 %. Ambiguous bare
    look-alikes (an 11-digit JD order id in a mobile segment…) are reported apart and not in the targets.
(b) JDDC: `find_pii` over the content column of ../shared/corpora/jddc2019_sample/chat_0.1per.txt, whose real
    personal data was already replaced by placeholders ([电话x], [姓名x], [地址x]): what is flagged there is a
    false positive (or residue the corpus' own anonymisation missed). The corpus may not be quoted in public
    material, so docs get counts and the shapes of the flagged spans; the terminal shows them in context.
(c) Throughput: a realistic mix (`redaction_corpus.message_mix`: short repeated texts, templated chat, ~3.5 %
    with personal data) as a table in the store's message schema, redacted by `redact_messages` with all
    detectors; messages/s of the whole call. Target ≥ 300,000 messages/s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_import  # machine description, revision, docs-section writer
import redaction_corpus as rc

ROOT: Final = Path(__file__).resolve().parent.parent
JDDC: Final = ROOT.parent / "shared" / "corpora" / "jddc2019_sample" / "chat_0.1per.txt"
KEY: Final = b"0" * 64
MODES: Final = ("label", "mask")
TARGETS: Final = {"phone": 0.995, "idcard": 0.995, "bankcard": 0.995, "email": 0.995, "address": 0.95, "name": 0.95}
LOOKALIKE_TARGET: Final = 0.995
THROUGHPUT_TARGET: Final = 300_000
LABELS: Final = {"idcard": "身份证", "bankcard": "bank card", "email": "e-mail"}


# --- quality ---------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Tally:
    """Items seen and items that came out right."""

    n: int = 0
    ok: int = 0

    def add(self, ok: bool) -> None:
        self.n += 1
        self.ok += ok

    @property
    def rate(self) -> float:
        return self.ok / self.n if self.n else float("nan")


@dataclass(frozen=True, slots=True)
class Miss:
    """A planted item that leaked (how: untouched/partial) or a look-alike that did not survive (how: broken)."""

    line: rc.Line
    item: rc.Planted | rc.LookAlike
    output: str
    how: str


@dataclass(slots=True)
class Evaluation:
    """One mode's results over a corpus."""

    mode: str
    pii: defaultdict[tuple[str, str], Tally] = field(default_factory=lambda: defaultdict(Tally))
    glued: defaultdict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    cue: defaultdict[tuple[str, bool], Tally] = field(default_factory=lambda: defaultdict(Tally))
    looks: defaultdict[tuple[str, str], Tally] = field(default_factory=lambda: defaultdict(Tally))
    ambiguous: defaultdict[tuple[str, str, str], Tally] = field(default_factory=lambda: defaultdict(Tally))
    misses: list[Miss] = field(default_factory=list)
    broken: list[Miss] = field(default_factory=list)

    def recall(self, kind: str) -> Tally:
        """All variants of one kind together."""
        return _sum(t for (k, _), t in self.pii.items() if k == kind)

    def preservation(self, kind: str | None = None) -> Tally:
        """Look-alikes of one kind, or all of them."""
        return _sum(t for (k, _), t in self.looks.items() if kind in (None, k))

    def failed_targets(self) -> list[str]:
        """The targets this mode misses, as `kind rate < target` strings."""
        failed = [
            f"{kind} {self.recall(kind).rate:.2%} < {target:.1%}"
            for kind, target in TARGETS.items()
            if not self.recall(kind).rate >= target
        ]
        if not self.preservation().rate >= LOOKALIKE_TARGET:
            failed.append(f"look-alikes {self.preservation().rate:.2%} < {LOOKALIKE_TARGET:.1%}")
        return failed


def _sum(tallies: Iterable[Tally]) -> Tally:
    total = Tally()
    for t in tallies:
        total.n += t.n
        total.ok += t.ok
    return total


def _intended_mask(item: rc.Planted) -> str | None:
    """What mask mode is designed to leave of a number (`138****5678`); None for the other kinds."""
    from chatlog_cli.redact.replace import mask_value

    if item.kind not in rc.DIGIT_KINDS:
        return None
    return mask_value(item.kind, item.secret)


def evaluate(lines: list[rc.Line], mode: str) -> Evaluation:
    """Redact every line in one mode and score each planted item and look-alike."""
    from chatlog_cli.redact.replace import Redactor

    redactor = Redactor(mode, key=KEY)  # type: ignore[arg-type]
    result = Evaluation(mode)
    for line in lines:
        output = redactor.redact_text(line.text)
        for item in line.pii:
            how = rc.leak(item, output, _intended_mask(item) if mode == "mask" else None)
            result.pii[item.kind, item.variant].add(how is None)
            if item.glued:
                result.glued[item.kind].add(how is None)
            result.cue[item.kind, item.cue].add(how is None)
            if how:
                result.misses.append(Miss(line, item, output, how))
        for look in line.lookalikes:
            ok = rc.preserved(look, line.text, output)
            result.looks[look.kind, look.variant].add(ok)
            if not ok:
                result.broken.append(Miss(line, look, output, "broken"))
        for look in line.ambiguous:
            result.ambiguous[look.kind, look.variant, look.reads_as or "?"].add(rc.preserved(look, line.text, output))
    return result


@dataclass(slots=True)
class Unplanted:
    """Findings that overlap no planted personal data, by where they are."""

    on_lookalike: Counter[str] = field(default_factory=Counter)
    on_ambiguous: Counter[str] = field(default_factory=Counter)
    elsewhere: Counter[str] = field(default_factory=Counter)
    samples: list[tuple[rc.Line, Any]] = field(default_factory=list)

    def summary(self) -> str:
        parts = []
        for label, counts in (("on look-alikes", self.on_lookalike), ("on ambiguous look-alikes", self.on_ambiguous),
                              ("in other text", self.elsewhere)):  # fmt: skip
            if counts:
                parts.append(f"{label}: " + ", ".join(f"{k} {n:,}" for k, n in counts.most_common()))
        return "; ".join(parts) or "none"


def unplanted_findings(lines: list[rc.Line]) -> Unplanted:
    """`find_pii` findings that overlap no planted personal data (false positives on synthetic text)."""
    from chatlog_cli.redact.detect import find_pii

    result = Unplanted()
    for line in lines:
        planted = [(p.start, p.end) for p in line.pii]
        for f in find_pii(line.text):
            if any(f.start < end and start < f.end for start, end in planted):
                continue
            if any(f.start < x.end and x.start < f.end for x in line.lookalikes):
                result.on_lookalike[f.kind] += 1
            elif any(f.start < x.end and x.start < f.end for x in line.ambiguous):
                result.on_ambiguous[f.kind] += 1
            else:
                result.elsewhere[f.kind] += 1
                result.samples.append((line, f))
    return result


_LONG_DIGITS: Final = re.compile(r"[0-9０-９]{5,}")


def masked(value: str, kind: str) -> str:
    """A planted value masked for showing (format kept: separators, length, first/last characters)."""
    if kind == "name":
        return value[0] + "＊" * (len(value) - 1)
    if kind == "email":
        local, at, domain = value.partition("@") if "@" in value else value.partition("＠")
        return local[:1] + "***" + at + domain
    if kind == "address":
        return re.sub(r"[0-9]", "*", value)
    if kind == "wechat" and not value.isdigit():
        return value[:2] + "*" * (len(value) - 2)
    digits = [i for i, c in enumerate(value) if c.isdigit()]
    hidden = set(digits[3:-2])
    return "".join("*" if i in hidden else c for i, c in enumerate(value))


def _mask_digits(text: str) -> str:
    return _LONG_DIGITS.sub(lambda m: m.group()[:3] + "*" * (len(m.group()) - 5) + m.group()[-2:], text)


def show_miss(miss: Miss) -> str:
    """One miss as two lines: the input with the item marked (masked), and what the redactor made of it."""
    line, item = miss.line, miss.item
    mark = masked(item.value, item.kind) if isinstance(item, rc.Planted) else item.value
    text = line.text[: item.start] + f"⟦{mark}⟧" + line.text[item.end :]
    output = miss.output
    for p in line.pii:
        output = output.replace(p.value, masked(p.value, p.kind))
        text = text.replace(p.value, masked(p.value, p.kind))
    label = f"{item.kind}/{item.variant}" + (f" ({miss.how})" if miss.how != "broken" else "")
    text, output = text.replace("\n", "⏎"), output.replace("\n", "⏎")
    if isinstance(item, rc.Planted):
        output = _mask_digits(output)
    return f"- {label}, {line.scene}: `{text}` → `{output}`"


def _pct(t: Tally) -> str:
    return "–" if not t.n else f"{t.rate:.2%}"


def quality_tables(results: dict[str, Evaluation]) -> list[str]:
    """Markdown: targets, per variant, look-alikes, ambiguous, unplanted findings."""
    first = next(iter(results.values()))
    out = ["| kind | items | target | " + " | ".join(f"{m} recall" for m in results) + " | result |", "|---|---:|---:|"]
    out[-1] += "---:|" * len(results) + "---|"
    for kind in rc.PII_KINDS:
        target = TARGETS.get(kind)
        rates = [results[m].recall(kind) for m in results]
        verdict = "–" if target is None else "PASS" if all(r.rate >= target for r in rates) else "FAIL"
        cells = " | ".join(_pct(r) for r in rates)
        name = LABELS.get(kind, kind)
        out.append(f"| {name} | {rates[0].n:,} | {f'{target:.1%}' if target else '–'} | {cells} | {verdict} |")
    looks = [results[m].preservation() for m in results]
    verdict = "PASS" if all(t.rate >= LOOKALIKE_TARGET for t in looks) else "FAIL"
    cells = " | ".join(_pct(t) for t in looks)
    out.append(f"| look-alikes preserved | {looks[0].n:,} | {LOOKALIKE_TARGET:.1%} | {cells} | {verdict} |")

    out += ["", "Recall per format variant (glued: a Chinese character directly before or after the value):", ""]
    out += ["| kind | variant | items | " + " | ".join(results) + " |", "|---|---|---:|" + "---:|" * len(results)]
    for kind in rc.PII_KINDS:
        variants = sorted(v for k, v in first.pii if k == kind)
        for variant in variants:
            cells = " | ".join(_pct(results[m].pii[kind, variant]) for m in results)
            out.append(f"| {LABELS.get(kind, kind)} | {variant} | {first.pii[kind, variant].n:,} | {cells} |")
        if first.glued[kind].n:
            cells = " | ".join(_pct(results[m].glued[kind]) for m in results)
            out.append(f"| {LABELS.get(kind, kind)} | *(glued, any format)* | {first.glued[kind].n:,} | {cells} |")

    out += ["", f"Recall with and without a word announcing the kind (手机, 地址, 收件人…) in the {rc.CUE_WIDTH} "
            "characters before the value:", ""]  # fmt: skip
    cue_heads = " | ".join(f"{m}, cue" for m in results) + " | " + " | ".join(f"{m}, no cue" for m in results)
    out += [f"| kind | items with cue | items without | {cue_heads} |", "|---|---:|---:|" + "---:|" * 2 * len(results)]
    for kind in rc.PII_KINDS:
        by_cue = " | ".join(_pct(results[m].cue[kind, cue]) for cue in (True, False) for m in results)
        out.append(
            f"| {LABELS.get(kind, kind)} | {first.cue[kind, True].n:,} | {first.cue[kind, False].n:,} | {by_cue} |"
        )

    out += ["", "Look-alikes preserved, per kind and variant:", ""]
    out += ["| kind | variant | items | " + " | ".join(results) + " |", "|---|---|---:|" + "---:|" * len(results)]
    for kind, variant in sorted(first.looks):
        cells = " | ".join(_pct(results[m].looks[kind, variant]) for m in results)
        out.append(f"| {kind} | {variant} | {first.looks[kind, variant].n:,} | {cells} |")
    return out


def ambiguous_table(results: dict[str, Evaluation]) -> list[str]:
    first = next(iter(results.values()))
    if not first.ambiguous:
        return []
    out = ["| look-alike | variant | reads as | items | " + " | ".join(f"{m}: kept" for m in results) + " |"]
    out.append("|---|---|---|---:|" + "---:|" * len(results))
    for key in sorted(first.ambiguous):
        cells = " | ".join(_pct(results[m].ambiguous[key]) for m in results)
        out.append(f"| {key[0]} | {key[1]} | {key[2]} | {first.ambiguous[key].n:,} | {cells} |")
    return out


def run_quality(args: argparse.Namespace) -> tuple[list[str], list[str]]:
    """(report lines, failed targets)."""
    started = time.perf_counter()
    lines = rc.corpus(args.quality_n, args.seed)
    results = {mode: evaluate(lines, mode) for mode in MODES}
    unplanted = unplanted_findings(lines)
    seconds = time.perf_counter() - started
    planted = sum(len(line.pii) for line in lines)
    looks = sum(len(line.lookalikes) for line in lines)
    ambiguous = sum(len(line.ambiguous) for line in lines)
    report = [
        f"Corpus: {len(lines):,} synthetic lines (`redaction_corpus.corpus(n={args.quality_n}, seed={args.seed})`, "
        f"generator v{rc.GENERATOR_VERSION}) with {planted:,} planted personal-data items, {looks:,} look-alikes and "
        f"{ambiguous:,} ambiguous bare look-alikes; both modes scored in {seconds:.1f} s. Both modes replace the "
        "same findings, so their recall differs only where a mask would keep too much. Scoring rules (a number "
        "leaks while any 7 of its digits in a row remain; a look-alike must survive verbatim) are in "
        "benchmarks/README.md.",
        "",
        *quality_tables(results),
        "",
        "Ambiguous bare look-alikes (not in the targets): written without a label, their digits alone are a valid "
        "number of the kind in *reads as*: an old 11-digit JD order id in a mobile segment cannot be told from a "
        "phone number, nor a 19-digit order id starting with 62 (or with 4/5 and passing Luhn) from a bank card. "
        "Redacting them is the safe reading; *kept* is the share left intact.",
        "",
        *ambiguous_table(results),
        "",
        f"Findings that overlap no planted personal data (false positives on synthetic text): {unplanted.summary()}.",
    ]
    failures = [f"{mode}: {f}" for mode, r in results.items() for f in r.failed_targets()]
    report += ["", f"Targets: {'PASS' if not failures else 'FAIL — ' + '; '.join(failures)}."]
    misses = _sample_misses(results, args.misses)
    if misses:
        report += ["", f"Misses (examples: up to {args.misses}, spread over kinds and variants; values masked):", ""]
        report += misses
    if unplanted.samples:
        report += ["", "Sample of findings in other text:", ""]
        for line, f in unplanted.samples[: min(10, args.misses)]:
            span = line.text[f.start : f.end]
            report.append(f"- {f.kind}: `{line.text[: f.start]}⟦{span}⟧{line.text[f.end :]}`".replace("\n", "⏎"))
    return report, failures


def _sample_misses(results: dict[str, Evaluation], limit: int) -> list[str]:
    """Miss counts per kind, variant and mode; examples spread over kinds and variants (label mode first, then
    only what mask mode misses and label mode does not)."""
    counts: defaultdict[tuple[str, str, str], Counter[str]] = defaultdict(Counter)
    rounds: list[list[str]] = [[], [], []]
    for mode, result in results.items():
        for miss in (*result.misses, *result.broken):
            key = (miss.item.kind, miss.item.variant, miss.how)
            seen = counts[key]
            shown = sum(seen.values())
            if (mode == "label" or not seen["label"]) and shown < len(rounds):
                rounds[shown].append(f"{show_miss(miss)} *({mode})*")
            seen[mode] += 1
    if not counts:
        return []
    lines = ["| kind | variant | how | " + " | ".join(results) + " |", "|---|---|---|" + "---:|" * len(results)]
    for (kind, variant, how), seen in sorted(counts.items()):
        lines.append(f"| {kind} | {variant} | {how} | " + " | ".join(f"{seen[m]:,}" for m in results) + " |")
    return [*lines, "", *[s for r in rounds for s in r][:limit]]


# --- JDDC ------------------------------------------------------------------------------------------------------

_PLACEHOLDER: Final = re.compile(r"\[[^\[\]]{1,4}x\]")
# Place and unit words and cue words: generic, and what the detectors react to.
_KEEP_IN_SHAPE: Final = set(
    "省市区县镇乡村路街巷弄号栋幢座楼单元室层组先生女士的话是在我你地址电话收货件人联系方式姓名"
)


def shape(text: str) -> str:
    """A span without its content: digits → 9, latin → a, Chinese → 〇 except place/unit words; placeholders kept."""
    parts: list[str] = []
    position = 0
    for m in _PLACEHOLDER.finditer(text):
        parts.append(_shape_plain(text[position : m.start()]))
        parts.append(m.group())
        position = m.end()
    parts.append(_shape_plain(text[position:]))
    return "".join(parts)


def _shape_plain(text: str) -> str:
    out = []
    for c in text:
        if c.isdigit():
            out.append("9")
        elif c.isascii() and c.isalpha():
            out.append("a")
        elif "\u4e00" <= c <= "\u9fff" and c not in _KEEP_IN_SHAPE:
            out.append("〇")
        else:
            out.append(c)
    return "".join(out)


@dataclass(frozen=True, slots=True)
class Flag:
    """One finding in the JDDC sample."""

    kind: str
    role: str
    text: str
    start: int
    end: int

    def context(self, width: int = 18) -> str:
        before = self.text[max(0, self.start - width) : self.start]
        after = self.text[self.end : self.end + width]
        return f"{before}⟦{self.text[self.start : self.end]}⟧{after}"

    def next_to_placeholder(self) -> bool:
        around = self.text[max(0, self.start - 8) : self.end + 8]
        return _PLACEHOLDER.search(around) is not None


def run_jddc(path: Path) -> tuple[int, int, list[Flag]]:
    """(rows, rows with a finding, findings) of `find_pii` over the content column."""
    from chatlog_cli.redact.detect import find_pii

    rows = flagged_rows = 0
    flags: list[Flag] = []
    with path.open(encoding="utf-8") as handle:
        for raw in handle:
            cols = raw.rstrip("\n").split("\t")
            if len(cols) < 7:
                continue
            rows += 1
            text, role = cols[6], "agent" if cols[2] == "1" else "buyer"
            found = find_pii(text)
            flagged_rows += bool(found)
            flags += [Flag(f.kind, role, text, f.start, f.end) for f in found]
    return rows, flagged_rows, flags


def jddc_report(rows: int, flagged_rows: int, flags: list[Flag], quote: bool, limit: int) -> list[str]:
    """Counts per kind and the flagged spans: in context (`quote`, terminal only) or as shapes (docs)."""
    counts = Counter(f.kind for f in flags)
    near = Counter(f.kind for f in flags if f.next_to_placeholder())
    out = [
        f"{rows:,} messages (`chat_0.1per.txt`, content column), {flagged_rows:,} with a finding "
        f"({flagged_rows / rows:.3%}), {len(flags):,} findings.",
        "",
        "| kind | flagged | next to a JDDC placeholder |",
        "|---|---:|---:|",
        *(f"| {LABELS.get(k, k)} | {n:,} | {near[k]:,} |" for k, n in counts.most_common()),
    ]
    if not flags:
        return out
    if quote:
        out += ["", f"Flagged spans in context (up to {limit}; real text, not for docs):", ""]
        out += [f"- {f.kind} ({f.role}): `{f.context()}`" for f in flags[:limit]]
    else:
        out += [
            "",
            "Shapes of the flagged spans (the corpus may not be quoted: digits → 9, latin → a, other Chinese "
            "characters → 〇; place and unit words and JDDC placeholders kept):",
            "",
        ]
        shapes = Counter((f.kind, shape(f.context(8))) for f in flags)
        out += [f"- {kind}: `{s}`" + (f" ×{n}" if n > 1 else "") for (kind, s), n in shapes.most_common(limit)]
    return out


# --- throughput --------------------------------------------------------------------------------------------------


def mix_table(n: int, seed: int) -> tuple[Any, int]:
    """(table in the store's message schema, messages built with personal data) for n mix messages."""
    import hashlib

    import pyarrow as pa

    from chatlog_cli.schema import SCHEMA

    roles, contents, with_pii = [], [], 0
    for m in rc.message_mix(n, seed):
        roles.append(m.role)
        contents.append(m.content)
        with_pii += m.pii
    start = int(dt.datetime(2026, 10, 1, tzinfo=dt.UTC).timestamp() * 1000)
    sent = [start + i * 2_600 for i in range(n)]
    conversation = [f"c{i // 10:08d}" for i in range(n)]
    columns = {
        "message_id": [hashlib.md5(f"{seed}:{i}".encode()).hexdigest() for i in range(n)],
        "platform": ["jd"] * n,
        "shop": ["云朵家居"] * n,
        "conversation_id": conversation,
        "sent_at": pa.array(sent, pa.int64()).cast(SCHEMA.field("sent_at").type),
        "sender_role": roles,
        "sender": [("buyer_" if r == "buyer" else "agent_") + c[-3:] for r, c in zip(roles, conversation, strict=True)],
        "buyer": [f"buyer_{c[-3:]}" for c in conversation],
        "buyer_id": [None] * n,
        "agent": ["云朵家居-小美"] * n,
        "msg_type": ["text"] * n,
        "content": contents,
        "order_id": [None] * n,
        "product_id": [None] * n,
        "source_file": ["mix.log"] * n,
        "source_line": list(range(1, n + 1)),
        "extra": [None] * n,
        "import_id": ["bench"] * n,
    }
    arrays = [pa.array(columns[f.name], f.type) if not isinstance(columns[f.name], pa.Array) else columns[f.name]
              for f in SCHEMA]  # fmt: skip
    return pa.Table.from_arrays(arrays, schema=SCHEMA), with_pii


def redact_table(table: Any, mode: str) -> tuple[Any, dict[str, int], int]:
    """(redacted table, findings per kind, messages changed): `redact_messages`, the path `chatlog redact` takes.

    The command re-keys message and conversation ids inside its DuckDB query (`Redactor.rekey_id_sql`, on DuckDB's
    threads), so the Python step it runs per batch is `redact_messages(..., rekey_ids=False)`.
    """
    from chatlog_cli.redact.replace import Redactor
    from chatlog_cli.redact.table import redact_messages

    result = redact_messages(table, Redactor(mode, key=KEY), rekey_ids=False)  # type: ignore[arg-type]
    return result.table, dict(result.counts), result.messages_changed


def run_throughput(args: argparse.Namespace) -> tuple[list[str], bool]:
    """(report lines, target met)."""
    started = time.perf_counter()
    table, with_pii = mix_table(args.n, args.seed)
    built = time.perf_counter() - started
    distinct = pc_count_distinct(table)
    print(f"  mix of {args.n:,} messages built in {built:.1f} s; redacting …", file=sys.stderr, flush=True)
    rows = []
    met = True
    for mode in args.modes:
        best = float("inf")
        for _ in range(args.repeat):
            started = time.perf_counter()
            _, counts, changed = redact_table(table, mode)
            best = min(best, time.perf_counter() - started)
        rate = args.n / best
        met &= rate >= THROUGHPUT_TARGET
        found = ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))
        verdict = "PASS" if rate >= THROUGHPUT_TARGET else "FAIL"
        rows.append(
            f"| {mode} | {args.n:,} | {best:.2f} | {rate:,.0f} | {THROUGHPUT_TARGET:,} | {verdict} | {changed:,} "
            f"| {found} |"
        )
    report = [
        f"Input: `redaction_corpus.message_mix(n={args.n}, seed={args.seed})` as a table in the store's message "
        f"schema: {with_pii:,} messages ({with_pii / args.n:.1%}) built with personal data, {distinct:,} distinct "
        f"texts ({distinct / args.n:.0%}). Measured: `redact_messages(table, Redactor(mode))` with all detectors "
        f"(validation and context), wall time of the call in this process, best of {args.repeat} (mix generation "
        "excluded; the call also tokenises buyers, senders and file names; ids are re-keyed in the DuckDB query "
        "as `chatlog redact` does, not in this call).",
        "",
        "| mode | messages | seconds | messages/s | target/s | speed | messages changed | findings |",
        "|---|---:|---:|---:|---:|---|---:|---|",
        *rows,
    ]
    return report, met


def pc_count_distinct(table: Any) -> int:
    import pyarrow.compute as pc

    return int(pc.count_distinct(table.column("content")).as_py())


# --- main --------------------------------------------------------------------------------------------------------


def _header(title: str, command: str) -> list[str]:
    return [
        title,
        "",
        f"Run {dt.date.today():%Y-%m-%d} at revision {bench_import.revision()} on {bench_import.machine()}.",
        f"`{command}`.",
        "",
    ]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1_000_000, help="messages in the throughput mix")
    parser.add_argument("--quality-n", type=int, default=20_000, help="lines in the labelled corpus")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--only", nargs="+", choices=("quality", "jddc", "throughput"), default=None)
    parser.add_argument("--modes", nargs="+", choices=("label", "mask", "pseudonym"), default=["label"],
                        help="modes timed for throughput (quality always scores label and mask)")  # fmt: skip
    parser.add_argument("--repeat", type=int, default=3, help="throughput runs per mode (the best is reported)")
    parser.add_argument("--misses", type=int, default=30, help="misses shown")
    parser.add_argument("--show", type=int, default=25, help="JDDC findings shown in context (terminal only)")
    parser.add_argument("--jddc", type=Path, default=JDDC)
    parser.add_argument("--write-docs", action="store_true", help="record in docs/redaction.md, docs/performance.md")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    parts = args.only or ["quality", "jddc", "throughput"]
    failed = False
    command = f"python benchmarks/bench_redact.py --quality-n {args.quality_n} --seed {args.seed}"
    if "quality" in parts:
        report, failures = run_quality(args)
        failed |= bool(failures)
        print("## Quality\n\n" + "\n".join(report) + "\n")
        if args.write_docs:
            body = _header("## Measured recall and preservation (`benchmarks/bench_redact.py`)", command) + report
            bench_import.write_doc_section("bench_redact:quality", "\n".join(body), ROOT / "docs" / "redaction.md",
                                           "# Redaction")  # fmt: skip
    if "jddc" in parts:
        if not args.jddc.exists():
            print(f"## JDDC\n\n{args.jddc} not found: skipped.\n")
        else:
            counts = run_jddc(args.jddc)
            print("## JDDC 2019 sample\n\n" + "\n".join(jddc_report(*counts, quote=True, limit=args.show)) + "\n")
            if args.write_docs:
                body = _header(
                    "## False positives on real chat: JDDC 2019 sample", "python benchmarks/bench_redact.py --only jddc"
                )
                body += jddc_report(*counts, quote=False, limit=40)
                bench_import.write_doc_section("bench_redact:jddc", "\n".join(body), ROOT / "docs" / "redaction.md",
                                               "# Redaction")  # fmt: skip
    if "throughput" in parts:
        report, met = run_throughput(args)
        failed |= not met
        print("## Throughput\n\n" + "\n".join(report) + "\n")
        if args.write_docs:
            modes = " ".join(args.modes)
            title = "## Redaction throughput (`benchmarks/bench_redact.py`)"
            body = _header(title, f"python benchmarks/bench_redact.py --only throughput --n {args.n} --modes {modes}")
            bench_import.write_doc_section("bench_redact", "\n".join(body + report))
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
