"""Atomic file writes: an output file appears whole or not at all (no half-written file after a failure)."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[str]:
    """A temporary path in the same folder, moved onto ``path`` if the block succeeds, deleted if it fails.

    The temporary name keeps the suffix (GDAL picks its driver by suffix) and starts with a dot, so a file
    browser or QGIS does not offer a half-written file. SQLite side files (GeoPackage journals) are removed too.

    Examples
    --------
    >>> with atomic_path("outputs/map.html") as tmp:      # doctest: +SKIP
    ...     Path(tmp).write_text(html, encoding="utf-8")
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.{uuid.uuid4().hex[:12]}.part{target.suffix}"
    try:
        yield str(tmp)
        os.replace(tmp, target)
    finally:
        for leftover in (tmp, *(tmp.with_name(tmp.name + s) for s in ("-journal", "-wal", "-shm"))):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write UTF-8 text atomically."""
    with atomic_path(path) as tmp:
        Path(tmp).write_text(text, encoding="utf-8")
    return Path(path)


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write bytes atomically."""
    with atomic_path(path) as tmp:
        Path(tmp).write_bytes(data)
    return Path(path)


def write_with(path: str | os.PathLike[str], write: Callable[[str], object]) -> Path:
    """Call ``write(tmp_path)`` (e.g. ``frame.to_file``) and move the result onto ``path`` atomically."""
    with atomic_path(path) as tmp:
        write(tmp)
    return Path(path)
