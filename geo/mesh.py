"""JIS X 0410 regional mesh codes (地域メッシュ): code → cell polygon or centre, and mesh statistics files.

A mesh code is read digit by digit (``pp uu q v r w m n``):

* 1st level (4 digits, about 80 km): ``pp`` = latitude × 1.5, ``uu`` = longitude − 100 (cell 40' × 1°);
* 2nd level (6 digits, about 10 km): ``q`` (0–7) rows and ``v`` (0–7) columns of 5' × 7'30";
* 3rd level (8 digits, the 1 km mesh of census statistics): ``r`` and ``w`` (0–9) of 30" × 45";
* half mesh (9 digits, 500 m) and quarter mesh (10 digits, 250 m): ``m``/``n`` = 1 SW, 2 SE, 3 NW, 4 NE.

The grid is defined on JGD2011 longitude/latitude (EPSG:6668). Every function is vectorised: a whole census
file of codes is converted at once with numpy, never one code at a time.

Examples
--------
>>> [round(v, 6) for v in mesh_polygons(["53394611"]).iloc[0].bounds]   # a 1 km cell in central Tokyo
[139.7625, 35.675, 139.775, 35.683333]
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo._errors import ValidationError
from geo._inputs import local_file
from geo.crs import JGD2011

LEVELS: dict[int, str] = {
    4: "1st (80 km)",
    6: "2nd (10 km)",
    8: "3rd (1 km)",
    9: "half (500 m)",
    10: "quarter (250 m)",
}
"""Code length → level name."""

# Japan lies within pp 30–68 (20°N–45°40'N) and uu 22–53 (122°E–154°E).
_PP_RANGE = (30, 68)
_UU_RANGE = (22, 53)
_MAX_LISTED = 10

_CODE_COLUMNS = ("mesh_code", "KEY_CODE", "key_code", "meshcode", "mesh", "メッシュコード")
_POPULATION_COLUMNS = ("population", "pop_2020", "pop", "人口", "人口総数", "T001100001")


def mesh_bounds(codes: Iterable[object], *, source: object = None) -> np.ndarray:
    """Cell bounds ``(lon_min, lat_min, lon_max, lat_max)`` of each mesh code, as an ``(n, 4)`` array in degrees.

    Codes of mixed levels are allowed. Invalid codes raise one :class:`ValidationError` listing every bad row.

    Examples
    --------
    >>> mesh_bounds(["5339"])[0].tolist()
    [139.0, 35.333333333333336, 140.0, 36.0]
    """
    text = _as_code_strings(codes)
    _validate(text, source=source)
    n = len(text)
    out = np.empty((n, 4), dtype=float)
    lengths = np.fromiter((len(c) for c in text), dtype=int, count=n)
    for length in np.unique(lengths):
        rows = np.flatnonzero(lengths == length)
        joined = "".join(text[i] for i in rows).encode("ascii")
        digits = (np.frombuffer(joined, dtype=np.uint8).astype(np.int64) - 48).reshape(len(rows), length)
        out[rows] = _bounds_from_digits(digits)
    return out


def _bounds_from_digits(d: np.ndarray) -> np.ndarray:
    """Bounds for codes of one length, given as an (n, length) digit array."""
    length = d.shape[1]
    lat = (d[:, 0] * 10 + d[:, 1]) / 1.5
    lon = (d[:, 2] * 10 + d[:, 3]) + 100.0
    dlat, dlon = 2 / 3, 1.0
    if length >= 6:
        dlat, dlon = dlat / 8, dlon / 8
        lat = lat + d[:, 4] * dlat
        lon = lon + d[:, 5] * dlon
    if length >= 8:
        dlat, dlon = dlat / 10, dlon / 10
        lat = lat + d[:, 6] * dlat
        lon = lon + d[:, 7] * dlon
    for pos in range(8, length):  # half and quarter meshes: 1 SW, 2 SE, 3 NW, 4 NE
        dlat, dlon = dlat / 2, dlon / 2
        q = d[:, pos] - 1
        lat = lat + (q // 2) * dlat
        lon = lon + (q % 2) * dlon
    return np.column_stack([lon, lat, lon + dlon, lat + dlat])


def _as_code_strings(codes: Iterable[object]) -> list[str]:
    out = []
    for c in codes:
        if isinstance(c, (int, np.integer)) or (isinstance(c, float) and np.isfinite(c) and c == int(c)):
            out.append(str(int(c)))
        else:
            out.append("" if c is None or (isinstance(c, float) and np.isnan(c)) else str(c).strip())
    return out


def _validate(text: list[str], *, source: object, column: str = "mesh_code", first_row: int = 1) -> None:
    problems = []
    for i, code in enumerate(text):
        why = _why_invalid(code)
        if why:
            problems.append(f"row {i + first_row}, column {column}: {code!r} {why}")
    if problems:
        more = len(problems) - _MAX_LISTED
        listed = problems[:_MAX_LISTED] + ([f"... and {more} more rows"] if more > 0 else [])
        raise ValidationError(
            [*listed, "fix: give JIS X 0410 mesh codes of 4, 6, 8, 9 or 10 digits as text (e.g. '53394611')"],
            source=source,
        )


def _why_invalid(code: str) -> str | None:
    if not code:
        return "is empty"
    if not code.isascii() or not code.isdigit():
        return "is not a string of digits"
    if len(code) not in LEVELS:
        return f"has {len(code)} digits; mesh codes have 4 (1st), 6 (2nd), 8 (3rd), 9 (half) or 10 (quarter)"
    pp, uu = int(code[:2]), int(code[2:4])
    if not (_PP_RANGE[0] <= pp <= _PP_RANGE[1] and _UU_RANGE[0] <= uu <= _UU_RANGE[1]):
        return "is not a 1st-level mesh of Japan (latitude×1.5 in 30–68, longitude−100 in 22–53)"
    if len(code) >= 6 and (code[4] > "7" or code[5] > "7"):
        return "has 2nd-level digits above 7 (each of the 5th and 6th digits is 0–7)"
    if len(code) >= 9 and not all("1" <= c <= "4" for c in code[8:]):
        return "has half/quarter digits outside 1–4"
    return None


def mesh_polygons(codes: Iterable[object], *, source: object = None) -> gpd.GeoSeries:
    """Cell polygons of mesh codes (EPSG:6668), in input order.

    Examples
    --------
    >>> cells = mesh_polygons(["53384500", "5338450011"])
    >>> [round(w * 3600) for w in cells.bounds["maxx"] - cells.bounds["minx"]]   # 45" and 11.25" wide
    [45, 11]
    """
    b = mesh_bounds(codes, source=source)
    return gpd.GeoSeries(shapely.box(b[:, 0], b[:, 1], b[:, 2], b[:, 3]), crs=JGD2011)


def mesh_centroids(codes: Iterable[object], *, source: object = None) -> gpd.GeoSeries:
    """Cell centres of mesh codes (EPSG:6668), in input order.

    Examples
    --------
    >>> [round(v, 6) for v in mesh_centroids(["53384500"]).iloc[0].coords[0]]
    [138.63125, 35.670833]
    """
    b = mesh_bounds(codes, source=source)
    return gpd.GeoSeries(shapely.points((b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2), crs=JGD2011)


def mesh_codes_covering(geometry: shapely.Geometry, *, level: int = 3) -> list[str]:
    """All mesh codes (1st–3rd level) whose cell centre lies in ``geometry`` (EPSG:6668 lon/lat).

    Useful to make an unweighted grid over an area when no mesh statistics are at hand.

    Examples
    --------
    >>> len(mesh_codes_covering(shapely.box(139.0, 35.5, 139.1, 35.6)))   # 8 columns × 12 rows of 1 km cells
    96
    """
    if level not in (1, 2, 3):
        raise ValidationError(f"level must be 1, 2 or 3, got {level}")
    dlat = {1: 2 / 3, 2: 2 / 3 / 8, 3: 2 / 3 / 80}[level]
    dlon = {1: 1.0, 2: 1 / 8, 3: 1 / 80}[level]
    minx, miny, maxx, maxy = geometry.bounds
    rows = np.arange(np.floor(miny / dlat + 1e-9), np.ceil(maxy / dlat - 1e-9))
    cols = np.arange(np.floor((minx - 100) / dlon + 1e-9), np.ceil((maxx - 100) / dlon - 1e-9))
    r, c = np.meshgrid(rows.astype(np.int64), cols.astype(np.int64), indexing="ij")
    r, c = r.ravel(), c.ravel()
    cx, cy = 100 + (c + 0.5) * dlon, (r + 0.5) * dlat
    inside = shapely.intersects_xy(geometry, cx, cy)
    r, c = r[inside], c[inside]
    per = {1: 1, 2: 8, 3: 80}[level]
    pp, q = np.divmod(r, per)
    uu, v = np.divmod(c, per)
    codes = []
    for a, b, qq, vv in zip(pp, uu, q, v, strict=True):
        code = f"{a:02d}{b:02d}"
        if level >= 2:
            code += f"{qq // (per // 8)}{vv // (per // 8)}"
        if level == 3:
            code += f"{qq % 10}{vv % 10}"
        codes.append(code)
    return sorted(codes)


def read_mesh(
    path: str | Path,
    *,
    code: str | None = None,
    population: str | None = None,
    centroids: bool = False,
) -> gpd.GeoDataFrame:
    """Read mesh statistics (CSV, or an e-Stat ``tblT*.txt`` file, plain or zipped) into cell polygons.

    Parameters
    ----------
    path
        A CSV with a mesh-code column (UTF-8 or CP932), or an e-Stat 地域メッシュ統計 text file / zip as
        downloaded (``KEY_CODE`` header, a second row of Japanese labels).
    code
        The mesh-code column; by default the first of ``mesh_code``, ``KEY_CODE``, ``meshcode``, ``mesh``,
        ``メッシュコード``.
    population
        The column to expose as ``population`` (persons); by default ``population``, ``pop_2020``, ``人口`` or
        e-Stat's ``T001100001`` (人口（総数）) when present. It must be the mesh's OWN total: in e-Stat files
        that is the case for the total even in secrecy-merged meshes, so sums never double count.
    centroids
        Return cell centres (points) instead of cell polygons.

    Returns
    -------
    GeoDataFrame
        All columns of the file (codes as text), plus ``mesh_code``, ``mesh_level`` (1, 2, 3, 4 = half,
        5 = quarter), ``population`` (float, when found) and the geometry in EPSG:6668.

    Examples
    --------
    >>> cells = read_mesh("yamanashi_mesh1km_2020.csv")        # doctest: +SKIP
    >>> int(cells["population"].sum())                          # doctest: +SKIP
    809974
    """
    path = local_file(path, what="mesh")
    table, first_row = _read_table(path)
    column = code or next((c for c in _CODE_COLUMNS if c in table.columns), None)
    if column is None or column not in table.columns:
        raise ValidationError(
            f"no mesh-code column (looked for {', '.join((code and [code]) or _CODE_COLUMNS)}); "
            f"columns are {list(table.columns)[:12]}: pass code='COLUMN'",
            source=path,
        )
    text = _as_code_strings(table[column])
    _validate(text, source=path, column=column, first_row=first_row)
    b = mesh_bounds(text)
    out = table.copy()
    out["mesh_code"] = text
    out["mesh_level"] = [{4: 1, 6: 2, 8: 3, 9: 4, 10: 5}[len(t)] for t in text]
    pop_col = population or next((c for c in _POPULATION_COLUMNS if c in table.columns), None)
    if pop_col is not None:
        if pop_col not in table.columns:
            raise ValidationError(
                f"population column {pop_col!r} not found; columns are {list(table.columns)}", source=path
            )
        values = pd.to_numeric(table[pop_col].replace({"": None, "-": None, "*": None}), errors="coerce")
        bad = values.isna() & table[pop_col].notna() & (table[pop_col].astype(str).str.strip() != "")
        bad &= ~table[pop_col].astype(str).str.strip().isin(["-", "*"])
        if bad.any():
            rows = (np.flatnonzero(bad.to_numpy()) + first_row)[:_MAX_LISTED]
            raise ValidationError(
                [f"row {r}, column {pop_col}: {table[pop_col].iloc[r - first_row]!r} is not a number" for r in rows],
                source=path,
            )
        out["population"] = values.astype(float)
    if centroids:
        geometry = shapely.points((b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2)
    else:
        geometry = shapely.box(b[:, 0], b[:, 1], b[:, 2], b[:, 3])
    frame = gpd.GeoDataFrame(out, geometry=geometry, crs=JGD2011)
    frame.attrs["mesh"] = {
        "file": str(path),
        "code_column": column,
        "population_column": pop_col,
        "rows": len(frame),
    }
    return frame


def _read_table(path: Path) -> tuple[pd.DataFrame, int]:
    """The table and the file row number of its first data row (header = row 1)."""
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such mesh file")
    if path.suffix.lower() == ".zip":
        with zipfile.ZipFile(path) as zf:
            members = [m for m in zf.namelist() if m.lower().endswith((".txt", ".csv"))]
            if not members:
                raise ValidationError("the zip holds no .txt or .csv mesh table", source=path)
            raw = zf.read(members[0])
    else:
        raw = path.read_bytes()
    from geo._tables import decode

    text, _ = decode(raw, path, encoding=None)
    table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    first_row = 2
    # e-Stat layout: row 2 holds Japanese labels under the column ids, and no mesh code
    if "KEY_CODE" in table.columns and len(table) and not table["KEY_CODE"].iloc[0].strip():
        table = table.iloc[1:].reset_index(drop=True)
        first_row = 3
    return table, first_row
