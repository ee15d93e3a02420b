"""snownlp's word segmenter, re-implemented to give the same words many times faster.

snownlp segments Chinese with a character-based generative model (`snownlp.seg.y09_2047`): each character
gets a tag b/m/e/s (begin, middle, end of a word, single), chosen by a second-order Viterbi search over
interpolated uni-, bi- and trigram counts of (character, tag) pairs. Its pure-Python search is 91 % of
`SnowNLP(text).sentiments`. This module runs the same search over many texts at once in NumPy and must
pick the same tags, because a different word changes the score. What that takes:

* The same floating-point operations in the same order: each transition's probability is
  `log(l1*(c3/total) + (l2*c23)/c2 + (l3*c123)/c12)` (a term is 0 when its denominator is), evaluated once per
  distinct character trigram with `math.log`, and added to the path's probability; IEEE addition is the same
  in NumPy and Python.
* The same tie-breaking. snownlp keeps its states in a dict whose order is fixed (current tag major,
  previous tag minor) and keeps the first best predecessor; `argmax` keeps the first maximum too.
* The same handling of a character the model has never seen: snownlp gives it every tag at no cost and, for
  each new state, keeps the LAST predecessor with the same current tag (a dict overwrite), whatever its
  probability. That is what `_UNKNOWN_PREDECESSOR` encodes.

The model's tables (a 13 MB gzipped marshal file that takes snownlp 2.6 s to load) are converted once into
NumPy arrays kept in the user's cache directory; later runs load them in milliseconds.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import marshal
import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from chatlog_cli.sentiment.paths import cache_dir, snownlp_data_file

# snownlp's own definition of a Chinese character (snownlp/seg/__init__.py): runs of these are segmented,
# anything else is split on whitespace.
HAN_RUN: Final = re.compile("([\u4e00-\u9fa5]+)")
HAN_FIRST: Final = 0x4E00
HAN_LAST: Final = 0x9FA5
TAGS: Final = "bmes"
B, M, E, S = range(4)

# Character ids are code point − 0x4E00 (< 20902); one id is kept for snownlp's begin-of-sentence symbol
# ('', 'BOS'). Keys pack 15 bits per character and 2 per tag.
CHAR_BITS: Final = 15
N_IDS: Final = 1 << CHAR_BITS
BOS: Final = N_IDS - 1
# Bump when the cached arrays change shape or meaning.
CACHE_FORMAT: Final = 1

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class SegmenterTables:
    """snownlp's segmentation model as sorted arrays (see module docstring)."""

    l1: float
    l2: float
    l3: float
    total: float  # sum of all unigram counts (the denominator of snownlp's `uni.freq`)
    uni: FloatArray  # (N_IDS * 4,) count of (character, tag); BOS at [BOS * 4]
    bi_keys: IntArray  # sorted ((c1 << 15 | c2) << 4) | t1 << 2 | t2
    bi_counts: FloatArray
    tri_keys: IntArray  # sorted ((c1 << 30 | c2 << 15 | c3) << 6) | t1 << 4 | t2 << 2 | t3
    tri_counts: FloatArray

    @property
    def known(self) -> npt.NDArray[np.bool_]:
        """Per character id: whether the model has seen it with any tag."""
        return np.asarray(self.uni.reshape(N_IDS, 4).max(axis=1) > 0, dtype=np.bool_)


def load_tables(source: Path | None = None) -> SegmenterTables:
    """The default snownlp segmenter's tables, from the cache (built from snownlp's model file when absent)."""
    source = source or snownlp_data_file("seg", "seg.marshal.3")
    stat = source.stat()
    stamp = hashlib.sha256(f"{CACHE_FORMAT}:{source.resolve()}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    cached = cache_dir() / f"snownlp-seg-{stamp.hexdigest()[:16]}.npz"
    if cached.exists():
        try:
            return _read_npz(cached)
        except (OSError, ValueError, KeyError):
            pass  # damaged cache: rebuild it
    tables = tables_from_snownlp(_read_marshal(source))
    _write_npz(tables, cached)
    return tables


def _read_marshal(path: Path) -> dict[str, Any]:
    raw = path.read_bytes()
    # snownlp's loader falls back to plain marshal when the file is not gzipped; so do we.
    data: dict[str, Any] = marshal.loads(gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw)
    return data


def _char_id(symbol: tuple[str, str]) -> tuple[int, int] | None:
    """(character, tag) → (id, tag index); None for symbols a Han run can never reach."""
    char, tag = symbol
    if char == "" and tag == "BOS":
        return BOS, 0
    if len(char) != 1 or not HAN_FIRST <= ord(char) <= HAN_LAST or tag not in TAGS:
        return None
    return ord(char) - HAN_FIRST, TAGS.index(tag)


def tables_from_snownlp(model: dict[str, Any]) -> SegmenterTables:
    """Convert snownlp's CharacterBasedGenerativeModel state (as marshalled) into arrays."""
    uni = np.zeros(N_IDS * 4, dtype=np.float64)
    for symbol, count in model["uni"]["d"].items():
        ids = _char_id(symbol)
        if ids is not None:
            uni[ids[0] * 4 + ids[1]] = count
    bi_keys: list[int] = []
    bi_counts: list[float] = []
    for (s1, s2), count in model["bi"]["d"].items():
        a, b = _char_id(s1), _char_id(s2)
        if a is not None and b is not None:
            bi_keys.append((((a[0] << CHAR_BITS) | b[0]) << 4) | a[1] << 2 | b[1])
            bi_counts.append(count)
    tri_keys: list[int] = []
    tri_counts: list[float] = []
    for (s1, s2, s3), count in model["tri"]["d"].items():
        a, b, c = _char_id(s1), _char_id(s2), _char_id(s3)
        if a is not None and b is not None and c is not None:
            chars = (a[0] << 2 * CHAR_BITS) | (b[0] << CHAR_BITS) | c[0]
            tri_keys.append((chars << 6) | a[1] << 4 | b[1] << 2 | c[1])
            tri_counts.append(count)
    bi_order = np.argsort(np.array(bi_keys, dtype=np.int64), kind="stable")
    tri_order = np.argsort(np.array(tri_keys, dtype=np.int64), kind="stable")
    return SegmenterTables(
        l1=float(model["l1"]),
        l2=float(model["l2"]),
        l3=float(model["l3"]),
        total=float(model["uni"]["total"]),
        uni=uni,
        bi_keys=np.array(bi_keys, dtype=np.int64)[bi_order],
        bi_counts=np.array(bi_counts, dtype=np.float64)[bi_order],
        tri_keys=np.array(tri_keys, dtype=np.int64)[tri_order],
        tri_counts=np.array(tri_counts, dtype=np.float64)[tri_order],
    )


def _write_npz(tables: SegmenterTables, path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with tmp.open("wb") as handle:
            np.savez(
                handle,
                lambdas=np.array([tables.l1, tables.l2, tables.l3, tables.total]),
                uni=tables.uni,
                bi_keys=tables.bi_keys,
                bi_counts=tables.bi_counts,
                tri_keys=tables.tri_keys,
                tri_counts=tables.tri_counts,
            )
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only cache only costs speed: the tables are rebuilt next time


def _read_npz(path: Path) -> SegmenterTables:
    with np.load(path) as data:
        l1, l2, l3, total = (float(v) for v in data["lambdas"])
        return SegmenterTables(
            l1, l2, l3, total, data["uni"], data["bi_keys"], data["bi_counts"], data["tri_keys"], data["tri_counts"]
        )


class Segmenter:
    """Segments Han runs exactly as snownlp's default segmenter does, many runs per call."""

    def __init__(self, tables: SegmenterTables) -> None:
        self.tables = tables
        self._known = tables.known

    def words(self, text: str) -> list[str]:
        """Words as snownlp's `seg.seg(text)` gives them: Han runs segmented, other stretches split on whitespace."""
        return self.words_of_texts([text])[0]

    def words_of_texts(self, texts: Sequence[str]) -> list[list[str]]:
        """`seg.seg` of each text, segmenting all their Han runs in one batch."""
        pieces = [HAN_RUN.split(text) for text in texts]
        runs = [run for parts in pieces for run in parts[1::2]]
        run_words = iter(self.segment_runs(runs))
        result: list[list[str]] = []
        for parts in pieces:
            words: list[str] = []
            for index, part in enumerate(parts):
                if index % 2:
                    words += next(run_words)
                else:
                    words += part.split()
            result.append(words)
        return result

    def segment_runs(self, runs: Sequence[str]) -> list[list[str]]:
        """Words of each run of Han characters (every character in U+4E00..U+9FA5)."""
        if not runs:
            return []
        lengths = np.fromiter((len(r) for r in runs), dtype=np.int64, count=len(runs))
        joined = "".join(runs)
        ids = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.int64) - HAN_FIRST
        tags = self._tag(ids, lengths)
        starts = np.cumsum(lengths) - lengths
        # A word starts at a run's first character, at b or s, and after e (snownlp's Seg.seg).
        boundary = (tags == B) | (tags == S)
        boundary[1:] |= tags[:-1] == E
        boundary[starts] = True
        marked = np.insert(ids + HAN_FIRST, np.flatnonzero(boundary), 0).astype(np.uint32)
        flat = marked.tobytes().decode("utf-32-le").split("\0")[1:]
        counts = np.add.reduceat(boundary, starts) if len(starts) else np.zeros(0, dtype=np.int64)
        bounds = np.concatenate(([0], np.cumsum(counts))).tolist()
        return [flat[bounds[i] : bounds[i + 1]] for i in range(len(runs))]

    def _tag(self, ids: IntArray, lengths: IntArray) -> npt.NDArray[np.int8]:
        """Viterbi tags for all characters (runs laid end to end), exactly as snownlp chooses them."""
        starts = np.cumsum(lengths) - lengths
        # Context of each character: the two before it (BOS at a run's start).
        prev1 = np.full_like(ids, BOS)
        prev2 = np.full_like(ids, BOS)
        prev1[1:] = ids[:-1]
        prev2[2:] = ids[:-2]
        position = np.arange(len(ids)) - np.repeat(starts, lengths)
        prev1[position < 1] = BOS
        prev2[position < 2] = BOS
        known = self._known[ids]
        contexts = (prev2 << 2 * CHAR_BITS) | (prev1 << CHAR_BITS) | ids
        unique, row_of_char = np.unique(np.where(known, contexts, -1), return_inverse=True)
        log_probs = self._transition_log_probs(unique)

        order = np.argsort(-lengths, kind="stable")  # longest first: the runs still going are a prefix
        sorted_lengths = lengths[order]
        sorted_starts = starts[order]
        n_runs = len(order)
        max_length = int(sorted_lengths[0])
        active_counts = np.searchsorted(-sorted_lengths, -np.arange(max_length), side="left")
        probs = np.full((n_runs, 16), -np.inf)
        backpointers: list[npt.NDArray[np.int8]] = []
        best_final = np.zeros(n_runs, dtype=np.int64)
        for step in range(max_length):
            active = int(active_counts[step])
            chars = sorted_starts[:active] + step
            char_known = known[chars]
            table = log_probs[row_of_char[chars]]  # (active, t3, t2, t1)
            current = probs[:active]
            if step == 0:
                # From BOS: states (BOS, t) kept at t*4 + 0; unknown characters cost nothing.
                new = np.full((active, 16), -np.inf)
                new[:, 0::4] = np.where(char_known[:, None], table[:, :, 0, 0], 0.0)
                pointer = np.zeros((active, 16), dtype=np.int8)
            else:
                candidates = current.reshape(active, 1, 4, 4) + table  # [t3, t2, t1]
                pointer = np.argmax(candidates, axis=3).astype(np.int8)
                new = np.take_along_axis(candidates, pointer[..., None].astype(np.int64), axis=3)[..., 0]
                new = new.reshape(active, 16)
                pointer = pointer.reshape(active, 16)
                if not char_known.all():
                    # The predecessor kept is the last one with the same current tag: t1 = s, or BOS (slot 0)
                    # at the second character.
                    last = 0 if step == 1 else S
                    unknown = ~char_known
                    carried = current[unknown].reshape(-1, 4, 4)[:, :, last]  # [t2]
                    new[unknown] = np.repeat(carried[:, None, :], 4, axis=1).reshape(-1, 16)
                    pointer[unknown] = last
            probs[:active] = new
            backpointers.append(pointer)
            ending = np.flatnonzero(sorted_lengths[:active] == step + 1)
            best_final[ending] = np.argmax(new[ending], axis=1)

        tags = np.zeros(len(ids), dtype=np.int8)
        state = np.zeros(n_runs, dtype=np.int64)  # t_cur * 4 + t_prev at the step being walked back
        for step in range(max_length - 1, -1, -1):
            active = int(active_counts[step])
            ending = np.flatnonzero(sorted_lengths[:active] == step + 1)
            state[ending] = best_final[ending]
            current = state[:active]
            tags[sorted_starts[:active] + step] = current // 4
            if step >= 1:
                before = backpointers[step][np.arange(active), current] if step >= 2 else 0
                state[:active] = (current % 4) * 4 + before
        return tags

    def _transition_log_probs(self, contexts: IntArray) -> FloatArray:
        """The log-probability P(t3 | c1 t1, c2 t2) for each context (c1, c2, c3) as an array [context, t3, t2, t1].

        Evaluated as snownlp's `log_prob`: l1*uni + l2*bi/uni(prev) + l3*tri/bi(prev two), summed left to
        right, with `math.log` (NumPy's vectorised log may differ in the last bit).
        """
        t = self.tables
        valid = contexts >= 0
        contexts = np.where(valid, contexts, 0)
        mask = (1 << CHAR_BITS) - 1
        c1, c2, c3 = contexts >> 2 * CHAR_BITS, (contexts >> CHAR_BITS) & mask, contexts & mask
        uni = t.uni.reshape(N_IDS, 4)
        u3 = uni[c3]  # [k, t3]
        u2 = uni[c2]  # [k, t2]
        b23 = _dense_block(t.bi_keys, t.bi_counts, (c2 << CHAR_BITS | c3) << 4, 16).reshape(-1, 4, 4)  # [t2, t3]
        b12 = _dense_block(t.bi_keys, t.bi_counts, (c1 << CHAR_BITS | c2) << 4, 16).reshape(-1, 4, 4)  # [t1, t2]
        tri = _dense_block(t.tri_keys, t.tri_counts, contexts << 6, 64).reshape(-1, 4, 4, 4)  # [t1, t2, t3]
        uni_term = t.l1 * (u3 / t.total)  # [k, t3]
        with np.errstate(divide="ignore", invalid="ignore"):
            bi_term = np.where(u2[:, :, None] != 0, (t.l2 * b23) / u2[:, :, None], 0.0)  # [k, t2, t3]
            tri_term = np.where(b12[:, :, :, None] != 0, (t.l3 * tri) / b12[:, :, :, None], 0.0)  # [k, t1, t2, t3]
        total = (uni_term[:, None, None, :] + bi_term[:, None, :, :]) + tri_term
        return np.ascontiguousarray(exact_log(total).transpose(0, 3, 2, 1))  # [k, t3, t2, t1]


def exact_log(values: FloatArray) -> FloatArray:
    """`math.log` of every value (−inf for 0), vectorised when NumPy's log agrees with it bit for bit here.

    NumPy may use its own SIMD logarithm (on AVX-512 machines, for instance), which can differ from the C
    library's in the last bit; one differing bit could change a segmentation, so that is checked once.
    """
    with np.errstate(divide="ignore"):
        if _numpy_log_is_exact():
            return np.log(values)
        unique, inverse = np.unique(values, return_inverse=True)
        logs = np.array([math.log(v) if v > 0 else -math.inf for v in unique.tolist()], dtype=np.float64)
        return logs[inverse.reshape(values.shape)]


@functools.cache
def _numpy_log_is_exact() -> bool:
    # Probabilities as the segmenter meets them span about 1e-12 to 1; 200k values in that range, plus the
    # tiny and the exact ones.
    rng = np.random.default_rng(20261123)
    sample = np.concatenate([np.exp(rng.uniform(-30.0, 0.0, 200_000)), rng.random(50_000), [1.0, 0.5, 1e-300]])
    fast = np.log(sample)
    return bool(np.array_equal(fast, np.array([math.log(v) for v in sample.tolist()])))


def _dense_block(keys: IntArray, counts: FloatArray, bases: IntArray, width: int) -> FloatArray:
    """counts[bases + j] for j < width as a dense (len(bases), width) array (0 where the key is absent)."""
    lo = np.searchsorted(keys, bases, side="left")
    hi = np.searchsorted(keys, bases + width, side="left")
    sizes = hi - lo
    out = np.zeros((len(bases), width), dtype=np.float64)
    if sizes.sum() == 0:
        return out
    rows = np.repeat(np.arange(len(bases)), sizes)
    entries = np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes) + np.repeat(lo, sizes)
    out[rows, keys[entries] - bases[rows]] = counts[entries]
    return out
