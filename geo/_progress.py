"""Progress bars for long steps, shown only to a person watching a terminal.

A bar is drawn (tqdm, on stderr) when stderr is a terminal; never in log files, CI output, pipes or when
``GEO_PROGRESS=0``. Bars disappear when their step ends (``leave=False``), so the terminal keeps only results.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


def progress_enabled() -> bool:
    """True when stderr is an interactive terminal and ``GEO_PROGRESS`` is not ``0``."""
    if os.environ.get("GEO_PROGRESS", "1") == "0":
        return False
    stream = sys.stderr
    return bool(getattr(stream, "isatty", None) and stream.isatty())


def progress(items: Iterable[T], *, desc: str, total: int | None = None, unit: str = "it") -> Iterator[T]:
    """``items`` with a tqdm bar on a terminal (see the module docstring), else ``items`` unchanged."""
    if not progress_enabled():
        yield from items
        return
    from tqdm.auto import tqdm

    yield from tqdm(items, desc=desc, total=total, unit=unit, leave=False, file=sys.stderr)
