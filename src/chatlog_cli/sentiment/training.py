"""`chatlog sentiment train`: a snownlp Bayes model from the shop's own positive and negative examples."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from chatlog_cli.errors import ChatlogError
from chatlog_cli.io.decode import detect_encoding
from chatlog_cli.sentiment.bayes import POSITIVE, BayesModel
from chatlog_cli.sentiment.scorer import SentimentScorer

# Fewer examples than this per class give a model that mostly echoes its class sizes.
MIN_EXAMPLES: Final = 20


class TrainingFileError(ChatlogError):
    """An examples file that cannot be used."""

    exit_code = 2


@dataclass(frozen=True)
class Trained:
    """A trained model and how it was made."""

    model: BayesModel
    info: dict[str, Any]


def read_examples(path: Path) -> list[str]:
    """Non-blank lines of an examples file (one example per line, as snownlp's trainer reads them)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise TrainingFileError(f"无法读取 {path}：{exc.strerror}。") from None
    text = raw.decode(detect_encoding(raw, complete=True, file_label=str(path)))
    return [line for line in text.splitlines() if line.strip()]


def train_from_files(positive_file: Path, negative_file: Path) -> Trained:
    """Train on two files of examples; each line is one example (snownlp's `sentiment.train` format)."""
    started = time.perf_counter()
    examples = {}
    for label, path in (("positive", positive_file), ("negative", negative_file)):
        lines = read_examples(path)
        if len(lines) < MIN_EXAMPLES:
            raise TrainingFileError(
                f"{path} 只有 {len(lines)} 条非空例句；每类至少需要 {MIN_EXAMPLES} 条（建议几千条），每行一条。"
            )
        examples[label] = lines
    scorer = SentimentScorer.load()
    model = BayesModel.train(scorer.words(examples["negative"]), scorer.words(examples["positive"]))
    info = {
        "positive_file": positive_file.name,
        "negative_file": negative_file.name,
        "positive_examples": len(examples["positive"]),
        "negative_examples": len(examples["negative"]),
        "vocabulary": len(set().union(*(c.counts for c in model.classes.values()))),
        "positive_words": int(model.classes[POSITIVE].total),
        "seconds": round(time.perf_counter() - started, 3),
    }
    return Trained(model, info)
