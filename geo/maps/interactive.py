"""Interactive choropleth maps: one self-contained HTML file (Leaflet inlined, works offline).

Why not plain folium output: folium links Leaflet, jQuery, Bootstrap and Font Awesome from public CDNs (nothing
draws on an LGWAN PC), writes GeoJSON at full precision (9.4 MB for the national 1 % municipalities) and gives
every element a random id (two runs differ). Here the page inlines the vendored Leaflet files, carries the areas
as TopoJSON (shared borders once, coordinates quantised: 1.25 MB nationally) compressed with zlib and inflated in
the page by the browser's own ``DecompressionStream`` (the national page is 0.8 MB instead of 1.6 MB; a browser
without it, older than Chrome/Edge 80, Firefox 113 or Safari 16.4, shows a message in Japanese instead of the map),
builds every text from data with ``textContent`` (a name like ``<img src=x onerror=alert(1)>`` stays text), and is
byte-for-byte reproducible.

Example
-------
>>> import geo                                                         # doctest: +SKIP
>>> geo.choropleth(areas, "pop_2020", scheme="fisher_jenks").save("outputs/pop.html")  # doctest: +SKIP
"""

from __future__ import annotations

import base64
import html
import json
import zlib
from importlib import resources
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

import geo
from geo.crs import to_metric
from geo.maps._offline import inline_css, inline_js, json_for_script
from geo.maps._static_parts import main_frame_bounds
from geo.maps._topojson import encode_topology
from geo.maps.layers import ring_groups
from geo.maps.spec import Layer, MapSpec
from geo.maps.static import label_anchors
from geo.maps.style import LAYER_STYLES, AreaStyle, LabelStyle, PointStyle, PolygonStyle, format_value

__all__ = ["TILES", "render_html"]

#: optional background tiles (never required; the default map has none and needs no network)
TILES: dict[str, dict[str, str]] = {
    "gsi_pale": {
        "url": "https://cyberjapandata.gsi.go.jp/xyz/pale/{z}/{x}/{y}.png",
        "attribution": "地理院タイル（淡色地図）",
        "name": "背景：地理院タイル（淡色地図）",
    },
    "gsi_std": {
        "url": "https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png",
        "attribution": "地理院タイル（標準地図）",
        "name": "背景：地理院タイル（標準地図）",
    },
    "openstreetmap": {
        "url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        "attribution": "© OpenStreetMap contributors",
        "name": "背景：OpenStreetMap",
    },
}

#: the areas' outline is simplified to this fraction of the map's larger side (in metres) by default
AUTO_SIMPLIFY_FRACTION = 1 / 20_000
COORD_DECIMALS = 5  # point layers: 5 decimals of a degree is about 1 m
#: zlib level of the geometry shipped in the page; 9 (smallest) costs ~0.1 s nationally and never changes the look
TOPO_ZLIB_LEVEL = 9


def render_html(
    spec: MapSpec,
    *,
    tiles: str | None = None,
    simplify_m: float | Literal["auto"] | None = "auto",
    quantization: int = 100_000,
) -> str:
    """Render a :class:`MapSpec` as one self-contained HTML page (no external file, no network).

    Parameters
    ----------
    spec : MapSpec
        From :func:`geo.choropleth` (``m.spec``).
    tiles : str, optional
        A background from ``TILES`` (needs internet); default none.
    simplify_m : float, "auto" or None
        Coverage-aware simplification tolerance in metres (shared borders stay shared); ``"auto"`` uses 1/20,000
        of the map's extent (about 1/20 pixel at the opening zoom), None keeps the geometry as it is.
    quantization : int
        TopoJSON grid cells across the map's extent (100,000: about 30 m nationally, 1 m for a town).

    Returns
    -------
    str
        The HTML text (write it with UTF-8).
    """
    if tiles is not None and tiles not in TILES:
        raise geo.ValidationError([f"tiles={tiles!r} is unknown; use one of {', '.join(TILES)} or None"])
    areas = _display_geometry(spec.areas, simplify_m)
    layers = list(spec.layers)
    topo_objects: dict[str, list[Any]] = {"areas": list(areas.geometry.values)}
    for i, layer in enumerate(layers):
        if layer.kind in ("polygons", "outline"):
            topo_objects[f"layer{i}"] = list(_layer_polygons(layer, simplify_m))
    bounds = _initial_bounds(spec.areas)
    topo = encode_topology(topo_objects, quantization=quantization)
    data = {
        "title": spec.title or "",
        "column": spec.column_label(),
        "areas": _area_properties(spec),
        "classes": {"colors": list(spec.classes.colors), "nodata": spec.classes.nodata_color},
        "style": _style_dict(LAYER_STYLES["areas"]),
        "layers": [_layer_data(layer, i) for i, layer in enumerate(layers)],
        "labels": _area_labels(spec),
        "bounds": [
            [round(float(bounds[1]), 4), round(float(bounds[0]), 4)],
            [round(float(bounds[3]), 4), round(float(bounds[2]), 4)],
        ],
        "attribution": list(dict.fromkeys(a for a in spec.attribution if a)),
        "tiles": TILES[tiles] if tiles else None,
    }
    payload = json_for_script(json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False))
    clustered = any(layer.clustered() for layer in layers)
    css = ["leaflet.css", *(["MarkerCluster.css", "MarkerCluster.Default.css"] if clustered else [])]
    js = ["leaflet.js", "topojson-client.min.js", *(["leaflet.markercluster.js"] if clustered else [])]
    title = spec.title or spec.column_label()
    return _PAGE.format(
        title=html.escape(str(title)),
        version=html.escape(geo.__version__),
        vendor_css=inline_css(*css),
        vendor_js=inline_js(*js),
        css=_own("geo-map.css"),
        legend=_legend_html(spec),
        data=payload,
        topo=_compressed_topology(topo),
        js=_own("geo-map.js"),
    )


def _compressed_topology(topo: dict[str, Any]) -> str:
    """The TopoJSON as base64 of its zlib stream (RFC 1950, ``DecompressionStream("deflate")`` in the page).

    The geometry is about four fifths of a national page and its digit text compresses 3.6:1, so it travels
    compressed; names and values stay plain JSON (small, and readable in the file). zlib with a fixed level and no
    time stamp gives the same bytes for the same input (with the same zlib build: Python's ``zlib.ZLIB_VERSION``),
    so the page stays reproducible. Base64 uses only
    ``A–Z a–z 0–9 + / =``: nothing in it can end the ``<script>`` element.
    """
    text = json.dumps(topo, separators=(",", ":"), allow_nan=False).encode("ascii")
    return base64.b64encode(zlib.compress(text, TOPO_ZLIB_LEVEL)).decode("ascii")


def _initial_bounds(areas: gpd.GeoDataFrame) -> tuple[float, float, float, float]:
    """Lon/lat box the page opens on (``areas`` in EPSG:6668).

    A one-prefecture map opens on what the static map shows in its main frame (東京都: the mainland, not
    伊豆諸島 and 小笠原諸島 hundreds of km south, which stay a pan or a zoom away); other maps show every area.
    """
    if "pref_code" in areas and areas["pref_code"].dropna().nunique() == 1:
        return main_frame_bounds(areas.geometry.values)
    minx, miny, maxx, maxy = (float(v) for v in areas.total_bounds)
    return minx, miny, maxx, maxy


def _own(name: str) -> str:
    # our own page script and stylesheet live beside the vendored files (packaged as geo/maps/assets/*)
    return resources.files("geo.maps").joinpath("assets", name).read_text(encoding="utf-8").strip()


def _display_geometry(areas: gpd.GeoDataFrame, simplify_m: float | str | None) -> gpd.GeoDataFrame:
    """Areas simplified for display in a metric CRS (coverage-aware when the areas form a valid coverage)."""
    if simplify_m is None:
        return areas
    metric = to_metric(areas[["geometry"]])
    minx, miny, maxx, maxy = metric.total_bounds
    tol = max(maxx - minx, maxy - miny) * AUTO_SIMPLIFY_FRACTION if simplify_m == "auto" else float(simplify_m)
    if not tol > 0:
        raise geo.ValidationError([f"simplify_m={simplify_m!r}: give a positive tolerance in metres, 'auto' or None"])
    geoms = metric.geometry.values
    if bool(shapely.coverage_is_valid(geoms)):
        simplified = shapely.coverage_simplify(geoms, tol)
    else:  # overlapping or gapped input: per-feature simplification is the best that can be done
        simplified = shapely.simplify(geoms, tol, preserve_topology=True)
    back = gpd.GeoSeries(simplified, crs=metric.crs, index=areas.index).to_crs(areas.crs)
    return gpd.GeoDataFrame({"geometry": back}, geometry="geometry", crs=areas.crs)


def _layer_polygons(layer: Layer, simplify_m: float | str | None) -> np.ndarray:
    data = layer.data[["geometry"]]
    if simplify_m is None or len(data) == 0:
        return data.geometry.values
    return _display_geometry(data, simplify_m).geometry.values


def _area_properties(spec: MapSpec) -> dict[str, Any]:
    values = spec.values()
    ranks = spec.ranks()
    total = int(np.isfinite(values).sum())
    return {
        "name": spec.names().tolist(),
        "value": [format_value(v, unit=spec.unit) for v in values],
        "rank": [None if np.isnan(r) else int(r) for r in ranks],
        "total": format_value(total),
        "cls": spec.classes.class_of(values).tolist(),
    }


def _label_points(geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    """Where names go, in EPSG:6668: as on print maps, the point of each area's largest part farthest from its
    outline (:func:`geo.maps.static.label_anchors`, found in metres), so no name sits on a border line."""
    if not len(geoms) or not set(geoms.geom_type) <= {"Polygon", "MultiPolygon"}:
        return geoms.representative_point()
    metric = to_metric(geoms)
    anchors, _ = label_anchors(metric.values)
    return gpd.GeoSeries(anchors, index=geoms.index, crs=metric.crs).to_crs(geoms.crs)


def _area_labels(spec: MapSpec) -> dict[str, Any]:
    points = _label_points(spec.areas.geometry)
    text = spec.names()
    areas = spec.areas
    if spec.label_column is None and {"muni_name", "pref_name"} <= set(areas) and areas["pref_code"].nunique() == 1:
        text = areas["muni_name"].astype("string").fillna(areas["pref_name"]).astype(str)  # one prefecture: 町村名 only
    return {
        "show": bool(spec.show_area_labels),
        "name": "地域名",
        "text": text.tolist(),
        "lat": [round(float(y), COORD_DECIMALS) for y in points.y],
        "lon": [round(float(x), COORD_DECIMALS) for x in points.x],
        "style": _style_dict(LAYER_STYLES["labels"]),
    }


def _style_dict(style: AreaStyle | PointStyle | PolygonStyle | LabelStyle) -> dict[str, Any]:
    return {k: v for k, v in vars(style).items()}


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return "データなし"
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
        return format_value(value)
    return str(value)


def _layer_data(layer: Layer, i: int) -> dict[str, Any]:
    out: dict[str, Any] = {
        "kind": layer.kind,
        "name": layer.display_name(),
        "show": bool(layer.show),
        "style": _style_dict(layer.resolved_style()),
        "tipcols": [layer.column_title(c) for c in layer.tooltip],
        "tips": [[_cell(v) for v in row] for row in layer.data[list(layer.tooltip)].itertuples(index=False)]
        if layer.tooltip
        else [],
    }
    if layer.kind in ("polygons", "outline"):
        out["object"] = f"layer{i}"
        rings = ring_groups(layer)
        if rings[0][2] is not None:  # one style per catchment radius, as in the static map (innermost first)
            ring_of = {r: j for j, r in enumerate(sorted(layer.data["radius_m"].unique()))}
            out["ring"] = [ring_of[r] for r in layer.data["radius_m"]]
            out["ringStyles"] = [_style_dict(st) for _, _, st in rings if st is not None]
        if layer.label_column:
            pts = _label_points(layer.data.geometry)
            out["labels"] = {
                "text": layer.data[layer.label_column].map(_cell).tolist(),
                "lat": [round(float(y), COORD_DECIMALS) for y in pts.y],
                "lon": [round(float(x), COORD_DECIMALS) for x in pts.x],
                "style": _style_dict(LAYER_STYLES["labels"]),
            }
    else:
        pts = layer.data.geometry if layer.kind == "points" else layer.data.geometry.representative_point()
        out["lat"] = [round(float(y), COORD_DECIMALS) for y in pts.y]
        out["lon"] = [round(float(x), COORD_DECIMALS) for x in pts.x]
        out["cluster"] = layer.clustered()
        if layer.kind == "labels" or layer.label_column:
            # points: names beside the markers (the page offsets them by the marker's radius)
            out["text"] = layer.data[layer.label_column].map(_cell).tolist()
    return out


def _legend_html(spec: MapSpec) -> str:
    c = spec.classes
    e = html.escape
    head = e(spec.heading())
    rows = [
        f'<li><span class="geo-sw" style="background:{e(color)}"></span><span class="geo-lab">{e(label)}</span>'
        f'<span class="geo-n">{count:,}</span></li>'
        for color, label, count in c.legend_items()
    ]
    for layer in spec.layers:
        for text, _, ring_st in ring_groups(layer):
            rows.append(_legend_layer_row(layer, ring_st or layer.resolved_style(), text))
    notes = "".join(f'<div class="geo-legend-note">注：{e(n)}</div>' for n in spec.notes)
    return (
        f'<div id="geo-legend" class="geo-legend" aria-label="凡例"><div class="geo-legend-title">{head}</div>'
        f'<div class="geo-legend-sub">{e(c.legend_subtitle)}</div><ul>{"".join(rows)}</ul>{notes}</div>'
    )


def _legend_layer_row(layer: Layer, st: Any, text: str) -> str:
    """One legend row of an extra layer: its symbol (marker, outline or 「字」) and its name."""
    e = html.escape
    if isinstance(st, PointStyle):
        shape = {"s": "geo-sym-sq", "^": "geo-sym-tri"}.get(st.marker, "geo-sym-pt")
        sym = f'<span class="{shape}" style="background:{e(st.fill_color)};border-color:{e(st.color)}"></span>'
    elif isinstance(st, PolygonStyle):
        outline = layer.kind == "outline" or not st.fill_color
        fill = "transparent" if outline else e(st.fill_color)
        dash = "dashed" if st.dash else "solid"
        sym = (
            f'<span class="geo-sym-poly" style="background:{fill};border:{max(1, round(st.weight))}px '
            f'{dash} {e(st.color)}"></span>'
        )
    else:
        sym = '<span class="geo-sym-txt">字</span>'
    return f'<li class="geo-layer-row">{sym}<span class="geo-lab">{e(text)}</span></li>'


_PAGE = """<!DOCTYPE html>
<html lang="ja">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="geo {version}">
<title>{title}</title>
{vendor_css}
<style>
{css}
</style>
{vendor_js}
</head>
<body>
<div id="map"></div>
{legend}
<script type="application/json" id="geo-data">{data}</script>
<script type="application/octet-stream" id="geo-topo" data-encoding="deflate base64">{topo}</script>
<script>
{js}
</script>
</body>
</html>
"""
