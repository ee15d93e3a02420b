"""Building `STAGING_SCHEMA` batches for text exports (one place for the column order and typed messages)."""

from __future__ import annotations

import pyarrow as pa

from chatlog_cli import schema as s
from chatlog_cli.platforms import content as content_rules
from chatlog_cli.platforms.normalize import constant_column, parse_times


def text_export_batch(
    *,
    platform: str,
    shop: str | None,
    label: str,
    lines: pa.Array,
    stamps: pa.Array,
    senders: pa.Array,
    roles: pa.Array,
    content: pa.Array,
    thread: pa.Array,
    conversation: pa.Array | None = None,
    buyer: pa.Array | None = None,
) -> pa.RecordBatch:
    """Messages parsed from a text export: times parsed, types and card ids recognised from content."""
    n = len(lines)
    nulls = pa.nulls(n, pa.string())
    msg_type = content_rules.classify(content)
    return pa.RecordBatch.from_arrays(
        [
            constant_column(platform, n),
            constant_column(shop, n),
            conversation if conversation is not None else nulls,
            parse_times(stamps),
            roles,
            senders,
            buyer if buyer is not None else nulls,
            nulls,
            nulls,
            msg_type,
            content,
            content_rules.extract_order_ids(content, msg_type),
            content_rules.extract_product_ids(content, msg_type),
            constant_column(label, n),
            lines,
            nulls,
            thread,
        ],
        schema=s.STAGING_SCHEMA,
    )
