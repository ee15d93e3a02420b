"""`chatlog sentiment eval` and training input: labelled texts in, accuracy and a confusion table out."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from chatlog_cli.errors import ChatlogError
from chatlog_cli.io.decode import detect_encoding
from chatlog_cli.sentiment.scorer import SentimentScorer, is_scorable

TEXT_COLUMNS: Final = ("text", "review", "content", "message", "文本", "内容", "评论", "消息", "聊天内容")
LABEL_COLUMNS: Final = ("label", "sentiment", "polarity", "标签", "情感", "类别")
POSITIVE_LABELS: Final = frozenset({"1", "pos", "positive", "正面", "正向", "好评", "积极"})
NEGATIVE_LABELS: Final = frozenset({"0", "neg", "negative", "负面", "负向", "差评", "消极"})
CLASSES: Final = ("negative", "positive")


class LabelledFileError(ChatlogError):
    """A labelled file that cannot be used."""

    exit_code = 2


@dataclass(frozen=True)
class Labelled:
    """Texts with their true class (True = positive)."""

    texts: list[str]
    positive: list[bool]
    skipped: int  # rows without a scorable text


@dataclass(frozen=True)
class ClassFigures:
    """Precision and recall of one class."""

    name: str
    support: int  # true members
    predicted: int
    correct: int

    @property
    def precision(self) -> float:
        """Share of predicted members that are members."""
        return self.correct / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        """Share of members predicted as members."""
        return self.correct / self.support if self.support else 0.0


@dataclass(frozen=True)
class Evaluation:
    """How well scores at a threshold separate the labelled classes."""

    threshold: float
    total: int
    correct: int
    classes: tuple[ClassFigures, ClassFigures]  # negative, positive
    confusion: tuple[tuple[int, int], tuple[int, int]]  # [true class][predicted class], negative first
    skipped: int

    @property
    def accuracy(self) -> float:
        """Share of texts classified correctly."""
        return self.correct / self.total if self.total else 0.0

    @property
    def balanced_accuracy(self) -> float:
        """Mean recall of the two classes (fair when one class dominates, as in waimai_10k)."""
        return sum(c.recall for c in self.classes) / 2


def read_labelled(path: Path) -> Labelled:
    """A CSV with a text column and a 0/1 (pos/neg, 正面/负面 …) label column, by header name."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise LabelledFileError(f"无法读取 {path}：{exc.strerror}。") from None
    text = raw.decode(detect_encoding(raw, complete=True, file_label=str(path)))
    reader = csv.reader(io.StringIO(text))
    header = [h.strip().lstrip("\ufeff") for h in next(reader, [])]
    lowered = [h.lower() for h in header]
    text_col = next((lowered.index(c) for c in TEXT_COLUMNS if c in lowered), None)
    label_col = next((lowered.index(c) for c in LABEL_COLUMNS if c in lowered), None)
    if text_col is None or label_col is None:
        raise LabelledFileError(
            f"{path} 的表头是 {header}；需要一个文本列（{' / '.join(TEXT_COLUMNS[:4])} …）和一个标签列"
            f"（{' / '.join(LABEL_COLUMNS[:3])} …，取值 1/0、pos/neg 或 正面/负面）。"
        )
    texts: list[str] = []
    positive: list[bool] = []
    skipped = 0
    for line, row in enumerate(reader, start=2):
        if not row or len(row) <= max(text_col, label_col):
            skipped += 1
            continue
        label = row[label_col].strip().lower()
        if label in POSITIVE_LABELS:
            is_positive = True
        elif label in NEGATIVE_LABELS:
            is_positive = False
        else:
            raise LabelledFileError(
                f"{path} 第 {line} 行的标签“{row[label_col][:20]}”无法识别；"
                "正面写 1 / pos / 正面，负面写 0 / neg / 负面。"
            )
        if not is_scorable(row[text_col]):
            skipped += 1
            continue
        texts.append(row[text_col])
        positive.append(is_positive)
    if not texts:
        raise LabelledFileError(f"{path} 里没有可评估的中文文本。")
    return Labelled(texts, positive, skipped)


def evaluate(scorer: SentimentScorer, labelled: Labelled, *, threshold: float = 0.5) -> Evaluation:
    """Score the labelled texts and compare: positive iff score > threshold (snownlp's convention)."""
    scores = scorer.score_texts(labelled.texts)
    return evaluate_scores(
        [s if s is not None else 0.5 for s in scores], labelled.positive, threshold=threshold, skipped=labelled.skipped
    )


def evaluate_scores(
    scores: Sequence[float], positive: Sequence[bool], *, threshold: float = 0.5, skipped: int = 0
) -> Evaluation:
    """Accuracy, per-class figures and the confusion table of scores against true classes."""
    matrix = [[0, 0], [0, 0]]
    for score, truth in zip(scores, positive, strict=True):
        matrix[int(truth)][int(score > threshold)] += 1
    figures = tuple(
        ClassFigures(name, sum(matrix[k]), matrix[0][k] + matrix[1][k], matrix[k][k]) for k, name in enumerate(CLASSES)
    )
    return Evaluation(
        threshold,
        len(scores),
        matrix[0][0] + matrix[1][1],
        (figures[0], figures[1]),
        ((matrix[0][0], matrix[0][1]), (matrix[1][0], matrix[1][1])),
        skipped,
    )
