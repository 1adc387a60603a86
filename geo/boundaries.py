"""Read MLIT N03 administrative boundaries (国土数値情報 行政区域) into the canonical schema.

Every reader returns a GeoDataFrame with ``pref_code``, ``pref_name``, ``muni_code``, ``muni_name`` and
``geometry`` in EPSG:6668, whatever the file: the official zip of Shapefile (CP932 ``.dbf``) or GeoJSON, a
Shapefile, GeoJSON, TopoJSON or GeoPackage, one file, a list of files or a folder of per-prefecture files.

Both attribute layouts are read: up to 2023 a designated-city ward has ``N03_003`` = city (札幌市) and
``N03_004`` = ward (中央区); newer releases keep the city in ``N03_004`` and put the ward in ``N03_005``.
Wards are named ``札幌市中央区``.

The real quirks are kept visible, never dropped: 「所属未定地」 (land not yet assigned to a municipality) has no
code and stays as a row with ``muni_code`` missing; the six Northern Territories villages (01695–01700) are
ordinary rows; official files hold one row per island, which are merged into one (Multi)Polygon per
municipality; invalid rings are repaired and counted. What was done is in ``frame.attrs["boundaries"]``.
"""

from __future__ import annotations

import logging
import zipfile
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from geo._errors import ValidationError
from geo._inputs import check_file
from geo._progress import progress
from geo.codes import (
    DESIGNATED_CITIES,
    PREFECTURES,
    canonical_muni_codes,
    city_of,
    is_ward,
    normalize_muni_codes,
    normalize_pref_code,
)
from geo.crs import (
    JGD2011,
    NULL_TO_JGD2011,
    assume_lonlat_crs,
    frame_to_jgd2011,
    geometries_to_jgd2011,
    to_japan_equal_area,
    to_metric,
)
from geo.sources import fetch

log = logging.getLogger(__name__)

Level = Literal["municipality", "designated_city", "prefecture"]
LEVELS: tuple[str, ...] = ("municipality", "designated_city", "prefecture")
CANONICAL = ["pref_code", "pref_name", "muni_code", "muni_name", "geometry"]
UNASSIGNED = "所属未定地"
NORTHERN_TERRITORIES = ("01695", "01696", "01697", "01698", "01699", "01700")
"""色丹村, 泊村 (国後郡), 留夜別村, 留別村, 紗那村, 蘂取村: coded in N03, absent from most statistics."""

_SUFFIXES = {".zip", ".shp", ".json", ".geojson", ".topojson", ".gpkg"}
_N03_REQUIRED = {"N03_001", "N03_004", "N03_007"}


def read_boundaries(
    source: str | Path | Sequence[str | Path],
    *,
    level: Level = "municipality",
    prefectures: object = None,
    encoding: str | None = None,
) -> gpd.GeoDataFrame:
    """Read N03 boundaries into the canonical schema (EPSG:6668).

    Parameters
    ----------
    source
        A file (``.zip`` of Shapefile or GeoJSON, ``.shp``, ``.geojson``/``.json`` (GeoJSON or TopoJSON),
        ``.gpkg``), a folder of such files, a list of files, or the name of a pinned source
        (``geo sources list``), e.g. ``"n03-2021-s0010"``.
    level
        ``"municipality"`` (designated-city wards separate), ``"designated_city"`` (wards merged into their
        政令指定都市) or ``"prefecture"`` (47 rows, without ``muni_code``/``muni_name``).
    prefectures
        Keep only these prefectures: a code or name, or a list of them (``["19", "長野県"]``).
    encoding
        Attribute encoding of a Shapefile; by default the ``.cpg`` file, else UTF-8 or CP932, whichever
        yields valid prefecture names.

    Returns
    -------
    GeoDataFrame
        One row per municipality (or ward, city, prefecture), sorted by code; ``attrs["boundaries"]`` records
        the files read, rows read, repaired geometries and unassigned land.

    Examples
    --------
    >>> areas = read_boundaries("n03-2021-s0010", prefectures="山梨県")   # doctest: +SKIP
    >>> len(areas), areas.crs.to_epsg()                                   # doctest: +SKIP
    (27, 6668)
    """
    if level not in LEVELS:
        raise ValidationError(f"level={level!r} is not one of {', '.join(LEVELS)}")
    paths = _resolve(source)
    keep = _prefecture_filter(prefectures)
    # the same files read again in one process (a run, a notebook) come from memory, as a fresh copy
    key = (tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in paths), level,
           frozenset(keep) if keep is not None else None, encoding)  # fmt: skip
    if key in _READ_CACHE:
        _READ_CACHE.move_to_end(key)
        return _READ_CACHE[key].copy()
    areas = _read(paths, keep, level=level, encoding=encoding)
    _READ_CACHE[key] = areas.copy()
    if len(_READ_CACHE) > _READ_CACHE_SIZE:
        _READ_CACHE.popitem(last=False)
    return areas


_READ_CACHE: OrderedDict[tuple, gpd.GeoDataFrame] = OrderedDict()
_READ_CACHE_SIZE = 8  # boundary sets kept in memory (the national 1 % file is ~60 MB)


def _read(paths: list[Path], keep: set[str] | None, *, level: Level, encoding: str | None) -> gpd.GeoDataFrame:
    frames, infos = [], []
    for path in progress(paths, desc="reading boundaries", total=len(paths), unit="file") if len(paths) > 1 else paths:
        clean = _read_clean(path, keep, encoding=encoding) if FAST_PATH else None
        if clean is None:  # anything to repair, normalise or refuse: the checking path
            clean = _canonical(_read_file(path, encoding=encoding), path, keep, level=level)
        frames.append(clean[0])
        infos.append(clean[1])
    joined = frames[0].reset_index(drop=True) if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    areas = gpd.GeoDataFrame(joined, geometry="geometry", crs=JGD2011)
    repaired = _repair(areas)
    if not (len(infos) == 1 and infos[0].get("in_order")):  # else one file, codes unique, rows sorted already
        duplicated = areas["muni_code"].notna() & areas.duplicated(["muni_code"], keep=False)
        if duplicated.any():  # official files: one row per island; merge them into one shape per municipality
            areas = _merge_parts(areas)
        areas = _sort(areas)
    if level == "designated_city":
        areas = merge_wards(areas)
    elif level == "prefecture":
        areas = dissolve_prefectures(areas)
    areas.attrs["boundaries"] = {
        "files": [str(p) for p in paths],
        "level": level,
        "rows_read": int(sum(i["rows"] for i in infos)),
        "encoding": sorted({i["encoding"] for i in infos if i["encoding"]}),
        "repaired_geometries": repaired,
        "unassigned_rows": int(sum(i["unassigned"] for i in infos)),
        "rows": len(areas),
    }
    return areas


FAST_PATH = True
"""Read clean N03 files through :func:`_read_clean` (tests switch it off to compare with the checking path)."""

_CLEAN_SUFFIXES = {".json", ".geojson", ".topojson", ".gpkg"}


def _read_clean(path: Path, keep: set[str] | None, *, encoding: str | None) -> tuple[pd.DataFrame, dict] | None:
    """The fast path for a clean N03 file: the same frame and record as :func:`_canonical`, or None.

    Every check of the checking path is still made, vectorised, on the arrays pyogrio reads: every
    N03_001 is a prefecture name, every N03_007 is missing or already a canonical known code of that
    prefecture (:func:`geo.codes.canonical_muni_codes`), every geometry is a (Multi)Polygon, the CRS is
    JGD2011 or needs only a null transformation (WGS 84), a TopoJSON file lies in Japan. The first check
    that fails returns None and the file is read again by the checking path, which normalises, repairs
    or refuses it with its messages (full-width or 6-digit codes, Tokyo datum, a Shapefile's encoding…).
    Validity (self-intersecting rings) is checked and repaired after, for both paths, by :func:`_repair`.
    """
    if path.suffix.lower() not in _CLEAN_SUFFIXES:
        return None
    try:
        meta, _, wkb, values = pyogrio.raw.read(str(path), encoding=encoding)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError):
        return None
    fields = dict(zip(meta["fields"], values, strict=True))
    if not fields.keys() >= _N03_REQUIRED or {"pref_code", "muni_code", "muni_name"} <= fields.keys():
        return None
    if any(v.dtype != object for v in fields.values()):  # numbers read for codes or names: normalise them
        return None
    geoms = shapely.from_wkb(wkb)
    if len(geoms) == 0 or not np.isin(shapely.get_type_id(geoms), [3, 6]).all():  # null, empty, wrong type
        return None
    if meta["crs"] is None:
        if not _is_topojson(str(path)):
            return None
        minx, miny, maxx, _ = shapely.bounds(geoms).T
        if not (minx.min() >= 120 and maxx.max() <= 155 and miny.min() >= 20):
            return None
    elif meta["crs"] in NULL_TO_JGD2011:  # coordinates kept as they are; the record only when someone listens
        if log.isEnabledFor(logging.INFO):
            log.info("%s: %s", path, geometries_to_jgd2011(geoms, meta["crs"])[1])
    else:
        moved, shift = geometries_to_jgd2011(geoms, meta["crs"])
        if moved is not None and moved is not geoms:
            return None  # a real datum shift (Tokyo, a plane rectangular zone): the checking path transforms it
        if moved is not None:
            log.info("%s: %s", path, shift)
    by_name = {v: k for k, v in PREFECTURES.items()}
    pref_name = fields["N03_001"]
    pref_code = np.array([by_name.get(v) for v in pref_name], dtype=object)
    codes = fields["N03_007"]
    missing = np.array([v is None for v in codes])
    if not (canonical_muni_codes(codes, pref_code) | missing).all() or any(p is None for p in pref_code):
        return None
    n3 = fields.get("N03_003", np.full(len(codes), None, dtype=object))
    n5 = fields.get("N03_005", np.full(len(codes), None, dtype=object))
    names = _names_of(codes, n3, fields["N03_004"], n5)
    rows = np.flatnonzero(np.isin(pref_code, list(keep))) if keep is not None else np.arange(len(codes))
    present = [c for c in codes[rows] if c is not None]
    unique = len(set(present)) == len(present)  # else island rows to merge: _read merges, then sorts
    if unique:  # _sort's order (stable, by prefecture + code, unassigned land last), applied to the arrays
        key = [p + (c if c is not None else "99999") for p, c in zip(pref_code[rows], codes[rows], strict=True)]
        rows = rows[np.argsort(np.array(key, dtype=object), kind="stable")]
    frame = pd.DataFrame(
        {
            "pref_code": pd.array(pref_code[rows], dtype="str"),
            "pref_name": pd.array(pref_name[rows], dtype="str"),
            "muni_code": pd.Series(codes[rows], dtype=object),
            "muni_name": pd.array(np.asarray(names, dtype=object)[rows], dtype="str"),
            "geometry": geoms[rows],
        }
    )
    info = {"rows": len(codes), "encoding": encoding or "utf-8", "unassigned": int(missing[rows].sum())}
    info["in_order"] = unique
    if info["unassigned"]:
        log.info("%s: %d rows of %s (no code) kept with muni_code missing", path, int(missing.sum()), UNASSIGNED)
    return frame, info


def _resolve(source: str | Path | Sequence[str | Path]) -> list[Path]:
    if isinstance(source, (list, tuple)):
        return [p for s in source for p in _resolve(s)]
    path = Path(source)  # type: ignore[arg-type]
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in _SUFFIXES)
        # a folder of per-prefecture N03 files may also hold national or prefecture-only files: read the N03 ones
        files = [p for p in files if p.name.startswith("N03")] or files
        if not files:
            raise ValidationError(f"folder {path} holds no boundary file ({', '.join(sorted(_SUFFIXES))})")
        return files
    if path.exists():
        return [check_file(path)]
    if isinstance(source, str) and path.suffix.lower() not in _SUFFIXES and "/" not in source:
        return [fetch(source)]
    raise FileNotFoundError(f"{path}: no such boundary file (give a path, a folder or a pinned source name)")


def _prefecture_filter(prefectures: object) -> set[str] | None:
    if prefectures is None:
        return None
    items = [prefectures] if isinstance(prefectures, (str, int)) else list(prefectures)  # type: ignore[call-overload]
    return {normalize_pref_code(p) for p in items}


def _read_file(path: Path, *, encoding: str | None) -> gpd.GeoDataFrame:
    """Read one boundary file; a zip is searched for its Shapefile or GeoJSON member."""
    target = str(path)
    if path.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(path) as zf:
                members = zf.namelist()
        except zipfile.BadZipFile:
            raise ValidationError("not a readable zip archive (corrupt or truncated download?)", source=path) from None
        shp = [m for m in members if m.lower().endswith(".shp")]
        js = [m for m in members if m.lower().endswith((".geojson", ".json"))]
        if not shp and not js:
            raise ValidationError(f"the zip holds no .shp or .geojson file (members: {members[:10]})", source=path)
        target = f"/vsizip/{path}/{(shp or js)[0]}"
        if len(shp or js) > 1:
            log.warning("%s holds %d boundary files; reading %s", path, len(shp or js), (shp or js)[0])
    try:
        if target.lower().endswith(".shp") and encoding is None:
            return _read_shapefile(target, _pick_layer(target, [str(n) for n, _ in pyogrio.list_layers(target)]))
        # the first layer is the usual answer; listing layers first would parse a (Topo)JSON file twice (+0.6 s)
        frame = pyogrio.read_dataframe(target, encoding=encoding)
        columns = set(frame.columns)
        if not (columns >= _N03_REQUIRED or {"pref_code", "muni_code"} <= columns):
            names = [str(name) for name, _ in pyogrio.list_layers(target)]
            if len(names) > 1:
                frame = pyogrio.read_dataframe(target, layer=_pick_layer(target, names), encoding=encoding)
        frame.attrs["encoding"] = encoding or "utf-8"
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise ValidationError(f"cannot read as a boundary file: {exc}", source=path) from None
    frame.attrs["target"] = target
    return frame


def _pick_layer(target: str, names: list[str]) -> str:
    if len(names) == 1:
        return names[0]
    for name in names:  # a GeoPackage with several layers: the first one that carries N03 or canonical columns
        columns = set(pyogrio.read_info(target, layer=name)["fields"])
        if columns >= _N03_REQUIRED or {"pref_code", "muni_code"} <= columns:
            return name
    return names[0]


def _read_shapefile(target: str, layer: str) -> gpd.GeoDataFrame:
    """Official N03 ``.dbf`` files are CP932 and often come without ``.cpg``: use the encoding that decodes."""
    declared = pyogrio.read_info(target, layer=layer).get("encoding")
    tried = []
    for enc in dict.fromkeys([declared, "utf-8", "cp932"]):
        if enc is None:
            continue
        try:
            frame = pyogrio.read_dataframe(target, layer=layer, encoding=enc)
        except UnicodeDecodeError:
            tried.append(enc)
            continue
        names = frame["N03_001"] if "N03_001" in frame.columns else pd.Series(dtype=object)
        if names.isin(PREFECTURES.values()).all():
            frame.attrs["encoding"] = enc
            return frame
        tried.append(enc)
    raise ValidationError(
        f"prefecture names (N03_001) do not decode as {' or '.join(tried)}; pass encoding= explicitly",
        source=target,
    )


def _canonical(raw: gpd.GeoDataFrame, path: Path, keep: set[str] | None, *, level: str) -> tuple[pd.DataFrame, dict]:
    """Map N03 (or already canonical) attributes to the canonical columns, checking every row."""
    info = {"rows": len(raw), "encoding": raw.attrs.get("encoding"), "unassigned": 0}
    columns = set(raw.columns)
    if raw.crs is None and not _is_topojson(raw.attrs.get("target", str(path))):
        # a .shp without .prj, a GeoPackage without SRS: lon/lat-looking only, with a warning; else refused
        raw, _notice = assume_lonlat_crs(raw, source=path)
    if raw.crs is None:
        # TopoJSON has no CRS member by design (SmartNews N03 files); N03 is JGD2011 longitude/latitude.
        lon = raw.geometry.bounds
        if not (lon["minx"].min() >= 120 and lon["maxx"].max() <= 155 and lon["miny"].min() >= 20):
            raise ValidationError(
                "the file has no CRS and its coordinates are not longitude/latitude in Japan; "
                "save it with its CRS (e.g. EPSG:6668 or a plane rectangular zone)",
                source=path,
            )
        raw = raw.set_crs(JGD2011)
    elif not raw.crs.equals(JGD2011):
        raw, shift = frame_to_jgd2011(raw)  # datum-aware (Tokyo datum, JGD2000, WGS 84), recorded
        log.info("%s: %s", path, shift)
    if {"pref_code", "muni_code", "muni_name"} <= columns:
        frame = _from_canonical(raw, path)
    elif columns >= _N03_REQUIRED:
        frame = _from_n03(raw, path)
    elif "N03_001" in columns and level == "prefecture":  # a prefectures-only file (N03_001 and geometry)
        frame = _from_n03(raw.assign(N03_004=None, N03_007=None), path)
        frame["muni_name"] = None
    elif "N03_001" in columns:
        raise ValidationError("this file holds prefectures only: read it with level='prefecture'", source=path)
    else:
        raise ValidationError(
            "not an N03 boundary file: expected columns N03_001 (prefecture), N03_004 (municipality) and "
            f"N03_007 (code), or pref_code/muni_code/muni_name; found {sorted(columns - {'geometry'})}",
            source=path,
        )
    if keep is not None:
        frame = frame[frame["pref_code"].isin(keep)]
    check_polygons(frame, source=path)
    info["unassigned"] = int(frame["muni_code"].isna().sum())
    return frame, info


def _is_topojson(target: str) -> bool:
    """True for a TopoJSON file (a format without a CRS member), by its first bytes."""
    path = Path(target)
    if not path.is_file() or path.suffix.lower() not in (".json", ".topojson"):
        return False
    with path.open("rb") as fh:
        head = fh.read(4096)
    return b'"Topology"' in head


def _from_canonical(raw: gpd.GeoDataFrame, path: Path) -> pd.DataFrame:
    frame = raw[CANONICAL].copy()
    problems = []
    pref = []
    for row, value in enumerate(frame["pref_code"]):
        try:
            pref.append(normalize_pref_code(value))
        except ValidationError as exc:
            problems.append(f"feature {row + 1}, column pref_code: {exc}")
            pref.append(None)
    frame["pref_code"] = pref
    code, code_problems = _codes(frame["muni_code"], "muni_code", prefs=frame["pref_code"], names=frame["muni_name"])
    frame["muni_code"] = code.astype(object).where(code.notna(), None)
    if problems or code_problems:
        raise ValidationError(problems + code_problems, source=path)
    return frame


def _codes(
    values: pd.Series, column: str, *, prefs: pd.Series | None = None, names: pd.Series | None = None
) -> tuple[pd.Series, list[str]]:
    """Municipal codes through the one code normaliser (ints, floats such as 1202.0, 6 digits, full width);
    a missing code stays missing (所属未定地). Returns the codes and the problems, each naming the feature."""
    raw = values.to_numpy(dtype=object, na_value=None)
    present = np.fromiter(
        (v is not None and not pd.isna(v) and str(v).strip() != "" for v in raw), dtype=bool, count=len(raw)
    )
    if not present.any():
        return pd.Series(pd.NA, index=values.index, dtype="string"), []
    result = normalize_muni_codes(
        values[present],
        prefs=prefs[present] if prefs is not None else None,
        names=names[present] if names is not None else None,
    )
    out = np.full(len(values), None, dtype=object)
    out[present] = result["code"].to_numpy(dtype=object, na_value=None)
    codes = pd.Series(out, index=values.index, dtype="string")
    problems = [
        f"feature {values.index.get_loc(i) + 1}, column {column}: {result.at[i, 'problem']}"
        for i in result.index[result["problem"].notna()][:10]
    ]
    for i in result.index[result["note"].notna()]:
        log.warning("feature %d, column %s: %s", values.index.get_loc(i) + 1, column, result.at[i, "note"])
    return codes, problems


def _from_n03(raw: gpd.GeoDataFrame, path: Path) -> pd.DataFrame:
    problems = []
    pref_name = raw["N03_001"]
    pref_code = pref_name.map({v: k for k, v in PREFECTURES.items()})
    for row in np.flatnonzero(pref_code.isna().to_numpy())[:5]:
        problems.append(f"row {row + 1}, column N03_001: {pref_name.iloc[row]!r} is not a prefecture name")
    code, code_problems = _codes(raw["N03_007"], "N03_007", prefs=pref_code.where(pref_code.notna(), None))
    problems += code_problems
    if problems:
        raise ValidationError(problems, source=path)
    name = _muni_names(raw, code)
    unassigned = code.isna()
    if unassigned.any():
        log.info("%s: %d rows of %s (no code) kept with muni_code missing", path, int(unassigned.sum()), UNASSIGNED)
    return pd.DataFrame(
        {
            "pref_code": pref_code.astype("str"),
            "pref_name": pref_name.astype("str"),
            "muni_code": code.astype(object).where(~unassigned, None),
            "muni_name": name,
            "geometry": raw.geometry.to_numpy(),
        }
    )


def _muni_names(raw: gpd.GeoDataFrame, code: pd.Series) -> list[str]:
    """札幌市中央区 for wards in both layouts, the city name for whole designated cities, else N03_004."""
    # plain object arrays: iterating pandas' Arrow-backed strings element by element costs 4× more
    none = np.full(len(raw), None, dtype=object)
    n3 = raw["N03_003"].to_numpy(dtype=object, na_value=None) if "N03_003" in raw.columns else none
    n4 = raw["N03_004"].to_numpy(dtype=object, na_value=None)
    n5 = raw["N03_005"].to_numpy(dtype=object, na_value=None) if "N03_005" in raw.columns else none
    return _names_of(code.to_numpy(dtype=object, na_value=None), n3, n4, n5)


def _names_of(codes: np.ndarray, n3: np.ndarray, n4: np.ndarray, n5: np.ndarray) -> list[str]:
    """:func:`_muni_names` on object arrays (codes, N03_003, N03_004, N03_005; None where missing)."""
    names = []
    for c, a, b, ward in zip(codes, n3, n4, n5, strict=True):
        if isinstance(ward, str) and ward:  # newer layout: city in N03_004, ward in N03_005
            names.append(f"{b}{ward}")
        elif isinstance(c, str) and is_ward(c) and isinstance(a, str) and a == DESIGNATED_CITIES[city_of(c)]:
            names.append(f"{a}{b}")
        elif not isinstance(b, str) or not b:  # designated-city file: the whole city, named in N03_003
            names.append(a if isinstance(a, str) and a else UNASSIGNED)
        else:
            names.append(b)
    return names


def _repair(areas: gpd.GeoDataFrame) -> int:
    """Make invalid geometries valid in place (keeping polygonal parts); return how many were repaired."""
    geoms = areas.geometry.to_numpy()
    # one call on one thread: shapely.is_valid silences warnings in a catch_warnings block, which is not
    # thread-safe; two threads calling it left every later warning of the process ignored (measured, 2026-12-07)
    invalid = ~shapely.is_valid(geoms)
    if invalid.any():
        fixed = shapely.make_valid(geoms[invalid], method="structure", keep_collapsed=False)
        areas.loc[invalid, "geometry"] = [_polygonal(g) for g in fixed]
        log.info("repaired %d invalid boundary geometries (self-intersecting rings)", int(invalid.sum()))
        for message in repair_problems(areas, geoms[invalid], np.flatnonzero(invalid)):
            log.warning("%s", message)
    return int(invalid.sum())


REPAIR_AREA_TOLERANCE = 0.001
"""A repair that changes an area by more than this share (0.1 %), or makes it overlap a neighbour by more than
this share of its area, is reported at warning level with the area's name."""


def repair_problems(areas: gpd.GeoDataFrame, before: np.ndarray, rows: np.ndarray) -> list[str]:
    """Messages for repaired rows (positions ``rows`` of ``areas``, original geometries ``before``) whose repair
    changed the area beyond :data:`REPAIR_AREA_TOLERANCE` or made them overlap a neighbour.

    Areas are compared in the Japan equal-area projection. ``before`` is the invalid input as GEOS measures it
    (the signed shoelace sum over its rings), so a bow-tie ring whose halves cancel shows as a large change.
    """

    if len(rows) == 0:
        return []
    crs = areas.crs or JGD2011
    geoms = areas.geometry.to_numpy()
    # only the repaired areas and their neighbours are projected (the whole national file would cost more)
    pairs = shapely.STRtree(geoms).query(geoms[rows], predicate="intersects")
    involved = np.unique(np.concatenate([rows, pairs[1]]))
    metric = dict(zip(involved, to_japan_equal_area(geoms[involved], crs), strict=True))
    old = shapely.area(to_japan_equal_area(before, crs))
    new = np.array([shapely.area(metric[row]) for row in rows])
    out = []
    for k, row in enumerate(rows):
        label = _label(areas.iloc[row])
        base = max(abs(old[k]), new[k], 1.0)
        if abs(new[k] - old[k]) / base > REPAIR_AREA_TOLERANCE:
            out.append(
                f"{label}: repairing its invalid geometry changed its area from {old[k] / 1e6:.3f} to "
                f"{new[k] / 1e6:.3f} km²; check the source geometry"
            )
        for other in pairs[1][pairs[0] == k]:
            if other == row:
                continue
            shared = shapely.area(shapely.intersection(metric[row], metric[other]))
            if shared > REPAIR_AREA_TOLERANCE * max(new[k], 1.0):
                out.append(
                    f"{label}: after repair it overlaps {_label(areas.iloc[other])} by {shared / 1e6:.3f} km²; "
                    "check the source geometry"
                )
    return out


def _label(row: pd.Series) -> str:
    name = row.get("muni_name") or row.get("pref_name") or "?"
    code = row.get("muni_code") or row.get("pref_code") or ""
    return f"{name} ({code})" if code else str(name)


def check_polygons(frame: pd.DataFrame | gpd.GeoDataFrame, *, source: object = None) -> None:
    """Refuse boundary rows whose geometry is missing, empty or not a (Multi)Polygon, naming each feature.

    The one geometry check of every boundary reader: a null geometry or a stray point/line in an area file is
    a clear error listing ``feature N (name, code): …`` and the fix, never a traceback or a silent drop.

    Raises
    ------
    ValidationError
        Listing up to 10 bad features (1-based feature numbers in the file).
    """
    geoms = frame["geometry"].to_numpy() if "geometry" in frame.columns else frame.geometry.to_numpy()
    missing = shapely.is_missing(geoms)
    empty = ~missing & shapely.is_empty(geoms)
    types = shapely.get_type_id(geoms)
    wrong = ~missing & ~empty & ~np.isin(types, [3, 6])  # 3 Polygon, 6 MultiPolygon
    bad = np.flatnonzero(missing | empty | wrong)
    if len(bad) == 0:
        return
    problems = []
    for pos in bad[:10]:
        row = frame.iloc[pos]
        if missing[pos]:
            what = "has no geometry (null)"
        elif empty[pos]:
            what = "has an empty geometry"
        else:
            what = f"is a {geoms[pos].geom_type}, not a Polygon/MultiPolygon"
        index = frame.index[pos]
        number = int(index) + 1 if isinstance(index, (int, np.integer)) else int(pos) + 1
        problems.append(f"feature {number} {_label(row)} {what}")
    if len(bad) > 10:
        problems.append(f"... and {len(bad) - 10} more features like these")
    problems.append(
        "fix: boundary files hold polygons only — remove or redraw these features (QGIS: ジオメトリの修正 / "
        "select by expression is_empty_or_null($geometry)), or export the polygon layer alone"
    )
    raise ValidationError(problems, source=source)


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts)


def _merge_parts(areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    coded = areas[areas["muni_code"].notna()]
    merged = coded.dissolve(by="muni_code", as_index=False, sort=True, aggfunc="first")
    return gpd.GeoDataFrame(
        pd.concat([merged[CANONICAL], areas.loc[areas["muni_code"].isna(), CANONICAL]], ignore_index=True),
        crs=areas.crs,
    )


def _sort(areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    # unassigned land sorts after the coded rows of its prefecture
    pref = areas["pref_code"].to_numpy(dtype=object)
    muni = areas["muni_code"].to_numpy(dtype=object, na_value=None)
    key = np.array([p + (m if isinstance(m, str) else "99999") for p, m in zip(pref, muni, strict=True)], dtype=object)
    order = np.argsort(key, kind="stable")
    if (order == np.arange(len(order))).all():  # already in order (a sorted file): no reordering copy
        return areas.reset_index(drop=True)
    return areas.iloc[order].reset_index(drop=True)


def _coverage_dissolve(frame: gpd.GeoDataFrame, by: str | list[str]) -> gpd.GeoDataFrame:
    """Dissolve a clean coverage fast (shared edges removed exactly); fall back to a full union otherwise."""
    try:
        return frame.dissolve(by=by, as_index=False, sort=True, method="coverage")
    except shapely.errors.GEOSException:  # not a valid coverage (e.g. files from different simplifications)
        log.info("not a clean coverage; dissolving with a full union")
        return frame.dissolve(by=by, as_index=False, sort=True)


def merge_wards(areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Merge designated-city wards into their city (札幌市中央区 … → 札幌市 01100); other rows unchanged."""
    coded = areas["muni_code"].notna()
    city = areas.loc[coded, "muni_code"].map(city_of)
    wards = coded & (areas["muni_code"] != city.reindex(areas.index))
    if not wards.any():
        return areas.copy()
    ward_rows = areas[wards].assign(muni_code=city[wards[coded]].to_numpy())
    cities = _coverage_dissolve(ward_rows[CANONICAL], "muni_code")
    cities["muni_name"] = cities["muni_code"].map(DESIGNATED_CITIES)
    out = pd.concat([areas.loc[~wards, CANONICAL], cities[CANONICAL]], ignore_index=True)
    return _sort(gpd.GeoDataFrame(out, geometry="geometry", crs=areas.crs))


def dissolve_prefectures(areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One row per prefecture (all its municipalities and unassigned land), without slivers or gaps."""
    out = _coverage_dissolve(areas[["pref_code", "pref_name", "geometry"]], ["pref_code", "pref_name"])
    return out[["pref_code", "pref_name", "geometry"]].sort_values("pref_code", ignore_index=True)


def simplify_boundaries(areas: gpd.GeoDataFrame, *, tolerance_m: float) -> gpd.GeoDataFrame:
    """Simplify for display while keeping shared borders shared (coverage simplification in metres).

    Per-feature simplification opens gaps and overlaps between neighbours; this simplifies the coverage as a
    whole in a metric CRS and returns EPSG:6668.

    Examples
    --------
    >>> light = simplify_boundaries(areas, tolerance_m=500)   # doctest: +SKIP
    """
    if tolerance_m <= 0:
        raise ValidationError(f"tolerance_m must be positive, got {tolerance_m}")
    metric = to_metric(areas)
    simplified = metric.geometry.simplify_coverage(tolerance_m)
    out = areas.copy()
    out["geometry"] = gpd.GeoSeries(simplified, crs=metric.crs).to_crs(areas.crs).to_numpy()
    return out


def describe(areas: gpd.GeoDataFrame) -> dict[str, object]:
    """Counts a GIS user checks first: rows, coded rows, unassigned land, prefectures, CRS, bounds."""
    coded = areas["muni_code"].notna() if "muni_code" in areas.columns else pd.Series(True, index=areas.index)
    return {
        "rows": len(areas),
        "coded_rows": int(coded.sum()),
        "unassigned_rows": int((~coded).sum()),
        "prefectures": int(areas["pref_code"].nunique()),
        "crs": areas.crs.to_string() if areas.crs else None,
        "bounds": [round(float(v), 4) for v in areas.total_bounds],
        "invalid_geometries": int((~areas.geometry.is_valid).sum()),
        **{k: v for k, v in areas.attrs.get("boundaries", {}).items() if k in ("files", "repaired_geometries")},
    }
