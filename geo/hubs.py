"""Service hubs (地域くらしサービス拠点): catchment buffers, coverage of demand, and siting.

A planner holds candidate sites (any point layer: 道の駅, schools, stations, offices) and asks whom each one
reaches, who is left out, and which ``k`` of them together reach the most people. This module is the layer on
GeoDataFrames; the arithmetic lives in :mod:`geo.coverage` (a sparse hub × demand cost table) and
:mod:`geo.siting` (MCLP/LSCP, p-median, p-center, fixed sites, capacities), which never see a geometry —
pass ``cost=`` (e.g. road travel minutes, or an origin–destination CSV) to use another cost than distance.

Distances for coverage, siting and access are geodesic (GRS80) by default: pairs are searched by their
straight 3-D distance between Earth-centred positions (a chord is never longer than the geodesic) and decided
near the radius by the geodesic itself, so no projection or zone edge enters (``metric_crs`` =
``"geodesic (GRS80)"``). Given ``crs=`` or ``pref_code=``, distances are measured in that projection instead.

Buffers are drawn in a metric CRS (never degrees): the JGD2011 plane rectangular zone of the prefecture
(``pref_code=``) or of the data when hubs span at most 3° of longitude (:func:`geo.crs.metric_crs`); for wider
extents each hub in its own JGD2011 UTM zone (:func:`geo.crs.utm_epsg`), so a national layer has no edge where
buffers shrink (one national projection loses up to 4 % of a buffer's area at Nemuro or Okinawa). A buffer
that crosses a zone or prefecture border is still drawn whole, in its hub's zone. p-median and p-center
without a radius measure all pairs in that metric CRS. Polygon demand up to a mesh cell's size (mesh cells,
grid pieces) is placed at its centroid, as in :func:`geo.find_gaps`; larger polygons (municipalities) are
refused: spread them over the grid with :func:`geo.grid_demand`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Geod, Transformer

from geo._errors import ValidationError
from geo.areas import area_index_xy
from geo.costs import CostMatrix, read_cost_matrix
from geo.coverage import (
    CoverageTable,
    coverage_from_cost_matrix,
    coverage_table,
    pairs_within,
    summarise_coverage,
    table_from_pairs,
)
from geo.crs import JAPAN_EQUAL_AREA, JGD2011, MetricPlan, area_km2, lonlat_to_xy, metric_plan, require_crs
from geo.demand import weight_column

if TYPE_CHECKING:  # scipy is imported where it is used (it is heavy and most calls never need it)
    from scipy import sparse

log = logging.getLogger(__name__)

NAME_COLUMNS = ("name", "名称", "station_name", "道の駅名", "P29_004", "N02_005", "stop_name")
"""Columns used as a hub's label in tables when ``name=`` is not given (first found)."""

Layer = gpd.GeoDataFrame | gpd.GeoSeries
Cost: TypeAlias = "np.ndarray | sparse.sparray | sparse.spmatrix"


# ------------------------------------------------------------------------------------------ input checks


def _geoms(frame: Layer, what: str) -> gpd.GeoSeries:
    if not isinstance(frame, (gpd.GeoDataFrame, gpd.GeoSeries)):
        raise ValidationError(f"{what} is a {type(frame).__name__}, not a GeoDataFrame: read it with geo.read_points")
    require_crs(frame, what)
    geoms = frame.geometry if isinstance(frame, gpd.GeoDataFrame) else frame
    bad = geoms.isna().to_numpy() | geoms.is_empty.to_numpy()
    if bad.any():
        raise ValidationError(
            f"{what} has {int(bad.sum())} empty geometries (index {list(geoms.index[bad][:10])}): remove them"
        )
    return geoms


def _hub_lonlat(hubs: Layer) -> np.ndarray:
    geoms = _geoms(hubs, "hubs")
    arr = geoms.to_numpy()
    kinds = shapely.get_type_id(arr)
    if (kinds != 0).any():
        rows = list(geoms.index[kinds != 0][:10])
        raise ValidationError(
            f"hubs must be points; {int((kinds != 0).sum())} rows are not (index {rows}): pass sites as "
            "points, e.g. frame.representative_point() of facility footprints"
        )
    return shapely.get_coordinates(geoms.to_crs(JGD2011).to_numpy())


CELL_MAX_KM2 = 1.5
"""Largest polygon (km²) accepted as demand and judged by its centre: a 1 km mesh cell is 0.9–1.2 km², half
and quarter cells and grid pieces (:func:`geo.grid_demand`) are smaller. A larger polygon (a municipality, a
school district) would count all its people in or out at once, so it is refused."""


def _demand_lonlat(demand: Layer) -> np.ndarray:
    """Demand rows as lon/lat points; cell-sized polygons (mesh cells) by their centroid in equal-area metres.

    Raises ValidationError for polygons larger than :data:`CELL_MAX_KM2` (never collapsed to one point).
    """
    geoms = _geoms(demand, "demand")
    arr = geoms.to_numpy()
    if (shapely.get_type_id(arr) == 0).all():
        return shapely.get_coordinates(geoms.to_crs(JGD2011).to_numpy())
    metric = geoms.to_crs(JAPAN_EQUAL_AREA).to_numpy()
    big = shapely.area(metric) / 1e6 > CELL_MAX_KM2
    if big.any():
        raise ValidationError(
            f"demand holds {int(big.sum())} polygons larger than {CELL_MAX_KM2} km² (index "
            f"{list(geoms.index[big][:5])}, up to {shapely.area(metric).max() / 1e6:,.0f} km²): each would count "
            "all its people as reached or not at once (its centre decides). Spread their population over the "
            "1 km grid by area with geo.grid_demand(areas, population) (CLI: geo hubs --grid --population "
            "TABLE:COLUMN), use mesh statistics (--mesh), or pass points (e.g. frame.representative_point()) "
            "if one point per area is really meant"
        )
    centres = np.where(shapely.get_type_id(metric) == 0, metric, shapely.centroid(metric))
    return shapely.get_coordinates(gpd.GeoSeries(centres, crs=JAPAN_EQUAL_AREA).to_crs(JGD2011).to_numpy())


def _radius(value: object, what: str = "radius_m") -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValidationError(f"{what} must be a number of metres, got {value!r}")
    if not (np.isfinite(value) and value > 0):
        raise ValidationError(f"{what} must be a positive number of metres, got {value!r}")
    return float(value)


def _weights(demand: Layer, weight: str | None) -> tuple[np.ndarray, str | None]:
    column = weight_column(demand, weight) if isinstance(demand, pd.DataFrame) else None
    if weight is not None and column is None:
        raise ValidationError(f"weight={weight!r} given but demand is a GeoSeries without columns")
    if column is None:
        return np.ones(len(demand)), None
    values = pd.to_numeric(demand[column], errors="coerce").to_numpy(dtype=float)
    bad = np.flatnonzero(~np.isfinite(values) | (values < 0))
    if bad.size:
        raise ValidationError(
            f"demand column {column!r}: {bad.size} missing, negative or non-numeric values (index "
            f"{list(demand.index[bad[:10]])}): fill them (0 for no population) or drop those rows explicitly"
        )
    return values, column


# ------------------------------------------------------------------------------------------ metric plan


_BAND = 0.005
"""Pairs within ±0.5 % of the radius are decided by their geodesic distance (GRS80): a projection's scale
error (≤ 0.04 % in UTM, ≤ 0.01 % in a plane rectangular zone, more for remote islands measured in the zone of
their prefecture's main body) must not move a demand row across the radius."""

_GEOD = Geod(ellps="GRS80")


def _table_for(hub_ll: np.ndarray, demand_ll: np.ndarray, radius_m: float, plan: MetricPlan) -> CoverageTable:
    near = _projected_table(hub_ll, demand_ll, radius_m * (1 + _BAND), plan)
    edge = np.flatnonzero(near.cost > radius_m * (1 - _BAND))
    cost = near.cost.copy()
    if edge.size:
        h, d = near.hub[edge], near.demand[edge]
        cost[edge] = _GEOD.inv(hub_ll[h, 0], hub_ll[h, 1], demand_ll[d, 0], demand_ll[d, 1])[2]
    keep = cost <= radius_m
    return CoverageTable(near.n_hubs, near.n_demand, near.hub[keep], near.demand[keep], cost[keep], radius_m)


def _projected_table(hub_ll: np.ndarray, demand_ll: np.ndarray, radius_m: float, plan: MetricPlan) -> CoverageTable:
    if plan.crs is not None:
        return coverage_table(lonlat_to_xy(hub_ll, plan.crs), lonlat_to_xy(demand_ll, plan.crs), radius_m)
    parts = []
    for epsg in np.unique(plan.hub_epsg):
        hubs = np.flatnonzero(plan.hub_epsg == epsg)
        lo, hi = hub_ll[hubs].min(axis=0), hub_ll[hubs].max(axis=0)
        # only demand that can be within reach enters this zone's tree (degrees only select, never measure)
        dlat = radius_m / 110_000 * 1.1 + 0.01
        dlon = radius_m / (111_320 * np.cos(np.radians(min(89.0, max(abs(lo[1]), abs(hi[1])) + dlat)))) * 1.1 + 0.01
        near = np.flatnonzero(
            (demand_ll[:, 0] >= lo[0] - dlon)
            & (demand_ll[:, 0] <= hi[0] + dlon)
            & (demand_ll[:, 1] >= lo[1] - dlat)
            & (demand_ll[:, 1] <= hi[1] + dlat)
        )
        h, d, c = pairs_within(
            lonlat_to_xy(hub_ll[hubs], int(epsg)), lonlat_to_xy(demand_ll[near], int(epsg)), radius_m
        )
        parts.append((hubs[h], near[d], c))  # sorted once, after the zones are joined
    if not parts:  # no hubs: nothing is reached
        empty = np.empty(0, dtype=np.int64)
        return table_from_pairs(len(hub_ll), len(demand_ll), empty, empty, np.empty(0), radius_m)
    hub, dem, cost = (np.concatenate(p) for p in zip(*parts, strict=True))
    return table_from_pairs(len(hub_ll), len(demand_ll), hub, dem, cost, radius_m)


# ------------------------------------------------------------------------------------------ buffers


def buffer_hubs(
    hubs: Layer,
    radii_m: float | Sequence[float],
    *,
    crs: CRS | str | int | None = None,
    pref_code: str | None = None,
    quad_segs: int = 16,
    dissolve: bool = False,
) -> gpd.GeoDataFrame:
    """Catchment buffers of each hub at one or several radii, drawn in metres, returned in EPSG:6668.

    Parameters
    ----------
    hubs
        Candidate sites: points with a CRS (any columns; they are kept).
    radii_m
        One radius or several (distance rings), in metres, e.g. ``(500, 1000, 3000, 5000)``.
    crs
        Metric CRS to buffer in; default: the plane rectangular zone of ``pref_code`` or of the data, and
        each hub's own UTM zone for data wider than one zone. ``"utm"`` forces per-hub UTM. Geographic
        CRSs are refused (:class:`~geo.CRSError`).
    pref_code
        Prefecture whose plane rectangular zone to use.
    quad_segs
        Segments per quarter circle (16 → the polygon holds 99.8 % of the circle's area).
    dissolve
        Return the union per radius instead of one row per hub (as :func:`union_buffers` of the buffers,
        but built in metres, on two threads, without the per-hub frame: the fast way to a catchment layer).

    Returns
    -------
    GeoDataFrame
        One row per hub and radius (radius ascending, then hub order): the hub's columns, ``hub_index`` (the
        hub's index label), ``radius_m``, ``metric_crs`` (the CRS each buffer was drawn in) and the polygon in
        EPSG:6668. ``attrs["hubs"]`` records radii and CRS.

    Examples
    --------
    >>> import shapely
    >>> kofu = gpd.GeoDataFrame({"name": ["甲府駅"]}, geometry=[shapely.Point(138.5688, 35.6667)], crs=6668)
    >>> rings = buffer_hubs(kofu, [1000, 5000])
    >>> rings[["name", "radius_m", "metric_crs"]].values.tolist()
    [['甲府駅', 1000.0, 'EPSG:6676'], ['甲府駅', 5000.0, 'EPSG:6676']]
    """
    radii = [_radius(r, "radii_m") for r in (np.atleast_1d(radii_m).tolist())]
    if not radii:
        raise ValidationError("radii_m is empty: give at least one radius in metres")
    hub_ll = _hub_lonlat(hubs)
    plan = metric_plan(hub_ll, None, crs, pref_code)
    groups = _groups(plan, len(hub_ll))
    if dissolve:
        return _dissolved(hub_ll, sorted(set(radii)), plan, groups, quad_segs)
    base = (
        pd.DataFrame(hubs.drop(columns=hubs.geometry.name))
        if isinstance(hubs, gpd.GeoDataFrame)
        else pd.DataFrame(index=hubs.index)
    )
    frames = []
    for r in sorted(set(radii)):
        geoms = np.empty(len(hub_ll), dtype=object)
        for idx, group_crs in groups:
            circles = shapely.buffer(shapely.points(lonlat_to_xy(hub_ll[idx], group_crs)), r, quad_segs=quad_segs)
            geoms[idx] = gpd.GeoSeries(circles, crs=group_crs).to_crs(JGD2011).to_numpy()
        rows = base.copy()
        rows.insert(0, "hub_index", base.index.to_numpy())
        rows["radius_m"] = r
        rows["metric_crs"] = plan.hub_labels(len(hub_ll))
        frames.append(gpd.GeoDataFrame(rows, geometry=geoms, crs=JGD2011))
    out = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=JGD2011)
    out.attrs["hubs"] = {"radii_m": sorted(set(radii)), "metric_crs": plan.label(), "quad_segs": quad_segs}
    out.attrs["metric_crs"] = plan.label()
    log.info("buffers: %d hubs × %d radii in %s", len(hub_ll), len(set(radii)), plan.label())
    return out


def _groups(plan: MetricPlan, n: int) -> list[tuple[np.ndarray, CRS]]:
    """Hub positions measured together, with their metric CRS."""
    if plan.crs is not None:
        return [(np.arange(n), plan.crs)]
    return [(np.flatnonzero(plan.hub_epsg == e), CRS.from_epsg(int(e))) for e in np.unique(plan.hub_epsg)]


def _union_method(xy: np.ndarray, radius: float) -> str:
    """``disjoint_subset`` when buffers overlap few others (10× faster then), else the plain cascaded union
    (20 % faster when stations cluster in cities, where the disjoint subsets are few and large)."""
    if len(xy) < 2:
        return "unary"
    from scipy.spatial import cKDTree

    pairs = cKDTree(xy).count_neighbors(cKDTree(xy), 2 * radius) - len(xy)
    return "disjoint_subset" if pairs / len(xy) < 4 else "unary"


def _union_task(xy: np.ndarray, crs: CRS, radius: float, quad_segs: int) -> shapely.Geometry:
    circles = shapely.buffer(shapely.points(xy), radius, quad_segs=quad_segs)
    if _union_method(xy, radius) == "disjoint_subset":
        union = shapely.disjoint_subset_union_all(circles)
    else:
        union = shapely.union_all(circles)
    back = Transformer.from_crs(crs, JGD2011, always_xy=True)  # one per thread: transformers are not thread-safe
    return shapely.transform(union, lambda c: np.column_stack(back.transform(c[:, 0], c[:, 1])))


def _dissolved(
    hub_ll: np.ndarray, radii: list[float], plan: MetricPlan, groups: list[tuple[np.ndarray, CRS]], quad_segs: int
) -> gpd.GeoDataFrame:
    """The union per radius, built in metres and moved to EPSG:6668 once: transforming the union's outline is
    cheaper than transforming every buffer. Large groups are halved along x so both cores work; the halves'
    unions overlap only in a seam, so the final union is cheap."""
    rows = []
    for r in radii:
        tasks = []
        for idx, group_crs in groups:
            xy = lonlat_to_xy(hub_ll[idx], group_crs)
            halves = np.array_split(np.argsort(xy[:, 0]), 2) if len(idx) > 2000 else [np.arange(len(idx))]
            tasks += [(xy[h], group_crs) for h in halves]
        with ThreadPoolExecutor(max_workers=2) as pool:
            parts = list(pool.map(lambda t: _union_task(t[0], t[1], r, quad_segs), tasks))  # noqa: B023
        union = parts[0] if len(parts) == 1 else shapely.union_all(parts)
        rows.append({"radius_m": r, "n_hubs": len(hub_ll), "geometry": union})
    out = gpd.GeoDataFrame(rows, geometry="geometry", crs=JGD2011)
    out["area_km2"] = area_km2(out)
    out.attrs["hubs"] = {"radii_m": radii, "metric_crs": plan.label(), "quad_segs": quad_segs}
    out.attrs["metric_crs"] = plan.label()
    return out[["radius_m", "n_hubs", "area_km2", "geometry"]]


def union_buffers(buffers: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The union of the buffers of each radius: one row per radius with ``n_hubs`` and ``area_km2``.

    Uses GEOS's disjoint-subset union (unions only buffers whose envelopes touch), 10× faster than a plain
    ``union_all`` when hubs are spread out.

    Examples
    --------
    >>> union_buffers(buffer_hubs(hubs, [1000, 5000]))[["radius_m", "area_km2"]]      # doctest: +SKIP
    """
    if "radius_m" not in buffers.columns:
        raise ValidationError("buffers have no radius_m column: make them with geo.buffer_hubs")
    require_crs(buffers, "buffers")
    rows = []
    for r, group in buffers.groupby("radius_m", sort=True):
        rows.append(
            {
                "radius_m": float(r),
                "n_hubs": len(group),
                "geometry": group.geometry.union_all(method="disjoint_subset"),
            }
        )
    out = gpd.GeoDataFrame(rows, geometry="geometry", crs=buffers.crs)
    out["area_km2"] = area_km2(out)
    out.attrs = {k: v for k, v in buffers.attrs.items() if k in ("hubs", "metric_crs")}
    return out[["radius_m", "n_hubs", "area_km2", "geometry"]]


# ------------------------------------------------------------------------------------------ coverage


@dataclass
class CoverageResult:
    """Coverage of a demand layer by a set of hubs within ``radius_m`` (see :func:`hub_coverage`)."""

    total: float
    covered: float
    multi_covered: float
    per_hub: pd.DataFrame
    per_area: pd.DataFrame | None
    uncovered: gpd.GeoDataFrame
    n_hubs_reaching: pd.Series
    radius_m: float
    weight: str | None
    metric_crs: str
    table: CoverageTable = field(repr=False)

    @property
    def share(self) -> float:
        """Covered share of the total demand (0–1; NaN when there is no demand)."""
        return self.covered / self.total if self.total > 0 else float("nan")

    def summary(self) -> dict[str, object]:
        """One flat row of the figures (what the CLI writes to its CSV summary)."""
        return {
            "radius_m": self.radius_m,
            "metric_crs": self.metric_crs,
            "weight": self.weight or "count",
            "hubs": len(self.per_hub),
            "demand_rows": len(self.n_hubs_reaching),
            "total": self.total,
            "covered": self.covered,
            "share": self.share,
            "multi_covered": self.multi_covered,
            "uncovered": self.total - self.covered,
            "uncovered_rows": len(self.uncovered),
        }

    def __str__(self) -> str:
        unit = self.weight or "rows"
        return (
            f"within {self.radius_m:,.0f} m of {len(self.per_hub)} hubs ({self.metric_crs}): "
            f"{self.covered:,.0f} of {self.total:,.0f} {unit} covered ({self.share:.1%}), "
            f"{self.multi_covered:,.0f} by two or more hubs, {self.total - self.covered:,.0f} left out"
        )


def hub_names(hubs: Layer, name: str | None) -> pd.Series | None:
    if not isinstance(hubs, gpd.GeoDataFrame):
        return None
    if name is not None:
        if name not in hubs.columns:
            raise ValidationError(f"name column {name!r} not found; columns are {list(hubs.columns)[:20]}")
        return hubs[name]
    column = next((c for c in NAME_COLUMNS if c in hubs.columns), None)
    return None if column is None else hubs[column]


def _table_from(
    hub_ll: np.ndarray, demand_ll: np.ndarray, radius_m: float | None, plan: MetricPlan | None, cost: Cost | None
) -> CoverageTable:
    if cost is None:
        assert plan is not None
        if radius_m is None:
            return _full_table(hub_ll, demand_ll, plan)
        return _table_for(hub_ll, demand_ll, radius_m, plan)
    shape = cost.shape
    if tuple(shape) != (len(hub_ll), len(demand_ll)):
        raise ValidationError(
            f"cost matrix has shape {tuple(shape)}, expected (hubs, demand) = ({len(hub_ll)}, {len(demand_ll)})"
        )
    return coverage_from_cost_matrix(cost, np.inf if radius_m is None else radius_m)


FULL_PAIRS_MAX = 30_000_000
"""Most hub × demand pairs measured for a model without a reach (p-median, p-center): 30 M pairs take about
0.5 GB; beyond that give ``radius_m`` as the longest cost a demand row may be assigned along."""


def _full_table(hub_ll: np.ndarray, demand_ll: np.ndarray, plan: MetricPlan) -> CoverageTable:
    """Every hub–demand pair with its straight-line distance in metres (in the plan's metric CRS)."""
    from scipy.spatial.distance import cdist

    n = len(hub_ll) * len(demand_ll)
    if n > FULL_PAIRS_MAX:
        raise ValidationError(
            f"{len(hub_ll):,} hubs × {len(demand_ll):,} demand rows = {n:,} pairs is too many to measure all: "
            "give radius_m= (the longest distance a demand row may be served along)"
        )
    hub_parts, dem_parts, cost_parts = [], [], []
    for idx, group_crs in _groups(plan, len(hub_ll)):
        dist = cdist(lonlat_to_xy(hub_ll[idx], group_crs), lonlat_to_xy(demand_ll, group_crs))
        h, d = np.nonzero(np.ones_like(dist, dtype=bool))
        hub_parts.append(idx[h])
        dem_parts.append(d)
        cost_parts.append(dist.ravel())
    if not hub_parts:
        empty = np.empty(0, dtype=np.int64)
        return table_from_pairs(len(hub_ll), len(demand_ll), empty, empty, np.empty(0), np.inf)
    return table_from_pairs(
        len(hub_ll),
        len(demand_ll),
        np.concatenate(hub_parts),
        np.concatenate(dem_parts),
        np.concatenate(cost_parts),
        np.inf,
    )


OUTSIDE = "(none)"
"""``per_area`` key of demand lying in no area (e.g. cells on a simplified border): kept, never dropped."""


def _per_area(
    demand: Layer, demand_ll: np.ndarray, w: np.ndarray, n_cov: np.ndarray, areas: gpd.GeoDataFrame | None
) -> pd.DataFrame | None:
    """Demand totals per area: by point-in-polygon in ``areas``, else by the demand's own ``muni_code``."""
    if areas is not None:
        require_crs(areas, "areas")
        key = next((c for c in ("muni_code", "pref_code") if c in areas.columns), None)
        if key is None:
            raise ValidationError("areas need a muni_code or pref_code column: read them with geo.read_boundaries")
        label = {"muni_code": "muni_name", "pref_code": "pref_name"}[key]
        xy = demand_ll if CRS.from_user_input(areas.crs).equals(JGD2011) else lonlat_to_xy(demand_ll, areas.crs)
        idx = area_index_xy(xy[:, 0], xy[:, 1], areas)
        codes = np.where(idx >= 0, areas[key].to_numpy(dtype=object)[np.maximum(idx, 0)], OUTSIDE)
        source = areas
    elif isinstance(demand, pd.DataFrame) and "muni_code" in demand.columns:
        key, label, source = "muni_code", "muni_name", demand
        codes = demand["muni_code"].astype(object).where(demand["muni_code"].notna(), OUTSIDE).to_numpy()
    else:
        return None
    table = pd.DataFrame(
        {
            key: codes,
            "total": w,
            "covered": np.where(n_cov > 0, w, 0.0),
            "rows": 1,
            "uncovered_rows": n_cov == 0,
        }
    )
    out = table.groupby(key, sort=True).sum()
    out["uncovered"] = out["total"] - out["covered"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["share"] = np.where(out["total"] > 0, out["covered"] / out["total"], np.nan)
    columns = [key, "total", "covered", "uncovered", "share", "rows", "uncovered_rows"]
    if label in source.columns:
        names = source.drop_duplicates(key).set_index(key)[label]
        out[label] = names.reindex(out.index).to_numpy()
        columns.insert(1, label)
    out["uncovered_rows"] = out["uncovered_rows"].astype(np.int64)
    return out.reset_index()[columns]


@dataclass(frozen=True)
class PreparedCoverage:
    """What coverage and siting share: the hub × demand table, demand weights and the CRS used."""

    table: CoverageTable
    weights: np.ndarray
    column: str | None
    radius: float | None
    demand_ll: np.ndarray
    crs_label: str


def _cost_input(cost: object, hubs: Layer, demand: Layer) -> tuple[Cost | None, str | None]:
    """A cost given as a matrix, a :class:`~geo.costs.CostMatrix`, or an origin–destination CSV / DataFrame."""

    if cost is None:
        return None, None
    if isinstance(cost, (str, Path, pd.DataFrame)):
        if not isinstance(hubs, pd.DataFrame) or not isinstance(demand, pd.DataFrame):
            raise ValidationError("an origin–destination cost table needs hubs and demand as GeoDataFrames")
        cost = read_cost_matrix(cost, hubs=hubs, demand=demand)
    if isinstance(cost, CostMatrix):
        return cost.matrix, f"cost matrix ({cost.unit}, {cost.source})"
    return cost, "cost matrix"  # type: ignore[return-value]


def prepare_coverage(
    hubs: Layer,
    demand: Layer,
    radius_m: float | None,
    weight: str | None,
    crs: object,
    pref_code: str | None,
    cost: object,
) -> PreparedCoverage:
    matrix, cost_label = _cost_input(cost, hubs, demand)
    radius = None if radius_m is None else _radius(radius_m) if matrix is None else float(radius_m)
    hub_ll = _hub_lonlat(hubs)
    demand_ll = _demand_lonlat(demand)
    w, column = _weights(demand, weight)
    if matrix is None and radius is not None and crs is None and pref_code is None:
        # the default: geodesic reach, searched in 3-D (no projection, no zones)
        return PreparedCoverage(_geodesic_table(hub_ll, demand_ll, radius), w, column, radius, demand_ll, GEODESIC)
    plan = metric_plan(hub_ll, demand_ll, crs, pref_code) if matrix is None else None
    table = _table_from(hub_ll, demand_ll, radius, plan, matrix)
    label = plan.label() if plan is not None else str(cost_label)
    return PreparedCoverage(table, w, column, radius, demand_ll, label)


GEODESIC = "geodesic (GRS80)"
"""``metric_crs`` of coverage measured without a projection (the default): see :func:`_geodesic_table`."""

_GRS80_A, _GRS80_E2 = 6_378_137.0, 0.006694380022900787


def _ecef(lonlat: np.ndarray) -> np.ndarray:
    """Earth-centred x/y/z (metres) of points on the GRS80 ellipsoid (height 0)."""
    lon, lat = np.radians(lonlat[:, 0]), np.radians(lonlat[:, 1])
    sin_lat, cos_lat = np.sin(lat), np.cos(lat)
    n = _GRS80_A / np.sqrt(1 - _GRS80_E2 * sin_lat**2)
    return np.column_stack([n * cos_lat * np.cos(lon), n * cos_lat * np.sin(lon), n * (1 - _GRS80_E2) * sin_lat])


def _geodesic_table(hub_ll: np.ndarray, demand_ll: np.ndarray, radius_m: float) -> CoverageTable:
    """Pairs within ``radius_m`` along the ellipsoid, found by their straight 3-D (chord) distance.

    A chord is never longer than the geodesic between its ends, so every pair within reach is among those
    with chord <= radius; the chord falls short of the geodesic by about d³/(24 R²) (3 cm at 30 km, 8 m at
    200 km), far inside the ±0.5 % band where the GRS80 geodesic itself decides. One k-d tree in 3-D needs
    no projection and no zones, and measured here ran as fast as a bare numpy baseline (scripts/bench_hubs.py
    --siting). Costs are the chord (within the figures above) or, near the radius, the exact geodesic.
    """
    hub, dem, cost = pairs_within(_ecef(hub_ll), _ecef(demand_ll), radius_m)
    edge = np.flatnonzero(cost > radius_m * (1 - _BAND))
    if edge.size:
        h, d = hub[edge], dem[edge]
        cost = cost.copy()
        cost[edge] = _GEOD.inv(hub_ll[h, 0], hub_ll[h, 1], demand_ll[d, 0], demand_ll[d, 1])[2]
        keep = cost <= radius_m
        hub, dem, cost = hub[keep], dem[keep], cost[keep]
    return table_from_pairs(len(hub_ll), len(demand_ll), hub, dem, cost, radius_m)


def hub_coverage(
    hubs: Layer,
    demand: Layer,
    *,
    radius_m: float,
    weight: str | None = None,
    areas: gpd.GeoDataFrame | None = None,
    name: str | None = None,
    crs: CRS | str | int | None = None,
    pref_code: str | None = None,
    cost: Cost | str | Path | pd.DataFrame | None = None,
) -> CoverageResult:
    """Whom the hubs reach within ``radius_m``: in total, per hub (exclusive / shared), per area, and who not.

    Parameters
    ----------
    hubs
        Candidate or existing sites (points with a CRS).
    demand
        Population points or mesh cells (judged by their centre), or transport-gap points; with a CRS.
        Partitioned demand goes through :func:`geo.hub_coverage` (:mod:`geo.partitioned`).
    radius_m
        Reach in metres (straight line). With ``cost=``, the reach in the cost's unit (e.g. minutes).
    weight
        Demand weight column; default ``population``/``pop_2020``/``人口`` when present, else 1 per row.
    areas
        Areas (canonical schema) to total demand by; else ``muni_code`` of the demand when it has one.
    name
        Hub label column for ``per_hub``; default the first of :data:`NAME_COLUMNS` present.
    crs, pref_code
        Metric CRS choice, as in :func:`buffer_hubs` (the extent of hubs and demand together is used).
    cost
        A hub × demand cost matrix (dense, inf = unreachable; or scipy sparse) replacing straight-line
        distance, e.g. road travel times: see :func:`geo.coverage.coverage_from_cost_matrix`; or an
        origin–destination CSV / DataFrame (origin id, destination id, cost) read by
        :func:`geo.read_cost_matrix`.

    Returns
    -------
    CoverageResult
        ``total``, ``covered``, ``share``, ``multi_covered`` (covered by two or more hubs); ``per_hub``
        (indexed like the hubs: ``name``, ``covered``, ``exclusive``, ``shared``, ``demand_rows``);
        ``per_area`` (or None); ``uncovered`` (the demand rows no hub reaches, a copy in their own CRS);
        ``n_hubs_reaching`` (per demand row); ``metric_crs``; ``table`` (the pairs, for re-use).

    Examples
    --------
    >>> cells = geo.read_mesh("yamanashi_mesh1km_2020.csv")                  # doctest: +SKIP
    >>> result = hub_coverage(stations, cells, radius_m=1000)                 # doctest: +SKIP
    >>> print(result)                                                          # doctest: +SKIP
    within 1,000 m of 140 hubs (EPSG:6676): 351,467 of 809,974 pop_2020 covered (43.4%), ...
    """
    p = prepare_coverage(hubs, demand, radius_m, weight, crs, pref_code, cost)
    table, w, column, radius, demand_ll = p.table, p.weights, p.column, p.radius, p.demand_ll
    figures = summarise_coverage(table, w)
    per_hub = pd.DataFrame(
        {
            "covered": figures.hub_covered,
            "exclusive": figures.hub_exclusive,
            "shared": figures.hub_shared,
            "demand_rows": figures.hub_demand_rows,
        },
        index=hubs.index,
    )
    labels = hub_names(hubs, name)
    if labels is not None:
        per_hub.insert(0, "name", labels.to_numpy())
    n_cov = figures.n_covering
    uncovered = demand.loc[n_cov == 0].copy()
    label = p.crs_label
    result = CoverageResult(
        total=figures.total,
        covered=figures.covered,
        multi_covered=figures.multi_covered,
        per_hub=per_hub,
        per_area=_per_area(demand, demand_ll, w, n_cov, areas),
        uncovered=uncovered,
        n_hubs_reaching=pd.Series(n_cov, index=demand.index, name="n_hubs"),
        radius_m=radius,
        weight=column,
        metric_crs=label,
        table=table,
    )
    log.info("%s", result)
    return result


# ------------------------------------------------------------------------------------------ siting
