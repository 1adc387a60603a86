"""Indicators: join statistics tables to boundaries by code, and derive measures (the one implementation).

A choropleth is only as good as its join. Tables are read by :func:`geo.tables.read_indicators`;
:func:`join_indicators` joins at the right level and
returns a :class:`JoinReport`: every area without data and every row without an area is listed, with a
reason and, where a name matches, a suggestion (codes move: 富谷町 04423 → 富谷市 04216). Aggregate rows
(全国, prefectures, 特別区部 13100, designated-city totals beside their wards, 郡 totals) are never joined
next to their parts, so nothing is counted twice.

Derived measures keep extensive columns (counts, summed) apart from intensive ones (rates, recomputed from
sums, never averaged): :func:`add_density`, :func:`add_rate`, :func:`add_change`, :func:`aggregate_wards`,
:func:`aggregate_to_prefectures`.
"""

from __future__ import annotations

import datetime
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import _tables
from geo._errors import ValidationError
from geo._validate import is_count_column
from geo.boundaries import dissolve_prefectures
from geo.codes import (
    CODE_TABLE_SPAN,
    DESIGNATED_CITIES,
    PREFECTURES,
    DateLike,
    as_date,
    city_of,
    muni_table,
)
from geo.crosswalk import (
    ConversionReport,
    IntensiveSpec,
    WeightsLike,
    areas_date,
    city_ward_disagreements,
    convert_codes,
    describe_code_change,
)
from geo.crs import area_km2
from geo.params import Measure
from geo.tables import SUPPRESSED_SUFFIX, code_kinds

log = logging.getLogger(__name__)

NORTHERN_TERRITORIES = frozenset({"01695", "01696", "01697", "01698", "01699", "01700"})

CODE_CHANGES: dict[str, tuple[str, str]] = {
    "04423": ("04216", "富谷町 became 富谷市 on 2016-10-10 (new code)"),
    "40305": ("40231", "那珂川町 became 那珂川市 on 2018-10-01 (new code)"),
    "12402": ("12239", "大網白里町 became 大網白里市 on 2013-01-01 (new code)"),
    "22138": ("22130", "浜松市中央区 (wards reorganised 2024-01-01): join 浜松市 at level designated_city"),
    "22139": ("22130", "浜松市浜名区 (wards reorganised 2024-01-01): join 浜松市 at level designated_city"),
    "22140": ("22130", "浜松市天竜区 (wards reorganised 2024-01-01): join 浜松市 at level designated_city"),
}
"""Known code changes around the 2021 boundaries: old or new code → (code in 2021, what happened).
Used for suggestions when a table has no name column; names are matched first."""


Kind = Literal["national", "prefecture", "tokyo_wards_total", "designated_city", "ward", "municipality", "other"]


# ======================================================================================== reading tables


# ========================================================================================== row kinds


# ============================================================================================== joining


@dataclass
class JoinReport:
    """What a join matched and what it did not.

    Attributes
    ----------
    matched
        Areas that received a table row.
    unmatched_areas
        Coded areas without a table row: code, name, reason, suggestion.
    unmatched_rows
        Table rows not joined: ``source_row`` (file row), code, name, kind, reason, suggestion.
    """

    matched: int
    unmatched_areas: pd.DataFrame
    unmatched_rows: pd.DataFrame
    level: str = "municipality"
    n_areas: int = 0
    n_rows: int = 0
    uncoded_areas: int = 0
    source: str | None = None
    totals: dict[str, dict[str, float | bool]] = field(default_factory=dict)
    conversion: ConversionReport | None = None
    """Codes converted to the boundaries' date before joining (``join_indicators(..., as_of=...)``), else None."""
    suppressed: dict[str, int] = field(default_factory=dict)
    """Per column, the joined areas whose value is 秘匿 (suppressed: e-Stat x, …, *, ***); these are NaN in the
    column and True in its companion ``suppressed_column(column)``, so maps draw them as 秘匿, not データなし."""
    rows_outside_selection: int = 0
    """Table rows of prefectures outside the selected areas (:func:`geo.analyses.join`): not asked for, so not
    joined and not counted as unmatched."""
    notes: tuple[str, ...] = ()
    """What the user should check: a designated city's own row that differs from the sum of its wards listed."""

    def __str__(self) -> str:
        share = self.matched / self.n_areas * 100 if self.n_areas else 0.0
        src = f" ({Path(self.source).name})" if self.source else ""
        lines = [
            f"結合 join{src}: {self.matched:,} / {self.n_areas:,} areas matched ({share:.1f} %), "
            f"level {self.level}; table {self.n_rows:,} rows"
        ]
        if self.rows_outside_selection:
            lines.append(f"  選択外の行 rows outside the selected areas (not joined): {self.rows_outside_selection:,}")
        if self.uncoded_areas:
            lines.append(f"  コードなしの区域 areas without a code (所属未定地): {self.uncoded_areas}")
        if len(self.unmatched_areas):
            lines.append(f"  データのない区域 areas without data: {len(self.unmatched_areas)}")
            lines += [f"    {_describe(r)}" for r in self.unmatched_areas.head(12).itertuples(index=False)]
            if len(self.unmatched_areas) > 12:
                lines.append(f"    ... {len(self.unmatched_areas) - 12} more")
        if len(self.unmatched_rows):
            rows = self.unmatched_rows
            lines.append(f"  結合しなかった行 table rows not joined: {len(rows)}")
            for reason, group in rows.groupby("reason", sort=False):
                if len(group) > 3 and group["suggestion"].isna().all():
                    sample = ", ".join(
                        f"{c or '-'} {n}" for c, n in zip(group["code"].head(3), group["name"].head(3), strict=True)
                    )
                    lines.append(f"    {len(group)} × {reason} (e.g. {sample})")
                else:
                    lines += [f"    {_describe(r)}" for r in group.head(12).itertuples(index=False)]
        if self.suppressed:
            shown = ", ".join(f"{c} {n}" for c, n in self.suppressed.items())
            lines.append(
                f"  秘匿 suppressed values (not データなし; NaN, flagged in <column>{SUPPRESSED_SUFFIX}): {shown}"
            )
        if self.totals:
            equal = [c for c, t in self.totals.items() if t["equal"]]
            differ = [c for c, t in self.totals.items() if not t["equal"]]
            first = self.totals[equal[0]] if equal else None
            lines.append(
                f"  全国計との照合 vs the table's national row: {len(equal)} column(s) sum exactly to it"
                + (f" (e.g. {equal[0]} {first['joined_sum']:,.0f})" if first else "")
            )
            if differ:
                more = " ..." if len(differ) > 8 else ""
                shown = ", ".join(differ[:8])
                lines.append(f"    {len(differ)} differ (rates, rounded or suppressed values?): {shown}{more}")
        lines += [f"  note: {n}" for n in self.notes]
        if self.conversion is not None:
            lines.append(str(self.conversion))
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary for run manifests."""

        def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
            return [
                {k: (None if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) else
                     int(v) if isinstance(v, np.integer) else v) for k, v in r.items()}
                for r in frame.to_dict("records")
            ]  # fmt: skip

        return {
            "matched": self.matched,
            "areas": self.n_areas,
            "rows": self.n_rows,
            "level": self.level,
            "source": self.source,
            "uncoded_areas": self.uncoded_areas,
            "unmatched_areas": records(self.unmatched_areas),
            "unmatched_rows": records(self.unmatched_rows),
            "totals": self.totals,
            "conversion": None if self.conversion is None else self.conversion.to_dict(),
            "suppressed": self.suppressed,
            "rows_outside_selection": self.rows_outside_selection,
            "notes": list(self.notes),
        }


def _describe(r: Any) -> str:
    where = f"row {r.source_row}: " if hasattr(r, "source_row") and not pd.isna(r.source_row) else ""
    sug = f" → {r.suggestion}?" if isinstance(r.suggestion, str) else ""
    return f"{where}{r.code or '-'} {r.name} ({r.reason}){sug}"


def join_indicators(
    areas: gpd.GeoDataFrame,
    table: pd.DataFrame,
    *,
    how: Literal["left", "inner"] = "left",
    as_of: DateLike | None = None,
    boundaries_as_of: DateLike | None = None,
    weights: WeightsLike | None = None,
    extensive: Sequence[str] | None = None,
    intensive: IntensiveSpec = (),
) -> tuple[gpd.GeoDataFrame, JoinReport]:
    """Join an indicator table to boundaries by code, at the level both share.

    Parameters
    ----------
    areas
        Boundaries from :func:`geo.read_boundaries` (``muni_code`` at level municipality or designated_city,
        or ``pref_code`` only at level prefecture).
    table
        From :func:`read_indicators` (or any frame with a normalised ``muni_code`` or ``pref_code``).
    how
        ``"left"`` keeps every area (missing values where there is no row); ``"inner"`` keeps matched areas.
    as_of
        Date of the table's codes (e.g. ``"2016-01-01"`` for a 2016 resident register). When given, the codes
        are converted to the boundaries' date first (:func:`geo.convert_codes`) and ``report.conversion`` lists
        every converted row. When not given, rows whose codes belong to another date are reported with the
        event (那珂川町 40305 became 那珂川市 40231 on 2018-10-01) and this option as the fix.
    boundaries_as_of
        Date of the boundaries' codes; default: inferred from the areas' codes (N03-2021: 2021-01-01).
    weights, extensive, intensive
        Passed to :func:`geo.convert_codes` (splits, summed columns, rates recomputed from their parts).

    Returns
    -------
    (GeoDataFrame, JoinReport)
        The areas with the table's columns, and the report of what matched and what did not.

    Raises
    ------
    ValidationError
        When the levels differ (a table of whole designated cities against ward-level areas, wards only
        against whole cities, a prefecture table against municipalities), or codes repeat in the table.

    Examples
    --------
    >>> areas = geo.read_boundaries("n03-2021-s0010", level="designated_city")   # doctest: +SKIP
    >>> joined, report = join_indicators(areas, geo.read_indicators("SSDSE-A-2026.csv"))  # doctest: +SKIP
    >>> report.matched                                                              # doctest: +SKIP
    1741
    """
    if how not in ("left", "inner"):
        raise ValidationError(f"how={how!r} is not one of 'left', 'inner'")
    meta = table.attrs.get("indicators", {})
    source = meta.get("path")
    conversion = None
    areas_day = _areas_day(areas, boundaries_as_of)
    if as_of is not None:
        if "muni_code" not in table.columns or "muni_code" not in areas.columns:
            raise ValidationError(
                "as_of converts municipal codes: the table and the areas need muni_code", source=source
            )
        if areas_day is None:
            areas_date(areas)  # raises with the fix (give boundaries_as_of)
        table, conversion = convert_codes(
            table, from_date=as_of, to_date=areas_day, weights=weights, extensive=extensive, intensive=intensive
        )
        table.attrs = {"indicators": meta}
    if "muni_code" in table.columns:
        key = "muni_code"
    elif "pref_code" in table.columns:
        key = "pref_code"
    else:
        raise ValidationError(
            "the table has no muni_code or pref_code column: read it with geo.read_indicators(path, code_column=...)",
            source=source,
        )
    area_level = "prefecture" if "muni_code" not in areas.columns else "municipality"
    if key == "pref_code" and area_level != "prefecture":
        raise ValidationError(
            "this is a prefecture table: read the boundaries with level='prefecture' (--level prefecture) to join it",
            source=source,
        )
    if key == "muni_code" and area_level == "prefecture":
        raise ValidationError(
            "this is a municipal table and the areas are prefectures: sum it first with "
            "geo.aggregate_to_prefectures(table, sum_columns=[...], rate_columns={...}), or read the "
            "boundaries "
            "at level 'municipality'",
            source=source,
        )
    rows = table.copy()
    rows["_kind"] = (
        code_kinds(rows[key]) if key == "muni_code" else np.where(rows[key].isna(), "national", "prefecture")
    )
    dup = rows[key].notna() & rows[key].duplicated(keep=False)
    if dup.any():
        codes = sorted(rows.loc[dup, key].unique())
        raise ValidationError(
            f"codes appear more than once in the table: {', '.join(codes[:20])}; keep one row per code",
            source=source,
        )
    area_codes = areas[key].dropna()
    level = _check_levels(area_codes, rows, source) if key == "muni_code" else "prefecture"
    names = _row_names(rows, meta, key)
    matched_mask = rows[key].isin(set(area_codes)) & rows[key].notna()
    unmatched_rows = _unmatched_rows(rows[~matched_mask], names, areas, key, level, areas_day=areas_day,
                                     joined_codes=set(rows.loc[matched_mask, key]))  # fmt: skip
    has_row = areas[key].isin(set(rows.loc[matched_mask, key]))
    coded = areas[key].notna()
    unmatched_areas = _unmatched_areas(areas[coded & ~has_row], key, unmatched_rows)

    values = rows.loc[matched_mask].drop(columns=["_kind", "source_row"], errors="ignore")
    clash = [c for c in values.columns if c != key and c in areas.columns]
    values = values.drop(columns=[c for c in clash if c in ("pref_code", "pref_name", "muni_name")])
    values = values.rename(columns={c: f"{c}_table" for c in clash if c in values.columns})
    joined = areas.merge(values, on=key, how=how, validate="many_to_one" if area_codes.is_unique else "many_to_many")
    joined = gpd.GeoDataFrame(joined, geometry=areas.geometry.name, crs=areas.crs)
    joined.attrs = {k: v for k, v in areas.attrs.items()} | {"indicators": meta}
    report = JoinReport(
        matched=int(has_row[coded].sum()),
        unmatched_areas=unmatched_areas,
        unmatched_rows=unmatched_rows,
        level=level,
        n_areas=int(coded.sum()),
        n_rows=len(table),
        uncoded_areas=int((~coded).sum()),
        source=source,
        totals=_check_totals(rows, joined, key, areas),
        notes=tuple(_disagreements(rows, key, areas_day)),
        conversion=conversion,
        suppressed={
            c[: -len(SUPPRESSED_SUFFIX)]: int(joined[c].fillna(False).astype(bool).sum())
            for c in joined.columns
            if isinstance(c, str) and c.endswith(SUPPRESSED_SUFFIX) and joined[c].fillna(False).astype(bool).any()
        },
    )
    log.info("%s", report)
    return joined, report


def _check_levels(area_codes: pd.Series, rows: pd.DataFrame, source: str | None) -> str:
    """Refuse joins at the wrong level: whole-city rows against wards, or wards only against whole cities."""
    area_set = set(area_codes)
    area_cities = {c for c in area_set if c in DESIGNATED_CITIES}
    area_ward_cities = {city_of(c) for c in area_set if city_of(c) != c}
    table_cities = set(rows.loc[rows["_kind"] == "designated_city", "muni_code"])
    table_ward_cities = {city_of(c) for c in rows.loc[rows["_kind"] == "ward", "muni_code"]}
    city_only = sorted((table_cities - table_ward_cities) & area_ward_cities)
    if city_only:
        names = "、".join(DESIGNATED_CITIES[c] for c in city_only[:5])
        raise ValidationError(
            f"the table holds {len(city_only)} designated cities whole ({names}...) but the areas are "
            "split into wards: read the boundaries with level='designated_city' (--level designated_city)",
            source=source,
        )
    wards_only = sorted((table_ward_cities - table_cities) & area_cities)
    if wards_only:
        names = "、".join(DESIGNATED_CITIES[c] for c in wards_only[:5])
        raise ValidationError(
            f"the table holds the wards of {len(wards_only)} designated cities ({names}...) without a "
            "city row and the areas are whole cities: sum the wards first with geo.aggregate_wards(table), "
            "or read the "
            "boundaries at level 'municipality'",
            source=source,
        )
    return "designated_city" if area_cities and not area_ward_cities else "municipality"


def _row_names(rows: pd.DataFrame, meta: Mapping[str, Any], key: str) -> pd.Series:
    """The table's own name of each row where it has one (富谷町 under an old code), else the code table's."""
    if key == "pref_code":
        known = rows[key].map(PREFECTURES)
    else:
        lookup = muni_table().set_index("muni_code")["muni_name"].to_dict() | DESIGNATED_CITIES | PREFECTURES
        known = rows[key].map(lambda c: lookup.get(c, lookup.get(str(c)[:2]) if str(c).endswith("000") else None))
    own = pd.Series("", index=rows.index)
    candidates = [
        meta.get("name_column"), meta.get("pref_column"), "muni_name", "name", "municipality", "pref_name",
        "prefecture", "市区町村名", "市区町村",
    ]  # fmt: skip
    for c in candidates:
        if c and c in rows.columns and not pd.api.types.is_numeric_dtype(rows[c]):
            own = rows[c].fillna("").astype(str)
            own = own.where(~own.isin(_tables.MISSING_MARKERS), "")
            break
    return own.where(own != "", known.fillna("")).astype(str)


def _stem(name: str) -> str:
    """富谷町 / 黒川郡富谷町 / 宮城県富谷市 → 富谷: compare names across town → city changes."""
    name = re.sub(r"^(北海道|東京都|京都府|大阪府|.{2,3}県)", "", name)
    name = re.sub(r"^.+?郡(?=.)", "", name)
    return _MUNI_SUFFIX.sub("", name)


_REASONS = {
    "national": "全国 national total",
    "prefecture": "都道府県計 prefecture total",
    "tokyo_wards_total": "特別区部 total of Tokyo's 23 wards (joined one by one)",
}


def _areas_day(areas: gpd.GeoDataFrame, given: DateLike | None) -> datetime.date | None:
    """The boundaries' date: given, else inferred from their codes (None when they belong to no one date)."""
    if given is not None:
        return as_date(given, what="boundaries_as_of")
    if "muni_code" not in areas.columns:
        return None
    try:
        return areas_date(areas)
    except ValidationError:
        return None


def _unmatched_rows(
    rows: pd.DataFrame,
    names: pd.Series,
    areas: gpd.GeoDataFrame,
    key: str,
    level: str,
    *,
    areas_day: datetime.date | None = None,
    joined_codes: set[str] | frozenset[str] = frozenset(),
) -> pd.DataFrame:
    area_prefs = set(areas["pref_code"].dropna())
    joined_wards_of = {city_of(c) for c in joined_codes} if key == "muni_code" else set()
    tokyo_wards_joined = any(c.startswith("131") and c != "13100" for c in joined_codes)
    by_stem: dict[tuple[str, str], list[tuple[str, str]]] = {}
    if key == "muni_code":
        for code, name, pref in zip(areas["muni_code"], areas["muni_name"], areas["pref_code"], strict=True):
            if isinstance(code, str):
                by_stem.setdefault((pref, _stem(name)), []).append((code, name))
    out = []
    for i, r in rows.iterrows():
        code = r[key] if isinstance(r[key], str) else ""
        kind = r["_kind"]
        name = names.get(i, "")
        suggestion = None
        if code and kind != "national" and code[:2] not in area_prefs:
            reason = "prefecture not among the areas"
        elif kind == "tokyo_wards_total" and not tokyo_wards_joined:
            reason = ("特別区部 total of Tokyo's 23 wards, not joined: the table has no row for any ward, so the wards "
                      "stay without data (a total is never spread over them; give the wards' rows)")  # fmt: skip
        elif kind in _REASONS:
            reason = _REASONS[kind]
        elif kind == "designated_city" and code not in joined_wards_of:
            reason = ("政令市計 designated-city total, not joined: the table has no row for its wards, which stay "
                      "without data (join at level designated_city to use this row)")  # fmt: skip
        elif kind == "designated_city":
            reason = "政令市計 designated-city total: its wards are joined (not counted twice)"
        elif kind == "ward" and level == "designated_city" and code in set(muni_table()["muni_code"]):
            reason = "区 ward: its designated city is joined whole (not counted twice)"
        elif name.endswith("郡"):
            reason = "郡計 county total"
        elif name in {"島しょ", "島嶼"}:
            reason = "島しょ total of Tokyo's islands"
        else:
            reason = "code not in the boundaries (former or newer code?)"
            change = describe_code_change(code, areas_day) if areas_day is not None and code else None
            reason = change or reason
            candidates = by_stem.get((code[:2], _stem(name)), []) if name else []
            if candidates:
                suggestion = ", ".join(f"{c} {n}" for c, n in candidates)
            elif code in CODE_CHANGES:
                new, why = CODE_CHANGES[code]
                suggestion, reason = new, change or why
        out.append({
            "source_row": r.get("source_row", pd.NA), "code": code, "name": name, "kind": kind,
            "reason": reason, "suggestion": suggestion,
        })  # fmt: skip
    frame = pd.DataFrame(out, columns=["source_row", "code", "name", "kind", "reason", "suggestion"])
    frame["source_row"] = frame["source_row"].astype("Int64")
    return frame


def _unmatched_areas(missing: gpd.GeoDataFrame, key: str, rows: pd.DataFrame) -> pd.DataFrame:
    name_col = "muni_name" if key == "muni_code" else "pref_name"
    candidates = rows[
        rows["reason"].str.startswith("code not in")
        | rows["reason"].str.contains("as_of=", regex=False)
        | rows["code"].isin(list(CODE_CHANGES))
    ]
    out = []
    for code, name in zip(missing[key], missing[name_col], strict=True):
        suggestion = None
        if code in NORTHERN_TERRITORIES:
            reason = "北方領土 Northern Territories: no statistics"
        else:
            reason = "no row in the table"
            hits = candidates[(candidates["code"].str[:2] == code[:2]) & (candidates["name"].map(_stem) == _stem(name))]
            hits = pd.concat(
                [hits, candidates[candidates["code"].map(lambda c: CODE_CHANGES.get(c, ("",))[0]) == code]]
            )
            if len(hits):
                suggestion = ", ".join(dict.fromkeys(
                    f"row {r.source_row}: {r.code} {r.name}".strip() for r in hits.itertuples(index=False)
                ))  # fmt: skip
        out.append({"code": code, "name": name, "reason": reason, "suggestion": suggestion})
    return pd.DataFrame(out, columns=["code", "name", "reason", "suggestion"])


def _check_totals(rows: pd.DataFrame, joined: gpd.GeoDataFrame, key: str, areas: gpd.GeoDataFrame) -> dict:
    """Where the table carries its own national total and the areas cover Japan, compare it with the join."""
    national = rows[rows["_kind"] == "national"]
    if len(national) != 1 or areas["pref_code"].nunique() < 47:
        return {}
    out = {}
    for col in rows.columns:
        if col in (key, "source_row", "_kind") or not _is_value_column(rows, col):
            continue
        total = national[col].iloc[0]
        if pd.isna(total) or col not in joined.columns:
            continue
        joined_sum = float(pd.to_numeric(joined[col], errors="coerce").sum())
        out[col] = {
            "table_total": float(total),
            "joined_sum": joined_sum,
            "equal": bool(np.isclose(total, joined_sum, rtol=0, atol=1e-6)),
        }
    return out


# ===================================================================================== derived measures


def derive(frame: gpd.GeoDataFrame | pd.DataFrame, measures: Iterable[Measure]) -> gpd.GeoDataFrame | pd.DataFrame:
    """Compute derived measures (:class:`~geo.params.Measure`) on a copy of ``frame``: the one implementation.

    Used at every level — municipalities, prefectures, regions — on summed parts, so a rate is always
    Σ numerator / Σ denominator, never an average of rates. A zero or missing denominator (or base of a
    change) gives a missing value, never 0 or infinity; densities divide by the equal-area km² of each row.

    Raises
    ------
    ValidationError
        A measure's input column is missing (the message names the measure and the column).

    Examples
    --------
    >>> t = pd.DataFrame({"old": [10.0, 0.0], "pop": [40.0, 0.0]})
    >>> derive(t, [Measure(name="ageing_rate", kind="rate", numerator="old", denominator="pop")])["ageing_rate"].tolist()
    [25.0, nan]
    """
    out = frame.copy()
    for m in measures:
        missing = [c for c in m.inputs() if c not in out.columns]
        if missing:
            raise ValidationError(f"derived measure {m.name!r} ({m.definition()}) needs column(s) {missing}")
        if m.kind == "sum":
            out[m.name] = out[list(m.columns)].apply(_numeric).sum(axis=1, min_count=len(m.columns))
        elif m.kind == "rate":
            den = _numeric(out[m.denominator])
            out[m.name] = _numeric(out[m.numerator]) / den.where(den != 0) * m.per
        elif m.kind == "change":
            before = _numeric(out[m.before])
            out[m.name] = (_numeric(out[m.after]) - before) / before.where(before != 0) * 100
        else:
            if not isinstance(out, gpd.GeoDataFrame):
                raise ValidationError(f"density {m.name!r} needs areas with geometry")
            out[m.name] = _numeric(out[m.column]).to_numpy() / area_km2(out)
    return out


def measure_titles(measures: Iterable[Measure]) -> dict[str, str]:
    """Column → title with the measure's definition (``ageing_rate = pop_65plus_2020 / pop_2020 × 100``)."""
    return {m.name: f"{m.name} = {m.definition()}" for m in measures}


def add_density(
    gdf: gpd.GeoDataFrame | pd.DataFrame,
    column: str,
    *,
    per: Literal["km2", "ha"] = "km2",
    name: str | None = None,
    area_km2_column: str | None = None,
) -> gpd.GeoDataFrame | pd.DataFrame:
    """Add ``column`` per km² (or per ha) of each area, measured in an equal-area CRS (never in degrees).

    ``area_km2_column`` takes the area from a column instead (e.g. the official area, which leaves out
    北方地域 and 竹島); then ``gdf`` may be a plain table.

    Examples
    --------
    >>> joined = add_density(joined, "総人口")    # doctest: +SKIP  (adds 総人口_per_km2)
    """

    _require(gdf, [column, *([area_km2_column] if area_km2_column else [])])
    if per not in ("km2", "ha"):
        raise ValidationError(f"per={per!r} is not one of 'km2', 'ha'")
    if area_km2_column:
        km2 = _numeric(gdf[area_km2_column]).to_numpy()
    elif isinstance(gdf, gpd.GeoDataFrame):
        km2 = area_km2(gdf)
    else:
        raise ValidationError("add_density needs a GeoDataFrame, or area_km2_column naming an area column")
    area = km2 * (1.0 if per == "km2" else 100.0)
    out = gdf.copy()
    out[name or f"{column}_per_{per}"] = _numeric(out[column]).to_numpy() / np.where(area > 0, area, np.nan)
    return out


def add_rate(
    df: pd.DataFrame, numerator: str, denominator: str, *, per: float = 1000, name: str | None = None
) -> pd.DataFrame:
    """Add ``numerator / denominator × per`` (per=1000: per 1,000 people; per=100: a share in %).

    A zero or missing denominator gives a missing value, never 0 or infinity.

    Examples
    --------
    >>> t = add_rate(t, "65歳以上人口", "総人口", per=100, name="ageing_rate")   # doctest: +SKIP
    """
    _require(df, [numerator, denominator])
    name = name or f"{numerator}_per_{per:g}_{denominator}"
    return derive(df, [Measure(name=name, kind="rate", numerator=numerator, denominator=denominator, per=per)])


def add_change(
    df: pd.DataFrame, before: str, after: str, *, name: str | None = None, percent: bool = True
) -> pd.DataFrame:
    """Add the change from ``before`` to ``after``: in % of ``before`` (default) or as a difference.

    Examples
    --------
    >>> t = add_change(t, "pop_2015", "pop_2020", name="pop_change_pct")   # doctest: +SKIP
    """
    _require(df, [before, after])
    name = name or f"change_{before}_{after}"
    if percent:
        return derive(df, [Measure(name=name, kind="change", before=before, after=after)])
    out = df.copy()
    out[name] = _numeric(df[after]) - _numeric(df[before])
    return out


def aggregate_wards(
    table: pd.DataFrame,
    *,
    sum_columns: Sequence[str] | None = None,
    rate_columns: Mapping[str, tuple] | None = None,
) -> pd.DataFrame:
    """Sum designated-city wards into whole-city rows (for joins at level ``designated_city``).

    Where the table already holds the city row, that row is kept and its wards are left out; where it holds
    only the wards, a city row is built: ``sum_columns`` summed (default: every numeric column — pass them
    when the table holds rates), ``rate_columns`` recomputed from the sums, other columns empty.
    What was done is in ``attrs["aggregate_wards"]``.

    Examples
    --------
    >>> cities = aggregate_wards(geo.read_indicators("wards.csv"), sum_columns=["pop"])   # doctest: +SKIP
    """
    if "muni_code" not in table.columns:
        raise ValidationError("aggregate_wards needs a municipal table with muni_code")
    kinds = code_kinds(table["muni_code"])
    wards = kinds == "ward"
    city = table["muni_code"].where(~wards).astype(object)
    city[wards] = table.loc[wards, "muni_code"].map(city_of)
    present = set(table.loc[kinds == "designated_city", "muni_code"])
    built = sorted(set(city[wards]) - present)
    numeric = [c for c in table.columns if c not in ("source_row",) and _is_value_column(table, c)]
    sums = list(sum_columns) if sum_columns is not None else numeric
    _require(table, sums)
    parts = table[wards & city.isin(built)]
    grouped = parts.groupby(city[parts.index])[sums].sum(min_count=1)
    new = pd.DataFrame({"muni_code": grouped.index.astype("string")})
    for c in sums:
        new[c] = grouped[c].to_numpy()
    new = _recompute_rates(new, rate_columns or {})
    kept = table[~wards].copy()
    out = pd.concat([kept, new], ignore_index=True).sort_values("muni_code", ignore_index=True)
    out.attrs = dict(table.attrs)
    out.attrs["aggregate_wards"] = {
        "summed_into": built,
        "kept_city_rows": sorted(present & set(city[wards])),
        "wards_left_out": int(wards.sum()),
    }
    return out


def aggregate_to_prefectures(
    df: pd.DataFrame,
    *,
    sum_columns: Sequence[str],
    rate_columns: Mapping[str, tuple[str, str] | tuple[str, str, float]] | None = None,
    missing: Literal["raise", "skip", "propagate"] = "raise",
) -> pd.DataFrame:
    """Aggregate municipal rows to prefectures: counts summed, rates recomputed from the sums.

    Parameters
    ----------
    df
        A municipal table or joined areas (``muni_code``). National, prefecture, 特別区部 and other aggregate
        rows are left out, and a designated city is taken once: from its wards when they are present, else
        from the city row (never both). Left-out rows are listed in ``attrs["aggregate_to_prefectures"]``.
    sum_columns
        Extensive columns (persons, households, facilities): summed.
    rate_columns
        ``{name: (numerator, denominator)}`` or ``(numerator, denominator, per)``: recomputed as
        ``Σ numerator / Σ denominator × per`` (per defaults to 1), never averaged.
    missing
        A municipality with a missing value: ``"raise"`` (default) names it, ``"skip"`` sums the others (the
        count of skipped values per prefecture goes to ``n_missing``), ``"propagate"`` makes the
        prefecture's sum missing.

    Returns
    -------
    DataFrame (GeoDataFrame with dissolved geometry if ``df`` has geometry)
        One row per prefecture: pref_code, pref_name, n_municipalities, the sums and rates.

    Examples
    --------
    >>> prefs = aggregate_to_prefectures(t, sum_columns=["総人口", "65歳以上人口"],
    ...     rate_columns={"ageing_rate": ("65歳以上人口", "総人口", 100)})   # doctest: +SKIP
    """
    if missing not in ("raise", "skip", "propagate"):
        raise ValidationError(f"missing={missing!r} is not one of 'raise', 'skip', 'propagate'")
    if "muni_code" not in df.columns:
        raise ValidationError("aggregate_to_prefectures needs municipal rows with muni_code")
    rate_columns = dict(rate_columns or {})
    _require(df, [*sum_columns, *(c for spec in rate_columns.values() for c in spec[:2])])
    kinds = code_kinds(df["muni_code"])
    ward_cities = set(df.loc[kinds == "ward", "muni_code"].map(city_of))
    leave_out = kinds.isin(["national", "prefecture", "tokyo_wards_total"]) | (
        (kinds == "designated_city") & df["muni_code"].isin(ward_cities)
    )
    label = _row_names(df, df.attrs.get("indicators", {}), "muni_code")  # 郡 totals: a name ending in 郡
    leave_out |= (kinds == "other") & (label.str.endswith("郡") | label.isin(["島しょ", "島嶼"]))
    rows = df[~leave_out & df["muni_code"].notna()]
    needed = list(dict.fromkeys([*sum_columns, *(c for spec in rate_columns.values() for c in spec[:2])]))
    values = rows[needed].apply(_numeric)
    pref = rows["muni_code"].str[:2]
    na = values.isna()
    if na.any().any() and missing == "raise":
        where = [f"{rows.at[i, 'muni_code']} ({c})" for i, c in na.stack()[lambda s: s].index][:20]
        raise ValidationError(
            f"{int(na.sum().sum())} missing values: {', '.join(where)}; pass missing='skip' to sum the "
            "others or "
            "missing='propagate' to leave those prefectures empty"
        )
    grouped = values.groupby(pref)
    sums = grouped.sum(min_count=1) if missing == "skip" else grouped.sum(min_count=1).where(~na.groupby(pref).any())
    out = pd.DataFrame({"pref_code": sums.index.astype(str)})
    out["pref_name"] = out["pref_code"].map(PREFECTURES)
    out["n_municipalities"] = rows.groupby(pref).size().reindex(sums.index).to_numpy()
    if missing == "skip":
        out["n_missing"] = na.any(axis=1).groupby(pref).sum().reindex(sums.index).to_numpy()
    for c in needed:
        out[c] = sums[c].to_numpy()
    out = _recompute_rates(out, rate_columns)
    out = out.drop(columns=[c for c in needed if c not in sum_columns])
    if isinstance(df, gpd.GeoDataFrame):
        # land without a code (所属未定地) belongs to its prefecture's shape, though it has no values
        geoms = dissolve_prefectures(df[~(leave_out & df["muni_code"].notna())])[["pref_code", "geometry"]]
        out = gpd.GeoDataFrame(out.merge(geoms, on="pref_code", how="left"), geometry="geometry", crs=df.crs)
    out.attrs["aggregate_to_prefectures"] = {
        "left_out": sorted(df.loc[leave_out, "muni_code"].dropna().astype(str)),
        "missing_policy": missing,
        "missing_values": int(na.sum().sum()),
    }
    return out


def _recompute_rates(frame: pd.DataFrame, rate_columns: Mapping[str, tuple]) -> pd.DataFrame:
    for name, spec in rate_columns.items():
        if len(spec) not in (2, 3):
            raise ValidationError(
                f"rate_columns[{name!r}] must be (numerator, denominator) or (numerator, denominator, per)"
            )
    measures = [Measure(name=name, kind="rate", numerator=spec[0], denominator=spec[1],
                        per=spec[2] if len(spec) == 3 else 1) for name, spec in rate_columns.items()]  # fmt: skip
    return derive(frame, measures)


def _disagreements(rows: pd.DataFrame, key: str, day: datetime.date | None) -> list[str]:
    """City rows that differ from the sum of their wards in the same table (never joined without a word)."""
    if key != "muni_code" or not (rows["_kind"] == "designated_city").any():
        return []
    # counts only: rates and averages never sum to the city's own
    columns = [c for c in rows.columns if c not in (key, "source_row", "_kind") and _is_value_column(rows, c)
               and is_count_column(c)]  # fmt: skip
    return city_ward_disagreements(rows, key, columns, day or CODE_TABLE_SPAN[1])


def _is_value_column(frame: pd.DataFrame, column: object) -> bool:
    """A numeric column holding values (not a boolean 秘匿 flag)."""
    values = frame[column]
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


def _numeric(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s, errors="coerce").astype("float64")


def _require(df: pd.DataFrame, columns: Iterable[str]) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        shown = ", ".join(map(str, list(df.columns)[:40]))
        raise ValidationError(f"column(s) {missing} not in the table; columns: {shown}")


_MUNI_SUFFIX = re.compile(r"(市|町|村|区)$")
