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
from typing import TypeVar

import geopandas as gpd
import numpy as np
from pyproj import CRS

from geo._errors import CRSError

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
