"""Transport gaps (交通空白): demand beyond walking distance of every stop and station.

Demand is any layer with a weight: 1 km census mesh cells (:func:`geo.mesh.read_mesh`), settlements, or any
population points. Supply is one or more point layers (railway stations, GTFS bus stops), each with its own
walking distance. A demand row is a gap when it is farther than the walking distance from every layer:
coverage by rail ∪ bus is a union, never a sum.

Default walking distances follow the usual definition of 公共交通空白地域 in Japanese transport planning
(e.g. MLIT's 地域公共交通 guidance): **800 m to a railway station, 300 m to a bus stop** (some municipalities use
500 m or 1 km; pass ``walk_m=`` to change them). Cells are judged by their centre; distances are straight
lines measured in a metric CRS (the prefecture's plane rectangular zone, :func:`geo.crs.metric_crs`), never
in degrees.

Nearest-neighbour search uses ``shapely.STRtree.query_nearest``: it runs all queries in one vectorised C call
and returns the exact distance to the nearest geometry (a station given as a platform line works as well as a
point). ``rtree``'s nearest search loops in Python per query and measures bounding-box distances, which is
slower here and only exact for points.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from geo._errors import ValidationError
from geo.crs import metric_crs, require_crs, to_metric
from geo.demand import demand_points, demand_weights, weight_column

log = logging.getLogger(__name__)

DEFAULT_WALK_M: dict[str, float] = {"station": 800.0, "bus": 300.0, "stops": 300.0}
"""Walking distance (m) by supply layer name: 800 m to a station, 300 m to a bus stop. A single supply
frame passed without a name is the layer ``"stops"`` (300 m)."""


Supply = gpd.GeoDataFrame | gpd.GeoSeries | Mapping[str, gpd.GeoDataFrame | gpd.GeoSeries]


def _layers(stops: Supply, walk_m: float | Mapping[str, float] | None) -> dict[str, tuple[gpd.GeoSeries, float]]:
    layers = dict(stops) if isinstance(stops, Mapping) else {"stops": stops}
    if not layers:
        raise ValidationError("no supply layer given: pass stops (a GeoDataFrame or a mapping name → layer)")
    out = {}
    for name, layer in layers.items():
        if not isinstance(layer, (gpd.GeoDataFrame, gpd.GeoSeries)):
            raise ValidationError(f"supply layer {name!r} is a {type(layer).__name__}, not a GeoDataFrame")
        require_crs(layer, f"supply layer {name!r}")
        if isinstance(walk_m, Mapping):
            extra = sorted(set(walk_m) - set(layers))
            if extra:
                raise ValidationError(f"walk_m names {extra} match no supply layer; layers are {sorted(layers)}")
            metres = walk_m.get(name, DEFAULT_WALK_M.get(name))
            if metres is None:
                raise ValidationError(
                    f"no walking distance for supply layer {name!r}: add it to walk_m (known defaults: "
                    f"{DEFAULT_WALK_M})"
                )
        elif walk_m is None:
            metres = DEFAULT_WALK_M.get(name)
            if metres is None:
                raise ValidationError(f"no default walking distance for layer {name!r}: pass walk_m={{{name!r}: …}}")
        else:
            metres = walk_m
        if not (isinstance(metres, (int, float)) and np.isfinite(metres) and metres > 0):
            raise ValidationError(f"walking distance for {name!r} must be a positive number of metres, got {metres!r}")
        geoms = layer.geometry if isinstance(layer, gpd.GeoDataFrame) else layer
        empty = geoms.is_empty.to_numpy() | geoms.isna().to_numpy()
        if empty.any():
            raise ValidationError(
                f"supply layer {name!r} has {int(empty.sum())} empty geometries (index "
                f"{list(geoms.index[empty][:10])}): remove them explicitly"
            )
        out[name] = (geoms, float(metres))
    return out


def nearest_distances(
    demand: gpd.GeoDataFrame | gpd.GeoSeries, supply: gpd.GeoDataFrame | gpd.GeoSeries, *, crs: CRS
) -> np.ndarray:
    """Distance in metres from each demand row (centroid for polygons) to the nearest supply geometry.

    ``inf`` when the supply layer is empty.

    Examples
    --------
    >>> import shapely
    >>> d = gpd.GeoSeries(shapely.points([138.5, 138.6], [35.6, 35.6]), crs=6668)
    >>> s = gpd.GeoSeries(shapely.points([138.5], [35.6]), crs=6668)
    >>> nearest_distances(d, s, crs=CRS.from_epsg(6676)).round(-1).tolist()   # 0.1° of longitude at 35.6°N
    [0.0, 9060.0]
    """
    points = demand_points(demand, crs)
    geoms = supply.geometry if isinstance(supply, gpd.GeoDataFrame) else supply
    targets = to_metric(geoms, crs).to_numpy()
    out = np.full(len(points), np.inf)
    if len(targets) == 0 or len(points) == 0:
        return out
    tree = shapely.STRtree(targets)
    (src, _), dist = tree.query_nearest(points, return_distance=True, all_matches=False)
    out[src] = dist
    return out


def find_gaps(
    demand: gpd.GeoDataFrame,
    stops: Supply | None = None,
    *,
    walk_m: float | Mapping[str, float] | None = None,
    weight: str | None = None,
    crs: CRS | str | int | None = None,
    pref_code: str | None = None,
    keep_all: bool = False,
) -> gpd.GeoDataFrame:
    """Demand rows farther than walking distance from every stop and station (transport gaps).

    *Usable* service by time of day (GTFS timetables, named definitions) is :func:`geo.service_gaps`; gaps per
    area with the border rule are :func:`geo.analyses.gaps`.

    Parameters
    ----------
    demand
        Mesh cells (polygons, judged by their centre) or points, with a CRS. Partitioned inputs go through
        :func:`geo.find_gaps` (:mod:`geo.partitioned`).
    stops
        One supply layer, or a mapping of named layers, e.g. ``{"station": stations, "bus": bus_stops}``.
        Give the supply beyond the study area too (a station across the border serves the residents).
    walk_m
        Walking distance in metres: one number for every layer, or a mapping by layer name. Defaults:
        :data:`DEFAULT_WALK_M` (``station`` 800 m, ``bus`` 300 m, a single unnamed layer 300 m).
    weight
        Demand weight column; by default ``population``/``pop_2020``/``人口`` when present, else each row
        counts 1 (e.g. unweighted grid cells).
    crs
        Metric CRS for distances; by default the plane rectangular zone of ``pref_code`` or of the data
        (:func:`geo.crs.metric_crs`). Geographic CRSs are refused.
    pref_code
        Prefecture whose plane rectangular zone measures the distances.
    keep_all
        Return every demand row with a boolean ``gap`` column instead of the gaps only.

    Returns
    -------
    GeoDataFrame
        The gap rows of ``demand`` (a copy, same index and CRS) with ``dist_<layer>_m`` for each layer and
        ``dist_m`` (to the nearest supply of any layer). ``attrs["gaps"]`` records walking distances, the CRS
        used, the weight column, demand and gap totals.

    Examples
    --------
    >>> cells = geo.read_mesh("yamanashi_mesh1km_2020.csv")                             # doctest: +SKIP
    >>> gaps = find_gaps(cells, {"station": stations}, walk_m={"station": 800})         # doctest: +SKIP
    >>> gaps.attrs["gaps"]["gap_weight"]                                                 # doctest: +SKIP
    """
    if stops is None:
        raise ValidationError("no supply layer given: pass stops (a GeoDataFrame or a mapping name → layer)")
    require_crs(demand, "demand")
    layers = _layers(stops, walk_m)
    target = metric_crs(demand, pref_code=pref_code) if crs is None else CRS.from_user_input(crs)
    if not target.is_projected:
        raise ValidationError(f"crs {target.name} is geographic: distances need a projected CRS (metres)")
    column = weight_column(demand, weight) if isinstance(demand, pd.DataFrame) else None
    w = demand_weights(demand, column)
    out = demand.copy()
    covered = np.zeros(len(demand), dtype=bool)
    nearest = np.full(len(demand), np.inf)
    for name, (geoms, metres) in layers.items():
        dist = nearest_distances(demand, geoms, crs=target)
        out[f"dist_{name}_m"] = dist
        covered |= dist <= metres
        nearest = np.minimum(nearest, dist)
    out["dist_m"] = nearest
    gap = ~covered
    out.attrs["gaps"] = {
        "walk_m": {name: metres for name, (_, metres) in layers.items()},
        "crs": target.to_string(),
        "crs_name": target.name,
        "weight_column": column,
        "demand_rows": len(demand),
        "gap_rows": int(gap.sum()),
        "demand_weight": float(w.sum()),
        "gap_weight": float(w[gap].sum()),
    }
    out.attrs["metric_crs"] = target.to_string()  # the key every analysis uses to say which CRS measured
    log.info(
        "gaps: %d of %d demand rows (%s %.0f of %.0f) beyond %s in %s",
        gap.sum(), len(demand), column or "count", w[gap].sum(), w.sum(), out.attrs["gaps"]["walk_m"], target.name,
    )  # fmt: skip
    if keep_all:
        out["gap"] = gap
        return out
    return out.loc[gap]
