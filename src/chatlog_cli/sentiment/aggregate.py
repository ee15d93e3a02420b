"""Per-conversation sentiment: how a buyer's scores across one conversation are summarised and labelled.

Definitions (docs/sentiment.md):
    mean    mean of the buyer's scored messages
    min     the lowest of them (the angriest moment)
    last    the buyer's last scored message
    change  last − first (negative: the conversation ended worse than it began)
    score   the number the label is read from: `last`. On NTCIR STC-3 helpdesk dialogues it tracks the
            annotated customer satisfaction best (Spearman 0.42 with snownlp's model, 0.55 retrained; the mean
            0.37 / 0.52, the minimum 0.35 / 0.39; docs/sentiment.md, Quality).
A conversation without a scored buyer message has no sentiment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from chatlog_cli.settings import SENTIMENT_NEGATIVE_BELOW, SENTIMENT_POSITIVE_ABOVE

NEGATIVE: Final = "negative"
NEUTRAL: Final = "neutral"
POSITIVE: Final = "positive"
LABELS_ZH: Final = {NEGATIVE: "负面", NEUTRAL: "中性", POSITIVE: "正面"}


@dataclass(frozen=True)
class Thresholds:
    """Label cut-offs: negative below `negative_below`, positive above `positive_above`, neutral between."""

    negative_below: float = SENTIMENT_NEGATIVE_BELOW
    positive_above: float = SENTIMENT_POSITIVE_ABOVE

    def __post_init__(self) -> None:
        if not 0.0 <= self.negative_below <= self.positive_above <= 1.0:
            raise ValueError("need 0 <= negative_below <= positive_above <= 1")

    def label(self, score: float) -> str:
        """The label (negative / neutral / positive) of a score in [0, 1]."""
        if score < self.negative_below:
            return NEGATIVE
        if score > self.positive_above:
            return POSITIVE
        return NEUTRAL


@dataclass(frozen=True)
class ConversationSentiment:
    """The summary of one conversation's buyer scores (in time order)."""

    messages: int
    mean: float
    min: float
    last: float
    change: float
    score: float
    label: str


def conversation_score(scores: Sequence[float]) -> float:
    """The number a conversation is labelled by: its buyer's last score (how the buyer felt at the end)."""
    return scores[-1]


def summarise(scores: Sequence[float], thresholds: Thresholds | None = None) -> ConversationSentiment | None:
    """Summary of a conversation's buyer scores in time order; None when there are none."""
    if not scores:
        return None
    thresholds = thresholds or Thresholds()
    score = conversation_score(scores)
    return ConversationSentiment(
        messages=len(scores),
        mean=sum(scores) / len(scores),
        min=min(scores),
        last=scores[-1],
        change=scores[-1] - scores[0],
        score=score,
        label=thresholds.label(score),
    )
