"""Run point analyses partition-wise on dask-geopandas, for point sets larger than one machine's memory.

:func:`geo.assign_points`, :func:`geo.count_points`, :func:`geo.find_gaps` and :func:`geo.hub_coverage` accept a
``dask_geopandas.GeoDataFrame`` (or the path of a GeoParquet file or partitioned dataset folder, read lazily)
in place of an in-memory point layer, and hand it to the functions here. The small side (boundaries, stops,
hubs) is wrapped once as a single dask task, so it is shipped to each worker once, not once per partition (the
"broadcast"); each partition then runs the ordinary in-memory function, and additive results are summed. The
answers are the in-memory answers: every step is row-local once the metric CRS is fixed up front.

dask, distributed and dask-geopandas are optional imports: only these functions need them.

When to switch (measured in ``scripts/bench_scale.py`` on a 2-core machine): in memory, assignment runs at
≈ 3M points/s once the points are loaded, but 10M points read from GeoParquet into a GeoDataFrame take ≈ 4.5 GB
of RAM and 7.5 s to load (shapely objects); counting the same dataset from its path here (one task per file,
coordinates decoded without shapely objects) took 4.1 s in all against 10.3 s, in the memory of a few files.
Switch when the points do not fit in memory, when they already sit in a partitioned GeoParquet dataset, or
when a cluster with more cores is at hand: ``distributed.Client("tcp://scheduler:8786")`` before the call
makes the calls below run there. An in-memory frame wrapped in dask gains nothing on one machine (1M points:
3.2 s through a local cluster vs 0.3 s in memory: the frame is shipped to the workers).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo._errors import ValidationError
from geo.areas import area_index, area_index_xy, count_frame, weights_inside
from geo.areas import assign_points as assign_in_memory
from geo.crs import metric_crs
from geo.gaps import find_gaps as gaps_in_memory
from geo.hubs import hub_coverage as coverage_in_memory
from geo.points import parquet_files

_INSTALL = "pip install dask-geopandas distributed (or conda install -c conda-forge dask-geopandas distributed)"


def is_distributed(obj: object) -> bool:
    """True for a dask(-geopandas) collection or the path of a ``.parquet`` file / dataset folder (any folder:
    an empty one or one without Parquet files is refused by :func:`geo.points.parquet_files`, never read as a
    frame)."""
    if type(obj).__module__.split(".")[0] in ("dask", "dask_geopandas", "dask_expr"):
        return True
    if isinstance(obj, (str, os.PathLike)):
        path = Path(obj)
        return path.suffix.lower() in (".parquet", ".geoparquet") or path.is_dir()  # Hive key=value folders too
    return False


def _dask_geopandas() -> Any:
    try:
        import dask_geopandas
    except ImportError as exc:
        raise ImportError(f"partition-wise runs need dask-geopandas: {_INSTALL}") from exc
    return dask_geopandas


def _delayed() -> Any:
    try:
        from dask import delayed
    except ImportError as exc:
        raise ImportError(f"partition-wise runs need dask: {_INSTALL}") from exc
    return delayed


def as_dask(points: object, *, npartitions: int | None = None) -> Any:
    """A dask-geopandas frame from a dask frame (returned as is), a GeoParquet path, or an in-memory frame.

    Parameters
    ----------
    points
        ``dask_geopandas.GeoDataFrame``; a GeoParquet file or partitioned dataset folder (read lazily, one
        partition per file or row group); or a ``geopandas.GeoDataFrame`` (split into ``npartitions``).
    npartitions
        Partitions for an in-memory frame (default: one per million rows, at least 2).
    """
    dgpd = _dask_geopandas()
    if isinstance(points, gpd.GeoDataFrame):
        n = npartitions or max(2, -(-len(points) // 1_000_000))
        return dgpd.from_geopandas(points, npartitions=n)
    if isinstance(points, (str, os.PathLike)):
        path = Path(points)
        if not path.exists():
            raise FileNotFoundError(f"{path}: no such GeoParquet file or dataset folder")
        parquet_files(path)  # an empty folder or partitions with differing columns are refused, named
        return dgpd.read_parquet(str(path))
    if type(points).__module__.split(".")[0] in ("dask", "dask_geopandas", "dask_expr"):
        if not hasattr(points, "crs"):
            raise ValidationError("a dask DataFrame without geometry: use dask_geopandas (points_from_xy) first")
        return points
    raise ValidationError(f"cannot run partition-wise on a {type(points).__name__}")


def _partitions(points: Any) -> list[Any]:
    return list(points.to_delayed())


def assign_points(points: object, areas: gpd.GeoDataFrame, *, columns: tuple[str, ...] | list[str]) -> Any:
    """:func:`geo.assign_points` partition by partition: a lazy dask-geopandas frame (call ``.compute()``
    or ``.to_parquet()``), with the same rows, index and values as the in-memory result."""
    frame = as_dask(points)
    meta = assign_in_memory(frame._meta, areas, columns=columns)  # empty frame: the output columns and dtypes
    return frame.map_partitions(assign_in_memory, _delayed()(areas), columns=columns, meta=meta)


def _totals(part: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, weight: str | None) -> np.ndarray:
    """(len(areas) + 2,) per-area sums of one partition, then the partition's point and outside counts."""

    idx = area_index(part, areas)
    inside = idx >= 0
    values = weights_inside(part, weight, inside)
    totals = np.bincount(idx[inside], weights=values[inside], minlength=len(areas))
    return np.concatenate([totals, [len(idx), int((~inside).sum())]])


def point_xy_from_parquet(
    path: str | os.PathLike[str], crs: object, *, columns: tuple[str, ...] = ()
) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """x, y (float arrays in ``crs``) of a GeoParquet file of points, without building shapely objects.

    Well-known binary points are fixed 21-byte records (byte order, type, x, y), so a column of them is decoded
    as one numpy view; anything else (multi-points, big-endian, 3D) goes through ``shapely.from_wkb``. Empty
    points give NaN (in no area). ``columns`` are read alongside and returned as a frame.
    """
    import json

    import pyarrow.parquet as pq
    import shapely
    from pyproj import CRS, Transformer

    file = pq.ParquetFile(path)
    meta = json.loads(file.schema_arrow.metadata[b"geo"])
    name = meta["primary_column"]
    table = file.read(columns=[name, *columns])
    col = table.column(name).combine_chunks()
    n = len(col)
    x = np.full(n, np.nan)
    y = np.full(n, np.nan)
    valid = ~np.asarray(col.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    offsets = np.frombuffer(col.buffers()[1], dtype=np.int32)[col.offset : col.offset + n + 1]
    data = np.frombuffer(col.buffers()[2], dtype=np.uint8) if n else np.zeros(0, dtype=np.uint8)
    lengths = np.diff(offsets)
    records = data[offsets[0] : offsets[-1]] if n else data
    if n and valid.all() and (lengths == 21).all():
        rec = records.reshape(-1, 21)
        if (rec[:, 0] == 1).all() and (rec[:, 1:5].copy().view("<u4").ravel() == 1).all():
            xy = rec[:, 5:21].copy().view("<f8")
            x, y = xy[:, 0].copy(), xy[:, 1].copy()
            valid = None  # decoded
    if valid is not None and n:
        geoms = shapely.from_wkb(np.asarray(col.to_pylist(), dtype=object))
        types = shapely.get_type_id(geoms)
        if (types > 0).any():
            raise ValidationError(f"{path}: holds non-point geometries; points are needed", source=path)
        ok = (types == 0) & ~shapely.is_empty(geoms)
        x[ok], y[ok] = shapely.get_x(geoms[ok]), shapely.get_y(geoms[ok])
    source = CRS.from_user_input(meta["columns"][name].get("crs") or "OGC:CRS84")
    target = CRS.from_user_input(crs)
    if not source.equals(target):
        x, y = (np.asarray(v) for v in Transformer.from_crs(source, target, always_xy=True).transform(x, y))
    return x, y, table.drop_columns([name]).to_pandas() if columns else pd.DataFrame(index=range(n))


def _file_totals(path: Path, areas: gpd.GeoDataFrame, weight: str | None) -> np.ndarray:
    """:func:`_totals` for one GeoParquet file of points, read as coordinates only."""

    x, y, extra = point_xy_from_parquet(path, areas.crs, columns=(weight,) if weight else ())
    idx = area_index_xy(x, y, areas)
    inside = idx >= 0
    values = weights_inside(extra, weight, inside)
    totals = np.bincount(idx[inside], weights=values[inside], minlength=len(areas))
    return np.concatenate([totals, [len(idx), int((~inside).sum())]])


def count_points(
    points: object,
    areas: gpd.GeoDataFrame,
    *,
    name: str,
    weight: str | None,
    population: str | None,
) -> gpd.GeoDataFrame:
    """:func:`geo.count_points` over a dask frame: per-partition sums added up, then the same output frame."""

    delayed = _delayed()
    shared = delayed(areas)
    if isinstance(points, (str, os.PathLike)):  # a GeoParquet dataset: one task per file, coordinates only
        path = Path(points)
        if not path.exists():
            raise FileNotFoundError(f"{path}: no such GeoParquet file or dataset folder")
        parts = [delayed(_file_totals)(f, shared, weight) for f in parquet_files(path)]
    else:
        parts = [delayed(_totals)(p, shared, weight) for p in _partitions(as_dask(points))]
    summed = np.asarray(delayed(sum)(parts).compute(), dtype=float) if parts else np.zeros(len(areas) + 2)
    totals, n_points, outside = summed[:-2], int(summed[-2]), int(summed[-1])
    return count_frame(areas, totals, name=name, weight=weight, population=population, n=n_points, outside=outside)


def find_gaps(demand: object, stops: object, *, crs: object, pref_code: str | None, **options: Any) -> Any:
    """:func:`geo.find_gaps` partition by partition: a lazy dask-geopandas frame of the gap rows.

    The metric CRS is fixed once from the whole extent (``crs=`` or the prefecture's zone when given), so every
    partition measures in the same CRS as the in-memory run would.
    """
    from pyproj import CRS

    frame = as_dask(demand)
    if crs is None:
        minx, miny, maxx, maxy = (float(v) for v in frame.total_bounds.compute())
        extent = gpd.GeoSeries(gpd.points_from_xy([minx, maxx], [miny, maxy]), crs=frame.crs)
        crs = metric_crs(extent, pref_code=pref_code)
    target = CRS.from_user_input(crs)
    meta = gaps_in_memory(frame._meta, stops, crs=target, pref_code=pref_code, **options)
    return frame.map_partitions(
        gaps_in_memory, _delayed()(stops), crs=target, pref_code=pref_code, meta=meta, **options
    )


@dataclass(frozen=True)
class CoverageTotals:
    """The additive figures of :func:`geo.hub_coverage` over partitioned demand (weights in the demand's unit)."""

    total: float
    covered: float
    multi_covered: float
    share: float  # covered / total (NaN without demand)
    per_hub_covered: pd.Series  # indexed like the hubs
    metric_crs: str


def hub_coverage_totals(
    hubs: gpd.GeoDataFrame,
    demand: object,
    *,
    radius_m: float,
    crs: object = None,
    pref_code: str | None = None,
    weight: str | None = None,
) -> CoverageTotals:
    """:func:`geo.hub_coverage` over a dask frame of demand: the additive figures, partition by partition.

    Each partition runs the in-memory coverage against the broadcast hubs in one metric CRS fixed up front
    (``crs=``, else chosen from the extent of the hubs and the whole demand, as in memory); the per-row results
    do not depend on the other rows, so the sums equal the in-memory figures.
    """
    from pyproj import CRS

    frame = as_dask(demand)
    if crs is None:
        minx, miny, maxx, maxy = (float(v) for v in frame.total_bounds.compute())
        hb = hubs.to_crs(frame.crs).total_bounds
        xs, ys = [minx, maxx, hb[0], hb[2]], [miny, maxy, hb[1], hb[3]]
        crs = metric_crs(gpd.GeoSeries(gpd.points_from_xy(xs, ys), crs=frame.crs), pref_code=pref_code)
    target = CRS.from_user_input(crs)

    def one(part: gpd.GeoDataFrame, hubs: gpd.GeoDataFrame) -> tuple[float, float, float, np.ndarray]:
        if len(part) == 0:
            return 0.0, 0.0, 0.0, np.zeros(len(hubs))
        r = coverage_in_memory(hubs, part, radius_m=radius_m, crs=target, weight=weight)
        return float(r.total), float(r.covered), float(r.multi_covered), r.per_hub["covered"].to_numpy(dtype=float)

    delayed = _delayed()
    shared = delayed(hubs)
    results = delayed(list)([delayed(one)(p, shared) for p in _partitions(frame)]).compute()
    total = float(sum(r[0] for r in results))
    covered = float(sum(r[1] for r in results))
    per_hub = np.sum([r[3] for r in results], axis=0) if results else np.zeros(len(hubs))
    return CoverageTotals(
        total=total,
        covered=covered,
        multi_covered=float(sum(r[2] for r in results)),
        share=covered / total if total else float("nan"),
        per_hub_covered=pd.Series(per_hub, index=hubs.index, name="covered"),
        metric_crs=target.to_string(),
    )
