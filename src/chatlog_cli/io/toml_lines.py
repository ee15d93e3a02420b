"""Line numbers for values of a parsed TOML file (tomllib reports them only for syntax errors).

Enough for files of `[[table]]` entries with `key = value` lines, the shape of chatlog's rules files, so a
validation error can say "line 42" instead of "rule 7".
"""

from __future__ import annotations

import re


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
