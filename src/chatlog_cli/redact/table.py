"""Redacting message tables (Arrow in, Arrow out): text columns, people, ids and file names.

Speed comes from doing the work once per distinct value: a chat log repeats itself (您好, 好的, 在吗), so each
text column is dictionary-encoded, a vectorized RE2 pre-filter picks the distinct values that could hold
personal data at all (a digit run, `@`, or a cue word some detector needs), and only those go through the
Python detectors. Counts are per message, not per distinct value.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from chatlog_cli import schema as s
from chatlog_cli.redact import prefilter
from chatlog_cli.redact.kinds import ADDRESS, IDCARD, NAME, PHONE
from chatlog_cli.redact.replace import AGENT_TOKEN, FILE_TOKEN, Redactor

# Columns of unmapped export fields (in `extra`) whose whole value is personal data, by header wording.
_PERSONAL_HEADERS: Final = (
    (("身份证", "证件"), IDCARD),
    (("手机", "电话", "联系方式", "mobile", "phone", "tel"), PHONE),
    (("地址", "address"), ADDRESS),
    (("收货人", "收件人", "姓名", "联系人", "name"), NAME),
)
_PEOPLE_ROLES: Final = ("buyer", "unknown")


@dataclass
class RedactedMessages:
    """A redacted table and what was replaced: findings per kind, and messages whose text changed."""

    table: pa.Table
    counts: Counter[str] = field(default_factory=Counter)
    messages_changed: int = 0


def _distinct(array: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Distinct values and, per row, the index of its value (null for null rows)."""
    encoded = pc.dictionary_encode(array)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    return encoded.dictionary, encoded.indices


def candidates(values: pa.Array, kinds: Iterable[str] | None = None) -> np.ndarray:
    """Positions of the values the pre-filter lets through (could hold personal data)."""
    hit = prefilter.may_contain(values, prefilter.pattern_for(kinds))
    return np.flatnonzero(hit.to_numpy(zero_copy_only=False))


def map_distinct(
    array: pa.Array | pa.ChunkedArray,
    change: Callable[[str], tuple[str, Counter[str]]],
    *,
    only_candidates: bool = True,
) -> tuple[pa.Array, Counter[str], int]:
    """Apply `change` to each distinct non-null value (only pre-filtered ones when `only_candidates`).

    Returns the new array, the counts weighted by how many rows hold each value, and the rows changed.
    """
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if len(array) == 0 or array.null_count == len(array):
        return array, Counter(), 0
    dictionary, indices = _distinct(array)
    positions = candidates(dictionary) if only_candidates else np.arange(len(dictionary))
    if len(positions) == 0:
        return array, Counter(), 0
    values = dictionary.to_pylist()
    occurrences = np.bincount(pc.drop_null(indices).to_numpy(), minlength=len(values))
    counts: Counter[str] = Counter()
    changed = 0
    for i in positions.tolist():
        new, found = change(values[i])
        if new != values[i]:
            values[i] = new
            rows = int(occurrences[i])
            changed += rows
            for kind, n in found.items():
                counts[kind] += n * rows
    if not changed:
        return array, counts, 0
    return pc.take(pa.array(values, pa.string()), indices), counts, changed


def _redact_json(redactor: Redactor, text: str) -> tuple[str, Counter[str]]:
    """An `extra` JSON object with each value redacted; values under personal headers (收货人, 手机…) wholly."""
    try:
        data = json.loads(text)
    except ValueError:
        return redactor.redact_counted(text)
    if not isinstance(data, dict):
        return redactor.redact_counted(text)
    counts: Counter[str] = Counter()
    for key, value in data.items():
        if not isinstance(value, str) or not value:
            continue
        whole = next((kind for words, kind in _PERSONAL_HEADERS if any(w in key.lower() for w in words)), None)
        if whole is not None and whole in redactor.kinds:
            new, found = redactor.redact_counted(value)
            if new == value:  # the detectors did not recognise it, but the header says what it is
                new, found = redactor.replace_whole(whole, value), Counter({whole: 1})
        else:
            new, found = redactor.redact_counted(value)
        data[key] = new
        counts.update(found)
    return json.dumps(data, ensure_ascii=False), counts


def _tokens(array: pa.Array | pa.ChunkedArray, token: Callable[[str], str]) -> pa.Array:
    """Every distinct non-null value replaced by its token."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if len(array) == 0 or array.null_count == len(array):
        return array
    dictionary, indices = _distinct(array)
    return pc.take(pa.array([token(v) for v in dictionary.to_pylist()], pa.string()), indices)


def _file_token(redactor: Redactor, path: str) -> str:
    # File names can carry a buyer's nick (one file per contact) and paths a person's home directory.
    suffix = PurePath(path.split("!")[-1]).suffix
    return redactor.person_token(path, prefix=FILE_TOKEN) + suffix


def redact_messages(
    table: pa.Table, redactor: Redactor, *, agents: bool = False, rekey_ids: bool = True
) -> RedactedMessages:
    """The same rows with personal data replaced; message/conversation ids re-keyed; other columns as they were.

    Buyers' nicks and ids become tokens in every mode, and so does the sender of buyer (and unknown-role)
    messages; agents' nicks only with `agents`. Order, product and shop columns and times are never changed.
    `rekey_ids=False` when the ids were already re-keyed (in SQL, `Redactor.rekey_id_sql`).
    """
    result = RedactedMessages(table)
    columns: dict[str, Any] = {}
    content, counts, changed = map_distinct(table[s.CONTENT], redactor.redact_counted)
    columns[s.CONTENT] = content
    result.counts.update(counts)
    result.messages_changed = changed
    if s.EXTRA in table.column_names:
        extra, counts, _ = map_distinct(table[s.EXTRA], lambda t: _redact_json(redactor, t))
        columns[s.EXTRA] = extra
        result.counts.update(counts)
    person = redactor.person_token
    for name in (s.BUYER, s.BUYER_ID):
        if name in table.column_names:
            columns[name] = _tokens(table[name], person)
    if s.AGENT in table.column_names and agents:
        columns[s.AGENT] = _tokens(table[s.AGENT], lambda v: person(v, prefix=AGENT_TOKEN))
    if s.SENDER in table.column_names:
        columns[s.SENDER] = _senders(table, redactor, agents=agents)
    for name in (s.MESSAGE_ID, s.CONVERSATION_ID) if rekey_ids else ():
        if name in table.column_names:
            columns[name] = _tokens(table[name], redactor.rekey_id)
    if s.SOURCE_FILE in table.column_names:
        columns[s.SOURCE_FILE] = _tokens(table[s.SOURCE_FILE], lambda v: _file_token(redactor, v))
    result.table = _replace_columns(table, columns)
    return result


def redact_sessions(table: pa.Table, redactor: Redactor, *, agents: bool = False) -> pa.Table:
    """Session rows with the buyer tokenised (agents too with `agents`), ids re-keyed and `extra` redacted."""
    columns: dict[str, Any] = {
        s.BUYER: _tokens(table[s.BUYER], redactor.person_token),
        s.SESSION_KEY: _tokens(table[s.SESSION_KEY], redactor.rekey_id),
        s.SOURCE_FILE: _tokens(table[s.SOURCE_FILE], lambda v: _file_token(redactor, v)),
        s.EXTRA: map_distinct(table[s.EXTRA], lambda t: _redact_json(redactor, t))[0],
    }
    if agents:
        for name in (s.AGENT, "transferred_to"):
            columns[name] = _tokens(table[name], lambda v: redactor.person_token(v, prefix=AGENT_TOKEN))
    return _replace_columns(table, columns)


def _senders(table: pa.Table, redactor: Redactor, *, agents: bool) -> pa.Array:
    sender, roles = table[s.SENDER], table[s.SENDER_ROLE]
    personal = pc.is_in(roles, pa.array(_PEOPLE_ROLES))
    tokens = _tokens(sender, redactor.person_token)
    result = pc.if_else(personal, tokens, sender)
    if agents:
        agent_tokens = _tokens(sender, lambda v: redactor.person_token(v, prefix=AGENT_TOKEN))
        result = pc.if_else(pc.equal(roles, "agent"), agent_tokens, result)
    return result


def _replace_columns(table: pa.Table, columns: dict[str, Any]) -> pa.Table:
    for name, array in columns.items():
        i = table.schema.get_field_index(name)
        table = table.set_column(i, table.schema.field(i), array)
    return table


def redact_batches(
    batches: Iterator[pa.RecordBatch],
    redactor: Redactor,
    *,
    agents: bool = False,
    rekey_ids: bool = True,
    totals: Counter[str] | None = None,
) -> Iterator[pa.RecordBatch]:
    """Redact a stream of message batches, adding each batch's counts to `totals` (kind → findings).

    `totals["messages"]` and `totals["messages_changed"]` count rows seen and rows whose text changed.
    """
    for batch in batches:
        redacted = redact_messages(pa.Table.from_batches([batch]), redactor, agents=agents, rekey_ids=rekey_ids)
        if totals is not None:
            totals.update(redacted.counts)
            totals["messages"] += batch.num_rows
            totals["messages_changed"] += redacted.messages_changed
        yield from redacted.table.to_batches()
