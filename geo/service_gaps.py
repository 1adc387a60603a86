"""交通空白 by time of day: which demand cells can reach *usable* service, in which window, under which definition.

A demand cell is **served in a window** under a definition when a stop that *qualifies* in that window (enough
departures there, see :class:`geo.gap_definitions.GapDefinition`) lies within the definition's walking distance
for its mode. Railway stations without a timetable (N02) follow the definition's station distance and count in
every window. Several definitions are evaluated side by side in one call; coverage by rail ∪ bus is a union.

Each cell also gets a **service grade** (A best … F none) from the best (stop class × distance band) combination
within reach, in the manner of the Austrian ÖV-Güteklassen (:func:`geo.gap_definitions.read_grade_table`).

Distances are straight lines between cell centres and stops in a metric CRS (the prefecture's plane rectangular
zone, :func:`geo.crs.metric_crs`). A GTFS stop follows the ``station`` distance when a rail trip calls there
(``route_type`` in :data:`geo.timetable.RAIL_ROUTE_TYPES`), else the ``bus`` distance.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from geo._errors import ValidationError
from geo.areas import area_index
from geo.crs import JGD2011, metric_crs, require_crs, to_metric
from geo.demand import demand_points, demand_weights, weight_column
from geo.gap_definitions import GapDefinition, GradeTable, read_gap_definition, read_grade_table
from geo.timetable import (
    DAY_TYPES,
    Feed,
    ServiceDay,
    day_type_of,
    parse_windows,
    read_feed,
    service_day,
    stop_departures,
)
from geo.zones import added_departures, read_added_stops, read_zones, zone_service, zones_in

log = logging.getLogger(__name__)

__all__ = ["ServiceGaps", "service_gaps"]

DefinitionLike = str | Path | GapDefinition


@dataclass(frozen=True)
class ServiceGaps:
    """Result of :func:`service_gaps` (also returned by ``geo.find_gaps(..., definition=, feed=)``).

    Attributes
    ----------
    cells : GeoDataFrame
        Every demand row (a copy, same index and CRS) with ``dist_station_m`` / ``dist_bus_m`` (to the nearest
        stop of each mode, any service), and per definition ``d`` and window ``w``: ``served_<d>_<w>`` (bool),
        ``served_windows_<d>`` (labels joined by ``,``), ``n_served_<d>``; then ``grade`` (A–F, from the grade table's window, 07–19 h),
        ``grade_class`` and ``grade_dist_m`` (the class and distance of the stop giving it), and ``grade_<w>``
        for every other window evaluated (the same table applied to that window's mean headway).
    totals : DataFrame
        One row per definition and window: ``definition``, ``window``, ``demand``, ``gap``, ``gap_share_pct`` (percent)
        (population where a weight column exists, else cells), ``gap_cells``.
    by_area : DataFrame or None
        The same per area (``muni_code``, ``muni_name``) when areas were given.
    definitions : list of GapDefinition
    grades : GradeTable
    service_dates : dict
        Definition name → the service date evaluated: ``date``, ``day_type``, ``reason`` (why this date),
        ``notes`` (warnings: a pattern covering few dates, holidays the feed does not encode), ``feeds``.
    info : dict
        CRS used, weight column and demand unit, feeds with their service ranges.
    stops : GeoDataFrame or None
        The timed stops as counted, one row per feed, stop and service date evaluated (EPSG:6668 points):
        ``feed`` (``added`` for new stops), ``stop_id``, ``stop_name``, ``mode``, ``service_date``, ``day_type``,
        ``dep_day`` and ``dep_<w>`` per window (departures that allow boarding, :func:`geo.timetable.stop_departures`),
        ``headway_<w>`` (minutes), ``first_departure``/``last_departure``, and ``muni_code`` (the area holding the
        stop, by :func:`geo.areas.area_index`; None outside) when areas were given. None without timetables.
    """

    cells: gpd.GeoDataFrame
    totals: pd.DataFrame
    by_area: pd.DataFrame | None
    definitions: list[GapDefinition]
    grades: GradeTable
    service_dates: dict[str, dict[str, Any]]
    info: dict[str, Any] = field(default_factory=dict)
    stops: gpd.GeoDataFrame | None = None

    def grade_windows(self) -> list[str]:
        """The windows graded: the grade table's own window (column ``grade``) first, then ``grade_<w>``."""
        return [self.grades.window] + [
            c[len("grade_") :]
            for c in self.cells.columns
            if c.startswith("grade_") and c not in ("grade_class", "grade_dist_m")
        ]

    def windows(self, definition: str) -> list[str]:
        """The window labels evaluated for one definition."""
        return list(next(d for d in self.definitions if d.name == definition).windows)

    def record(self) -> dict[str, Any]:
        """JSON-ready summary for ``run.json``: each definition with its source, dates, totals."""
        return {
            **self.info,
            "definitions": [{**d.record(), "service_date": self.service_dates[d.name]} for d in self.definitions],
            "grades": self.grades.record(),
            "totals": self.totals.to_dict("records"),
        }


def _dates_record(feeds: Sequence[Feed], days: Sequence[ServiceDay]) -> dict[str, Any]:
    """One definition's service dates over all feeds: date and day type (joined by ``,``), why, and warnings."""
    if not days:
        return {"date": "", "day_type": "all (no timetable)", "reason": "no timetable given", "notes": []}
    many = len(days) > 1
    return {
        "date": ",".join(sorted({str(x.date) for x in days})),
        "day_type": ",".join(sorted({x.day_type for x in days})),
        "reason": "; ".join(f"{f.name}: {x.reason}" if many else x.reason for f, x in zip(feeds, days, strict=True)),
        "notes": [n for x in days for n in x.notes],
        "feeds": {f.name: x.record() for f, x in zip(feeds, days, strict=True)},
    }


def _definitions(definition: DefinitionLike | Sequence[DefinitionLike]) -> list[GapDefinition]:
    items = [definition] if isinstance(definition, (str, Path, GapDefinition)) else list(definition)
    if not items:
        raise ValidationError("no definition given: pass a name from geo.list_gap_definitions() or a .toml path")
    out = [d if isinstance(d, GapDefinition) else read_gap_definition(d) for d in items]
    names = [d.name for d in out]
    if len(set(names)) != len(names):
        raise ValidationError(f"definitions repeat a name: {names}")
    return out


def _feeds(feed: Feed | str | Path | Sequence[Feed | str | Path] | None) -> list[Feed]:
    if feed is None:
        return []
    items = [feed] if isinstance(feed, (Feed, str, Path)) else list(feed)
    return [f if isinstance(f, Feed) else read_feed(f) for f in items]


def _untimed(stops: Any) -> dict[str, gpd.GeoSeries]:
    if stops is None:
        return {}
    layers = dict(stops) if isinstance(stops, Mapping) else {"station": stops}
    out = {}
    for name, layer in layers.items():
        if name not in ("station", "bus"):
            raise ValidationError(f"supply layer {name!r}: name untimed layers 'station' (railway) or 'bus'")
        require_crs(layer, f"supply layer {name!r}")
        out[name] = layer.geometry if isinstance(layer, gpd.GeoDataFrame) else layer
    return out


def _qualifies(deps: pd.DataFrame, d: GapDefinition) -> np.ndarray:
    """(stops, windows) bool: a stop qualifies in a window under definition ``d``."""
    out = []
    day_ok = deps["dep_day"].to_numpy() >= d.min_departures_day
    for w in parse_windows(d.windows):
        n = deps[f"dep_{w.label}"].to_numpy()
        ok = (n >= max(d.min_departures, 1)) & day_ok
        if d.max_headway_min is not None:
            ok &= (n > 0) & (w.minutes / np.maximum(n, 1) <= d.max_headway_min)
        out.append(ok)
    return np.column_stack(out) if out else np.zeros((len(deps), 0), dtype=bool)


def _stop_class(deps: pd.DataFrame, grades: GradeTable, window: str) -> np.ndarray:
    """Class index per stop (0 best) from the mean headway in ``window``; -1 without service there."""
    (w,) = parse_windows([window])
    n = deps[f"dep_{w.label}"].to_numpy()
    headway = np.where(n > 0, w.minutes / np.maximum(n, 1), np.inf)
    limits = np.array([c[1] for c in grades.classes])
    idx = np.searchsorted(limits, headway, side="left")
    return np.where(idx < len(limits), idx, -1)


def service_gaps(
    demand: gpd.GeoDataFrame,
    *,
    definition: DefinitionLike | Sequence[DefinitionLike],
    feed: Feed | str | Path | Sequence[Feed | str | Path] | None = None,
    stops: Any = None,
    date: dt.date | str | None = None,
    windows: Sequence[str] | None = None,
    grades: str | Path | GradeTable = "oev-style",
    areas: gpd.GeoDataFrame | None = None,
    weight: str | None = None,
    crs: CRS | str | int | None = None,
    pref_code: str | None = None,
    demand_note: str = "",
    zones: gpd.GeoDataFrame | None = None,
    added_stops: gpd.GeoDataFrame | None = None,
) -> ServiceGaps:
    """Evaluate one or more 交通空白 definitions by time window, with timetables.

    Parameters
    ----------
    demand : GeoDataFrame
        Mesh cells (judged by their centre) or points, with a CRS; a population-like column weights them.
    definition : name, path or GapDefinition, or a sequence of them
        See :func:`geo.list_gap_definitions`; all are evaluated side by side.
    feed : Feed, path or sequence, optional
        GTFS feeds (zip or folder); their stops have timetables (rail stops follow the ``station`` distance).
    stops : GeoDataFrame or mapping, optional
        Untimed supply: ``{"station": n02_stations, "bus": stops}``; a bare frame is ``station``. Untimed stops
        count in every window (no timetable to say otherwise).
    date : date or str, optional
        Service date or day type (平日 / 土曜 / 日祝) for every definition; None uses each definition's day type.
    windows : sequence of str, optional
        Override every definition's windows (e.g. ``["07-09", "19-22"]``).
    grades : name, path or GradeTable
        Service-grade table (default ``oev-style``).
    areas : GeoDataFrame, optional
        Municipalities for the per-area table.
    weight : str, optional
        Demand weight column (default ``population``/``pop_2020``/``人口`` when present, else cells count 1).
    crs, pref_code
        Metric CRS for distances (default the plane rectangular zone of ``pref_code`` or of the data).
    demand_note : str
        What the demand is (e.g. the method of :func:`geo.grid_demand`), carried into ``info``.
    zones : GeoDataFrame, optional
        On-demand service areas (:func:`geo.zones.read_zones`): a cell whose centre lies in a zone is served in
        every window the zone's hours overlap, on the day types it runs, under every definition. Grades stay
        those of the timetabled and untimed stops.
    added_stops : GeoDataFrame, optional
        New stops with departures per window or a headway (:func:`geo.zones.read_added_stops`), counted like
        the feeds' stops on the day types they run.

    Returns
    -------
    ServiceGaps

    Raises
    ------
    ValidationError
        No supply at all, a date outside a feed's service range (the message gives the range), a supply mode
        that a definition gives no walking distance for, bad definitions or windows.

    Examples
    --------
    >>> cells, _ = geo.grid_demand(areas[areas.muni_code == "21206"])       # doctest: +SKIP
    >>> result = service_gaps(cells, definition=["handbook-urban", "frequency-30"],
    ...                       feed="nakatsugawa_GTFS.zip", stops={"station": stations}, date="2020-11-10")  # doctest: +SKIP
    >>> result.totals                                                          # doctest: +SKIP
    """
    require_crs(demand, "demand")
    defs = _definitions(definition)
    if windows is not None:
        parse_windows(windows)
        defs = [_with_windows(d, tuple(windows)) for d in defs]
    grade_table = grades if isinstance(grades, GradeTable) else read_grade_table(grades)
    feeds = _feeds(feed)
    untimed = _untimed(stops)
    added = read_added_stops(added_stops) if added_stops is not None else None
    timed = bool(feeds) or added is not None
    if not timed and not untimed:
        raise ValidationError("no supply: give feed= (GTFS) and/or stops= (e.g. {'station': N02 stations})")
    modes = set(untimed) | {m for f in feeds for m in f.stops["mode"].unique()}
    modes |= set(added["mode"]) if added is not None else set()
    missing = [f"{d.name}: no walk_m for {m!r}" for d in defs for m in sorted(modes) if m not in d.walk_m]
    if missing:
        raise ValidationError(missing)
    target = metric_crs(demand, pref_code=pref_code) if crs is None else CRS.from_user_input(crs)
    if not target.is_projected:
        raise ValidationError(f"crs {target.name} is geographic: distances need a projected CRS (metres)")
    column = weight_column(demand, weight)
    w = demand_weights(demand, column)
    centres = demand_points(demand, target)
    n = len(demand)
    out = demand.copy()

    all_windows = sorted({lab for d in defs for lab in d.windows} | {grade_table.window})
    reach = max(max(d.walk_m.values()) for d in defs)
    reach = max(reach, grade_table.bands_m[-1])

    # timed stops: one departures table per (feed, date), stops stacked across feeds
    dates: dict[str, dict[str, Any]] = {}
    cache: dict[tuple[int, dt.date], pd.DataFrame] = {}
    per_def_deps: dict[str, pd.DataFrame] = {}
    day_types: dict[str, set[str]] = {}
    for d in defs:
        frames = []
        days: list[ServiceDay] = []
        for i, f in enumerate(feeds):
            day = service_day(f, date if date is not None else d.day_type)
            days.append(day)
            if (i, day.date) not in cache:
                cache[(i, day.date)] = stop_departures(f, date=day.date, windows=all_windows)
            frames.append(cache[(i, day.date)].assign(feed=f.name))
        dates[d.name] = _dates_record(feeds, days)
        day_types[d.name] = {x.day_type for x in days} or {_day_type(date, d)}
        if added is not None:
            frames.append(added_departures(added, parse_windows(all_windows), day_types[d.name]))
        per_def_deps[d.name] = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    stop_frame = next(iter(per_def_deps.values())) if timed else pd.DataFrame()
    if timed:
        stop_pts = gpd.GeoSeries(
            shapely.points(stop_frame["stop_lon"].to_numpy(), stop_frame["stop_lat"].to_numpy()), crs=4326
        )
        stop_xy = to_metric(stop_pts, target).to_numpy()
        tree = shapely.STRtree(stop_xy)
        pairs = tree.query(centres, predicate="dwithin", distance=reach)
        pc, ps = pairs
        pdist = shapely.distance(centres[pc], stop_xy[ps])
        mode = stop_frame["mode"].to_numpy()
        for m in sorted(set(mode)):
            out[f"dist_{m}_m"] = _nearest(centres, stop_xy[mode == m], target)
    else:
        pc = ps = np.zeros(0, dtype=np.int64)
        pdist = np.zeros(0)
    station_dist = {}
    for mode, layer in untimed.items():
        geoms = to_metric(layer, target).to_numpy()
        dist = _nearest(centres, geoms, target)
        station_dist[mode] = dist
        column_name = f"dist_{mode}_m"
        out[column_name] = np.minimum(out[column_name].to_numpy(), dist) if column_name in out else dist

    on_demand = zones_in(read_zones(zones), target) if zones is not None else None
    rows = []
    for d in defs:
        labels = list(d.windows)
        served = np.zeros((n, len(labels)), dtype=bool)
        for mode, dist in station_dist.items():
            served |= (dist <= d.walk_m[mode])[:, None]
        if timed:
            deps = per_def_deps[d.name]
            qual = _qualifies(deps, d)
            limit = np.where(
                deps["mode"].to_numpy() == "station", d.walk_m.get("station", 0.0), d.walk_m.get("bus", 0.0)
            )
            near = pdist <= limit[ps]
            for j in range(len(labels)):
                hit = near & qual[ps, j]
                served[:, j] |= np.bincount(pc[hit], minlength=n) > 0
        if on_demand is not None:
            served |= zone_service(centres, on_demand, parse_windows(labels), day_types[d.name])
        for j, label in enumerate(labels):
            out[f"served_{d.name}_{label}"] = served[:, j]
            gap = ~served[:, j]
            rows.append(
                {
                    "definition": d.name,
                    "window": label,
                    "demand": float(w.sum()),
                    "gap": float(w[gap].sum()),
                    "gap_share_pct": float(w[gap].sum() / w.sum() * 100) if w.sum() > 0 else np.nan,
                    "gap_cells": int(gap.sum()),
                }
            )
        out[f"n_served_{d.name}"] = served.sum(axis=1)
        out[f"served_windows_{d.name}"] = [",".join(np.asarray(labels)[r]) for r in served]

    grade_windows = [grade_table.window] + [lab for lab in all_windows if lab != grade_table.window]
    for label in grade_windows:
        suffix = "" if label == grade_table.window else f"_{label}"
        _grade(out, grade_table, label, suffix, per_def_deps, defs, timed, pc, ps, pdist, station_dist)
    totals = pd.DataFrame(rows)
    by_area = _by_area(out, defs, w, areas, target) if areas is not None else None
    info = {
        "crs": target.to_string(),
        "crs_name": target.name,
        "weight_column": column,
        "demand_unit": "population" if column else "cells (unweighted)",
        "demand_note": demand_note,
        "demand_rows": n,
        "feeds": [{"name": f.name, "service_range": [str(f.service_range[0]), str(f.service_range[1])]} for f in feeds],
        "untimed_layers": sorted(untimed),
        "date_requested": None if date is None else str(date),
        "grade_date": dates[defs[0].name],
    }
    if on_demand is not None:
        info["zones"] = on_demand["name"].tolist()
    if added is not None:
        info["added_stops"] = added["name"].tolist()
    log.info("service gaps: %d definitions × windows on %d cells in %s", len(defs), n, target.name)
    stops = _stop_table(per_def_deps, areas) if timed else None
    return ServiceGaps(out, totals, by_area, defs, grade_table, dates, info, stops)


def _stop_table(per_def_deps: Mapping[str, pd.DataFrame], areas: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """The departures tables of every definition's service day, each (feed, stop, date) once, as points placed
    in the areas."""
    stops = pd.concat([f for f in per_def_deps.values() if len(f)], ignore_index=True)
    key = [c for c in ("feed", "stop_id", "service_date") if c in stops.columns]
    stops = stops.drop_duplicates(key).reset_index(drop=True)
    first = [c for c in ("feed", "stop_id", "stop_name", "mode", "service_date", "day_type") if c in stops.columns]
    stops = stops[first + [c for c in stops.columns if c not in first]]
    points = shapely.points(stops["stop_lon"].to_numpy(float), stops["stop_lat"].to_numpy(float))
    frame = gpd.GeoDataFrame(stops, geometry=points, crs=4326).to_crs(JGD2011)
    if areas is not None and "muni_code" in areas.columns:
        idx = area_index(frame.geometry.to_crs(areas.crs), areas)
        codes = areas["muni_code"].astype(str).to_numpy()
        frame.insert(len(first), "muni_code", np.where(idx >= 0, codes[np.maximum(idx, 0)], None))
    return frame


def _day_type(date: dt.date | str | None, d: GapDefinition) -> str:
    """The day type evaluated without a timetable: the date's, else the definition's."""
    if date is None:
        return d.day_type
    return DAY_TYPES.get(str(date).strip().lower(), DAY_TYPES.get(str(date).strip())) or day_type_of(
        date if isinstance(date, dt.date) else dt.date.fromisoformat(str(date))
    )


def _with_windows(d: GapDefinition, windows: tuple[str, ...]) -> GapDefinition:
    from dataclasses import replace

    return replace(d, windows=windows)


def _nearest(points: np.ndarray, targets: np.ndarray, crs: CRS) -> np.ndarray:
    out = np.full(len(points), np.inf)
    if len(targets) == 0 or len(points) == 0:
        return out
    (src, _), dist = shapely.STRtree(targets).query_nearest(points, return_distance=True, all_matches=False)
    out[src] = dist
    return out


def _grade(
    out: gpd.GeoDataFrame,
    grades: GradeTable,
    window: str,
    suffix: str,
    per_def_deps: dict[str, pd.DataFrame],
    defs: list[GapDefinition],
    timed: bool,
    pc: np.ndarray,
    ps: np.ndarray,
    pdist: np.ndarray,
    station_dist: dict[str, np.ndarray],
) -> None:
    """Best grade per cell over every (stop, distance) within the last band, from the departures in ``window``.

    Grades use the first definition's service day. Untimed stations keep their assumed class in every window.
    """
    letters = sorted({g for row in grades.table.values() for g in row} | {grades.no_service})
    rank = {g: i for i, g in enumerate(letters)}
    names = [c[0] for c in grades.classes]
    lut = np.array([[rank[g] for g in grades.table[c]] for c in names])  # (classes, bands)
    bands = np.asarray(grades.bands_m)
    n = len(out)
    best = np.full(n, rank[grades.no_service])
    best_class = np.full(n, -1)
    best_dist = np.full(n, np.nan)

    def offer(cells: np.ndarray, cls: np.ndarray, dist: np.ndarray) -> None:
        band = np.searchsorted(bands, dist, side="left")
        ok = (cls >= 0) & (band < len(bands))
        cells, cls, dist, band = cells[ok], cls[ok], dist[ok], band[ok]
        g = lut[cls, band]
        order = np.lexsort((dist, g))  # best grade first, then nearest
        cells, g, cls, dist = cells[order], g[order], cls[order], dist[order]
        first = np.unique(cells, return_index=True)[1]
        for c, gg, cc, dd in zip(cells[first], g[first], cls[first], dist[first], strict=True):
            if gg < best[c] or (gg == best[c] and (np.isnan(best_dist[c]) or dd < best_dist[c])):
                best[c], best_class[c], best_dist[c] = gg, cc, dd

    if timed and len(pc):
        cls = _stop_class(per_def_deps[defs[0].name], grades, window)
        offer(pc, cls[ps], pdist)
    station_cls = names.index(grades.untimed_station_class)
    for _mode, dist in station_dist.items():
        idx = np.arange(n)
        offer(idx, np.full(n, station_cls), dist)
    out[f"grade{suffix}"] = np.asarray(letters)[best]
    if not suffix:
        out["grade_class"] = [names[c] if c >= 0 else "" for c in best_class]
        out["grade_dist_m"] = best_dist


def _by_area(
    cells: gpd.GeoDataFrame, defs: list[GapDefinition], w: np.ndarray, areas: gpd.GeoDataFrame, crs: CRS
) -> pd.DataFrame:
    require_crs(areas, "areas")
    centres = gpd.GeoSeries(demand_points(cells, crs), crs=crs).to_crs(areas.crs)
    idx = area_index(centres, areas)
    inside = idx >= 0
    demand = np.bincount(idx[inside], weights=w[inside], minlength=len(areas))
    cols = [c for c in ("muni_code", "muni_name", "pref_code") if c in areas.columns]
    rows = []
    for d in defs:
        for label in d.windows:
            gap = ~cells[f"served_{d.name}_{label}"].to_numpy() & inside
            gw = np.bincount(idx[gap], weights=w[gap], minlength=len(areas))
            gc = np.bincount(idx[gap], minlength=len(areas))
            part = areas[cols].reset_index(drop=True).copy()
            part["definition"] = d.name
            part["window"] = label
            part["demand"] = demand
            part["gap"] = gw
            with np.errstate(divide="ignore", invalid="ignore"):
                part["gap_share_pct"] = np.where(demand > 0, gw / demand * 100, np.nan)
            part["gap_cells"] = gc
            rows.append(part)
    return pd.concat(rows, ignore_index=True)
