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

import csv
import io
import logging
import re
import unicodedata
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import _tables
from geo._errors import ValidationError
from geo._inputs import local_file
from geo._validate import check_counts
from geo.crs import JGD2011

log = logging.getLogger(__name__)

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


def mesh_bounds(
    codes: Iterable[object], *, source: object = None, ten_digit: Literal["quarter", "100m"] = "quarter"
) -> np.ndarray:
    """Cell bounds ``(lon_min, lat_min, lon_max, lat_max)`` of each mesh code, as an ``(n, 4)`` array in degrees.

    Codes of mixed levels are allowed. Invalid codes raise one :class:`ValidationError` listing every bad row.
    ``ten_digit`` says what a 10-digit code is: a quarter mesh (250 m, digits 1–4) or a 100 m cell (the 1 km
    cell cut 10 × 10, digits 0–9); :func:`read_mesh` refuses to guess.

    Examples
    --------
    >>> mesh_bounds(["5339"])[0].tolist()
    [139.0, 35.333333333333336, 140.0, 36.0]
    """
    text = _as_code_strings(codes)
    _validate(text, source=source, ten_digit=ten_digit)
    n = len(text)
    out = np.empty((n, 4), dtype=float)
    lengths = np.fromiter((len(c) for c in text), dtype=int, count=n)
    for length in np.unique(lengths):
        rows = np.flatnonzero(lengths == length)
        joined = "".join(text[i] for i in rows).encode("ascii")
        digits = (np.frombuffer(joined, dtype=np.uint8).astype(np.int64) - 48).reshape(len(rows), length)
        out[rows] = _bounds_from_digits(digits, tenths=length == 10 and ten_digit == "100m")
    return out


def _bounds_from_digits(d: np.ndarray, *, tenths: bool = False) -> np.ndarray:
    """Bounds for codes of one length, given as an (n, length) digit array (``tenths``: 10-digit 100 m cells)."""
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
    if tenths:  # 100 m: the 1 km cell cut 10 × 10, 9th digit the row (south → north), 10th the column
        dlat, dlon = dlat / 10, dlon / 10
        return np.column_stack([lon + d[:, 9] * dlon, lat + d[:, 8] * dlat, lon + (d[:, 9] + 1) * dlon,
                                lat + (d[:, 8] + 1) * dlat])  # fmt: skip
    for pos in range(8, length):  # half and quarter meshes: 1 SW, 2 SE, 3 NW, 4 NE
        dlat, dlon = dlat / 2, dlon / 2
        q = d[:, pos] - 1
        lat = lat + (q // 2) * dlat
        lon = lon + (q % 2) * dlon
    return np.column_stack([lon, lat, lon + dlon, lat + dlat])


_SEPARATORS = re.compile(r"[-‐−–—ー_/\s.]")


def _as_code_strings(codes: Iterable[object]) -> list[str]:
    """Mesh codes as digit strings: ints and floats (``53394611.0``), full-width digits, and separators as
    written by hand or other tools (``5338-46-11``, ``5338 46 11``, ``5338_4611``) removed."""
    out = []
    for c in codes:
        if isinstance(c, (int, np.integer)) or (isinstance(c, float) and np.isfinite(c) and c == int(c)):
            out.append(str(int(c)))
        elif c is None or (isinstance(c, float) and np.isnan(c)):
            out.append("")
        else:
            text = unicodedata.normalize("NFKC", str(c)).strip()
            text = re.sub(r"\.0+$", "", text)
            out.append(_SEPARATORS.sub("", text) if re.fullmatch(r"[\d\-‐−–—ー_/\s]+", text) else text)
    return out


def ten_digit_kind(
    text: list[str], *, level: Literal["quarter", "100m"] | None, source: object = None
) -> Literal["quarter", "100m"]:
    """What the 10-digit codes among ``text`` are: ``level`` when declared; ``"100m"`` when some end in a digit
    only 100 m codes use (0, 5–9); refused when every one could be either."""
    if level is not None:
        if level not in ("quarter", "100m"):
            raise ValidationError(f"level={level!r} is not one of 'quarter' (250 m), '100m'", source=source)
        return level
    tens = [t for t in text if len(t) == 10 and t.isdigit()]
    if not tens:
        return "quarter"
    if all("1" <= t[8] <= "4" and "1" <= t[9] <= "4" for t in tens):
        raise ValidationError(
            f"{len(tens)} codes have 10 digits (e.g. {tens[0]}): quarter meshes (250 m) or 100 m cells? Both "
            "read the same. Declare it: level='quarter' or level='100m' (geo gaps / geo hubs --mesh-level; "
            "config [[points]] mesh_level)",
            source=source,
        )
    log.warning("%s: 10-digit codes ending in 0 or 5–9 are 100 m cells (1/10 細分メッシュ)", source)
    return "100m"


def normalize_mesh_codes(
    codes: Iterable[object],
    *,
    level: Literal["quarter", "100m"] | None = None,
    source: object = None,
    column: str = "mesh_code",
    first_row: int = 1,
) -> list[str]:
    """The mesh-code normaliser every reader uses: digit strings, validated, 10-digit codes only when declared.

    Separators (``5338-46-11`` → ``53384611``), full-width digits and float-read codes are normalised. A
    10-digit code is a quarter mesh (250 m, last two digits 1–4) or a 100 m cell (the 1 km cell cut 10 × 10,
    digits 0–9); when every 10-digit code could be either, ``level`` must say which.

    Raises
    ------
    ValidationError
        Listing every bad code (row and column), or asking for ``level`` when 10-digit codes are ambiguous.

    Examples
    --------
    >>> normalize_mesh_codes(["5338-46-11", "５３３９４６１１"])
    ['53384611', '53394611']
    """
    text = _as_code_strings(codes)
    kind = ten_digit_kind(text, level=level, source=source)
    _validate(text, source=source, column=column, first_row=first_row, ten_digit=kind)
    return text


def _validate(
    text: list[str], *, source: object, column: str = "mesh_code", first_row: int = 1, ten_digit: str = "quarter"
) -> None:
    problems = []
    for i, code in enumerate(text):
        why = _why_invalid(code, ten_digit=ten_digit)
        if why:
            problems.append(f"row {i + first_row}, column {column}: {code!r} {why}")
    if problems:
        more = len(problems) - _MAX_LISTED
        listed = problems[:_MAX_LISTED] + ([f"... and {more} more rows"] if more > 0 else [])
        raise ValidationError(
            [*listed, "fix: give JIS X 0410 mesh codes of 4, 6, 8, 9 or 10 digits as text (e.g. '53394611')"],
            source=source,
        )


def _why_invalid(code: str, *, ten_digit: str = "quarter") -> str | None:
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
    if len(code) == 10 and ten_digit == "100m":
        return None
    if len(code) >= 9 and not all("1" <= c <= "4" for c in code[8:]):
        return "has half/quarter digits outside 1–4"
    return None


def mesh_polygons(
    codes: Iterable[object], *, source: object = None, ten_digit: Literal["quarter", "100m"] = "quarter"
) -> gpd.GeoSeries:
    """Cell polygons of mesh codes (EPSG:6668), in input order.

    Examples
    --------
    >>> cells = mesh_polygons(["53384500", "5338450011"])
    >>> [round(w * 3600) for w in cells.bounds["maxx"] - cells.bounds["minx"]]   # 45" and 11.25" wide
    [45, 11]
    """
    b = mesh_bounds(codes, source=source, ten_digit=ten_digit)
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


def mesh_counts(
    table: pd.DataFrame, column: str, *, source: Path | str | None = None, first_row: int = 2
) -> tuple[pd.Series, pd.Series]:
    """A count column of a mesh table (persons, households, buildings) as numbers, read as every e-Stat table.

    ``-`` (該当数字なし) is 0; ``x``/``*``/``…`` (秘匿) and blanks are missing (NaN), flagged in the second Series
    (秘匿 only); thousands separators are dropped. ``first_row`` is the file row of ``table``'s first row, for
    messages.

    Returns
    -------
    (Series of float, Series of bool)
        The values (NaN where missing) and whether each was suppressed, on ``table``'s index.

    Raises
    ------
    ValidationError
        A cell that is no number and no e-Stat marker, or a negative count, naming the file row and column.
    """
    cells = table[column].astype(object).where(table[column].notna(), "").astype(str).str.strip()
    suppressed = cells.isin(_tables.SUPPRESSED_MARKERS)
    numbers = cells.str.replace(",", "", regex=False).where(~cells.isin(_tables.ZERO_MARKERS), "0")
    values = pd.to_numeric(numbers.where(~suppressed & (cells != "") & (cells != "nan"), None), errors="coerce")
    bad = values.isna() & ~suppressed & (cells != "") & (cells != "nan")
    if bad.any():
        rows = np.flatnonzero(bad.to_numpy())[:_MAX_LISTED]
        raise ValidationError(
            [f"row {r + first_row}, column {column}: {table[column].iloc[r]!r} is not a number; write a number, or "
             "leave the cell empty for no value ('-' means 0, 'x' a suppressed value)" for r in rows],
            source=source,
        )  # fmt: skip
    negative = check_counts(
        values, column, where=lambda i: f"{Path(str(source or 'table')).name}: row {int(i) + first_row}, column "
        f"{column}", force=True,
    )  # fmt: skip
    if negative:
        raise ValidationError(negative, source=source)
    return values.astype(float), suppressed


def read_mesh(
    path: str | Path,
    *,
    code: str | None = None,
    population: str | None = None,
    centroids: bool = False,
    level: Literal["quarter", "100m"] | None = None,
    overlaps: Literal["raise", "finest"] = "raise",
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
    level
        What 10-digit codes are: ``"quarter"`` (250 m) or ``"100m"`` (1/10 細分); required when they could be
        either (see :func:`normalize_mesh_codes`).
    overlaps
        A cell listed together with cells inside it (a 1 km cell and its own 500 m children) counts people twice.
        ``"raise"`` (default) refuses the file naming the cells; ``"finest"`` keeps the children and drops a
        parent whose children are all present (a parent only partly split is still refused), logging each drop
        and listing them in ``attrs["mesh"]["overlaps_dropped"]``.

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
    if overlaps not in ("raise", "finest"):
        raise ValidationError(f"overlaps={overlaps!r} is not one of 'raise', 'finest'")
    kind = ten_digit_kind(_as_code_strings(table[column]), level=level, source=path)
    text = normalize_mesh_codes(table[column], level=kind, source=path, column=column, first_row=first_row)
    tenths = kind == "100m"
    keep, dropped = _overlapping_cells(text, path=path, column=column, first_row=first_row, overlaps=overlaps)
    if dropped:
        table = table.loc[keep].reset_index(drop=True)
        text = [t for t, k in zip(text, keep, strict=True) if k]
    b = mesh_bounds(text, ten_digit="100m" if tenths else "quarter")
    out = table.copy()
    out["mesh_code"] = text
    out["mesh_level"] = [{4: 1, 6: 2, 8: 3, 9: 4, 10: 6 if tenths else 5}[len(t)] for t in text]
    pop_col = population or next((c for c in _POPULATION_COLUMNS if c in table.columns), None)
    if pop_col is not None:
        if pop_col not in table.columns:
            raise ValidationError(
                f"population column {pop_col!r} not found; columns are {list(table.columns)}", source=path
            )
        values, suppressed = mesh_counts(table, pop_col, source=path, first_row=first_row)
        out["population"] = values
        if suppressed.any():
            out["population_秘匿"] = suppressed.to_numpy()
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
        "overlaps_dropped": dropped,
    }
    return frame


def _overlapping_cells(
    text: list[str], *, path: Path, column: str, first_row: int, overlaps: str
) -> tuple[np.ndarray, list[str]]:
    """Rows to keep, and the parent cells dropped, when cells of several levels overlap (a cell and its children)."""
    keep = np.ones(len(text), dtype=bool)
    present = set(text)
    prefixes = (4, 6, 8, 9)
    children: dict[str, list[str]] = {}
    for code in present:
        for n in prefixes:
            if n < len(code) and code[:n] in present:
                children.setdefault(code[:n], []).append(code)
    if not children:
        return keep, []
    row_of = {code: i + first_row for i, code in enumerate(text)}
    sizes = {4: 64, 6: 100, 8: 4, 9: 4}  # direct children of a 1st, 2nd, 3rd, half cell
    complete = {
        parent for parent, kids in children.items()
        if len({k for k in kids if len(k) == _next_length(len(parent))}) == sizes[len(parent)]
    }  # fmt: skip
    if overlaps == "finest" and set(children) == complete:
        dropped = sorted(children)
        for parent in dropped:
            log.warning("%s: row %d, %s %s dropped: its %d child cells are listed too (overlaps='finest')",
                        path.name, row_of[parent], column, parent, len(children[parent]))  # fmt: skip
        keep = np.array([t not in children for t in text])
        return keep, dropped
    listed = [
        f"row {row_of[parent]}, column {column}: cell {parent} is listed together with {len(kids)} cell(s) inside "
        f"it ({', '.join(sorted(kids)[:4])}{' …' if len(kids) > 4 else ''}): its people would be counted twice"
        for parent, kids in sorted(children.items())
    ]
    fix = (
        "fix: keep one level per file (e.g. only the 1 km or only the 500 m cells)"
        + ("; or pass overlaps='finest' to keep the children" if overlaps == "raise" and set(children) == complete
           else "; some parents are only partly split, so neither level alone is complete")
    )  # fmt: skip
    raise ValidationError([*listed[:_MAX_LISTED], *([f"... and {len(listed) - _MAX_LISTED} more"] if
                           len(listed) > _MAX_LISTED else []), fix], source=path)  # fmt: skip


def _next_length(n: int) -> int:
    return {4: 6, 6: 8, 8: 9, 9: 10}[n]


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
    text, _ = _tables.decode(raw, path, encoding=None)  # the one decoder: UTF-8 (BOM optional), UTF-16, CP932
    if not text.strip():
        raise ValidationError("the file is empty: it has no header and no rows", source=path)
    _check_complete_rows(text, path)
    table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    if table.empty:
        raise ValidationError("the table has no rows: only the header (row 1)", source=path)
    first_row = 2
    # e-Stat layout: row 2 holds Japanese labels under the column ids, and no mesh code
    if "KEY_CODE" in table.columns and len(table) and not table["KEY_CODE"].iloc[0].strip():
        table = table.iloc[1:].reset_index(drop=True)
        first_row = 3
    return table, first_row


def _check_complete_rows(text: str, path: Path) -> None:
    """Refuse a table whose rows have fewer fields than its header: a download or copy cut short (e-Stat mesh
    files are large and a broken transfer ends mid-row), which would otherwise be read as fewer cells."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, [])
    short = []
    for row in reader:
        if row and len(row) < len(header):
            short.append((reader.line_num, len(row)))
    if not short:
        return
    last_line = text.rstrip("\r\n").count("\n") + 1
    where = ", ".join(f"row {n} has {k}" for n, k in short[:5])
    cut = (
        " — the last line is cut short: the file is truncated (download it again)" if short[-1][0] == last_line else ""
    )
    raise ValidationError(
        f"rows with fewer fields than the header's {len(header)}: {where}{' …' if len(short) > 5 else ''}{cut}",
        source=path,
    )
