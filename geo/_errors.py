"""Exceptions raised by the toolkit.

Every problem with user input is a :class:`ValidationError` (a ``ValueError``) whose message names the
file, the row or column, and the fix. Problems fetching pinned data are :class:`SourceError`.
"""

from __future__ import annotations

from collections.abc import Iterable


class ValidationError(ValueError):
    """Bad user input: the message lists every problem found, each with where it is and how to fix it."""

    def __init__(self, problems: str | Iterable[str], *, source: object = None) -> None:
        items = [problems] if isinstance(problems, str) else list(problems)
        self.problems: list[str] = items
        self.source = source
        head = f"{source}: " if source is not None else ""
        if len(items) == 1:
            message = head + items[0]
        else:
            message = head + f"{len(items)} problems:\n" + "\n".join(f"  - {p}" for p in items)
        super().__init__(message)


class SourceError(RuntimeError):
    """A pinned data source could not be fetched or verified."""


class CRSError(ValueError):
    """A geometry layer has no CRS, or one that cannot be used for the requested operation."""
