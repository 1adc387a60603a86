"""Benchmark: coverage table + buffer union for 10,000 hubs × 100,000 demand points at 5 km.

Run:  GEO_DATA_MIRROR=../shared/data python scripts/bench_hubs.py [--repeat 3] [--radius 5000]

Hubs: the first 10,000 of the 10,240 N02-23 railway stations of Japan (real, clustered, national: the toolkit
measures each in its own UTM zone). Demand: 100,000 points drawn uniformly (fixed seed) over the land of Japan
(N03 prefecture polygons), each with a random population. Both are timed in the same run, medians of
``--repeat``:

* **toolkit**: ``geo.hub_coverage`` (covered total, per hub covered/exclusive/shared, multi-covered, uncovered
  layer; geodesic decision near the radius) + ``geo.buffer_hubs(..., dissolve=True)`` (per-hub UTM buffers and
  their union per radius).
* **baseline**: plain geopandas in one projected CRS (UTM 54N, EPSG:6691): ``buffer`` → ``sjoin(predicate=
  "within")`` → covered total and per-hub sums → ``union_all()`` of the buffers.

The covered totals are printed too: the baseline's single national CRS misjudges demand near the radius far
from its central meridian (Okinawa, eastern Hokkaido).

With ``--siting`` it times instead, in the same run against plain numpy baselines (alternating rounds):

* **greedy MCLP**, k=10, 1,000 candidates (every 10th station) × 100,000 demand at ``--radius``:
  ``geo.choose_hubs(method="greedy")`` vs ECEF ``cKDTree.sparse_distance_matrix`` → CSR → greedy by sparse
  products (spherical chord radius, no geodesic check at the edge);
* **coverage** of 10,000 hubs × 100,000 demand: ``geo.hub_coverage`` vs the same ECEF pair search + covered
  total and per-hub sums.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

import geo
from geo.areas import area_index_xy

N03 = "japan-topography-n03-2021/topojson/s0010/N03-21_210101.json"
STATIONS = "ksj-n02-2023-railway-stations/stations_points.csv"


def demand_points(prefs: gpd.GeoDataFrame, n: int, seed: int = 0) -> gpd.GeoDataFrame:
    """``n`` points uniform over land (rejection sampling in lon/lat, thinned by cos(lat) to equal area)."""
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = prefs.total_bounds
    xs, ys = [], []
    have = 0
    while have < n:
        x = rng.uniform(minx, maxx, 4 * n)
        y = rng.uniform(miny, maxy, 4 * n)
        keep = rng.uniform(0, 1, 4 * n) < np.cos(np.radians(y)) / np.cos(np.radians(miny))
        x, y = x[keep], y[keep]
        inside = area_index_xy(x, y, prefs) >= 0
        xs.append(x[inside])
        ys.append(y[inside])
        have += int(inside.sum())
    x, y = np.concatenate(xs)[:n], np.concatenate(ys)[:n]
    return gpd.GeoDataFrame(
        {"population": rng.integers(1, 500, n).astype(float)}, geometry=shapely.points(x, y), crs=6668
    )


def toolkit(hubs: gpd.GeoDataFrame, demand: gpd.GeoDataFrame, radius: float) -> tuple[float, object]:
    res = geo.hub_coverage(hubs, demand, radius_m=radius, weight="population")
    union = geo.buffer_hubs(hubs, [radius], dissolve=True)
    return res.covered, union


def baseline(hubs: gpd.GeoDataFrame, demand: gpd.GeoDataFrame, radius: float) -> tuple[float, object]:
    crs = 6691  # JGD2011 UTM 54N: the middle of Japan's five zones
    buffers = gpd.GeoDataFrame({"hub": np.arange(len(hubs))}, geometry=hubs.to_crs(crs).buffer(radius), crs=crs)
    joined = gpd.sjoin(demand.to_crs(crs), buffers, predicate="within")
    per_hub = joined.groupby("hub")["population"].sum()
    covered = float(demand["population"].to_numpy()[np.unique(joined.index.to_numpy())].sum())
    union = buffers.union_all()
    assert len(per_hub) <= len(hubs)
    return covered, union


def timed(runs: dict[str, tuple], repeat: int) -> dict[str, tuple[list[float], float]]:  # type: ignore[type-arg]
    """Run each contender once per round, alternating, so a load spike from other jobs hits both alike."""
    out: dict[str, tuple[list[float], float]] = {name: ([], 0.0) for name in runs}
    for _ in range(repeat):
        for name, (fn, *args) in runs.items():
            start = time.perf_counter()
            value, _ = fn(*args)
            out[name][0].append(time.perf_counter() - start)
            out[name] = (out[name][0], value)
    return out


R_EARTH = 6_371_008.8


def ecef(lonlat: np.ndarray) -> np.ndarray:
    """Unit-sphere positions × mean Earth radius (the plain baseline: a sphere, no ellipsoid)."""
    lon, lat = np.radians(lonlat[:, 0]), np.radians(lonlat[:, 1])
    return R_EARTH * np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])


def _ll(frame: gpd.GeoDataFrame) -> np.ndarray:
    return shapely.get_coordinates(frame.geometry.to_numpy())


def numpy_pairs(hubs: gpd.GeoDataFrame, demand: gpd.GeoDataFrame, radius: float):  # type: ignore[no-untyped-def]
    from scipy.spatial import cKDTree

    chord = 2 * R_EARTH * np.sin(radius / (2 * R_EARTH))
    m = cKDTree(ecef(_ll(hubs))).sparse_distance_matrix(cKDTree(ecef(_ll(demand))), chord, output_type="coo_matrix")
    return m.tocsr()


def baseline_greedy(hubs: gpd.GeoDataFrame, demand: gpd.GeoDataFrame, radius: float, k: int) -> tuple[float, list]:
    m = numpy_pairs(hubs, demand, radius)
    m.data[:] = 1.0
    w = demand["population"].to_numpy(float)
    free = w.copy()
    chosen = []
    for _ in range(k):
        j = int(np.argmax(m @ free))
        chosen.append(j)
        free[m.indices[m.indptr[j] : m.indptr[j + 1]]] = 0.0
    return float(w.sum() - free.sum()), chosen


def toolkit_greedy(hubs: gpd.GeoDataFrame, demand: gpd.GeoDataFrame, radius: float, k: int) -> tuple[float, list]:
    chosen, report = geo.choose_hubs(hubs, demand, k=k, radius_m=radius, weight="population", method="greedy")
    return report.covered, [int(hubs.index.get_loc(i)) for i in chosen.index]


def baseline_coverage(hubs: gpd.GeoDataFrame, demand: gpd.GeoDataFrame, radius: float) -> tuple[float, None]:
    m = numpy_pairs(hubs, demand, radius)
    w = demand["population"].to_numpy(float)
    n_cov = np.bincount(m.indices, minlength=len(w))
    per_hub = np.add.reduceat(w[m.indices], m.indptr[:-1]) if m.nnz else np.zeros(len(hubs))
    assert len(per_hub) == len(hubs)
    return float(w[n_cov > 0].sum()), None


def toolkit_coverage(hubs: gpd.GeoDataFrame, demand: gpd.GeoDataFrame, radius: float) -> tuple[float, None]:
    return geo.hub_coverage(hubs, demand, radius_m=radius, weight="population").covered, None


def siting_bench(stations: gpd.GeoDataFrame, demand: gpd.GeoDataFrame, radius: float, repeat: int) -> None:
    hubs1k = stations.iloc[::10].iloc[:1000]
    hubs10k = stations.iloc[:10_000]
    for label, runs in (
        (
            f"greedy MCLP k=10, {len(hubs1k):,} × {len(demand):,}",
            {
                "toolkit": (toolkit_greedy, hubs1k, demand, radius, 10),
                "numpy": (baseline_greedy, hubs1k, demand, radius, 10),
            },
        ),
        (
            f"coverage {len(hubs10k):,} × {len(demand):,}",
            {
                "toolkit": (toolkit_coverage, hubs10k, demand, radius),
                "numpy": (baseline_coverage, hubs10k, demand, radius),
            },
        ),
    ):
        for fn, *args in runs.values():  # warm-up (imports, pyproj caches)
            fn(*args)
        res = _timed_values(runs, repeat)
        (t_tool, v_tool), (t_base, v_base) = res["toolkit"], res["numpy"]
        m_tool, m_base = statistics.median(t_tool), statistics.median(t_base)
        print(
            f"{label} at {radius:g} m: toolkit {m_tool:.3f} s, numpy {m_base:.3f} s, ratio {m_base / m_tool:.2f}× "
            f"(best {min(t_tool):.3f} vs {min(t_base):.3f}); covered {v_tool[0]:,.0f} vs {v_base[0]:,.0f}"
        )
        if v_tool[1] is not None:
            print(f"  same choice: {v_tool[1] == v_base[1]}")


def _timed_values(runs: dict[str, tuple], repeat: int) -> dict[str, tuple[list[float], tuple]]:  # type: ignore[type-arg]
    out: dict[str, tuple[list[float], tuple]] = {name: ([], ()) for name in runs}  # type: ignore[type-arg]
    for _ in range(repeat):
        for name, (fn, *args) in runs.items():
            start = time.perf_counter()
            value = fn(*args)
            out[name][0].append(time.perf_counter() - start)
            out[name] = (out[name][0], value)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--radius", type=float, default=5000.0)
    parser.add_argument("--hubs", type=int, default=10_000)
    parser.add_argument("--demand", type=int, default=100_000)
    parser.add_argument("--siting", action="store_true", help="time greedy MCLP and coverage against numpy")
    args = parser.parse_args()
    mirror = os.environ.get("GEO_DATA_MIRROR")
    if not mirror:
        print("set GEO_DATA_MIRROR to the shared data folder (e.g. ../shared/data)", file=sys.stderr)
        return 1
    data = Path(mirror)
    prefs = geo.read_boundaries(data / N03, level="prefecture")
    hubs = geo.read_points(data / STATIONS).iloc[: args.hubs]
    demand = demand_points(prefs, args.demand)
    if args.siting:
        siting_bench(geo.read_points(data / STATIONS), demand, args.radius, args.repeat)
        return 0
    print(f"{len(hubs):,} hubs (N02 stations) × {len(demand):,} demand points at {args.radius:g} m")
    results = timed(
        {"toolkit": (toolkit, hubs, demand, args.radius), "baseline": (baseline, hubs, demand, args.radius)},
        args.repeat,
    )
    (times_tool, cov_tool), (times_base, cov_base) = results["toolkit"], results["baseline"]
    t_tool, t_base = statistics.median(times_tool), statistics.median(times_base)
    # the parts of the toolkit, for the record
    start = time.perf_counter()
    geo.hub_coverage(hubs, demand, radius_m=args.radius, weight="population")
    t_cov = time.perf_counter() - start
    start = time.perf_counter()
    geo.buffer_hubs(hubs, [args.radius], dissolve=True)
    t_union = time.perf_counter() - start
    print(
        f"toolkit  (coverage table + union): {t_tool:6.2f} s  [coverage {t_cov:.2f} s, buffers+union {t_union:.2f} s]"
    )
    print(f"baseline (buffer → sjoin → union): {t_base:6.2f} s")
    print(
        f"speed-up: {t_base / t_tool:.1f}× (median of {args.repeat} alternating rounds; best rounds "
        f"{min(times_tool):.2f} s vs {min(times_base):.2f} s = {min(times_base) / min(times_tool):.1f}×)"
    )
    print(
        f"covered population: toolkit {cov_tool:,.0f}, baseline {cov_base:,.0f} "
        f"(difference {cov_base - cov_tool:+,.0f}, {(cov_base - cov_tool) / cov_tool:+.2%})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
