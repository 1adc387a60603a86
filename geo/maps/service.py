"""Maps of timetable gaps: a service-grade map, one static panel per time window, an HTML window switcher.

Kept small on purpose: cells are drawn as filled polygons (matplotlib) and as GeoJSON in a self-contained
Leaflet page (vendored Leaflet inlined, no network) with one layer per window, chosen by Leaflet's layer control.

Examples
--------
>>> result = geo.service_gaps(cells, definition="handbook-rural", feed=feed_path, date="2020-11-10")  # doctest: +SKIP
>>> grade_map(result, "outputs/grade.png")                                                           # doctest: +SKIP
>>> window_panels(result, "handbook-rural", "outputs/windows.png")                                    # doctest: +SKIP
>>> window_switcher_html(result, "handbook-rural", "outputs/windows.html")                           # doctest: +SKIP
"""

from __future__ import annotations

import html
import json
import math
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np

from geo._io import write_text_atomic, write_with
from geo.maps._offline import inline_css, inline_js, json_for_script
from geo.maps.static import font_context

__all__ = ["GRADE_COLORS", "SERVED_COLORS", "grade_map", "window_panels", "window_switcher_html"]

GRADE_COLORS = {"A": "#1a9850", "B": "#91cf60", "C": "#d9ef8b", "D": "#fee08b", "E": "#fc8d59", "F": "#d73027"}
"""Grade → fill colour (ColorBrewer RdYlGn, A green … F red)."""
SERVED_COLORS = {True: "#4575b4", False: "#d73027"}
"""Served in the window (blue) / 交通空白 in the window (red)."""
CREDIT = "時刻表: GTFS-JP（各事業者） / 駅: 国土数値情報 鉄道データ N02 / 境界: 国土数値情報 行政区域 N03 / 1 km メッシュ: JIS X 0410"


def _cells(result: Any) -> gpd.GeoDataFrame:
    return result.cells.to_crs(6668)


def _footer(result: Any, definition: str | None = None) -> str:
    parts = []
    if definition:
        d = next(x for x in result.definitions if x.name == definition)
        parts.append(f"定義: {d.title} — 出典: {d.source}")
        day = result.service_dates[definition]
    else:
        day = result.info.get("grade_date", {})
    parts.append(f"運行日: {day.get('date', '')} ({day.get('day_type', '')})")
    parts.append(f"需要: {result.info.get('demand_note') or result.info.get('demand_unit')}")
    parts.append(CREDIT)
    return "\n".join(parts)


def _rings(geoms: Any) -> list[np.ndarray]:
    """Exterior rings (n, 2) of every polygon part, for a PolyCollection (no per-patch objects)."""
    import shapely

    parts = shapely.get_parts(np.asarray(geoms))
    rings = shapely.get_exterior_ring(parts[shapely.get_type_id(parts) == 3])
    return [shapely.get_coordinates(r) for r in rings]


def _draw(ax: Any, cells: gpd.GeoDataFrame, colors: list[str], areas: gpd.GeoDataFrame | None) -> None:
    """Cells as one PolyCollection and the area outlines as one LineCollection (fast: no GeoPandas patches)."""
    import shapely
    from matplotlib.collections import LineCollection, PolyCollection

    ax.add_collection(PolyCollection(_rings(cells.geometry), facecolors=colors, edgecolors="white", linewidths=0.2))
    if areas is not None:
        lines = shapely.get_parts(shapely.boundary(np.asarray(areas.to_crs(6668).geometry)))
        ax.add_collection(LineCollection([shapely.get_coordinates(g) for g in lines], colors="#333333", linewidths=0.6))
    x0, y0, x1, y1 = cells.total_bounds
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_axis_off()
    ax.set_aspect(1 / math.cos(math.radians(float(y0 + y1) / 2)))


def grade_map(
    result: Any,
    path: str | Path,
    *,
    windows: list[str] | None = None,
    areas: gpd.GeoDataFrame | None = None,
    dpi: int = 150,
) -> Path:
    """A static map of the service grade (A–F) of every demand cell, one panel per graded window.

    Parameters
    ----------
    result : ServiceGaps
    path : str or Path
        PNG/SVG/PDF by suffix.
    windows : list of str, optional
        Windows to show; default every graded window (:meth:`ServiceGaps.grade_windows`), the grade table's
        own window (07–19 h) first.

    Returns
    -------
    Path
        The file written.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    cells = _cells(result)
    labels = windows or result.grade_windows()
    cols = min(len(labels), 3)
    rows = math.ceil(len(labels) / cols)
    with font_context():
        fig, axes = plt.subplots(rows, cols, figsize=(4.5 * cols, 4.5 * rows + 1.2), dpi=dpi, squeeze=False)
        for ax, label in zip(axes.ravel(), labels, strict=False):
            column = "grade" if label == result.grades.window else f"grade_{label}"
            grades = cells[column]
            _draw(ax, cells, [GRADE_COLORS.get(g, "#cccccc") for g in grades], areas)
            counts = grades.value_counts()
            summary = " ".join(f"{g}{int(counts.get(g, 0))}" for g in GRADE_COLORS)
            ax.set_title(f"{label} 時 — {summary}", fontsize=8)
        for ax in axes.ravel()[len(labels) :]:
            ax.set_axis_off()
        handles = [Patch(color=c, label=g) for g, c in GRADE_COLORS.items()]
        fig.legend(handles=handles, title="水準", loc="upper right", fontsize=8)
        fig.suptitle(f"公共交通サービス水準 A–F（時間帯別）: {result.grades.title}", fontsize=10)
        fig.text(0.01, 0.01, _footer(result) + f"\n等級表: {result.grades.source}", fontsize=5.5, va="bottom")
        written = write_with(path, lambda tmp: fig.savefig(tmp, format=Path(path).suffix.lstrip(".") or "png"))
        plt.close(fig)
    return written


def window_panels(
    result: Any, definition: str, path: str | Path, *, areas: gpd.GeoDataFrame | None = None, dpi: int = 150
) -> Path:
    """One static panel per time window: cells served (blue) or in a gap (red) under one definition.

    Returns
    -------
    Path
        The file written (one figure, panels side by side).
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    cells = _cells(result)
    labels = result.windows(definition)
    totals = result.totals[result.totals["definition"] == definition].set_index("window")
    cols = min(len(labels), 4)
    rows = math.ceil(len(labels) / cols)
    with font_context():
        fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 4 * rows + 1), dpi=dpi, squeeze=False)
        for ax, label in zip(axes.ravel(), labels, strict=False):
            served = cells[f"served_{definition}_{label}"].to_numpy(dtype=bool)
            _draw(ax, cells, [SERVED_COLORS[bool(s)] for s in served], areas)
            share = totals.at[label, "gap_share_pct"]
            ax.set_title(f"{label} 時: 空白 {int((~served).sum())} セル（{share:.0f}%）", fontsize=9)
        for ax in axes.ravel()[len(labels) :]:
            ax.set_axis_off()
        handles = [
            Patch(color=SERVED_COLORS[True], label="利用可能"),
            Patch(color=SERVED_COLORS[False], label="交通空白"),
        ]
        fig.legend(handles=handles, loc="upper right", fontsize=8)
        fig.suptitle(f"時間帯別の交通空白 — {definition}", fontsize=11)
        fig.text(0.01, 0.01, _footer(result, definition), fontsize=5.5, va="bottom")
        written = write_with(path, lambda tmp: fig.savefig(tmp, format=Path(path).suffix.lstrip(".") or "png"))
        plt.close(fig)
    return written


def _feature_collection(cells: gpd.GeoDataFrame, values: list[str], colors: list[str]) -> dict[str, Any]:
    feats = []
    for geom, value, color in zip(cells.geometry, values, colors, strict=True):
        x0, y0, x1, y1 = (round(float(v), 5) for v in geom.bounds)
        if geom.geom_type == "Polygon" and len(geom.exterior.coords) == 5:
            ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]  # mesh cells are boxes
        else:
            ring = [[round(x, 5), round(y, 5)] for x, y in np.asarray(geom.envelope.exterior.coords)]
        feats.append(
            {
                "type": "Feature",
                "properties": {"v": value, "c": color},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
    return {"type": "FeatureCollection", "features": feats}


def window_switcher_html(
    result: Any, definition: str, path: str | Path, *, areas: gpd.GeoDataFrame | None = None
) -> Path:
    """A self-contained HTML page: the grade map and one layer per window, switched with Leaflet's layer control.

    Works offline (Leaflet inlined); texts are set with ``textContent``; reproducible byte for byte.

    Returns
    -------
    Path
    """
    cells = _cells(result)
    labels = result.windows(definition)
    layers = [
        {
            "name": "サービス水準 A–F",
            "data": _feature_collection(
                cells, list(cells["grade"]), [GRADE_COLORS.get(g, "#cccccc") for g in cells["grade"]]
            ),
        }
    ]
    totals = result.totals[result.totals["definition"] == definition].set_index("window")
    for label in labels:
        served = cells[f"served_{definition}_{label}"].to_numpy(dtype=bool)
        layers.append(
            {
                "name": f"{label} 時（空白 {totals.at[label, 'gap_share_pct']:.0f}%）",
                "data": _feature_collection(
                    cells,
                    ["利用可能" if s else "交通空白" for s in served],
                    [SERVED_COLORS[bool(s)] for s in served],
                ),
            }
        )
    outline = None
    if areas is not None:
        outline = json.loads(areas.to_crs(6668)[["geometry"]].simplify(0.0005).to_json(drop_id=True))
    x0, y0, x1, y1 = cells.total_bounds
    payload = {
        "layers": layers,
        "outline": outline,
        "bounds": [[round(float(y0), 4), round(float(x0), 4)], [round(float(y1), 4), round(float(x1), 4)]],
        "footer": _footer(result, definition),
    }
    text = json_for_script(json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False))
    page = _PAGE.format(
        title=html.escape(f"時間帯別の交通空白 — {definition}"),
        vendor_css=inline_css("leaflet.css"),
        vendor_js=inline_js("leaflet.js"),
        data=text,
    )
    return write_text_atomic(path, page)


_PAGE = """<!DOCTYPE html>
<html lang="ja"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
{vendor_css}
<style>html,body,#map{{height:100%;margin:0}} #foot{{position:absolute;left:4px;bottom:4px;z-index:1000;
background:rgba(255,255,255,.85);font:11px sans-serif;white-space:pre-line;padding:3px;max-width:70%}}</style>
</head><body><div id="map"></div><div id="foot"></div>
{vendor_js}
<script type="application/json" id="geo-data">{data}</script>
<script>
(function () {{
  var data = JSON.parse(document.getElementById("geo-data").textContent);
  var map = L.map("map", {{preferCanvas: true}}).fitBounds(data.bounds);
  var base = {{}}, first = null;
  data.layers.forEach(function (layer) {{
    var g = L.geoJSON(layer.data, {{
      style: function (f) {{ return {{color: "#ffffff", weight: 0.3, fillColor: f.properties.c, fillOpacity: 0.75}}; }},
      onEachFeature: function (f, l) {{ var s = document.createElement("span"); s.textContent = f.properties.v; l.bindTooltip(s); }}
    }});
    base[layer.name] = g;
    if (!first) {{ first = g; }}
  }});
  first.addTo(map);
  var overlays = {{}};
  if (data.outline) {{
    overlays["境界"] = L.geoJSON(data.outline, {{style: {{color: "#333333", weight: 1, fill: false}}}}).addTo(map);
  }}
  L.control.layers(base, overlays, {{collapsed: false}}).addTo(map);
  document.getElementById("foot").textContent = data.footer;
}})();
</script>
</body></html>
"""
