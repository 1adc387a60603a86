"""Scenarios for 交通空白: the baseline and named changes to it, on the same demand and the same definitions.

A scenario (:class:`~geo.params.ScenarioParams`, config ``[[scenarios]]``, ``geo scenarios``) removes GTFS
routes and stops, adds on-demand zones and new stops (:mod:`geo.zones`) and scales the demand (a factor, or a
population projection, :mod:`geo.projections`). Every scenario is evaluated with the baseline's demand
placement, definitions, windows, service day and walking distances, so a difference between a scenario and the
baseline is the scenario's change and nothing else.

Two kinds of rows go into ``scenarios.csv`` (``scenario, muni_code, definition, window, gap_pop,
gap_pop_baseline, delta``):

- **timetable gaps** (a run with GTFS feeds or definitions): one row per definition and time window, judged by
  :func:`geo.service_gaps.service_gaps`;
- **walking-distance gaps** (always): ``definition = "distance"``, ``window = "all-day"``: a demand cell is
  served when a station lies within ``station_m`` or a bus stop within ``bus_m`` of its centre (the
  :class:`~geo.params.GapsParams` distances, 800 m / 300 m by default), whatever their timetables, as
  :func:`geo.analyses.gaps` judges. Distance has no time, so an added stop counts whatever its departures and
  days, and a zone serves everyone inside it if it runs at all — any day type, any hours
  (:func:`geo.zones.zone_reach`). In a timetable run the distances are the nearest-stop distances the
  timetable evaluation measured (``dist_station_m``, ``dist_bus_m``; every stop of the feeds, the untimed
  layers and the added stops); a removed *route* leaves its stops in place
  (:func:`geo.gtfs_feed.without_service`), so it moves timetable rows, not distance rows.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from geo._errors import ValidationError
from geo._inputs import local_file
from geo.analyses.base import Result, credits_with_n03, layer_info, place_demand, resolve_params
from geo.areas import AREA_ROW, AreaSelection, area_index
from geo.crs import metric_crs
from geo.demand import demand_points
from geo.gaps import find_gaps
from geo.gtfs_feed import Feed, feed_names, read_feed, without_service
from geo.hubs import NAME_COLUMNS
from geo.maps.choropleth import map_from, save_map
from geo.params import GapsParams, MapParams, ScenarioParams
from geo.projections import projection_scale, scale_of_areas
from geo.report import Report
from geo.service_gaps import ServiceGaps, service_gaps
from geo.store import Output
from geo.zones import read_added_stops, read_zones, zone_reach, zones_in

log = logging.getLogger(__name__)

SCENARIO_COLUMNS = ["scenario", "muni_code", "definition", "window", "gap_pop", "gap_pop_baseline", "delta"]
"""The columns of ``scenarios.csv`` (the issue's contract)."""
DISTANCE = "distance"
"""``definition`` of the walking-distance rows of ``scenarios.csv``."""
ALL_DAY = "all-day"
"""``window`` of the walking-distance rows (distance gaps have no time)."""
_ID_COLUMNS = ("stop_id", "station_code", "station_id", "id")


@dataclass
class ScenariosResult(Result):
    """交通空白 per scenario beside the baseline (:func:`scenarios`).

    Attributes
    ----------
    table : DataFrame
        ``scenario, muni_code, definition, window, gap_pop, gap_pop_baseline, delta`` (``delta`` = scenario −
        baseline; population where the demand is weighted, else cells), one row per scenario, area, definition
        and window; the walking-distance rows have ``definition = "distance"``, ``window = "all-day"``.
    baseline : ServiceGaps or None
        The baseline's timetable evaluation (None without timetables).
    runs : dict
        Scenario name → its :class:`~geo.service_gaps.ServiceGaps` (empty without timetables).
    distance : dict
        ``""`` (the baseline) and each scenario name → its demand rows (the baseline's rows, weights scaled)
        with ``in_zone`` and ``gap`` (bool, walking distance) and the distance columns.
    areas : GeoDataFrame
        The selected areas (for the difference maps).
    maps : bool
        Draw one difference map per scenario and window when written (:meth:`delta_choropleths`).
    """

    table: pd.DataFrame = field(default=None)  # type: ignore[assignment]
    baseline: ServiceGaps | None = None
    runs: dict[str, ServiceGaps] = field(default_factory=dict)
    distance: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    areas: gpd.GeoDataFrame | None = None
    maps: bool = True

    @property
    def unit(self) -> str:
        return "人" if self.report.figures.get("weight_column") else "セル"

    def outputs(self) -> dict[str, Output]:
        names = "、".join(s["name"] for s in self.report.figures["scenarios"])
        text = (f"シナリオ（{names}）と現況の交通空白（時間帯別・徒歩距離）。同じ需要・定義・時間帯・運行日で評価。"
                "definition = distance は徒歩圏の交通空白（時刻表によらない）。")  # fmt: skip
        units = dict.fromkeys(("gap_pop", "gap_pop_baseline", "delta"), self.unit)
        titles = {"gap_pop": "交通空白（シナリオ）", "gap_pop_baseline": "交通空白（現況）", "delta": "増減"}
        info = layer_info(self, "シナリオ別の交通空白", description=text, units=units, titles=titles, column="delta")
        return {"scenarios": Output(self.table, info)}

    def extra_files(self, folder: Path) -> list[Path]:
        if not self.maps:
            return []
        return [save_map(m, folder / f"{name}.png", params) for name, (m, params) in self.delta_choropleths().items()]

    def delta_choropleths(self) -> dict[str, tuple[Any, MapParams]]:
        """One choropleth of ``delta`` per area for each scenario and each window of the first definition of
        the table (the first timetable definition, else ``distance``), all with **one** classification fitted
        on every map's values (``classes_with``): a colour means the same change on every map of the set, and
        the legends say so. Diverging around 0 (red: more people in a gap); values rounded to 0.1.

        Returns
        -------
        dict
            File stem ``scenario_delta_<n>_<window>`` (``n`` = the scenario's position from 1) → (map, its
            :class:`~geo.params.MapParams`). Empty with fewer than two areas, or no change anywhere.
        """
        t, areas = self.table, self.areas
        if areas is None or len(areas) < 2 or "muni_code" not in areas.columns or not len(t):
            return {}
        definition = t["definition"].iloc[0]
        rows = t[t["definition"] == definition]
        if not rows["delta"].abs().gt(0).any():
            return {}
        scenario_names = list(dict.fromkeys(rows["scenario"]))
        columns: dict[str, tuple[str, str, str]] = {}  # column → (stem, scenario, window)
        wide = pd.DataFrame(index=pd.Index(areas["muni_code"].astype(str), name="muni_code"))
        for n, name in enumerate(scenario_names, start=1):
            for window, part in rows[rows["scenario"] == name].groupby("window", sort=False):
                column = f"delta_{n}_{window}"
                # to 0.1 person: spread population makes equal changes differ in the 12th digit, which would
                # split a class and print 16-digit breaks
                wide[column] = part.set_index("muni_code")["delta"].reindex(wide.index).round(1).to_numpy()
                columns[column] = (f"scenario_delta_{n}_{window}", name, window)
        frame = areas.assign(**{c: wide[c].to_numpy() for c in columns})  # wide is in the areas' order
        when = {w: "" if w == ALL_DAY else f"、{w} 時" for _, _, w in columns.values()}
        titles = {c: f"{name}{when[window]}" for c, (_, name, window) in columns.items()}
        label = "徒歩圏" if definition == DISTANCE else definition
        out = {}
        for column, (stem, name, window) in columns.items():
            params = MapParams(column=column, title=f"{name}：交通空白の増減（{label}{when[window]}）", unit=self.unit,
                               legend="交通空白の増減（シナリオ − 現況）", palette="RdBu_r", midpoint=0.0,
                               scheme="fisher_jenks", classes_with=tuple(c for c in columns if c != column))  # fmt: skip
            out[stem] = (map_from(frame, params, attribution=self.credits, column_titles=titles), params)
        return out


def _without_names(stops: Mapping[str, gpd.GeoDataFrame], names: Sequence[str]) -> tuple[dict, set[str]]:
    """The untimed layers without the stations or stops named (by name or stop id); and the names that matched."""
    out, found = {}, set()
    for kind, layer in stops.items():
        drop = pd.Series(False, index=layer.index)
        for column in (c for c in (*NAME_COLUMNS, *_ID_COLUMNS) if c in layer.columns):
            hit = layer[column].astype(str).isin(names)
            found |= set(layer.loc[hit, column].astype(str))
            drop |= hit
        out[kind] = layer.loc[~drop]
    return out, found


def _scenario_supply(
    s: ScenarioParams, feeds: list[Feed], stops: Mapping[str, gpd.GeoDataFrame]
) -> tuple[list[Feed], dict[str, gpd.GeoDataFrame]]:
    """The feeds and untimed layers with the scenario's routes and stops left out (each name must match)."""
    changed, routes_found, stops_found = [], set(), set()
    for f in feeds:
        routes, stop_names = feed_names(f)
        mine_r = [r for r in s.remove_routes if r in routes]
        mine_s = [x for x in s.remove_stops if x in stop_names]
        routes_found |= set(mine_r)
        stops_found |= set(mine_s)
        changed.append(without_service(f, routes=mine_r, stops=mine_s) if mine_r or mine_s else f)
    untimed, found = _without_names(stops, s.remove_stops) if s.remove_stops else (dict(stops), set())
    problems = []
    unknown_r = [r for r in s.remove_routes if r not in routes_found]
    if unknown_r and not feeds:
        problems.append(f"scenario {s.name!r}: remove_routes {unknown_r} need GTFS feeds (timetable gaps); this "
                        "question has none")  # fmt: skip
    elif unknown_r:
        some = sorted({r for f in feeds for r in feed_names(f)[0]})[:15]
        problems.append(f"scenario {s.name!r}: remove_routes {unknown_r} are in no feed; route_ids: {some}")
    unknown_s = [x for x in s.remove_stops if x not in stops_found | found]
    if unknown_s:
        problems.append(f"scenario {s.name!r}: remove_stops {unknown_s} are no stop_id, stop_name or station name "
                        "of the feeds or the station and bus layers")  # fmt: skip
    if problems:
        raise ValidationError(problems)
    return changed, untimed


def _scales(scenarios: Sequence[ScenarioParams], codes: pd.Series, weight: str | None) -> dict[str, np.ndarray]:
    """Scenario name → the factor of each demand row (a projection read once per source and years)."""
    out, read = {}, {}
    for s in scenarios:
        if s.projection is None and s.demand_scale == 1.0:
            continue
        if weight is None:
            raise ValidationError(f"scenario {s.name!r}: demand_scale and projection need weighted demand "
                                  "(population)")  # fmt: skip
        if s.projection is None:
            out[s.name] = np.full(len(codes), float(s.demand_scale))
            continue
        key = (s.projection, s.projection_year, s.projection_base_year)
        if key not in read:
            read[key] = projection_scale(s.projection, year=int(s.projection_year),  # type: ignore[arg-type]
                                         base_year=s.projection_base_year)  # fmt: skip
        out[s.name] = scale_of_areas(read[key], codes)
    return out


def _with_added(supply: Mapping[str, gpd.GeoDataFrame], added: gpd.GeoDataFrame | None) -> dict[str, Any]:
    """Untimed supply with the added stops joined to the layer of their mode (distance counts any stop)."""
    out: dict[str, Any] = dict(supply)
    if added is None:
        return out
    stops = read_added_stops(added)
    for mode, part in stops.groupby("mode"):
        layer = out.get(mode)
        geoms = part.geometry if layer is None else part.geometry.to_crs(layer.crs)
        joined = geoms if layer is None else pd.concat([layer.geometry, geoms], ignore_index=True)
        out[mode] = gpd.GeoDataFrame(geometry=gpd.GeoSeries(joined, crs=geoms.crs))
    return out


def scenarios(
    selection: AreaSelection,
    demand: gpd.GeoDataFrame | None,
    params: GapsParams | None = None,
    scenarios: Sequence[ScenarioParams] = (),
    *,
    feeds: Sequence[Any] = (),
    stops: Mapping[str, gpd.GeoDataFrame] | None = None,
    zones: Mapping[str, Any] | None = None,
    added_stops: Mapping[str, Any] | None = None,
    population: Any = None,
    credits: Sequence[str] = (),
    **keywords: Any,
) -> ScenariosResult:
    """交通空白 for the baseline and each scenario, by time window and by walking distance, on the same demand
    and definitions (rows: module doc).

    Parameters
    ----------
    selection, demand, params, feeds, stops, population, credits, **keywords
        As for :func:`geo.analyses.transport_gaps`: with feeds or definitions the timetable question
        (:func:`geo.analyses.timetable_gaps`) plus walking distance, else walking distance only
        (:func:`geo.analyses.gaps`; ``stops`` then must hold ``station`` and/or ``bus`` layers).
        ``params.maps``: draw the difference maps.
    scenarios
        :class:`~geo.params.ScenarioParams`, each a named set of changes.
    zones
        Scenario name → its on-demand zones (a polygon file or frame, :func:`geo.zones.read_zones`).
    added_stops
        Scenario name → its new stops (a point file or frame with departures per window or a headway,
        :func:`geo.zones.read_added_stops`).

    Raises
    ------
    ValidationError
        No scenario, two with one name, zones for an unknown scenario, a route or stop in no input, routes
        removed without feeds, a demand scale with unweighted demand, a projection without the year or the
        areas, and everything :func:`geo.analyses.transport_gaps` refuses.
    """
    p = resolve_params(GapsParams, params, keywords)
    names = [s.name for s in scenarios]
    if not names:
        raise ValidationError("scenarios: give at least one scenario")
    if len(set(names)) != len(names):
        raise ValidationError(f"scenarios repeat a name: {names}")
    zones, added = dict(zones or {}), dict(added_stops or {})
    unknown = sorted((set(zones) | set(added)) - set(names))
    if unknown:
        raise ValidationError(f"zones or added stops given for unknown scenarios {unknown}; scenarios: {names}")
    timetable = p.timetable or bool(feeds)
    untimed = dict(stops or {})
    if not timetable:
        if p.date or p.windows:
            raise ValidationError("a service date and time windows need timetables: give definitions and/or GTFS "
                                  "feeds")  # fmt: skip
        if not untimed or set(untimed) - {"station", "bus"}:
            got = sorted(untimed) or "none"
            raise ValidationError(f"supply: give layers of kind 'station' and/or 'bus' (got {got})")
    placed, weight, note, _ = place_demand(selection, demand, population=population, weight=p.weight,
                                           population_column=p.population_column, snap_m=p.snap_m)  # fmt: skip
    rows_area = placed[AREA_ROW].to_numpy()
    placed = placed.drop(columns=AREA_ROW)
    codes = placed["muni_code"] if "muni_code" in placed.columns else placed["pref_code"]
    scales = _scales(scenarios, codes, weight)
    zone_frames = {k: _frame(v, "zone file") for k, v in zones.items()}
    added_frames = {k: _frame(v, "added stops") for k, v in added.items()}
    area_codes = selection.areas["muni_code" if "muni_code" in selection.areas.columns else "pref_code"]
    walk = {"station": p.station_m, "bus": p.bus_m}
    lines = [f"demand: {note}", f"distance rows: walking distance {walk} (definition {DISTANCE!r}, window "
             f"{ALL_DAY!r})"]  # fmt: skip
    base, runs, parts, distance, read, common = None, {}, [], {}, [], {}
    if timetable:
        read = [f if isinstance(f, Feed) else read_feed(local_file(f, what="GTFS feed")) for f in feeds]
        common = {"definition": list(p.definitions) or ["plateau-toshi-kozo"], "date": p.date,
                  "windows": list(p.windows) or None, "areas": selection.areas, "weight": weight,
                  "pref_code": selection.pref_code, "demand_note": note}  # fmt: skip
        base = service_gaps(placed, feed=read or None, stops=untimed or None, **common)
        crs = CRS.from_user_input(base.info["crs"])
        centres = demand_points(placed, crs)
        idx = area_index(gpd.GeoSeries(centres, crs=crs).to_crs(selection.areas.crs), selection.areas)
        distance[""] = _distance_from_cells(base.cells, walk, None, centres, crs)
    else:
        crs = metric_crs(selection.areas, pref_code=selection.pref_code)
        centres, idx = demand_points(placed, crs), rows_area
        distance[""] = _distance_run(placed, untimed, p, weight, crs, None, centres)
    for s in scenarios:
        scaled = placed
        if s.name in scales:
            scaled = placed.assign(**{weight: placed[weight].astype(float) * scales[s.name]})  # type: ignore[index]
        changed, layers = _scenario_supply(s, read if timetable else [], untimed)
        zone = zones_in(read_zones(zone_frames[s.name]), crs) if zone_frames.get(s.name) is not None else None
        if timetable:
            run = service_gaps(scaled, feed=changed or None, stops=layers or None, zones=zone_frames.get(s.name),
                               added_stops=added_frames.get(s.name), **common)  # fmt: skip
            runs[s.name] = run
            part = base.by_area[["muni_code", "definition", "window"]].copy()  # type: ignore[union-attr]
            part.insert(0, "scenario", s.name)
            part["gap_pop"] = run.by_area["gap"].to_numpy()  # type: ignore[index]
            part["gap_pop_baseline"] = base.by_area["gap"].to_numpy()  # type: ignore[union-attr,index]
            parts.append(part)
            distance[s.name] = _distance_from_cells(run.cells, walk, zone, centres, crs)
            for row in run.totals.itertuples(index=False):
                b = base.totals[(base.totals["definition"] == row.definition) & (base.totals["window"] == row.window)]  # type: ignore[union-attr]
                lines.append(f"{s.name:<16} {row.definition:<22} {row.window:>6}: gap {row.gap:,.0f} "
                             f"(baseline {float(b['gap'].iloc[0]):,.0f})")  # fmt: skip
        else:
            layers = _with_added(layers, added_frames.get(s.name))
            distance[s.name] = _distance_run(scaled, layers, p, weight, crs, zone, centres)
        parts.append(_distance_rows(s.name, distance[s.name], distance[""], weight, idx, area_codes))
        gap, gap0 = (_total(distance[k], weight) for k in (s.name, ""))
        lines.append(f"{s.name:<16} {DISTANCE:<22} {ALL_DAY:>6}: gap {gap:,.0f} (baseline {gap0:,.0f})")
    table = pd.concat(parts, ignore_index=True)
    table["delta"] = table["gap_pop"] - table["gap_pop_baseline"]
    table = table[SCENARIO_COLUMNS]
    figures = {"demand": note, "weight_column": weight, "timetable": timetable, "walk_m": walk,
               "crs": crs.to_string(), "crs_name": crs.name,
               "scenarios": [_record(s, table, zone_frames.get(s.name), added_frames.get(s.name), scales.get(s.name))
                             for s in scenarios],
               "baseline": base.record() if base is not None else {"distance_gap": _total(distance[""], weight)}}  # fmt: skip
    return ScenariosResult(Report("scenarios", figures, [], text="\n".join(lines)), credits_with_n03(credits),
                           table, base, runs, distance, selection.areas, p.maps)  # fmt: skip


def _distance_from_cells(cells: gpd.GeoDataFrame, walk: Mapping[str, float], zone: gpd.GeoDataFrame | None,
                         centres: np.ndarray, crs: CRS) -> gpd.GeoDataFrame:  # fmt: skip
    """Walking-distance gaps from a timetable evaluation's nearest-stop distances (``dist_<mode>_m``)."""
    served = np.zeros(len(cells), dtype=bool)
    for mode, metres in walk.items():
        if f"dist_{mode}_m" in cells.columns:
            served |= cells[f"dist_{mode}_m"].to_numpy(dtype=float) <= metres
    in_zone = zone_reach(centres, zone) if zone is not None else np.zeros(len(cells), dtype=bool)
    keep = [c for c in cells.columns if not c.startswith(("served_", "n_served_", "grade"))]
    return cells[keep].assign(in_zone=in_zone, gap=~(served | in_zone))


def _distance_run(demand: gpd.GeoDataFrame, supply: Mapping[str, Any], p: GapsParams, weight: str | None,
                  crs: CRS, zone: gpd.GeoDataFrame | None, centres: np.ndarray) -> gpd.GeoDataFrame:  # fmt: skip
    """Walking-distance gaps as :func:`geo.analyses.gaps` judges them, with the zones' cells served."""
    judged = find_gaps(demand, dict(supply), walk_m=p.walk_m(supply), weight=weight, crs=crs, keep_all=True)
    in_zone = zone_reach(centres, zone) if zone is not None else np.zeros(len(judged), dtype=bool)
    return judged.assign(in_zone=in_zone, gap=judged["gap"].to_numpy() & ~in_zone)


def _weights(frame: pd.DataFrame, weight: str | None) -> np.ndarray:
    return np.ones(len(frame)) if weight is None else frame[weight].to_numpy(dtype=float)


def _total(frame: pd.DataFrame, weight: str | None) -> float:
    return float(_weights(frame, weight)[frame["gap"].to_numpy()].sum())


def _distance_rows(name: str, run: pd.DataFrame, base: pd.DataFrame, weight: str | None, idx: np.ndarray,
                   codes: pd.Series) -> pd.DataFrame:  # fmt: skip
    """Per area: the scenario's and the baseline's walking-distance gap (rows in no area count nowhere)."""
    inside = idx >= 0

    def per_area(frame: pd.DataFrame) -> np.ndarray:
        hit = inside & frame["gap"].to_numpy()
        return np.bincount(idx[hit], weights=_weights(frame, weight)[hit], minlength=len(codes))

    return pd.DataFrame({"scenario": name, "muni_code": codes.to_numpy(), "definition": DISTANCE, "window": ALL_DAY,
                         "gap_pop": per_area(run), "gap_pop_baseline": per_area(base)})  # fmt: skip


def _frame(value: Any, what: str) -> gpd.GeoDataFrame | None:
    if value is None or isinstance(value, gpd.GeoDataFrame):
        return value
    return gpd.read_file(local_file(value, what=what))


def _record(s: ScenarioParams, table: pd.DataFrame, zone: gpd.GeoDataFrame | None, added: gpd.GeoDataFrame | None,
            scale: np.ndarray | None) -> dict[str, Any]:  # fmt: skip
    """A scenario's changes and its delta per definition and window, for ``run.json``."""
    delta = table[table["scenario"] == s.name].groupby(["definition", "window"], sort=False)["delta"].sum()
    record = {"name": s.name, "remove_routes": list(s.remove_routes), "remove_stops": list(s.remove_stops),
              "demand_scale": s.demand_scale, "zones": [] if zone is None else [str(n) for n in zone["name"]],
              "added_stops": [] if added is None else [str(n) for n in added["name"]],
              "delta_by_window": delta.reset_index().to_dict("records")}  # fmt: skip
    if s.projection:
        record["projection"] = {"source": Path(s.projection).name, "year": s.projection_year,
                                "base_year": s.projection_base_year,
                                "scale_range": [float(np.min(scale)), float(np.max(scale))] if scale is not None
                                and len(scale) else []}  # fmt: skip
    return record
