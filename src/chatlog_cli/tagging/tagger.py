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

from chatlog_cli.schema import CONTENT, MESSAGE_ID, SENDER_ROLE, TAG_SCHEMA, empty_table
from chatlog_cli.tagging.matcher import Matcher, Occurrences
from chatlog_cli.tagging.rules import RuleSet

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
        index = {rule.tag: i for i, rule in enumerate(rules.rules)}
        # Per rule, the tags a hit produces: its own (direct), then its ancestors nearest first (rolled up).
        out_tag: list[int] = []
        out_rolled: list[bool] = []
        out_ptr = [0]
        for rule in rules.rules:
            for position, tag in enumerate((rule.tag, *rules.ancestors[rule.tag])):
                out_tag.append(index[tag])
                out_rolled.append(position > 0)
            out_ptr.append(len(out_tag))
        self._out_tag = np.array(out_tag, dtype=np.int64)
        self._out_rolled = np.array(out_rolled, dtype=np.int64)
        self._out_ptr = np.array(out_ptr, dtype=np.int64)
        self._tag_names = pa.array([rule.tag for rule in rules.rules], pa.string())
        self._priorities = pa.array([rule.priority for rule in rules.rules], pa.string())

    def tag_table(self, messages: pa.Table) -> pa.Table:
        """`TAG_SCHEMA` rows for a table with message_id, content and sender_role."""
        return self.tag_table_with_rows(messages)[0]

    def tag_table_with_rows(self, messages: pa.Table) -> tuple[pa.Table, np.ndarray]:
        """`tag_table`, and for each tag row the index of its message in `messages`."""
        none = (empty_table(TAG_SCHEMA), np.zeros(0, dtype=np.int64))
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
        """Tag rows for every message whose text has hits, all in NumPy (a Python loop per text costs ~1 s/M)."""
        hit_text, hit_rule, hit_keyword = first
        has_hit = np.zeros(int(max(text_of_message.max(initial=0), hit_text.max(initial=0))) + 1, dtype=bool)
        has_hit[hit_text] = True
        tagged = np.flatnonzero(has_hit[text_of_message])
        if not len(tagged):
            return empty_table(TAG_SCHEMA), np.zeros(0, dtype=np.int64)
        # Messages that share a text and a role share their tag rows: compute each combination once.
        combo = text_of_message[tagged] * len(role_names) + role_of_message[tagged]
        combos, combo_of_message = np.unique(combo, return_inverse=True)
        combo_text, combo_role = np.divmod(combos, len(role_names))
        # Each combination with each hit of its text (hits are sorted by text), kept where the rule reads that role.
        low = np.searchsorted(hit_text, combo_text, side="left")
        pair_combo, hit = _expand(low, np.searchsorted(hit_text, combo_text, side="right") - low)
        rule = hit_rule[hit]
        keep = self._applies(role_names)[combo_role[pair_combo], rule]
        pair_combo, hit, rule = pair_combo[keep], hit[keep], rule[keep]
        # … each kept hit with its rule's own tag and the ancestors it rolls up into …
        pair, out = _expand(self._out_ptr[rule], self._out_ptr[rule + 1] - self._out_ptr[rule])
        row_combo, row_hit, row_rule = pair_combo[pair], hit[pair], rule[pair]
        row_tag, row_rolled = self._out_tag[out], self._out_rolled[out]
        # … once per combination and tag: a direct hit first, else the first rule (in file order) reaching it.
        order = np.lexsort((row_rule, row_rolled, row_tag, row_combo))
        first_of_tag = np.ones(len(order), dtype=bool)
        first_of_tag[1:] = (row_combo[order][1:] != row_combo[order][:-1]) | (row_tag[order][1:] != row_tag[order][:-1])
        chosen = order[first_of_tag]
        chosen = chosen[np.lexsort((row_tag[chosen], row_rolled[chosen], row_combo[chosen]))]  # direct tags first
        row_combo, row_hit, row_rule, row_tag = row_combo[chosen], row_hit[chosen], row_rule[chosen], row_tag[chosen]
        # Spread the combinations' rows over their messages.
        combo_ptr = np.searchsorted(row_combo, np.arange(len(combos) + 1), side="left")
        message_of, row = _expand(combo_ptr[combo_of_message], (combo_ptr[1:] - combo_ptr[:-1])[combo_of_message])
        message_rows = tagged[message_of]
        table = pa.table(
            [
                pc.take(message_ids, pa.array(message_rows)),
                pc.take(self._tag_names, pa.array(row_tag[row])),
                pc.take(self._tag_names, pa.array(row_rule[row])),
                pc.take(pa.array(hit_keyword, pa.string()), pa.array(row_hit[row])),
                pc.take(self._priorities, pa.array(row_tag[row])),
            ],
            schema=TAG_SCHEMA,
        )
        return table, message_rows

    def _applies(self, role_names: list[str]) -> np.ndarray:
        """Roles × rules: whether the rule reads messages of that role."""
        return np.array([[name in rule.roles for rule in self.rules.rules] for name in role_names], dtype=bool)

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


def _expand(starts: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For ranges [start, start + count): (which range, index) of every element, ranges in order."""
    which = np.repeat(np.arange(len(counts)), counts)
    offsets = np.cumsum(counts) - counts
    return which, np.repeat(starts - offsets, counts) + np.arange(int(counts.sum()))


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
