"""Wide-area regions (広域リージョン): preset and custom groupings of prefectures and municipalities.

A *grouping* is a set of named regions, each a list of members: prefectures (``"13"``) or municipalities
(``"04100"``, a designated city as a whole, or a single ward). Groupings are data, not code: the presets are
TOML files under ``boundaries/regions/`` (one per grouping, each with its source and, where membership is
not settled, an ``unsure`` note); a planner's own grouping is a CSV (``region,member[,prefecture]``) or a
TOML file in the preset layout.

* :func:`read_regions` reads and validates a grouping into a long table (one row per region and member);
  every problem (unknown name or code, a member listed twice, a member in two regions of a
  non-overlapping grouping, members missing from a requested partition) is reported at once.
* :func:`dissolve_regions` dissolves boundaries into one shape per region (coverage union, so no slivers or
  holes appear where the members share borders) and aggregates indicators: counts are summed, rates are
  recomputed from the sums, means are weighted by an explicit column. A member inside another member of the
  same region (京都市 in 京都府, as in 関西広域連合) is counted once.
* :func:`region_table` is the comparison table (no geometry) for CSV output.

Regions of one grouping may overlap only where the file says ``overlap = true``; different groupings
overlap freely (滋賀県 is in 昇龍道, 関西広域連合 and 近畿圏).
"""

from __future__ import annotations

import csv
import difflib
import io
import logging
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo._errors import ValidationError
from geo._tables import decode
from geo.codes import (
    DESIGNATED_CITIES,
    PREFECTURES,
    city_of,
    muni_table,
    normalize_muni_code,
    normalize_pref_code,
)
from geo.crs import area_km2, require_crs
from geo.indicators import derive
from geo.params import Measure

log = logging.getLogger(__name__)

PRESETS_ENV = "GEO_REGIONS_DIR"
"""Environment variable naming another folder of preset files (``*.toml``)."""

COLUMNS = ["grouping", "region", "member_code", "member_level", "member_name", "pref_code"]
_CODE_NAME = re.compile(r"^\s*([0-9０-９]{1,6})[\s\u3000]+(\S.*?)\s*$")
_GROUPING_KEYS = {
    "title",
    "title_en",
    "aliases",
    "as_of",
    "partition",
    "outside",
    "overlap",
    "source",
    "unsure",
}

Missing = Literal["raise", "skip", "propagate"]


# --------------------------------------------------------------------------------------------- presets
def presets_dir() -> Path:
    """The folder holding the preset files: ``GEO_REGIONS_DIR`` if set, else ``boundaries/regions/``."""
    value = os.environ.get(PRESETS_ENV)
    candidates = [Path(value)] if value else []
    candidates += [
        Path(__file__).resolve().parents[1] / "boundaries" / "regions",
        Path(__file__).resolve().parent / "data" / "regions",  # where a wheel would carry them
    ]
    for path in candidates:
        if path.is_dir():
            return path
    raise FileNotFoundError(f"no folder of region presets found (looked in {', '.join(map(str, candidates))})")


def list_regions() -> list[str]:
    """Names of the preset groupings (file stems under ``boundaries/regions/``), sorted.

    Examples
    --------
    >>> "kouiki-chihou-keikaku" in list_regions()
    True
    """
    return sorted(p.stem for p in presets_dir().glob("*.toml"))


def _aliases() -> dict[str, str]:
    return _aliases_in(presets_dir())


@cache
def _aliases_in(folder: Path) -> dict[str, str]:
    names: dict[str, str] = {}
    for path in sorted(folder.glob("*.toml")):
        meta = tomllib.loads(path.read_text(encoding="utf-8")).get("grouping", {})
        for alias in [meta.get("title", ""), *meta.get("aliases", [])]:
            if alias:
                names.setdefault(str(alias), path.stem)
    return names


def _resolve(name_or_path: str | Path) -> Path:
    path = Path(name_or_path)
    if path.suffix.lower() in (".toml", ".csv", ".txt") or path.exists():
        if not path.exists():
            raise FileNotFoundError(f"{path}: no such grouping file")
        return path
    text = str(name_or_path)
    preset = presets_dir() / f"{text}.toml"
    if preset.exists():
        return preset
    if text in _aliases():
        return presets_dir() / f"{_aliases()[text]}.toml"
    raise ValidationError(
        f"{text!r} is neither a preset nor a file; presets: {', '.join(list_regions())} "
        "(or give the path of a .toml or .csv grouping file)"
    )


# --------------------------------------------------------------------------------------------- reading
@dataclass(frozen=True)
class _Item:
    region: str
    raw: str
    pref: str | None  # the prefecture column of a CSV row, to disambiguate a municipal name
    where: str  # "line 5" or 'region "東北圏", member 3'


def read_regions(
    name_or_path: str | Path,
    *,
    partition: bool | str | Sequence[str] | None = None,
    overlap: bool | None = None,
) -> pd.DataFrame:
    """Read and validate a grouping (:func:`read_grouping` without its description)."""
    return read_grouping(name_or_path, partition=partition, overlap=overlap)[0]


def read_grouping(
    name_or_path: str | Path,
    *,
    partition: bool | str | Sequence[str] | None = None,
    overlap: bool | None = None,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read and validate a grouping: a preset name (``list_regions()``) or a ``.toml``/``.csv`` file.

    Parameters
    ----------
    name_or_path
        A preset name (``"kouiki-chihou-keikaku"``), its title or alias (``"昇龍道"``), or a file. A CSV has
        the columns ``region`` and ``member`` (a prefecture or municipality by code or name; a
        ``"code name"`` pair such as ``"04100 仙台市"`` is checked for agreement) and optionally
        ``prefecture`` to disambiguate a municipal name (府中市). A TOML file follows the preset layout:
        ``[grouping]`` options and a ``[regions]`` table of region name → list of members.
    partition
        Check that the members cover a whole area and report those missing: ``"japan"`` (all prefectures,
        or all municipalities for a municipal grouping), or a list of prefectures whose municipalities
        must all be listed. ``None`` takes the file's ``partition`` setting (if any); ``False`` skips it.
        Prefectures in the file's ``outside`` list are exempt.
    overlap
        Allow a member in several regions of this grouping. ``None`` takes the file's ``overlap`` setting
        (default ``False``: within one grouping regions form a partition of their members).

    Returns
    -------
    DataFrame
        One row per region and member: ``grouping``, ``region``, ``member_code`` (``"13"`` or
        ``"04100"``), ``member_level`` (``"prefecture"``/``"municipality"``), ``member_name``,
        ``pref_code``; regions in file order. Then the grouping's description: title, source and ``unsure``
        notes, partition, overlap, file and the regions in order.

    Raises
    ------
    ValidationError
        Listing every unknown name or code, mismatched code/name pair, member listed twice, member in two
        regions of a non-overlapping grouping, and member missing from the requested partition.

    Examples
    --------
    >>> r, info = read_grouping("kouiki-chihou-keikaku")
    >>> r.groupby("region", sort=False).size()["東北圏"], info["title"]
    (7, '広域地方計画区域')
    """
    path = _resolve(name_or_path)
    items, meta = _read_toml(path) if path.suffix.lower() == ".toml" else _read_csv(path)
    grouping = path.stem
    if overlap is None:
        overlap = bool(meta.get("overlap", False))
    if partition is None:
        partition = meta.get("partition", False)
    problems: list[str] = []
    context = _context_prefs(partition, meta.get("outside", []))
    rows = [_member(item, problems, context) for item in items]
    frame = pd.DataFrame(
        [
            {"grouping": grouping, "region": it.region, **r, "where": it.where}
            for it, r in zip(items, rows, strict=True)
            if r is not None
        ],
        columns=[*COLUMNS, "where"],
    )
    problems += _duplicates(frame, overlap=overlap)
    outside = _outside(meta.get("outside", []), problems)
    if partition is not False:
        problems += _gaps(frame, partition, outside)
    if not items:
        problems.append("no members: give at least one region with members")
    if problems:
        raise ValidationError(problems, source=path)
    out = frame[COLUMNS].reset_index(drop=True)
    info = {
        "grouping": grouping,
        "file": str(path),
        "title": meta.get("title", grouping),
        "title_en": meta.get("title_en", ""),
        "as_of": meta.get("as_of", ""),
        "source": str(meta.get("source", "")).strip(),
        "unsure": str(meta.get("unsure", "")).strip(),
        "partition": partition if isinstance(partition, (bool, str)) else list(partition),
        "outside": sorted(outside),
        "overlap": overlap,
        "regions": list(dict.fromkeys(out["region"])),
    }
    return out, info


def _read_toml(path: Path) -> tuple[list[_Item], dict[str, Any]]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ValidationError(f"not valid TOML: {exc}", source=path) from exc
    meta = data.get("grouping", {})
    regions = data.get("regions")
    problems = [f"[grouping] {k!r} is not a known option ({', '.join(sorted(_GROUPING_KEYS))})" for k in meta
                if k not in _GROUPING_KEYS]  # fmt: skip
    if not isinstance(regions, dict) or not regions:
        problems.append('no [regions] table: add one, e.g. [regions] "東京圏" = ["11", "12", "13", "14"]')
    if problems:
        raise ValidationError(problems, source=path)
    items = []
    for region, members in regions.items():
        if not isinstance(members, list):
            members = [members]
        if not members:
            problems.append(f"region {region!r} has no members: list some or delete the region")
        for i, raw in enumerate(members, start=1):
            items.append(_Item(str(region).strip(), str(raw), None, f"region {region!r}, member {i} ({raw!r})"))
    if problems:
        raise ValidationError(problems, source=path)
    return items, meta


def _read_csv(path: Path) -> tuple[list[_Item], dict[str, Any]]:

    text, _encoding = decode(path.read_bytes(), path, encoding=None)
    lines = [ln for ln in io.StringIO(text)]
    reader = csv.reader(lines)
    header: list[str] | None = None
    items: list[_Item] = []
    for lineno, row in enumerate(reader, start=1):
        if not row or all(not c.strip() for c in row) or row[0].lstrip().startswith("#"):
            continue
        if header is None:
            header = [c.strip().lower() for c in row]
            missing = [c for c in ("region", "member") if c not in header]
            if missing:
                raise ValidationError(
                    f"line {lineno}: the header needs the columns region and member (optionally prefecture); "
                    f"found {', '.join(header)}",
                    source=path,
                )
            continue
        cells = dict(zip(header, (c.strip() for c in row), strict=False))
        region, member = cells.get("region", ""), cells.get("member", "")
        where = f"line {lineno} ({member!r})"
        items.append(_Item(region, member, cells.get("prefecture") or None, where))
    return items, {}


def _context_prefs(partition: object, outside: Sequence[str]) -> list[str]:
    """Prefectures a partition names: they settle a municipal name found in several prefectures (南部町)."""
    if not isinstance(partition, (str, list, tuple)) or partition in ("japan", "全国"):
        return []
    try:
        return sorted(_partition_prefs(partition) - _outside(outside, []))
    except ValidationError:
        return []  # reported by the partition check itself


def _member(item: _Item, problems: list[str], context: Sequence[str] = ()) -> dict[str, str] | None:
    """Normalise one member to code, level, name; append a problem (and return None) when impossible."""
    if not item.region:
        problems.append(f"{item.where}: the region name is empty; fill in the region column")
        return None
    raw = item.raw.strip()
    if not raw:
        problems.append(f"{item.where}: the member is empty; give a prefecture or municipality code or name")
        return None
    match = _CODE_NAME.match(raw)
    code_part, name_part = (match.group(1), match.group(2)) if match else (raw, None)
    try:
        found = _lookup(code_part, item.pref)
    except ValidationError as exc:
        found = _lookup_in(code_part, context) if item.pref is None and "ambiguous" in str(exc) else None
        if found is None:
            problems.append(f"{item.where}: {exc.problems[0]}{_suggest(code_part)}")
            return None
    if name_part is not None and not _same_name(name_part, found):
        problems.append(
            f"{item.where}: code {found['member_code']} is {found['member_name']}, not {name_part}; "
            "fix the code or the name"
        )
        return None
    return found


def _lookup(value: str, pref: str | None) -> dict[str, str]:
    text = value.strip()
    digits = text.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    if digits.isdigit() and len(digits) <= 2:
        code = normalize_pref_code(digits)
        return _pref_row(code)
    if not digits.isdigit():
        try:
            return _pref_row(normalize_pref_code(text))
        except ValidationError:
            pass  # not a prefecture name: try a municipality
    code = normalize_muni_code(text, pref=pref)
    if code not in _known_municipalities():
        raise ValidationError(
            f"{value!r}: no municipality has code {code} on 2021-01-01 (N03-21); check the code "
            "(merged municipalities take the code of the new one)"
        )
    return _muni_row(code)


def _suggest(value: str) -> str:
    """'; did you mean …' for a misspelt name (close matches among prefecture and municipal names)."""
    if value.strip().isdigit():
        return "; check the code (5 digits for a municipality, 2 for a prefecture)"
    names = [*PREFECTURES.values(), *dict.fromkeys(_known_municipalities().values())]
    close = difflib.get_close_matches(value.strip(), names, n=3, cutoff=0.6)
    return f"; did you mean {' / '.join(close)}?" if close else "; fix the name or give the 5-digit code"


def _lookup_in(value: str, prefs: Sequence[str]) -> dict[str, str] | None:
    """The one reading of an ambiguous name that lies in the given prefectures, else None."""
    found = []
    for pref in prefs:
        try:
            found.append(_lookup(value, pref))
        except ValidationError:
            continue
    return found[0] if len(found) == 1 else None


def _pref_row(code: str) -> dict[str, str]:
    return {
        "member_code": code,
        "member_level": "prefecture",
        "member_name": PREFECTURES[code],
        "pref_code": code,
    }


def _muni_row(code: str) -> dict[str, str]:
    name = DESIGNATED_CITIES.get(code) or _known_municipalities()[code]
    return {"member_code": code, "member_level": "municipality", "member_name": name, "pref_code": code[:2]}


@cache
def _known_municipalities() -> dict[str, str]:
    """2021 municipal codes → names: every municipality and ward of N03-21, plus the designated cities."""
    table = muni_table()
    return dict(zip(table["muni_code"], table["muni_name"], strict=True)) | DESIGNATED_CITIES


def _same_name(given: str, found: Mapping[str, str]) -> bool:
    name = found["member_name"]
    given = given.strip()
    short = name.rstrip("都府県") if found["member_level"] == "prefecture" and name != "北海道" else name
    return given in (name, short, PREFECTURES[found["pref_code"]] + name)


# --------------------------------------------------------------------------------------------- checks
@cache
def _units() -> pd.DataFrame:
    """The smallest units (municipalities and wards of 2021) with their prefecture and designated city."""
    table = muni_table()
    return table[["pref_code", "muni_code", "muni_name", "city_code", "city_name"]].copy()


def _cover(code: str, level: str) -> set[str]:
    """The smallest units a member stands for (a prefecture → its municipalities, a city → its wards)."""
    units = _units()
    if level == "prefecture":
        return set(units.loc[units["pref_code"] == code, "muni_code"])
    if code in DESIGNATED_CITIES:
        return set(units.loc[units["city_code"] == code, "muni_code"])
    return {code}


def _label(row: Any) -> str:
    return f"{row.member_code} {row.member_name}"


def _duplicates(frame: pd.DataFrame, *, overlap: bool) -> list[str]:
    problems = []
    for _code, group in frame.groupby("member_code", sort=False):
        if len(group) > 1 and (not overlap or group["region"].duplicated().any()):
            places = "; ".join(f"{r.where} in {r.region!r}" for r in group.itertuples())
            problems.append(f"{_label(group.iloc[0])} is listed {len(group)} times ({places}); keep one")
    if overlap:
        return problems
    # a member inside a member of another region (京都市 in 京都府) puts the same land in two regions
    covered: dict[str, tuple[Any, str]] = {}
    reported: set[tuple[str, str]] = set()
    for row in frame.drop_duplicates("member_code").itertuples():
        for unit in _cover(row.member_code, row.member_level):
            if unit in covered and covered[unit][1] != row.region:
                other = covered[unit][0]
                key = tuple(sorted((other.member_code, row.member_code)))
                if key not in reported:
                    reported.add(key)  # type: ignore[arg-type]
                    problems.append(
                        f"{_label(row)} ({row.where}, region {row.region!r}) overlaps {_label(other)} "
                        f"({other.where}, region {other.region!r}); a member belongs to one region unless "
                        "the grouping allows overlap (overlap = true)"
                    )
            else:
                covered.setdefault(unit, (row, row.region))
    return problems


def _outside(values: Sequence[str], problems: list[str]) -> set[str]:
    out = set()
    for raw in values:
        match = _CODE_NAME.match(str(raw))
        try:
            out.add(normalize_pref_code(match.group(1) if match else raw))
        except ValidationError as exc:
            problems.append(f"[grouping] outside: {exc.problems[0]}")
    return out


def _partition_prefs(partition: object) -> set[str]:
    if partition is True or (isinstance(partition, str) and partition.lower() in ("japan", "全国")):
        return set(PREFECTURES)
    if isinstance(partition, str):
        return {normalize_pref_code(p) for p in re.split(r"[,\s、]+", partition) if p}
    return {normalize_pref_code(p) for p in partition}  # type: ignore[attr-defined]


def _gaps(frame: pd.DataFrame, partition: bool | str | Sequence[str], outside: set[str]) -> list[str]:
    """Members missing from a partition, at the grouping's level (prefectures or municipalities)."""
    try:
        prefs = _partition_prefs(partition) - outside
    except ValidationError as exc:
        return [f"partition: {exc.problems[0]}"]
    municipal = (frame["member_level"] == "municipality").any()
    if not municipal:
        missing = sorted(prefs - set(frame["member_code"]))
        if not missing:
            return []
        names = ", ".join(f"{c} {PREFECTURES[c]}" for c in missing)
        return [f"{len(missing)} prefecture(s) of the partition are in no region: {names}; add them to a region"]
    covered: set[str] = set()
    for row in frame.itertuples():
        covered |= _cover(row.member_code, row.member_level)
    units = _units()
    gap = units[units["pref_code"].isin(prefs) & ~units["muni_code"].isin(covered)]
    labels = []
    for city, group in gap.groupby("city_code", sort=True):
        whole = (units["city_code"] == city).sum() == len(group)
        if city != group["muni_code"].iloc[0] and whole:
            labels.append(f"{city} {group['city_name'].iloc[0]}")
        else:
            labels += [f"{r.muni_code} {r.muni_name}" for r in group.itertuples()]
    if not labels:
        return []
    shown = ", ".join(labels[:60]) + (f" … and {len(labels) - 60} more" if len(labels) > 60 else "")
    return [f"{len(labels)} municipalities of the partition are in no region: {shown}; add them to a region"]


# --------------------------------------------------------------------------------------------- dissolve
def dissolve_regions(
    areas: gpd.GeoDataFrame,
    regions: pd.DataFrame | str | Path,
    *,
    sum_columns: Sequence[str] = (),
    rate_columns: Mapping[str, tuple] | None = None,
    mean_columns: Mapping[str, tuple[str, str]] | None = None,
    missing: Missing = "raise",
) -> gpd.GeoDataFrame:
    """Dissolve areas into one shape per region and aggregate their indicators.

    Parameters
    ----------
    areas
        Boundaries in the canonical schema (``geo.read_boundaries``), at municipality, designated-city or
        prefecture level, optionally joined with indicators. Prefecture members take every row of their
        prefecture (land without a code included in the shape); a designated-city member takes the city
        row or all its wards; a ward member needs ward-level areas.
    regions
        The output of :func:`read_regions`, or a preset name or file passed to it.
    sum_columns
        Counts (persons, households, facilities): summed over the region's areas, each area once.
    rate_columns
        ``{name: (numerator, denominator)}`` or ``(numerator, denominator, per)``: recomputed as
        ``Σ numerator / Σ denominator × per``, never averaged. A zero denominator gives a missing value.
    mean_columns
        ``{name: (value, weight)}``: the weighted mean ``Σ value·weight / Σ weight`` (e.g. a
        population-weighted mean of a rate whose numerator is not available).
    missing
        An area with a missing value in a needed column: ``"raise"`` (default) names it; ``"skip"``
        aggregates the others and counts the skipped areas in ``n_missing``; ``"propagate"`` leaves the
        region's value missing. Missing values are never read as 0.

    Returns
    -------
    GeoDataFrame
        One row per region in file order: ``grouping``, ``region``, ``n_members``, ``members`` (names),
        ``n_areas``, ``area_km2`` (equal-area), the sums, rates and means, and the dissolved geometry in
        the CRS of ``areas``. ``attrs["dissolve_regions"]`` records the method (coverage or full union),
        repaired inputs, areas without a code, and the missing-value policy.

    Examples
    --------
    >>> areas = geo.read_boundaries("n03-2021-s0010", level="designated_city")          # doctest: +SKIP
    >>> joined, _ = geo.join_indicators(areas, geo.read_indicators("ssdse-a.csv"))      # doctest: +SKIP
    >>> shapes = dissolve_regions(joined, "kouiki-chihou-keikaku", sum_columns=["pop_2020"],
    ...     rate_columns={"ageing_rate": ("pop_65plus_2020", "pop_2020", 100)})         # doctest: +SKIP
    """
    if missing not in ("raise", "skip", "propagate"):
        raise ValidationError(f"missing={missing!r} is not one of 'raise', 'skip', 'propagate'")
    require_crs(areas, "areas")
    if not isinstance(regions, pd.DataFrame):
        regions = read_regions(regions)
    _require(regions, ["region", "member_code", "member_level"], "regions")
    rate_columns, mean_columns = dict(rate_columns or {}), dict(mean_columns or {})
    for name, spec in rate_columns.items():
        if not isinstance(spec, (tuple, list)) or len(spec) not in (2, 3):
            raise ValidationError(
                f"rate_columns[{name!r}] must be (numerator, denominator) or (numerator, denominator, per)"
            )
    for name, spec in mean_columns.items():
        if not isinstance(spec, (tuple, list)) or len(spec) != 2:
            raise ValidationError(f"mean_columns[{name!r}] must be (value column, weight column)")
    needed = list(dict.fromkeys([
        *sum_columns, *(c for s in rate_columns.values() for c in s[:2]),
        *(c for s in mean_columns.values() for c in s),
    ]))  # fmt: skip
    _require(areas, needed, "areas")

    pairs = _assign(areas, regions)
    geoms, method, repaired = _shapes(areas, pairs)
    order = list(dict.fromkeys(regions["region"]))
    grouping = str(regions["grouping"].iloc[0]) if "grouping" in regions.columns and len(regions) else ""
    members = regions.drop_duplicates(["region", "member_code"])
    name_col = "member_name" if "member_name" in members.columns else "member_code"
    out = pd.DataFrame({"grouping": grouping, "region": order})
    out["n_members"] = members.groupby("region").size().reindex(order).to_numpy()
    out["members"] = members.groupby("region")[name_col].agg("・".join).reindex(order).to_numpy()
    out["n_areas"] = pairs.groupby("region").size().reindex(order).to_numpy()

    values, n_missing = _aggregate(areas, pairs, order, sum_columns, rate_columns, mean_columns, missing)
    if missing == "skip":
        out["n_missing"] = n_missing
    for c in values.columns:
        out[c] = values[c].to_numpy()

    shapes = gpd.GeoDataFrame(out, geometry=[geoms[r] for r in order], crs=areas.crs)
    shapes.insert(shapes.columns.get_loc("n_areas") + 1, "area_km2", area_km2(shapes))
    shapes.attrs["dissolve_regions"] = {
        "method": method,
        "repaired_geometries": repaired,
        "uncoded_areas": int(_uncoded(areas).to_numpy()[pairs["area"].unique()].sum()),
        "missing_policy": missing,
        "rates": {k: list(v) for k, v in rate_columns.items()},
        "means": {k: list(v) for k, v in mean_columns.items()},
    }
    return shapes


def areas_outside(areas: gpd.GeoDataFrame, regions: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``areas`` in no region of the grouping (entering no total): their codes and names, in order."""
    inside = np.zeros(len(areas), dtype=bool)
    inside[_assign(areas, regions)["area"].to_numpy()] = True
    columns = [c for c in ("pref_code", "pref_name", "muni_code", "muni_name") if c in areas.columns]
    return pd.DataFrame(areas.loc[~inside, columns]).reset_index(drop=True)


def _require(df: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    absent = [c for c in columns if c not in df.columns]
    if absent:
        shown = ", ".join(map(str, list(df.columns)[:40]))
        raise ValidationError(f"{what}: column(s) {absent} not found; columns are {shown}")


def _uncoded(areas: gpd.GeoDataFrame) -> pd.Series:
    if "muni_code" not in areas.columns:
        return pd.Series(False, index=areas.index)
    return areas["muni_code"].isna()


def _assign(areas: gpd.GeoDataFrame, regions: pd.DataFrame) -> pd.DataFrame:
    """(region, area position) pairs: the rows of ``areas`` that make up each region, each row once."""
    if "pref_code" not in areas.columns:
        raise ValidationError("areas need a pref_code column (canonical schema: use geo.read_boundaries)")
    pref = areas["pref_code"].astype("string").fillna("").to_numpy(dtype=object)
    municipal = "muni_code" in areas.columns
    if municipal:
        codes = areas["muni_code"].astype("string")
        dup = codes.notna() & codes.duplicated(keep=False)
        if dup.any():
            shown = ", ".join(sorted(set(codes[dup]))[:20])
            raise ValidationError(f"areas hold the same muni_code on several rows ({shown}); dissolve them first")
        muni = codes.fillna("").to_numpy(dtype=object)  # "" for land without a code
        city = np.array([city_of(c) if c else "" for c in muni], dtype=object)
        both = sorted(set(muni) & set(city[city != muni]))
        if both:  # a city row beside its wards would be counted twice
            raise ValidationError(
                f"areas hold designated cities both whole and as wards ({', '.join(both)}); "
                "use one level (geo.read_boundaries level='municipality' or 'designated_city')"
            )
    problems: list[str] = []
    pairs: list[tuple[str, int]] = []
    for row in regions.drop_duplicates(["region", "member_code"]).itertuples():
        code, level = str(row.member_code), str(row.member_level)
        if level == "prefecture":
            hit = np.flatnonzero(pref == code)
        elif not municipal:
            problems.append(
                f"region {row.region!r}: member {code} is a municipality but the areas are prefectures; "
                "read municipal boundaries (level='municipality' or 'designated_city')"
            )
            continue
        elif code in DESIGNATED_CITIES:
            hit = np.flatnonzero((muni == code) | (city == code))
        else:
            hit = np.flatnonzero(muni == code)
            if not len(hit) and city_of(code) != code and (muni == city_of(code)).any():
                problems.append(
                    f"region {row.region!r}: member {code} is a ward but the areas hold its city "
                    f"{city_of(code)} whole; read ward-level boundaries (level='municipality')"
                )
                continue
        if not len(hit):
            name = getattr(row, "member_name", code)
            problems.append(
                f"region {row.region!r}: member {code} {name} is not in the areas "
                f"(areas cover prefectures {', '.join(sorted(set(pref) - {''}))[:200]}); "
                "read boundaries that include it"
            )
            continue
        pairs += [(row.region, int(i)) for i in hit]
    if problems:
        raise ValidationError(problems, source="dissolve_regions")
    return pd.DataFrame(pairs, columns=["region", "area"]).drop_duplicates(ignore_index=True)


def _shapes(areas: gpd.GeoDataFrame, pairs: pd.DataFrame) -> tuple[dict[str, Any], str, int]:
    """Union per region: the fast, exact coverage union on a clean coverage, else a full union."""
    used = np.sort(pairs["area"].unique())
    geoms = np.asarray(areas.geometry.array, dtype=object).copy()
    sub = geoms[used]
    invalid = ~shapely.is_valid(sub)
    if invalid.any():  # self-intersecting rings (2 in N03-21): repair before any union
        fixed = shapely.make_valid(sub[invalid], method="structure", keep_collapsed=False)
        sub[invalid] = [_polygonal(g) for g in fixed]
        geoms[used] = sub
        log.warning("repaired %d invalid geometries before dissolving", int(invalid.sum()))
    coverage = bool(shapely.coverage_is_valid(sub))
    if not coverage:
        log.info("the areas are not a clean coverage (overlaps or mismatched edges); using a full union")
    out = {}
    for region, group in pairs.groupby("region", sort=False):
        parts = geoms[group["area"].to_numpy()]
        union = shapely.coverage_union_all(parts) if coverage else shapely.union_all(parts)
        if not union.is_valid:
            union = _polygonal(shapely.make_valid(union))
        out[region] = union
    return out, "coverage" if coverage else "union", int(invalid.sum())


def _polygonal(geom: Any) -> Any:
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts)


def _aggregate(
    areas: gpd.GeoDataFrame,
    pairs: pd.DataFrame,
    order: list[str],
    sum_columns: Sequence[str],
    rate_columns: Mapping[str, tuple],
    mean_columns: Mapping[str, tuple[str, str]],
    missing: Missing,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Sums, recomputed rates and weighted means per region, by the missing-value policy.

    Under ``"skip"`` a rate or mean uses only the areas where both of its columns are present, so its
    numerator and denominator always cover the same areas.
    """
    # land without a code (所属未定地) belongs to the shape but has no statistics
    rows = pairs[~_uncoded(areas).to_numpy()[pairs["area"].to_numpy()]]
    needed = list(dict.fromkeys([
        *sum_columns, *(c for s in rate_columns.values() for c in s[:2]),
        *(c for s in mean_columns.values() for c in s),
    ]))  # fmt: skip
    values = pd.DataFrame(
        {c: pd.to_numeric(areas[c], errors="coerce").astype("float64").to_numpy()[rows["area"]] for c in needed},
        index=rows.index,
    )
    label_of = areas["muni_code"] if "muni_code" in areas.columns else areas["pref_code"]
    infinite = np.isinf(values.to_numpy())
    if infinite.any():
        where = sorted({f"{label_of.iloc[rows.at[values.index[i], 'area']]} ({needed[j]})"
                        for i, j in zip(*np.nonzero(infinite), strict=True)})  # fmt: skip
        raise ValidationError(
            f"{len(where)} infinite values in areas of the regions: {', '.join(where[:20])}: a sum with them is no "
            "total; correct the table's values (a unit error or an overflow upstream?)"
        )
    na = values.isna()
    if missing == "raise" and na.any().any():
        label = areas["muni_code"] if "muni_code" in areas.columns else areas["pref_code"]
        where: list[str] = []
        for idx, col in na.stack()[lambda s: s].index:
            entry = f"{label.iloc[rows.at[idx, 'area']]} ({col})"
            if entry not in where:
                where.append(entry)
        raise ValidationError(
            f"{len(where)} missing values in areas of the regions: {', '.join(where[:20])}"
            f"{' …' if len(where) > 20 else ''}; pass missing='skip' (--missing skip) to aggregate the "
            "others (counted in n_missing) or missing='propagate' to leave those regions empty"
        )
    key = rows["region"]

    def total(frame: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
        with np.errstate(over="ignore"):  # an overflow is found and refused below
            sums = frame[cols].groupby(key, sort=False).sum(min_count=1)
        if missing == "propagate":
            sums = sums.where(~frame[cols].isna().groupby(key, sort=False).any())
        overflow = np.isinf(sums.to_numpy())
        if overflow.any():  # finite parts whose sum passes float64's 1.8e308
            where = [f"{sums.index[i]} ({cols[j]})" for i, j in zip(*np.nonzero(overflow), strict=True)]
            raise ValidationError(
                f"the sums of {', '.join(where[:20])} overflow to infinity (beyond 1.8e308): the values cannot be "
                "counts or amounts; correct the table (a unit or parsing error?)"
            )
        return sums.reindex(order)

    out = pd.DataFrame(index=order)
    if sum_columns:
        out[list(sum_columns)] = total(values, list(sum_columns)).to_numpy()
    for name, spec in rate_columns.items():
        pair = values[list(spec[:2])].copy()
        pair[pair.isna().any(axis=1)] = np.nan  # numerator and denominator over the same areas
        sums = total(pair, list(spec[:2]))
        rate = Measure(name=name, kind="rate", numerator=spec[0], denominator=spec[1],
                       per=spec[2] if len(spec) == 3 else 1)  # fmt: skip
        out[name] = derive(sums, [rate])[name].to_numpy()  # the one derived-measure implementation
    for name, (value, weight) in mean_columns.items():
        both = values[value].notna() & values[weight].notna()
        prod = pd.DataFrame({"vw": (values[value] * values[weight]).where(both), "w": values[weight].where(both)})
        sums = total(prod, ["vw", "w"])
        out[name] = sums["vw"] / sums["w"].where(sums["w"] != 0)
    n_missing = na.any(axis=1).groupby(key, sort=False).sum().reindex(order).fillna(0).astype(int).to_numpy()
    return out, n_missing


def region_table(shapes: gpd.GeoDataFrame) -> pd.DataFrame:
    """The comparison table of dissolved regions: every column but the geometry, one row per region.

    Examples
    --------
    >>> region_table(shapes).to_csv("regions.csv", index=False)   # doctest: +SKIP
    """
    table = pd.DataFrame(shapes.drop(columns=shapes.geometry.name))
    table.attrs = dict(shapes.attrs)
    return table
