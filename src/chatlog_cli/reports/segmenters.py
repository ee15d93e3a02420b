"""jieba's precise mode without HMM, from rjieba (jieba-rs, fast) or jieba itself, with the same dictionary.

rjieba cuts exactly like `jieba.lcut(text, HMM=False)` only when both hold the same words with the same
frequencies and the same total frequency (every word's log-probability is `ln(freq) − ln(total)`). Out of the
box they differ in three ways, each made equal here:

* A dictionary line without a frequency gets `suggest_freq(word)`, which jieba computes as a product of floats
  and jieba-rs as `exp(Σ ln f)`: the two differ by one now and then (起球: jieba 16, jieba-rs 17). The frequency
  is computed here the way jieba does and handed to rjieba explicitly.
* The total: jieba adds every line of its dict.txt, and `B超` is listed twice; jieba-rs counts each word once
  (3 less). Re-adding a word (the bundled dictionary raises 偏大 from 3) adds the new frequency in jieba but only
  the difference in jieba-rs. rjieba is given the missing amount as the frequency of a word it never looks up:
  a private-use character, outside the runs of Chinese characters and letters that rjieba segments.
* A frequency of 0 deletes a word in jieba but not in jieba-rs: `word_files.read_dict` refuses it.

`tests/test_report_words.py` pins the total difference and compares both engines on real chat turns.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final

from chatlog_cli.errors import ChatlogError
from chatlog_cli.reports.word_files import DictEntry

Cut = Callable[[str], list[str]]

# Never in segmented text: text_clean turns every character outside jieba's Chinese range and ASCII letters into
# a space, and rjieba does not look up private-use characters anyway.
TOTAL_FILLER: Final = "\ue000"


class MainDict:
    """jieba's dict.txt as both engines load it."""

    def __init__(self, words: list[str], counts: list[int]) -> None:
        self.freqs = dict(zip(words, counts, strict=True))  # the last line of a word wins, in both engines
        self.jieba_total = sum(counts)  # jieba: every line counted
        self.unique_total = sum(self.freqs.values())  # jieba-rs: each word once

    @functools.cached_property
    def _first_chars(self) -> frozenset[str]:
        return frozenset(word[0] for word in self.freqs)

    def is_prefix(self, text: str) -> bool:
        """Whether `text` begins a dictionary word (jieba's FREQ holds every prefix, with frequency 0)."""
        if text[0] not in self._first_chars:
            return False
        return len(text) == 1 or any(word.startswith(text) for word in self.freqs)


def _jieba_dir() -> Path:
    spec = importlib.util.find_spec("jieba")
    if spec is None or not spec.submodule_search_locations:
        raise ChatlogError("没有找到 jieba（分词所需）。请运行 pip install jieba 后重试。")
    return Path(next(iter(spec.submodule_search_locations)))


@functools.cache
def main_dict() -> MainDict:
    """The main dictionary of jieba, read once per process (0.2 s)."""
    path = _jieba_dir() / "dict.txt"
    try:
        fields = path.read_bytes().decode("utf-8").split()
    except (OSError, UnicodeDecodeError) as exc:
        raise ChatlogError(
            f"jieba 的词典 {path} 无法读取（{exc}）。请运行 pip install --force-reinstall jieba。"
        ) from None
    return MainDict(fields[0::3], list(map(int, fields[1::3])))


class JiebaFrequencies:
    """The frequencies and total a jieba Tokenizer would hold after the same `add_word` calls, and rjieba's total."""

    def __init__(self, main: MainDict) -> None:
        self._main = main
        self.added: dict[str, int] = {}
        self._prefixes: set[str] = set()
        self.total = main.jieba_total
        self.rjieba_total = main.unique_total

    def get(self, word: str, default: int) -> int:
        """What jieba's `FREQ.get(word, default)` gives: a prefix of a word is there with 0."""
        if word in self.added:
            return self.added[word]
        if word in self._main.freqs:
            return self._main.freqs[word]
        if word in self._prefixes or self._main.is_prefix(word):
            return 0
        return default

    def suggest(self, word: str, segments: Sequence[str]) -> int:
        """What jieba's `suggest_freq(word, tune=False)` gives, from its `cut(word, HMM=False)`; same float steps."""
        ftotal = float(self.total)
        freq = 1.0
        for segment in segments:
            freq *= self.get(segment, 1) / ftotal
        return max(int(freq * self.total) + 1, self.get(word, 1))

    def add(self, word: str, freq: int) -> None:
        """Record `add_word(word, freq)` in both engines' terms."""
        old = self.added.get(word, self._main.freqs.get(word))
        self.rjieba_total += freq - (old or 0)
        self.total += freq
        self.added[word] = freq
        self._prefixes.update(word[:end] for end in range(1, len(word)))


def rjieba_cutter(entries: Sequence[DictEntry]) -> tuple[Cut, dict[str, int]]:
    """A private rjieba instance with `entries` added; its cut function and the frequency given to each word."""
    # Imported here: 0.3 s (it builds a default instance on import), paid only when words are counted.
    import rjieba

    engine = rjieba.Jieba()
    state = JiebaFrequencies(main_dict())
    filler = 0

    def sync_total() -> None:
        nonlocal filler
        missing = state.total - state.rjieba_total
        if missing != filler:
            engine.add_word(TOTAL_FILLER, missing, None)
            filler = missing

    sync_total()
    for entry in entries:
        # suggest_freq reads the engine as it is after the earlier words, exactly as jieba's load_userdict does.
        freq = entry.freq or state.suggest(entry.word, engine.cut(entry.word, False))
        engine.add_word(entry.word, freq, entry.tag)
        state.add(entry.word, freq)
        sync_total()

    def cut(text: str) -> list[str]:
        return engine.cut(text, False)

    return cut, dict(state.added)


def jieba_cutter(entries: Sequence[DictEntry]) -> tuple[Cut, dict[str, int]]:
    """A private `jieba.Tokenizer` with `entries` added (jieba picks missing frequencies itself)."""
    import jieba  # 0.2 s import and 1 s dictionary load, paid only for the reference engine

    tokenizer: Any = jieba.Tokenizer()
    # jieba logs "Building prefix dict…" to stderr at DEBUG level; library code stays quiet.
    logger = logging.getLogger("jieba")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        tokenizer.initialize()
    finally:
        logger.setLevel(level)
    added: dict[str, int] = {}
    for entry in entries:
        tokenizer.add_word(entry.word, entry.freq, entry.tag)
        added[entry.word] = tokenizer.FREQ[entry.word]

    def cut(text: str) -> list[str]:
        words: list[str] = tokenizer.lcut(text, HMM=False)
        return words

    return cut, added
