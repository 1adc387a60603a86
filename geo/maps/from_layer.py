"""Map any layer the toolkit wrote: ``geo map OUT.gpkg --layer NAME`` and :func:`map_layer`.

A layer written by ``geo gaps``, ``geo hubs``, ``geo join`` or ``geo run`` carries its title, the units and titles
of its columns and the credits of every input (:class:`geo.store.LayerInfo`). This module reads them back so
the map shows the right legend heading, unit and credit lines without the user repeating them.

* Polygon layers (gap cells, per-area tables, buffers, regions) are the choropleth themselves.
* Point layers (chosen hubs, candidates, gap points) are drawn over the areas they lie in, coloured by how many
  of the points each area holds, with the points on top.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import geopandas as gpd
import pandas as pd

from geo._errors import ValidationError
from geo.areas import assign_points, count_points
from geo.boundaries import read_boundaries
from geo.maps import choropleth
from geo.maps.layers import as_layer, layer_for
from geo.store import read_layer_info, read_layers

__all__ = ["map_layer"]

DEFAULT_AREAS = "n03-2021-s0010"
_POINT_ROLES = {"chosen": "hubs", "chosen_hubs": "hubs", "hubs": "hubs", "gaps": "gaps"}


def map_layer(
    path: str | os.PathLike[str],
    layer: str,
    *,
    column: str | None = None,
    areas: str | os.PathLike[str] | gpd.GeoDataFrame | None = None,
    attribution: Sequence[str] = (),
    title: str | None = None,
    unit: str | None = None,
    legend_title: str | None = None,
    **options: Any,
) -> Any:
    """A choropleth of one layer of a GeoPackage, with the layer's own title, units and credits.

    Parameters
    ----------
    path, layer
        The GeoPackage and the layer name (``pyogrio.list_layers`` or ``geo map OUT.gpkg --layer ?`` lists them).
    column
        The column to classify; by default the layer's main column (:attr:`LayerInfo.column`), else its first
        numeric column. For point layers the count of points per area (``n_points``).
    areas
        Point layers only: the areas to count in (a boundary file, a pinned source name or a GeoDataFrame);
        default the national N03 municipalities (:data:`DEFAULT_AREAS`), limited to the prefectures the points
        lie in.
    attribution
        Credit lines added to the layer's own (never replacing them).
    title, unit, legend_title
        Override what the layer's metadata says.
    **options
        Passed to :func:`geo.choropleth` (``scheme``, ``k``, ``breaks``, ``palette`` …).

    Returns
    -------
    ChoroplethMap

    Raises
    ------
    ValidationError
        Unknown layer (the message lists the layers), a table without geometry, a missing column.
    """

    frame = read_layers(path, [layer])[layer]
    info = read_layer_info(path, layer)[layer]
    if not isinstance(frame, gpd.GeoDataFrame):
        raise ValidationError(f"{path}: layer {layer!r} is a table without geometry; join it to boundaries to map it")
    kinds = set(frame.geometry.geom_type.dropna())
    extra = []
    if kinds <= {"Point", "MultiPoint"}:
        base = _areas_around(frame, areas)

        base = count_points(frame, base, name="n_points")
        column = column or "n_points"
        titles = {"n_points": f"{info.title or layer}の数"}
        units = {"n_points": "か所"}
        role = _POINT_ROLES.get(layer)
        drawn = layer_for(role, frame) if role else as_layer(frame)
        extra.append(replace(drawn, name=info.title or drawn.name))
    elif kinds <= {"Polygon", "MultiPolygon"}:
        base = frame
        column = column or info.column or _first_numeric(frame)
        titles, units = dict(info.column_titles), dict(info.units)
    else:
        raise ValidationError(f"{path}: layer {layer!r} holds {sorted(kinds)}; only points or polygons can be mapped")
    if column not in base.columns:
        numeric = [c for c in base.columns if pd.api.types.is_numeric_dtype(base[c])]
        raise ValidationError(f"{path}: layer {layer!r} has no column {column!r}; numeric columns: {numeric}")
    credits = tuple(dict.fromkeys([*info.credits, *attribution]))
    return choropleth(
        base, column, layers=extra, title=title or info.title or layer, unit=unit or units.get(column),
        legend_title=legend_title or titles.get(column) or info.column_titles.get(column) or column,
        attribution=credits or None, **options,
    )  # fmt: skip


def _first_numeric(frame: gpd.GeoDataFrame) -> str:
    for c in frame.columns:
        if c != frame.geometry.name and pd.api.types.is_numeric_dtype(frame[c]) and frame[c].notna().any():
            return str(c)
    raise ValidationError("the layer has no numeric column to map; give one with --column")


def _areas_around(points: gpd.GeoDataFrame, areas: Any) -> gpd.GeoDataFrame:

    if isinstance(areas, gpd.GeoDataFrame):
        return areas
    every = read_boundaries(areas or DEFAULT_AREAS)
    prefs = assign_points(points, every)["pref_code"].dropna().unique()
    if len(prefs) == 0:
        raise ValidationError("no point of the layer lies in any area: give the areas with --areas")
    return every[every["pref_code"].isin(prefs)].reset_index(drop=True)
