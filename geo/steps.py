"""The analysis steps: the one spine that ``geo run``, every ``geo`` subcommand and the Python API share.

Each step is a plain function of typed inputs that returns frames plus an explicit :class:`Report`; nothing
passes through ``DataFrame.attrs`` or a mutable bag. A config section (:mod:`geo.config`), the options of a
subcommand (:mod:`geo.cli`) and the keywords of an API call are only three ways of filling in the same
parameters, so the same question gives the same numbers however it is asked.

The rule for demand near the border (:func:`place`) lives here once:

* a row belongs to the area that contains its representative point;
* a row whose point lies in **no** area of the boundary file (the sea or a sliver opened by simplification)
  goes to the nearest area of the selection within ``snap_m`` metres (default :data:`DEMAND_SNAP_M`);
* a row whose point lies in an area **outside** the selection (a neighbouring prefecture) is outside the run:
  it is counted in the report (rows and weight), never silently dropped, and never counted twice.

Example
-------
>>> import geo
>>> sel = geo.steps.select_areas("n03-2021-s0010", prefectures=["山梨県"])           # doctest: +SKIP
>>> result = geo.steps.gaps(sel, cells, {"station": stations}, walk_m={"station": 800})  # doctest: +SKIP
>>> print(result.report)                                                                 # doctest: +SKIP
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo._errors import ValidationError

log = logging.getLogger(__name__)

DEMAND_SNAP_M = 1000.0
"""Demand whose point lies in no area at all but within this many metres of the selection (a cell on a
simplified coast or border) is counted in the nearest selected area. 1 km is one mesh cell: the 1 % N03
simplification moves coasts and borders by up to a few hundred metres."""

_AREA = "_area_row"  # position of the containing area in the selection; internal, dropped before returning


@dataclass
class Report:
    """What a step did, for people (``str(report)``) and for ``run.json`` (:meth:`to_dict`).

    Attributes
    ----------
    step : str
        The step's name (``"gaps"``, ``"place"`` …).
    figures : dict
        Named numbers (totals, counts, distances in metres, the CRS used).
    notes : list of str
        Sentences a user should read (rows left out and why, rules applied).
    """

    step: str
    figures: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"step": self.step, **self.figures, "notes": list(self.notes)}

    def __str__(self) -> str:
        return "\n".join([f"{self.step}: " + ", ".join(f"{k}={_fmt(v)}" for k, v in self.figures.items()),
                          *(f"  {n}" for n in self.notes)])  # fmt: skip


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.6g}" if abs(value) < 1e6 else f"{value:,.0f}"
    return str(value)


# ------------------------------------------------------------------------------------------------ areas


@dataclass
class AreaSelection:
    """The run's areas and the boundary file they were taken from (to tell 'outside' from 'nowhere').

    Attributes
    ----------
    areas : GeoDataFrame
        The selected areas, canonical schema, EPSG:6668.
    all_areas : GeoDataFrame
        Every area of the boundary file at the same level (equal to ``areas`` when nothing was selected).
    source : str
        The boundary file or pinned source name.
    """

    areas: gpd.GeoDataFrame
    all_areas: gpd.GeoDataFrame
    source: str

    @property
    def pref_code(self) -> str | None:
        """The single prefecture of the selection (its plane rectangular zone measures), else None."""
        prefs = self.areas["pref_code"].dropna().unique()
        return str(prefs[0]) if len(prefs) == 1 else None


def select_areas(
    source: Any,
    *,
    level: str = "municipality",
    prefectures: Sequence[str] = (),
    municipalities: Sequence[str] = (),
) -> AreaSelection:
    """Read boundaries and select prefectures and/or municipalities.

    Parameters
    ----------
    source
        A boundary file/folder or a pinned source name (:func:`geo.read_boundaries`).
    level
        ``"municipality"``, ``"designated_city"`` or ``"prefecture"``.
    prefectures, municipalities
        Codes or names; empty keeps everything.

    Raises
    ------
    ValidationError
        A municipality code not in the file, or municipalities asked for at prefecture level.
    """
    from geo.boundaries import read_boundaries
    from geo.codes import normalize_muni_code, normalize_pref_code

    all_areas = read_boundaries(source, level=level)
    areas = all_areas
    if prefectures:  # selected from the file read once, not read again
        wanted = {normalize_pref_code(p) for p in prefectures}
        areas = all_areas[all_areas["pref_code"].isin(wanted)].reset_index(drop=True)
    if municipalities:
        if level == "prefecture":
            raise ValidationError("municipalities need level 'municipality' or 'designated_city', not 'prefecture'")
        pref = prefectures[0] if len(prefectures) == 1 else None
        codes = {normalize_muni_code(m, pref=pref) for m in municipalities}
        missing = sorted(codes - set(areas["muni_code"].dropna()))
        if missing:
            raise ValidationError(f"municipality code(s) {missing} not in {source}", source=source)
        areas = areas[areas["muni_code"].isin(codes)].reset_index(drop=True)
    return AreaSelection(areas=areas, all_areas=all_areas, source=str(source))


def _points_of(layer: gpd.GeoDataFrame) -> np.ndarray:
    """One point per row: points as they are, cells and polygons by a point inside them."""
    geoms = layer.geometry.to_numpy()
    return np.where(shapely.get_type_id(geoms) == 0, geoms, shapely.point_on_surface(geoms))


def place(
    layer: gpd.GeoDataFrame,
    selection: AreaSelection,
    *,
    snap_m: float | None = DEMAND_SNAP_M,
    weight: str | None = None,
    name: str = "layer",
) -> tuple[gpd.GeoDataFrame, Report]:
    """Give each row of ``layer`` the area of the selection it belongs to; rows outside are left out and reported.

    Parameters
    ----------
    layer
        Points or cells (polygons, placed by a point inside them), any CRS.
    selection
        From :func:`select_areas`.
    snap_m
        Rows in no area of the boundary file within this many metres of the selection go to the nearest
        selected area (see the module docstring); None or 0: they are outside.
    weight
        A weight column whose total outside the selection is reported (e.g. population).
    name
        The layer's name in the report.

    Returns
    -------
    (GeoDataFrame, Report)
        The rows inside the selection (original order, fresh index, geometry unchanged) with the
        selection's ``pref_code``/``muni_code``/``muni_name`` (where present); the report gives ``rows``,
        ``inside``, ``snapped``, ``outside`` and, with a weight, ``outside_weight``.
    """
    from geo.crs import metric_crs
    from geo.points import area_index

    areas = selection.areas
    pts = gpd.GeoSeries(_points_of(layer), crs=layer.crs).to_crs(areas.crs)
    idx = area_index(pts, areas)
    snapped = np.zeros(len(layer), dtype=bool)
    missing = np.flatnonzero(idx < 0)
    if missing.size and selection.all_areas is not areas:
        elsewhere = area_index(pts.iloc[missing], selection.all_areas) >= 0
        nowhere = missing[~elsewhere]
    else:
        nowhere = missing
    if snap_m and nowhere.size:
        crs = metric_crs(areas, pref_code=selection.pref_code)
        tree = shapely.STRtree(areas.geometry.to_crs(crs).to_numpy())
        near = pts.iloc[nowhere].to_crs(crs).to_numpy()
        (src, tgt), _ = tree.query_nearest(near, max_distance=snap_m, return_distance=True, all_matches=False)
        idx[nowhere[src]] = tgt
        snapped[nowhere[src]] = True
    inside = idx >= 0
    out = layer.loc[inside].copy()
    for column in ("pref_code", "muni_code", "muni_name"):
        if column in areas.columns:
            out[column] = areas[column].to_numpy()[idx[inside]]
    out[_AREA] = idx[inside]
    out = out.reset_index(drop=True)
    figures: dict[str, Any] = {"rows": len(layer), "inside": int(inside.sum()), "snapped": int(snapped.sum()),
                               "outside": int((~inside).sum())}  # fmt: skip
    notes = []
    if weight is not None and weight in layer.columns:
        w = pd.to_numeric(layer[weight], errors="coerce").to_numpy(dtype=float)
        figures["outside_weight"] = float(np.nansum(w[~inside]))
    if figures["snapped"]:
        notes.append(f"{figures['snapped']} rows of {name} lie in no area but within {snap_m:g} m of one: "
                     "counted in the nearest area")  # fmt: skip
    if figures["outside"]:
        extra = f" ({weight} {figures['outside_weight']:,.0f})" if "outside_weight" in figures else ""
        notes.append(f"{figures['outside']} rows of {name}{extra} lie outside the selected areas: left out")
    return out, Report("place", figures, notes)


def _public(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return frame.drop(columns=[_AREA], errors="ignore")


# ------------------------------------------------------------------------------------------------- join


def join(
    selection: AreaSelection,
    table: pd.DataFrame,
    *,
    columns: Sequence[str] | None = None,
    how: str = "left",
    as_of: str | None = None,
    boundaries_as_of: str | None = None,
    weights: Any = None,
    intensive: Any = None,
) -> tuple[gpd.GeoDataFrame, Any]:
    """Join an indicator table to the selected areas, by code, with the match report.

    Rows of prefectures outside the selection are outside the question, not unmatched: they are counted in
    ``report.rows_outside_selection`` and left out before the join (so a 山梨 run does not list 1,714 rows of
    other prefectures as failures). With ``as_of`` the table's codes are converted to the boundaries' date
    first (:func:`geo.convert_codes`); the boundaries' date is known for pinned sources.

    Parameters
    ----------
    selection
        From :func:`select_areas`.
    table
        From :func:`geo.read_indicators` (``muni_code`` or ``pref_code``).
    columns
        The indicator columns to join (default all).
    how, as_of, boundaries_as_of, weights, intensive
        As in :func:`geo.join_indicators`.

    Returns
    -------
    (GeoDataFrame, JoinReport)
    """
    from geo.indicators import join_indicators

    code = "muni_code" if "muni_code" in table.columns else "pref_code"
    outside = 0
    if selection.areas is not selection.all_areas and "pref_code" in selection.areas.columns:
        inside = table[code].str[:2].isin(selection.areas["pref_code"].dropna().unique())
        outside = int((~inside & table[code].notna()).sum())
        table = table[inside | table[code].isna()]
    if columns is not None:
        table = table[[code, *(["source_row"] if "source_row" in table.columns else []), *columns]]
    if as_of and boundaries_as_of is None:
        from geo.crosswalk import boundary_date

        day = boundary_date(selection.source)
        boundaries_as_of = day.isoformat() if day is not None else None
    extra = {"as_of": as_of, "boundaries_as_of": boundaries_as_of, "weights": weights, "intensive": intensive}
    joined, report = join_indicators(selection.areas, table, how=how, **{k: v for k, v in extra.items() if v})
    report.rows_outside_selection = outside
    return joined, report


# ------------------------------------------------------------------------------------------------- gaps


@dataclass
class GapsResult:
    """What :func:`gaps` returns.

    Attributes
    ----------
    cells : GeoDataFrame
        The demand rows in the selection that are gaps, with ``muni_code``, ``dist_<layer>_m`` and ``dist_m``.
    by_area : GeoDataFrame
        The selected areas with ``demand_population``, ``gap_population``, ``gap_share_pct`` (percent, NaN
        where there is no demand), ``demand_cells`` and ``gap_cells``.
    report : Report
        Totals (``demand_weight``, ``gap_weight``, ``gap_share_pct``), rows left out, CRS and distances.
    """

    cells: gpd.GeoDataFrame
    by_area: gpd.GeoDataFrame
    report: Report


def gaps(
    selection: AreaSelection,
    demand: gpd.GeoDataFrame,
    supply: Mapping[str, gpd.GeoDataFrame],
    *,
    walk_m: Mapping[str, float] | None = None,
    weight: str | None = None,
    snap_m: float | None = DEMAND_SNAP_M,
) -> GapsResult:
    """Transport gaps (交通空白) of the selection's demand, per area, with one border rule (:func:`place`).

    Parameters
    ----------
    selection
        From :func:`select_areas`.
    demand
        Mesh cells or points with a weight column (default ``population``/``pop_2020``/``人口``; else counts).
    supply
        Layer name → stops/stations, as read (supply beyond the selection still serves its residents).
    walk_m
        Walking distance in metres per supply layer (defaults :data:`geo.gaps.DEFAULT_WALK_M`).
    weight
        Demand weight column.
    snap_m
        See :func:`place`.

    Raises
    ------
    ValidationError
        Unknown weight column, bad weights, no supply, bad walking distances (:func:`geo.find_gaps`).
    """
    from geo.crs import metric_crs
    from geo.gaps import find_gaps, weight_column

    column = weight_column(demand, weight)
    placed, placing = place(demand, selection, snap_m=snap_m, weight=column, name="demand")
    crs = metric_crs(selection.areas, pref_code=selection.pref_code)
    judged = find_gaps(placed, dict(supply), walk_m=walk_m, weight=column, crs=crs, keep_all=True)
    w = np.ones(len(judged)) if column is None else judged[column].to_numpy(dtype=float)
    gap = judged["gap"].to_numpy(dtype=bool)
    n = len(selection.areas)
    by_area = selection.areas.copy()
    idx = judged[_AREA].to_numpy()
    by_area["demand_population"] = np.bincount(idx, weights=w, minlength=n)
    by_area["gap_population"] = np.bincount(idx[gap], weights=w[gap], minlength=n)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = by_area["gap_population"].to_numpy() / by_area["demand_population"].to_numpy() * 100
    by_area["gap_share_pct"] = np.where(np.isfinite(share), share, np.nan)
    by_area["demand_cells"] = np.bincount(idx, minlength=n).astype(np.int64)
    by_area["gap_cells"] = np.bincount(idx[gap], minlength=n).astype(np.int64)
    cells = _public(judged.loc[gap].drop(columns="gap")).reset_index(drop=True)
    total, gap_total = float(w.sum()), float(w[gap].sum())
    walks = {str(k): float(v) for k, v in (walk_m or {}).items()} or None
    figures = {
        "weight_column": column,
        "demand_rows": len(judged),
        "demand_weight": total,
        "gap_rows": int(gap.sum()),
        "gap_weight": gap_total,
        "gap_share_pct": gap_total / total * 100 if total else float("nan"),
        "outside_rows": placing.figures["outside"],
        "outside_weight": placing.figures.get("outside_weight", float(placing.figures["outside"])),
        "snapped_rows": placing.figures["snapped"],
        "walk_m": walks,
        "crs": crs.to_string(),
        "crs_name": crs.name,
    }
    return GapsResult(cells=cells, by_area=by_area, report=Report("gaps", figures, placing.notes))


def timetable_gaps(
    selection: AreaSelection,
    demand: gpd.GeoDataFrame | None,
    *,
    definitions: Sequence[Any] = ("plateau-toshi-kozo",),
    feeds: Sequence[Any] = (),
    stops: Mapping[str, gpd.GeoDataFrame] | None = None,
    date: str | None = None,
    windows: Sequence[str] = (),
    weight: str | None = None,
    spread: str | None = None,
    snap_m: float | None = DEMAND_SNAP_M,
) -> tuple[Any, Report]:
    """交通空白 by time window from timetables, for several definitions side by side (:func:`geo.service_gaps`).

    Parameters
    ----------
    selection
        From :func:`select_areas`.
    demand
        Mesh cells or points, placed with the border rule of :func:`place`; None: the 1 km grid of the selection
        (unweighted, or ``spread`` — a population column of the areas — spread over it by area).
    definitions
        Names (:func:`geo.list_gap_definitions`) or TOML paths.
    feeds
        GTFS / GTFS-JP feeds (paths or pinned source names).
    stops
        Untimed supply by kind (``{"station": n02}``), used as read (a station across the border serves).
    date, windows
        Service date or day type; time windows overriding the definitions'.
    weight
        Demand weight column.

    Returns
    -------
    (ServiceGaps, Report)
    """
    from geo._inputs import local_file
    from geo.service_gaps import gap_grid, service_gaps

    notes: list[str] = []
    if demand is None:
        demand, note = gap_grid(selection.areas, population=spread)
        weight = "population" if spread else None
    else:
        demand, placing = place(demand, selection, snap_m=snap_m, weight=weight, name="demand")
        demand = _public(demand)
        notes, note = placing.notes, "demand as given"
    result = service_gaps(
        demand, definition=list(definitions), feed=[local_file(f, what="GTFS feed") for f in feeds] or None,
        stops=dict(stops) if stops else None, date=date, windows=list(windows) or None, areas=selection.areas,
        weight=weight, pref_code=selection.pref_code, demand_note=note,
    )  # fmt: skip
    return result, Report("timetable_gaps", {"demand": note, "definitions": [d.name for d in result.definitions]},
                          notes)  # fmt: skip


# ------------------------------------------------------------------------------------------------- hubs


@dataclass
class HubsResult:
    """What :func:`hubs` returns: layers and tables to write, and the report.

    Attributes
    ----------
    candidates : GeoDataFrame
        The candidates with ``covered_<R>m``, ``exclusive_<R>m`` and ``shared_<R>m`` per radius.
    buffers : GeoDataFrame or None
        One ring per candidate and radius (EPSG:6668; ``metric_crs`` column); None with a cost matrix (its radii
        are minutes or yen, not metres).
    coverage : DataFrame
        One row per radius: ``radius_m``, ``total``, ``covered``, ``share_pct``, ``metric_crs``.
    per_hub, per_area : dict of DataFrame
        Per radius tag (``"1000m"``); ``per_area`` only when areas are known.
    uncovered : dict of GeoDataFrame
        Demand rows no candidate reaches, per radius tag.
    chosen : GeoDataFrame or None
        With siting: chosen candidates, fixed ones first (``rank``, ``fixed``, ``gain``, ``cumulative``,
        ``cumulative_share``, ``load`` and with capacities ``capacity``, ``utilisation``).
    chosen_buffers : GeoDataFrame or None
    siting : geo.siting.SitingReport or None
        Model, totals, costs, optimality, per-hub load against capacity.
    access : GeoDataFrame or None
        The demand rows with one score column per access measure asked for.
    access_per_area : dict of DataFrame
        Measure → per-area summary (when the demand carries ``muni_code``).
    report : Report
    """

    candidates: gpd.GeoDataFrame
    buffers: gpd.GeoDataFrame | None
    coverage: pd.DataFrame
    per_hub: dict[str, pd.DataFrame]
    per_area: dict[str, pd.DataFrame]
    uncovered: dict[str, gpd.GeoDataFrame]
    chosen: gpd.GeoDataFrame | None
    chosen_buffers: gpd.GeoDataFrame | None
    siting: Any
    access: gpd.GeoDataFrame | None
    access_per_area: dict[str, pd.DataFrame]
    report: Report


COVERAGE_METHODS = ("greedy", "swap", "exact")
ACCESS_MEASURES = ("2sfca", "2sfca_gaussian", "cumulative")


def hubs(
    candidates: gpd.GeoDataFrame,
    demand: gpd.GeoDataFrame,
    *,
    radii_m: Sequence[float],
    weight: str | None = None,
    areas: gpd.GeoDataFrame | None = None,
    choose: int | None = None,
    target_share: float | None = None,
    choose_radius_m: float | None = None,
    method: str = "greedy",
    fixed: Sequence[object] = (),
    capacity: str | None = None,
    cost: Any = None,
    access: Sequence[str] = (),
    name_column: str | None = None,
    pref_code: str | None = None,
) -> HubsResult:
    """Catchment rings, demand coverage per radius, siting and access of service-hub candidates.

    Parameters
    ----------
    candidates
        Candidate points (地域くらしサービス拠点 候補).
    demand
        Demand points or cells (cells judged by their centre) with an optional weight column.
    radii_m
        Ring radii in metres (or in the cost matrix's unit); coverage is computed for each.
    weight
        Demand weight column (default population-like, else counts).
    areas
        Areas to total coverage per area (optional).
    choose, target_share
        Siting: choose this many candidates (beyond ``fixed``), or the fewest reaching this share (0–1].
    choose_radius_m
        Reach for siting: default the largest radius for the coverage methods, none for p-median/p-center.
    method
        ``"greedy"``, ``"swap"``, ``"exact"`` (MCLP/LSCP), ``"p_median"``, ``"p_center"``, ``"p_median_swap"``
        (:func:`geo.choose_hubs`).
    fixed
        Existing sites (names or ids) that stay open.
    capacity
        Candidate column with the demand each can serve (exact models; supply in 2SFCA).
    cost
        A cost matrix or origin–destination table (:func:`geo.read_cost_matrix`) instead of straight lines.
    access
        Access measures per demand row at the smallest radius: ``"2sfca"``, ``"2sfca_gaussian"``, ``"cumulative"``.
    name_column
        Candidate label column shown in tables and on maps.
    pref_code
        Prefecture whose plane rectangular zone measures distances (default geodesic).

    Raises
    ------
    ValidationError
        Bad radii, unknown columns or measures, and everything :func:`geo.choose_hubs` refuses.
    """
    from geo.hubs import buffer_hubs, choose_hubs, hub_coverage

    radii = [float(r) for r in dict.fromkeys(radii_m)]
    if not radii or any(r <= 0 for r in radii):
        raise ValidationError(f"radii_m: give one or more radii, each > 0 (got {list(radii_m)})")
    for column, what in ((name_column, "name column"), (capacity, "capacity column")):
        if column and column not in candidates.columns:
            raise ValidationError(
                f"{what} {column!r} is not a column of the candidates; columns: {list(candidates.columns)[:20]}"
            )
    unknown = sorted(set(access) - set(ACCESS_MEASURES))
    if unknown:
        raise ValidationError(f"access measures {unknown} are unknown; use {', '.join(ACCESS_MEASURES)}")
    if cost is not None and not hasattr(cost, "pairs"):
        from geo.costs import read_cost_matrix

        cost = read_cost_matrix(cost, hubs=candidates, demand=demand)
    layer = candidates.copy()
    rows, per_hub, per_area, uncovered = [], {}, {}, {}
    for r in radii:
        res = hub_coverage(candidates, demand, radius_m=r, weight=weight, areas=areas, name=name_column or None,
                           pref_code=pref_code, cost=cost)  # fmt: skip
        tag = f"{r:g}m"
        for col in ("covered", "exclusive", "shared"):
            layer[f"{col}_{tag}"] = res.per_hub[col].to_numpy()
        rows.append({"radius_m": r, "total": res.total, "covered": res.covered, "share_pct": res.share * 100,
                     "metric_crs": res.summary().get("metric_crs")})  # fmt: skip
        per_hub[tag] = res.per_hub
        if res.per_area is not None:
            per_area[tag] = res.per_area
        uncovered[tag] = res.uncovered
    # rings in metres mean nothing for a cost in minutes
    buffers = buffer_hubs(candidates, radii, pref_code=pref_code) if cost is None else None
    chosen = chosen_buffers = siting = None
    figures: dict[str, Any] = {"candidates": len(candidates), "demand_rows": len(demand), "radii_m": radii,
                               "coverage": rows}  # fmt: skip
    if choose or target_share:
        radius = choose_radius_m or (max(radii) if method in COVERAGE_METHODS else None)
        chosen, siting = choose_hubs(
            candidates, demand, k=choose or None, target_share=target_share, radius_m=radius, weight=weight,
            method=method, pref_code=pref_code, fixed=list(fixed) or None, capacity=capacity or None,
            name=name_column or None, cost=cost,
        )  # fmt: skip
        chosen_buffers = buffer_hubs(chosen, radii, pref_code=pref_code) if cost is None else None
        figures["siting"] = siting.summary()
    scores = None
    access_per_area: dict[str, pd.DataFrame] = {}
    if access:
        from geo.access import access_2sfca, access_by_area, cumulative_opportunities

        scores = demand.copy()
        radius = min(radii)
        for kind in access:
            if kind == "cumulative":
                score = cumulative_opportunities(candidates, demand, radius_m=radius, capacity=capacity or None,
                                                 pref_code=pref_code, cost=cost)  # fmt: skip
            else:
                score = access_2sfca(candidates, demand, radius_m=radius, capacity=capacity or None, weight=weight,
                                     decay="gaussian" if kind == "2sfca_gaussian" else None, pref_code=pref_code,
                                     cost=cost)  # fmt: skip
            scores[score.name] = score.to_numpy()
            if "muni_code" in demand.columns:
                access_per_area[kind] = access_by_area(demand, score, weight=weight)
        figures["access"] = {"measures": list(access), "radius": radius}
    return HubsResult(layer, buffers, pd.DataFrame(rows), per_hub, per_area, uncovered, chosen, chosen_buffers,
                      siting, scores, access_per_area, Report("hubs", figures))  # fmt: skip
