"""Choosing hubs (地域くらしサービス拠点) among candidates: the GeoDataFrame layer over :mod:`geo.siting`.

:func:`choose_hubs` measures candidates and demand once (:func:`geo.hubs.prepare_coverage`), then hands the
coverage table to a model of :mod:`geo.siting` — greedy/swap/exact maximal covering (MCLP), p-median, p-center —
with fixed existing sites and capacities, and reports the choice in a :class:`SitingReport`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from geo._errors import ValidationError
from geo.coverage import CoverageTable
from geo.hubs import Cost, Layer, hub_names, prepare_coverage
from geo.siting import COVER_METHODS, METHODS, Siting, choose

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SitingReport:
    """How the hubs of :func:`choose_hubs` were chosen, and how they serve the demand.

    Attributes
    ----------
    method, model
        The method asked for and the model solved: ``"max_cover"`` (MCLP), ``"set_cover"`` (LSCP),
        ``"p_median"`` or ``"p_center"``.
    k, target_share
        What was asked: ``k`` hubs beyond the fixed ones, or the fewest reaching ``target_share``.
    fixed
        Index labels of the hubs kept open (existing sites), in the order given.
    radius_m
        The reach (metres, or the cost matrix's unit); None for p-median/p-center over all pairs.
    metric_crs
        The CRS distances were measured in, or ``"cost matrix (…)"``.
    weight, demand_method
        The demand weight column, and how the demand was made (e.g. municipal population spread over the
        1 km grid by area; ``"points"``; ``"mesh cells (centre)"``).
    total, covered
        Total demand weight; weight within reach of a chosen hub (MCLP/LSCP) or served (assignment models).
    objective
        Covered weight (MCLP/LSCP), Σ weight × cost (p-median) or the worst cost of a served row (p-center).
    mean_cost, max_cost
        Weighted mean and maximum cost from each served demand row to its hub.
    optimal, status
        Whether the solver proved optimality (None for heuristics) and its status text.
    gap
        Exact p-median/p-center: relative gap ``(objective − bound) / objective`` to the
        lower bound HiGHS proved (0 when optimal; above 0 after ``time_limit``); None for the other models.
    capacity
        The hub capacity column, when capacities were used.
    per_hub
        One row per chosen hub (index = hub index label): ``name``, ``fixed``, ``load`` (demand weight served
        by the hub: for coverage models, the demand it is the nearest chosen hub of), ``demand_rows``,
        ``mean_cost``, ``max_cost`` and, with capacities, ``capacity`` and ``utilisation`` (load / capacity).
    assignment
        Per demand row (demand index): the index label of the hub serving it, missing when none does.
    """

    method: str
    model: str
    k: int | None
    target_share: float | None
    fixed: list[object]
    radius_m: float | None
    metric_crs: str
    weight: str | None
    demand_method: str
    total: float
    covered: float
    objective: float
    mean_cost: float
    max_cost: float
    optimal: bool | None
    status: str
    capacity: str | None
    per_hub: pd.DataFrame = field(repr=False)
    assignment: pd.Series = field(repr=False)
    gap: float | None = None

    @property
    def share(self) -> float:
        """Covered (or served) share of the total demand, 0–1."""
        return self.covered / self.total if self.total > 0 else float("nan")

    def summary(self) -> dict[str, object]:
        """One flat row of the figures (for a CSV)."""
        return {
            "method": self.method,
            "model": self.model,
            "k": self.k,
            "fixed": len(self.fixed),
            "hubs": len(self.per_hub),
            "radius_m": self.radius_m,
            "metric_crs": self.metric_crs,
            "weight": self.weight or "count",
            "demand_method": self.demand_method,
            "total": self.total,
            "covered": self.covered,
            "share": self.share,
            "objective": self.objective,
            "mean_cost": self.mean_cost,
            "max_cost": self.max_cost,
            "optimal": self.optimal,
            "gap": self.gap,
            "capacity": self.capacity or "",
        }

    def __str__(self) -> str:
        reach = f"within {self.radius_m:,.0f}" if self.radius_m is not None else "over all pairs"
        fixed = f" ({len(self.fixed)} fixed)" if self.fixed else ""
        return (
            f"{self.model} ({self.method}, {reach}, {self.metric_crs}): {len(self.per_hub)} hubs{fixed} serve "
            f"{self.covered:,.0f} of {self.total:,.0f} ({self.share:.1%}); mean cost {self.mean_cost:,.1f}, "
            f"worst {self.max_cost:,.1f}; optimal={self.optimal}; demand: {self.demand_method}"
        )


_MODEL = {
    "greedy": "max_cover",
    "swap": "max_cover",
    "exact": "max_cover",
    "p_median": "p_median",
    "p_median_swap": "p_median",
}


def demand_method(demand: Layer) -> str:
    """How a demand layer was made, for reports: its ``demand_method`` column (grid demand), else its kind."""
    if isinstance(demand, pd.DataFrame) and "demand_method" in demand.columns:
        return "; ".join(sorted(map(str, demand["demand_method"].dropna().unique())))
    kinds = shapely.get_type_id(demand.geometry.to_numpy())
    if len(kinds) and (kinds == 0).all():
        return "points"
    return (
        "mesh cells (by centre)" if isinstance(demand, pd.DataFrame) and "mesh_code" in demand else "cells (by centre)"
    )


def _resolve_fixed(hubs: Layer, fixed: Sequence[object] | None, name: str | None) -> np.ndarray:
    """Positions of the fixed hubs, given as index labels or names (the ``name`` column or a name column)."""
    if fixed is None or (isinstance(fixed, (str, int)) is False and len(fixed) == 0):
        return np.zeros(0, dtype=np.int64)
    items = [fixed] if isinstance(fixed, (str, int, np.integer)) else list(fixed)
    labels = hub_names(hubs, name)
    by_index = {str(v): i for i, v in enumerate(hubs.index)}
    by_name: dict[str, list[int]] = {}
    if labels is not None:
        for i, v in enumerate(labels.astype(str)):
            by_name.setdefault(v, []).append(i)
    positions, problems = [], []
    for item in items:
        key = str(item)
        if item in hubs.index and hubs.index.get_indexer([item])[0] >= 0:
            positions.append(int(hubs.index.get_indexer([item])[0]))
        elif key in by_index:
            positions.append(by_index[key])
        elif key in by_name and len(by_name[key]) == 1:
            positions.append(by_name[key][0])
        elif key in by_name:
            problems.append(f"fixed site {item!r} names {len(by_name[key])} candidates: give their index labels")
        else:
            problems.append(f"fixed site {item!r} is not among the candidates")
    if problems:
        examples = list(labels.astype(str)[:5]) if labels is not None else list(hubs.index[:5])
        raise ValidationError(
            [
                *problems,
                f"fix: give candidates' index labels or names (e.g. {examples}); add missing sites to the "
                "candidate layer first",
            ]
        )
    if len(set(positions)) != len(positions):
        raise ValidationError(f"fixed sites repeat a candidate: {items}")
    return np.array(positions, dtype=np.int64)


def capacity_values(hubs: Layer, capacity: str | None) -> np.ndarray | None:
    if capacity is None:
        return None
    if not isinstance(hubs, pd.DataFrame) or capacity not in hubs.columns:
        columns = list(hubs.columns)[:20] if isinstance(hubs, pd.DataFrame) else []
        raise ValidationError(f"capacity column {capacity!r} not found among the candidates' columns {columns}")
    raw = hubs[capacity]
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    bad = np.flatnonzero(~np.isfinite(values) | (values < 0))
    if bad.size:
        names = hub_names(hubs, None) if isinstance(hubs, gpd.GeoDataFrame) else None
        listed = ", ".join(
            f"candidate {i + 1}" + (f" {names.iloc[i]}" if names is not None else "") + f" = {raw.iloc[i]}"
            for i in bad[:10]
        )
        raise ValidationError(
            f"capacity column {capacity!r}: {bad.size} missing, negative or non-numeric values ({listed}"
            f"{' …' if bad.size > 10 else ''}; position among the candidates used, from 1): give every "
            "candidate the demand weight it can serve, 0 for none"
        )
    return values


def _pair_costs(table: CoverageTable, hub: np.ndarray, demand: np.ndarray) -> np.ndarray:
    """Cost of given (hub, demand) pairs looked up in the table (sorted by hub, then demand)."""
    keys = table.hub * max(table.n_demand, 1) + table.demand
    want = hub * max(table.n_demand, 1) + demand
    pos = np.searchsorted(keys, want)
    return table.cost[np.minimum(pos, len(keys) - 1)] if len(keys) else np.zeros(len(want))


def choose_hubs(
    hubs: Layer,
    demand: Layer,
    *,
    k: int | None = None,
    radius_m: float | None = None,
    weight: str | None = None,
    method: str = "greedy",
    target_share: float | None = None,
    fixed: Sequence[object] | None = None,
    capacity: str | None = None,
    name: str | None = None,
    crs: CRS | str | int | None = None,
    pref_code: str | None = None,
    cost: Cost | str | Path | pd.DataFrame | None = None,
    time_limit: float | None = 60.0,
) -> tuple[gpd.GeoDataFrame, SitingReport]:
    """Choose hubs: the most demand within reach (MCLP), the fewest for a share (LSCP), p-median or p-center.

    Parameters
    ----------
    hubs, demand, weight, crs, pref_code
        As in :func:`hub_coverage`. Polygon demand larger than a mesh cell is refused: spread it over the
        grid with :func:`geo.grid_demand`.
    k
        Number of hubs to choose beyond the ``fixed`` ones. Must not exceed the candidates left.
    radius_m
        Reach in metres (or in the cost matrix's unit). Required by the coverage methods; optional for
        ``"p_median"``/``"p_center"``, where it caps the cost a demand row may be served along (default: all
        pairs, straight-line in the metric CRS).
    method
        ``"greedy"`` (fast; lazy greedy), ``"swap"`` (greedy improved by exchanges; with ``k``), ``"exact"``
        (MCLP/LSCP integer programme, CBC via PuLP), ``"p_median"`` (least total weighted distance) or
        ``"p_center"`` (least worst distance), both exact (HiGHS; ``report.gap`` is the proven gap).
    target_share
        Instead of ``k``: the fewest hubs that together cover at least this share (0–1] of the demand.
    fixed
        Existing sites that stay open, as index labels or names of candidates; ``k`` more are chosen.
    capacity
        Column of ``hubs`` with the demand weight each can serve (same unit as ``weight``); with
        ``"exact"``, ``"p_median"`` or ``"p_center"``. Each demand row is served whole by one hub.
    name
        Hub label column (default the first of :data:`NAME_COLUMNS`); also matches ``fixed`` names.
    cost
        A hub × demand cost matrix (dense, sparse), a :class:`geo.costs.CostMatrix`, or an origin–destination
        CSV/DataFrame (origin id, destination id, cost) read with :func:`geo.read_cost_matrix`.
    time_limit
        Seconds the exact solver may take; ``report.optimal`` says whether optimality was proven.

    Returns
    -------
    (GeoDataFrame, SitingReport)
        The chosen hubs (copies of their rows, same CRS): fixed first, then in order of choice, with ``rank``
        (1…), ``fixed``, ``gain`` (coverage models: demand each adds to those before it; assignment models:
        demand it serves), ``cumulative``, ``cumulative_share``, ``load`` (demand served, nearest chosen hub
        within reach) and, with capacities, ``capacity`` and ``utilisation``. The report holds the model,
        totals, costs, solver status, per-hub load and each demand row's hub.

    Raises
    ------
    ValidationError
        ``k`` larger than the candidates, fixed sites not among the candidates, capacities that cannot
        serve the demand (by how much), a cost table whose ids match nothing, polygon demand, bad values.

    Examples
    --------
    >>> best, report = choose_hubs(stations, cells, k=5, radius_m=1000)                 # doctest: +SKIP
    >>> best[["station_name", "gain", "cumulative_share"]]                             # doctest: +SKIP
    >>> best, report = choose_hubs(michinoeki, grid, k=3, method="p_median", fixed=["三笠"])  # doctest: +SKIP
    """
    if method not in METHODS:
        raise ValidationError(f"method={method!r} is not one of {', '.join(map(repr, METHODS))}")
    if method in COVER_METHODS and radius_m is None:
        raise ValidationError(f"method={method!r} needs radius_m= (the reach in metres, or in the cost's unit)")
    fixed_pos = _resolve_fixed(hubs, fixed, name)
    cap = capacity_values(hubs, capacity)
    p = prepare_coverage(hubs, demand, radius_m, weight, crs, pref_code, cost)
    siting: Siting = choose(
        p.table,
        p.weights,
        k=k,
        target_share=target_share,
        method=method,
        time_limit=time_limit,
        fixed=fixed_pos,
        capacity=cap,
    )
    model = "set_cover" if target_share is not None else _MODEL.get(method, method)
    assignment = siting.assignment if siting.assignment is not None else np.full(len(p.weights), -1)
    served = assignment >= 0
    w = p.weights
    pair_cost = np.full(len(w), np.nan)
    pair_cost[served] = _pair_costs(p.table, assignment[served], np.flatnonzero(served))
    load = np.bincount(assignment[served], weights=w[served], minlength=p.table.n_hubs)
    rows = np.bincount(assignment[served], minlength=p.table.n_hubs)
    cost_w = np.bincount(assignment[served], weights=(w * np.nan_to_num(pair_cost))[served], minlength=p.table.n_hubs)
    worst = np.zeros(p.table.n_hubs)
    np.maximum.at(worst, assignment[served], np.nan_to_num(pair_cost[served]))
    order = siting.order
    out = hubs.iloc[order].copy()
    if isinstance(out, gpd.GeoSeries):
        out = gpd.GeoDataFrame(geometry=out)
    is_fixed = np.isin(order, fixed_pos)
    out["rank"] = np.arange(1, len(out) + 1)
    out["fixed"] = is_fixed
    out["gain"] = siting.gain
    out["cumulative"] = siting.cumulative
    out["cumulative_share"] = siting.cumulative / siting.total if siting.total > 0 else np.nan
    out["load"] = load[order]
    per_hub = pd.DataFrame(
        {"fixed": is_fixed, "load": load[order], "demand_rows": rows[order]}, index=hubs.index[order]
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        per_hub["mean_cost"] = np.where(load[order] > 0, cost_w[order] / load[order], np.nan)
        per_hub["max_cost"] = np.where(rows[order] > 0, worst[order], np.nan)
        if cap is not None:
            out["capacity"] = cap[order]
            out["utilisation"] = np.where(cap[order] > 0, load[order] / cap[order], np.nan)
            per_hub["capacity"] = cap[order]
            per_hub["utilisation"] = out["utilisation"].to_numpy()
    labels = hub_names(hubs, name)
    if labels is not None:
        per_hub.insert(0, "name", labels.to_numpy()[order])
    hub_labels = np.asarray(hubs.index, dtype=object)
    served_w = float(w[served].sum())
    covered = siting.covered if model in ("max_cover", "set_cover") else served_w
    report = SitingReport(
        method=method,
        model=model,
        k=k,
        target_share=target_share,
        fixed=[hubs.index[i] for i in fixed_pos],
        radius_m=p.radius,
        metric_crs=p.crs_label,
        weight=p.column,
        demand_method=demand_method(demand),
        total=siting.total,
        covered=covered,
        objective=float(siting.objective if siting.objective is not None else covered),
        mean_cost=float(np.nansum(w * pair_cost) / served_w) if served_w > 0 else float("nan"),
        max_cost=float(np.nanmax(pair_cost[served & (w > 0)])) if (served & (w > 0)).any() else float("nan"),
        optimal=siting.optimal,
        status=str(siting.info.get("status", "heuristic" if siting.optimal is None else "")),
        capacity=capacity,
        per_hub=per_hub,
        assignment=pd.Series(
            np.where(served, hub_labels[np.maximum(assignment, 0)], None), index=demand.index, name="hub"
        ),
        gap=float(siting.info["gap"]) if "gap" in siting.info else None,  # type: ignore[arg-type]
    )
    if k is not None and model == "max_cover" and len(out) < k + len(fixed_pos):
        log.warning("only %d of k=%d hubs chosen: the other candidates reach no further demand", len(out), k)
    log.info("%s", report)
    return out, report
