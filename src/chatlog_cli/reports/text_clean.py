"""What in a buyer message is never a word: links, emoticon codes, redacted personal data, numbers and ids.

The word counter and the question grouping both start here. Removal happens before segmentation and leaves a
space, so nothing around a removed piece is glued into a new word (`订单123456发货` must not become `订单发货`).

Redacted text comes in three forms (`redact/replace.py`): labels (`[手机号]`), keyed pseudonyms
(`[手机号:7f3a9c21]`) and masks (`138****5678`, `张*`, `a***@qq.com`, `北京市朝阳区****`); buyers and agents are
tokens (`买家_1a2b3c4d5e`). All of them are recognised here, so a report never shows a fragment of one.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

from chatlog_cli.redact.kinds import LABELS

# jieba's own definition of a Chinese character (`re_han_default`). rjieba's is wider (CJK extensions too), so
# every other character is turned into a space before either engine sees the text: both then cut the same blocks.
HAN: Final = "\u4e00-\u9fd5"
# The prefixes of `redact.replace.TOKEN_PREFIXES`, written out: importing the redactor costs 0.3 s of regex
# compilation, and a test checks that the two agree.
PERSON_TOKEN_PREFIXES: Final = ("买家", "客服", "文件")

_LABEL: Final = r"\[(?:" + "|".join(map(re.escape, LABELS.values())) + r")(?::[0-9A-Za-z]{4,})?\]"
_PERSON_TOKEN: Final = "(?:" + "|".join(PERSON_TOKEN_PREFIXES) + ")_[0-9A-Fa-f]{6,}"
# An address the redactor missed would still not become words (`abc` of abc@qq.com).
_EMAIL: Final = r"[0-9A-Za-z._%+\-]{1,64}+@[0-9A-Za-z.\-]+"
# ASCII runs only: a link ends at the first space or Chinese character.
_URL: Final = r"(?:https?|ftp)://[!-~]*|www\.[!-~]*"
_HTML: Final = r"<[^<>\n]{0,300}>|&(?:[A-Za-z]{2,8}|#\d{1,6});"
# Taobao 淘口令 (`￥AbC8dEf1￥`); NFKC has already turned ￥ into ¥.
_TAOKOULING: Final = r"¥[0-9A-Za-z]{6,}¥"
# JD `#E-s25`; Taobao/Qianniu `/:^_^`, `/:801`, `/:handclap`, `/:-(`.
_EMOTICON: Final = r"#E-[A-Za-z]?\d+[0-9A-Za-z]*|/:(?:\d{1,4}|[A-Za-z]+|[!-/:-@\[-`{-~]{1,4})"
# `[微笑]`, `[玫瑰]`, `[图片]`, and placeholders for removed digits such as JDDC's `[数字x]`: letters glued to one
# are what was left of an id (`VA[数字x]`, `ID:[数字x]`).
BRACKET_PATTERN: Final = r"[0-9A-Za-z_:\-]{0,32}+\[[^\[\]\n]{1,8}\][0-9A-Za-z_\-]*"
# Masks: phone, id card, bank card, QQ, WeChat, email (`a***@qq.com`), landline (`010-******78`)...
_MASK_ASCII: Final = r"[0-9A-Za-z._@+\-]{0,32}+\*+[0-9A-Za-z._@+\-]*"
# ...and names and addresses, masked after the Chinese characters the redactor keeps (`张*`, `欧阳**`,
# `北京市朝阳区****`): those go too, so neither a surname nor where a buyer lives reaches a word list. A name keeps
# one or two characters before its stars, an address its whole administrative prefix before four (at most 40
# characters are taken).
_MASK_HAN: Final = f"[{HAN}]{{3,40}}+\\*{{4,}}|[{HAN}]{{1,2}}\\*+"
# Domains, links without a scheme and file names (`jd.com`, `taobao.com/abc`, `IMG_1.jpg`), and any run of
# letters and digits that holds a digit: numbers, prices, times, order and waybill ids (`SF1234567890`,
# `JD-2024-001`), model numbers (`iphone15`).
_DOTTED: Final = r"[0-9A-Za-z_\-]{1,64}+(?:\.[0-9A-Za-z_\-]++)+(?:/[!-~]*)?"
_DIGITS: Final = r"[0-9A-Za-z_\-/#:.]{0,64}?[0-9][0-9A-Za-z_\-/#:.]*"

# Alternatives are tried left to right at each position: labels before the bracket codes they look like, links
# before the digit runs inside them. What comes before a `*`, `@`, `[` or digit is bounded ({0,64}) and not
# backtracked into (possessive `+`), so a 5,000-letter message costs at most 64 steps a character, not 5,000.
NOISE_PATTERN: Final = "|".join((_URL, _HTML, _TAOKOULING, _EMOTICON))
PERSONAL_PATTERN: Final = "|".join((_LABEL, _PERSON_TOKEN, _EMAIL))
MASK_PATTERN: Final = "|".join((_MASK_ASCII, _MASK_HAN))
NUMBER_PATTERN: Final = "|".join((_DOTTED, _DIGITS))

_NOT_A_WORD: Final = re.compile(
    "|".join((PERSONAL_PATTERN, NOISE_PATTERN, BRACKET_PATTERN, MASK_PATTERN, NUMBER_PATTERN))
)
_NOT_SEGMENTED: Final = re.compile(f"[^{HAN}A-Za-z]+")


def normalize(text: str) -> str:
    """NFKC: full-width letters, digits and punctuation become ASCII (`ｉＰｈｏｎｅ１５` → `iPhone15`)."""
    return unicodedata.normalize("NFKC", text)


def segmentable(text: str) -> str:
    """`text` as the segmenter sees it: Chinese characters and ASCII letters, everything else a space.

    Links, emoticon codes, redacted values, numbers and ids are removed first, whole.
    """
    return _NOT_SEGMENTED.sub(" ", _NOT_A_WORD.sub(" ", normalize(text)))
