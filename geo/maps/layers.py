"""Extra map layers with the shared default styles: transport-gap points, hubs, hub buffers, region outlines, labels.

Each builder returns a :class:`geo.maps.spec.Layer` for ``geo.choropleth(..., layers=[...])``; a plain
GeoDataFrame is accepted too (points become a points layer, polygons an outline layer).

Example
-------
>>> import geo                                                                  # doctest: +SKIP
>>> from geo.maps.layers import gap_points_layer, hub_buffers_layer
>>> m = geo.choropleth(areas, "pop", layers=[gap_points_layer(gaps), hub_buffers_layer(buffers)])  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import geopandas as gpd
import shapely

from geo._errors import ValidationError
from geo.crs import JGD2011, require_crs
from geo.maps.spec import Layer
from geo.maps.style import PolygonStyle

__all__ = [
    "AREA_LABELS",
    "as_layer",
    "gap_points_layer",
    "good_practice_layers",
    "hub_buffers_layer",
    "hubs_layer",
    "labels_layer",
    "layer_for",
    "region_outline_layer",
    "ring_groups",
]


def gap_points_layer(
    points: gpd.GeoDataFrame,
    *,
    name: str = "交通空白地点",
    tooltip: Sequence[str] = (),
    cluster: bool | None = None,
    attribution: str | None = None,
) -> Layer:
    """Transport-gap points (交通空白), clustered in the HTML map when there are more than 500."""
    return Layer(
        "points",
        points,
        name,
        role="gap_points",
        tooltip=tuple(tooltip),
        cluster=cluster,
        attribution=attribution,
    )


def hubs_layer(
    hubs: gpd.GeoDataFrame,
    *,
    name: str = "拠点候補",
    tooltip: Sequence[str] = (),
    attribution: str | None = None,
    label_column: str | None = None,
) -> Layer:
    """Service-hub points (地域くらしサービス拠点 candidates); never clustered.

    With ``label_column`` each hub is named beside its marker (static and HTML maps).
    """
    return Layer(
        "points", hubs, name, role="hubs", tooltip=tuple(tooltip), cluster=False, attribution=attribution,
        label_column=label_column,
    )  # fmt: skip


def hub_buffers_layer(
    buffers: gpd.GeoDataFrame,
    *,
    name: str = "拠点の圏域",
    tooltip: Sequence[str] = (),
    show: bool = True,
) -> Layer:
    """Catchment buffers of hubs (``geo.buffer_hubs`` output), lightly filled, dashed outline."""
    return Layer("polygons", buffers, name, role="hub_buffers", tooltip=tuple(tooltip), show=show)


def region_outline_layer(
    regions: gpd.GeoDataFrame,
    *,
    name: str = "広域リージョン",
    tooltip: Sequence[str] = (),
    label_column: str | None = None,
) -> Layer:
    """Outlines of wide-area regions (``geo.dissolve_regions`` output), no fill."""
    return Layer("outline", regions, name, role="region_outline", tooltip=tuple(tooltip), label_column=label_column)


def labels_layer(
    frame: gpd.GeoDataFrame,
    column: str,
    *,
    name: str = "ラベル",
    show: bool = True,
) -> Layer:
    """Text labels placed at each feature's representative point."""
    return Layer("labels", frame, name, role="labels", label_column=column, show=show)


AREA_LABELS = "area_labels"  # role of the marker layer that switches on the choropleth's own name labels


def good_practice_layers(places: gpd.GeoDataFrame) -> list[Layer]:
    """The policy document's good-practice places as one switchable layer per pillar (1)–(5).

    ``places`` is :func:`geo.read_good_practices` output (columns ``pillar``, ``pillar_name``, ``title``).
    """
    layers = []
    for pillar, group in places.groupby("pillar", sort=True):
        name = f"好事例（{int(pillar)}）{_PILLAR_SHORT.get(int(pillar), group['pillar_name'].iloc[0])}"
        layers.append(
            Layer("points", group, name, role=f"good_practices_{int(pillar)}",
                  tooltip=("title", "pillar_name", "pref_name", "muni_name"), cluster=False)
        )  # fmt: skip
    return layers


# short legend names of the five pillars (the full heading is in each place's tooltip)
_PILLAR_SHORT = {1: "生活環境の創生", 2: "地方経済の創生", 3: "人や企業の地方分散", 4: "インフラ・新技術の活用",
                 5: "広域リージョン連携"}  # fmt: skip


def layer_for(name: str, data: gpd.GeoDataFrame) -> Layer:
    """The layer for a pipeline result by its config name, with the shared style for that role.

    ``"gaps"`` (points, or mesh cells drawn as polygons), ``"hubs"``, ``"buffers"``, ``"regions"``,
    ``"good_practices"`` (points) and ``"labels"`` (``data`` = the mapped areas: their names are shown).

    Example
    -------
    >>> layer_for("hubs", hubs).name     # doctest: +SKIP
    '拠点候補'
    """
    if name == "labels":
        return Layer("labels", data, "地域名", role=AREA_LABELS)
    if name == "gaps":
        if set(data.geometry.geom_type.dropna()) <= {"Point"}:
            return gap_points_layer(data)
        return Layer("polygons", data, "交通空白地区", role="gap_cells")
    if name == "hubs":
        return hubs_layer(data)
    if name == "buffers":
        return hub_buffers_layer(data)
    if name == "regions":
        return region_outline_layer(data, label_column="region" if "region" in data.columns else None)
    if name == "good_practices":
        return Layer("points", data, "好事例", role="good_practices")
    raise ValidationError(
        [f"map layer {name!r} is unknown; use gaps, hubs, buffers, regions, good_practices or labels"]
    )


def as_layer(obj: Any, *, position: int = 0) -> Layer:
    """A Layer as given, or one built from a GeoDataFrame (points -> points layer, polygons -> outline)."""
    if isinstance(obj, Layer):
        return obj
    if isinstance(obj, gpd.GeoDataFrame):
        kinds = set(obj.geometry.geom_type.dropna())
        if kinds <= {"Point", "MultiPoint"}:
            return Layer("points", obj, f"レイヤー{position + 1}")
        if kinds <= {"Polygon", "MultiPolygon"}:
            return Layer("outline", obj, f"レイヤー{position + 1}")
        raise ValidationError(
            [f"layers[{position}]: geometry types {sorted(kinds)} cannot be drawn; pass points or polygons"]
        )
    raise ValidationError(
        [f"layers[{position}]: expected a geo.maps.Layer or a GeoDataFrame, got {type(obj).__name__}"]
    )


def prepare_layer(layer: Layer, *, position: int = 0) -> Layer:
    """Check a layer (CRS, columns, geometry types) and return it in EPSG:6668 (the input is not modified)."""
    where = f"layers[{position}] ({layer.name!r})"
    if layer.kind not in ("points", "polygons", "outline", "labels"):
        raise ValidationError([f"{where}: kind={layer.kind!r}; use points, polygons, outline or labels"])
    require_crs(layer.data, where)
    problems = []
    missing = [
        c
        for c in (*layer.tooltip, *([layer.label_column] if layer.label_column else []))
        if c not in layer.data.columns
    ]
    if missing:
        problems.append(f"{where}: column(s) {missing} not found; available: {list(layer.data.columns)}")
    if layer.kind == "labels" and not layer.label_column:
        problems.append(f"{where}: a labels layer needs label_column=")
    geoms = layer.data.geometry
    kinds = set(geoms.geom_type.dropna())
    if layer.kind == "points" and not kinds <= {"Point"}:
        problems.append(f"{where}: a points layer needs Point geometries, found {sorted(kinds)}")
    if layer.kind in ("polygons", "outline") and not kinds <= {"Polygon", "MultiPolygon"}:
        problems.append(f"{where}: a {layer.kind} layer needs polygons, found {sorted(kinds)}")
    empty = int((geoms.isna() | shapely.is_empty(geoms.values)).sum()) if len(geoms) else 0
    if empty:
        problems.append(f"{where}: {empty} row(s) without geometry; drop or repair them")
    if problems:
        raise ValidationError(problems)
    data = layer.data if layer.data.crs.equals(JGD2011) else layer.data.to_crs(JGD2011)
    if data is layer.data:
        return layer
    return replace(layer, data=data)


#: hub catchment rings by radius, innermost first: darker, thicker, more filled; outer rings dashed and paler
RING_STYLES: tuple[PolygonStyle, ...] = (
    PolygonStyle(color="#08306b", weight=2.2, fill_color="#2171b5", fill_opacity=0.22),
    PolygonStyle(color="#2171b5", weight=1.6, fill_color="#6baed6", fill_opacity=0.10, dash="6 4"),
    PolygonStyle(color="#4292c6", weight=1.2, fill_color="#9ecae1", fill_opacity=0.06, dash="2 3"),
    PolygonStyle(color="#6baed6", weight=1.0, fill_color="#c6dbef", fill_opacity=0.04, dash="1 3"),
)


def ring_groups(layer: Layer) -> list[tuple[str, gpd.GeoDataFrame, PolygonStyle | None]]:
    """A polygons layer split by ``radius_m`` (hub buffers of several radii), each radius with its own style.

    Returns ``(legend text, rows, style)`` per radius, innermost first (the renderers draw the widest first so
    the inner rings stay on top); one entry with style None (the layer's own) when there is a single radius.

    Example
    -------
    >>> [text for text, _, _ in ring_groups(layer_for("buffers", buffer_hubs(hubs, [1000, 5000])))]  # doctest: +SKIP
    ['選定した拠点の圏域 1 km', '選定した拠点の圏域 5 km']
    """
    data = layer.data
    if layer.kind != "polygons" or "radius_m" not in data.columns or data["radius_m"].nunique() < 2:
        return [(layer.display_name(), data, None)]
    out = []
    for j, (radius, rows) in enumerate(data.groupby("radius_m", sort=True)):
        r = float(radius)
        text = f"{r / 1000:g} km" if r >= 1000 else f"{r:g} m"
        out.append((f"{layer.display_name()} {text}", rows, RING_STYLES[min(j, len(RING_STYLES) - 1)]))
    return out
