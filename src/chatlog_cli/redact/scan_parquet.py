"""Parquet files as cells for `scan`: every text-bearing column, read in batches.

Strings are read wherever they sit: plain and dictionary columns, lists, structs and maps (`extra` holds JSON
text, which is scanned as text). Integer and float columns are read too, as digits: a phone number that a
spreadsheet turned into a number is still a phone number. Column names and the file's key-value metadata are
scanned once, without a row.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from chatlog_cli.errors import UnscannableFileError
from chatlog_cli.io.sources import Source
from chatlog_cli.redact.scan_readers import BATCH_CELLS, Cells, Rows

# Arrow's own serialized schema (base64): neither text nor anything a person wrote.
_SKIPPED_METADATA: Final = (b"ARROW:schema",)
_EXACT_FLOAT_LIMIT: Final = float(2**53)
# The shortest number a detector finds without a cue word next to it: an 11-digit mobile number.
_SHORTEST_NUMBER: Final = 1e10


def parquet_cells(source: Source) -> Iterator[Cells]:
    """Column names, metadata and every text-bearing value of a Parquet file, row by row in batches."""
    with source.open() as handle:
        try:
            parquet = pq.ParquetFile(handle)
            schema = parquet.schema_arrow
        except (pa.ArrowException, OSError) as exc:
            raise _damaged(source, exc) from None
        yield _header_cells(schema)
        columns = [f.name for f in schema if _holds_text(f.type)]
        if not columns:
            return
        first = 1
        try:
            for batch in parquet.iter_batches(batch_size=BATCH_CELLS, columns=columns, use_threads=True):
                rows = np.arange(first, first + batch.num_rows, dtype=np.int64)
                for name, column in zip(batch.schema.names, batch.columns, strict=True):
                    for path, values, parents in text_leaves(column, name):
                        yield Cells(values, rows if parents is None else rows[parents], path)
                first += batch.num_rows
        except (pa.ArrowException, OSError) as exc:
            raise _damaged(source, exc) from None


def _header_cells(schema: pa.Schema) -> Cells:
    texts = list(schema.names)
    for key, value in (schema.metadata or {}).items():
        if key not in _SKIPPED_METADATA:
            texts.append(value.decode("utf-8", errors="replace"))
    return Cells(pa.array(texts, pa.string()), None, "(列名/元数据)")


def _holds_text(data_type: pa.DataType) -> bool:
    if pa.types.is_dictionary(data_type):
        return _holds_text(data_type.value_type)
    if _is_list(data_type):
        return _holds_text(data_type.value_type)
    if pa.types.is_map(data_type):
        return _holds_text(data_type.key_type) or _holds_text(data_type.item_type)
    if pa.types.is_struct(data_type):
        return any(_holds_text(data_type.field(i).type) for i in range(data_type.num_fields))
    return _is_string(data_type) or bool(pa.types.is_integer(data_type) or pa.types.is_floating(data_type))


def _is_string(data_type: pa.DataType) -> bool:
    types = pa.types
    return bool(types.is_string(data_type) or types.is_large_string(data_type) or types.is_string_view(data_type))


def _is_list(data_type: pa.DataType) -> bool:
    types = pa.types
    return bool(types.is_list(data_type) or types.is_large_list(data_type) or types.is_fixed_size_list(data_type))


def text_leaves(values: pa.Array, path: str) -> Iterator[tuple[str, pa.Array, Rows | None]]:
    """String arrays inside a column, each with its path and, for nested values, the row each value belongs to."""
    data_type = values.type
    if pa.types.is_dictionary(data_type):
        yield from text_leaves(values.dictionary_decode(), path)
    elif _is_string(data_type):
        yield path, values if pa.types.is_string(data_type) else pc.cast(values, pa.string()), None
    elif pa.types.is_integer(data_type) or pa.types.is_floating(data_type):
        yield path, _number_text(values), None
    elif pa.types.is_map(data_type):
        entries = pa.list_(pa.struct([("key", data_type.key_type), ("value", data_type.item_type)]))
        yield from text_leaves(values.cast(entries), path)
    elif _is_list(data_type):
        parents = pc.list_parent_indices(values).to_numpy()
        for leaf, items, inner in text_leaves(pc.list_flatten(values), f"{path}[]"):
            yield leaf, items, parents if inner is None else parents[inner]
    elif pa.types.is_struct(data_type):
        for index in range(data_type.num_fields):
            yield from text_leaves(values.field(index), f"{path}.{data_type.field(index).name}")


def _number_text(values: pa.Array) -> pa.Array:
    """Numbers that could be personal data, as digits; null for the rest.

    A bare number is personal data only when it is long enough to be a phone number (11 digits) or more; the
    shorter ones (row numbers, counts, prices) are not read, which keeps counters like `source_line` from
    costing a detector call each. Whole floats are written without `.0` or an exponent (`13812345678`).
    """
    as_double = pc.cast(values, pa.float64())
    long_enough = pc.fill_null(pc.greater_equal(pc.abs(as_double), _SHORTEST_NUMBER), False)
    if pa.types.is_integer(values.type):
        return pc.cast(pc.if_else(long_enough, values, None), pa.string())
    whole = pc.and_(long_enough, pc.equal(pc.floor(as_double), as_double))
    whole = pc.fill_null(pc.and_(whole, pc.less(pc.abs(as_double), _EXACT_FLOAT_LIMIT)), False)
    digits = pc.cast(pc.cast(pc.if_else(whole, as_double, None), pa.int64()), pa.string())
    return pc.if_else(whole, digits, pc.if_else(long_enough, pc.cast(as_double, pa.string()), None))


def _damaged(source: Source, exc: Exception) -> UnscannableFileError:
    return UnscannableFileError(
        f"{source.label}：Parquet 文件已损坏或不完整，无法检查（{type(exc).__name__}）。"
        "如果是 chatlog 写出的文件，请重新生成；否则请向提供者要一份完整的文件。"
    )
