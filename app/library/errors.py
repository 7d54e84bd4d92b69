"""The library's exceptions: one base class so callers (API, GUI) can map them to answers."""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger(__name__)


class LibraryError(Exception):
    """Something the library cannot do; the message says what and why, in user terms."""


class InvalidValue(LibraryError, ValueError):
    """An argument the library refuses (bad info hash, unknown field, empty title...)."""


class NotFound(LibraryError, LookupError):
    """No row with that id (it may have been deleted by another thread)."""


class DuplicateItem(LibraryError):
    """The item is already in the library; `existing` is the row that is there."""

    def __init__(self, message: str, existing: Any) -> None:
        super().__init__(message)
        self.existing = existing


class SchemaTooNew(LibraryError):
    """The database was written by a newer Reelbox; we never downgrade it silently."""
