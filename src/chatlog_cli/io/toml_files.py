"""Users' TOML files (rules, column mappings): reading them with clear errors, and finding values' lines.

tomllib reports line numbers only for syntax errors; the helpers below find the line of a `[[table]]` entry or
a `key = value`, enough for chatlog's files, so a validation error can say "line 42" instead of "rule 7".
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from chatlog_cli.errors import ChatlogError


def read_toml_text(path: Path, error: type[ChatlogError], what: str) -> str:
    """The text of a user's TOML file; `error` (naming the file and `what` it is) when it cannot be read."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise error(f"找不到{what}：{path}。") from None
    except UnicodeDecodeError:
        raise error(f"{path}：{what}须是 UTF-8 编码的 TOML 文本。") from None
    except OSError as exc:
        raise error(f"无法读取{what} {path}：{exc.strerror}。") from None


def parse_toml(text: str, label: str, error: type[ChatlogError]) -> dict[str, object]:
    """Parsed TOML; a syntax error says where, the way chatlog's other errors do ("第 N 行第 M 列")."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib ends its message with "(at line N, column M)".
        message = str(exc)
        found = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
        where = f"{label} 第 {found[1]} 行第 {found[2]} 列" if found else label
        detail = message[: found.start()] if found else message
        raise error(
            f"{where}：TOML 语法错误（{detail}）。请检查引号、逗号和方括号是否成对，同一个键是否写了两次。"
        ) from None


def array_table_lines(text: str, name: str) -> list[int]:
    """1-based line numbers of each `[[name]]` header, in file order."""
    header = re.compile(r"^\s*\[\[\s*" + re.escape(name) + r"\s*\]\]\s*(#.*)?$")
    return [number for number, line in enumerate(text.splitlines(), 1) if header.match(line)]


def key_line(text: str, key: str, start: int, end: int | None = None) -> int | None:
    """The line of `key = …` between lines `start` and `end` (1-based, end exclusive), if written there."""
    assignment = re.compile(r"^\s*(" + re.escape(key) + r"|\"" + re.escape(key) + r"\")\s*=")
    lines = text.splitlines()
    for number in range(start, min(end or len(lines) + 1, len(lines) + 1)):
        if assignment.match(lines[number - 1]):
            return number
    return None
