"""Benchmark: assign 1,000,000 points to the 1,906 municipalities — geo.assign_points vs geopandas.sjoin.

Run:  GEO_DATA_MIRROR=../shared/data python scripts/bench_assign_points.py [--points 1000000] [--repeat 3]

Both methods run in the same process on the same points, each time on FRESH frames (new GeoDataFrames and new
geometry objects, so no spatial index or prepared geometry cached by an earlier run helps either side). Timed:
``geopandas.sjoin(points, areas, predicate="within", how="left")`` and ``geo.assign_points(points, areas)``,
each from the GeoDataFrame of points to the result. Points are uniform random on land (rejection sampling in
Japan's bounding box against the municipalities, untimed); a second set is uniform over the bounding box
(mostly sea, the cheap case for both).

Prints points/second, the ratio (target: ≥ 1.0, aim 1.5), the agreement of the two results, and memory: the
tracemalloc peak of each call (numpy and Python objects; GEOS allocations are not traced) and the process peak
RSS after each phase (resource.getrusage), which must stay under 2 GB.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

import geo
from geo.areas import area_index_xy

N03 = "japan-topography-n03-2021/topojson/s0010/N03-21_210101.json"
BBOX = (122.9, 24.0, 146.0, 45.6)  # 与那国 … 根室, 波照間 … 宗谷


def land_points(areas: gpd.GeoDataFrame, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points uniform on land (inside some municipality), by rejection sampling in the bounding box."""
    rng = np.random.default_rng(seed)
    xs, ys, have = [], [], 0
    while have < n:
        x = rng.uniform(BBOX[0], BBOX[2], 2_000_000)
        y = rng.uniform(BBOX[1], BBOX[3], 2_000_000)
        keep = area_index_xy(x, y, areas) >= 0
        xs.append(x[keep])
        ys.append(y[keep])
        have += int(keep.sum())
    return np.concatenate(xs)[:n], np.concatenate(ys)[:n]


def fresh(areas: gpd.GeoDataFrame, x: np.ndarray, y: np.ndarray) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """New frames with new geometry objects: no cached sindex, no prepared polygons from an earlier run."""
    polys = shapely.from_wkb(shapely.to_wkb(areas.geometry.to_numpy()))
    new_areas = gpd.GeoDataFrame(areas.drop(columns="geometry").copy(), geometry=polys, crs=areas.crs)
    points = gpd.GeoDataFrame({"id": np.arange(len(x))}, geometry=gpd.points_from_xy(x, y), crs=areas.crs)
    return points, new_areas


def run_sjoin(points: gpd.GeoDataFrame, areas: gpd.GeoDataFrame) -> np.ndarray:
    joined = gpd.sjoin(points, areas[["muni_code", "geometry"]], predicate="within", how="left")
    joined = joined[~joined.index.duplicated()]
    return joined["muni_code"].to_numpy(dtype=object)


def run_geo(points: gpd.GeoDataFrame, areas: gpd.GeoDataFrame) -> np.ndarray:
    return geo.assign_points(points, areas)["muni_code"].to_numpy(dtype=object)


def timed(func, areas, x, y) -> tuple[float, np.ndarray]:  # type: ignore[no-untyped-def]
    points, new_areas = fresh(areas, x, y)
    gc.collect()
    start = time.perf_counter()
    result = func(points, new_areas)
    return time.perf_counter() - start, result


def traced_peak(func, areas, x, y) -> int:  # type: ignore[no-untyped-def]
    """tracemalloc peak of one call, in a separate untimed run (tracing slows allocation-heavy code)."""
    points, new_areas = fresh(areas, x, y)
    gc.collect()
    tracemalloc.start()
    func(points, new_areas)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def bench(label: str, areas: gpd.GeoDataFrame, x: np.ndarray, y: np.ndarray, repeat: int) -> float:
    n = len(x)
    times: dict[str, list[float]] = {"sjoin": [], "geo": []}
    peaks: dict[str, int] = {"sjoin": 0, "geo": 0}
    results: dict[str, np.ndarray] = {}
    for _ in range(repeat):  # alternate, so drift on the shared machine hits both sides alike
        for name, func in (("geo", run_geo), ("sjoin", run_sjoin)):
            elapsed, results[name] = timed(func, areas, x, y)
            times[name].append(elapsed)
    for name, func in (("geo", run_geo), ("sjoin", run_sjoin)):
        peaks[name] = traced_peak(func, areas, x, y)
    t_geo, t_sjoin = statistics.median(times["geo"]), statistics.median(times["sjoin"])
    a, b = (pd.Series(results[k]).fillna("-").astype(str).to_numpy() for k in ("geo", "sjoin"))
    agree = float((a == b).mean())
    print(f"\n{label}: {n:,} points, {len(areas):,} municipalities, median of {repeat}")
    print(
        f"  geopandas.sjoin(within) {t_sjoin:6.2f} s  {n / t_sjoin / 1e3:8.0f} k pts/s  tracemalloc peak {peaks['sjoin'] / 2**20:6.0f} MB"
    )
    print(
        f"  geo.assign_points       {t_geo:6.2f} s  {n / t_geo / 1e3:8.0f} k pts/s  tracemalloc peak {peaks['geo'] / 2**20:6.0f} MB"
    )
    print(f"  ratio geo/sjoin: {t_sjoin / t_geo:.2f}x   same municipality: {agree:.4%} of points "
          f"({round((1 - agree) * n)} differ)")  # fmt: skip
    return t_sjoin / t_geo


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    mirror = os.environ.get("GEO_DATA_MIRROR")
    if not mirror:
        print("set GEO_DATA_MIRROR to the shared data folder (e.g. ../shared/data)", file=sys.stderr)
        return 1
    areas = geo.read_boundaries(Path(mirror) / N03)
    print(f"geopandas {gpd.__version__}, shapely {shapely.__version__} (GEOS {shapely.geos_version_string}), "
          f"{os.cpu_count()} CPUs")  # fmt: skip
    x, y = land_points(areas, args.points, seed=1)
    ratio = bench("land points", areas, x, y, args.repeat)
    rss_land = peak_rss_mb()
    rng = np.random.default_rng(2)
    bx, by = rng.uniform(BBOX[0], BBOX[2], args.points), rng.uniform(BBOX[1], BBOX[3], args.points)
    bench("bounding-box points (mostly sea)", areas, bx, by, args.repeat)
    rss = peak_rss_mb()
    print(f"\nprocess peak RSS: {rss_land:.0f} MB after the land run, {rss:.0f} MB at the end (limit 2048 MB)")
    verdict = "PASS" if ratio >= 1.0 and rss < 2048 else "FAIL"
    print(f"{verdict}: land points {ratio:.2f}x sjoin (need ≥ 1.0, aim 1.5), peak {rss:.0f} MB")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
