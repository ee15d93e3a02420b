"""What identifies a message: the `message_id` SQL, and the occurrence numbers of repeats within one file.

`message_id` = md5 of (platform, thread, second, sender, identity content, occurrence), joined by U+001F.
Identical (thread, second, sender, content) messages are numbered in file order, not merged: the first is
occurrence 0, the next 1, and so on. Such repeats are rare (a buyer sending the same 在吗 twice in a second).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa

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
CANON_SQL: Final = (
    f"CASE WHEN {_FOLDED} OR contains({_TRIMMED}, content[1]) OR contains({_TRIMMED}, content[-1]) "
    r"THEN regexp_replace(trim(content), '\s+', ' ', 'g') ELSE coalesce(content, '') END"
)
IDENTITY_SQL: Final = (
    f"concat_ws(chr(31), platform, coalesce(thread, ''), CAST({SECOND_SQL} AS VARCHAR), coalesce(sender, ''), "
    f"{CANON_SQL})"
)


def message_id_sql(occurrence: str) -> str:
    """The `message_id` of a staged row; `occurrence`: a SQL expression of its occurrence number."""
    return f"md5({IDENTITY_SQL} || chr(31) || CAST({occurrence} AS VARCHAR))"


FIRST_ID_SQL: Final = f"md5({IDENTITY_SQL} || chr(31) || '0')"

_NIBBLE_BYTES: Final = np.uint64(0x0F0F0F0F0F0F0F0F)
_LETTER_FLAGS: Final = np.uint64(0x0101010101010101)


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
    nibbles = (words & _NIBBLE_BYTES) + np.uint64(9) * ((words >> np.uint64(6)) & _LETTER_FLAGS)
    packed = (nibbles | (nibbles >> np.uint64(4))) & np.uint64(0x00FF00FF00FF00FF)
    packed = (packed | (packed >> np.uint64(8))) & np.uint64(0x0000FFFF0000FFFF)
    packed = (packed | (packed >> np.uint64(16))) & np.uint64(0x00000000FFFFFFFF)
    return (packed[:, 0] << np.uint64(32)) | packed[:, 1], (packed[:, 2] << np.uint64(32)) | packed[:, 3]


class Occurrences:
    """Occurrence numbers of a file's rows, batch after batch in file order, from their occurrence-0 ids.

    Two rows are the same message exactly when their occurrence-0 ids (md5 of the identity) are equal. Every
    id of the file so far is kept as two 64-bit words in sorted runs (16 bytes a row, merged as they grow,
    like a log-structured merge tree), so a batch is checked with a binary search per run. Rows whose first
    word was seen before, in the file or earlier in the batch, are the only ones counted one by one: the
    true repeats, plus the one-in-2^64 chance of a different message sharing a first word.
    """

    def __init__(self) -> None:
        self._runs: list[tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]] = []
        self._counts: dict[tuple[int, int], int] = {}

    def number(self, first_ids: pa.Array) -> npt.NDArray[np.int64]:
        """Occurrence numbers of the next rows of the file (0 for each identity's first row)."""
        hi, lo = digest_words(first_ids)
        occurrence = np.zeros(len(hi), dtype=np.int64)
        if len(hi) == 0:
            return occurrence
        order = np.argsort(hi, kind="stable")
        sorted_hi, sorted_lo = hi[order], lo[order]
        shared = np.zeros(len(hi), dtype=bool)
        same = sorted_hi[1:] == sorted_hi[:-1]
        shared[order[1:][same]] = True
        shared[order[:-1][same]] = True
        for run_hi, _ in self._runs:
            # Sorted needles: each binary search starts where the previous one ended (~20x faster).
            at = np.minimum(np.searchsorted(run_hi, sorted_hi), len(run_hi) - 1)
            shared[order[run_hi[at] == sorted_hi]] = True
        for row in np.flatnonzero(shared).tolist():
            key = (int(hi[row]), int(lo[row]))
            if key not in self._counts:
                self._counts[key] = int(self._seen_before(*key))
            occurrence[row] = self._counts[key]
            self._counts[key] += 1
        self._add_run(sorted_hi, sorted_lo)
        return occurrence

    def _seen_before(self, hi: int, lo: int) -> bool:
        for run_hi, run_lo in self._runs:
            start = int(np.searchsorted(run_hi, hi, side="left"))
            end = int(np.searchsorted(run_hi, hi, side="right"))
            if (run_lo[start:end] == lo).any():
                return True
        return False

    def _add_run(self, hi: npt.NDArray[np.uint64], lo: npt.NDArray[np.uint64]) -> None:
        self._runs.append((hi, lo))
        while len(self._runs) > 1 and len(self._runs[-2][0]) <= len(self._runs[-1][0]):
            (hi_b, lo_b), (hi_a, lo_a) = self._runs.pop(), self._runs.pop()
            merged_hi = np.concatenate([hi_a, hi_b])
            order = np.argsort(merged_hi, kind="stable")
            self._runs.append((merged_hi[order], np.concatenate([lo_a, lo_b])[order]))
