"""User column mappings (`--map mapping.toml`): an unknown spreadsheet export described as data.

See docs/mapping.md for the format and a worked example.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from chatlog_cli.errors import MappingFileError
from chatlog_cli.io.toml_files import parse_toml, read_toml_text
from chatlog_cli.platforms.tabular import FIELDS, TabularFormat
from chatlog_cli.schema import ROLES

_TOP_KEYS = {"platform", "shop", "read", "columns", "roles", "types", "time", "name", "title"}
_PLATFORM_RE = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")


def load_mapping(path: Path) -> TabularFormat:
    """Read and validate a mapping file; errors name the file, the line or key, and the fix."""
    text = read_toml_text(path, MappingFileError, "列映射文件")
    return mapping_from_dict(parse_toml(text, str(path), MappingFileError), str(path))


def mapping_from_dict(data: dict[str, Any], label: str = "mapping") -> TabularFormat:
    """Build a `TabularFormat` from parsed mapping data."""

    def fail(message: str) -> MappingFileError:
        return MappingFileError(f"{label}：{message}")

    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise fail(f"不认识的键 {', '.join(sorted(unknown))}（可用：{', '.join(sorted(_TOP_KEYS))}）。")
    platform = data.get("platform", "other")
    if not isinstance(platform, str) or not _PLATFORM_RE.match(platform):
        raise fail('platform 须是小写英文标识，如 "douyin"、"kuaishou"（字母、数字、- 或 _）。')
    columns_raw = data.get("columns")
    if not isinstance(columns_raw, dict) or not columns_raw:
        raise fail('缺少 [columns] 表：请写明每个字段对应的表头，如 sent_at = "时间"。')
    columns: dict[str, tuple[str, ...]] = {}
    for key, value in columns_raw.items():
        if key not in FIELDS:
            raise fail(f"[columns] 里的 {key} 不是可用字段（可用：{', '.join(FIELDS)}）。")
        aliases = (value,) if isinstance(value, str) else value
        if not isinstance(aliases, list | tuple) or not aliases or not all(isinstance(a, str) and a for a in aliases):
            raise fail(f"[columns] {key} 须是表头文字或表头文字的列表。")
        columns[key] = tuple(aliases)
    roles = _word_table(data.get("roles", {}), ROLES, "roles", fail)
    types = _word_table(data.get("types", {}), None, "types", fail)
    read = _table(data.get("read", {}), {"sheet", "header_row", "encoding"}, "read", fail)
    header_row = read.get("header_row")
    if header_row is not None and (not isinstance(header_row, int) or header_row < 1):
        raise fail("[read] header_row 须是从 1 开始的行号。")
    time = _table(data.get("time", {}), {"formats", "format"}, "time", fail)
    formats = time.get("formats", time.get("format", []))
    formats = [formats] if isinstance(formats, str) else formats
    if not isinstance(formats, list) or not all(isinstance(f, str) and "%" in f for f in formats):
        raise fail('[time] formats 须是 strftime 格式列表，如 ["%Y/%m/%d %H:%M"]。')
    fmt = TabularFormat(
        name=str(data.get("name", "mapped")),
        platform=platform,
        title=str(data.get("title", f"自定义列映射（{label}）")),
        columns=columns,
        roles=roles,
        types=types,
        time_formats=tuple(formats),
        sheet=read.get("sheet"),
        header_row=header_row,
        shop=data.get("shop"),
        encoding=read.get("encoding"),
    )
    missing = fmt.missing_required({k: 0 for k in columns})
    if missing:
        raise fail(
            "[columns] 至少要有：sent_at（或 date + time）、content，以及 sender 或 sender_role；"
            f"缺少 {', '.join(missing)}。"
        )
    return fmt


def _table(value: Any, allowed: set[str], name: str, fail: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise fail(f"[{name}] 须是一个表。")
    unknown = set(value) - allowed
    if unknown:
        raise fail(f"[{name}] 里不认识的键 {', '.join(sorted(unknown))}（可用：{', '.join(sorted(allowed))}）。")
    return value


def _word_table(value: Any, allowed: tuple[str, ...] | None, name: str, fail: Any) -> dict[str, str]:
    """`role = ["word", …]` tables inverted to word → role."""
    if not isinstance(value, dict):
        raise fail(f'[{name}] 须是一个表，如 buyer = ["买家", "顾客"]。')
    words: dict[str, str] = {}
    for key, items in value.items():
        if allowed is not None and key not in allowed:
            raise fail(f"[{name}] 里的 {key} 不是可用取值（可用：{', '.join(allowed)}）。")
        items = [items] if isinstance(items, str) else items
        if not isinstance(items, list) or not all(isinstance(i, str | int) for i in items):
            raise fail(f"[{name}] {key} 须是文字列表。")
        for item in items:
            words[str(item)] = key
    return words
