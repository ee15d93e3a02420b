"""Messages in, tag rows out (Arrow in, Arrow out), and the explanation of one text's tags.

Customer-service chat repeats itself (在吗, 好的, 什么时候发货), so each distinct text is matched once and
the result is shared by every message with that text; the sender's role then decides which rules count.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from chatlog_cli.schema import CONTENT, MESSAGE_ID, SENDER_ROLE, TAG_SCHEMA
from chatlog_cli.tagging.matcher import Matcher, Occurrences
from chatlog_cli.tagging.rules import RuleSet

# One tag row before it is spread over messages: tag, rule that matched, keyword, priority.
_Row = tuple[str, str, str, str]
_NO_ROLE: Final = ""


@dataclass(frozen=True)
class Explanation:
    """One occurrence of a rule's pattern in a text, and whether it counts."""

    tag: str
    kind: str  # keyword / regex / exclude
    pattern: str  # as written in the rules
    matched: str  # the text found
    start: int
    end: int
    excluded_by: str | None  # the exclude phrase that cancels it
    applies: bool  # the rule covers the sender's role
    ancestors: tuple[str, ...]
    priority: str

    @property
    def counts(self) -> bool:
        """Whether this occurrence tags the message."""
        return self.kind != "exclude" and self.excluded_by is None and self.applies


class Tagger:
    """A rule set compiled for matching."""

    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules
        self.matcher = Matcher(rules)
        self._role_rules: dict[str, np.ndarray] = {}

    def tag_table(self, messages: pa.Table) -> pa.Table:
        """`TAG_SCHEMA` rows for a table with message_id, content and sender_role."""
        return self.tag_table_with_rows(messages)[0]

    def tag_table_with_rows(self, messages: pa.Table) -> tuple[pa.Table, np.ndarray]:
        """`tag_table`, and for each tag row the index of its message in `messages`."""
        none = (TAG_SCHEMA.empty_table(), np.zeros(0, dtype=np.int64))
        content = pc.fill_null(messages.column(CONTENT), "").combine_chunks()
        encoded = pc.dictionary_encode(content)
        texts = encoded.dictionary
        found = self.matcher.find(texts)
        first = _first_per_text_and_rule(found, self.matcher)
        if not len(first[0]):
            return none
        text_of_message = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        roles = pc.dictionary_encode(pc.fill_null(messages.column(SENDER_ROLE).combine_chunks(), _NO_ROLE))
        role_names = [str(r) for r in roles.dictionary.to_pylist()]
        role_of_message = roles.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        return self._spread(first, text_of_message, role_of_message, role_names, messages.column(MESSAGE_ID))

    def _spread(
        self,
        first: tuple[np.ndarray, np.ndarray, list[str]],
        text_of_message: np.ndarray,
        role_of_message: np.ndarray,
        role_names: list[str],
        message_ids: pa.ChunkedArray | pa.Array,
    ) -> tuple[pa.Table, np.ndarray]:
        hit_text, hit_rule, hit_keyword = first
        has_hit = np.zeros(int(text_of_message.max(initial=0)) + 1, dtype=bool)
        has_hit[hit_text] = True
        tagged = np.flatnonzero(has_hit[text_of_message])
        if not len(tagged):
            return TAG_SCHEMA.empty_table(), np.zeros(0, dtype=np.int64)
        # Messages that share a text and a role share their tag rows: compute each combination once.
        combo = text_of_message[tagged] * len(role_names) + role_of_message[tagged]
        combos, combo_of_message = np.unique(combo, return_inverse=True)
        per_text: dict[int, list[tuple[int, str]]] = {}
        for text, rule, keyword in zip(hit_text.tolist(), hit_rule.tolist(), hit_keyword, strict=True):
            per_text.setdefault(text, []).append((rule, keyword))
        rows: list[_Row] = []
        row_ptr = [0]
        # Many texts match the same keywords (什么时候发货 in a hundred phrasings): compute each outcome once.
        known: dict[tuple[tuple[tuple[int, str], ...], str], list[_Row]] = {}
        for value in combos.tolist():
            text, role = divmod(value, len(role_names))
            signature = (tuple(per_text[text]), role_names[role])
            found = known.get(signature)
            if found is None:
                found = known[signature] = self._rows(per_text[text], role_names[role])
            rows.extend(found)
            row_ptr.append(len(rows))
        ptr = np.array(row_ptr, dtype=np.int64)
        count = (ptr[1:] - ptr[:-1])[combo_of_message]
        message_rows = np.repeat(tagged, count)
        row_index = np.repeat(ptr[:-1][combo_of_message] - (np.cumsum(count) - count), count) + np.arange(count.sum())
        columns = list(zip(*rows, strict=True)) if rows else [(), (), (), ()]
        take = pa.array(row_index)
        table = pa.table(
            [pc.take(message_ids, pa.array(message_rows))]
            + [pc.take(pa.array(column, pa.string()), take) for column in columns],
            schema=TAG_SCHEMA,
        )
        return table, message_rows

    def _rows(self, hits: list[tuple[int, str]], role: str) -> list[_Row]:
        """Tag rows of one text for one role: each matching rule, then the ancestors it rolls up into."""
        rules = self.rules.rules
        direct: list[_Row] = []
        rolled: dict[str, _Row] = {}
        for rule_index, keyword in hits:
            rule = rules[rule_index]
            if role not in rule.roles:
                continue
            direct.append((rule.tag, rule.tag, keyword, rule.priority))
            for ancestor in self.rules.ancestors[rule.tag]:
                rolled.setdefault(ancestor, (ancestor, rule.tag, keyword, self.rules.by_tag[ancestor].priority))
        seen = {row[0] for row in direct}
        return direct + [row for tag, row in rolled.items() if tag not in seen]

    def tags_of_text(self, text: str, role: str = "buyer") -> list[str]:
        """The tags a message with this text and sender role gets (rules order, ancestors after)."""
        table = pa.table(
            {MESSAGE_ID: ["x"], CONTENT: [text], SENDER_ROLE: [role]},
        )
        return [str(t) for t in self.tag_table(table).column("tag").to_pylist()]

    def explain(self, text: str, role: str = "buyer") -> list[Explanation]:
        """Every occurrence of every pattern in `text`, in text order, with why it counts or not."""
        found = self.matcher.find(pa.array([text], pa.string()))
        result = []
        for i in range(len(found)):
            pattern = self.matcher.patterns[int(found.pattern[i])]
            rule = self.rules.rules[pattern.rule]
            start, end = int(found.start[i]), int(found.end[i])
            cover = int(found.excluded_by[i])
            result.append(
                Explanation(
                    tag=rule.tag,
                    kind=pattern.kind,
                    pattern=pattern.text,
                    matched=text[start:end],
                    start=start,
                    end=end,
                    excluded_by=self.matcher.patterns[cover].text if cover >= 0 else None,
                    applies=role in rule.roles,
                    ancestors=self.rules.ancestors[rule.tag],
                    priority=rule.priority,
                )
            )
        return sorted(result, key=lambda e: (e.start, e.end, e.kind))


def _first_per_text_and_rule(found: Occurrences, matcher: Matcher) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The earliest counting occurrence of each rule in each text: (text, rule, matched) arrays."""
    if not len(found):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), []
    counting = np.flatnonzero(~matcher.pattern_is_exclude[found.pattern] & (found.excluded_by < 0))
    if not len(counting):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), []
    rule = matcher.pattern_rule[found.pattern[counting]]
    text = found.text[counting]
    order = np.lexsort((found.start[counting], rule, text))
    text, rule, picked = text[order], rule[order], counting[order]
    keep = np.ones(len(text), dtype=bool)
    keep[1:] = (text[1:] != text[:-1]) | (rule[1:] != rule[:-1])
    return text[keep], rule[keep], [found.matched[i] for i in picked[keep].tolist()]
