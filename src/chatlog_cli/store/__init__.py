"""The local Parquet store: messages partitioned by platform and month, an import log, rejected rows."""

from chatlog_cli.store.store import Store, resolve_store_dir

__all__ = ["Store", "resolve_store_dir"]
