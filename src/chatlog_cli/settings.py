"""Constants shared across modules. No I/O here."""

from __future__ import annotations

import datetime as dt

DEFAULT_TZ = "Asia/Shanghai"
# Asia/Shanghai has had no daylight saving time since 1991, so China time is a fixed UTC+8: arithmetic instead of
# a time-zone database (absent on many Windows machines).
CHINA_TZ = dt.timezone(dt.timedelta(hours=8), DEFAULT_TZ)
CHINA_UTC_OFFSET_MS = 8 * 3600 * 1000
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

# `chatlog alerts`: a buyer turn not answered by a human agent within this many minutes needs follow-up.
DEFAULT_REPLY_MINUTES = 15
# Service window (China time, hours): slow replies to turns outside it are not alerts (nobody is on duty).
SERVICE_HOURS = (8, 24)

# `chatlog sentiment`: conversation labels. snownlp scores ordinary chat low (it learned from product reviews),
# so "neutral" is wide; see docs/sentiment.md for how the cut-offs were chosen.
SENTIMENT_NEGATIVE_BELOW = 0.2
SENTIMENT_POSITIVE_ABOVE = 0.8
