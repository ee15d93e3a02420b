"""Checks that tell real identifiers from digit runs of the same shape (order ids, waybills, timestamps)."""

from __future__ import annotations

import datetime as dt
from typing import Final

# First two digits of a 身份证 (GB/T 2260 province-level codes; 71 Taiwan, 81/82 Hong Kong/Macao residence ids,
# 83 Taiwan residents' mainland residence permits).
ID_REGIONS: Final = frozenset(
    {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61,
     62, 63, 64, 65, 71, 81, 82, 83}
)  # fmt: skip
_ID_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK: Final = "10X98765432"

# Mobile number segments in use (MIIT allocations incl. virtual operators and data-only 14x).
_MOBILE_PREFIXES: Final = frozenset(
    [f"13{d}" for d in range(10)]
    + ["145", "146", "147", "148", "149"]
    + [f"15{d}" for d in (0, 1, 2, 3, 5, 6, 7, 8, 9)]
    + ["162", "165", "166", "167"]
    + [f"17{d}" for d in range(9)]
    + [f"18{d}" for d in range(10)]
    + [f"19{d}" for d in range(10)]
)


def is_mobile(digits: str) -> bool:
    """An 11-digit mainland mobile number in an allocated segment."""
    return len(digits) == 11 and digits[:3] in _MOBILE_PREFIXES


def _valid_date(year: int, month: int, day: int) -> bool:
    try:
        born = dt.date(year, month, day)
    except ValueError:
        return False
    return dt.date(1880, 1, 1) <= born <= dt.date.today()


def id_checksum_ok(digits: str) -> bool:
    """MOD 11-2 check digit of an 18-character 身份证 (last character 0-9 or X)."""
    total = sum(int(c) * w for c, w in zip(digits[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == digits[17].upper()


def is_id_shaped(digits: str) -> bool:
    """Region code and birth date of an 18- or 15-character 身份证 are plausible (checksum not tested)."""
    if len(digits) == 18:
        year, month, day = int(digits[6:10]), int(digits[10:12]), int(digits[12:14])
    elif len(digits) == 15:
        year, month, day = 1900 + int(digits[6:8]), int(digits[8:10]), int(digits[10:12])
    else:
        return False
    return int(digits[:2]) in ID_REGIONS and _valid_date(year, month, day)


def luhn_ok(digits: str) -> bool:
    """The Luhn check most bank cards carry (some UnionPay debit cards do not)."""
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def card_bin_plausible(digits: str) -> bool:
    """Issuer prefixes of cards used in China: UnionPay 62/60/81, Visa 4, Mastercard 51-55/22-27, JCB 35, Amex 34/37."""
    return digits.startswith(("62", "60", "81", "4", "51", "52", "53", "54", "55", "35", "34", "37")) or (
        "2221" <= digits[:4] <= "2720"
    )
