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
from geo.points import area_index_xy

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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--radius", type=float, default=5000.0)
    parser.add_argument("--hubs", type=int, default=10_000)
    parser.add_argument("--demand", type=int, default=100_000)
    args = parser.parse_args()
    mirror = os.environ.get("GEO_DATA_MIRROR")
    if not mirror:
        print("set GEO_DATA_MIRROR to the shared data folder (e.g. ../shared/data)", file=sys.stderr)
        return 1
    data = Path(mirror)
    prefs = geo.read_boundaries(data / N03, level="prefecture")
    hubs = geo.read_points(data / STATIONS).iloc[: args.hubs]
    demand = demand_points(prefs, args.demand)
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
