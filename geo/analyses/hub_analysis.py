"""Service hubs (地域くらしサービス拠点): catchment rings, coverage, siting and access."""

from __future__ import annotations

import logging
import typing
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import geopandas as gpd
import pandas as pd

from geo._errors import ValidationError
from geo.access import access_2sfca, access_by_area, cumulative_opportunities
from geo.analyses.base import (
    Result,
    credits_with_n03,
    layer_info,
    place_demand,
    resolve_params,
)
from geo.areas import AREA_ROW, AreaSelection, place
from geo.costs import read_cost_matrix
from geo.hub_siting import choose_hubs
from geo.hubs import NAME_COLUMNS, buffer_hubs, union_buffers
from geo.hubs import hub_coverage as coverage_in_memory
from geo.params import Access, HubsParams
from geo.remedies import CURVE_COLUMNS
from geo.report import Report
from geo.store import LayerInfo, Output

log = logging.getLogger(__name__)


ACCESS_MEASURES = typing.get_args(Access)  # the one list: the Literal of HubsParams.access


@dataclass
class HubsResult(Result):
    """Catchment rings, coverage per radius, siting and access of service-hub candidates.

    Attributes
    ----------
    candidates : GeoDataFrame
        The candidates with ``covered_<R>m``, ``exclusive_<R>m`` and ``shared_<R>m`` per radius.
    buffers : GeoDataFrame or None
        One ring per candidate and radius (EPSG:6668; ``metric_crs`` column); None with a cost matrix.
    coverage : DataFrame
        One row per radius: ``radius_m``, ``total``, ``covered``, ``share_pct``, ``metric_crs``.
    per_hub, per_area : DataFrame
        Coverage per candidate and per area, all radii (``radius_m`` column).
    uncovered : dict of GeoDataFrame
        Demand rows no candidate reaches, per radius tag (``"1000m"``).
    chosen, chosen_buffers : GeoDataFrame or None
        With siting: chosen candidates in order (``rank``, ``fixed``, ``gain``, ``cumulative``, …) and rings.
    siting : geo.hub_siting.SitingReport or None
    access : GeoDataFrame or None
        Demand rows with one score column per access measure.
    access_per_area : dict of DataFrame
        Measure → per-area summary.
    demand_note : str
        What the demand is (mesh, points, grid spread by area or proxy).
    curve : DataFrame or None
        With ``curve``: ``hubs_curve.csv``, demand covered as the number of sites grows: ``k`` (sites beyond
        the fixed ones), ``method`` (greedy: one sequence, each k adding ``site_added``; exact: the MCLP optimum
        for that k, CBC), ``covered`` (demand weight within the siting reach of the sites, fixed ones included),
        ``share`` (of the total, 0–1), ``site_added``, ``sites`` (joined by ``、``) and ``optimal``.
    """

    candidates: gpd.GeoDataFrame = field(default=None)  # type: ignore[assignment]
    buffers: gpd.GeoDataFrame | None = None
    coverage: pd.DataFrame = field(default=None)  # type: ignore[assignment]
    per_hub: pd.DataFrame = field(default=None)  # type: ignore[assignment]
    per_area: pd.DataFrame | None = None
    uncovered: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    chosen: gpd.GeoDataFrame | None = None
    chosen_buffers: gpd.GeoDataFrame | None = None
    siting: Any = None
    access: gpd.GeoDataFrame | None = None
    access_per_area: dict[str, pd.DataFrame] = field(default_factory=dict)
    demand_note: str = ""
    curve: pd.DataFrame | None = None

    def outputs(self) -> dict[str, Output]:
        radii = "、".join(f"{r:g} m" for r in self.coverage["radius_m"])
        crs = self.coverage["metric_crs"].iloc[0] if len(self.coverage) else ""
        text = f"拠点候補から {radii} の圏域。距離は {crs} で測定。需要: {self.demand_note}"
        units, titles = {"radius_m": "m", "share_pct": "%"}, {"radius_m": "圏域の半径", "share_pct": "カバー率"}

        def info(title: str, column: str = "") -> LayerInfo:
            return layer_info(self, title, description=text, units=units, titles=titles, column=column)

        out = {"hubs": Output(self.candidates, info("拠点候補")),
               "coverage": Output(self.coverage, info("半径別のカバー人口")),
               "coverage_per_hub": Output(self.per_hub, info("拠点候補別のカバー人口"))}  # fmt: skip
        if self.buffers is not None:
            out["buffers"] = Output(self.buffers, info("拠点の圏域", "radius_m"))
            out["buffers_union"] = Output(union_buffers(self.buffers), info("圏域の和", "radius_m"))
        if self.per_area is not None:
            out["coverage_per_area"] = Output(self.per_area, info("市区町村別のカバー人口"))
        for tag, frame in self.uncovered.items():
            out[f"uncovered_{tag}"] = Output(frame, info(f"圏域外の需要（{tag}）"))
        if self.chosen is not None:
            out["chosen_hubs"] = Output(self.chosen, info("選定した拠点"))
            out["siting"] = Output(pd.DataFrame([self.siting.summary()]), info("拠点選定の概要"))
            if self.chosen_buffers is not None:
                out["chosen_buffers"] = Output(self.chosen_buffers, info("選定した拠点の圏域", "radius_m"))
        if self.access is not None:
            out["access"] = Output(self.access, info("アクセシビリティ"))
        for kind, table in self.access_per_area.items():
            out[f"access_{kind}_per_area"] = Output(table, info(f"市区町村別アクセシビリティ（{kind}）"))
        if self.curve is not None:
            out["hubs_curve"] = Output(self.curve, info("拠点数とカバー人口", "covered"))
        return out


def hubs(
    selection: AreaSelection,
    candidates: gpd.GeoDataFrame,
    demand: gpd.GeoDataFrame | None,
    params: HubsParams | None = None,
    *,
    population: Any = None,
    proxy: Any = None,
    cost: Any = None,
    credits: Sequence[str] = (),
    demand_note: str | None = None,
    **keywords: Any,
) -> HubsResult:
    """Catchment rings, demand coverage per radius, siting and access of service-hub candidates.

    Parameters
    ----------
    selection
        From :func:`select`: demand is placed in it with the one border rule (so the denominators equal those
        of :func:`gaps` for the same demand and areas), coverage is totalled per area, and a single prefecture
        measures in its plane rectangular zone.
    candidates
        Candidate points (地域くらしサービス拠点 候補), as read (candidates beyond the border still serve).
    demand
        Demand points or cells; None with ``population``: the population table spread over the 1 km grid.
    params, **keywords
        :class:`~geo.params.HubsParams`. Siting reach: ``choose_radius_m``, else the smallest radius for
        greedy/swap/exact, none for p-median/p-center (:attr:`~geo.params.HubsParams.siting_radius_m`).
    population, proxy
        Grid demand: the population table (path, pinned name or frame), and a proxy mesh table.
    cost
        A cost matrix or origin–destination table (:func:`geo.read_cost_matrix`) instead of straight lines.
    credits
        Credit lines of the inputs.
    demand_note
        What the given demand is, for every output (e.g. "the gap cells of [gaps]"); default "demand as given".

    Raises
    ------
    ValidationError
        Bad radii, unknown columns or measures, and everything :func:`geo.choose_hubs` refuses.
    """
    p = resolve_params(HubsParams, params, keywords)
    for column, what in ((p.name_column, "name_column"), (p.capacity, "capacity")):
        if column and column not in candidates.columns:
            raise ValidationError(
                f"{what} {column!r} is not a column of the candidates; columns: {list(candidates.columns)[:20]}"
            )
    unknown = sorted(set(p.access) - set(ACCESS_MEASURES))
    if unknown:
        raise ValidationError(f"access measures {unknown} are unknown; use {', '.join(ACCESS_MEASURES)}")
    placed, weight, note, placing_demand = place_demand(
        selection, demand, population=population, proxy=proxy, population_column=p.population_column,
        proxy_column=p.proxy_column, weight=p.weight, snap_m=p.snap_m,
    )  # fmt: skip
    placed = placed.drop(columns=AREA_ROW)
    note = demand_note if demand is not None and demand_note else note
    candidates, placing = place(candidates, selection, snap_m=p.snap_m, name="candidates")
    if candidates.empty:  # once reported as "no hubs given"
        raise ValidationError(
            f"none of the {placing.figures.get('rows', 0)} candidates lies in the selected areas "
            f"({len(selection.areas)} areas) or within snap_m = {p.snap_m:g} m of them; give candidates inside the "
            "areas, or select the areas they are in (--prefecture / --municipality)"
        )
    candidates = candidates.drop(columns=AREA_ROW)
    notes = [*placing_demand.notes, *placing.notes]
    p = replace(p, weight=weight)
    if cost is not None and not hasattr(cost, "pairs"):
        cost = read_cost_matrix(cost, hubs=candidates, demand=placed, hubs_are=p.cost_hubs)
    pref = selection.pref_code
    layer = candidates.copy()
    rows, per_hub, per_area, uncovered = [], [], [], {}
    for r in p.radii_m:
        res = coverage_in_memory(candidates, placed, radius_m=r, weight=p.weight, name=p.name_column,
                                 pref_code=pref, cost=cost)  # fmt: skip
        tag = f"{r:g}m"
        for col in ("covered", "exclusive", "shared"):
            layer[f"{col}_{tag}"] = res.per_hub[col].to_numpy()
        rows.append({"radius_m": r, "total": res.total, "covered": res.covered, "share_pct": res.share * 100,
                     "metric_crs": res.summary().get("metric_crs")})  # fmt: skip
        per_hub.append(res.per_hub.rename_axis("hub_index").reset_index().assign(radius_m=r))
        if res.per_area is not None:
            per_area.append(res.per_area.assign(radius_m=r))
        uncovered[tag] = res.uncovered
    buffers = buffer_hubs(candidates, list(p.radii_m), pref_code=pref) if cost is None else None
    coverage = pd.DataFrame(rows)
    figures: dict[str, Any] = {"candidates": len(candidates), "demand_rows": len(placed), "demand": note,
                               "radii_m": list(p.radii_m), "coverage": rows}  # fmt: skip
    lines = [f"{r['radius_m']:g}: {r['covered']:,.0f} of {r['total']:,.0f} covered ({r['share_pct']:.1f}%)"
             for r in rows]  # fmt: skip
    chosen = chosen_buffers = siting = None
    if p.siting:
        chosen, siting = choose_hubs(
            candidates, placed, k=p.choose, target_share=p.target_share, radius_m=p.siting_radius_m,
            weight=p.weight, method=p.method, pref_code=pref, fixed=list(p.fixed) or None, capacity=p.capacity,
            name=p.name_column, cost=cost,
        )  # fmt: skip
        chosen_buffers = buffer_hubs(chosen, list(p.radii_m), pref_code=pref) if cost is None else None
        figures["siting"] = siting.summary()
        lines.append(str(siting))
        label = p.name_column or next((c for c in NAME_COLUMNS if c in chosen.columns), None)
        for _, row in chosen.iterrows():
            lines.append(f"  {row['rank']:>3}. {row[label] if label else row.name}: +{row['gain']:,.0f} "
                         f"(cumulative {row['cumulative']:,.0f}, {row['cumulative_share']:.1%})")  # fmt: skip
    scores, access_per_area = _access(candidates, placed, p, pref, cost)
    if p.access:
        figures["access"] = {"measures": list(p.access), "radius": min(p.radii_m)}
    lines.append(f"metric CRS: {coverage['metric_crs'].iloc[0]}")
    curve = _curve(candidates, placed, p, pref, cost) if p.curve else None
    if curve is not None:
        figures["coverage_curve"] = curve.to_dict("records")
        best = curve[curve["method"] == "exact"]
        lines.append("coverage curve (exact): " + ", ".join(f"{r.k}: {r.share:.1%}" for r in best.itertuples()))
    report = Report("hubs", figures, notes, text="\n".join([*notes, f"demand: {note}", *lines]))
    return HubsResult(
        report, credits_with_n03(credits), layer, buffers, coverage, pd.concat(per_hub, ignore_index=True),
        pd.concat(per_area, ignore_index=True) if per_area else None, uncovered, chosen, chosen_buffers, siting,
        scores, access_per_area, note, curve,
    )  # fmt: skip


def _curve(candidates: gpd.GeoDataFrame, demand: gpd.GeoDataFrame, p: HubsParams, pref: str | None,
           cost: Any) -> pd.DataFrame:  # fmt: skip
    """Covered demand for k = 1 … ``p.curve`` sites beyond the fixed ones: the greedy sequence (one run) and the
    exact MCLP optimum per k, both by :func:`geo.hub_siting.choose_hubs` at the coverage reach (``choose_radius_m``,
    else the smallest radius); capacities are left out (a curve of reach, not of load)."""
    radius = p.choose_radius_m if p.choose_radius_m is not None else min(p.radii_m)
    top = min(int(p.curve or 0), len(candidates) - len(p.fixed))
    if top < 1:
        raise ValidationError(f"curve: {len(candidates)} candidates leave no site to add beyond {len(p.fixed)} fixed")
    label = p.name_column or next((c for c in NAME_COLUMNS if c in candidates.columns), None)

    def names(frame: gpd.GeoDataFrame) -> list[str]:
        rest = frame[~frame["fixed"]]
        return [str(x) for x in (rest[label] if label else rest.index)]

    common = {"radius_m": radius, "weight": p.weight, "pref_code": pref, "fixed": list(p.fixed) or None,
              "name": p.name_column, "cost": cost}  # fmt: skip
    greedy, report = choose_hubs(candidates, demand, k=top, method="greedy", **common)
    fixed_cover = float(greedy.loc[greedy["fixed"], "gain"].sum())
    order, gains = names(greedy), greedy.loc[~greedy["fixed"], "gain"].to_numpy()
    rows = [{"k": k, "method": "greedy", "covered": fixed_cover + float(gains[:k].sum()), "sites": "、".join(order[:k]),
             "site_added": order[k - 1] if k <= len(order) else "", "optimal": None} for k in range(1, top + 1)]  # fmt: skip
    previous: list[str] = []
    for k in range(1, top + 1):
        exact, rep = choose_hubs(candidates, demand, k=k, method="exact", **common)
        sites = names(exact)
        rows.append({"k": k, "method": "exact", "covered": float(rep.covered), "sites": "、".join(sites),
                     "site_added": "、".join(s for s in sites if s not in previous), "optimal": rep.optimal})  # fmt: skip
        previous = sites
    out = pd.DataFrame(rows)
    out["share"] = out["covered"] / report.total if report.total > 0 else 0.0
    return out[CURVE_COLUMNS]


def _access(candidates: gpd.GeoDataFrame, demand: gpd.GeoDataFrame, p: HubsParams, pref: str | None,
            cost: Any) -> tuple[gpd.GeoDataFrame | None, dict[str, pd.DataFrame]]:  # fmt: skip
    if not p.access:
        return None, {}
    scores = demand.copy()
    per_area: dict[str, pd.DataFrame] = {}
    radius = min(p.radii_m)
    for kind in p.access:
        if kind == "cumulative":
            score = cumulative_opportunities(candidates, demand, radius_m=radius, capacity=p.capacity,
                                             pref_code=pref, cost=cost)  # fmt: skip
        else:
            score = access_2sfca(candidates, demand, radius_m=radius, capacity=p.capacity, weight=p.weight,
                                 decay="gaussian" if kind == "2sfca_gaussian" else None, pref_code=pref,
                                 cost=cost)  # fmt: skip
        scores[score.name] = score.to_numpy()
        if "muni_code" in demand.columns:
            per_area[kind] = access_by_area(demand, score, weight=p.weight)
    return scores, per_area
