"""Byte-level answers about Arrow string arrays agree with the plain Python / Arrow kernel answers."""

from __future__ import annotations

import random

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from chatlog_cli.io.arrow_text import find_bytes, rows_containing, rows_ending_in, rows_starting_with

# Pieces that make near misses likely: parts of the needles, CJK sharing lead bytes, digits, blanks.
_PIECES = [
    "会话",
    "结束",
    "会话结束",
    "以下为",
    "一通会话",
    "以下为一通会话",
    "会",
    "话",
    "a",
    "1",
    "9",
    " ",
    "\t",
    "",
    "。",
]


def _values(rng: random.Random, count: int) -> list[str | None]:
    values: list[str | None] = []
    for _ in range(count):
        if rng.random() < 0.05:
            values.append(None)
        else:
            values.append("".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 5))))
    return values


def _arrays(seed: int) -> list[tuple[list[str | None], pa.Array]]:
    rng = random.Random(seed)
    values = _values(rng, 400)
    whole = pa.array(values, pa.string())
    # A slice shares its buffers with the whole array: bytes outside it must neither match nor be counted.
    return [(values, whole), (values[37:211], whole.slice(37, 174)), ([], whole.slice(5, 0))]


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("needle", ["会话结束", "以下为一通会话", "话结", "1 "])
def test_rows_containing_is_match_substring(seed: int, needle: str) -> None:
    for values, array in _arrays(seed):
        expected = [i for i, v in enumerate(values) if v is not None and needle in v]
        found = rows_containing(array, needle.encode()).tolist()
        assert [i for i in found if values[i] is not None] == expected
        assert expected == np.flatnonzero(pc.fill_null(pc.match_substring(array, needle), False)).tolist()


def test_a_needle_split_between_two_neighbouring_values_is_not_found() -> None:
    array = pa.array(["xx会话", "结束yy", "会话结束"])
    assert rows_containing(array, "会话结束".encode()).tolist() == [2]


@pytest.mark.parametrize("seed", range(5))
def test_rows_ending_in_and_starting_with(seed: int) -> None:
    for values, array in _arrays(seed):
        ending = [i for i, v in enumerate(values) if v and v[-1] in "19 \t"]
        assert [i for i in rows_ending_in(array, b"19 \t").tolist() if values[i] is not None] == ending
        starting = [i for i, v in enumerate(values) if v is not None and v.startswith("会话")]
        assert [i for i in rows_starting_with(array, "会话".encode()).tolist() if values[i] is not None] == starting


@pytest.mark.parametrize("seed", range(5))
def test_find_bytes_is_every_occurrence(seed: int) -> None:
    rng = random.Random(seed)
    data = "".join(rng.choice(_PIECES) for _ in range(2000)).encode()
    for needle in ("会话结束".encode(), "结束".encode(), b"1 ", b"\t\t"):
        expected = [i for i in range(len(data)) if data.startswith(needle, i)]
        assert find_bytes(np.frombuffer(data, dtype=np.uint8), needle).tolist() == expected
