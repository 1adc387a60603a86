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
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from geo._io import write_text_atomic, write_with
from geo.crs import metric_crs
from geo.maps._offline import inline_css, inline_js, json_for_script
from geo.maps._static_parts import Box, draw_north_arrow, draw_scale_bar, nice_length
from geo.maps.static import font_context

__all__ = ["GRADE_COLORS", "GRADE_NAMES", "SERVED_COLORS", "grade_map", "window_panels", "window_switcher_html"]

GRADE_COLORS = {"A": "#1a7837", "B": "#5aae61", "C": "#c2e699", "D": "#fdae61", "E": "#f46d43", "F": "#a50026"}
"""Grade → fill colour, ordered from good to bad: greens for A–C (darkest best), oranges to dark red for D–F.

Each grade is redder than the one before (red minus green rises from A to F), and neighbours differ in hue or
lightness, so C and D never look alike (ColorBrewer PRGn/RdYlGn anchors)."""
GRADE_NAMES = {"A": "A（最良）", "B": "B", "C": "C", "D": "D", "E": "E", "F": "F（最低）"}
"""Legend label of each grade."""
NO_GRADE_COLOR = "#d9d9d9"
SERVED_COLORS = {True: "#4575b4", False: "#d73027"}
"""Served in the window (blue) / 交通空白 in the window (red)."""
CREDIT = "時刻表: GTFS-JP（各事業者） / 駅: 国土数値情報 鉄道データ N02 / 境界: 国土数値情報 行政区域 N03 / 1 km メッシュ: JIS X 0410"
_INK = "#222222"


def _cells(result: Any) -> gpd.GeoDataFrame:
    return result.cells.to_crs(6668)


def _definition(result: Any, name: str) -> Any:
    return next(x for x in result.definitions if x.name == name)


def _demand_ja(result: Any) -> str:
    """The demand line of the footer, in Japanese (the English ``demand_note`` stays in run.json)."""
    n = len(result.cells)
    if result.info.get("demand_unit") == "population":
        return f"需要: 1 km メッシュ {n:,} セルの人口"
    return f"需要: 1 km メッシュ {n:,} セル（人口データなし: 各セルを 1 と数える）"


def _footer(result: Any, definition: str | None = None, credits: Sequence[str] = ()) -> str:
    """The notes under a service map: definition and its source, service day, demand, and the credit lines of the
    inputs (the result's credits when given, one a line; else the generic :data:`CREDIT`)."""
    parts = []
    if definition:
        d = _definition(result, definition)
        parts.append(f"定義: {d.title} — 出典: {d.source}")
        day = result.service_dates[definition]
    else:
        day = result.info.get("grade_date", {})
    parts.append(f"運行日: {day.get('date', '')}（{_DAY_TYPES.get(day.get('day_type', ''), day.get('day_type', ''))}）")
    parts.append(_demand_ja(result))
    parts += [f"クレジット: {c}" for c in credits] if credits else [CREDIT]
    return "\n".join(parts)


_DAY_TYPES = {"weekday": "平日", "saturday": "土曜", "sunday": "日曜・休日", "holiday": "日曜・休日",
              "all (no timetable)": "時刻表なし"}  # fmt: skip


def _rings(geoms: Any) -> list[np.ndarray]:
    """Exterior rings (n, 2) of every polygon part, for a PolyCollection (no per-patch objects)."""
    parts = shapely.get_parts(np.asarray(geoms))
    rings = shapely.get_exterior_ring(parts[shapely.get_type_id(parts) == 3])
    return [shapely.get_coordinates(r) for r in rings]


class _Frames:
    """The cells and areas in one metric CRS (the area's plane rectangular zone), shared by every panel."""

    def __init__(self, result: Any, areas: gpd.GeoDataFrame | None) -> None:
        cells = _cells(result)
        self.crs = metric_crs(areas if areas is not None and len(areas) else cells)
        self.cells = cells.to_crs(self.crs)
        self.areas = None if areas is None else areas.to_crs(self.crs)
        self.rings = _rings(self.cells.geometry.values)

    def draw(self, ax: Any, colors: list[str], *, furniture: bool, size: float) -> None:
        """Cells, area outlines and names; with ``furniture`` a scale bar and a north arrow (first panel)."""
        from matplotlib import patheffects
        from matplotlib.collections import LineCollection, PolyCollection

        ax.add_collection(PolyCollection(self.rings, facecolors=colors, edgecolors="white", linewidths=0.2))
        x0, y0, x1, y1 = self.cells.total_bounds
        if self.areas is not None:
            lines = shapely.get_parts(shapely.boundary(np.asarray(self.areas.geometry.values)))
            ax.add_collection(LineCollection([shapely.get_coordinates(g) for g in lines], colors="#333333",
                                             linewidths=0.6))  # fmt: skip
            ax0, ay0, ax1, ay1 = self.areas.total_bounds
            x0, y0, x1, y1 = min(x0, ax0), min(y0, ay0), max(x1, ax1), max(y1, ay1)
        pad = 0.04 * max(x1 - x0, y1 - y0)
        ax.set_xlim(x0 - pad, x1 + pad)
        ax.set_ylim(y0 - pad, y1 + pad)
        ax.set_aspect("equal", adjustable="box")
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_color("#888888")
            spine.set_linewidth(0.6)
        if self.areas is not None:
            halo = [patheffects.withStroke(linewidth=2.2, foreground="white")]
            names = self.areas.get("muni_name", self.areas.get("pref_name"))
            anchors = shapely.point_on_surface(np.asarray(self.areas.geometry.values))
            for pt, name in zip(anchors, names if names is not None else [], strict=False):
                if isinstance(name, str) and name:
                    # a white copy as the halo under plain text: SVG keeps the name as editable <text>
                    for color, effects, z in (("white", halo, 19.9), (_INK, None, 20)):
                        ax.text(shapely.get_x(pt), shapely.get_y(pt), name, ha="center", va="center",
                                fontsize=size * 1.1, color=color, path_effects=effects, zorder=z)  # fmt: skip
        if furniture:
            xa, xb = ax.get_xlim()
            draw_scale_bar(ax, Box(0.56, 0.02, 0.4, 0.12), length_m=nice_length(0.45 * (xb - xa)), fontsize=size)
            draw_north_arrow(ax, Box(0.86, 0.78, 0.12, 0.2), crs=self.crs, fontsize=size)


def _save(fig: Any, path: str | Path) -> Path:
    return write_with(path, lambda tmp: fig.savefig(tmp, format=Path(path).suffix.lstrip(".") or "png"))


def grade_map(
    result: Any,
    path: str | Path,
    *,
    windows: list[str] | None = None,
    areas: gpd.GeoDataFrame | None = None,
    dpi: int = 150,
    credits: Sequence[str] = (),
) -> Path:
    """A static map of the service grade (A–F) of every demand cell, one panel per graded window.

    Every panel is drawn in the area's plane rectangular zone with its names; the first carries a scale bar
    and a north arrow; the legend reads from A (best, dark green) to F (worst, dark red).

    Parameters
    ----------
    result : ServiceGaps
    path : str or Path
        PNG/SVG/PDF by suffix.
    windows : list of str, optional
        Windows to show; default every graded window (:meth:`ServiceGaps.grade_windows`), the grade table's
        own window (07–19 h) first.
    areas : GeoDataFrame, optional
        The areas (outlined and named).

    Returns
    -------
    Path
        The file written.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    frames = _Frames(result, areas)
    labels = windows or result.grade_windows()
    cols = min(len(labels), 3)
    rows = math.ceil(len(labels) / cols)
    with font_context():
        fig, axes = plt.subplots(rows, cols, figsize=(4.5 * cols, 4.5 * rows + 1.6), dpi=dpi, squeeze=False)
        for i, (ax, label) in enumerate(zip(axes.ravel(), labels, strict=False)):
            column = "grade" if label == result.grades.window else f"grade_{label}"
            grades = frames.cells[column]
            frames.draw(ax, [GRADE_COLORS.get(g, NO_GRADE_COLOR) for g in grades], furniture=i == 0, size=7)
            counts = grades.value_counts()
            summary = " ".join(f"{g}{int(counts.get(g, 0))}" for g in GRADE_COLORS)
            ax.set_title(f"{label} 時 — {summary}", fontsize=8)
        for ax in axes.ravel()[len(labels) :]:
            ax.set_axis_off()
        handles = [Patch(color=c, label=GRADE_NAMES[g]) for g, c in GRADE_COLORS.items()]
        fig.legend(handles=handles, title="サービス水準", loc="upper right", fontsize=8, title_fontsize=8)
        fig.suptitle(f"公共交通サービス水準 A–F（時間帯別）: {result.grades.title}", fontsize=10)
        fig.text(
            0.01,
            0.01,
            _footer(result, credits=credits) + f"\n等級表: {result.grades.source}",
            fontsize=6.5,
            va="bottom",
        )
        fig.subplots_adjust(bottom=0.08 + 0.9 / (4.5 * rows + 1.6))
        written = _save(fig, path)
        plt.close(fig)
    return written


def window_panels(
    result: Any, definition: str, path: str | Path, *, areas: gpd.GeoDataFrame | None = None, dpi: int = 150,
    credits: Sequence[str] = (),
) -> Path:  # fmt: skip
    """One static panel per time window: cells served (blue) or in a gap (red) under one definition.

    Titled with the definition's Japanese title; names, a scale bar and a north arrow as on the grade map.

    Returns
    -------
    Path
        The file written (one figure, panels side by side).
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    frames = _Frames(result, areas)
    labels = result.windows(definition)
    totals = result.totals[result.totals["definition"] == definition].set_index("window")
    cols = min(len(labels), 4)
    rows = math.ceil(len(labels) / cols)
    with font_context():
        fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 4 * rows + 1.4), dpi=dpi, squeeze=False)
        for i, (ax, label) in enumerate(zip(axes.ravel(), labels, strict=False)):
            served = frames.cells[f"served_{definition}_{label}"].to_numpy(dtype=bool)
            frames.draw(ax, [SERVED_COLORS[bool(s)] for s in served], furniture=i == 0, size=7)
            share = totals.at[label, "gap_share_pct"]
            ax.set_title(f"{label} 時: 空白 {int((~served).sum())} セル（{share:.0f}%）", fontsize=9)
        for ax in axes.ravel()[len(labels) :]:
            ax.set_axis_off()
        handles = [
            Patch(color=SERVED_COLORS[True], label="利用可能"),
            Patch(color=SERVED_COLORS[False], label="交通空白"),
        ]
        fig.legend(handles=handles, loc="upper right", fontsize=8)
        fig.suptitle(f"時間帯別の交通空白 — {_definition(result, definition).title}", fontsize=11)
        fig.text(0.01, 0.01, _footer(result, definition, credits), fontsize=6.5, va="bottom")
        fig.subplots_adjust(bottom=0.08 + 0.8 / (4 * rows + 1.4))
        written = _save(fig, path)
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
    result: Any, definition: str, path: str | Path, *, areas: gpd.GeoDataFrame | None = None,
    credits: Sequence[str] = (),
) -> Path:  # fmt: skip
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
                cells, list(cells["grade"]), [GRADE_COLORS.get(g, NO_GRADE_COLOR) for g in cells["grade"]]
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
        "footer": _footer(result, definition, credits),
    }
    text = json_for_script(json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False))
    page = _PAGE.format(
        title=html.escape(f"時間帯別の交通空白 — {_definition(result, definition).title}"),
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
  // ready (the flag every map page of the toolkit sets) once the first frame with the cells has been painted
  requestAnimationFrame(function () {{ requestAnimationFrame(function () {{
    document.documentElement.dataset.geoShapes = String(first.getLayers().length);
    document.documentElement.dataset.geoReady = "1";
  }}); }});
}})();
</script>
</body></html>
"""
