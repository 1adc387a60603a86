"""Benchmark the "is this point in Japan?" check: geo.crs.in_japan (land + lookup grid) against the exact land
test and the old bounding box, on 1M random points over Japan's bounding box. Prints seconds and ratios.

    PYTHONPATH=. python scripts/bench_in_japan.py
"""

from __future__ import annotations

import time

import numpy as np
import shapely

from geo.crs import JAPAN_BBOX, in_japan, japan_land


def best(func, repeat: int = 3) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    rng = np.random.default_rng(0)
    lon = rng.uniform(JAPAN_BBOX[0], JAPAN_BBOX[2], 1_000_000)
    lat = rng.uniform(JAPAN_BBOX[1], JAPAN_BBOX[3], 1_000_000)
    in_japan(lon[:10], lat[:10])  # load the land and the grid once
    land = japan_land()
    grid = best(lambda: in_japan(lon, lat))
    exact = best(lambda: shapely.intersects_xy(land, lon, lat))
    bbox = best(
        lambda: (lon >= JAPAN_BBOX[0]) & (lon <= JAPAN_BBOX[2]) & (lat >= JAPAN_BBOX[1]) & (lat <= JAPAN_BBOX[3])
    )
    same = bool((in_japan(lon, lat) == shapely.intersects_xy(land, lon, lat)).all())
    print(f"1M points: in_japan {grid:.3f} s | exact land test {exact:.3f} s ({exact / grid:.1f}x slower) | "
          f"bounding box {bbox:.4f} s (lets Seoul through) | same answers as exact: {same}")  # fmt: skip


if __name__ == "__main__":
    main()
