"""Benchmark: warm Fisher–Jenks on the 1,906 national municipal areas, geo (numpy) beside mapclassify (numba).

    GEO_DATA_MIRROR=../shared/data python scripts/bench_jenks.py [--repeat 21] [--k 6]

Both warm (mapclassify's numba kernel compiled before timing), interleaved call by call, medians; the breaks are
asserted equal. The fresh-process figure (numba's compile) is ``scripts/bench_scale.py``'s cold start.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=21)
    parser.add_argument("--k", type=int, default=6)
    args = parser.parse_args()
    import mapclassify

    import geo
    from geo.crs import area_km2
    from geo.maps._jenks import fisher_jenks_classes

    mirror = Path(os.environ.get("GEO_DATA_MIRROR", ROOT.parent / "shared" / "data"))
    areas = geo.read_boundaries(mirror / "japan-topography-n03-2021" / "topojson/s0010/N03-21_210101.json")
    values = np.asarray(area_km2(areas), dtype=float)
    theirs = mapclassify.FisherJenks(values, k=args.k)  # numba compiles here: warm from now on
    ours = fisher_jenks_classes(values, args.k)
    assert np.array_equal(ours, theirs.yb), "geo and mapclassify classify differently"
    times: dict[str, list[float]] = {"geo": [], "mapclassify": []}
    for _ in range(args.repeat):
        for name, func in (
            ("geo", lambda: fisher_jenks_classes(values, args.k)),
            ("mapclassify", lambda: mapclassify.FisherJenks(values, k=args.k).yb),
        ):
            t0 = time.perf_counter()
            func()
            times[name].append(time.perf_counter() - t0)
    t_geo, t_mc = statistics.median(times["geo"]), statistics.median(times["mapclassify"])
    print(f"Fisher–Jenks, {len(values):,} values, k = {args.k}, warm (median of {args.repeat}, interleaved): "
          f"geo {t_geo * 1e3:.1f} ms; mapclassify {t_mc * 1e3:.1f} ms; ratio mapclassify / geo = "
          f"{t_mc / t_geo:.2f}× (target ≥ 1×); same classes: True")  # fmt: skip


if __name__ == "__main__":
    main()
