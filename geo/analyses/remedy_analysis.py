"""Remedies for 交通空白 ranked and chosen together: "which k changes close the most gaps in the evening".

The candidates (new stops with a service level, on-demand zones, added frequency on GTFS routes; see
:mod:`geo.remedies`) are judged on the timetable gaps of :class:`~geo.params.GapsParams` — the same demand,
definitions, windows and service day as ``[gaps]`` — with the existing service kept. The choice of
:class:`~geo.params.RemedyParams` ``choose`` remedies is an exact maximal covering problem on the baseline's gap
population (CBC through PuLP), re-evaluated jointly afterwards.
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
from geo.gtfs_feed import Feed, read_feed
from geo.params import GapsParams, RemedyParams, fields_of
from geo.remedies import (
    REMEDY_COLUMNS,
    RemedyChoice,
    RemedyEvaluation,
    choose_remedies,
    coverage_curve,
    evaluate_remedies,
    read_remedies,
)
from geo.report import Report
from geo.store import Output

log = logging.getLogger(__name__)


@dataclass
class RemediesResult(Result):
    """Candidate remedies ranked per definition and window, the best ``choose`` chosen together, and the curve.

    Attributes
    ----------
    table : DataFrame
        ``remedies.csv``, one row per remedy, definition and window: ``remedy``, ``kind`` (stop / zone / route),
        ``definition``, ``window``, ``gap_baseline`` (the baseline's gap population there), ``gap_removed``
        (population of baseline gap cells the remedy serves on its own; cells without weights),
        ``cells_removed``, ``share_removed_pct`` (percent of ``gap_baseline``), ``rank`` (1 = removes the most
        in that definition and window) and ``chosen`` (in the set chosen together).
    chosen : DataFrame
        ``remedies_chosen.csv``: ``order``, ``remedy``, ``kind``, ``gain`` (objective population it adds beyond
        the earlier ones, model) and ``cumulative``.
    joint : DataFrame
        ``remedies_joint.csv``, per objective (definition, window): ``gap_baseline``, ``covered_model`` (union of
        each chosen remedy alone), ``covered_joint`` (the chosen set evaluated together) and ``gap_after``
        (baseline − joint).
    curve : DataFrame or None
        ``remedies_curve.csv``: ``k``, ``method`` (greedy / exact), ``covered`` (objective population, model),
        ``share`` (of the objective's baseline gap, 0–1), ``site_added``, ``sites``, ``optimal``.
    sites, zones : GeoDataFrame or None
        Layers ``remedy_sites`` (points: new stops, and the stops of route remedies) and ``remedy_zones``
        (polygons), EPSG:6668: ``remedy``, ``kind``, ``name`` (the row's own name, or the stop's), ``chosen`` and
        ``gap_removed`` (the remedy's objective population removed on its own, summed over the objective pairs).
    choice : geo.remedies.RemedyChoice
    evaluation : geo.remedies.RemedyEvaluation
        The baseline and every remedy alone (served matrices, the joint re-evaluation).
    """

    table: pd.DataFrame = field(default=None)  # type: ignore[assignment]
    chosen: pd.DataFrame = field(default=None)  # type: ignore[assignment]
    joint: pd.DataFrame = field(default=None)  # type: ignore[assignment]
    curve: pd.DataFrame | None = None
    choice: RemedyChoice = field(default=None)  # type: ignore[assignment]
    evaluation: RemedyEvaluation = field(default=None)  # type: ignore[assignment]
    sites: gpd.GeoDataFrame | None = None
    zones: gpd.GeoDataFrame | None = None

    def outputs(self) -> dict[str, Output]:
        unit = "人" if self.evaluation.baseline.info.get("demand_unit") == "population" else "セル"
        text = ("交通空白の解消策の候補（新設停留所・デマンド区域・路線の増便）を、現況の交通空白のうち各候補が単独で"
                "解消する人口で順位付けし、同時に選ぶ組合せを最大被覆問題（CBC）で求めた。既存のサービスは維持。")  # fmt: skip
        units = {c: unit for c in ("gap_baseline", "gap_removed", "gain", "cumulative", "covered_model",
                                   "covered_joint", "gap_after", "covered")} | {"share_removed_pct": "%"}  # fmt: skip
        titles = {"gap_baseline": "現況の交通空白", "gap_removed": "解消する交通空白", "rank": "順位",
                  "chosen": "選定", "gain": "追加の解消人口", "covered_model": "解消（モデル）",
                  "covered_joint": "解消（同時評価）", "gap_after": "実施後の交通空白", "covered": "解消人口",
                  "share": "解消率"}  # fmt: skip

        def info(title: str, column: str = "") -> Any:
            return layer_info(self, title, description=text, units=units, titles=titles, column=column)

        out = {"remedies": Output(self.table, info("解消策の順位", "gap_removed")),
               "remedies_chosen": Output(self.chosen, info("同時に選んだ解消策", "gain")),
               "remedies_joint": Output(self.joint, info("選んだ解消策の同時評価", "covered_joint"))}  # fmt: skip
        if self.curve is not None:
            out["remedies_curve"] = Output(self.curve, info("解消策の数と解消人口", "covered"))
        if self.sites is not None:
            out["remedy_sites"] = Output(self.sites, info("解消策の候補（停留所）", "gap_removed"))
        if self.zones is not None:
            out["remedy_zones"] = Output(self.zones, info("解消策の候補（デマンド区域）", "gap_removed"))
        return out


def _split(keywords: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    gaps = {f.name for f in fields_of(GapsParams)}
    remedy = {f.name for f in fields_of(RemedyParams)}
    unknown = sorted(set(keywords) - gaps - remedy)
    if unknown:
        raise ValidationError(f"remedies: unknown parameter(s) {unknown}; allowed: {', '.join(sorted(gaps | remedy))}")
    return ({k: v for k, v in keywords.items() if k in gaps}, {k: v for k, v in keywords.items() if k in remedy})


def remedies(
    selection: AreaSelection,
    demand: gpd.GeoDataFrame | None,
    params: GapsParams | None = None,
    remedy: RemedyParams | None = None,
    *,
    feeds: Sequence[Any] = (),
    stops: Mapping[str, gpd.GeoDataFrame] | None = None,
    add_stops: Any = None,
    add_zones: Any = None,
    add_routes: Any = None,
    population: Any = None,
    credits: Sequence[str] = (),
    **keywords: Any,
) -> RemediesResult:
    """Rank candidate remedies by the 交通空白 each removes, choose the best ``choose`` together, draw the curve.

    Parameters
    ----------
    selection, demand, feeds, stops, population, credits
        As for :func:`geo.analyses.timetable_gaps` (the baseline is that question, existing service kept).
    params, remedy, **keywords
        :class:`~geo.params.GapsParams` (demand, definitions, windows, date) and
        :class:`~geo.params.RemedyParams` (``choose``, the objective, ``curve``), or their fields as keywords.
    add_stops
        Candidate stops: a point file or frame, one remedy per ``remedy`` (else ``name``), with departures per
        window ``dep_<HH-HH>`` or ``headway_min`` + ``start``/``end`` (:func:`geo.zones.read_added_stops`).
    add_zones
        Candidate on-demand zones: a polygon file or frame with ``name``, ``start``, ``end``, ``days``.
    add_routes
        Candidate frequency: a CSV or frame with ``name``, ``route_id`` and extra departures ``dep_<HH-HH>`` or
        ``headway_min`` + ``start``/``end``, added at every stop the route serves on the day.

    Returns
    -------
    RemediesResult

    Raises
    ------
    ValidationError
        No candidate, no GTFS feed with route remedies, an objective pair not evaluated, and everything
        :func:`geo.remedies.read_remedies`, :func:`geo.remedies.evaluate_remedies` and the timetable gaps refuse.
    """
    gap_kw, remedy_kw = _split(keywords)
    p = resolve_params(GapsParams, params, gap_kw)
    r = resolve_params(RemedyParams, remedy, remedy_kw)
    candidates = read_remedies(stops=_input(add_stops, "candidate stops"), zones=_input(add_zones, "candidate zones"),
                               routes=_input(add_routes, "candidate routes"))  # fmt: skip
    placed, weight, note, _ = place_demand(selection, demand, population=population, weight=p.weight,
                                           population_column=p.population_column, snap_m=p.snap_m)  # fmt: skip
    placed = placed.drop(columns=AREA_ROW)
    read = [f if isinstance(f, Feed) else read_feed(local_file(f, what="GTFS feed")) for f in feeds]
    if any(c.kind == "route" for c in candidates) and not read:
        raise ValidationError("route remedies add departures to GTFS routes: give the feeds (gtfs)")
    e = evaluate_remedies(placed, candidates, feeds=read, weight=weight, stops=dict(stops or {}) or None,
                          definition=list(p.definitions) or ["plateau-toshi-kozo"], date=p.date,
                          windows=list(p.windows) or None, areas=selection.areas, pref_code=selection.pref_code,
                          demand_note=note)  # fmt: skip
    objective = {"definitions": r.objective_definitions, "windows": r.objective_windows}
    choice = choose_remedies(e, r.choose, **objective)
    curve = None if r.curve == 0 else coverage_curve(e, r.curve, **objective)
    table = e.table.assign(chosen=e.table["remedy"].isin(set(choice.chosen["remedy"])))[REMEDY_COLUMNS]
    pairs = [f"{d} {w}" for d, w in zip(choice.by_pair["definition"], choice.by_pair["window"], strict=True)]
    figures = {"candidates": [{"remedy": c.name, "kind": c.kind} for c in candidates], "choose": r.choose,
               "objective": pairs, "chosen": choice.chosen["remedy"].tolist(), "covered_model": choice.covered_model,
               "covered_joint": choice.covered_joint, "objective_gap": choice.total, "optimal": choice.optimal,
               "baseline": e.baseline.record()}  # fmt: skip
    lines = [f"demand: {note}", f"objective: {', '.join(pairs)} (gap {choice.total:,.0f}, summed over the pairs)"]
    for row in choice.chosen.itertuples(index=False):
        lines.append(f"  {row.order}. {row.remedy} ({row.kind}): +{row.gain:,.0f} (cumulative {row.cumulative:,.0f})")
    lines.append(f"covered: model {choice.covered_model:,.0f}, joint {choice.covered_joint:,.0f}"
                 f"{'' if choice.optimal else ' (not proved optimal)'}")  # fmt: skip
    sites, zones = _layers(e, e.objective(**objective), set(choice.chosen["remedy"]))
    return RemediesResult(Report("remedies", figures, [], text="\n".join(lines)), credits_with_n03(credits), table,
                          choice.chosen, choice.by_pair, curve, choice, e, sites, zones)  # fmt: skip


def _layers(e: RemedyEvaluation, pairs: Any, chosen: set[str]) -> tuple[gpd.GeoDataFrame | None, ...]:
    """The candidates on the map: stop points (new stops, route remedies' stops) and zone polygons."""
    points, polygons = [], []
    for i, r in enumerate(e.remedies):
        figures = {"remedy": r.name, "kind": r.kind, "chosen": r.name in chosen,
                   "gap_removed": e.covered(e.removed[i], pairs)}  # fmt: skip
        if r.kind == "route":
            stops = e.routes[r.name].stops.drop_duplicates(["feed", "stop_id"])
            frame = gpd.GeoDataFrame({"name": stops["stop_name"].to_numpy()}, crs=4326,
                                     geometry=gpd.points_from_xy(stops["stop_lon"], stops["stop_lat"]))  # fmt: skip
        else:
            frame = gpd.GeoDataFrame(r.rows)[["name", "geometry"]].reset_index(drop=True)
        frame = frame.to_crs(6668).assign(**figures)[["remedy", "kind", "name", "chosen", "gap_removed", "geometry"]]
        (polygons if r.kind == "zone" else points).append(frame)
    return tuple(gpd.GeoDataFrame(pd.concat(x, ignore_index=True), crs=6668) if x else None
                 for x in (points, polygons))  # fmt: skip


def _input(value: Any, what: str) -> Any:
    """A file argument made local (a path or pinned source); frames pass through."""
    if value is None or isinstance(value, pd.DataFrame):
        return value
    return local_file(value, what=what)
