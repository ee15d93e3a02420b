"""Finding every keyword of every rule in many texts at once.

One Aho-Corasick automaton holds all keywords and exclude phrases, so a text is read once however many rules
there are, and every occurrence is reported, overlapping ones included (想换货退款 → 换货, 退款) — which one big
regular-expression alternation cannot do: it stops at the first alternative that matches at a position.

Speed comes from not calling into Python per text: the texts are joined (NUL-separated) into one string that
the automaton scans in a single call, and occurrences are mapped back to their text with NumPy. Regular
expressions run vectorized in RE2 (Arrow) to find the few texts they match, then in Python for positions.
"""

from __future__ import annotations

import functools
import itertools
import re
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from chatlog_cli.tagging.rules import Rule, RuleSet

PatternKind = Literal["keyword", "regex", "exclude"]

_FULL_WIDTH_ALNUM: Final = {
    c: c - 0xFEE0 for lo, hi in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A)) for c in range(lo, hi + 1)
}
_FULL_WIDTH_ALNUM_RE: Final = "[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]"
_SEPARATOR: Final = "\x00"
# The automaton reads text re-encoded in base-32 symbols (see Matcher): pyahocorasick finds a node's child by
# a linear scan, so a root with hundreds of first characters costs ~100 ns per character; with at most 32
# children per node it is ~20 ns per symbol, two symbols per character.
_BASE: Final = 32
_FIRST_SYMBOL: Final = 0x41


def fold_char(char: str) -> str:
    """Full-width letters and digits → ASCII, then lower case (when that stays one character)."""
    char = chr(_FULL_WIDTH_ALNUM.get(ord(char), ord(char)))
    lowered = char.lower()
    return lowered if len(lowered) == 1 else char


def fold_text(text: str) -> str:
    """`fold_char` over a text: positions are unchanged."""
    return "".join(fold_char(c) for c in text)


def fold_array(texts: pa.Array) -> pa.Array:
    """`fold_text` over an Arrow array (for regular expressions, which read folded text)."""
    lowered = pc.utf8_lower(texts)
    wide = pc.match_substring_regex(lowered, _FULL_WIDTH_ALNUM_RE)
    if not pc.any(wide).as_py():
        return lowered
    narrowed = [text.translate(_FULL_WIDTH_ALNUM).lower() for text in pc.filter(lowered, wide).to_pylist()]
    return pc.replace_with_mask(lowered, wide, pa.array(narrowed, lowered.type))


@dataclass(frozen=True)
class Pattern:
    """A keyword, regular expression or exclude phrase of one rule."""

    rule: int
    kind: PatternKind
    text: str  # as written in the rules file


@dataclass(frozen=True)
class Occurrences:
    """Every pattern occurrence in a batch of texts, one element per (occurrence, pattern), as NumPy arrays."""

    text: np.ndarray  # index of the text in the batch
    pattern: np.ndarray  # index into Matcher.patterns
    start: np.ndarray  # code-point offsets in the text, end exclusive
    end: np.ndarray
    excluded_by: np.ndarray  # pattern index of the exclude phrase covering it, or -1
    matched: list[str]  # the text matched (the keyword itself, or what a regex matched)

    def __len__(self) -> int:
        return len(self.text)


class Matcher:
    """Compiled rules: the automaton, the regular expressions and the pattern table."""

    def __init__(self, rules: RuleSet) -> None:
        self.rules: tuple[Rule, ...] = rules.rules
        self.patterns: list[Pattern] = []
        by_key: dict[str, list[int]] = {}
        regexes: list[tuple[int, str, re.Pattern[str]]] = []
        for index, rule in enumerate(self.rules):
            for kind, items in (("keyword", rule.keywords), ("exclude", rule.exclude), ("regex", rule.regex)):
                for item in items:
                    pattern_id = len(self.patterns)
                    self.patterns.append(Pattern(index, kind, item))  # type: ignore[arg-type]
                    if kind == "regex":
                        # RE2 (Arrow) and Python agree on \d, \w and \s only in ASCII mode.
                        regexes.append((pattern_id, f"(?i){item}", re.compile(item, re.IGNORECASE | re.ASCII)))
                    else:
                        by_key.setdefault(fold_text(item), []).append(pattern_id)
        self._regexes = regexes
        self.pattern_rule = np.array([p.rule for p in self.patterns], dtype=np.int64)
        self.pattern_is_exclude = np.array([p.kind == "exclude" for p in self.patterns], dtype=bool)
        self._compile_keywords(by_key)

    def _compile_keywords(self, by_key: dict[str, list[int]]) -> None:
        import ahocorasick

        # Every character used in a keyword gets a number 1…K; every other character is 0, so it can never be
        # part of a match (nor can the separator between texts). The lookup table also folds: Ａ, A and a
        # share a number.
        alphabet = {c: i for i, c in enumerate(sorted({c for key in by_key for c in key}), 1)}
        self._width = 1
        while _BASE**self._width <= len(alphabet):
            self._width += 1
        self._lut = np.zeros(0x110000, dtype=np.uint32)
        for char, number in alphabet.items():
            for variant in _variants(char):
                self._lut[ord(variant)] = number
        self._automaton = ahocorasick.Automaton()
        key_patterns: list[int] = []
        key_ptr = [0]
        key_length: list[int] = []
        for key_id, (key, pattern_ids) in enumerate(by_key.items()):
            self._automaton.add_word(self._encode_key(key, alphabet), key_id)
            key_patterns.extend(pattern_ids)
            key_ptr.append(len(key_patterns))
            key_length.append(len(key))
        self._key_patterns = np.array(key_patterns, dtype=np.int64)
        self._key_ptr = np.array(key_ptr, dtype=np.int64)
        self._key_length = np.array(key_length, dtype=np.int64)
        self._has_keys = bool(by_key)
        if self._has_keys:
            self._automaton.make_automaton()

    def _encode_key(self, key: str, alphabet: dict[str, int]) -> str:
        return "".join(self._symbols(alphabet[c]) for c in key)

    def _symbols(self, number: int) -> str:
        digits = [(number >> (5 * j)) & (_BASE - 1) for j in reversed(range(self._width))]
        return "".join(chr(_FIRST_SYMBOL + d) for d in digits)

    def _encode_text(self, text: str) -> str:
        numbers = self._lut[np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)]
        symbols = np.empty((len(numbers), self._width), dtype=np.uint8)
        for j in range(self._width):
            symbols[:, self._width - 1 - j] = (numbers >> (5 * j)) & (_BASE - 1)
        symbols += _FIRST_SYMBOL
        return symbols.tobytes().decode("ascii")

    def find(self, texts: pa.Array) -> Occurrences:
        """All occurrences in the texts (as stored: folding is part of matching), exclusions resolved."""
        texts = texts.combine_chunks() if isinstance(texts, pa.ChunkedArray) else texts
        texts = pc.fill_null(texts, "")
        parts = [self._keyword_occurrences(texts), *self._regex_occurrences(texts)]
        text = np.concatenate([p[0] for p in parts])
        pattern = np.concatenate([p[1] for p in parts])
        start = np.concatenate([p[2] for p in parts])
        end = np.concatenate([p[3] for p in parts])
        matched = [m for p in parts for m in p[4]]
        excluded_by = self._exclusions(text, pattern, start, end)
        return Occurrences(text, pattern, start, end, excluded_by, matched)

    def _keyword_occurrences(self, texts: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str]]:
        empty = np.zeros(0, dtype=np.int64)
        if not self._has_keys or len(texts) == 0:
            return empty, empty, empty, empty, []
        joined = pc.binary_join_element_wise(texts, "", _SEPARATOR)
        width = 8 if pa.types.is_large_string(joined.type) else 4
        offsets = np.frombuffer(
            joined.buffers()[1], dtype=np.int64 if width == 8 else np.int32, count=len(joined) + 1,
            offset=joined.offset * width,
        )  # fmt: skip
        big = joined.buffers()[2].to_pybytes()[offsets[0] : offsets[-1]].decode("utf-8")
        text_starts = np.concatenate([[0], np.cumsum(pc.utf8_length(joined).to_numpy(zero_copy_only=False))])
        found = np.fromiter(
            itertools.chain.from_iterable(self._automaton.iter(self._encode_text(big))), dtype=np.int64
        ).reshape(-1, 2)
        last, key = found[:, 0], found[:, 1]
        symbol_start = last + 1 - self._key_length[key] * self._width
        aligned = symbol_start % self._width == 0  # a match between two characters' symbols is no match
        key, char_start = key[aligned], symbol_start[aligned] // self._width
        if not len(key):
            return empty, empty, empty, empty, []
        # One occurrence of a key serves every pattern (of any rule) spelled that way.
        per_key = self._key_ptr[key + 1] - self._key_ptr[key]
        row = np.repeat(np.arange(len(key)), per_key)
        within = np.arange(len(row)) - np.repeat(np.cumsum(per_key) - per_key, per_key)
        pattern = self._key_patterns[np.repeat(self._key_ptr[key], per_key) + within]
        start = char_start[row]
        end = start + self._key_length[key[row]]
        text = np.searchsorted(text_starts, start, side="right") - 1
        base = text_starts[text]
        return text, pattern, start - base, end - base, [self.patterns[p].text for p in pattern.tolist()]

    def _regex_occurrences(
        self, texts: pa.Array
    ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str]]]:
        if not self._regexes or len(texts) == 0:
            return []
        folded = fold_array(texts)
        # One pass of all patterns together finds the few texts any of them matches.
        anywhere = "|".join(f"(?:{p})" for _, p, _ in self._regexes)
        candidates = np.flatnonzero(pc.match_substring_regex(folded, anywhere).to_numpy(zero_copy_only=False))
        chosen = pc.take(folded, pa.array(candidates, pa.int64()))
        results = []
        for pattern_id, re2_pattern, compiled in self._regexes:
            hits = np.flatnonzero(pc.match_substring_regex(chosen, re2_pattern).to_numpy(zero_copy_only=False))
            rows: list[tuple[int, int, int]] = []
            matched: list[str] = []
            for index, text in zip(hits.tolist(), pc.take(chosen, pa.array(hits, pa.int64())).to_pylist(), strict=True):
                for match in compiled.finditer(text):
                    if match.end() > match.start():
                        rows.append((int(candidates[index]), match.start(), match.end()))
                        matched.append(match.group())
            found = np.array(rows, dtype=np.int64).reshape(-1, 3)
            pattern = np.full(len(found), pattern_id, dtype=np.int64)
            results.append((found[:, 0], pattern, found[:, 1], found[:, 2], matched))
        return results

    def _exclusions(self, text: np.ndarray, pattern: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
        """For each occurrence, the exclude phrase of the same rule whose occurrence contains it (else -1)."""
        excluded_by = np.full(len(text), -1, dtype=np.int64)
        is_exclude = self.pattern_is_exclude[pattern] if len(pattern) else np.zeros(0, dtype=bool)
        if not is_exclude.any():
            return excluded_by
        group = text * len(self.rules) + self.pattern_rule[pattern]
        covers: dict[int, list[tuple[int, int, int]]] = {}
        for i in np.flatnonzero(is_exclude).tolist():
            covers.setdefault(int(group[i]), []).append((int(start[i]), int(end[i]), int(pattern[i])))
        candidates = np.flatnonzero(~is_exclude & np.isin(group, np.fromiter(covers, dtype=np.int64)))
        for i in candidates.tolist():
            for cover_start, cover_end, cover in covers[int(group[i])]:
                if cover_start <= start[i] and end[i] <= cover_end:
                    excluded_by[i] = cover
                    break
        return excluded_by


def _variants(char: str) -> list[str]:
    """The characters that fold to `char`: itself, its upper-case and full-width forms."""
    return [char, *_unfolded().get(char, ())]


@functools.cache
def _unfolded() -> dict[str, list[str]]:
    # Inverting fold_char needs every character (ẞ lowers to ß, but ß.upper() is "SS"); the BMP holds all
    # cased letters chat text uses, and is scanned once per process (~30 ms).
    inverse: dict[str, list[str]] = {}
    for code in range(0x10000):
        char = chr(code)
        folded = fold_char(char)
        if folded != char:
            inverse.setdefault(folded, []).append(char)
    return inverse
