"""Sentiment scores equal to `snownlp.SnowNLP(text).sentiments`, for many texts at once.

`SnowNLP(text).sentiments` is: segment (snownlp.seg), drop stopwords (snownlp.normal.filter_stop), and ask the
Bayes model for P(pos). The scorer does the same three steps with the batch segmenter, each distinct text
once, in worker processes when there are enough texts for two cores to pay off.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from chatlog_cli.sentiment.bayes import BayesModel
from chatlog_cli.sentiment.paths import snownlp_data_file
from chatlog_cli.sentiment.segmenter import HAN_RUN, Segmenter, load_tables

# Characters segmented per NumPy batch: large enough to amortise the per-step overhead, small enough that the
# transition tables (64 floats per distinct character trigram, several temporaries) stay around 100 MB.
BATCH_CHARS: Final = 100_000
# Below this many distinct texts a worker process costs more (start-up, model load) than it saves.
PARALLEL_MIN_TEXTS: Final = 20_000
# Bump when scoring changes in a way that makes stored scores stale.
ENGINE_VERSION: Final = "1"


def default_model_file() -> Path:
    """The sentiment model bundled with snownlp."""
    return snownlp_data_file("sentiment", "sentiment.marshal.3")


@functools.cache
def snownlp_stopwords() -> frozenset[str]:
    """The stopword list of snownlp, read as snownlp reads it (each line stripped)."""
    lines = snownlp_data_file("normal", "stopwords.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines)


def is_scorable(text: str | None) -> bool:
    """Whether a text gets a score: it has a Chinese character the model can read.

    snownlp returns a number for anything, but for text without Chinese (empty, emoji, digits, punctuation,
    an order number) that number is the model's prior or noise, so such messages get no score.
    """
    return bool(text) and HAN_RUN.search(text or "") is not None


@dataclass(frozen=True)
class WordWeight:
    """One word of a text and how it moves the score (log-odds toward positive)."""

    word: str
    weight: float


@dataclass(frozen=True)
class Explanation:
    """Why a text got its score."""

    text: str
    score: float | None
    words: tuple[str, ...]  # after stopword removal, in text order
    weights: tuple[WordWeight, ...]  # distinct words, strongest push first
    dropped: tuple[str, ...]  # stopwords removed before scoring


class SentimentScorer:
    """Scores texts exactly as snownlp does with a given Bayes model."""

    def __init__(self, model: BayesModel, model_file: Path, segmenter: Segmenter | None = None) -> None:
        self.model = model
        self.model_file = model_file
        self.segmenter = segmenter or _default_segmenter()
        self.stopwords = snownlp_stopwords()

    @classmethod
    def load(cls, model_file: Path | None = None) -> SentimentScorer:
        """A scorer with snownlp's default model, or with the model in `model_file`."""
        path = model_file or default_model_file()
        return cls(BayesModel.read(path), path)

    @property
    def fingerprint(self) -> str:
        """Identifies what decides the scores: this model's counts and the scoring engine."""
        return f"{self.model.fingerprint}-e{ENGINE_VERSION}"

    def words(self, texts: Sequence[str]) -> list[list[str]]:
        """The words snownlp's sentiment step sees for each text (segmented, stopwords removed)."""
        stop = self.stopwords
        return [[w for w in words if w not in stop] for words in self.segmenter.words_of_texts(texts)]

    def score(self, text: str | None) -> float | None:
        """One text's score (None when it is not scorable)."""
        return self.score_texts([text])[0]

    def score_texts(self, texts: Sequence[str | None], *, workers: int | None = None) -> list[float | None]:
        """A score per text (None for unscorable ones); each distinct text is scored once."""
        distinct = list(dict.fromkeys(t for t in texts if t is not None and is_scorable(t)))
        scores = dict(zip(distinct, self._score_distinct(distinct, workers), strict=True))
        return [scores.get(t) if t is not None else None for t in texts]

    def _score_distinct(self, texts: list[str], workers: int | None) -> list[float]:
        workers = workers if workers is not None else min(2, os.cpu_count() or 1)
        if workers <= 1 or len(texts) < PARALLEL_MIN_TEXTS:
            return score_batch(self, texts)
        chunk = -(-len(texts) // (workers * 4))
        parts = [texts[i : i + chunk] for i in range(0, len(texts), chunk)]
        # spawn, not fork: the parent may hold DuckDB and Arrow thread pools, which fork does not copy safely.
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(
            workers, mp_context=context, initializer=_init_worker, initargs=(self.model_file,)
        ) as pool:
            return [score for part in pool.map(_score_in_worker, parts) for score in part]

    def explain(self, text: str) -> Explanation:
        """The score of one text with the words that drove it."""
        segmented = self.segmenter.words_of_texts([text])[0]
        kept = tuple(w for w in segmented if w not in self.stopwords)
        dropped = tuple(w for w in segmented if w in self.stopwords)
        score = self.model.probability(kept) if is_scorable(text) else None
        counts: dict[str, int] = {}
        for word in kept:
            counts[word] = counts.get(word, 0) + 1
        weights = sorted(
            (WordWeight(w, n * self.model.word_weight(w)) for w, n in counts.items()), key=lambda ww: -abs(ww.weight)
        )
        return Explanation(text, score, kept, tuple(weights), dropped)


def score_batch(scorer: SentimentScorer, texts: Sequence[str]) -> list[float]:
    """Scores of texts (all scorable), segmented about BATCH_CHARS characters at a time."""
    scores: list[float] = []
    probability = scorer.model.probability
    start = 0
    while start < len(texts):
        end, size = start, 0
        while end < len(texts) and (end == start or size + len(texts[end]) <= BATCH_CHARS):
            size += len(texts[end])
            end += 1
        scores += [probability(words) for words in scorer.words(texts[start:end])]
        start = end
    return scores


@functools.cache
def _default_segmenter() -> Segmenter:
    return Segmenter(load_tables())


_worker_scorer: SentimentScorer | None = None


def _init_worker(model_file: Path) -> None:
    global _worker_scorer
    _worker_scorer = SentimentScorer.load(model_file)


def _score_in_worker(texts: list[str]) -> list[float]:
    assert _worker_scorer is not None
    return score_batch(_worker_scorer, texts)
