"""Scoring a rule set against the hand-labelled turns of tests/data/tagging (see its README).

Each labelled customer turn is tagged as one buyer message; a tag counts as predicted when the rules give it
(directly or by roll-up) and as true when the annotator gave it. Group tags (物流, 风险 …) are derived from
their members and not scored.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
from tests.corpus_turns import CORPORA_DIR, all_turns

from chatlog_cli.tagging.tagger import Tagger

LABELS = Path(__file__).parent / "data" / "tagging" / "labels.csv"  # the test set: measured, never tuned on
DEV_LABELS = Path(__file__).parent / "data" / "tagging" / "dev_labels.csv"  # rules are tuned on this one
CATEGORIES = (
    "物流-发货", "物流-配送时效", "物流-破损丢件", "支付-付款", "支付-退款未到账", "商品-质量", "商品-尺码",
    "商品-咨询", "优惠-优惠券/价格", "发票", "地址修改", "退换货", "安装维修", "订单-取消修改",
)  # fmt: skip
RISKS = ("风险-投诉", "风险-法律", "风险-曝光", "风险-差评", "风险-假货", "风险-诈骗")
SERVICES = ("售前咨询", "售后处理", "会员服务")


@dataclass
class Score:
    """Counts for one tag."""

    labelled: int = 0
    predicted: int = 0
    correct: int = 0

    @property
    def precision(self) -> float | None:
        return self.correct / self.predicted if self.predicted else None

    @property
    def recall(self) -> float | None:
        return self.correct / self.labelled if self.labelled else None


@dataclass
class Evaluation:
    """Scores per tag, and the turns where rules and labels disagree."""

    turns: int = 0
    scores: dict[str, Score] = field(default_factory=dict)
    disagreements: list[tuple[str, set[str], set[str]]] = field(default_factory=list)  # id, labelled, predicted

    def micro(self, tags: tuple[str, ...]) -> Score:
        total = Score()
        for tag in tags:
            score = self.scores[tag]
            total.labelled += score.labelled
            total.predicted += score.predicted
            total.correct += score.correct
        return total


def labelled_turns(labels: Path = LABELS) -> list[tuple[str, set[str]]]:
    """(turn id, labelled tags) in file order."""
    rows = []
    with labels.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            tags = {t for column in ("categories", "risk", "service") for t in row[column].split(";") if t}
            rows.append((row["turn_id"], tags))
    return rows


def evaluate(
    tagger: Tagger, corpora_dir: Path = CORPORA_DIR, labels: Path = LABELS, source: str | None = None
) -> Evaluation:
    """Score the tagger's rules on the labelled turns (only those of one corpus: source "jddc" or "ntcir")."""
    labelled = [(t, g) for t, g in labelled_turns(labels) if source is None or t.startswith(f"{source}:")]
    texts = all_turns(corpora_dir)
    table = pa.table(
        {
            "message_id": [turn_id for turn_id, _ in labelled],
            "content": [texts[turn_id] for turn_id, _ in labelled],
            "sender_role": ["buyer"] * len(labelled),
        }
    )
    predicted: dict[str, set[str]] = {}
    for row in tagger.tag_table(table).to_pylist():
        predicted.setdefault(row["message_id"], set()).add(row["tag"])
    scored = (*CATEGORIES, *RISKS, *SERVICES)
    evaluation = Evaluation(turns=len(labelled), scores={tag: Score() for tag in scored})
    for turn_id, truth in labelled:
        guess = predicted.get(turn_id, set()) & set(scored)
        for tag in scored:
            score = evaluation.scores[tag]
            score.labelled += tag in truth
            score.predicted += tag in guess
            score.correct += tag in truth and tag in guess
        if guess != truth:
            evaluation.disagreements.append((turn_id, truth, guess))
    return evaluation


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def markdown(evaluation: Evaluation) -> str:
    """Per-tag table with micro averages per level."""
    lines = [
        "| tag | labelled turns | tagged turns | correct | precision | recall |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for title, tags in (("problem categories", CATEGORIES), ("risk", RISKS), ("service type", SERVICES)):
        for tag in tags:
            s = evaluation.scores[tag]
            lines.append(
                f"| {tag} | {s.labelled} | {s.predicted} | {s.correct} | {_pct(s.precision)} | {_pct(s.recall)} |"
            )
        total = evaluation.micro(tags)
        lines.append(
            f"| **all {title}** | **{total.labelled}** | **{total.predicted}** | **{total.correct}** "
            f"| **{_pct(total.precision)}** | **{_pct(total.recall)}** |"
        )
    return "\n".join(lines)
