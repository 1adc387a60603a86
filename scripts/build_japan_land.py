"""Rebuild geo/data/japan_land.wkb, the buffered land of Japan behind the "is this point in Japan?" check.

Built from the pinned N03 prefectures (1 % simplification, which keeps small remote islands such as 南鳥島;
沖ノ鳥島 is added by hand): all 47 prefectures united, buffered by :data:`BUFFER_M` in the Japan equal-area projection
(coastal stops, ports and piers stay inside; Busan, 50 km from 対馬, and Seoul stay outside) and simplified by
:data:`SIMPLIFY_M`. Run after changing the boundary vintage:

    GEO_DATA_MIRROR=../shared/data python scripts/build_japan_land.py
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from geo.crs import JAPAN_BBOX, JAPAN_EQUAL_AREA, JGD2011

BUFFER_M = 10_000.0
SIMPLIFY_M = 1_000.0
REMOTE_ISLANDS = {"沖ノ鳥島": (136.0817, 20.4256)}
"""Islands too small to survive the 1 % simplification (lon, lat), added as buffered points."""
OUT = Path(__file__).resolve().parents[1] / "geo" / "data" / "japan_land.wkb"
GRID_OUT = OUT.with_name("japan_land_grid.npz")
GRID_STEP = 0.1
"""Degrees: cells of the lookup grid that lets :func:`geo.crs.in_japan` skip the exact test away from coasts."""


def build(path: Path) -> shapely.Geometry:
    prefs = gpd.read_file(path).set_crs(JGD2011, allow_override=True)
    metric = prefs.to_crs(JAPAN_EQUAL_AREA).geometry.make_valid()
    islands = gpd.GeoSeries(gpd.points_from_xy(*zip(*REMOTE_ISLANDS.values(), strict=True)), crs=JGD2011)
    parts = [*metric.buffer(BUFFER_M, quad_segs=4), *islands.to_crs(JAPAN_EQUAL_AREA).buffer(BUFFER_M, quad_segs=4)]
    land = shapely.union_all(parts)
    land = shapely.simplify(land, SIMPLIFY_M)
    return gpd.GeoSeries([land], crs=JAPAN_EQUAL_AREA).to_crs(JGD2011).iloc[0]


def grid(land: shapely.Geometry) -> dict[str, np.ndarray]:
    """Cells of :data:`GRID_STEP` over :data:`geo.crs.JAPAN_BBOX`: wholly inside the land, or touching its edge."""
    x0, y0, x1, y1 = JAPAN_BBOX
    nx, ny = int(np.ceil((x1 - x0) / GRID_STEP)), int(np.ceil((y1 - y0) / GRID_STEP))
    cx, cy = np.meshgrid(x0 + np.arange(nx) * GRID_STEP, y0 + np.arange(ny) * GRID_STEP)
    boxes = shapely.box(cx.ravel(), cy.ravel(), cx.ravel() + GRID_STEP, cy.ravel() + GRID_STEP)
    inside = shapely.contains_properly(land, boxes)
    edge = shapely.intersects(land, boxes) & ~inside
    return {"inside": np.packbits(inside), "edge": np.packbits(edge), "shape": np.array([ny, nx]),
            "step": np.array(GRID_STEP)}  # fmt: skip


def main() -> None:
    mirror = os.environ.get("GEO_DATA_MIRROR")
    if not mirror:
        sys.exit("set GEO_DATA_MIRROR to the local mirror of the pinned sources")
    land = build(Path(mirror) / "japan-topography-n03-2021" / "topojson" / "s0010" / "prefectures.json")
    land = shapely.set_precision(land, 1e-4)
    OUT.write_bytes(shapely.to_wkb(land))
    np.savez_compressed(GRID_OUT, **grid(land))
    print(f"wrote {OUT} ({OUT.stat().st_size:,} bytes, {shapely.get_num_geometries(land)} parts) and {GRID_OUT}")


if __name__ == "__main__":
    main()
