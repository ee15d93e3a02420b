"""Tagging rules: the model, the TOML loader and its validation (format in docs/tagging.md).

A rule set is a list of tags, each with keywords (literal), optional regular expressions, exclude phrases,
the sender roles it applies to, a priority, and parents: a message tagged 物流-配送时效 is also tagged with every
ancestor (物流). The built-in rules live in `chatlog_cli/data/tag_rules.toml`; a user file extends them
(same tag = replaced, `enabled = false` = removed) or, with `defaults = "replace"`, stands alone.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Final

from chatlog_cli.errors import RulesFileError
from chatlog_cli.io.toml_files import array_table_lines, key_line, parse_toml, read_toml_text
from chatlog_cli.schema import ROLES

PRIORITIES: Final = ("normal", "high", "urgent")
PRIORITY_LABELS: Final = {"normal": "一般", "high": "高", "urgent": "紧急"}
DEFAULT_ROLES: Final = frozenset({"buyer"})
DEFAULT_RULES_LABEL: Final = "内置规则"
# Part of every fingerprint: bump when matching changes so stored tags are recomputed.
ENGINE_VERSION: Final = 1
MAX_TAG_LENGTH: Final = 40

_RULE_KEYS: Final = ("tag", "parent", "priority", "roles", "keywords", "regex", "exclude", "description", "enabled")
_TOP_KEYS: Final = ("defaults", "rule")


@dataclass(frozen=True)
class Rule:
    """One tag and what makes a message carry it."""

    tag: str
    parents: tuple[str, ...] = ()
    priority: str = "normal"
    roles: frozenset[str] = DEFAULT_ROLES
    keywords: tuple[str, ...] = ()
    regex: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    description: str = ""
    origin: str = field(default="", compare=False)  # "file:line", for messages

    def canonical(self) -> dict[str, Any]:
        """What decides matching (for the fingerprint): no description, no origin."""
        return {
            "tag": self.tag,
            "parents": list(self.parents),
            "priority": self.priority,
            "roles": sorted(self.roles),
            "keywords": list(self.keywords),
            "regex": list(self.regex),
            "exclude": list(self.exclude),
        }


@dataclass(frozen=True)
class RuleSet:
    """Validated rules in file order, with the hierarchy resolved."""

    rules: tuple[Rule, ...]
    sources: tuple[str, ...] = (DEFAULT_RULES_LABEL,)

    @functools.cached_property
    def by_tag(self) -> dict[str, Rule]:
        """Rules by tag name."""
        return {rule.tag: rule for rule in self.rules}

    @functools.cached_property
    def ancestors(self) -> dict[str, tuple[str, ...]]:
        """Every tag's ancestors, nearest first, each once."""
        result: dict[str, tuple[str, ...]] = {}
        for rule in self.rules:
            seen: list[str] = []
            pending = list(rule.parents)
            while pending:
                parent = pending.pop(0)
                if parent not in seen:
                    seen.append(parent)
                    pending.extend(self.by_tag[parent].parents)
            result[rule.tag] = tuple(seen)
        return result

    @functools.cached_property
    def fingerprint(self) -> str:
        """Changes exactly when matching could change: stored tags carry it to know when to re-tag."""
        canonical = json.dumps(
            {"engine": ENGINE_VERSION, "rules": [r.canonical() for r in self.rules]},
            ensure_ascii=False,
            sort_keys=True,
        )
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    @property
    def keyword_count(self) -> int:
        """Keywords and regular expressions over all rules."""
        return sum(len(r.keywords) + len(r.regex) for r in self.rules)


@functools.cache
def default_rules() -> RuleSet:
    """The rules that ship with chatlog."""
    text = resources.files("chatlog_cli").joinpath("data/tag_rules.toml").read_text(encoding="utf-8")
    rules, _ = _parse(text, DEFAULT_RULES_LABEL, allow_defaults_key=False)
    return _checked(rules, (DEFAULT_RULES_LABEL,), text, DEFAULT_RULES_LABEL)


def load_rules(path: Path | None) -> RuleSet:
    """The built-in rules, extended or replaced by a user rules file."""
    if path is None:
        return default_rules()
    text = read_toml_text(path, RulesFileError, "规则文件")
    label = str(path)
    user, mode = _parse(text, label, allow_defaults_key=True)
    if mode == "replace":
        return _checked(tuple(r for r in user if not _disabled(r)), (label,), text, label)
    base = list(default_rules().rules)
    positions = {rule.tag: i for i, rule in enumerate(base)}
    for rule in user:
        if rule.tag in positions:
            base[positions[rule.tag]] = rule
        else:
            positions[rule.tag] = len(base)
            base.append(rule)
    kept = tuple(r for r in base if not _disabled(r))
    return _checked(kept, (DEFAULT_RULES_LABEL, label), text, label)


# A disabled rule travels through the merge as a marker and is dropped at the end.
_DISABLED: Final = "\x00disabled"


def _disabled(rule: Rule) -> bool:
    return rule.description == _DISABLED


class _Fail:
    """Builds errors that name the file and line."""

    def __init__(self, text: str, label: str) -> None:
        self.text = text
        self.label = label
        self.headers = array_table_lines(text, "rule")

    def at(self, line: int | None, message: str) -> RulesFileError:
        where = f"{self.label} 第 {line} 行" if line else self.label
        return RulesFileError(f"{where}：{message}")

    def line_of(self, index: int, key: str | None) -> int | None:
        """The line of `key` in the index-th rule (else its `[[rule]]` header)."""
        start = self.headers[index] if index < len(self.headers) else None
        if start is None or key is None:
            return start
        end = self.headers[index + 1] if index + 1 < len(self.headers) else None
        return key_line(self.text, key, start + 1, end) or start

    def rule(self, index: int, key: str | None, tag: str | None, message: str) -> RulesFileError:
        name = f"规则“{tag}”" if tag else f"第 {index + 1} 条规则"
        return self.at(self.line_of(index, key), f"{name}：{message}")


def _parse(text: str, label: str, *, allow_defaults_key: bool) -> tuple[tuple[Rule, ...], str]:
    """The file's rules in order, and its `defaults` mode (extend / replace)."""
    data = parse_toml(text, label, RulesFileError)
    fail = _Fail(text, label)
    allowed = _TOP_KEYS if allow_defaults_key else ("rule",)
    for key in data:
        if key not in allowed:
            raise fail.at(
                key_line(text, key, 1), f"不认识的键 {key}（可用：{'、'.join(allowed)}；规则写在 [[rule]] 下）。"
            )
    entries = data.get("rule", [])
    if not isinstance(entries, list) or not entries:
        raise fail.at(None, '没有规则：每条规则以 [[rule]] 开头，至少写 tag = "…" 和 keywords = […]。')
    rules: list[Rule] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(entries):
        rule = _rule(entry, index, fail, label)
        if rule.tag in seen:
            first = fail.line_of(seen[rule.tag], "tag")
            raise fail.rule(index, "tag", rule.tag, f"标签重复（第 {first} 行已定义）；同一文件里每个标签只能写一次。")
        seen[rule.tag] = index
        rules.append(rule)
    mode = data.get("defaults", "extend")
    if mode not in ("extend", "replace"):
        line = key_line(text, "defaults", 1)
        raise fail.at(line, 'defaults 只能是 "extend"（在内置规则上增改）或 "replace"（只用本文件）。')
    return tuple(rules), str(mode)


def _rule(entry: Any, index: int, fail: _Fail, label: str) -> Rule:  # noqa: C901 - one check per key, in order
    if not isinstance(entry, dict):
        raise fail.rule(index, None, None, "须是一个表（[[rule]] 下的 key = value）。")
    tag = entry.get("tag")
    if not isinstance(tag, str) or not tag.strip():
        raise fail.rule(index, "tag", None, '缺少 tag（标签名），如 tag = "退换货"。')
    tag = tag.strip()
    if len(tag) > MAX_TAG_LENGTH or "\n" in tag:
        raise fail.rule(index, "tag", tag, f"标签名须是一行、不超过 {MAX_TAG_LENGTH} 个字。")
    for key in entry:
        if key not in _RULE_KEYS:
            raise fail.rule(index, key, tag, f"不认识的键 {key}（可用：{'、'.join(_RULE_KEYS)}）。")
    enabled = entry.get("enabled", True)
    if not isinstance(enabled, bool):
        raise fail.rule(index, "enabled", tag, "enabled 须是 true 或 false。")
    line = fail.headers[index] if index < len(fail.headers) else None
    origin = f"{label}:{line}" if line else label
    if not enabled:
        return Rule(tag=tag, description=_DISABLED, origin=origin)
    priority = entry.get("priority", "normal")
    if priority not in PRIORITIES:
        raise fail.rule(index, "priority", tag, f"priority 须是 {' / '.join(PRIORITIES)} 之一。")
    roles = _words(entry, "roles", index, tag, fail) or ("buyer",)
    if "all" in roles:
        roles = ROLES
    unknown_roles = [r for r in roles if r not in ROLES]
    if unknown_roles:
        raise fail.rule(
            index, "roles", tag, f"roles 里的 {'、'.join(unknown_roles)} 不认识（可用：{'、'.join(ROLES)}、all）。"
        )
    keywords = _words(entry, "keywords", index, tag, fail)
    exclude = _words(entry, "exclude", index, tag, fail)
    patterns = _words(entry, "regex", index, tag, fail)
    for pattern in patterns:
        problem = regex_problem(pattern)
        if problem:
            raise fail.rule(index, "regex", tag, f"正则表达式 {pattern!r} 有误：{problem}。")
    parents = entry.get("parent", ())
    parents = (parents,) if isinstance(parents, str) else parents
    if not isinstance(parents, list | tuple) or not all(isinstance(p, str) and p.strip() for p in parents):
        raise fail.rule(index, "parent", tag, 'parent 须是一个标签名或标签名列表，如 parent = "物流"。')
    description = entry.get("description", "")
    if not isinstance(description, str):
        raise fail.rule(index, "description", tag, "description 须是文字。")
    return Rule(
        tag=tag,
        parents=tuple(dict.fromkeys(p.strip() for p in parents)),
        priority=priority,
        roles=frozenset(roles),
        keywords=keywords,
        regex=patterns,
        exclude=exclude,
        description=description.strip(),
        origin=origin,
    )


def _words(entry: dict[str, Any], key: str, index: int, tag: str, fail: _Fail) -> tuple[str, ...]:
    value = entry.get(key, ())
    value = [value] if isinstance(value, str) else value
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise fail.rule(index, key, tag, f'{key} 须是文字列表，如 {key} = ["…", "…"]。')
    blank = [v for v in value if not v.strip() or "\x00" in v]
    if blank:
        raise fail.rule(index, key, tag, f"{key} 里有空白项；请删掉空的引号。")
    return tuple(dict.fromkeys(v.strip() for v in value))


def regex_problem(pattern: str) -> str | None:
    """Why a pattern cannot be used (Python and RE2 must both accept it), or None."""
    try:
        re.compile(pattern)
    except re.error as exc:
        return str(exc)
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        pc.match_substring_regex(pa.array([""]), pattern)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        reason = str(exc).split(":", 1)[-1].strip()
        return f"RE2 不支持（不能用前后查找 (?=…)、(?<=…) 或反向引用 \\1）：{reason}"
    return None


def _checked(rules: tuple[Rule, ...], sources: tuple[str, ...], text: str, label: str) -> RuleSet:
    """Hierarchy checks that need the merged set: known parents, no cycles, no rule that can never fire."""
    fail = _Fail(text, label)
    by_tag = {r.tag: r for r in rules}
    lines = _origin_lines(rules, label)
    for rule in rules:
        for parent in rule.parents:
            if parent not in by_tag:
                raise fail.at(
                    _parent_line(text, rule, lines),
                    f"规则“{rule.tag}”的上级“{parent}”不存在；上级也须是一条规则（可以没有关键词）。",
                )
    cycle = _find_cycle(rules)
    if cycle:
        rule = by_tag[cycle[0]]
        raise fail.at(_parent_line(text, rule, lines), f"上级关系成环：{' → '.join(cycle)}。")
    children = {p for r in rules for p in r.parents}
    for rule in rules:
        if not rule.keywords and not rule.regex and rule.tag not in children:
            raise fail.at(
                lines.get(rule.tag), f"规则“{rule.tag}”没有 keywords 或 regex，也不是其他规则的上级，永远不会命中。"
            )
    return RuleSet(rules, sources)


def _origin_lines(rules: Iterable[Rule], label: str) -> dict[str, int]:
    lines = {}
    for rule in rules:
        file, _, line = rule.origin.rpartition(":")
        if file == label and line.isdigit():
            lines[rule.tag] = int(line)
    return lines


def _parent_line(text: str, rule: Rule, lines: dict[str, int]) -> int | None:
    start = lines.get(rule.tag)
    if start is None:
        return None
    following = [n for n in array_table_lines(text, "rule") if n > start]
    return key_line(text, "parent", start + 1, following[0] if following else None) or start


def _find_cycle(rules: tuple[Rule, ...]) -> list[str] | None:
    parents = {r.tag: r.parents for r in rules}
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(tag: str, path: list[str]) -> list[str] | None:
        state[tag] = 1
        for parent in parents.get(tag, ()):
            if state.get(parent) == 1:
                return [*path[path.index(parent) :], parent] if parent in path else [tag, parent]
            if parent not in state:
                found = visit(parent, [*path, parent])
                if found:
                    return found
        state[tag] = 2
        return None

    for rule in rules:
        if rule.tag not in state:
            found = visit(rule.tag, [rule.tag])
            if found:
                return found
    return None
