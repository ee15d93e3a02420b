"""snownlp's naive Bayes sentiment model: its file format, its training and its exact arithmetic.

A model file is snownlp's (`snownlp.classification.bayes.Bayes.save`): a gzipped marshal of
`{"total": float, "d": {class: {"d": {word: count}, "total": float, "none": 1}}}`, classes `neg` and `pos`.
Counts are add-one smoothed at training time (a word seen n times is stored as n + 1) and an unseen word
counts 1. A file written here loads in snownlp (`snownlp.sentiment.load(path without ".3")`) and the other
way round.

`probability` repeats `Bayes.classify` operation by operation (same order of additions, same `exp`), so the
number is snownlp's to the last bit, not merely close to it.
"""

from __future__ import annotations

import gzip
import hashlib
import marshal
import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from chatlog_cli.errors import ChatlogError

POSITIVE: Final = "pos"
NEGATIVE: Final = "neg"


class ModelFileError(ChatlogError):
    """A sentiment model file that cannot be read."""


@dataclass
class ClassCounts:
    """One class's word counts (snownlp's AddOneProb)."""

    counts: dict[str, float]
    total: float
    none: float = 1.0  # count of a word the class never saw


@dataclass
class BayesModel:
    """A two-class naive Bayes model in snownlp's form; classes keep the file's order (it breaks ties)."""

    classes: dict[str, ClassCounts]
    total: float
    _log_freq: dict[str, dict[str, float]] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def read(cls, path: Path) -> BayesModel:
        """Read a snownlp Bayes model file (gzipped or plain marshal)."""
        try:
            raw = path.read_bytes()
            data: Any = marshal.loads(gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw)
            classes = {
                str(name): ClassCounts(dict(values["d"]), float(values["total"]), float(values.get("none", 1)))
                for name, values in data["d"].items()
            }
            model = cls(classes, float(data["total"]))
        except (OSError, EOFError, ValueError, TypeError, KeyError, AttributeError) as exc:
            raise ModelFileError(
                f"无法读取情感模型文件 {path}：{exc}。它应是 snownlp 的 Bayes 模型（sentiment.marshal.3）；"
                "可用 chatlog sentiment train 重新训练，或 chatlog sentiment --model default 换回默认模型。"
            ) from None
        if set(model.classes) != {POSITIVE, NEGATIVE}:
            raise ModelFileError(f"情感模型文件 {path} 的类别是 {sorted(model.classes)}，应为 neg 和 pos。")
        return model

    def write(self, path: Path) -> None:
        """Write in snownlp's format (gzipped marshal), atomically."""
        data = {
            "total": self.total,
            "d": {name: {"d": c.counts, "total": c.total, "none": c.none} for name, c in self.classes.items()},
        }
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(gzip.compress(marshal.dumps(data), mtime=0))
        os.replace(tmp, path)

    @property
    def fingerprint(self) -> str:
        """A hash of everything that decides scores (the counts, in order)."""
        digest = hashlib.sha256(repr(self.total).encode())
        for name, c in self.classes.items():
            digest.update(f"\0{name}\0{c.total!r}\0{c.none!r}\0".encode())
            for word, count in c.counts.items():
                digest.update(f"{word}\1{count!r}\2".encode())
        return digest.hexdigest()[:16]

    def _log_frequencies(self, word: str) -> dict[str, float]:
        cached = self._log_freq.get(word)
        if cached is None:
            cached = {name: math.log(float(c.counts.get(word, c.none)) / c.total) for name, c in self.classes.items()}
            self._log_freq[word] = cached
        return cached

    def probability(self, words: Sequence[str]) -> float:
        """P(pos | words), exactly as `snownlp.sentiment.Sentiment.classify` computes it."""
        logs = {name: math.log(c.total) - math.log(self.total) for name, c in self.classes.items()}
        for word in words:
            freq = self._log_frequencies(word)
            for name in logs:
                logs[name] += freq[name]
        winner, best = "", 0.0
        for name in logs:
            odds = 0.0
            try:
                for other in logs:
                    odds += math.exp(logs[other] - logs[name])
                share = 1 / odds
            except OverflowError:
                share = 0.0
            if share > best:
                winner, best = name, share
        return best if winner == POSITIVE else 1 - best

    def word_weight(self, word: str) -> float:
        """The log-odds log P(word | pos) − log P(word | neg): how far one occurrence pushes toward positive."""
        freq = self._log_frequencies(word)
        return freq[POSITIVE] - freq[NEGATIVE]

    @classmethod
    def train(cls, negative: Iterable[Sequence[str]], positive: Iterable[Sequence[str]]) -> BayesModel:
        """Train as snownlp's `Bayes.train` does (documents as word lists, negatives first)."""
        classes: dict[str, ClassCounts] = {}
        for name, documents in ((NEGATIVE, negative), (POSITIVE, positive)):
            counts: dict[str, float] = {}
            total = 0.0
            for words in documents:
                for word in words:
                    # AddOneProb.add: the first sighting stores 1 (the smoothing) plus the occurrence.
                    total += 1
                    if word not in counts:
                        counts[word] = 1
                        total += 1
                    counts[word] += 1
            classes[name] = ClassCounts(counts, total)
        return cls(classes, sum(c.total for c in classes.values()))
