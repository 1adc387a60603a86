"""Added service for scenarios: on-demand zones (デマンド交通, ride-share) and new stops.

**Zones.** A zone serves every demand cell whose centre lies inside it (the rule :mod:`geo.service_gaps` judges
cells by), in every time window its hours overlap, on the day types it runs. It has no timetable: it counts as
usable service in those windows under every definition (the issue's default, "unless a definition says how
on-demand counts"). Hours are service-day ``HH:MM`` (``end`` may pass 24:00, e.g. ``25:00``); ``start`` is
inclusive and ``end`` exclusive, as for windows. A zone file (GeoJSON, GeoPackage, shapefile) has one polygon per
row with the columns ``name``, ``start``, ``end`` and ``days`` (平日 / 土曜 / 日祝, several joined by ``,`` or
``・``; ``毎日`` for all three).

**New stops.** A point file with ``name`` and, per row, departures per window (``dep_07-09`` …) or a headway
(``headway_min`` with ``start`` and ``end``); they join the feeds' stops with those departures
(:func:`added_departures`), so every definition judges them like timetabled stops.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo._errors import ValidationError
from geo.crs import require_crs, to_metric
from geo.timetable import DAY_TYPES, Window

__all__ = [
    "ZONE_COLUMNS", "added_departures", "read_added_stops", "read_zones", "zone_reach", "zone_service", "zones_in",
]  # fmt: skip

ZONE_COLUMNS = ("name", "start", "end", "days")
_HHMM = re.compile(r"^\s*(\d{1,2}):([0-5]\d)\s*$")
_ALL_DAYS = ("平日", "土曜", "日祝")


def _seconds(text: object) -> int | None:
    if isinstance(text, dt.time):  # GDAL reads "08:00" in a GeoJSON as a time
        return text.hour * 3600 + text.minute * 60 if not text.second else None
    m = _HHMM.match(str(text))
    return None if not m else int(m.group(1)) * 3600 + int(m.group(2)) * 60


def _days(text: object) -> tuple[str, ...] | None:
    tokens = [t for t in re.split(r"[,、・/\s]+", str(text)) if t]
    if tokens in (["毎日"], ["all"]):
        return _ALL_DAYS
    canonical = [DAY_TYPES.get(t) for t in tokens]
    return tuple(dict.fromkeys(canonical)) if tokens and all(canonical) else None  # type: ignore[arg-type]


def read_zones(source: str | Path | gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Zones from a polygon file or frame, checked: ``name``, ``start_s``/``end_s`` (seconds), ``days`` (a tuple).

    Raises
    ------
    ValidationError
        A missing column, a row without a polygon, hours not ``HH:MM`` or not increasing, unknown day types;
        all problems at once, each with its row.
    """
    what = "zones" if isinstance(source, gpd.GeoDataFrame) else str(source)
    frame = source if isinstance(source, gpd.GeoDataFrame) else gpd.read_file(source)
    require_crs(frame, what)
    missing = [c for c in ZONE_COLUMNS if c not in frame.columns]
    if missing:
        raise ValidationError(f"{what}: zone columns {missing} missing; a zone file needs {list(ZONE_COLUMNS)} "
                              f"(start/end HH:MM, days 平日/土曜/日祝); columns: {list(frame.columns)}")  # fmt: skip
    problems, starts, ends, days = [], [], [], []
    for row, z in enumerate(frame.itertuples(index=False), start=1):
        start, end, d = _seconds(z.start), _seconds(z.end), _days(z.days)
        if start is None or end is None or not start < end <= 48 * 3600:
            problems.append(f"{what} row {row} ({z.name}): start {z.start!r} / end {z.end!r}: write HH:MM, start "
                            "before end (end may pass 24:00)")  # fmt: skip
        if d is None:
            problems.append(f"{what} row {row} ({z.name}): days {z.days!r}: use 平日, 土曜, 日祝 (joined by ',') "
                            "or 毎日")  # fmt: skip
        geom = z.geometry
        if geom is None or geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
            problems.append(f"{what} row {row} ({z.name}): needs a polygon, got {getattr(geom, 'geom_type', None)}")
        starts.append(start)
        ends.append(end)
        days.append(d)
    if problems:
        raise ValidationError(problems)
    out = frame[["name", "geometry"]].copy()
    out["name"] = out["name"].astype(str)
    out["start_s"], out["end_s"], out["days"] = starts, ends, days
    return out


def zone_service(
    centres: np.ndarray, zones: gpd.GeoDataFrame, windows: Sequence[Window], day_types: Iterable[str]
) -> np.ndarray:
    """(cells, windows) bool: a cell's centre lies in a zone running that day whose hours overlap the window.

    Parameters
    ----------
    centres
        Shapely points: the cells' centres, in the CRS of ``zones``.
    zones
        From :func:`read_zones`, projected to the centres' CRS (:func:`zones_in`).
    windows, day_types
        The windows evaluated and the day types of the service day (a zone runs if it runs on any of them).
    """
    days = set(day_types)
    out = np.zeros((len(centres), len(windows)), dtype=bool)
    for z in zones.itertuples(index=False):
        if not days & set(z.days):
            continue
        overlap = np.array([z.start_s < w.end_s and z.end_s > w.start_s for w in windows], dtype=bool)
        if not overlap.any():
            continue
        inside = shapely.contains_xy(z.geometry, shapely.get_x(centres), shapely.get_y(centres))
        out[np.ix_(inside, overlap)] = True
    return out


def zone_reach(centres: np.ndarray, zones: gpd.GeoDataFrame) -> np.ndarray:
    """(cells,) bool: a cell's centre lies in a zone that runs at all (any day type, any hours).

    The rule for walking-distance gaps, which have no time: a stop counts there whatever its timetable, so a
    zone counts whatever its hours and days. It is :func:`zone_service` over one window spanning the whole
    service day (00:00–48:00) on every day type.
    """
    whole = Window("all-day", 0, 48 * 3600)
    return zone_service(centres, zones, [whole], _ALL_DAYS)[:, 0]


def zones_in(zones: gpd.GeoDataFrame, crs: object) -> gpd.GeoDataFrame:
    """``zones`` projected to the metric CRS the cells are measured in."""
    return to_metric(zones, crs)


# ------------------------------------------------------------------------------------------------ added stops
def read_added_stops(source: str | Path | gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """New stops from a point file or frame, checked: ``name``, and per row either departures per window
    (columns ``dep_<HH-HH>``, e.g. ``dep_07-09``, optional ``dep_day``) or ``headway_min`` with ``start`` and
    ``end`` (HH:MM); optional ``mode`` (``bus``, default, or ``station``) and ``days`` (default 毎日).

    Raises
    ------
    ValidationError
        Missing ``name``, a row that is not a point, a row with neither departures nor a headway, bad hours,
        modes or day types; all problems at once, each with its row.
    """
    what = "added stops" if isinstance(source, gpd.GeoDataFrame) else str(source)
    frame = source if isinstance(source, gpd.GeoDataFrame) else gpd.read_file(source)
    require_crs(frame, what)
    if "name" not in frame.columns:
        raise ValidationError(f"{what}: a column 'name' is needed; columns: {list(frame.columns)}")
    dep_columns = [c for c in frame.columns if str(c).startswith("dep_") and c != "dep_day"]
    problems, rows = [], []
    records = pd.DataFrame(frame.drop(columns=frame.geometry.name)).to_dict("records")
    for row, (record, geom) in enumerate(zip(records, frame.geometry, strict=True), start=1):
        label = f"{what} row {row} ({record['name']})"
        if geom is None or geom.is_empty or geom.geom_type != "Point":
            problems.append(f"{label}: needs a point, got {getattr(geom, 'geom_type', None)}")
        headway = record.get("headway_min")
        has_headway = headway is not None and not (isinstance(headway, float) and np.isnan(headway))
        counts = {c: record.get(c) for c in dep_columns}
        given = {c: float(v) for c, v in counts.items() if v is not None and not (isinstance(v, float) and np.isnan(v))}
        start, end = _seconds(record.get("start")), _seconds(record.get("end"))
        if has_headway and (float(headway) <= 0 or start is None or end is None or not start < end):
            problems.append(f"{label}: headway_min {headway!r} needs a positive number and start < end (HH:MM)")
        elif not has_headway and not given:
            problems.append(f"{label}: give departures per window (dep_07-09 …) or headway_min with start and end")
        mode = str(record.get("mode") or "bus")
        if mode not in ("bus", "station"):
            problems.append(f"{label}: mode {mode!r}: use bus or station")
        days = _days(record.get("days") or "毎日")
        if days is None:
            problems.append(f"{label}: days {record.get('days')!r}: use 平日, 土曜, 日祝 (joined by ',') or 毎日")
        rows.append({"name": str(record["name"]), "mode": mode, "days": days, "headway_s": float(headway) * 60 if has_headway
                     else None, "start_s": start, "end_s": end, "counts": given,
                     "dep_day": record.get("dep_day")})  # fmt: skip
    if problems:
        raise ValidationError(problems)
    return gpd.GeoDataFrame(rows, geometry=frame.geometry.to_numpy(), crs=frame.crs)


def added_departures(stops: gpd.GeoDataFrame, windows: Sequence[Window], day_types: Iterable[str]) -> pd.DataFrame:
    """Departures of added stops (:func:`read_added_stops`) in the shape of :func:`geo.timetable.stop_departures`:
    ``stop_id`` (``added:<name>``), ``stop_name``, ``stop_lat``/``stop_lon`` (WGS84), ``mode``, ``dep_<w>`` per
    window and ``dep_day``; 0 on day types a stop does not run. A headway gives ⌊overlap / headway⌋ departures
    in a window (the hours it overlaps); counts are taken as given (a window not given has none)."""
    days = set(day_types)
    wgs = stops.to_crs(4326)
    out = pd.DataFrame({"stop_id": [f"added:{n}" for n in stops["name"]], "stop_name": stops["name"].to_numpy(),
                        "stop_lat": wgs.geometry.y.to_numpy(), "stop_lon": wgs.geometry.x.to_numpy(),
                        "mode": stops["mode"].to_numpy(), "feed": "added"})  # fmt: skip
    for w in windows:
        values = []
        for s in stops.itertuples(index=False):
            if s.headway_s is not None and not pd.isna(s.headway_s):
                overlap = max(0, min(s.end_s, w.end_s) - max(s.start_s, w.start_s))
                values.append(int(overlap // s.headway_s))
            else:
                values.append(int(s.counts.get(f"dep_{w.label}", 0)))
        out[f"dep_{w.label}"] = values
    day = []
    for s in stops.itertuples(index=False):
        if s.headway_s is not None and not pd.isna(s.headway_s):
            day.append(int((s.end_s - s.start_s) // s.headway_s))
        else:
            day.append(
                int(s.dep_day) if s.dep_day is not None and not pd.isna(s.dep_day) else int(sum(s.counts.values()))
            )
    out["dep_day"] = day
    running = np.array([bool(days & set(s.days)) for s in stops.itertuples(index=False)], dtype=bool)
    dep_cols = [c for c in out.columns if c.startswith("dep_")]
    out.loc[~running, dep_cols] = 0
    return out
