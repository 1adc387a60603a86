"""Coordinate reference systems: JGD2011 at rest, a metric CRS for every distance, buffer or area.

Data rests in EPSG:6668 (JGD2011 geographic). Metric work happens in

* the JGD2011 plane rectangular zone (平面直角座標系, EPSG:6669–6687) of a prefecture, when the data lies in
  one prefecture or one zone;
* the JGD2011 UTM zone (EPSG:6688–6692) of each point, for distances and buffers of national point sets;
* an Albers equal-area projection of Japan (:data:`JAPAN_EQUAL_AREA`) for areas of national extents.

Nothing in the toolkit buffers or measures in degrees: :func:`to_metric` refuses geographic targets and
:func:`require_crs` refuses layers without a CRS.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from functools import cache
from typing import TypeVar

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS, Transformer

from geo._errors import CRSError, ValidationError

log = logging.getLogger(__name__)

JGD2011 = CRS.from_epsg(6668)
"""JGD2011 geographic (lon/lat): the CRS every layer has at rest."""

JAPAN_EQUAL_AREA = CRS.from_json_dict(
    {
        **CRS.from_proj4(
            "+proj=aea +lat_0=36 +lon_0=137 +lat_1=30 +lat_2=42 +x_0=0 +y_0=0 +ellps=GRS80 +units=m +no_defs"
        ).to_json_dict(),
        "name": "JGD2011 / Japan Albers equal-area (30N, 42N, 137E)",
    }
)
"""Albers equal-area conic on GRS80 fitted to Japan (standard parallels 30°N and 42°N): exact areas nationwide."""

JGD2011_TO_EQUAL_AREA = (
    "+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad "
    "+step +proj=aea +lat_0=36 +lon_0=137 +lat_1=30 +lat_2=42 +x_0=0 +y_0=0 +ellps=GRS80"
)
"""The operation PROJ picks from EPSG:6668 (lon/lat) to :data:`JAPAN_EQUAL_AREA`, as a pipeline: built in
0.2 ms where letting PROJ search for it costs 14 ms in a fresh process; the same numbers (tested)."""


def to_japan_equal_area(geoms: np.ndarray, crs: CRS | str | int | None) -> np.ndarray:
    """Shapely geometries in ``crs`` (None: JGD2011) → :data:`JAPAN_EQUAL_AREA` metres, as ``GeoSeries.to_crs``."""
    if crs is None or CRS.from_user_input(crs).equals(JGD2011):
        transformer = Transformer.from_pipeline(JGD2011_TO_EQUAL_AREA)
        return shapely.transform(
            geoms, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1], errcheck=False))
        )
    return gpd.GeoSeries(geoms, crs=crs).to_crs(JAPAN_EQUAL_AREA).to_numpy()


# Plane rectangular zone (I..XIX, as EPSG 6669..6687) each prefecture is mapped in, after the MLIT notice
# (平成14年国土交通省告示第9号). Prefectures that span several zones (Hokkaido XI–XIII, Tokyo's islands
# XIV/XVIII/XIX, Okinawa XV–XVII, Kagoshima I/II) get the zone of their main body; remote islands measured in
# it stay within a few 0.1 % of scale error for the distances we use (a few km).
PREFECTURE_ZONE: dict[str, int] = {
    "01": 12, "02": 10, "03": 10, "04": 10, "05": 10, "06": 10, "07": 9, "08": 9, "09": 9, "10": 9,
    "11": 9, "12": 9, "13": 9, "14": 9, "15": 8, "16": 7, "17": 7, "18": 6, "19": 8, "20": 8,
    "21": 7, "22": 8, "23": 7, "24": 6, "25": 6, "26": 6, "27": 6, "28": 5, "29": 6, "30": 6,
    "31": 5, "32": 3, "33": 5, "34": 3, "35": 3, "36": 4, "37": 4, "38": 4, "39": 4, "40": 2,
    "41": 2, "42": 1, "43": 2, "44": 2, "45": 2, "46": 2, "47": 15,
}  # fmt: skip

# Origin longitude of each plane rectangular zone, used to pick the zone of data that has no prefecture.
_ZONE_ORIGIN_LON: dict[int, float] = {
    1: 129.5, 2: 131.0, 3: 132 + 10 / 60, 4: 133.5, 5: 134 + 20 / 60, 6: 136.0, 7: 137 + 10 / 60,
    8: 138.5, 9: 139 + 50 / 60, 10: 140 + 50 / 60, 11: 140.25, 12: 142.25, 13: 144.25, 14: 142.0,
    15: 127.5, 16: 124.0, 17: 131.0, 18: 136.0, 19: 154.0,
}  # fmt: skip

# Spans (in degrees of longitude) beyond which one transverse-Mercator zone distorts too much.
_MAX_ZONE_SPAN_LON = 3.0

Frame = TypeVar("Frame", gpd.GeoDataFrame, gpd.GeoSeries)


def zone_epsg(zone: int) -> int:
    """EPSG code of plane rectangular zone ``zone`` (1..19)."""
    if not 1 <= zone <= 19:
        raise ValueError(f"plane rectangular zone must be 1..19, got {zone}")
    return 6668 + zone


def prefecture_crs(pref_code: str) -> CRS:
    """The plane rectangular CRS a prefecture is surveyed in, e.g. ``"19"`` (山梨県) → EPSG:6676 (zone VIII)."""
    try:
        return CRS.from_epsg(zone_epsg(PREFECTURE_ZONE[pref_code]))
    except KeyError:
        raise ValueError(f"unknown prefecture code {pref_code!r}: expected '01'..'47'") from None


def utm_epsg(lon: float | np.ndarray) -> int | np.ndarray:
    """JGD2011 UTM zone EPSG code (6688 = 51N … 6692 = 55N) of longitude(s); clamped to Japan's zones."""
    zone = np.clip(np.floor((np.asarray(lon) + 180) / 6).astype(int) + 1, 51, 55)
    return 6637 + zone


def require_crs(frame: gpd.GeoDataFrame | gpd.GeoSeries, what: str = "layer") -> CRS:
    """Return the CRS of ``frame``, or raise :class:`CRSError` saying how to set one."""
    if frame.crs is None:
        raise CRSError(
            f"{what} has no CRS. Set the one the coordinates are in, e.g. "
            "frame.set_crs('EPSG:6668') for JGD2011 longitude/latitude (use EPSG:4326 for WGS84 GPS data)."
        )
    return CRS.from_user_input(frame.crs)


def metric_crs(frame: gpd.GeoDataFrame | gpd.GeoSeries, *, pref_code: str | None = None) -> CRS:
    """Choose a metric CRS for ``frame``.

    The prefecture's plane rectangular zone when ``pref_code`` is given (or every row carries the same
    ``pref_code``); else the zone whose origin is nearest the data, when the data spans at most 3° of
    longitude; else the national equal-area projection. The choice is logged.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> pts = gpd.GeoSeries([shapely.Point(138.57, 35.66)], crs=6668)   # Kofu
    >>> metric_crs(pts).to_epsg()
    6676
    """
    require_crs(frame, "layer")
    if pref_code is None and isinstance(frame, gpd.GeoDataFrame) and "pref_code" in frame.columns:
        codes = frame["pref_code"].dropna().unique()
        if len(codes) == 1:
            pref_code = str(codes[0])
    if pref_code is not None:
        crs = prefecture_crs(pref_code)
    else:
        minx, _, maxx, _ = frame.to_crs(JGD2011).total_bounds
        if not np.isfinite([minx, maxx]).all():
            raise CRSError("cannot choose a metric CRS for an empty layer")
        if maxx - minx <= _MAX_ZONE_SPAN_LON:
            mid = (minx + maxx) / 2
            zone = min(_ZONE_ORIGIN_LON, key=lambda z: abs(_ZONE_ORIGIN_LON[z] - mid) + (z > 13) * 10)
            crs = CRS.from_epsg(zone_epsg(zone))
        else:
            crs = JAPAN_EQUAL_AREA
    log.info("metric CRS: %s", crs.name)
    return crs


def to_metric(frame: Frame, crs: CRS | str | int | None = None, *, pref_code: str | None = None) -> Frame:
    """Project ``frame`` to a metric CRS (``crs`` if given, else :func:`metric_crs`); refuse geographic targets."""
    require_crs(frame, "layer")
    target = metric_crs(frame, pref_code=pref_code) if crs is None else CRS.from_user_input(crs)
    if not target.is_projected:
        raise CRSError(
            f"{target.name} is geographic (degrees); distances, buffers and areas need a projected CRS "
            "such as a JGD2011 plane rectangular zone (EPSG:6669–6687)"
        )
    return frame.to_crs(target)


def area_km2(frame: gpd.GeoDataFrame | gpd.GeoSeries) -> np.ndarray:
    """Areas in km², measured in the national equal-area projection (exact for any extent in Japan)."""
    require_crs(frame, "layer")
    geoms = frame.geometry if isinstance(frame, gpd.GeoDataFrame) else frame
    return geoms.to_crs(JAPAN_EQUAL_AREA).area.to_numpy() / 1e6


# ------------------------------------------------------------------------------------ datums (input edge)

PLANE_RECTANGULAR_EPSG = frozenset(range(6669, 6688)) | frozenset(range(2443, 2462)) | frozenset(range(30161, 30180))
"""Japan Plane Rectangular CS I–XIX on JGD2011 (6669–6687), JGD2000 (2443–2461) and Tokyo (30161–30179):
X is the northing and Y the easting (国土地理院, 平面直角座標系)."""

_TOKYO_TO_WGS84 = "Tokyo to WGS 84 (108)"
# EPSG:15484, geocentric translation fitted to all of Japan; EPSG states 9 m accuracy. Used when PROJ lacks the
# tky2jgd.gsb grid (the usual offline install): the ballpark alternative PROJ falls back to is ~455 m off.


@dataclass(frozen=True)
class DatumShift:
    """Which transformation brought coordinates into JGD2011 (EPSG:6668), and how accurate it is.

    Attributes
    ----------
    source
        The input CRS, e.g. ``"EPSG:4301 (Tokyo)"``.
    operation
        PROJ's description of the operation(s) used; ``"none"`` when the input already was JGD2011.
    accuracy_m
        Stated accuracy in metres (EPSG), or None when PROJ does not know it.
    grid_based
        True when a correction grid (e.g. ``tky2jgd.gsb``) was applied.
    note
        What was missing and what it costs, e.g. a grid PROJ does not have installed.
    """

    source: str
    operation: str
    accuracy_m: float | None
    grid_based: bool
    note: str = ""

    def __str__(self) -> str:
        acc = f"±{self.accuracy_m:g} m" if self.accuracy_m is not None else "accuracy unknown"
        grid = "grid-based" if self.grid_based else "no grid"
        return f"{self.source} → EPSG:6668: {self.operation} ({acc}, {grid})" + (f"; {self.note}" if self.note else "")


def _label(crs: CRS) -> str:
    epsg = crs.to_epsg()
    return f"EPSG:{epsg} ({crs.name})" if epsg else crs.name


def is_plane_rectangular(crs: CRS | str | int | None) -> bool:
    """True for a Japan Plane Rectangular CS (any datum), where survey X is north and Y is east."""
    if crs is None:
        return False
    crs = CRS.from_user_input(crs)
    epsg = crs.to_epsg()
    return (epsg in PLANE_RECTANGULAR_EPSG) or ("Japan Plane Rectangular" in crs.name)


def jgd2011_transformer(source: CRS | str | int) -> tuple[Transformer | None, DatumShift]:
    """The transformer from ``source`` to JGD2011 lon/lat (EPSG:6668), and a record of what it does.

    The one place every reader converts coordinates (points, boundaries, …): geographic CRSs on another datum
    (Tokyo EPSG:4301, JGD2000 EPSG:4612, WGS 84 EPSG:4326) are transformed, not just relabelled. PROJ's best
    operation is used when its grid is installed; for the Tokyo datum without ``tky2jgd.gsb`` (PROJ would
    fall back to a "ballpark" no-op, ~455 m off) EPSG's Japan-wide translation *Tokyo to WGS 84 (108)*
    (stated accuracy 9 m) is used, then WGS 84 ≈ JGD2011 (1 m).

    Returns
    -------
    (Transformer or None, DatumShift)
        None when ``source`` already is EPSG:6668. The transformer takes ``(x=lon|easting, y=lat|northing)``.

    Examples
    --------
    >>> tr, shift = jgd2011_transformer("EPSG:4301")
    >>> [round(v, 5) for v in tr.transform(138.5718913, 35.6639157)]   # 甲府駅 in Tokyo datum
    [138.56876, 35.66712]
    """
    import warnings

    from pyproj.transformer import TransformerGroup

    src = CRS.from_user_input(source)
    if src.equals(JGD2011):
        return None, DatumShift(_label(src), "none", 0.0, False)
    with warnings.catch_warnings():  # pyproj warns when the best operation's grid is missing: we say so below
        warnings.simplefilter("ignore", UserWarning)
        group = TransformerGroup(src, JGD2011, always_xy=True)
    missing = sorted({g.short_name for op in group.unavailable_operations for g in op.grids if not g.available})
    best = group.transformers[0] if group.transformers else None
    geodetic = src.geodetic_crs
    tokyo = geodetic is not None and geodetic.to_epsg() == 4301
    ballpark = best is None or "ballpark" in best.description.lower()
    if tokyo and (ballpark or not group.best_available):
        return _tokyo_fallback(src, missing)
    if best is None:
        raise CRSError(f"PROJ knows no transformation from {_label(src)} to JGD2011 (EPSG:6668)")
    grid = any(step in best.definition for step in ("hgridshift", "gridshift", "deformation"))
    note = ""
    if missing:
        note = f"the more accurate grid(s) {', '.join(missing)} are not installed for PROJ"
    accuracy = best.accuracy if best.accuracy is not None and best.accuracy >= 0 else None
    if ballpark:
        note = (note + "; " if note else "") + "PROJ only has a ballpark (datum ignored) operation"
    return best, DatumShift(_label(src), best.description, accuracy, grid, note)


def _tokyo_fallback(src: CRS, missing: list[str]) -> tuple[Transformer, DatumShift]:
    import warnings

    from pyproj.transformer import TransformerGroup

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        helmert = next(
            t for t in TransformerGroup(4301, 4326, always_xy=True).transformers if _TOKYO_TO_WGS84 in t.description
        )
    # the step pipeline: source → Tokyo lon/lat → WGS 84 (Helmert) → JGD2011 (no-op at 1 m)
    parts = []
    if not src.equals(CRS.from_epsg(4301)):
        parts.append(Transformer.from_crs(src, CRS.from_epsg(4301), always_xy=True).definition)
    parts.append(helmert.definition)
    parts.append(Transformer.from_crs(CRS.from_epsg(4326), JGD2011, always_xy=True).definition)
    steps = " ".join(f"+step {_steps(p)}" if not p.startswith("proj=pipeline") else _steps(p) for p in parts)
    transformer = Transformer.from_pipeline(f"+proj=pipeline {steps}")
    note = (
        f"grid {', '.join(missing) or 'tky2jgd.gsb'} not installed for PROJ: used EPSG's Japan-wide translation "
        "instead of the grid (install the grid with `projsync --file tky2jgd.gsb` for ±0.2 m)"
    )
    return transformer, DatumShift(
        _label(src), f"{_TOKYO_TO_WGS84} + WGS 84 → JGD2011", _TOKYO_TRANSLATION_M, False, note
    )


# Tokyo datum through EPSG's Japan-wide translation (no grid), measured against GSI's TKY2JGD grid v2.1.1 at all
# its 392,262 nodes (the PyPI package tky2jgd 0.2.0 ships it): median 2.7 m, 95 % within 7.1 m, at most 8.1 m on
# Hokkaido and 12 m on Honshu, Shikoku, Kyushu and the islands north of 31° N, but 75 m on 青ヶ島 (Izu islands
# south of 33° N) and 643 m south of 31° N (大東諸島; Okinawa had its own datums). Used as stated uncertainty.
_TOKYO_TRANSLATION_M = 12.0
_TOKYO_SOUTH_IZU_M = 80.0
_TOKYO_SOUTH_OF_31_M = 650.0
# JGD2000 → JGD2011 without GSI's PatchJGD grid (touhokutaiheiyouoki2011): coordinates in the area moved by the
# 2011 Tōhoku earthquake (東北, 関東, 甲信越, 北陸 and neighbours; taken generously as lon 136–142.5 E, lat
# 34.5–41.6 N) stay up to 5.3 m off (牡鹿半島; a 石巻 point 4.72 m). Elsewhere the two agree (EPSG: 1 m).
_TOHOKU_2011_M = 5.3
_TOHOKU_2011_BOX = (136.0, 34.5, 142.5, 41.6)


def _ungridded_uncertainty(lon: np.ndarray, lat: np.ndarray, datum: int) -> tuple[np.ndarray, list[str]]:
    """Per point, how far off coordinates converted without a grid may be (m), and notes saying where and why."""
    u = np.zeros(len(lon))
    notes = []
    w, s, e, n = _TOHOKU_2011_BOX
    quake = (lon >= w) & (lon <= e) & (lat >= s) & (lat <= n)
    if datum == 4301:
        south = lat < 31.0
        izu = ~south & (lat < 33.0) & (lon >= 139.0) & (lon <= 141.0)
        u[:] = _TOKYO_TRANSLATION_M
        u[izu] = _TOKYO_SOUTH_IZU_M
        u[south] = _TOKYO_SOUTH_OF_31_M
        if south.any() or izu.any():
            notes.append(
                f"{int(south.sum() + izu.sum())} point(s) lie south of 31° N or on the Izu islands south of 33° N, "
                f"where the Japan-wide translation is up to {_TOKYO_SOUTH_OF_31_M:g} m off (TKY2JGD grid)"
            )
    if quake.any():
        u[quake] += _TOHOKU_2011_M
        notes.append(
            f"{int(quake.sum())} point(s) lie in the area moved by the 2011 Tōhoku earthquake: JGD2000-era coordinates "
            f"there are up to {_TOHOKU_2011_M:g} m off JGD2011 without GSI's PatchJGD grid "
            "(install it with `projsync --file jp_gsi_touhokutaiheiyouoki2011.tif`, or convert with GSI's PatchJGD)"
        )
    return u, notes


def _steps(definition: str) -> str:
    """A PROJ definition as pipeline steps: a pipeline's own steps, or the single operation as one step."""
    text = " ".join(w if w.startswith("+") else f"+{w}" for w in definition.split())
    if text.startswith("+proj=pipeline"):
        return text[len("+proj=pipeline") :].strip()
    return text


def to_jgd2011_xy(x: np.ndarray, y: np.ndarray, source: CRS | str | int) -> tuple[np.ndarray, np.ndarray, DatumShift]:
    """Coordinates in ``source`` (x = lon or easting, y = lat or northing) → JGD2011 lon/lat arrays, and the record.

    Non-finite input stays NaN. See :func:`jgd2011_transformer` for the choice of operation.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    transformer, shift = jgd2011_transformer(source)
    if transformer is None:
        return x.copy(), y.copy(), shift
    lon, lat = np.full(len(x), np.nan), np.full(len(y), np.nan)
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.any():
        a, b = transformer.transform(x[ok], y[ok], errcheck=False)
        lon[ok], lat[ok] = a, b
    ok = np.isfinite(lon) & np.isfinite(lat)
    return lon, lat, _stated(shift, source, lon[ok], lat[ok])


def _stated(shift: DatumShift, source: CRS | str | int, lon: np.ndarray, lat: np.ndarray) -> DatumShift:
    """The record with the real uncertainty where the points lie, when no grid was applied (see above)."""
    geodetic = CRS.from_user_input(source).geodetic_crs
    datum = geodetic.to_epsg() if geodetic is not None else None
    if not len(lon) or shift.grid_based or datum not in (4301, 4612):
        return shift
    u, notes = _ungridded_uncertainty(lon, lat, datum)
    worst = float(u.max())
    if shift.accuracy_m is not None and worst <= shift.accuracy_m:
        return shift
    return replace(shift, accuracy_m=worst, note="; ".join([n for n in (shift.note, *notes) if n]))


def frame_to_jgd2011(frame: Frame) -> tuple[Frame, DatumShift]:
    """A frame with a CRS converted to EPSG:6668 through :func:`jgd2011_transformer` (the datum-aware path).

    Raises
    ------
    CRSError
        When ``frame`` has no CRS (use :func:`assume_lonlat_crs` first).
    """
    src = require_crs(frame, "layer")
    geoms = frame.geometry if isinstance(frame, gpd.GeoDataFrame) else frame
    moved, shift = geometries_to_jgd2011(geoms.to_numpy(), src)
    if moved is None:
        return frame.copy(), shift
    out = frame.copy()
    if isinstance(out, gpd.GeoDataFrame):
        out = out.set_geometry(gpd.GeoSeries(moved, index=frame.index, crs=JGD2011), crs=JGD2011)
        return out.set_crs(JGD2011, allow_override=True), shift
    return gpd.GeoSeries(moved, index=frame.index, crs=JGD2011), shift


NULL_TO_JGD2011 = frozenset({"EPSG:4326"})
"""CRSs, as GDAL names them (GeoJSON is always ``EPSG:4326``), whose operation to JGD2011 PROJ gives as a null
transformation (WGS 84: "Inverse of JGD2011 to WGS 84 (1)", ±1 m): readers may keep their coordinates without
asking PROJ (2–3 ms in a fresh process). Checked against PROJ by the tests."""


def geometries_to_jgd2011(geoms: np.ndarray, source: CRS | str | int) -> tuple[np.ndarray | None, DatumShift]:
    """Shapely geometries in ``source`` → JGD2011 lon/lat (EPSG:6668), and the record of what was done.

    Returns ``(None, shift)`` when ``source`` already is EPSG:6668. When PROJ's operation is a null
    transformation (``proj=noop``: WGS 84 and JGD2000/JGD2011 lon/lat, EPSG's "JGD2011 to WGS 84 (1)" at 1 m)
    the coordinates are returned unchanged without being copied point by point, which is what the transform
    would give.
    """
    transformer, shift = jgd2011_transformer(source)
    if transformer is None:
        return None, shift
    if transformer.definition.split(" ", 1)[0] == "proj=noop":  # the transform would give equal coordinates
        geodetic = CRS.from_user_input(source).geodetic_crs
        if geodetic is not None and geodetic.to_epsg() in (4301, 4612):  # _stated reads the coordinates
            xy = shapely.get_coordinates(geoms)
            shift = _stated(shift, source, xy[:, 0], xy[:, 1])
        return geoms, shift
    moved = shapely.transform(
        geoms,
        lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1], errcheck=False)),
    )
    xy = shapely.get_coordinates(moved)
    return moved, _stated(shift, source, xy[:, 0], xy[:, 1])


def assume_lonlat_crs(
    frame: Frame, *, crs: CRS | str | int | None = None, source: object = None
) -> tuple[Frame, str | None]:
    """Give a layer read without a CRS (a ``.shp`` without ``.prj``) one, or refuse it.

    ``crs`` given: it is set. Otherwise the layer is accepted only when every coordinate looks like
    longitude/latitude in Japan (lon 120–155, lat 20–47) and is then taken as JGD2011 (EPSG:6668), with a
    notice (returned, and logged at warning level); other coordinates (metres of a plane rectangular zone…)
    are refused with the fix.

    Returns
    -------
    (frame, notice or None)

    Raises
    ------
    ValidationError
        When the coordinates are not lon/lat-looking and no ``crs`` is given.
    """

    if frame.crs is not None:
        return frame, None
    if crs is not None:
        return frame.set_crs(CRS.from_user_input(crs)), None
    geoms = frame.geometry if isinstance(frame, gpd.GeoDataFrame) else frame
    minx, miny, maxx, maxy = shapely.total_bounds(geoms.to_numpy())
    if np.isfinite([minx, miny]).all() and minx >= 120 and maxx <= 155 and miny >= 20 and maxy <= 47:
        notice = (
            f"{source}: the layer has no CRS (a .shp without .prj?); its coordinates look like longitude/latitude "
            "in Japan, so they are taken as JGD2011 (EPSG:6668) — pass crs=... or add the .prj if they are not"
        )
        log.warning(notice)
        return frame.set_crs(JGD2011), notice
    raise ValidationError(
        f"the layer has no CRS (a .shp without .prj?) and its coordinates ({minx:.6g}, {miny:.6g}) … "
        f"({maxx:.6g}, {maxy:.6g}) are not longitude/latitude in Japan; pass crs='EPSG:66xx' (the plane "
        "rectangular zone the data was surveyed in) or save the layer with its CRS (.prj)",
        source=source,
    )


# ----------------------------------------------------------------------------------------- Japan's land

JAPAN_BBOX = (122.0, 20.0, 154.5, 46.0)
"""(lon_min, lat_min, lon_max, lat_max): a quick first filter before the land test."""


@cache
def japan_land() -> shapely.Geometry:
    """Japan's land buffered by 10 km (EPSG:6668 lon/lat), built from N03 by ``scripts/build_japan_land.py``.

    The buffer keeps coastal stops, ports and piers; Seoul, Busan, Vladivostok and Taipei lie outside. The
    returned geometry is shared and prepared: do not modify it.
    """
    from importlib import resources

    land = shapely.from_wkb(resources.files("geo").joinpath("data/japan_land.wkb").read_bytes())
    shapely.prepare(land)
    return land


def in_japan(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """True where (lon, lat) in JGD2011 degrees lies on Japan's land or within 10 km of its coast.

    The one "is it in Japan?" check every reader uses (a bounding box lets Seoul and Busan through).

    Examples
    --------
    >>> in_japan(np.array([138.5688, 126.978]), np.array([35.667, 37.5665])).tolist()   # 甲府駅, Seoul
    [True, False]
    """
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    with np.errstate(invalid="ignore"):
        box = (lon >= JAPAN_BBOX[0]) & (lon < JAPAN_BBOX[2]) & (lat >= JAPAN_BBOX[1]) & (lat < JAPAN_BBOX[3])
    out = np.zeros(lon.shape, dtype=bool)
    idx = np.flatnonzero(box)
    if len(idx) == 0:
        return out
    # a 0.1° lookup grid settles points away from the coast; only cells on the land's edge take the exact test
    inside, edge, step = _land_grid()
    row = ((lat[idx] - JAPAN_BBOX[1]) / step).astype(np.int64)
    col = ((lon[idx] - JAPAN_BBOX[0]) / step).astype(np.int64)
    row, col = np.minimum(row, inside.shape[0] - 1), np.minimum(col, inside.shape[1] - 1)
    out[idx] = inside[row, col]
    exact = idx[edge[row, col]]
    if len(exact):
        out[exact] = shapely.intersects_xy(japan_land(), lon[exact], lat[exact])
    return out


@cache
def _land_grid() -> tuple[np.ndarray, np.ndarray, float]:
    """(inside, edge, step) of ``geo/data/japan_land_grid.npz``, built with the land by the same script."""
    from importlib import resources

    with resources.files("geo").joinpath("data/japan_land_grid.npz").open("rb") as fh, np.load(fh) as data:
        ny, nx = (int(v) for v in data["shape"])
        inside = np.unpackbits(data["inside"])[: ny * nx].reshape(ny, nx).astype(bool)
        edge = np.unpackbits(data["edge"])[: ny * nx].reshape(ny, nx).astype(bool)
        return inside, edge, float(data["step"])


@dataclass(frozen=True)
class MetricPlan:
    """How distances are measured: one projected CRS, or each hub in its own UTM zone (``epsg`` per hub)."""

    crs: CRS | None
    hub_epsg: np.ndarray | None

    def label(self) -> str:
        if self.crs is not None:
            return f"EPSG:{self.crs.to_epsg()}" if self.crs.to_epsg() else self.crs.to_string()
        return "UTM per hub (" + ", ".join(f"EPSG:{e}" for e in np.unique(self.hub_epsg)) + ")"

    def hub_labels(self, n: int) -> np.ndarray:
        if self.crs is not None:
            return np.full(n, self.label(), dtype=object)
        return np.array([f"EPSG:{e}" for e in self.hub_epsg], dtype=object)


def metric_plan(hub_ll: np.ndarray, other_ll: np.ndarray | None, crs: object, pref_code: str | None) -> MetricPlan:
    if isinstance(crs, str) and crs.lower() == "utm":
        return MetricPlan(None, np.asarray(utm_epsg(hub_ll[:, 0])).reshape(-1))
    if crs is not None:
        target = CRS.from_user_input(crs)
        if not target.is_projected:
            raise CRSError(
                f"{target.name} is geographic (degrees): buffers and distances need a projected CRS, e.g. a "
                "JGD2011 plane rectangular zone (EPSG:6669–6687), 'utm', or None to choose one"
            )
        return MetricPlan(target, None)
    if pref_code is not None:
        return MetricPlan(prefecture_crs(pref_code), None)
    pts = hub_ll if other_ll is None or len(other_ll) == 0 else np.vstack([hub_ll, other_ll])
    if len(pts) == 0:
        raise ValidationError("no hubs given")
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    extent = gpd.GeoSeries(shapely.points([lo, hi]), crs=JGD2011)
    target = metric_crs(extent)
    if target.equals(JAPAN_EQUAL_AREA):  # wider than one zone: an equal-area projection distorts distances
        return MetricPlan(None, np.asarray(utm_epsg(hub_ll[:, 0])).reshape(-1))
    return MetricPlan(target, None)


def lonlat_to_xy(lonlat: np.ndarray, crs: CRS | int) -> np.ndarray:
    transformer = Transformer.from_crs(JGD2011, CRS.from_user_input(crs), always_xy=True)
    x, y = transformer.transform(lonlat[:, 0], lonlat[:, 1])
    return np.column_stack([x, y])
