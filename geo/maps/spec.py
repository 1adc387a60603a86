"""What a map shows, independent of how it is drawn: areas, the classified column, extra layers, credits.

A :class:`MapSpec` is built once by :func:`geo.choropleth` and handed to either renderer
(``geo.maps.interactive.render_html`` or ``geo.maps.static.render_static``), so both draw the same thing.

Example
-------
>>> import geo                                                          # doctest: +SKIP
>>> m = geo.choropleth(areas, "pop_2020", scheme="fisher_jenks", k=6)   # doctest: +SKIP
>>> m.spec.classes.labels                                               # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from geo.maps.style import (
    ATTRIBUTION_N03,
    LAYER_STYLES,
    Classes,
    LabelStyle,
    PointStyle,
    PolygonStyle,
    format_value,
)

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["Layer", "LayerKind", "MapSpec", "area_names", "rank_text"]

LayerKind = Literal["points", "polygons", "outline", "labels"]


@dataclass(frozen=True, eq=False)
class Layer:
    """An extra layer drawn over the choropleth; each can be switched on and off in the HTML map.

    Parameters
    ----------
    kind : {"points", "polygons", "outline", "labels"}
        Points (gap points, hubs), filled polygons (hub buffers), outlines only (regions), or text labels placed
        at each feature's representative point.
    data : GeoDataFrame
        With a CRS (reprojected to EPSG:6668 for drawing).
    name : str
        Shown in the layer switcher and the legend.
    style : PointStyle | PolygonStyle | LabelStyle, optional
        Defaults to ``LAYER_STYLES[role]`` (or to the style of ``kind``).
    role : str, optional
        A key of ``LAYER_STYLES`` (``"gap_points"``, ``"gap_cells"``, ``"hubs"``, ``"hub_buffers"``,
        ``"region_outline"``, ``"good_practices"``): picks the shared default style.
    tooltip : tuple of str
        Columns shown (column name: value) when hovering a feature.
    label_column : str, optional
        For ``kind="labels"``: the column with the text.
    cluster : bool, optional
        Points only: cluster markers in the HTML map; None clusters when there are more than 500 points.
    show : bool
        Whether the layer is on when the map opens.
    attribution : str, optional
        Credit of the layer's source, appended to the map's attribution line.
    title : str, optional
        Readable name of what the layer shows (layer metadata); used in the legend instead of ``name`` when given.
    unit : str, optional
        Unit of the layer's values, shown after the legend name (e.g. ``"m"`` for a catchment radius).
    column_titles : mapping of str to str, optional
        Readable heading of a tooltip column (``{"gap_share": "交通空白人口の割合 (%)"}``); raw names otherwise.
    """

    kind: LayerKind
    data: gpd.GeoDataFrame
    name: str
    style: PointStyle | PolygonStyle | LabelStyle | None = None
    role: str | None = None
    tooltip: tuple[str, ...] = ()
    label_column: str | None = None
    cluster: bool | None = None
    show: bool = True
    attribution: str | None = None
    title: str | None = None
    unit: str | None = None
    column_titles: Mapping[str, str] | None = None

    def display_name(self) -> str:
        """Legend and layer-switcher text: the title (else the name), with the unit when given."""
        base = self.title or self.name
        return f"{base}（{self.unit}）" if self.unit else base

    def column_title(self, column: str) -> str:
        """Heading of a tooltip column: its title when given, else the raw column name."""
        return (self.column_titles or {}).get(column, column)

    def resolved_style(self) -> PointStyle | PolygonStyle | LabelStyle:
        """The explicit style, else the shared default for the role, else for the kind."""
        if self.style is not None:
            return self.style
        if self.role and self.role in LAYER_STYLES:
            return LAYER_STYLES[self.role]  # type: ignore[return-value]
        default_role = {
            "points": "points",
            "polygons": "polygons",
            "outline": "region_outline",
            "labels": "labels",
        }[self.kind]
        return LAYER_STYLES[default_role]  # type: ignore[return-value]

    def clustered(self) -> bool:
        """Whether the HTML map clusters this (points) layer."""
        if self.kind != "points":
            return False
        return len(self.data) > 500 if self.cluster is None else bool(self.cluster)


@dataclass(frozen=True, eq=False)
class MapSpec:
    """Everything a renderer needs to draw one choropleth map.

    Attributes
    ----------
    areas : GeoDataFrame
        Canonical schema (pref_code, pref_name, [muni_code, muni_name,] geometry), EPSG:6668, with ``column``.
    column : str
        The mapped indicator.
    classes : Classes
        Fitted classes (breaks, labels, colours, counts) from :func:`geo.maps.style.classify`.
    title : str or None
        Map title.
    layers : tuple of Layer
        Extra layers, drawn in order over the choropleth.
    attribution : tuple of str
        Credit lines, always shown (N03 credit first by default, then the layers' credits).
    label_column : str or None
        Column with each area's display name (used in tooltips and area labels); None: ``area_names(areas)``.
    unit : str or None
        Unit of ``column`` (also in ``classes.unit``).
    show_area_labels : bool
        Draw each area's name on the map (sensible for prefectures, not for 1,900 municipalities).
    level : str
        ``"municipality"``, ``"designated_city"`` or ``"prefecture"`` (from the areas' columns/attrs).
    legend_title : str or None
        Heading of the legend (default: ``column``); the unit is shown after it.
    notes : tuple of str
        Remarks printed on the map (what lies outside a grouping, overlapping groupings, insets left out).
    column_titles : mapping of str to str, optional
        Readable headings of the areas' columns (the mapped column's legend heading when ``legend_title`` is None).
    """

    areas: gpd.GeoDataFrame
    column: str
    classes: Classes
    title: str | None = None
    layers: tuple[Layer, ...] = ()
    attribution: tuple[str, ...] = (ATTRIBUTION_N03,)
    label_column: str | None = None
    unit: str | None = None
    show_area_labels: bool = False
    level: str = field(default="municipality")
    legend_title: str | None = None
    notes: tuple[str, ...] = ()
    column_titles: Mapping[str, str] | None = None

    def column_label(self) -> str:
        """Name of the mapped value: the legend title, else the column's title, else the column name."""
        return str(self.legend_title or (self.column_titles or {}).get(self.column) or self.column)

    def heading(self) -> str:
        """Legend heading: :meth:`column_label` with the unit, e.g. 「交通空白人口の割合（%）」."""
        return f"{self.column_label()}（{self.unit}）" if self.unit else self.column_label()

    def names(self) -> pd.Series:
        """Display name of each area (the label column, or 都道府県名 + 市区町村名)."""
        if self.label_column is not None:
            return self.areas[self.label_column].astype(str)
        return area_names(self.areas)

    def values(self) -> np.ndarray:
        """The mapped values as floats (NaN for no data)."""
        return pd.to_numeric(self.areas[self.column], errors="coerce").astype(float).to_numpy()

    def ranks(self) -> pd.Series:
        """Rank of each area, 1 = largest value; ties share the best rank; NaN where there is no data."""
        return pd.Series(self.values(), index=self.areas.index).rank(method="min", ascending=False)

    def attribution_text(self) -> str:
        """All credits on one line, duplicates removed, order kept."""
        return " / ".join(dict.fromkeys(a for a in self.attribution if a))


def area_names(areas: pd.DataFrame) -> pd.Series:
    """都道府県名 + 市区町村名 (the prefecture name alone at prefecture level; ``region``/``name`` otherwise).

    Example
    -------
    >>> area_names(pd.DataFrame({"pref_name": ["北海道"], "muni_name": ["札幌市中央区"]})).tolist()
    ['北海道札幌市中央区']
    """
    if "pref_name" not in areas:
        for column in ("region", "name", "muni_name"):
            if column in areas:
                return areas[column].astype("string").fillna("").astype(str)
        return pd.Series([str(i) for i in areas.index], index=areas.index)
    pref = areas["pref_name"].astype("string").fillna("").astype(str)
    if "muni_name" not in areas:
        return pref
    muni = areas["muni_name"].astype("string").fillna("")
    return (pref + muni).astype(str)


def rank_text(rank: float, total: int) -> str:
    """「1,741中 12位」, or 「順位なし」 without a value.

    Example
    -------
    >>> rank_text(12, 1741)
    '1,741中 12位'
    """
    if rank is None or (isinstance(rank, float) and np.isnan(rank)):
        return "順位なし"
    return f"{format_value(total)}中 {int(rank):,}位"
