"""chatlog: import, query, redact and report on e-commerce customer-service chat exports (聊天记录)."""

from chatlog_cli.errors import ChatlogError
from chatlog_cli.schema import SCHEMA, SCHEMA_VERSION

__version__ = "0.1.0"

__all__ = ["SCHEMA", "SCHEMA_VERSION", "ChatlogError", "__version__"]
