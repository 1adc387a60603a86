"""Benchmark: geo at every size against plain geopandas, in one run (issue #16).

Run:  GEO_DATA_MIRROR=/work/shared/data python scripts/bench_scale.py [--quick] [--skip-dask] [--skip-map]

Prints, each against a baseline measured in the same run (medians, the two sides interleaved):

1. First call: ``geo.assign_points`` vs ``geopandas.sjoin(predicate="within")`` each in a fresh process on
   boundaries just read (``geo.read_boundaries``, the same frame for both), 1k–1M land points; the import of
   ``geo.assign_points`` is printed apart (a script pays it once, at its top, as it pays ``import geopandas``).
2. Warm: ``geo.assign_points`` vs sjoin at 1k, 10k, 100k, 1M and 3M land points on the 1,906 municipalities,
   NEW points every round (geo's index was built by an earlier call on other points; no answer is reused).
3. ``geo.count_points`` vs sjoin + groupby count at the same sizes, on point sets not used before either.
4. ``geo.read_boundaries`` (cold: each call in a fresh process, after the import) vs ``geopandas.read_file``
   on Tokyo, the national 0.1 % and 1 % files (read_boundaries also checks validity, repairs, and checks or
   normalises N03 codes and names); then the same reads repeated in one process.
5. Memory per million points (tracemalloc peak of assign_points at 1M; process peak RSS).
6. dask-geopandas on a local cluster (2 workers): identical assignments to the in-memory path on 1M points,
   and throughput at 10M points, in memory vs dask reading a partitioned GeoParquet dataset.
7. A national Fisher–Jenks ``geo map`` to PNG in fresh processes (first and second run) vs a fresh-process
   geopandas script drawing the same map with the same furniture (FisherJenks classes, legend, title, credit).
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import os
import resource
import statistics
import subprocess
import sys
import tempfile
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
TABLE = "ssdse-a-municipal-indicators/municipal_indicators.csv"
BBOX = (122.9, 24.0, 146.0, 45.6)


def land_points(areas: gpd.GeoDataFrame, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points uniform on land, by rejection sampling in Japan's box (untimed)."""
    rng = np.random.default_rng(seed)
    xs, ys, have = [], [], 0
    while have < n:
        x, y = rng.uniform(BBOX[0], BBOX[2], 2_000_000), rng.uniform(BBOX[1], BBOX[3], 2_000_000)
        keep = area_index_xy(x, y, areas) >= 0
        xs.append(x[keep])
        ys.append(y[keep])
        have += int(keep.sum())
    return np.concatenate(xs)[:n], np.concatenate(ys)[:n]


def frame(x: np.ndarray, y: np.ndarray, crs: object) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"id": np.arange(len(x))}, geometry=gpd.points_from_xy(x, y), crs=crs)


def sjoin_codes(points: gpd.GeoDataFrame, areas: gpd.GeoDataFrame) -> np.ndarray:
    joined = gpd.sjoin(points, areas[["muni_code", "geometry"]], predicate="within", how="left")
    joined = joined[~joined.index.duplicated()]
    return joined["muni_code"].to_numpy(dtype=object)


def sjoin_count(points: gpd.GeoDataFrame, areas: gpd.GeoDataFrame) -> np.ndarray:
    joined = gpd.sjoin(points, areas[["geometry"]], predicate="within", how="inner")
    counts = joined.groupby("index_right").size()  # by row: 所属未定地 rows have no code
    return counts.reindex(areas.index, fill_value=0).astype(np.int64).to_numpy()


def fresh_copy(areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The same areas with new geometry objects: geo's index of ``areas`` is neither used nor built through it."""
    out = areas.copy()
    out["geometry"] = shapely.from_wkb(shapely.to_wkb(areas.geometry.to_numpy()))
    return out


def interleaved(funcs: dict, make_args, repeat: int) -> tuple[dict[str, float], dict[str, object]]:  # type: ignore[no-untyped-def]
    times: dict[str, list[float]] = {k: [] for k in funcs}
    results: dict[str, object] = {}
    for _ in range(repeat):
        for name, func in funcs.items():
            args = make_args()
            gc.collect()
            t = time.perf_counter()
            results[name] = func(*args)
            times[name].append(time.perf_counter() - t)
    return {k: statistics.median(v) for k, v in times.items()}, results


def same(a: np.ndarray, b: np.ndarray) -> float:
    a = pd.Series(a).fillna("-").astype(str).to_numpy()
    b = pd.Series(b).fillna("-").astype(str).to_numpy()
    return float((a == b).mean())


def digest(codes: np.ndarray) -> str:
    return hashlib.sha256("\n".join(pd.Series(codes).fillna("-").astype(str)).encode()).hexdigest()[:16]


CHILD = "--first-call-child"


def first_call_child(which: str, source: str, points: str) -> None:
    """One fresh process: read the boundaries, then time the first point → area call (prints JSON-free text)."""
    t = time.perf_counter()
    from geo import assign_points  # a user's script imports it at its top, before reading

    t_import = time.perf_counter() - t
    areas = geo.read_boundaries(source)
    xy = np.load(points)
    pts = frame(xy[0], xy[1], areas.crs)
    gc.collect()
    t = time.perf_counter()
    call = {
        "geo": lambda: assign_points(pts, areas)["muni_code"].to_numpy(dtype=object),
        "sjoin": lambda: sjoin_codes(pts, areas),
    }
    codes = call[which]()
    took = time.perf_counter() - t
    print(f"{which} {took:.6f} {t_import:.6f} {digest(codes)}")


def bench_first_call(
    source: Path, areas: gpd.GeoDataFrame, sizes: list[int], repeat: int
) -> list[tuple[str, int, float]]:
    """geo's first call vs sjoin's, each in a fresh process, interleaved, new points every round."""
    rows = []
    sampler = fresh_copy(areas)
    folder = Path(tempfile.mkdtemp(prefix="bench_scale_first_"))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    print("\nFIRST CALL, fresh process per run, boundaries just read (geo.read_boundaries, same frame for both); "
          "new points every round; median; ratio = sjoin time / geo time")  # fmt: skip
    print(f"{'points':>10} {'geo s':>8} {'sjoin s':>8} {'ratio':>6} {'same':>5}   import geo.assign_points s")
    for n in sizes:
        times: dict[str, list[float]] = {"geo": [], "sjoin": []}
        imports, same_all = [], True
        for r in range(repeat):
            x, y = land_points(sampler, n, seed=1_000 + 31 * n + r)
            path = folder / f"p{n}_{r}.npy"
            np.save(path, np.stack([x, y]))
            digests = {}
            for which in ("geo", "sjoin"):
                out = subprocess.run([sys.executable, __file__, CHILD, which, str(source), str(path)], check=True,
                                     capture_output=True, text=True, env=env).stdout.split()  # fmt: skip
                times[which].append(float(out[1]))
                digests[which] = out[3]
                if which == "geo":
                    imports.append(float(out[2]))
            same_all &= digests["geo"] == digests["sjoin"]
        g, b = statistics.median(times["geo"]), statistics.median(times["sjoin"])
        rows.append(("first", n, b / g))
        print(f"{n:>10,} {g:8.3f} {b:8.3f} {b / g:6.2f} {same_all!s:>5}   {statistics.median(imports):.3f}")
        assert same_all, f"geo and sjoin disagree on the first call at {n} points"
    return rows


def bench_points(areas: gpd.GeoDataFrame, sizes: list[int], quick: bool) -> list[tuple[str, int, float]]:
    rows = []
    sampler = fresh_copy(areas)  # sampling land points never touches geo's index of ``areas``
    x, y = land_points(sampler, 1000, seed=9)
    t = time.perf_counter()
    geo.assign_points(frame(x, y, areas.crs), areas)
    print(f"\nfirst call in this process, 1k points (imports; the index is built once the points asked pay for it): "
          f"{time.perf_counter() - t:.3f} s")  # fmt: skip

    def fresh_sets(n: int, phase: int, repeat: int):  # type: ignore[no-untyped-def]
        """A new point set for every call of every round (two per round: one for geo, one for the baseline
        would differ, so both sides get the same set, but no set is ever used twice)."""
        sets = iter([land_points(sampler, n, seed=phase * 10_000_000 + 97 * n + r) for r in range(repeat)])
        current: list = []

        def make_args():  # type: ignore[no-untyped-def]
            if not current or current[1] == 2:
                current[:] = [next(sets), 0]
            current[1] += 1
            x, y = current[0]
            return frame(x, y, areas.crs), areas

        return make_args

    print("\nWARM point → municipality (land points, a new set every round), median; ratio = sjoin time / geo time")
    print(f"{'points':>10} {'geo s':>8} {'sjoin s':>8} {'ratio':>6} {'geo pts/s':>11} {'same':>8}")
    for n in sizes:
        repeat = 1 if n >= 3_000_000 or (quick and n >= 1_000_000) else 3 if n >= 1_000_000 else 5
        med, res = interleaved(
            {"geo": lambda p, a: geo.assign_points(p, a)["muni_code"].to_numpy(dtype=object), "sjoin": sjoin_codes},
            fresh_sets(n, 1, repeat),
            repeat,
        )
        ratio = med["sjoin"] / med["geo"]
        rows.append(("assign", n, ratio))
        agree = same(res["geo"], res["sjoin"])
        print(f"{n:>10,} {med['geo']:8.3f} {med['sjoin']:8.3f} {ratio:6.2f} {n / med['geo']:11,.0f} "
              f"{agree:8.4%}")  # fmt: skip
        assert agree == 1.0, f"geo and sjoin disagree at {n} points"
    print("\nWARM count per municipality (new sets again), median; ratio = (sjoin + groupby) time / geo time")
    print(f"{'points':>10} {'geo s':>8} {'sjoin s':>8} {'ratio':>6} {'equal':>6}")
    for n in sizes:
        repeat = 1 if n >= 3_000_000 or (quick and n >= 1_000_000) else 3 if n >= 1_000_000 else 5
        med, res = interleaved(
            {"geo": lambda p, a: geo.count_points(p, a)["n_points"].to_numpy(), "sjoin": sjoin_count},
            fresh_sets(n, 2, repeat),
            repeat,
        )
        ratio = med["sjoin"] / med["geo"]
        rows.append(("count", n, ratio))
        equal = np.array_equal(res["geo"], res["sjoin"])
        print(f"{n:>10,} {med['geo']:8.3f} {med['sjoin']:8.3f} {ratio:6.2f} {equal!s:>6}")
        assert equal, f"geo and sjoin counts differ at {n} points"
    return rows


READS = {
    "Tokyo (one prefecture, GeoJSON 1 %)": "japan-topography-n03-2021/geojson/s0010/N03-21_13_210101.json",
    "national TopoJSON 0.1 %": "japan-topography-n03-2021/topojson/s0001/N03-21_210101.json",
    "national TopoJSON 1 %": N03,
}


READ_CHILD = "--read-child"


def read_child(which: str, source: str) -> None:
    """One fresh process: import the reader (a script does at its top), then time one read of ``source``."""
    if which == "geo":
        from geo import read_boundaries as read
    else:
        read = gpd.read_file
    t = time.perf_counter()
    frame = read(source)
    print(f"{which} {time.perf_counter() - t:.6f} {len(frame)}")


def bench_read(mirror: Path, repeat: int) -> list[tuple[str, int, float]]:
    """Cold ``geo.read_boundaries`` vs ``geopandas.read_file``, each call in a fresh process, interleaved.

    Cold means what a user's script meets: the libraries imported, nothing read yet (no code table, no PROJ
    database, no GDAL driver, no boundary cache). The same files read again in one process (the cache emptied
    each time, tables and PROJ warm) are printed after, as a second table.
    """
    from geo import boundaries as b

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    rows = []
    print(f"\nREAD N03, cold: each call in a fresh process, median of {repeat}, interleaved; "
          "ratio = read_file time / geo time (target ≥ 0.8)")  # fmt: skip
    print(f"{'file':38s} {'read_file s':>11} {'geo s':>8} {'ratio':>6} {'rows':>6}")
    for label, rel in READS.items():
        times: dict[str, list[float]] = {"geo": [], "read_file": []}
        counts = {}
        for _ in range(repeat):
            for which in ("geo", "read_file"):
                out = subprocess.run([sys.executable, __file__, READ_CHILD, which, str(mirror / rel)], check=True,
                                     capture_output=True, text=True, env=env).stdout.split()  # fmt: skip
                times[which].append(float(out[1]))
                counts[which] = int(out[2])
        g, base = statistics.median(times["geo"]), statistics.median(times["read_file"])
        rows.append(("read", 0, base / g))
        print(f"{label:38s} {base:11.3f} {g:8.3f} {base / g:6.2f} {counts['geo']:>6}")

    def cold_read(source: Path) -> object:
        b._READ_CACHE.clear()
        return geo.read_boundaries(source)

    print(f"\nREAD N03 again in this process (cache emptied, tables and PROJ warm), median of {repeat}, interleaved")
    print(f"{'file':38s} {'read_file s':>11} {'geo s':>8} {'ratio':>6} {'rows':>6}")
    for label, rel in READS.items():
        source = mirror / rel
        med, res = interleaved(
            {"geo": lambda s=source: cold_read(s), "read_file": lambda s=source: gpd.read_file(s)}, lambda: (), repeat
        )
        print(f"{label:38s} {med['read_file']:11.3f} {med['geo']:8.3f} {med['read_file'] / med['geo']:6.2f} "
              f"{len(res['geo']):>6}")  # type: ignore[arg-type]  # fmt: skip
    return rows


def bench_memory(areas: gpd.GeoDataFrame) -> None:
    x, y = land_points(areas, 1_000_000, seed=11)
    points = frame(x, y, areas.crs)
    gc.collect()
    tracemalloc.start()
    geo.assign_points(points, areas)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    frame_mb = points.memory_usage(deep=False).sum() / 2**20 + len(points) * 112 / 2**20  # + shapely Points
    print(f"\nmemory per million points: assign_points peak {peak / 2**20:.0f} MB (tracemalloc, numpy and Python; "
          f"GEOS not traced), the point frame itself ≈ {frame_mb:.0f} MB; process peak RSS so far {rss:.0f} MB")  # fmt: skip


def bench_dask(areas: gpd.GeoDataFrame, n_big: int) -> None:
    import dask_geopandas
    from distributed import Client, LocalCluster

    x, y = land_points(areas, 1_000_000, seed=21)
    points = frame(x, y, areas.crs)
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0", scheduler_port=0
        ) as cluster,
        Client(cluster),
    ):
        t = time.perf_counter()
        lazy = dask_geopandas.from_geopandas(points, npartitions=4)
        out_dask = geo.assign_points(lazy, areas).compute()
        t_dask = time.perf_counter() - t
        t = time.perf_counter()
        out_mem = geo.assign_points(points, areas)
        t_mem = time.perf_counter() - t
        identical = out_dask.equals(out_mem)
        print(f"\ndask (LocalCluster 2 workers) vs in memory, 1M points: identical frames: {identical}; "
              f"dask {t_dask:.2f} s, in memory {t_mem:.2f} s")  # fmt: skip

        folder = Path(tempfile.mkdtemp(prefix="bench_scale_pq_"))
        per_file = 1_000_000
        for k in range(n_big // per_file):
            xk, yk = land_points(areas, per_file, seed=100 + k)
            frame(xk, yk, areas.crs).to_parquet(folder / f"part-{k:03d}.parquet")
        t = time.perf_counter()
        big = gpd.read_parquet(folder)
        t_read = time.perf_counter() - t
        t = time.perf_counter()
        mem_counts = geo.count_points(big, areas)["n_points"].to_numpy()
        t_mem = time.perf_counter() - t
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        del big
        gc.collect()
        t = time.perf_counter()
        dask_counts = geo.count_points(folder, areas)["n_points"].to_numpy()
        t_dask = time.perf_counter() - t
        print(f"{n_big / 1e6:.0f}M points (GeoParquet dataset, {n_big // per_file} files), count per municipality:")
        print(f"  in memory: read {t_read:.1f} s + count {t_mem:.1f} s = {n_big / (t_read + t_mem) / 1e6:.2f} M pts/s "
              f"(count alone {n_big / t_mem / 1e6:.2f} M pts/s); process peak RSS {rss:.0f} MB")  # fmt: skip
        print(f"  dask from the dataset (read + count per partition): {t_dask:.1f} s = {n_big / t_dask / 1e6:.2f} M pts/s;"
              f" same counts: {np.array_equal(mem_counts, dask_counts)}")  # fmt: skip


BASELINE_MAP = r"""
import sys, time
t0 = time.perf_counter()
import geopandas as gpd, pandas as pd, matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt, matplotlib_fontja  # noqa: F401  (Japanese title and credit)
areas = gpd.read_file(sys.argv[1]).set_crs(6668).dissolve(by="N03_007", as_index=False)
table = pd.read_csv(sys.argv[2], dtype={"code": str})
areas = areas.merge(table[["code", "pop_2020"]], left_on="N03_007", right_on="code", how="left")
fig, ax = plt.subplots(figsize=(10, 10), dpi=150)
areas.to_crs(6933).plot(column="pop_2020", scheme="FisherJenks", k=6, cmap="YlOrRd", legend=True, ax=ax,
                        edgecolor="white", linewidth=0.2, missing_kwds={"color": "#d9d9d9"},
                        legend_kwds={"title": "人", "loc": "lower right"})
ax.set_title("総人口"); ax.set_axis_off()
fig.text(0.01, 0.01, "「国土数値情報（行政区域データ）」（国土交通省）を加工して作成", fontsize=7)
fig.savefig(sys.argv[3], dpi=150)
print(f"{time.perf_counter() - t0:.2f}")
"""


def bench_map(mirror: Path, repeat: int) -> None:
    out = Path(tempfile.mkdtemp(prefix="bench_scale_map_"))
    geo_cmd = [str(Path(sys.executable).parent / "geo"), "map", str(mirror / N03), "--level", "designated_city",
               "-t", str(mirror / TABLE), "-c", "pop_2020", "--scheme", "fisher_jenks", "-k", "6", "--unit", "人",
               "--title", "総人口", "-o", str(out / "geo.png")]  # fmt: skip
    script = out / "baseline.py"
    script.write_text(BASELINE_MAP, encoding="utf-8")
    base_cmd = [sys.executable, str(script), str(mirror / N03), str(mirror / TABLE), str(out / "baseline.png")]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    times: dict[str, list[float]] = {"geo": [], "baseline": []}
    for _ in range(repeat):
        for name, cmd in (("geo", geo_cmd), ("baseline", base_cmd)):
            t = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True, env=env)
            times[name].append(time.perf_counter() - t)
    g, b = statistics.median(times["geo"]), statistics.median(times["baseline"])
    print(f"\nnational Fisher–Jenks map to PNG, fresh process each run (wall time incl. imports), median of {repeat}:")
    print(
        f"  geo map: runs {', '.join(f'{t:.2f}' for t in times['geo'])} s (the first run needs no JIT compile either)"
    )
    print(f"  geopandas plot, same classes/legend/title/credit (mapclassify compiles numba in every process): "
          f"{', '.join(f'{t:.2f}' for t in times['baseline'])} s")  # fmt: skip
    print(f"  ratio baseline / geo: {b / g:.2f}×")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="sizes up to 1M, one run at 1M")
    parser.add_argument("--skip-dask", action="store_true")
    parser.add_argument("--skip-map", action="store_true")
    parser.add_argument("--big", type=int, default=10_000_000, help="points for the dask throughput figure")
    parser.add_argument("--sizes", help="comma-separated point counts (default 1k,10k,100k,1M[,3M])")
    parser.add_argument("--only-points", action="store_true", help="first-call and warm point tables only")
    parser.add_argument("--only-read", action="store_true", help="the N03 read table only")
    parser.add_argument("--read-repeat", type=int, default=7, help="fresh processes per side and file for the read")
    args = parser.parse_args(argv)
    mirror = os.environ.get("GEO_DATA_MIRROR")
    if not mirror:
        print("set GEO_DATA_MIRROR to the shared data folder", file=sys.stderr)
        return 1
    mirror_path = Path(mirror)
    print(f"geopandas {gpd.__version__}, shapely {shapely.__version__} (GEOS {shapely.geos_version_string}), "
          f"{os.cpu_count()} CPUs")  # fmt: skip
    if args.only_read:
        return 0 if all(r >= 0.8 for *_, r in bench_read(mirror_path, repeat=args.read_repeat)) else 1
    areas = geo.read_boundaries(mirror_path / N03)
    sizes = [1_000, 10_000, 100_000, 1_000_000] + ([] if args.quick else [3_000_000])
    if args.sizes:
        sizes = [int(float(v)) for v in args.sizes.split(",")]
    rows = bench_first_call(mirror_path / N03, areas, [n for n in sizes if n <= 1_000_000], repeat=3)
    rows += bench_points(areas, sizes, args.quick)
    if args.only_points:
        ok = all(r >= (3.0 if n >= 1_000_000 else 1.0) for _, n, r in rows)
        print(f"\n{'PASS' if ok else 'FAIL'}: ratio ≥ 1 below 1M and ≥ 3 from 1M, first call, assign and count")
        return 0 if ok else 1
    read_rows = bench_read(mirror_path, repeat=args.read_repeat)
    bench_memory(areas)
    if not args.skip_dask:
        bench_dask(areas, args.big)
    if not args.skip_map:
        bench_map(mirror_path, repeat=2)
    ok = all(r >= (3.0 if n >= 1_000_000 else 1.0) for _, n, r in rows) and all(r >= 0.8 for *_, r in read_rows)
    print(f"\n{'PASS' if ok else 'FAIL'}: ratio ≥ 1 below 1M and ≥ 3 from 1M for first call, assign and count; "
          f"read_file / read_boundaries ≥ 0.8 on every file")  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == CHILD:
        first_call_child(*sys.argv[2:])
        sys.exit(0)
    if len(sys.argv) == 4 and sys.argv[1] == READ_CHILD:
        read_child(*sys.argv[2:])
        sys.exit(0)
    sys.exit(main())
