"""Scenarios for 交通空白: the baseline and named changes to it, on the same demand and the same definitions.

A scenario (:class:`~geo.params.ScenarioParams`, config ``[[scenarios]]``) removes GTFS routes and stops,
adds on-demand zones (:mod:`geo.zones`) and scales the demand. Each is evaluated by the one timetable-gap
evaluation (:func:`geo.service_gaps.service_gaps`) with the baseline's demand placement, definitions, windows
and service day, so a difference between a scenario and the baseline is the scenario's change and nothing else.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd

from geo._errors import ValidationError
from geo._inputs import local_file
from geo.analyses.base import Result, credits_with_n03, layer_info, place_demand, resolve_params
from geo.areas import AREA_ROW, AreaSelection
from geo.gtfs_feed import Feed, feed_names, read_feed, without_service
from geo.hubs import NAME_COLUMNS
from geo.params import GapsParams, ScenarioParams
from geo.report import Report
from geo.service_gaps import ServiceGaps, service_gaps
from geo.store import Output

log = logging.getLogger(__name__)

SCENARIO_COLUMNS = ["scenario", "muni_code", "definition", "window", "gap_pop", "gap_pop_baseline", "delta"]
"""The columns of ``scenarios.csv`` (the issue's contract)."""


@dataclass
class ScenariosResult(Result):
    """交通空白 per scenario beside the baseline (:func:`scenarios`).

    Attributes
    ----------
    table : DataFrame
        ``scenario, muni_code, definition, window, gap_pop, gap_pop_baseline, delta`` (``delta`` = scenario −
        baseline; population where the demand is weighted, else cells), one row per scenario, area, definition
        and window.
    baseline : ServiceGaps
        The baseline's evaluation.
    runs : dict
        Scenario name → its :class:`~geo.service_gaps.ServiceGaps`.
    """

    table: pd.DataFrame = field(default=None)  # type: ignore[assignment]
    baseline: ServiceGaps = field(default=None)  # type: ignore[assignment]
    runs: dict[str, ServiceGaps] = field(default_factory=dict)

    def outputs(self) -> dict[str, Output]:
        names = "、".join(self.runs)
        unit = "人" if self.baseline.info.get("demand_unit") == "population" else "セル"
        text = f"シナリオ（{names}）と現況の時間帯別の交通空白。同じ需要・定義・時間帯・運行日で評価。"
        units = {"gap_pop": unit, "gap_pop_baseline": unit, "delta": unit}
        titles = {"gap_pop": "交通空白（シナリオ）", "gap_pop_baseline": "交通空白（現況）", "delta": "増減"}
        info = layer_info(self, "シナリオ別の交通空白", description=text, units=units, titles=titles, column="delta")
        return {"scenarios": Output(self.table, info)}


def _untimed_without(stops: Mapping[str, gpd.GeoDataFrame], names: Sequence[str]) -> tuple[dict, set[str]]:
    """The untimed layers without the stations named; and the names that matched."""
    out, found = {}, set()
    for kind, layer in stops.items():
        drop = pd.Series(False, index=layer.index)
        for column in (c for c in NAME_COLUMNS if c in layer.columns):
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
    untimed, found = _untimed_without(stops, s.remove_stops) if s.remove_stops else (dict(stops), set())
    problems = []
    unknown_r = [r for r in s.remove_routes if r not in routes_found]
    if unknown_r:
        some = sorted({r for f in feeds for r in feed_names(f)[0]})[:15]
        problems.append(f"scenario {s.name!r}: remove_routes {unknown_r} are in no feed; route_ids: {some}")
    unknown_s = [x for x in s.remove_stops if x not in stops_found | found]
    if unknown_s:
        problems.append(f"scenario {s.name!r}: remove_stops {unknown_s} are no stop_id, stop_name or station name "
                        "of the feeds or the station layers")  # fmt: skip
    if problems:
        raise ValidationError(problems)
    return changed, untimed


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
    """交通空白 by time window for the baseline and each scenario, on the same demand and definitions.

    Parameters
    ----------
    selection, demand, params, feeds, stops, population, credits, **keywords
        As for :func:`geo.analyses.timetable_gaps` (the baseline is that question).
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
        No scenario, two with one name, zones for an unknown scenario, a route or stop in no input, a demand
        scale with unweighted demand, and everything :func:`geo.analyses.timetable_gaps` refuses.
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
    placed, weight, note, _ = place_demand(selection, demand, population=population, weight=p.weight,
                                           population_column=p.population_column, snap_m=p.snap_m)  # fmt: skip
    placed = placed.drop(columns=AREA_ROW)
    read = [f if isinstance(f, Feed) else read_feed(local_file(f, what="GTFS feed")) for f in feeds]
    untimed = dict(stops or {})
    common = {"definition": list(p.definitions) or ["plateau-toshi-kozo"], "date": p.date,
              "windows": list(p.windows) or None, "areas": selection.areas, "weight": weight,
              "pref_code": selection.pref_code, "demand_note": note}  # fmt: skip
    base = service_gaps(placed, feed=read or None, stops=untimed or None, **common)
    runs, parts, lines = {}, [], [f"demand: {note}"]
    for s in scenarios:
        changed, layers = _scenario_supply(s, read, untimed)
        scaled = placed
        if s.demand_scale != 1.0:
            if weight is None:
                raise ValidationError(f"scenario {s.name!r}: demand_scale needs weighted demand (population)")
            scaled = placed.assign(**{weight: placed[weight].astype(float) * s.demand_scale})
        run = service_gaps(scaled, feed=changed or None, stops=layers or None,
                           zones=_frame(zones.get(s.name), "zone file"),
                           added_stops=_frame(added.get(s.name), "added stops"), **common)  # fmt: skip
        runs[s.name] = run
        part = base.by_area[["muni_code", "definition", "window"]].copy()
        part.insert(0, "scenario", s.name)
        part["gap_pop"] = run.by_area["gap"].to_numpy()
        part["gap_pop_baseline"] = base.by_area["gap"].to_numpy()
        part["delta"] = part["gap_pop"] - part["gap_pop_baseline"]
        parts.append(part)
        for row in run.totals.itertuples(index=False):
            b = base.totals[(base.totals["definition"] == row.definition) & (base.totals["window"] == row.window)]
            lines.append(f"{s.name:<16} {row.definition:<22} {row.window:>6}: gap {row.gap:,.0f} "
                         f"(baseline {float(b['gap'].iloc[0]):,.0f})")  # fmt: skip
    table = pd.concat(parts, ignore_index=True)[SCENARIO_COLUMNS]
    figures = {"scenarios": [_record(s, runs[s.name], table) for s in scenarios], "baseline": base.record()}
    return ScenariosResult(Report("scenarios", figures, [], text="\n".join(lines)), credits_with_n03(credits),
                           table, base, runs)  # fmt: skip


def _frame(value: Any, what: str) -> gpd.GeoDataFrame | None:
    if value is None or isinstance(value, gpd.GeoDataFrame):
        return value
    return gpd.read_file(local_file(value, what=what))


def _record(s: ScenarioParams, run: ServiceGaps, table: pd.DataFrame) -> dict[str, Any]:
    """A scenario's changes and its delta per definition and window, for ``run.json``."""
    delta = table[table["scenario"] == s.name].groupby(["definition", "window"], sort=False)["delta"].sum()
    return {"name": s.name, "remove_routes": list(s.remove_routes), "remove_stops": list(s.remove_stops),
            "demand_scale": s.demand_scale, "zones": run.info.get("zones", []),
            "added_stops": run.info.get("added_stops", []),
            "delta_by_window": delta.reset_index().to_dict("records")}  # fmt: skip
