"""Checks shared by every reader: counts of people are never negative.

A population can be 0 or missing, never negative: a negative cell (a typo, a sign from a change column pasted
over) silently lowers every sum built on it. :func:`check_counts` names each such cell (file, row, column);
readers collect its messages with their own problems and raise one :class:`~geo.ValidationError`. Columns are
recognised by name (:func:`is_count_column`): 人口, 人数, 世帯, population, pop…, households — but not changes or
rates (増減, 率, change, rate, net …), which may be negative.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd

_COUNT_NAME = re.compile(
    r"人口|人数|世帯数|世帯|就業者|従業者|児童数|生徒数|population|^pop|[_\s]pop|households?|persons?", re.IGNORECASE
)


_SIGNED_NAME = re.compile(
    r"増減|増加|減少|変化|差|超過|社会増|自然増|率|割合|比|密度|指数|change|diff|delta|net|rate|ratio|share|"
    r"density|index|growth|per_|_per|%|％",
    re.IGNORECASE,
)


_MAX_LISTED = 10


def is_count_column(name: object) -> bool:
    """True for a column that counts people or households by its name (negative values are impossible).

    Examples
    --------
    >>> is_count_column("pop_2020"), is_count_column("総人口"), is_count_column("人口増減率"), is_count_column("net_pop")
    (True, True, False, False)
    """
    text = str(name)
    return bool(_COUNT_NAME.search(text)) and not _SIGNED_NAME.search(text)


def check_counts(values: pd.Series, column: str, *, where: Callable[[object], str], force: bool = False) -> list[str]:
    """Problems for negative or non-finite numbers in a count column (none for other columns unless ``force``).

    Parameters
    ----------
    values
        The column, numeric (text columns are not checked: their non-numbers are reported by the reader).
    column
        Its name: only count columns (:func:`is_count_column`) are checked, unless ``force``.
    where
        Index label → ``"file: row N, column C"``, the reader's own way of naming a cell.
    force
        Check whatever the name (the column a caller declared as population or weight).

    Returns
    -------
    list of str
        One message per bad cell (at most 10, then a count), each naming where it is and the fix.
    """
    if not (force or is_count_column(column)) or not pd.api.types.is_numeric_dtype(values):
        return []
    numbers = pd.to_numeric(values, errors="coerce").astype("float64")
    bad = numbers.notna() & ((numbers < 0) | ~np.isfinite(numbers))
    problems = [
        f"{where(i)}: {numbers[i]:g} is not a possible count (people or households cannot be negative); "
        "correct the cell, or leave it empty if unknown"
        for i in numbers.index[bad][:_MAX_LISTED]
    ]
    if bad.sum() > _MAX_LISTED:
        problems.append(f"... and {int(bad.sum()) - _MAX_LISTED} more impossible counts in column {column!r}")
    return problems
