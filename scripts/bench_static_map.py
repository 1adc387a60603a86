"""Benchmark: national municipal static PNG (1500×1500 px, 150 dpi) against a plain GeoDataFrame.plot().

Both draw the 1,906 municipalities of the shared N03 2021 file (1 % TopoJSON) in the national equal-area CRS;
the baseline is ``gdf.plot(column=...)`` + ``savefig`` with no legend, insets or Japanese text, measured in
the same run. The acceptance target is under 5 s for ``geo.choropleth(...).save("*.png")``.

Usage::

    GEO_DATA_MIRROR=/work/shared/data .venv/bin/python scripts/bench_static_map.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt

import geo
from geo.crs import JAPAN_EQUAL_AREA, area_km2
from geo.maps.static import render_static


def _median(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    mirror = os.environ.get("GEO_DATA_MIRROR")
    if not mirror:
        raise SystemExit("set GEO_DATA_MIRROR to the shared data folder (e.g. /work/shared/data)")
    source = Path(mirror) / "japan-topography-n03-2021/topojson/s0010/N03-21_210101.json"
    areas = geo.read_boundaries(source).copy()
    areas["area_km2"] = area_km2(areas)
    out_dir = Path(tempfile.mkdtemp(prefix="bench_static_"))

    def baseline() -> None:
        fig, ax = plt.subplots(figsize=(10, 10), dpi=150)
        projected = areas.to_crs(JAPAN_EQUAL_AREA)
        projected.plot(column="area_km2", cmap="YlOrRd", ax=ax, edgecolor="white", linewidth=0.3)
        ax.set_axis_off()
        fig.savefig(out_dir / "baseline.png", dpi=150)
        plt.close(fig)

    def baseline_furnished() -> None:
        """The same furniture as geo's map: Fisher–Jenks classes, legend, title, credit line (numba warm)."""
        fig, ax = plt.subplots(figsize=(10, 10), dpi=150)
        projected = areas.to_crs(JAPAN_EQUAL_AREA)
        projected.plot(column="area_km2", scheme="FisherJenks", k=6, cmap="YlOrRd", ax=ax, edgecolor="white",
                       linewidth=0.3, legend=True, legend_kwds={"title": "km²", "loc": "lower right"})  # fmt: skip
        ax.set_title("市区町村の面積")
        ax.set_axis_off()
        fig.text(0.01, 0.01, "「国土数値情報（行政区域データ）」（国土交通省）を加工して作成", fontsize=7)
        fig.savefig(out_dir / "baseline_furnished.png", dpi=150)
        plt.close(fig)

    def ours_jenks() -> None:
        geo.choropleth(areas, "area_km2", unit="km²", title="市区町村の面積", k=6, scheme="fisher_jenks").save(
            out_dir / "geo_jenks.png"
        )

    m = geo.choropleth(areas, "area_km2", unit="km²", title="市区町村の面積", k=6)

    def ours_render() -> None:
        render_static(m.spec, out_dir / "geo.png", dpi=150, width_px=1500, height_px=1500)

    def ours_full() -> None:
        geo.choropleth(areas, "area_km2", unit="km²", title="市区町村の面積", k=6).save(out_dir / "geo2.png")

    ours_render()  # warm up: font registration, imports
    baseline()
    t_base = _median(baseline, args.repeat)
    t_render = _median(ours_render, args.repeat)
    t_full = _median(ours_full, args.repeat)
    import matplotlib_fontja  # noqa: F401  (the furnished baseline writes Japanese)

    baseline_furnished()  # warm up: numba compiles mapclassify's Fisher–Jenks here, once
    t_furn, t_jenks = [], []
    for _ in range(args.repeat):  # interleaved
        t_furn.append(_median(baseline_furnished, 1))
        t_jenks.append(_median(ours_jenks, 1))
    size_kb = (out_dir / "geo.png").stat().st_size / 1024
    print(f"national municipal map, {len(areas):,} areas, 1500×1500 px at 150 dpi, median of {args.repeat}")
    print(f"  baseline GeoDataFrame.plot + savefig : {t_base:6.2f} s  (1.00×)")
    print(f"  geo render_static (spec ready)       : {t_render:6.2f} s  ({t_render / t_base:.2f}× baseline)")
    print(f"  geo.choropleth(...).save('.png')     : {t_full:6.2f} s  ({t_full / t_base:.2f}× baseline)")
    t_f, t_j = statistics.median(t_furn), statistics.median(t_jenks)
    print("  same furniture, Fisher–Jenks, both warm (numba compiled for the baseline, interleaved):")
    print(f"  baseline plot + legend/title/credit  : {t_f:6.2f} s  (1.00×)")
    print(f"  geo.choropleth(fisher_jenks).save    : {t_j:6.2f} s  ({t_j / t_f:.2f}× that baseline)")
    print(f"  PNG size {size_kb:.0f} kB; target < 5 s: {'met' if t_full < 5 else 'NOT met'}")
    print(f"  files in {out_dir}")


if __name__ == "__main__":
    main()
