"""Remedies for 交通空白 ranked, and the best k chosen together (maximal covering on the gap demand).

A **remedy** is one candidate change that adds service to the baseline (existing service is kept):

``stop``
    New stops with a service level: departures per window (``dep_07-09`` …) or ``headway_min`` with ``start``
    and ``end``, read like a scenario's added stops (:func:`geo.zones.read_added_stops`).
``zone``
    An on-demand (デマンド交通) or ride-share service area with hours and day types (:func:`geo.zones.read_zones`).
``route``
    Added frequency on an existing GTFS route: ``route_id`` and extra departures per window or a headway. Every
    boarding stop the route serves on the evaluated service day gets the extra departures *on top of* the
    departures it has (of every route); the stop is then judged with that total, so frequency adds up.

In every file a row belongs to the remedy named in its ``remedy`` column, else in ``name``: several rows (two
stops, a zone of two polygons, two routes) can make one remedy.

**Evaluation** (:func:`evaluate_remedies`): the baseline and each remedy on its own are evaluated by the one
timetable-gap evaluation (:func:`geo.service_gaps.service_gaps`) on the same demand, definitions, windows and
service day. A (cell, definition, window) is a *gap item* when the cell is 交通空白 in the baseline; a remedy
*removes* it when the cell is served with that remedy added. ``gap_removed`` is the population (the demand
weight) of the items removed, per definition and window.

**Choice** (:func:`choose_remedies`): the maximal covering location problem (MCLP, Church & ReVelle 1974) on the
gap items of the *objective* — the (definition, window) pairs asked for, all evaluated ones by default — with
each item weighted by its cell's population: choose at most ``k`` remedies maximising the population of the
objective's items removed by at least one chosen remedy. Over several pairs the objective is their *sum*
(person-windows: a person served in two windows counts twice), so a remedy that helps all day outranks one
that helps one hour. Solved exactly by CBC through PuLP (:func:`geo.siting.exact_max_cover`, the solver the
hub siting uses); the chosen set is ordered greedily so the marginal gains add up to its coverage.

**Model and joint figure.** The model takes an item as covered when one chosen remedy removes it on its own.
The chosen set is then evaluated jointly (all its remedies added at once, :meth:`RemedyEvaluation.evaluate`).
The joint figure is never below the model's (service only adds), and exceeds it where service adds up across
remedies at one stop: two route remedies calling at the same stop add their extra departures, so the stop can
qualify (enough departures in a window) where neither remedy alone makes it. New stops and zones never add up
(a new stop is its own stop). An item that only a *combination* reaches is invisible to the model, so the choice
cannot aim at it: give such a combination as one remedy (rows sharing a ``remedy`` name) to have it ranked and
chosen on its own merit.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo._errors import ValidationError
from geo.coverage import CoverageTable, table_from_pairs
from geo.demand import demand_weights, weight_column
from geo.gtfs_feed import Feed, feed_names, without_service
from geo.service_gaps import ServiceGaps, service_gaps
from geo.siting import exact_max_cover, greedy_order
from geo.timetable import parse_windows, stop_departures
from geo.zones import added_departures, read_added_stops, read_zones

log = logging.getLogger(__name__)

__all__ = [
    "CURVE_COLUMNS",
    "REMEDY_COLUMNS",
    "Remedy",
    "RemedyChoice",
    "RemedyEvaluation",
    "choose_remedies",
    "coverage_curve",
    "curve_rows",
    "evaluate_remedies",
    "read_remedies",
]

REMEDY_KINDS = ("stop", "zone", "route")
REMEDY_COLUMNS = ["remedy", "kind", "definition", "window", "gap_baseline", "gap_removed", "cells_removed",
                  "share_removed_pct", "rank", "chosen"]  # fmt: skip
"""The columns of ``remedies.csv``: one row per remedy, definition and window (see :class:`RemedyEvaluation`)."""
CURVE_COLUMNS = ["k", "method", "covered", "share", "site_added", "sites", "optimal"]
"""The columns of ``remedies_curve.csv`` and ``hubs_curve.csv`` (:func:`coverage_curve`)."""


@dataclass(frozen=True)
class Remedy:
    """One candidate remedy: its name, kind (``stop``, ``zone``, ``route``) and its rows as read (raw columns,
    so they can be handed to :func:`geo.service_gaps.service_gaps` again alone or with others)."""

    name: str
    kind: str
    rows: pd.DataFrame


def _group(frame: pd.DataFrame) -> pd.Series:
    column = "remedy" if "remedy" in frame.columns else "name"
    return frame[column].astype(str)


def _read(source: Any) -> pd.DataFrame:
    if isinstance(source, pd.DataFrame):
        return source
    path = Path(source)
    if path.suffix.lower() in (".csv", ".txt"):
        return pd.read_csv(path, dtype={"route_id": str, "remedy": str, "name": str}, encoding="utf-8-sig")
    return gpd.read_file(path)


def read_remedies(*, stops: Any = None, zones: Any = None, routes: Any = None) -> list[Remedy]:
    """Candidate remedies from a stop point file, a zone polygon file and a route table (CSV), each optional.

    Parameters
    ----------
    stops
        Points (any CRS): ``name``, departures ``dep_<HH-HH>`` or ``headway_min`` + ``start``/``end``, optional
        ``mode``, ``days``, ``remedy`` (see :func:`geo.zones.read_added_stops`).
    zones
        Polygons: ``name``, ``start``, ``end`` (HH:MM), ``days`` (平日/土曜/日祝), optional ``remedy``.
    routes
        A table (CSV or frame, no geometry): ``name``, ``route_id`` (GTFS), extra departures ``dep_<HH-HH>`` or
        ``headway_min`` + ``start``/``end``, optional ``days``, ``remedy``.

    Returns
    -------
    list of Remedy
        In file order: stops, zones, routes.

    Raises
    ------
    ValidationError
        Rows the readers refuse (file, row and column named), a route row without ``route_id``, no candidate
        at all, or two remedies of different kinds sharing a name.
    """
    out: list[Remedy] = []
    if stops is not None:
        frame = _read(stops)
        read_added_stops(stops if isinstance(stops, (str, Path)) else frame)  # a file: its errors name it
        out += [Remedy(n, "stop", part) for n, part in frame.groupby(_group(frame), sort=False)]
    if zones is not None:
        frame = _read(zones)
        read_zones(zones if isinstance(zones, (str, Path)) else frame)
        out += [Remedy(n, "zone", part) for n, part in frame.groupby(_group(frame), sort=False)]
    if routes is not None:
        what = routes if isinstance(routes, (str, Path)) else "remedy routes"
        frame = pd.DataFrame(_read(routes))
        missing = [c for c in ("name", "route_id") if c not in frame.columns]
        if missing:
            raise ValidationError(f"{what}: columns {missing} missing; a route remedy needs name, route_id and "
                                  "extra departures dep_<HH-HH> or headway_min with start and end")  # fmt: skip
        frame = frame.assign(route_id=frame["route_id"].astype(str))
        if "days" in frame.columns:
            frame["days"] = frame["days"].fillna("毎日")
        probe = gpd.GeoDataFrame(frame.drop(columns=["route_id"]), geometry=[shapely.Point(0, 0)] * len(frame),
                                 crs=4326)  # fmt: skip
        try:
            read_added_stops(probe)
        except ValidationError as exc:
            raise ValidationError(f"{what}: {exc}") from None
        out += [Remedy(n, "route", part) for n, part in frame.groupby(_group(frame), sort=False)]
    if not out:
        raise ValidationError("remedies: give candidate stops, zones or routes (at least one file)")
    names = [r.name for r in out]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValidationError(f"remedies share names across files: {twice}; give each remedy its own name "
                              "(column remedy or name)")  # fmt: skip
    return out


@dataclass
class _RouteStops:
    """A route remedy's stops on the evaluated day: existing departures and the remedy's extra ones."""

    stops: pd.DataFrame  # stop_id, stop_name, stop_lat, stop_lon, mode, feed, dep_<w> (existing), dep_day
    extra: pd.DataFrame  # same rows: dep_<w> and dep_day added by the remedy


def _route_stops(r: Remedy, feeds: Sequence[Feed], date: str, day_type: str, windows: list[str]) -> _RouteStops:
    wins = parse_windows(windows)
    dep = [f"dep_{w.label}" for w in wins] + ["dep_day"]
    parts, extras = [], []
    for row in r.rows.to_dict("records"):
        route = str(row["route_id"])
        feed = next((f for f in feeds if route in feed_names(f)[0]), None)
        if feed is None:
            some = sorted({x for f in feeds for x in feed_names(f)[0]})[:15]
            raise ValidationError(f"remedy {r.name!r}: route_id {route!r} is in no feed; route_ids: {some}")
        base = stop_departures(feed, date=date, windows=windows)
        cut = stop_departures(without_service(feed, routes=[route]), date=date, windows=windows)
        served = base["dep_day"].to_numpy() > cut.set_index("stop_id").loc[base["stop_id"], "dep_day"].to_numpy()
        if not served.any():
            raise ValidationError(f"remedy {r.name!r}: route {route} runs no trip on {date}: no stop to add "
                                  "departures at")  # fmt: skip
        stops = base.loc[served, ["stop_id", "stop_name", "stop_lat", "stop_lon", "mode", *dep]].assign(feed=feed.name)
        points = gpd.GeoDataFrame({k: [v] * len(stops) for k, v in row.items() if k not in ("route_id", "geometry")},
                                  geometry=shapely.points(stops["stop_lon"], stops["stop_lat"]), crs=4326)  # fmt: skip
        more = added_departures(read_added_stops(points.assign(mode="bus")), wins, {day_type})
        parts.append(stops.reset_index(drop=True))
        extras.append(more[dep].reset_index(drop=True))
    return _RouteStops(pd.concat(parts, ignore_index=True), pd.concat(extras, ignore_index=True))


@dataclass
class RemedyEvaluation:
    """The baseline and every candidate remedy evaluated alone (:func:`evaluate_remedies`).

    Attributes
    ----------
    baseline : ServiceGaps
        The baseline (existing service).
    remedies : list of Remedy
    pairs : list of (definition, window)
        Every pair evaluated, in the order of ``baseline.totals``.
    weights : ndarray (cells,)
        The demand weight of each cell (population, or 1 per cell without a weight column).
    gap : ndarray (cells, pairs) bool
        The baseline's gap items.
    removed : ndarray (remedies, cells, pairs) bool
        Items a remedy removes on its own (baseline gap and served with it).
    table : DataFrame
        ``remedies.csv`` without ``chosen`` (:data:`REMEDY_COLUMNS`): ``remedy``, ``kind``, ``definition``,
        ``window``, ``gap_baseline`` and ``gap_removed`` (population, or cells without weights),
        ``cells_removed``, ``share_removed_pct`` (percent of the baseline gap) and ``rank`` (1 = removes the most
        in that definition and window; ties by file order).
    """

    baseline: ServiceGaps
    remedies: list[Remedy]
    pairs: list[tuple[str, str]]
    weights: np.ndarray
    gap: np.ndarray
    removed: np.ndarray
    table: pd.DataFrame
    demand: gpd.GeoDataFrame = field(repr=False)
    context: dict[str, Any] = field(repr=False, default_factory=dict)
    routes: dict[str, _RouteStops] = field(repr=False, default_factory=dict)

    def supply(self, names: Sequence[str]) -> dict[str, gpd.GeoDataFrame | None]:
        """The added supply of the remedies named, together: ``zones`` and ``added_stops`` frames (or None) for
        :func:`geo.service_gaps.service_gaps`. Route remedies sharing a stop add their extra departures up."""
        chosen = [r for r in self.remedies if r.name in set(names)]
        zones = [gpd.GeoDataFrame(r.rows).to_crs(4326) for r in chosen if r.kind == "zone"]
        stops = [gpd.GeoDataFrame(r.rows).to_crs(4326) for r in chosen if r.kind == "stop"]
        routes = [self.routes[r.name] for r in chosen if r.kind == "route"]
        if routes:
            base = pd.concat([x.stops for x in routes], ignore_index=True)
            extra = pd.concat([x.extra for x in routes], ignore_index=True)
            dep = list(extra.columns)
            key = base["feed"] + "\x1f" + base["stop_id"].astype(str)
            first = base.groupby(key, sort=False).first()
            total = first[dep] + extra.groupby(key.to_numpy(), sort=False).sum().loc[first.index]
            rows = gpd.GeoDataFrame({"name": "route:" + first.index.str.replace("\x1f", ":"), "mode": first["mode"],
                                     "days": "毎日", **{c: total[c].to_numpy() for c in dep}},
                                    geometry=shapely.points(first["stop_lon"], first["stop_lat"]), crs=4326)  # fmt: skip
            stops.append(rows.reset_index(drop=True))
        added = None
        if stops:
            added = gpd.GeoDataFrame(pd.concat(stops, ignore_index=True), crs=4326)
            for column, default in (("mode", "bus"), ("days", "毎日")):
                added[column] = added[column].fillna(default) if column in added.columns else default
        return {"zones": gpd.GeoDataFrame(pd.concat(zones, ignore_index=True), crs=4326) if zones else None,
                "added_stops": added}  # fmt: skip

    def evaluate(self, names: Sequence[str]) -> ServiceGaps:
        """The remedies named added together to the baseline, evaluated by :func:`~geo.service_gaps.service_gaps`."""
        return service_gaps(self.demand, **self.context, **self.supply(names))

    def served(self, run: ServiceGaps) -> np.ndarray:
        """(cells, pairs) bool: served in ``run``."""
        return np.column_stack([run.cells[f"served_{d}_{w}"].to_numpy(dtype=bool) for d, w in self.pairs])

    def objective(self, definitions: Sequence[str] = (), windows: Sequence[str] = ()) -> np.ndarray:
        """Positions of the pairs in the objective (all pairs when none is named).

        Raises
        ------
        ValidationError
            A definition or window that was not evaluated.
        """
        defs = {d for d, _ in self.pairs}
        wins = {w for _, w in self.pairs}
        unknown = [x for x in definitions if x not in defs] + [x for x in windows if x not in wins]
        if unknown:
            raise ValidationError(f"objective {unknown} not evaluated; definitions: {sorted(defs)}, windows: "
                                  f"{sorted(wins)}")  # fmt: skip
        keep = [i for i, (d, w) in enumerate(self.pairs)
                if (not definitions or d in definitions) and (not windows or w in windows)]  # fmt: skip
        if not keep:
            raise ValidationError(f"objective: no evaluated pair has definition {list(definitions)} and window "
                                  f"{list(windows)}; pairs: {self.pairs}")  # fmt: skip
        return np.array(keep, dtype=np.int64)

    def covered(self, served: np.ndarray, pairs: np.ndarray) -> float:
        """Population of the baseline's gap items (in ``pairs``) that ``served`` (cells, pairs) serves."""
        hit = self.gap[:, pairs] & served[:, pairs]
        return float((self.weights[:, None] * hit).sum())


def evaluate_remedies(
    demand: gpd.GeoDataFrame,
    remedies: Sequence[Remedy],
    *,
    feeds: Sequence[Feed] = (),
    weight: str | None = None,
    **evaluation: Any,
) -> RemedyEvaluation:
    """The baseline and each remedy alone, on the same demand, definitions, windows and service day.

    Parameters
    ----------
    demand
        Demand cells or points with a CRS (as for :func:`~geo.service_gaps.service_gaps`).
    remedies
        From :func:`read_remedies`.
    feeds
        The baseline's GTFS feeds (read); route remedies name their routes.
    weight
        The demand weight column (population); None: a population-like column when present, else cells count 1
        (as :func:`~geo.service_gaps.service_gaps` decides).
    **evaluation
        Everything else :func:`~geo.service_gaps.service_gaps` takes (``definition``, ``stops``, ``date``,
        ``windows``, ``areas``, ``pref_code``, ``demand_note`` …), used for every evaluation.

    Raises
    ------
    ValidationError
        A route remedy whose route is in no feed or does not run on the day, route remedies when the
        definitions evaluate different service days (give ``date``), and whatever ``service_gaps`` refuses.
    """
    context = {"feed": list(feeds) or None, "weight": weight, **evaluation}
    baseline = service_gaps(demand, **context)
    pairs = list(zip(baseline.totals["definition"], baseline.totals["window"], strict=True))
    weights = demand_weights(demand, weight_column(demand, weight))  # the column service_gaps counts
    routes: dict[str, _RouteStops] = {}
    if any(r.kind == "route" for r in remedies):
        days = {(rec["date"], rec["day_type"]) for rec in baseline.service_dates.values()}
        if len(days) != 1 or "," in next(iter(days))[0]:
            raise ValidationError(f"route remedies need one service day, the definitions evaluate {sorted(days)}: "
                                  "give date (YYYY-MM-DD)")  # fmt: skip
        date, day_type = next(iter(days))
        windows = [baseline.grades.window, *sorted({w for _, w in pairs})]
        windows = list(dict.fromkeys(windows))
        for r in (r for r in remedies if r.kind == "route"):
            routes[r.name] = _route_stops(r, list(feeds), date, day_type, windows)
    evaluation_ = RemedyEvaluation(baseline, list(remedies), pairs, weights, np.zeros(0), np.zeros(0), pd.DataFrame(),
                                   demand, context, routes)  # fmt: skip
    gap = ~evaluation_.served(baseline)
    removed = np.stack([gap & evaluation_.served(evaluation_.evaluate([r.name])) for r in remedies])
    evaluation_.gap, evaluation_.removed = gap, removed
    evaluation_.table = _ranking(evaluation_)
    return evaluation_


def _ranking(e: RemedyEvaluation) -> pd.DataFrame:
    rows = []
    for j, (d, w) in enumerate(e.pairs):
        base = float(e.weights[e.gap[:, j]].sum())
        for i, r in enumerate(e.remedies):
            hit = e.removed[i, :, j]
            rows.append({"remedy": r.name, "kind": r.kind, "definition": d, "window": w, "gap_baseline": base,
                         "gap_removed": float(e.weights[hit].sum()), "cells_removed": int(hit.sum()),
                         "share_removed_pct": float(e.weights[hit].sum() / base * 100) if base > 0 else 0.0,
                         "order": i})  # fmt: skip
    table = pd.DataFrame(rows)
    table = table.sort_values(["definition", "window", "gap_removed", "order"], ascending=[True, True, False, True],
                              kind="stable")  # fmt: skip
    table["rank"] = table.groupby(["definition", "window"], sort=False).cumcount() + 1
    pair_order = {p: i for i, p in enumerate(e.pairs)}
    table["pair"] = [pair_order[(d, w)] for d, w in zip(table["definition"], table["window"], strict=True)]
    table = table.sort_values(["pair", "rank"], kind="stable").drop(columns=["order", "pair"])
    return table.reset_index(drop=True)


@dataclass(frozen=True)
class RemedyChoice:
    """The remedies chosen together (:func:`choose_remedies`).

    Attributes
    ----------
    chosen : DataFrame
        ``order``, ``remedy``, ``kind``, ``gain`` (population of objective items it adds beyond the earlier
        ones, model), ``cumulative``.
    covered_model, covered_joint : float
        Objective population covered: by the model (union of each remedy alone) and by the joint evaluation.
    total : float
        The objective's baseline gap population (over its pairs).
    by_pair : DataFrame
        Per objective pair: ``definition``, ``window``, ``gap_baseline``, ``covered_model``, ``covered_joint``,
        ``gap_after`` (baseline gap − joint).
    optimal : bool
        Whether CBC proved the choice optimal.
    joint : ServiceGaps
        The joint evaluation.
    """

    chosen: pd.DataFrame
    covered_model: float
    covered_joint: float
    total: float
    by_pair: pd.DataFrame
    optimal: bool
    joint: ServiceGaps


def _table(e: RemedyEvaluation, pairs: np.ndarray) -> tuple[CoverageTable, np.ndarray]:
    """Remedy × gap-item incidence over the objective's pairs, as a coverage table, and the items' weights."""
    n_cells, n_pairs = e.gap.shape[0], len(pairs)
    hub, item = np.nonzero(e.removed[:, :, pairs].reshape(len(e.remedies), n_cells * n_pairs))
    weights = np.repeat(e.weights, n_pairs) * e.gap[:, pairs].reshape(-1)
    return table_from_pairs(len(e.remedies), n_cells * n_pairs, hub, item, np.zeros(len(hub)), 0.0), weights


def _exact(table: CoverageTable, weights: np.ndarray, k: int, time_limit: float | None) -> tuple[np.ndarray, bool]:
    """:func:`geo.siting.exact_max_cover`, or nothing when no remedy removes any gap (there is nothing to choose)."""
    if not (weights[table.demand] > 0).any():
        return np.zeros(0, dtype=np.int64), True
    chosen, optimal, _ = exact_max_cover(table, weights, k=k, time_limit=time_limit)
    return chosen, optimal


def choose_remedies(
    e: RemedyEvaluation, k: int, *, definitions: Sequence[str] = (), windows: Sequence[str] = (),
    time_limit: float | None = 60.0,
) -> RemedyChoice:  # fmt: skip
    """The ``k`` remedies (at most) covering the most objective gap population together (MCLP, CBC), ordered
    greedily, with the joint re-evaluation beside the model's figure.

    Raises
    ------
    ValidationError
        ``k`` < 1, an objective definition or window not evaluated.
    """
    if k < 1:
        raise ValidationError(f"choose must be at least 1 remedy, got {k}")
    pairs = e.objective(definitions, windows)
    table, weights = _table(e, pairs)
    chosen, optimal = _exact(table, weights, min(k, len(e.remedies)), time_limit)
    order, gain = greedy_order(table, weights, k=len(chosen), candidates=chosen)
    names = [e.remedies[i].name for i in order]
    joint = e.evaluate(names)
    served = e.served(joint)
    model = np.any(e.removed[order], axis=0) if len(order) else np.zeros_like(e.gap)
    rows = [{"definition": e.pairs[j][0], "window": e.pairs[j][1],
             "gap_baseline": float(e.weights[e.gap[:, j]].sum()),
             "covered_model": e.covered(model, np.array([j])), "covered_joint": e.covered(served, np.array([j]))}
            for j in pairs]  # fmt: skip
    by_pair = pd.DataFrame(rows)
    by_pair["gap_after"] = by_pair["gap_baseline"] - by_pair["covered_joint"]
    frame = pd.DataFrame({"order": np.arange(1, len(order) + 1), "remedy": names,
                          "kind": [e.remedies[i].kind for i in order], "gain": gain, "cumulative": np.cumsum(gain)})  # fmt: skip
    return RemedyChoice(frame, float(gain.sum()), e.covered(served, pairs), float(weights.sum()), by_pair,
                        bool(optimal), joint)  # fmt: skip


def coverage_curve(
    e: RemedyEvaluation, k_max: int | None = None, *, definitions: Sequence[str] = (), windows: Sequence[str] = (),
    time_limit: float | None = 60.0,
) -> pd.DataFrame:  # fmt: skip
    """Covered objective population as the number of remedies grows: the greedy sequence and the exact optimum
    (CBC) for k = 1 … ``k_max`` (default every remedy), model figures (:data:`CURVE_COLUMNS`).

    ``covered`` is population (cells without weights), ``share`` the covered part of the objective's baseline
    gap (0–1), ``site_added`` the remedy greedy adds at k (for exact: the remedies in the optimum at k not in the
    one at k − 1, joined by ``、``), ``sites`` the whole set, ``optimal`` whether CBC proved it (empty for greedy).
    """
    pairs = e.objective(definitions, windows)
    table, weights = _table(e, pairs)
    top = len(e.remedies) if k_max is None else min(int(k_max), len(e.remedies))
    return curve_rows(table, weights, top, [r.name for r in e.remedies], time_limit=time_limit)


def curve_rows(
    table: CoverageTable, weights: np.ndarray, k_max: int, names: Sequence[str], *, time_limit: float | None = 60.0
) -> pd.DataFrame:
    """The coverage curve of any coverage table (remedies or sites): greedy and exact rows for k = 1 … ``k_max``.

    Greedy stops adding when nothing is left to gain; its later rows repeat the coverage with no site added.
    """
    total = float(weights.sum())
    order, gain = greedy_order(table, weights, k=k_max)
    rows: list[dict[str, Any]] = []
    for k in range(1, k_max + 1):
        sites = [names[i] for i in order[:k]]
        rows.append({"k": k, "method": "greedy", "covered": float(gain[:k].sum()), "sites": "、".join(sites),
                     "site_added": names[order[k - 1]] if k <= len(order) else "", "optimal": None})  # fmt: skip
    previous: list[str] = []
    incidence = table.matrix()
    for k in range(1, k_max + 1):
        chosen, optimal = _exact(table, weights, k, time_limit)
        reached = (incidence[chosen].sum(axis=0) > 0) if len(chosen) else np.zeros(table.n_demand, dtype=bool)
        sites = [names[i] for i in chosen]
        rows.append({"k": k, "method": "exact", "covered": float(weights[np.asarray(reached).reshape(-1)].sum()),
                     "sites": "、".join(sites), "site_added": "、".join(s for s in sites if s not in previous),
                     "optimal": bool(optimal)})  # fmt: skip
        previous = sites
    out = pd.DataFrame(rows)
    out["share"] = out["covered"] / total if total > 0 else 0.0
    return out[CURVE_COLUMNS]
