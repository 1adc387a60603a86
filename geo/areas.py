"""Areas: the selection a question is asked about, the one border rule, and points in areas.

The rule for demand near the border (:func:`place`) lives here once, and every door uses it (``geo run``,
``geo gaps``, ``geo hubs``, ``geo points`` and the API):

* a row belongs to the area that contains its representative point;
* a row whose point lies in **no** area of the boundary file (the sea or a sliver opened by simplification)
  goes to the nearest area of the selection within ``snap_m`` metres (default :data:`DEMAND_SNAP_M`);
* a row whose point lies in an area **outside** the selection (a neighbouring prefecture) is outside the run:
  it is counted in the report (rows and weight), never silently dropped, and never counted twice.

Point-in-area lookups (:func:`area_index`, :func:`assign_points`, :func:`count_points`) use the cached
per-boundary grid index of :mod:`geo._point_index`.

Example
-------
>>> import geo
>>> sel = geo.select_areas("n03-2021-s0010", prefectures=["山梨県"])      # doctest: +SKIP
>>> placed, report = geo.place(cells, sel, weight="population")            # doctest: +SKIP
>>> print(report)                                                          # doctest: +SKIP
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo._errors import ValidationError
from geo._point_index import cached_per_geometry, locate
from geo._progress import progress
from geo.boundaries import read_boundaries
from geo.codes import normalize_muni_code, normalize_pref_code
from geo.crs import area_km2, metric_crs, require_crs
from geo.demand import WEIGHT_NAMES
from geo.report import Report

log = logging.getLogger(__name__)

DEMAND_SNAP_M = 1000.0
"""Demand whose point lies in no area at all but within this many metres of the selection (a cell on a
simplified coast or border) is counted in the nearest selected area. 1 km is one mesh cell: the 1 % N03
simplification moves coasts and borders by up to a few hundred metres."""

AREA_ROW = "_area_row"
"""Column :func:`place` adds: the position of the containing area in the selection (analyses drop it)."""


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


def representative_points(layer: gpd.GeoDataFrame) -> np.ndarray:
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
    areas = selection.areas
    pts = gpd.GeoSeries(representative_points(layer), crs=layer.crs).to_crs(areas.crs)
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
    out[AREA_ROW] = idx[inside]
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


# ------------------------------------------------------------------------------------------------- join


# ------------------------------------------------------------------------------------------------- gaps


# ------------------------------------------------------------------------------------------------- hubs


def _area_order(areas: gpd.GeoDataFrame) -> np.ndarray:
    """Rank of each area in the tie rule: the smallest code wins (muni_code, else pref_code); uncoded last."""
    key = None
    for column in ("muni_code", "pref_code"):
        if column in areas.columns:
            key = areas[column].astype(object).where(areas[column].notna(), None)
            break
    if key is None:
        return np.arange(len(areas))
    text = np.array(["\uffff" if k is None else str(k) for k in key], dtype=object)
    order = np.argsort(text, kind="stable")
    rank = np.empty(len(areas), dtype=np.int64)
    rank[order] = np.arange(len(areas))
    return rank


def area_index(points: gpd.GeoDataFrame | gpd.GeoSeries, areas: gpd.GeoDataFrame, *, workers: int = 2) -> np.ndarray:
    """Position (0-based row of ``areas``) of the area each point lies in, or -1 when it lies in none.

    A point on a boundary belongs to every area whose closure holds it (``intersects``), and the tie goes to
    the area with the smallest ``muni_code`` (else ``pref_code``; areas without a code rank last), so a point on
    a shared border is counted exactly once, and always in the same area.

    Why not ``geopandas.sjoin``: ``within`` drops boundary points, ``intersects`` returns them twice, and both
    build a Point object per row and an STRtree. Here the coordinates go through a grid cached per boundary set
    (:func:`area_index_xy`); measured, first call and warm, in ``scripts/bench_scale.py``.

    Examples
    --------
    >>> import shapely
    >>> squares = gpd.GeoDataFrame({"muni_code": ["00002", "00001"]},
    ...     geometry=[shapely.box(1, 0, 2, 1), shapely.box(0, 0, 1, 1)], crs=6668)
    >>> area_index(gpd.GeoSeries(shapely.points([1.0, 5.0], [0.5, 0.5]), crs=6668), squares).tolist()
    [1, -1]
    """
    require_crs(points, "points")
    require_crs(areas, "areas")
    geoms = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
    if not geoms.crs.equals(areas.crs):
        geoms = geoms.to_crs(areas.crs)
    arr = geoms.to_numpy()
    n = len(arr)
    if n == 0 or len(areas) == 0:
        return np.full(n, -1, dtype=np.int64)
    types = shapely.get_type_id(arr)  # -1 for a missing geometry
    if (types > 0).any():
        kinds = sorted({g.geom_type for g in arr[types > 0][:5]})
        raise ValidationError(
            f"assign_points needs points, got {', '.join(kinds)}: take centroids in a metric CRS (or "
            "representative_point()) first"
        )
    if (types == 0).all():  # the usual case: one pass for both coordinates, no masked copies
        xy = shapely.get_coordinates(arr)
        if len(xy) == n:  # an empty point has no coordinates: then take the masked path below
            return _lookup(xy[:, 0], xy[:, 1], areas, arr)
    valid = (types == 0) & ~shapely.is_empty(arr)
    x = np.full(n, np.nan)
    y = np.full(n, np.nan)
    x[valid], y[valid] = shapely.get_x(arr[valid]), shapely.get_y(arr[valid])
    return _lookup(x, y, areas, arr)


_CHUNK = 1_000_000
"""Points per step of :func:`area_index_xy` on large inputs."""


def area_index_xy(x: np.ndarray, y: np.ndarray, areas: gpd.GeoDataFrame, *, workers: int = 2) -> np.ndarray:
    """:func:`area_index` for coordinate arrays in the areas' CRS (NaN coordinates lie in no area).

    A boundary set's first small calls are answered by a tree over their points (no index); after that the prepared
    parts and the grid over them are built once and cached, and the fine answer grid once the points asked pay
    for it (see :mod:`geo._point_index`): a first call is never slower than ``sjoin``, and no cost is paid twice.
    ``workers`` is accepted for compatibility and unused (GEOS point tests on prepared polygons did not scale
    over threads on the measured machine).
    """
    return _lookup(np.asarray(x, dtype=float), np.asarray(y, dtype=float), areas, None)


def _lookup(x: np.ndarray, y: np.ndarray, areas: gpd.GeoDataFrame, points: np.ndarray | None) -> np.ndarray:
    """:func:`area_index_xy`, given the point geometries too when the caller has them (a small first call builds
    its tree from them instead of making new ones: 30 ms for 10,000 points in a fresh process)."""
    n = len(x)
    if n == 0 or len(areas) == 0:
        return np.full(n, -1, dtype=np.int64)
    rank = _area_order(areas)
    geoms = areas.geometry.to_numpy()
    if n <= _CHUNK:
        best = locate(geoms, rank, x, y, points=points)
    else:  # chunks bound the temporary arrays (≈ 80 MB per million points) and drive a progress bar
        starts = range(0, n, _CHUNK)
        best = np.concatenate(
            [
                locate(geoms, rank, x[s : s + _CHUNK], y[s : s + _CHUNK])
                for s in progress(starts, desc="assigning points", total=len(starts), unit="M points")
            ]
        )
    by_rank = np.argsort(rank)
    out = np.full(n, -1, dtype=np.int64)
    found = best >= 0
    out[found] = by_rank[best[found]]
    return out


def assign_points(
    points: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame,
    *,
    columns: Sequence[str] = ("pref_code", "pref_name", "muni_code", "muni_name"),
) -> gpd.GeoDataFrame:
    """The points with the codes of the area each lies in (NaN for points in no area).

    Parameters
    ----------
    points
        Point layer with a CRS (reprojected to the areas' CRS when different). Partitioned inputs (a
        dask-geopandas frame, a GeoParquet path) go through :func:`geo.assign_points`, which dispatches to
        :mod:`geo.partitioned`.
    areas
        Municipalities or prefectures in the canonical schema (:func:`geo.read_boundaries`).
    columns
        Area columns to copy onto the points (those present in ``areas``). Existing columns of that name
        on the points are replaced (logged).

    Returns
    -------
    GeoDataFrame
        A copy of ``points`` with the area columns. A point on a shared border goes to exactly one area:
        the one with the smallest ``muni_code`` (see :func:`area_index`). Points outside every area have
        NaN codes; list them with ``out[out["muni_code"].isna()]``.

    Examples
    --------
    >>> stops = assign_points(read_points("nakatsugawa_GTFS.zip"), areas)   # doctest: +SKIP
    >>> stops["muni_code"].value_counts()                                    # doctest: +SKIP
    21206    369
    """
    if not isinstance(points, gpd.GeoDataFrame):
        raise ValidationError("points must be a GeoDataFrame (use geo.read_points to read a file)")
    idx = area_index(points, areas, workers=2)
    out = points.copy()
    present = [c for c in columns if c in areas.columns]
    if not present:
        raise ValidationError(f"areas have none of the columns {list(columns)}: read them with geo.read_boundaries")
    clash = [c for c in present if c in points.columns]
    if clash:
        log.info("replacing existing point columns %s with the assigned areas' values", clash)
    inside = idx >= 0
    for column in present:
        # one gather: index -1 (no area) picks the NaN appended last
        values = np.append(areas[column].to_numpy(dtype=object), np.nan)
        # object dtype: building pandas' "str" dtype costs more than the whole point-in-polygon test at 1M rows
        out[column] = pd.Series(values[idx], index=out.index, dtype=object)
    out.attrs["assign_points"] = {
        "points": len(out),
        "assigned": int(inside.sum()),
        "outside": int((~inside).sum()),
    }
    return out


def _population_column(frame: pd.DataFrame, population: str | None) -> str | None:
    if population is not None:
        if population not in frame.columns:
            raise ValidationError(f"population column {population!r} not in the areas; columns: {list(frame.columns)}")
        return population
    return next((c for c in WEIGHT_NAMES if c in frame.columns), None)


def count_points(
    points: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame,
    *,
    name: str = "n_points",
    weight: str | None = None,
    population: str | None = None,
) -> gpd.GeoDataFrame:
    """Count points per area, with density per km² and, when the areas carry population, per 10,000 people.

    Parameters
    ----------
    points
        Point layer with a CRS. Partitioned inputs go through :func:`geo.count_points`
        (:mod:`geo.partitioned`, same result).
    areas
        Areas (canonical schema); not modified.
    name
        Name of the count column; ``{name}_per_km2`` and ``{name}_per_10k`` are added beside it.
    weight
        Sum this numeric column of the points instead of counting rows (e.g. ``"population"`` of gap cells).
    population
        Population column of ``areas`` for the per-10,000 rate; by default ``population``, ``pop_2020``,
        ``人口`` or ``総人口`` when present (no rate otherwise).

    Returns
    -------
    GeoDataFrame
        A copy of ``areas`` with the new columns; areas without points have 0. ``attrs["count_points"]`` holds
        ``points``, ``assigned`` and ``outside`` (points in no area, listed by :func:`assign_points`).

    Examples
    --------
    >>> counts = count_points(stations, areas, name="stations")     # doctest: +SKIP
    >>> counts[["muni_name", "stations", "stations_per_km2"]].head()  # doctest: +SKIP
    """
    idx = area_index(points, areas, workers=2)
    inside = idx >= 0
    values = weights_inside(points, weight, inside)
    totals = np.bincount(idx[inside], weights=values[inside], minlength=len(areas))
    return count_frame(
        areas, totals, name=name, weight=weight, population=population, n=len(idx), outside=int((~inside).sum())
    )


def weights_inside(points: pd.DataFrame, weight: str | None, inside: np.ndarray) -> np.ndarray:
    """Weight of each point (1 without ``weight``), checked to be numeric where the point lies in an area."""
    if weight is None:
        return np.ones(len(inside))
    if weight not in points.columns:
        raise ValidationError(f"weight column {weight!r} not in the points; columns: {list(points.columns)}")
    values = pd.to_numeric(points[weight], errors="coerce").to_numpy(dtype=float)
    if np.isnan(values[inside]).any():
        row = int(np.flatnonzero(np.isnan(values) & inside)[0])
        raise ValidationError(
            f"weight column {weight!r} has missing or non-numeric values (first at row {row}): fill them or "
            "drop the rows explicitly"
        )
    return values


def count_frame(
    areas: gpd.GeoDataFrame,
    totals: np.ndarray,
    *,
    name: str,
    weight: str | None,
    population: str | None,
    n: int,
    outside: int,
) -> gpd.GeoDataFrame:
    """The output of :func:`count_points` from the per-area sums ``totals`` (shape (len(areas),))."""
    out = areas.copy()
    out[name] = totals.astype(np.int64) if weight is None else totals
    km2 = cached_per_geometry(areas.geometry.to_numpy(), f"km2:{areas.crs}", lambda: np.asarray(area_km2(areas)))
    out[f"{name}_per_km2"] = totals / km2
    pop_col = _population_column(areas, population)
    if pop_col is not None:
        pop = pd.to_numeric(areas[pop_col], errors="coerce").to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[f"{name}_per_10k"] = np.where(pop > 0, totals / pop * 1e4, np.nan)
    out.attrs["count_points"] = {
        "points": n,
        "assigned": n - outside,
        "outside": outside,
        "population_column": pop_col,
    }
    return out
