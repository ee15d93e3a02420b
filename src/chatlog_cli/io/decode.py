"""Encoding detection and text clean-up for Chinese exports.

Order (FORMATS.md, cross-cutting rules): BOM → strict UTF-8 → GB18030. GB18030 is never tried first: it
decodes almost any byte sequence into silent garbage.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from typing import Final

from chatlog_cli.errors import DamagedTextError, EncodingError

_BOMS: Final = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

ENCODING_ALIASES: Final = {
    "utf8": "utf-8",
    "utf-8": "utf-8",
    "utf-8-sig": "utf-8-sig",
    "utf8-sig": "utf-8-sig",
    "gbk": "gb18030",  # GB18030 is a superset of GBK and GB2312: reading GBK as GB18030 loses nothing.
    "gb2312": "gb18030",
    "gb18030": "gb18030",
    "utf-16": "utf-16",
}

# Control characters seen in real exports (a stray \x03 occurs); \t \n \r are kept.
CONTROL_CHARS_PATTERN: Final = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
_CONTROL_RE: Final = re.compile(CONTROL_CHARS_PATTERN)
_SPACE_TRANSLATION: Final = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u3000": " ", "\ufeff": ""})
_SPACE_REPLACEMENTS: Final = tuple((chr(c), str(r)) for c, r in _SPACE_TRANSLATION.items())


def normalize_encoding_name(name: str) -> str:
    """Map a user-given encoding name to the codec chatlog uses for it."""
    key = name.strip().lower().replace("_", "-")
    if key in ENCODING_ALIASES:
        return ENCODING_ALIASES[key]
    try:
        return codecs.lookup(key).name
    except LookupError:
        raise EncodingError(f"不认识的编码“{name}”。可用：utf-8、utf-8-sig、gbk、gb18030、utf-16。") from None


def detect_encoding(head: bytes, *, complete: bool, file_label: str) -> str:
    """Pick the encoding of a text file from its first bytes.

    Args:
        head: the first bytes of the file (or all of it).
        complete: True when `head` is the whole file (a truncated multi-byte character at the end of a
            partial head is then an error rather than expected).
        file_label: the file's name for error messages.
    """
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding
    if _decodes(head, "utf-8", complete=complete):
        return "utf-8"
    if _decodes(head, "gb18030", complete=complete):
        return "gb18030"
    damaged = _damaged_text(head, complete=complete)
    if damaged is not None:
        encoding, line = damaged
        raise bad_bytes_error(file_label, f"第 {line} 行有不是 {encoding_label(encoding)} 编码的字节")
    raise EncodingError(
        f"{file_label}：既不是 UTF-8 也不是 GBK/GB18030 编码的文本，无法读取。"
        "如果确定是文本导出，请用 --encoding 指定编码。"
    )


# A text file whose encoding rejects a few of its bytes (a damaged download, a line pasted in from a file in
# another encoding) is still text: it is named as such, with the line of its first bad byte, rather than as
# "not text". Binary content is rejected far more often than this (random bytes: every few bytes).
_DAMAGED_SHARE: Final = 0.001
_DAMAGED_MIN: Final = 2


def _damaged_text(head: bytes, *, complete: bool) -> tuple[str, int] | None:
    """The encoding that rejects fewest of `head`'s bytes and the line of its first, if it rejects only a few."""
    rejected = {encoding: _rejections(head, encoding, complete=complete) for encoding in ("utf-8", "gb18030")}
    encoding = min(rejected, key=lambda e: rejected[e])  # a tie goes to UTF-8, as detection does
    if rejected[encoding] > max(_DAMAGED_MIN, len(head) * _DAMAGED_SHARE):
        return None
    try:
        codecs.getincrementaldecoder(encoding)(errors="strict").decode(head, final=complete)
    except UnicodeDecodeError as exc:
        return encoding, head[: exc.start].count(b"\n") + 1  # 0x0A is a line feed in both encodings
    return None


def _rejections(data: bytes, encoding: str, *, complete: bool) -> int:
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(data, final=complete)
    return text.count("\ufffd") - data.count("\ufffd".encode(encoding))


_ENCODING_LABELS: Final = {"gb18030": "GBK/GB18030", "utf-8": "UTF-8", "utf-8-sig": "UTF-8", "utf-16": "UTF-16"}


def encoding_label(encoding: str) -> str:
    """How errors name an encoding to a shop owner (GBK and GB18030 are one to them)."""
    return _ENCODING_LABELS.get(encoding, encoding)


def bad_bytes_error(label: str, where: str) -> DamagedTextError:
    """The error for bytes an encoding rejects in a file that is otherwise text in it; `where`: the line."""
    return DamagedTextError(
        f"{label}：{where}（文件可能混合了两种编码，或已损坏）。"
        "请重新导出该文件；如果确定是别的编码，请用 --encoding 指定后重试。"
    )


def _decodes(data: bytes, encoding: str, *, complete: bool) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        decoder.decode(data, final=complete)
    except UnicodeDecodeError:
        return False
    return True


def clean_text(text: str) -> str:
    """Normalize line ends, drop control characters, and turn NBSP-like spaces into plain spaces."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL_RE.sub("", text)
    # `translate` looks every character up (~5 ms per 40 KB, paid by every file's detection); `replace` of the
    # few characters there are is a fast scan.
    for space, replacement in _SPACE_REPLACEMENTS:
        if space in text:
            text = text.replace(space, replacement)
    return text


def normalize_header(name: object) -> str:
    """Normalize a header cell: full-width → half-width (NFKC), surrounding and inner spaces removed."""
    text = unicodedata.normalize("NFKC", str(name)).translate(_SPACE_TRANSLATION)
    return re.sub(r"\s+", "", text)
