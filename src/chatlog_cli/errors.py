"""Exceptions for conditions a command cannot continue from.

Row-level problems are data (`RowReject`), not exceptions. Messages are in Simplified Chinese because
shop owners read them; they name the file, row or column and what to do next, and never quote message
content (it may hold buyers' personal data).
"""

from __future__ import annotations


class ChatlogError(Exception):
    """Base class: a user-facing error with an exit code."""

    exit_code: int = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InputFileError(ChatlogError):
    """The input file is missing, empty, unreadable or not an export at all."""


class EncodingError(InputFileError):
    """The input file cannot be decoded with the detected or requested encoding."""


class DamagedTextError(EncodingError):
    """A text file holds bytes its encoding rejects (damaged, or a part saved in another encoding)."""


class FormatDetectionError(InputFileError):
    """No known export format matches the file, or the requested format does not match it."""


class MissingColumnsError(InputFileError):
    """A spreadsheet lacks columns the format requires."""


class MappingFileError(ChatlogError):
    """A user column-mapping file (`--map`) is invalid."""


class StoreError(ChatlogError):
    """The store directory is unusable (not a store, newer schema, unwritable)."""


class StoreLockedError(StoreError):
    """Another chatlog process is writing to the store."""


class SchemaVersionError(StoreError):
    """Store files were written with a schema version this chatlog cannot read."""


class OutputFileError(ChatlogError):
    """An output file cannot be written (missing directory, no permission, file open elsewhere, disk full)."""


class UsageError(ChatlogError):
    """Options that do not fit together; reported like a usage error."""

    exit_code = 2


class KeyFileError(ChatlogError):
    """The redaction key is missing, unreadable, too short or readable by other users."""

    exit_code = 2


class UnscannableFileError(InputFileError):
    """`chatlog scan` cannot read a file, so it cannot vouch for it: never reported as clean."""

    exit_code = 2


class RulesFileError(ChatlogError):
    """A tagging rules file (`--rules`) is invalid: the message names the file, the line and what is wrong."""

    exit_code = 2
