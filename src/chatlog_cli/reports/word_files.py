"""Reading dictionary and stopword files: the bundled ones and users' (`UsageError` naming the file and line).

A dictionary file is jieba's user-dictionary format, UTF-8, one word a line: `词 [频率] [词性]`, fields separated
by spaces or tabs (`运费险 300 n`, `运费险 300`, `运费险 n`, `运费险`). A stopword file is one word a line, UTF-8;
empty lines and lines starting with `#` are skipped.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Final

from chatlog_cli.errors import UsageError

BUNDLED_DICT: Final = "ecommerce_dict.txt"
BUNDLED_STOPWORDS: Final = "stopwords.txt"
# Above this a word would outweigh 的 (318,825) a thousand times over: a typo, not a frequency.
MAX_FREQ: Final = 1_000_000_000

_DIGITS: Final = re.compile(r"[0-9]+")
_TAG: Final = re.compile(r"[A-Za-z]+")
_FORMAT_HINT: Final = "每行的格式是：词 [频率] [词性]，例如“运费险 300 n”，频率和词性可以省略"


@dataclass(frozen=True)
class DictEntry:
    """One dictionary line: the word, its frequency when given, and where it was read."""

    word: str
    freq: int | None
    tag: str | None
    source: str
    line: int


def bundled_file(name: str) -> Path:
    """A data file shipped in the package."""
    return Path(str(resources.files("chatlog_cli") / "data" / name))


def _read_lines(path: Path, what: str, hint: str) -> list[str]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"找不到{what}：{path}。请检查路径。") from None
    except OSError as exc:
        raise UsageError(f"无法读取{what} {path}：{exc.strerror}。") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise UsageError(
            f"{path} 第 {line} 行：{what}须是 UTF-8 编码的文本（{hint}）。请用编辑器另存为 UTF-8 后重试。"
        ) from None
    return text.splitlines()


def read_dict(path: Path) -> list[DictEntry]:
    """The entries of a jieba user-dictionary file, in file order (later lines win, as in jieba)."""
    entries = []
    for number, raw in enumerate(_read_lines(path, "词典文件", _FORMAT_HINT), 1):
        fields = raw.split()
        if not fields:
            continue
        where = f"{path} 第 {number} 行"
        if len(fields) > 3:
            raise UsageError(
                f"{where}：有 {len(fields)} 项，最多三项（词、频率、词性），词里不能有空格。{_FORMAT_HINT}。"
            )
        freq: int | None = None
        tag: str | None = None
        if len(fields) == 2 and _TAG.fullmatch(fields[1]):
            tag = fields[1]
        elif len(fields) >= 2:
            if not _DIGITS.fullmatch(fields[1]):
                raise UsageError(f"{where}：频率“{fields[1]}”不是正整数。{_FORMAT_HINT}。")
            freq = int(fields[1])
            tag = fields[2] if len(fields) == 3 else None
            if freq == 0:
                raise UsageError(
                    f"{where}：频率不能为 0（jieba 用 0 删除词，chatlog 不支持）。"
                    "不想统计某个词，请把它写进停用词文件。"
                )
            if freq > MAX_FREQ:
                raise UsageError(f"{where}：频率 {freq} 太大（最大 {MAX_FREQ}）。常用词的频率在几百到几万之间。")
        # Texts are NFKC-normalised before segmentation, so a full-width word would never match otherwise.
        entries.append(DictEntry(unicodedata.normalize("NFKC", fields[0]), freq, tag, str(path), number))
    return entries


def read_stopwords(path: Path) -> set[str]:
    """The stopwords of a file, normalised the way counted words are (NFKC, lower case)."""
    words: set[str] = set()
    for raw in _read_lines(path, "停用词文件", "每行一个词"):
        line = raw.strip()
        if line and not line.startswith("#"):
            words.update(unicodedata.normalize("NFKC", word).lower() for word in line.split())
    return words
