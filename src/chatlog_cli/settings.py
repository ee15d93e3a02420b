"""Constants shared across modules. No I/O here."""

from __future__ import annotations

DEFAULT_TZ = "Asia/Shanghai"
STORE_ENV_VAR = "CHATLOG_STORE"
DEFAULT_STORE_DIR = "chatlog-data"

# Idle gap that ends a conversation when the export has no conversation ids (minutes).
DEFAULT_SESSION_GAP_MINUTES = 30

# How many bytes of a file are decoded to detect its format and encoding.
SNIFF_BYTES = 64 * 1024

# Rows per Arrow batch handed from a parser to the store.
BATCH_ROWS = 200_000

# Header row search window for spreadsheets whose header is preceded by title rows.
HEADER_SEARCH_ROWS = 12

# How long `chatlog import` waits for another writer to release the store (seconds).
LOCK_TIMEOUT_SECONDS = 10.0

# Memory the staging database may use before it spills to disk. 1 GB is ~1 s faster per 1M messages but
# puts a 1M-message JD import at 1.6 GB peak; 512 MB keeps it near 1.1 GB (docs/performance.md).
STAGING_MEMORY_LIMIT = "512MB"
