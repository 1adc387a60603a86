"""Hand-made maps for the reference-image tests (tests/test_maps_reference.py) and their generator script.

Each scene is a tiny map of made-up squares near Japan that shows one thing a map can get wrong:

* ``labels``: area names over an opaque layer that covers every area: a name drawn under the layer vanishes.
* ``legend``: user breaks with a class beyond the data: the legend must not list 「5以上（0）」.
* ``inset``: a speck of land far south and an island group: only the island group gets an inset.
* ``points``: a point outside the selection, in an empty corner of the frame: not drawn.
* ``nodata``: an area without data on a grey palette: hatched, in the legend too.
* ``cells``: gap cells over the areas: one hatched outline, the classes beneath readable.

The images are drawn at 500 × 500 px and 50 dpi (a 10-inch sheet, so type keeps its normal size) with the
bundled IPAexGothic, which makes them the same on every machine of this kind. Regenerate them with
``python scripts/make_map_references.py`` after an intended change of the map's look, and look at them.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

import geo
from geo.maps import Layer
from geo.maps.style import PolygonStyle

REFERENCE_DIR = Path(__file__).parent / "reference"
SIZE = {"dpi": 50, "width_px": 500, "height_px": 500}


def _squares(n: int = 4, *, x0: float = 134.0, y0: float = 34.0, side: float = 0.5) -> gpd.GeoDataFrame:
    geoms = [
        shapely.box(x0 + (i % 2) * side, y0 + (i // 2) * side, x0 + (i % 2 + 1) * side, y0 + (i // 2 + 1) * side)
        for i in range(n)
    ]
    return gpd.GeoDataFrame(
        {
            "pref_code": [f"{i + 1:02d}" for i in range(n)],
            "pref_name": ["東県", "西県", "南県", "北県"][:n],
            "value": np.arange(1.0, n + 1),
        },
        geometry=geoms,
        crs=6668,
    )


def labels_scene() -> geo.maps.ChoroplethMap:
    """Four areas, all covered by an opaque grey layer; their names (large) must show on top of it."""
    areas = _squares()
    cover = gpd.GeoDataFrame(geometry=[shapely.box(134.05, 34.05, 134.95, 34.95)], crs=6668)
    layer = Layer(
        "polygons", cover, "覆い", style=PolygonStyle(color="#333333", weight=1, fill_color="#8c8c8c", fill_opacity=1)
    )
    return geo.choropleth(areas, "value", k=4, layers=[layer], title="ラベル", show_labels=True)


def legend_scene() -> geo.maps.ChoroplethMap:
    """Values 1–4 with a break at 5: the class 「5以上」 has no member and is left out of the legend."""
    return geo.choropleth(_squares(), "value", scheme="user_defined", breaks=[2, 5], title="凡例", show_labels=False)


def inset_scene() -> geo.maps.ChoroplethMap:
    """Four areas in the north, an island group south of 30°N (an inset) and a 0.3 km² islet far from it (no inset)."""
    areas = _squares()
    group = shapely.MultiPolygon([shapely.box(127.7, 26.1, 128.1, 26.6), shapely.box(127.2, 26.0, 127.35, 26.15)])
    islet = shapely.box(136.08, 20.42, 136.085, 20.425)  # 800 km from the group: an inset of its own
    geoms = list(areas.geometry)
    geoms[2] = shapely.MultiPolygon([geoms[2], *group.geoms])
    geoms[3] = shapely.MultiPolygon([geoms[3], islet])
    return geo.choropleth(areas.set_geometry(geoms, crs=6668), "value", k=4, title="挿入図", show_labels=False)


def points_scene() -> geo.maps.ChoroplethMap:
    """Six areas in an L (an empty corner in the frame), good-practice points on two of them and one in the empty
    corner, 60 km from every area: a point outside the selection is not drawn (北海道's on a map without it)."""
    areas = _squares()
    extra = gpd.GeoDataFrame(
        {"pref_code": ["05", "06"], "pref_name": ["端県", "角県"], "value": [5.0, 6.0]},
        geometry=[shapely.box(135.0, 34.0, 135.5, 34.5), shapely.box(135.5, 34.0, 136.0, 34.5)],
        crs=6668,
    )
    areas = gpd.GeoDataFrame(pd.concat([areas, extra], ignore_index=True), crs=6668)
    points = gpd.GeoDataFrame(
        {"name": ["東", "西", "外"]},
        geometry=shapely.points([(134.25, 34.25), (135.75, 34.25), (135.6, 35.0)]),
        crs=6668,
    )
    layer = Layer("points", points, "好事例", role="good_practices")
    return geo.choropleth(areas, "value", k=3, layers=[layer], title="地点", show_labels=False)


def nodata_scene() -> geo.maps.ChoroplethMap:
    """Four areas, one without data: grey and hatched, on the map and in the legend, never like the palest class."""
    areas = _squares()
    areas.loc[3, "value"] = np.nan
    return geo.choropleth(areas, "value", k=3, palette="Greys", title="データなし", show_labels=False)


def cells_scene() -> geo.maps.ChoroplethMap:
    """Gap cells over the four areas: merged and hatched, the classes beneath stay readable."""
    cells = gpd.GeoDataFrame(
        geometry=[shapely.box(134.1 + 0.1 * i, 34.1 + 0.1 * j, 134.2 + 0.1 * i, 34.2 + 0.1 * j)
                  for i in range(8) for j in range(4) if (i + j) % 3],
        crs=6668,
    )  # fmt: skip
    layer = Layer("polygons", cells, "交通空白地区", role="gap_cells")
    return geo.choropleth(_squares(), "value", k=4, layers=[layer], title="空白", show_labels=False)


SCENES = {
    "labels": labels_scene,
    "legend": legend_scene,
    "inset": inset_scene,
    "points": points_scene,
    "nodata": nodata_scene,
    "cells": cells_scene,
}


def render(name: str, path: Path) -> Path:
    """Draw scene ``name`` as a PNG at the reference size."""
    return SCENES[name]().save(path, **SIZE)
