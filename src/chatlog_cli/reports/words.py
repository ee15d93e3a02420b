"""Top words of buyer messages (`chatlog report frequency`): jieba's precise mode, e-commerce words, stopwords.

A text is cleaned first (`text_clean`: links, emoticon codes, redacted personal data, numbers and ids removed),
then cut by jieba's precise mode without HMM — from rjieba (jieba-rs) by default, which gives the same words
several times faster (`segmenters`). A word is counted when it holds a Chinese character or is a Latin word of
two to twenty letters (lower-cased: `vip`, `plus`, `iphone`), and is not a stopword.

Single characters are left out, except a few that carry a request or a complaint on their own: single characters
are half of all tokens of JDDC buyer turns, mostly what the dictionary could not join (我, 的, 了, 好, 吗), and 货,
单, 号 alone say little, while 退, 换, 催, 慢, 坏 say what buyers want.
"""

from __future__ import annotations

import collections
from collections.abc import Sequence
from pathlib import Path
from typing import Final, Literal

from chatlog_cli.reports.segmenters import Cut, jieba_cutter, rjieba_cutter
from chatlog_cli.reports.text_clean import HAN, segmentable
from chatlog_cli.reports.word_files import BUNDLED_DICT, BUNDLED_STOPWORDS, bundled_file, read_dict, read_stopwords

Engine = Literal["rjieba", "jieba"]

# Single characters counted as words; see the module docstring.
KEPT_SINGLE_CHARACTERS: Final = frozenset("退换催慢坏错漏假贵急修寄补破脏臭")
# Longer runs of letters are what is left of ids and hashes, not words people type.
MAX_LATIN: Final = 20
# A number written in Chinese, with or without a unit, is a number too (十五, 两百, 两个, 三天, 一个月).
_NUMERALS: Final = frozenset("〇零一二三四五六七八九十百千万亿两壹贰叁肆伍陆柒捌玖拾佰仟")
_UNITS: Final = frozenset("个件天次台只双条块元斤点号月年位种样瓶盒箱袋张套本支把份周岁分秒米码寸")
_HAN_FIRST, _HAN_LAST = HAN.split("-")


def _has_han(token: str) -> bool:
    return any(_HAN_FIRST <= char <= _HAN_LAST for char in token)


def _is_number(token: str) -> bool:
    """Numerals, then at most two units: 三, 十五, 两个, 三天, 一个月 (not 七天无理由, 三包)."""
    digits = len(token) - len(token.lstrip("".join(_NUMERALS)))
    return digits > 0 and len(token) - digits <= 2 and _UNITS.issuperset(token[digits:])


def _describe(engine: Engine, bundled: int, user: int, stopwords: int, default_stopwords: bool) -> str:
    cutter = (
        "rjieba（jieba-rs，与 jieba 精确模式、HMM 关闭结果相同）"
        if engine == "rjieba"
        else "jieba 精确模式（HMM 关闭）"
    )
    user_part = f" + 用户词典 {user} 个词" if user else ""
    stop_part = f"停用词 {stopwords} 个" if default_stopwords else f"停用词 {stopwords} 个（不含内置停用词）"
    singles = "、".join(sorted(KEPT_SINGLE_CHARACTERS))
    return (
        f"分词：{cutter}+ 电商词典 {bundled} 个词{user_part}；{stop_part}；"
        f"数字、编号、链接、表情和脱敏内容不计；单字只计 {singles}"
    )


class WordCounter:
    """Counts the words of buyer messages; made by `WordCounter.load`."""

    def __init__(self, cut: Cut, stopwords: frozenset[str], mode: str, frequencies: dict[str, int]) -> None:
        self._cut = cut
        self.stopwords = stopwords
        self.mode = mode  # one sentence for the report notes: how words were cut and filtered
        self.frequencies = frequencies  # word → frequency given to the segmenter, for every dictionary word added
        self._kept: dict[str, str | None] = {}  # token → the word it counts as (None: not counted)

    @classmethod
    def load(
        cls,
        user_dicts: Sequence[Path] = (),
        stopword_files: Sequence[Path] = (),
        *,
        default_stopwords: bool = True,
        engine: Engine = "rjieba",
    ) -> WordCounter:
        """A counter with its own segmenter instance, dictionaries and stopwords.

        Args:
            user_dicts: jieba user-dictionary files, added after the bundled e-commerce dictionary (later lines win).
            stopword_files: Files of stopwords added to the bundled list.
            default_stopwords: False leaves the bundled stopword list out.
            engine: rjieba (fast) or jieba (the reference; same words, several times slower).

        Raises:
            UsageError: a file is missing, unreadable, not UTF-8, or a dictionary line is malformed.
        """
        bundled = read_dict(bundled_file(BUNDLED_DICT))
        user = [entry for path in user_dicts for entry in read_dict(path)]
        stopwords: set[str] = read_stopwords(bundled_file(BUNDLED_STOPWORDS)) if default_stopwords else set()
        for path in stopword_files:
            stopwords |= read_stopwords(path)
        cut, frequencies = (rjieba_cutter if engine == "rjieba" else jieba_cutter)([*bundled, *user])
        mode = _describe(
            engine, len({e.word for e in bundled}), len({e.word for e in user}), len(stopwords), default_stopwords
        )
        return cls(cut, frozenset(stopwords), mode, frequencies)

    def _word(self, token: str) -> str | None:
        """The word a segmenter token counts as, or None."""
        if token in self._kept:
            return self._kept[token]
        word: str | None = token.lower()
        if _has_han(token):
            if (len(token) == 1 and token not in KEPT_SINGLE_CHARACTERS) or _is_number(token):
                word = None
        elif not (2 <= len(token) <= MAX_LATIN and token.isascii() and token.isalpha()):
            word = None  # spaces, single letters, and letter runs as long as an id or a hash
        if word in self.stopwords:
            word = None
        self._kept[token] = word
        return word

    def words(self, text: str) -> list[str]:
        """The counted words of one text, in order (repeats included)."""
        return [word for token in self._cut(segmentable(text)) if (word := self._word(token))]

    def count(self, texts: Sequence[str], weights: Sequence[int] | None = None) -> collections.Counter[str]:
        """In how many messages each word appears: a word repeated within one message counts once.

        Args:
            texts: Distinct message texts.
            weights: How many messages had each text (default: one each).
        """
        counts: collections.Counter[str] = collections.Counter()
        cut, word_of, kept = self._cut, self._word, self._kept
        for text, weight in zip(texts, [1] * len(texts) if weights is None else weights, strict=True):
            found = set()
            for token in cut(segmentable(text)):
                word = kept[token] if token in kept else word_of(token)
                if word:
                    found.add(word)
            for word in found:
                counts[word] += weight
        return counts
