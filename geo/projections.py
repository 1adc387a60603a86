"""Population projections as demand scales: projected population of a year over that of the demand's year.

A projection table is a statistics table (:func:`geo.tables.read_indicators`: CSV/TSV/Excel, UTF-8 or CP932)
keyed by 2-digit prefecture codes (a prefecture table, e.g. the pinned ``ipss2018``: 国立社会保障・人口問題研究所
『日本の地域別将来推計人口（平成30年推計）』, 2015–2045 every 5 years) or by 5-digit municipal codes (a municipal
table a user has), with one population column per year whose name holds the year (``pop_2040``, ``2040``,
``2040年``).

The scale of an area is ``P(year) / P(base_year)`` of its prefecture (prefecture table) or of its municipality
(municipal table). ``base_year`` is the year the demand describes, 2020 by default: the demand the toolkit spreads
is the 2020 census (``ssdse-a`` ``pop_2020``, the 2020 census mesh), so the change applied to it must be the
change projected *from 2020*, and taking both populations from the same projection keeps the ratio free of the gap
between a projection and the census (the IPSS 2018 projection's own base is the 2015 census; its ``pop_2020`` is
a projection, e.g. 東京都 13,732,951 against 14,047,594 counted). Give ``base_year = 2015`` for 2015 demand.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from geo._errors import ValidationError
from geo._inputs import local_file
from geo.tables import read_indicators

__all__ = ["projection_scale", "projection_years", "scale_of_areas"]

_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")


def projection_years(table: pd.DataFrame) -> dict[int, str]:
    """Year → the column holding that year's population (a column whose name holds one 4-digit year).

    Raises
    ------
    ValidationError
        Two columns for one year (the names are listed).
    """
    found: dict[int, list[str]] = {}
    for column in table.columns:
        years = _YEAR.findall(str(column))
        if len(years) == 1 and pd.api.types.is_numeric_dtype(table[column]):
            found.setdefault(int(years[0]), []).append(str(column))
    twice = {y: c for y, c in found.items() if len(c) > 1}
    if twice:
        raise ValidationError(f"projection: several columns for one year {twice}; keep one population column per year")
    return {y: c[0] for y, c in sorted(found.items())}


def projection_scale(source: str | Path | pd.DataFrame, *, year: int, base_year: int = 2020) -> pd.Series:
    """Demand scale per prefecture or municipality: projected population in ``year`` ÷ that in ``base_year``.

    Parameters
    ----------
    source
        A pinned source name (``ipss2018``), a table file, or a frame as :func:`geo.tables.read_indicators`
        returns it (``pref_code`` or ``muni_code`` first).
    year, base_year
        Columns of the table (see :func:`projection_years`); ``base_year`` is the demand's year (module doc).

    Returns
    -------
    Series
        float scale indexed by ``pref_code`` (2-digit str) or ``muni_code`` (5-digit str), named by that index;
        ``attrs["projection"]`` records the file, the level and both columns.

    Raises
    ------
    ValidationError
        A year or base year the table lacks (the years it has are listed), a missing or non-positive base
        population (the code and the row are named).
    """
    what = "projection" if isinstance(source, pd.DataFrame) else str(source)
    table = source if isinstance(source, pd.DataFrame) else read_indicators(local_file(source, what="projection"))
    key = next((c for c in ("pref_code", "muni_code") if c in table.columns), None)
    if key is None:
        raise ValidationError(f"{what}: no prefecture or municipal code column; a projection is keyed by 2-digit "
                              "prefecture codes or 5-digit municipal codes")  # fmt: skip
    years = projection_years(table)
    missing = [y for y in (year, base_year) if y not in years]
    if missing:
        raise ValidationError(f"{what}: no population column for {missing}; the projection has the years "
                              f"{list(years) or 'none'} (columns named like pop_2040)")  # fmt: skip
    table = table[table[key].notna()]
    base = pd.to_numeric(table[years[base_year]], errors="coerce").to_numpy(dtype=float)
    later = pd.to_numeric(table[years[year]], errors="coerce").to_numpy(dtype=float)
    bad = ~(base > 0) | ~np.isfinite(later) | (later < 0)
    if bad.any():
        rows = table.loc[bad, [key, *(["source_row"] if "source_row" in table.columns else [])]]
        raise ValidationError(f"{what}: {years[base_year]} must be > 0 and {years[year]} a number ≥ 0; not so in "
                              f"{rows.head(10).to_dict('records')}")  # fmt: skip
    scale = pd.Series(later / base, index=pd.Index(table[key].astype(str).to_numpy(), name=key), name="scale")
    scale.attrs["projection"] = {"source": what, "level": key, "year": year, "base_year": base_year,
                                 "columns": [years[year], years[base_year]]}  # fmt: skip
    return scale


def scale_of_areas(scale: pd.Series, muni_codes: pd.Series | np.ndarray) -> np.ndarray:
    """The scale of each row from its municipal code: by its prefecture (``muni_code[:2]``) for a prefecture
    projection, by the code itself for a municipal one.

    Raises
    ------
    ValidationError
        Codes the projection has no row for (listed, with the fix).
    """
    codes = pd.Series(np.asarray(muni_codes, dtype=object)).astype(str)
    level = scale.index.name
    keys = codes.str[:2] if level == "pref_code" else codes
    values = keys.map(scale)
    if values.isna().any():
        absent = sorted(set(keys[values.isna()]))
        kind = "prefectures" if level == "pref_code" else "municipalities"
        source = scale.attrs.get("projection", {}).get("source", "projection")
        raise ValidationError(f"{source}: no projection for the {kind} {absent[:20]}; add their rows or choose a "
                              "projection that covers the areas")  # fmt: skip
    return values.to_numpy(dtype=float)
