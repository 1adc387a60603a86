"""Point layers: read (CSV lat/lon, GeoJSON, GeoPackage, GTFS stops), validate, assign to areas, count.

Reading validates every coordinate at the edge and raises one :class:`~geo.ValidationError` naming the file,
the row and the column of each problem: empty or non-numeric values, points outside Japan, latitude and
longitude swapped, projected metres given where degrees were expected.

Assignment is a point-in-polygon join written for speed (see :func:`assign_points`): points are sorted by
longitude once, each polygon part takes its candidates by a binary search on its bounding box, and GEOS tests
them with a prepared polygon straight from the coordinate arrays (``shapely.intersects_xy``), so no Point
objects and no spatial-index tree are built. The parts are spread over two threads (shapely releases the GIL).
"""

from __future__ import annotations

import io
import logging
import unicodedata
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from geo._errors import ValidationError
from geo._inputs import local_file
from geo._tables import decode, sniff_delimiter
from geo._validate import is_count_column
from geo.crs import (
    JGD2011,
    assume_lonlat_crs,
    in_japan,
    is_plane_rectangular,
    to_jgd2011_xy,
)
from geo.gtfs_stops import GTFS_KINDS, gtfs_boarding_stops, stop_id_problems

log = logging.getLogger(__name__)

JAPAN_BOUNDS = (122.0, 20.0, 154.5, 46.0)
"""(lon_min, lat_min, lon_max, lat_max) of Japan with a small margin: 与那国島 122.9°E … 南鳥島 154.0°E,
沖ノ鳥島 20.4°N … 弁天島 45.5°N."""

LAT_NAMES = ("緯度", "lat", "latitude", "stop_lat", "y", "ido", "北緯")
LON_NAMES = ("経度", "lon", "lng", "long", "longitude", "stop_lon", "x", "keido", "東経")


_MAX_LISTED = 10
_VECTOR_SUFFIXES = {".geojson", ".json", ".gpkg", ".shp", ".fgb"}


# ---------------------------------------------------------------------------------------------- reading


def read_points(
    path: str | Path,
    *,
    lat: str | None = None,
    lon: str | None = None,
    crs: CRS | str | int | None = None,
    encoding: str | None = None,
    layer: str | None = None,
    on_invalid: Literal["raise", "drop"] = "raise",
    gtfs_stops: Literal["boarding", "all"] = "boarding",
) -> gpd.GeoDataFrame:
    """Read a point layer into EPSG:6668, validating every coordinate.

    Parameters
    ----------
    path
        A CSV/TSV with a latitude and a longitude column; a GeoJSON, GeoPackage, Shapefile or GeoParquet of
        points (a ``.parquet`` file or a partitioned dataset folder; a plain Parquet table with lat/lon columns
        is read like a CSV); or a GTFS / GTFS-JP feed (a ``.zip``, a folder holding ``stops.txt``, or ``stops.txt`` itself).
    lat, lon
        The coordinate columns of a CSV. By default found by name (case and width ignored): ``緯度``/``経度``,
        ``lat``/``lon`` (or ``lng``), ``latitude``/``longitude``, ``stop_lat``/``stop_lon``, ``y``/``x``.
    crs
        The CRS of the CSV coordinates (or of a vector file without one). Default: JGD2011 longitude/latitude
        (EPSG:6668); GTFS feeds default to WGS84 (EPSG:4326) as the GTFS reference says. Any other datum
        (Tokyo EPSG:4301, JGD2000 EPSG:4612, WGS 84) is transformed, not relabelled
        (:func:`geo.crs.jgd2011_transformer`; the operation and its accuracy are in ``attrs["points"]["datum"]``).
        Give a projected CRS, e.g. ``"EPSG:6677"`` (plane rectangular zone IX), when the columns hold metres;
        then ``lon`` is the easting and ``lat`` the northing. In a Japan Plane Rectangular CS, columns named
        ``X``/``Y`` or ``座標X``/``座標Y`` follow the survey convention: X is the northing
        (:func:`survey_columns`); a reading that lands outside Japan the other way round is refused as swapped.
        A vector file without a CRS (a ``.shp`` without ``.prj``) is accepted only when its coordinates look
        like lon/lat in Japan (taken as EPSG:6668 with a warning), else refused.
    encoding
        Text encoding of a CSV; by default UTF-8 (with or without BOM), else CP932 (Shift_JIS).
    layer
        Layer of a multi-layer GeoPackage.
    on_invalid
        ``"raise"`` (default): any bad row raises one ValidationError listing them all. ``"drop"``: bad rows are
        left out, logged as a warning and listed in ``attrs["points"]["dropped"]``.
    gtfs_stops
        For a GTFS feed: ``"boarding"`` (default) returns one row per place to board
        (:func:`gtfs_boarding_stops`: stations fold their platforms, entrances/nodes/boarding areas are left
        out), which is what counts and supply use; ``"all"`` returns every ``stops.txt`` row with its ``kind``.

    Returns
    -------
    GeoDataFrame
        Every column of the file (CSV values as text, so codes keep their leading zeros; the coordinate
        columns as numbers), Point geometry in EPSG:6668. GTFS stops keep ``stop_id``/``stop_name`` and get
        ``location_type`` (int) and ``kind`` (``stop``, ``station``, ``entrance`` …). ``attrs["points"]``
        records the file, the columns and CRS used, and rows read.

    Raises
    ------
    ValidationError
        Naming file, row and column of each bad coordinate and how to fix it.

    Examples
    --------
    >>> stops = read_points("nakatsugawa_GTFS.zip")              # doctest: +SKIP
    >>> stops[["stop_id", "stop_name", "kind"]].head(2)          # doctest: +SKIP
    """
    path = local_file(path, what="point")

    if on_invalid not in ("raise", "drop"):
        raise ValidationError(f"on_invalid={on_invalid!r} is not one of 'raise', 'drop'")
    if gtfs_stops not in ("boarding", "all"):
        raise ValidationError(f"gtfs_stops={gtfs_stops!r} is not one of 'boarding', 'all'")
    if _is_parquet(path):  # a (Geo)Parquet file or a partitioned dataset folder
        return _from_parquet(path, lat=lat, lon=lon, crs=crs, on_invalid=on_invalid)
    gtfs = _gtfs_stops_source(path)
    if gtfs is not None:
        table, label = gtfs
        every = _from_gtfs(table, label, crs=crs, on_invalid=on_invalid)
        if gtfs_stops == "all":
            return every
        boarding = gtfs_boarding_stops(every)
        boarding.attrs["points"] = every.attrs["points"] | {"boarding_places": len(boarding), "stops_rows": len(every)}
        return boarding
    if path.suffix.lower() in _VECTOR_SUFFIXES:
        return _from_vector(path, crs=crs, layer=layer, on_invalid=on_invalid)
    table = _read_text_table(path.read_bytes(), path, encoding=encoding)
    return _from_table(table, path, lat=lat, lon=lon, crs=crs, on_invalid=on_invalid)


def _gtfs_stops_source(path: Path) -> tuple[pd.DataFrame, str] | None:
    """The stops table of a GTFS feed (zip, folder or stops.txt), or None when ``path`` is not GTFS."""
    if path.is_dir():
        stops = path / "stops.txt"
        if not stops.exists():
            raise ValidationError("folder has no stops.txt: not a GTFS feed", source=path)
        return _read_text_table(stops.read_bytes(), stops, encoding=None), str(stops)
    if path.name.lower() == "stops.txt":
        return _read_text_table(path.read_bytes(), path, encoding=None), str(path)
    if path.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(path) as zf:
                members = [m for m in zf.namelist() if m.rsplit("/", 1)[-1].lower() == "stops.txt"]
                if not members:
                    raise ValidationError(
                        f"the zip has no stops.txt (members: {zf.namelist()[:8]}): not a GTFS feed",
                        source=path,
                    )
                return _read_text_table(zf.read(members[0]), path, encoding=None), f"{path}:{members[0]}"
        except zipfile.BadZipFile:
            raise ValidationError("not a readable zip archive (corrupt or truncated?)", source=path) from None
    return None


def _read_text_table(raw: bytes, path: Path, *, encoding: str | None) -> pd.DataFrame:
    # the one decoder of every table reader: the given encoding, else UTF-8 (BOM optional), UTF-16, CP932
    text, _ = decode(raw, path, encoding=encoding)
    if not text.strip():
        raise ValidationError("the file is empty: it has no header and no rows", source=path)
    sep = sniff_delimiter(text)  # the one delimiter sniffer of every table reader (, ; tab |)
    try:
        table = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, skipinitialspace=True)
    except pd.errors.ParserError as exc:
        raise ValidationError(f"not a readable CSV table: {exc}", source=path) from None
    if table.empty:
        raise ValidationError("the table has no rows: only the header (row 1)", source=path)
    return table


def _normal(name: str) -> str:
    return unicodedata.normalize("NFKC", str(name)).strip().lower().replace(" ", "")


def _find_columns(columns: Sequence[str], lat: str | None, lon: str | None, path: Path) -> tuple[str, str]:
    if (lat is None) != (lon is None):
        raise ValidationError("give both lat= and lon= column names, or neither", source=path)
    if lat is not None:
        missing = [c for c in (lat, lon) if c not in columns]
        if missing:
            raise ValidationError(f"column(s) {missing} not found; the columns are {list(columns)}", source=path)
        return lat, lon  # type: ignore[return-value]
    normal = {_normal(c): c for c in columns}
    found_lat = next((normal[n] for n in LAT_NAMES if n in normal), None) or _by_prefix(normal, _LAT_PREFIXES)
    found_lon = next((normal[n] for n in LON_NAMES if n in normal), None) or _by_prefix(normal, _LON_PREFIXES)
    if found_lat is None or found_lon is None:
        raise ValidationError(
            f"no latitude/longitude columns found among {list(columns)[:15]}; expected headers such as "
            "緯度/経度, lat/lon, latitude/longitude or y/x — or pass lat='…', lon='…'",
            source=path,
        )
    return found_lat, found_lon


_SURVEY_NORTH = ("X", "座標X", "X座標", "X(m)", "座標X(m)", "X座標(m)")
_SURVEY_EAST = ("Y", "座標Y", "Y座標", "Y(m)", "座標Y(m)", "Y座標(m)")


def survey_columns(columns: Sequence[str], crs: CRS | str | int | None) -> tuple[str, str] | None:
    """``(northing, easting)`` columns of a table in a Japan Plane Rectangular CS, or None.

    In Japanese survey coordinates X is the northing and Y the easting (the reverse of GIS x/y): a table with
    upper-case ``X``/``Y`` or ``座標X``/``座標Y`` (``X座標``…, full width too) columns in EPSG:6669–6687 (JGD2011),
    2443–2461 (JGD2000) or 30161–30179 (Tokyo) puts X in the northing. Lower-case ``x``/``y`` stay the GIS
    convention (x = easting). Near a zone's origin both readings fall in Japan, so the names decide; elsewhere
    the swap check of :func:`read_points` catches a wrong reading. Any reader of coordinate tables calls this
    before its lat/lon lookup.

    Examples
    --------
    >>> survey_columns(["名称", "X", "Y"], "EPSG:6676")
    ('X', 'Y')
    >>> survey_columns(["名称", "X", "Y"], "EPSG:4326") is None
    True
    """
    if not is_plane_rectangular(crs):
        return None
    normal = {unicodedata.normalize("NFKC", str(c)).strip().replace(" ", ""): c for c in columns}
    north = next((normal[n] for n in _SURVEY_NORTH if n in normal), None)
    east = next((normal[n] for n in _SURVEY_EAST if n in normal), None)
    if north is None or east is None:
        return None
    log.info("plane rectangular coordinates: %s is the northing (X), %s the easting (Y)", north, east)
    return north, east


_LAT_PREFIXES = ("緯度", "lat")
_LON_PREFIXES = ("経度", "lon", "lng")
_CENTRE_WORDS = ("center", "centre", "中心")


def _by_prefix(normal: dict[str, str], prefixes: tuple[str, ...]) -> str | None:
    """A column named like ``lat_center`` or ``緯度（世界測地系）``: the only one with the prefix, or the centre one."""
    hits = [name for key, name in normal.items() if key.startswith(prefixes)]
    if len(hits) > 1:  # e.g. lat_min, lat_center, lat_max of a mesh table: the centre is the point
        hits = [h for h in hits if any(w in _normal(h) for w in _CENTRE_WORDS)]
    return hits[0] if len(hits) == 1 else None


def _from_table(
    table: pd.DataFrame,
    path: Path | str,
    *,
    lat: str | None,
    lon: str | None,
    crs: CRS | str | int | None,
    on_invalid: str,
    default_crs: CRS = JGD2011,
    first_row: int = 2,
) -> gpd.GeoDataFrame:
    source_crs = CRS.from_user_input(crs) if crs is not None else default_crs
    survey = survey_columns(list(table.columns), source_crs) if lat is None and lon is None else None
    lat_col, lon_col = survey or _find_columns(list(table.columns), lat, lon, Path(path))
    y_raw, x_raw = table[lat_col], table[lon_col]
    y, y_problem = _parse_numbers(y_raw)
    x, x_problem = _parse_numbers(x_raw)
    rows = table.index.to_numpy() + first_row  # file rows, also after rows were set aside (GTFS nodes)
    problems: dict[str, list[tuple[int, str]]] = {}

    def add(kind: str, mask: np.ndarray, message) -> None:  # type: ignore[no-untyped-def]
        for i in np.flatnonzero(mask):
            problems.setdefault(kind, []).append((int(i), message(i)))

    for col, raw, bad in ((lat_col, y_raw, y_problem), (lon_col, x_raw, x_problem)):
        add(
            "empty",
            bad == "empty",
            lambda i, col=col: f"row {rows[i]}, column {col}: empty — fill in the coordinate or remove the row",
        )
        add(
            "number",
            bad == "number",
            lambda i, col=col, raw=raw: (
                f"row {rows[i]}, column {col}: {raw.iloc[i]!r} is not a number — give decimal "
                "degrees such as 35.6812 (not degrees-minutes-seconds or text)"
            ),
        )
    ok = np.isfinite(x) & np.isfinite(y)
    # every datum and projection goes through the one datum-aware path (Tokyo datum is 455 m off otherwise)
    lon_deg, lat_deg, shift = to_jgd2011_xy(np.where(ok, x, np.nan), np.where(ok, y, np.nan), source_crs)
    if shift.operation != "none":
        log.info("%s: %s", path, shift)
    _check_location(lon_deg, lat_deg, ok, x, y, rows, lat_col, lon_col, source_crs, add)
    _check_population(table, rows, add)
    messages = _summarise(problems, len(table), lat_col, lon_col)
    keep = _rows_to_keep(problems, len(table), messages, on_invalid=on_invalid, path=path)
    out = table.loc[keep].copy()
    out[lat_col] = y[keep]
    out[lon_col] = x[keep]
    geometry = shapely.points(lon_deg[keep], lat_deg[keep])
    frame = gpd.GeoDataFrame(out, geometry=geometry, crs=JGD2011)
    frame.attrs["points"] = {
        "file": str(path),
        "lat_column": lat_col,
        "lon_column": lon_col,
        "crs_in": source_crs.to_string(),
        "datum": str(shift),
        "rows_read": len(table),
        "rows": len(frame),
        "dropped": [] if keep.all() else messages,
    }
    return frame


def _check_population(table: pd.DataFrame, rows: np.ndarray, add) -> None:  # type: ignore[no-untyped-def]
    """Demand points carry their people in a population column: negative counts are refused (geo.demand)."""
    for column in table.columns:
        if not is_count_column(column):
            continue
        values, _ = _parse_numbers(table[column])
        if np.isnan(values).all():
            continue
        with np.errstate(invalid="ignore"):
            negative = values < 0
        add(
            "count",
            negative,
            lambda i, c=column, v=values: (
                f"row {rows[i]}, column {c}: {v[i]:g} is not a possible count (people cannot be negative) — "
                "correct the cell, or leave it empty if unknown"
            ),
        )


def _parse_numbers(raw: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Floats, and per row '' (fine), 'empty' or 'number' (not parseable)."""
    text = raw.astype(str).map(lambda v: unicodedata.normalize("NFKC", v).strip())
    text = text.str.replace(r"^([+-]?\d+),(\d+)$", r"\1.\2", regex=True)  # decimal comma: 35,6639 (; files)
    empty = text.isin(["", "nan", "NaN", "NA", "N/A", "null", "NULL", "None", "-"]).to_numpy()
    values = pd.to_numeric(text.where(~empty), errors="coerce").to_numpy(dtype=float)
    problem = np.where(empty, "empty", np.where(np.isnan(values), "number", ""))
    return values, problem


def _in_japan(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    return in_japan(lon, lat)  # Japan's buffered land (geo.crs), not a bounding box: Seoul is refused


def _check_location(lon, lat, ok, x, y, rows, lat_col, lon_col, source_crs, add) -> None:  # type: ignore[no-untyped-def]
    cols = f"columns {lat_col}/{lon_col}"
    inside = _in_japan(lon, lat)
    with np.errstate(invalid="ignore"):
        if source_crs.is_geographic:
            swapped = ok & ~inside & _in_japan(y, x)
            metres = ok & ~swapped & ((np.abs(x) > 180) | (np.abs(y) > 90))
            zero = ok & (x == 0) & (y == 0)
        else:
            metres = np.zeros(len(x), dtype=bool)
            swapped = ok & ~inside & np.isfinite(lon) & _swapped_projected(x, y, source_crs)
            zero = np.zeros(len(x), dtype=bool)
    outside = ok & ~inside & ~metres & ~swapped
    add(
        "metres",
        metres,
        lambda i: (
            f"row {rows[i]}, {cols}: ({y[i]:g}, {x[i]:g}) are not degrees — they look like projected metres "
            "(e.g. a plane rectangular zone); pass crs='EPSG:66xx', the zone the data was surveyed in"
        ),
    )
    add(
        "swapped",
        swapped,
        lambda i: (
            f"row {rows[i]}, {cols}: latitude and longitude look swapped ({lat_col}={y[i]:g} is a longitude, "
            f"{lon_col}={x[i]:g} a latitude) — swap the two values"
            if source_crs.is_geographic
            # Japanese survey coordinates call the northing X and the easting Y: the classic swap
            else f"row {rows[i]}, {cols}: northing and easting look swapped ({lat_col}={y[i]:g} is an easting, "
            f"{lon_col}={x[i]:g} a northing; in Japanese survey coordinates X is north) — swap the two values"
        ),
    )
    add(
        "outside",
        outside & zero,
        lambda i: (
            f"row {rows[i]}, {cols}: (0, 0) is a placeholder for a missing location — geocode the row or remove it"
        ),
    )
    add(
        "outside",
        outside & ~zero,
        lambda i: (
            f"row {rows[i]}, {cols}: ({y[i]:g}, {x[i]:g}) is outside Japan (not on its land or within 10 km "
            "of its coast"
            + ("" if source_crs.is_geographic else f" after converting from {source_crs.name}")
            + ") — check the value or the CRS"
        ),
    )


def _swapped_projected(x: np.ndarray, y: np.ndarray, source_crs: CRS) -> np.ndarray:
    """Rows whose (northing, easting) read the other way round land in Japan (survey X is north in Japan)."""
    from pyproj import Transformer

    tr = Transformer.from_crs(source_crs, JGD2011, always_xy=True)
    lon2, lat2 = tr.transform(y, x)
    return _in_japan(np.asarray(lon2), np.asarray(lat2))


def _rows_to_keep(
    problems: dict[str, list[tuple[int, str]]], n: int, messages: list[str], *, on_invalid: str, path: object
) -> np.ndarray:
    """Rows without problems; raise the collected messages, or drop the bad rows with a warning ("drop")."""
    bad = sorted({i for items in problems.values() for i, _ in items})
    keep = np.ones(n, dtype=bool)
    if bad:
        if on_invalid == "raise":
            raise ValidationError(messages, source=path)
        keep[bad] = False
        log.warning("%s: dropped %d rows with bad coordinates:\n  %s", path, len(bad), "\n  ".join(messages))
    return keep


def _summarise(problems: dict[str, list[tuple[int, str]]], n_rows: int, lat_col: str, lon_col: str) -> list[str]:
    """Row messages, at most 10 per kind; a kind hitting every row becomes one file-level message."""
    out = []
    for kind, items in problems.items():
        rows = {i for i, _ in items}
        if kind == "swapped" and len(rows) == n_rows and n_rows > 1:
            out.append(
                f"all {n_rows} rows: the coordinate columns look swapped ({lat_col} holds what belongs in "
                f"{lon_col} and back) — pass lat='{lon_col}', lon='{lat_col}' or fix the headers; e.g. {items[0][1]}"
            )
            continue
        if kind == "metres" and len(rows) == n_rows and n_rows > 1:
            out.append(
                f"all {n_rows} rows: {lat_col}/{lon_col} hold projected metres, not degrees — pass "
                f"crs='EPSG:66xx' (the plane rectangular zone of the data); e.g. {items[0][1]}"
            )
            continue
        out.extend(message for _, message in items[:_MAX_LISTED])
        if len(items) > _MAX_LISTED:
            out.append(f"... and {len(items) - _MAX_LISTED} more rows like these ({kind})")
    return out


def _from_gtfs(table: pd.DataFrame, label: str, *, crs: CRS | str | int | None, on_invalid: str) -> gpd.GeoDataFrame:
    missing = [c for c in ("stop_id", "stop_lat", "stop_lon") if c not in table.columns]
    if missing:
        raise ValidationError(f"stops.txt lacks the required GTFS column(s) {missing}", source=label)
    repeated = stop_id_problems(table.reset_index(drop=True))
    if repeated:
        raise ValidationError(repeated, source=label)
    kind = table["location_type"].str.strip() if "location_type" in table.columns else pd.Series("", index=table.index)
    code = pd.to_numeric(kind.replace("", "0"), errors="coerce")
    bad = code.isna() | ~code.isin(list(GTFS_KINDS))
    if bad.any():
        rows = np.flatnonzero(bad.to_numpy())[:_MAX_LISTED] + 2
        raise ValidationError(
            [f"row {r}, column location_type: {kind.iloc[r - 2]!r} is not a GTFS location type 0–4" for r in rows],
            source=label,
        )
    code = code.astype(int)
    # generic nodes (3) and boarding areas (4) may lack coordinates by the GTFS reference: not an error
    no_coords = code.isin([3, 4]) & ((table["stop_lat"].str.strip() == "") | (table["stop_lon"].str.strip() == ""))
    frame = _from_table(
        table.loc[~no_coords],
        label,
        lat="stop_lat",
        lon="stop_lon",
        crs=crs,
        on_invalid=on_invalid,
        default_crs=CRS.from_epsg(4326),
    )
    # row numbers in messages count the header as row 1 in the original file, so keep the index aligned
    frame["location_type"] = code.loc[frame.index].to_numpy()
    frame["kind"] = frame["location_type"].map(GTFS_KINDS)
    frame.attrs["points"] |= {"gtfs": True, "without_coordinates": int(no_coords.sum())}
    return frame


def _is_parquet(path: Path) -> bool:
    if path.is_dir():
        return any(path.rglob("*.parquet")) and not (path / "stops.txt").exists()
    return path.suffix.lower() in (".parquet", ".geoparquet")


_WKB_NAMES = ("geometry", "geom", "wkb", "wkb_geometry", "the_geom")


def parquet_files(path: Path) -> list[Path]:
    """The files of a Parquet file or dataset folder (Hive ``key=value`` subfolders too), refusing an empty folder
    and partitions whose columns differ (a reader would drop the missing names and cast ``004337`` to 4337.0).

    Raises
    ------
    ValidationError
        No ``.parquet`` file in the folder; partitions with other columns or types (each named).
    """
    import pyarrow.parquet as pq

    if not path.is_dir():
        return [path]
    files = sorted(path.rglob("*.parquet"))
    if not files:
        raise ValidationError(
            "the folder holds no .parquet files: give a GeoParquet file or a folder of them", source=path
        )
    first = {f.name: str(f.type) for f in pq.read_schema(files[0])}
    problems = []
    for other in files[1:]:
        schema = {f.name: str(f.type) for f in pq.read_schema(other)}
        if schema == first:
            continue
        missing = [c for c in first if c not in schema]
        extra = [c for c in schema if c not in first]
        typed = [f"{c} {first[c]} → {schema[c]}" for c in first if c in schema and schema[c] != first[c]]
        parts = [f"lacks {missing}" if missing else "", f"adds {extra}" if extra else "",
                 f"types differ: {', '.join(typed)}" if typed else ""]  # fmt: skip
        problems.append(
            f"{other.relative_to(path)} vs {files[0].relative_to(path)}: " + "; ".join(p for p in parts if p)
        )
    if problems:
        raise ValidationError(
            [*problems[:10], "write every partition with the same columns and types (codes as text), then read again"],
            source=path,
        )
    return files


def _from_parquet(
    path: Path, *, lat: str | None, lon: str | None, crs: CRS | str | int | None, on_invalid: str
) -> gpd.GeoDataFrame:
    """GeoParquet (file or partitioned folder, read with pyarrow) or a plain Parquet table with lat/lon columns."""
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:  # pragma: no cover - a pinned dependency
        raise ImportError("reading Parquet needs pyarrow: pip install pyarrow") from exc
    files = parquet_files(path)
    try:
        schema = pq.read_schema(files[0])
    except (OSError, ValueError) as exc:
        raise ValidationError(f"cannot read as Parquet: {exc}", source=files[0]) from None
    if b"geo" in (schema.metadata or {}):
        return _from_vector(path, crs=crs, layer=None, on_invalid=on_invalid, raw=gpd.read_parquet(path))
    wkb = [f.name for f in schema if f.name.lower() in _WKB_NAMES and str(f.type) in ("binary", "large_binary")]
    if wkb and lat is None and lon is None:
        if crs is None:
            raise ValidationError(
                f"column {wkb[0]!r} holds binary geometries (WKB) but the file has no GeoParquet metadata, so "
                "their CRS is unknown: give crs= (geo points --crs, e.g. EPSG:6668), or write the file with "
                "geopandas .to_parquet()",
                source=path,
            )
        table = pd.read_parquet(path)
        try:
            geoms = shapely.from_wkb(table[wkb[0]].to_numpy())
        except shapely.errors.GEOSException as exc:
            raise ValidationError(f"column {wkb[0]!r}: not well-known binary geometries ({exc})", source=path) from None
        raw = gpd.GeoDataFrame(table.drop(columns=wkb[0]), geometry=geoms, crs=crs)
        return _from_vector(path, crs=crs, layer=None, on_invalid=on_invalid, raw=raw)
    table = pd.read_parquet(path)
    text = table.astype({c: str for c in table.columns if not pd.api.types.is_numeric_dtype(table[c])})
    return _from_table(text, path, lat=lat, lon=lon, crs=crs, on_invalid=on_invalid)


def _from_vector(
    path: Path,
    *,
    crs: CRS | str | int | None,
    layer: str | None,
    on_invalid: str,
    raw: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    if raw is None:
        try:
            raw = pyogrio.read_dataframe(path, layer=layer)
        except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
            raise ValidationError(f"cannot read as a point layer: {exc}", source=path) from None
    notice = None
    if raw.crs is None:  # a .shp without .prj: lon/lat-looking coordinates only, with a notice; else refused
        raw, notice = assume_lonlat_crs(raw, crs=crs, source=path)
    geoms = raw.geometry.to_numpy()
    problems: dict[str, list[tuple[int, str]]] = {}
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    types = shapely.get_type_id(geoms)
    # a MultiPoint of one point is a point written by a tool that always writes multi-geometries
    single_multi = (types == 4) & (shapely.get_num_geometries(geoms) == 1)
    geoms = np.where(single_multi, shapely.get_geometry(geoms, 0), geoms)
    types = shapely.get_type_id(geoms)
    not_point = ~missing & (types != 0)
    for i in np.flatnonzero(missing):
        problems.setdefault("empty", []).append(
            (int(i), f"feature {i + 1}, column geometry: empty — give the point or remove the feature")
        )
    for i in np.flatnonzero(not_point):
        problems.setdefault("type", []).append(
            (
                int(i),
                f"feature {i + 1}, column geometry: a {geoms[i].geom_type}, not a "
                "point — convert it to points first (e.g. representative points in QGIS)",
            )
        )
    if not_point.sum() == len(geoms) and len(geoms):
        raise ValidationError(
            f"holds {geoms[0].geom_type} features, not points — use a point layer (e.g. stations_points.csv "
            "for N02 station lines) or convert the features to points first",
            source=path,
        )
    pts = ~missing & ~not_point
    x = np.full(len(geoms), np.nan)
    y = np.full(len(geoms), np.nan)
    x[pts], y[pts] = shapely.get_x(geoms[pts]), shapely.get_y(geoms[pts])
    src = CRS.from_user_input(raw.crs)
    lon, lat, shift = to_jgd2011_xy(x, y, src)
    rows = np.arange(len(geoms)) + 1

    def add(kind: str, mask: np.ndarray, message) -> None:  # type: ignore[no-untyped-def]
        for i in np.flatnonzero(mask):
            problems.setdefault(kind, []).append((int(i), message(i).replace("row ", "feature ", 1)))

    _check_location(lon, lat, pts, x, y, rows, "geometry(y)", "geometry(x)", src, add)
    messages = _summarise(problems, len(geoms), "y", "x")
    keep = _rows_to_keep(problems, len(geoms), messages, on_invalid=on_invalid, path=path)
    out = raw.loc[keep].drop(columns=raw.geometry.name)
    frame = gpd.GeoDataFrame(out, geometry=shapely.points(lon[keep], lat[keep]), crs=JGD2011)
    frame.attrs["points"] = {
        "file": str(path),
        "crs_in": src.to_string(),
        "datum": str(shift),
        "crs_notice": notice,
        "rows_read": len(raw),
        "rows": len(frame),
        "dropped": [] if keep.all() else messages,
    }
    return frame


# ---------------------------------------------------------------------------------------------- assigning
