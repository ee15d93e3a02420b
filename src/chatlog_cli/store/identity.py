"""What identifies a message: the `message_id` SQL, and the occurrence numbers of repeats within one file.

`message_id` = md5 of (platform, thread, second, sender, identity content, occurrence), joined by U+001F.
Identical (thread, second, sender, content) messages are numbered in file order, not merged: the first is
occurrence 0, the next 1, and so on. Such repeats are rare (a buyer sending the same 在吗 twice in a second).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from chatlog_cli.io.arrow_text import utf8_buffers

SECOND_SQL: Final = "(epoch_ms(sent_at) // 1000)"

# Identity content: trimmed, inner white-space runs folded, so export shapes that wrap text differently agree.
# Most messages have nothing to fold, and the rewrite leaves a message unchanged when none of these holds: it
# holds a tab, line feed, form feed, carriage return or two spaces in a row (what `\s+` -> ' ' changes), or
# starts or ends with a space separator (what DuckDB's `trim` removes: Unicode Zs, `TRIM_CHARACTERS`; a
# whole character matches only a whole character of that string, as UTF-8 lead bytes never equal continuation
# bytes; the empty message also "matches", harmlessly). Testing that costs ~0.08 s per 1M messages against
# ~0.18 s for a regex test and ~0.5 s for rewriting every message, and ~1.4 ms of planning per query (an
# IN-list of code points: 2.3 ms, which a directory of small files pays several times per file).
TRIM_CHARACTERS: Final = (0x20, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x202F, 0x205F, 0x3000)
_TRIMMED: Final = "'" + "".join(map(chr, TRIM_CHARACTERS)) + "'"
_FOLDED: Final = " OR ".join(f"contains(content, {s})" for s in ("'  '", "chr(9)", "chr(10)", "chr(12)", "chr(13)"))
_REWRITE_SQL: Final = r"regexp_replace(trim(content), '\s+', ' ', 'g')"
CANON_SQL: Final = (
    f"CASE WHEN {_FOLDED} OR contains({_TRIMMED}, content[1]) OR contains({_TRIMMED}, content[-1]) "
    f"THEN {_REWRITE_SQL} ELSE coalesce(content, '') END"
)


def _identity_sql(canon: str) -> str:
    return (
        f"concat_ws(chr(31), platform, coalesce(thread, ''), CAST({SECOND_SQL} AS VARCHAR), coalesce(sender, ''), "
        f"{canon})"
    )


IDENTITY_SQL: Final = _identity_sql(CANON_SQL)


def message_id_sql(occurrence: str) -> str:
    """The `message_id` of a staged row; `occurrence`: a SQL expression of its occurrence number."""
    return f"md5({IDENTITY_SQL} || chr(31) || CAST({occurrence} AS VARCHAR))"


FIRST_ID_SQL: Final = f"md5({IDENTITY_SQL} || chr(31) || '0')"
# The same ids over rows with a boolean column `may_fold` (`may_fold`): the rewrite's test, done on the bytes
# beforehand, off DuckDB's (single-threaded) scan of a batch: ~0.2 s of its ~0.8 s per 1M messages.
_FLAGGED_CANON_SQL: Final = f"CASE WHEN may_fold THEN {_REWRITE_SQL} ELSE coalesce(content, '') END"
FLAGGED_FIRST_ID_SQL: Final = f"md5({_identity_sql(_FLAGGED_CANON_SQL)} || chr(31) || '0')"
_TRIM_UTF8: Final = tuple(chr(c).encode() for c in TRIM_CHARACTERS)
_FOLDED_BYTES: Final = (0x09, 0x0A, 0x0C, 0x0D)
_SCAN_SLICE: Final = 1 << 18


def may_fold(content: pa.Array) -> npt.NDArray[np.bool_]:
    """Which messages `CANON_SQL` may rewrite: a superset of its test, found on the UTF-8 bytes.

    The rewrite leaves a message unchanged where the test fails (see above), so a row flagged needlessly costs
    only its regex. A null is never flagged: its rewrite would be NULL, not ''.
    """
    offsets, data = utf8_buffers(content)
    flagged = np.zeros(len(content), dtype=bool)
    # A folded character or two spaces in a row anywhere in a message (a pair across two messages over-reports).
    for start in range(0, len(data), _SCAN_SLICE):
        part = data[start : start + _SCAN_SLICE + 1]
        hits = np.isin(part, _FOLDED_BYTES)
        hits[:-1] |= (part[:-1] == 0x20) & (part[1:] == 0x20)
        at = np.flatnonzero(hits)
        if len(at):
            flagged[np.searchsorted(offsets, at + start, side="right") - 1] = True
    # A message starting or ending with a trimmed character (1 to 3 bytes), its bytes read as one number.
    lengths = np.diff(offsets)
    for size in (1, 2, 3):
        codes = [int.from_bytes(c, "big") for c in _TRIM_UTF8 if len(c) == size]
        rows = np.flatnonzero(lengths >= size)
        for first in (offsets[:-1][rows], offsets[1:][rows] - size):
            edge = np.zeros(len(rows), dtype=np.int64)
            for shift in range(size):
                edge = edge << 8 | data[first + shift]
            flagged[rows[np.isin(edge, codes)]] = True
    if content.null_count:
        flagged &= np.asarray(content.is_valid(), dtype=bool)
    return flagged


_NIBBLE_BYTES: Final = np.uint64(0x0F0F0F0F0F0F0F0F)
_LETTER_FLAGS: Final = np.uint64(0x0101010101010101)
_DIGEST_ROWS: Final = 1 << 15


def digest_words(ids: pa.Array) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
    """md5 hex digests (32 lower-case hex characters, no nulls) packed, one to one, into two 64-bit words.

    Each 8 characters are read as one 64-bit word of 8 bytes, turned into 8 nibble values ('0'-'9' are 0x30-0x39
    and 'a'-'f' 0x61-0x66: the low 4 bits, plus 9 for letters) and packed into 32 bits, a few whole-array
    operations in all. The words identify the digest; they are not its numeric value (the nibble order differs).
    """
    n = len(ids)
    if n == 0:
        return np.empty(0, np.uint64), np.empty(0, np.uint64)
    offsets = np.frombuffer(ids.buffers()[1], dtype=np.int32, count=n + 1, offset=ids.offset * 4)
    if ids.null_count or offsets[-1] - offsets[0] != 32 * n:
        raise ValueError("not md5 hex digests")
    text = np.frombuffer(ids.buffers()[2], dtype=np.uint8, count=32 * n, offset=int(offsets[0]))
    words = text.view(np.uint64).reshape(n, 4)
    hi, lo = np.empty(n, dtype=np.uint64), np.empty(n, dtype=np.uint64)
    # In slices: the temporaries stay small and are reused, not fresh memory for every step (page faults
    # cost more than the arithmetic on this kind of machine).
    for start in range(0, n, _DIGEST_ROWS):
        packed = words[start : start + _DIGEST_ROWS] & _NIBBLE_BYTES
        letters = (words[start : start + _DIGEST_ROWS] >> np.uint64(6)) & _LETTER_FLAGS
        letters *= np.uint64(9)
        packed += letters
        packed |= packed >> np.uint64(4)
        packed &= np.uint64(0x00FF00FF00FF00FF)
        packed |= packed >> np.uint64(8)
        packed &= np.uint64(0x0000FFFF0000FFFF)
        packed |= packed >> np.uint64(16)
        packed &= np.uint64(0x00000000FFFFFFFF)
        hi[start : start + _DIGEST_ROWS] = (packed[:, 0] << np.uint64(32)) | packed[:, 1]
        lo[start : start + _DIGEST_ROWS] = (packed[:, 2] << np.uint64(32)) | packed[:, 3]
    return hi, lo


@dataclass(frozen=True)
class Digests:
    """md5 hex digests as words (`digest_words`), in row order and sorted by their first word."""

    hi: npt.NDArray[np.uint64]
    lo: npt.NDArray[np.uint64]
    order: npt.NDArray[np.intp]  # rows by first word (ties in no particular order)
    sorted_hi: npt.NDArray[np.uint64]
    sorted_lo: npt.NDArray[np.uint64]

    @classmethod
    def of(cls, *ids: pa.Array) -> Digests:
        """The digests of arrays of md5 hex strings, one after the other (ValueError for anything else)."""
        words = [digest_words(array) for array in ids]
        hi = words[0][0] if len(words) == 1 else np.concatenate([w[0] for w in words])
        lo = words[0][1] if len(words) == 1 else np.concatenate([w[1] for w in words])
        order = np.argsort(hi)  # not a stable sort: ~3x faster, and nothing here depends on how ties fall
        return cls(hi, lo, order, hi[order], lo[order])

    def __len__(self) -> int:
        return len(self.hi)


class DigestSet:
    """A set of md5 digests, kept as two 64-bit words (`digest_words`): 16 bytes a digest.

    The words are in sorted runs, merged as they grow (like a log-structured merge tree), so a batch is
    looked up with one binary search per run, its needles in sorted order (each search then starts where
    the previous one ended: ~20x faster than in row order).
    """

    def __init__(self) -> None:
        self._runs: list[tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]] = []

    def __len__(self) -> int:
        return sum(len(hi) for hi, _ in self._runs)

    def add(self, digests: Digests) -> None:
        """Add digests (duplicates allowed)."""
        if len(digests) == 0:
            return
        self._runs.append((digests.sorted_hi, digests.sorted_lo))
        while len(self._runs) > 1 and len(self._runs[-2][0]) <= len(self._runs[-1][0]):
            (hi_b, lo_b), (hi_a, lo_a) = self._runs.pop(), self._runs.pop()
            merged = np.concatenate([hi_a, hi_b])
            order = np.argsort(merged, kind="stable")  # two sorted runs: a linear merge
            self._runs.append((merged[order], np.concatenate([lo_a, lo_b])[order]))

    def first_word_seen(self, digests: Digests) -> npt.NDArray[np.bool_]:
        """Which digests share their first word with one in the set (a superset of `contains`)."""
        needles = digests.sorted_hi
        seen = np.zeros(len(digests), dtype=bool)
        for run_hi, _ in self._runs:
            at = np.searchsorted(run_hi, needles)
            np.minimum(at, len(run_hi) - 1, out=at)
            seen |= run_hi[at] == needles
        out = np.empty(len(digests), dtype=bool)
        out[digests.order] = seen
        return out

    def contains(self, digests: Digests) -> npt.NDArray[np.bool_]:
        """Which digests are in the set (both words equal)."""
        needles_hi, needles_lo = digests.sorted_hi, digests.sorted_lo
        same_first = np.zeros(len(digests), dtype=bool)
        found = np.zeros(len(digests), dtype=bool)
        for run_hi, run_lo in self._runs:
            at = np.searchsorted(run_hi, needles_hi)
            np.minimum(at, len(run_hi) - 1, out=at)
            same = run_hi[at] == needles_hi
            same_first |= same
            found |= same & (run_lo[at] == needles_lo)
        # Another digest with the same first word may follow the one the search landed on.
        for needle in np.flatnonzero(same_first & ~found).tolist():
            found[needle] = self.holds(int(needles_hi[needle]), int(needles_lo[needle]))
        out = np.empty(len(digests), dtype=bool)
        out[digests.order] = found
        return out

    def holds(self, hi: int, lo: int) -> bool:
        """Whether one digest is in the set."""
        for run_hi, run_lo in self._runs:
            start = int(np.searchsorted(run_hi, hi, side="left"))
            end = int(np.searchsorted(run_hi, hi, side="right"))
            if (run_lo[start:end] == lo).any():
                return True
        return False


class Occurrences:
    """Occurrence numbers of a file's rows, batch after batch in file order, from their occurrence-0 ids.

    Two rows are the same message exactly when their occurrence-0 ids (md5 of the identity) are equal. Every
    id of the file so far is kept in a `DigestSet`. Rows whose first word was seen before, in the file or
    earlier in the batch, are the only ones counted one by one: the true repeats, plus the one-in-2^64
    chance of a different message sharing a first word.
    """

    def __init__(self) -> None:
        self._seen = DigestSet()
        self._counts: dict[tuple[int, int], int] = {}

    def number(self, first_ids: Digests) -> npt.NDArray[np.int64]:
        """Occurrence numbers of the next rows of the file (0 for each identity's first row)."""
        hi, lo, order = first_ids.hi, first_ids.lo, first_ids.order
        occurrence = np.zeros(len(hi), dtype=np.int64)
        if len(hi) == 0:
            return occurrence
        same = first_ids.sorted_hi[1:] == first_ids.sorted_hi[:-1]
        shared = self._seen.first_word_seen(first_ids)
        shared[order[1:][same]] = True
        shared[order[:-1][same]] = True
        for row in np.flatnonzero(shared).tolist():
            key = (int(hi[row]), int(lo[row]))
            if key not in self._counts:
                self._counts[key] = int(self._seen.holds(*key))
            occurrence[row] = self._counts[key]
            self._counts[key] += 1
        self._seen.add(first_ids)
        return occurrence
