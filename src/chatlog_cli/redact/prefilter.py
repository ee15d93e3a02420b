"""A cheap, vectorized test that rules out text in which `detect.find_pii` cannot find anything.

`scan` reads millions of cells; calling the detectors on each would take minutes. Every detector needs at least
one of: a run of five or more digits, a longer number written in groups, an `@`, or a cue word that `detect`
itself looks for before it tries its pattern (微信/vx, 地址/寄到 or a street name before a house number,
姓名/收件人 …). Cells without any of them are skipped; the rest go to `find_pii`.

The patterns run on the text as stored (RE2 via `pyarrow.compute`), while the detectors run on a folded copy
(full-width ASCII → ASCII, U+3000 and U+00A0 → space): every character class below therefore lists the
full-width forms too. The test must stay a superset of what the detectors find; tests/test_scan.py checks that
on generated and real text, and has to be extended when a detector learns a new cue.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

import pyarrow as pa
import pyarrow.compute as pc

from chatlog_cli.redact.kinds import ADDRESS, BANKCARD, EMAIL, IDCARD, KINDS, LANDLINE, NAME, PHONE, QQ, WECHAT


def _wide(letters: str) -> str:
    """A class with each ASCII character in both cases, half- and full-width (`vx` → `[vVｖＶ][xXｘＸ]`)."""
    classes = []
    for ch in letters:
        forms = {ch.lower(), ch.upper()}
        forms |= {chr(ord(f) + 0xFEE0) for f in set(forms)}
        classes.append("[" + "".join(sorted(forms)) + "]")
    return "".join(classes)


_DIGIT: Final = "[0-9０-９]"
# What the detectors allow between the digits of one number (`138 1234 5678`, `6222-0212-…`), before folding.
_NUMBER_GAP: Final = r"[ \-\x{3000}\x{a0}\x{ff0d}]"
# Python's `\s` (which the detectors use) in Unicode mode; RE2's `\s` is ASCII only.
WHITESPACE: Final = (
    r"[\t\n\x{0b}\x{0c}\r \x{1c}-\x{1f}\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]"
)

# Five digits in a row (the shortest QQ and WeChat numbers; landline and 身份证 numbers have longer runs), or
# eleven digits or more written in groups (`138 1234 5678`, `6222-0212-3456-7890`). Dates (`2026-11-01 10:00`)
# have neither.
DIGIT_RUN: Final = f"{_DIGIT}{{5,}}|{_DIGIT}(?:{_NUMBER_GAP}?{_DIGIT}){{10,}}"
AT_SIGN: Final = r"[@\x{ff20}]"
# detect._WECHAT_CUE and detect._WXID (wxid_ starts with `wx`).
WECHAT_CUE: Final = (
    f"微信|威信|薇信|维信|{_wide('v')}信|{_wide('vx')}|{_wide('wx')}|{_wide('weixin')}|{_wide('wechat')}"
    f"|[+\\x{{ff0b}}加]{WHITESPACE}*[vVwWｖＶｗＷ]|绿泡泡|[vVｖＶ](?:号|[:：]|{WHITESPACE})"
)
# detect._PLACE_HINT: a street-like word before a house number, or an address cue.
ADDRESS_CUE: Final = (
    r"(?:路|街|道|巷|弄|村|屯|区|园|苑|厦|场|寓|庄|城|府|湾|坊|舍|同|馆)[\-\x{ff0d}]?"
    r"[0-9０-９一二三四五六七八九十百零〇两A-Za-zＡ-Ｚａ-ｚ]|地址|寄到|送到|发到|住在|住址|号楼|栋|幢|单元"
)
# detect._NAME_HINT.
NAME_CUE: Final = r"收件人|收货人|联系人|寄件人|签收人|持卡人|开户|户名|姓名|名字|我叫|叫我|本人|我是"
# `scan` decodes `\uXXXX` escapes (JSON written with ensure_ascii) before detecting, so escaped text always passes.
JSON_ESCAPE: Final = r"\\[uU][0-9a-fA-F]{4}"

NEEDS: Final[dict[str, tuple[str, ...]]] = {
    IDCARD: (DIGIT_RUN,),
    BANKCARD: (DIGIT_RUN,),
    PHONE: (DIGIT_RUN,),
    LANDLINE: (DIGIT_RUN,),
    EMAIL: (AT_SIGN,),
    WECHAT: (DIGIT_RUN, WECHAT_CUE),
    QQ: (DIGIT_RUN,),
    ADDRESS: (ADDRESS_CUE,),
    NAME: (NAME_CUE,),
}


def pattern_for(kinds: Iterable[str] | None = None) -> str:
    """The RE2 pattern a text must match for `find_pii(text, kinds)` to possibly find something."""
    wanted = KINDS if kinds is None else tuple(kinds)
    parts = dict.fromkeys(part for kind in wanted for part in NEEDS[kind])  # ordered, without repeats
    return "|".join([*parts, JSON_ESCAPE])


def may_contain(values: pa.Array, pattern: str) -> pa.Array:
    """Boolean mask over a string array: False where no detector can fire (null counts as False)."""
    return pc.fill_null(pc.match_substring_regex(values, pattern), False)
