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
import shapely

from geo.crs import JAPAN_EQUAL_AREA, JGD2011

BUFFER_M = 10_000.0
SIMPLIFY_M = 1_000.0
REMOTE_ISLANDS = {"沖ノ鳥島": (136.0817, 20.4256)}
"""Islands too small to survive the 1 % simplification (lon, lat), added as buffered points."""
OUT = Path(__file__).resolve().parents[1] / "geo" / "data" / "japan_land.wkb"


def build(path: Path) -> shapely.Geometry:
    prefs = gpd.read_file(path).set_crs(JGD2011, allow_override=True)
    metric = prefs.to_crs(JAPAN_EQUAL_AREA).geometry.make_valid()
    islands = gpd.GeoSeries(gpd.points_from_xy(*zip(*REMOTE_ISLANDS.values(), strict=True)), crs=JGD2011)
    parts = [*metric.buffer(BUFFER_M, quad_segs=4), *islands.to_crs(JAPAN_EQUAL_AREA).buffer(BUFFER_M, quad_segs=4)]
    land = shapely.union_all(parts)
    land = shapely.simplify(land, SIMPLIFY_M)
    return gpd.GeoSeries([land], crs=JAPAN_EQUAL_AREA).to_crs(JGD2011).iloc[0]


def main() -> None:
    mirror = os.environ.get("GEO_DATA_MIRROR")
    if not mirror:
        sys.exit("set GEO_DATA_MIRROR to the local mirror of the pinned sources")
    land = build(Path(mirror) / "japan-topography-n03-2021" / "topojson" / "s0010" / "prefectures.json")
    OUT.write_bytes(shapely.to_wkb(shapely.set_precision(land, 1e-4)))
    print(f"wrote {OUT} ({OUT.stat().st_size:,} bytes, {shapely.get_num_geometries(land)} parts)")


if __name__ == "__main__":
    main()
