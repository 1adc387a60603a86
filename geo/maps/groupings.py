"""Several wide-area groupings on one map: the first fills the choropleth, the others are drawn as outlines.

A regions layer from ``geo run`` (``[regions] presets = [...]``) stacks the regions of each grouping in one frame
with a ``grouping`` column. Filled together, overlapping regions paint over each other (関西広域連合 over 近畿圏,
鳥取 and 徳島): the legend counts ten regions while about eight are visible. Here the first grouping fills the map
and every other grouping becomes an outline layer of its own style, labelled with each region's name and value;
overlaps are reported with an :class:`OverlapWarning` and a note on the map, and so is what lies outside each
grouping (北海道 and 沖縄県 are outside the 広域地方計画区域).

Example
-------
>>> split = split_groupings(regions, "pop_change", unit="%")            # doctest: +SKIP
>>> [layer.name for layer in split.outlines]                            # doctest: +SKIP
['関西広域連合', '九州地域戦略会議']
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.codes import pref_name
from geo.crs import to_metric
from geo.maps.spec import Layer
from geo.maps.style import PolygonStyle, format_value
from geo.regions import list_regions, read_grouping

__all__ = ["GROUPING_STYLES", "GroupingSplit", "OverlapWarning", "grouping_title", "outside_note", "split_groupings"]

#: outline styles of the second, third... grouping (ColorBrewer Dark2 colours, each with its own dash)
GROUPING_STYLES: tuple[PolygonStyle, ...] = (
    PolygonStyle(color="#d95f02", weight=3.5, dash="8 4"),
    PolygonStyle(color="#7570b3", weight=3.5, dash="2 3"),
    PolygonStyle(color="#1b9e77", weight=3.5, dash="10 3 2 3"),
    PolygonStyle(color="#e7298a", weight=3.5, dash="4 4"),
    PolygonStyle(color="#66a61e", weight=3.5, dash="12 4"),
)
#: two regions overlap when the shared land exceeds this share of the smaller one (shared borders do not count)
OVERLAP_SHARE = 0.01


class OverlapWarning(UserWarning):
    """Regions of different groupings on one map overlap; the later groupings are drawn as outlines."""


@dataclass(frozen=True)
class GroupingSplit:
    """The filled grouping, the outline layers of the others, and the notes to print on the map.

    Attributes
    ----------
    filled : GeoDataFrame
        Rows of the first grouping (the choropleth).
    outlines : tuple of Layer
        One outline layer per further grouping, labelled 「region value」.
    overlaps : tuple of tuple of str
        ``(region, grouping, region of the filled grouping)`` for every overlapping pair.
    notes : tuple of str
        Map notes: overlaps drawn as outlines, what lies outside each grouping.
    """

    filled: gpd.GeoDataFrame
    outlines: tuple[Layer, ...]
    overlaps: tuple[tuple[str, str, str], ...]
    notes: tuple[str, ...]


def grouping_title(grouping: str) -> str:
    """The grouping's title from its preset file (``"広域地方計画区域"``), else the name as given."""
    meta = _meta(grouping)
    return str(meta.get("title") or grouping)


def outside_note(grouping: str) -> str | None:
    """「北海道・沖縄県は広域地方計画区域に含まれない」 from the preset's ``outside`` list, or None."""

    outside = _meta(grouping).get("outside") or []
    if not outside:
        return None
    names = "・".join(pref_name(code) for code in outside)
    return f"{names}は{grouping_title(grouping)}に含まれない"


def _meta(grouping: str) -> dict[str, object]:

    if grouping not in list_regions():
        return {}
    return read_grouping(grouping)[1]


def split_groupings(
    regions: gpd.GeoDataFrame, column: str, *, unit: str | None = None, label_column: str = "region"
) -> GroupingSplit:
    """Split a regions frame with a ``grouping`` column into the filled grouping and outline layers.

    Parameters
    ----------
    regions : GeoDataFrame
        ``geo.dissolve_regions`` rows of one or more groupings, with ``grouping`` (and ``region``) columns, any CRS.
    column : str
        The mapped value, written after each outline label.
    unit : str, optional
        Unit of ``column``.
    label_column : str
        Column with the region names.

    Returns
    -------
    GroupingSplit
        With one grouping the frame is returned as it is, with no outline and only the "outside" note.

    Warns
    -----
    OverlapWarning
        When a region of a later grouping overlaps a region of the filled one (the map draws it as an outline).
    """
    order = list(dict.fromkeys(regions["grouping"].astype(str)))
    first = order[0]
    filled = regions[regions["grouping"].astype(str) == first]
    notes = [n for n in (outside_note(g) for g in order) if n]
    outlines: list[Layer] = []
    overlaps: list[tuple[str, str, str]] = []
    names = label_column if label_column in regions else None
    for i, grouping in enumerate(order[1:]):
        rows = regions[regions["grouping"].astype(str) == grouping]
        title = grouping_title(grouping)
        found = _overlaps(rows, filled, names)
        overlaps += [(a, title, b) for a, b in found]
        text = (
            (rows[names].astype(str) if names else pd.Series(title, index=rows.index))
            + " "
            + rows[column].map(lambda v: format_value(v, unit=unit))
        )
        layer = Layer(
            "outline",
            rows.assign(_label=text.to_numpy()),
            title,
            style=GROUPING_STYLES[i % len(GROUPING_STYLES)],
            role="grouping_outline",
            tooltip=tuple(c for c in (names, column) if c),
            label_column="_label",
        )
        outlines.append(layer)
    if overlaps:
        by_region: dict[str, list[str]] = {}
        for a, _, b in overlaps:
            by_region.setdefault(a, []).append(b)
        text = "、".join(f"{a}（{'・'.join(bs)}と重なる）" for a, bs in by_region.items())
        notes.append(f"{text}は枠線で表示")
        warnings.warn(
            f"regions of different groupings overlap: {text}; the map fills {grouping_title(first)} and draws "
            "the others as outlines (map one grouping per map to fill each)",
            OverlapWarning,
            stacklevel=3,
        )
    return GroupingSplit(filled, tuple(outlines), tuple(overlaps), tuple(notes))


def _overlaps(rows: gpd.GeoDataFrame, filled: gpd.GeoDataFrame, names: str | None) -> list[tuple[str, str]]:
    """(region of ``rows``, region of ``filled``) pairs sharing more than OVERLAP_SHARE of the smaller one."""

    both = to_metric(pd.concat([rows[["geometry"]], filled[["geometry"]]], ignore_index=True))
    a = both.geometry.values[: len(rows)]
    b = both.geometry.values[len(rows) :]
    ia, ib = shapely.STRtree(b).query(a, predicate="intersects")
    if len(ia) == 0:
        return []
    shared = shapely.area(shapely.intersection(a[ia], b[ib]))
    smaller = np.minimum(shapely.area(a[ia]), shapely.area(b[ib]))
    keep = shared > OVERLAP_SHARE * smaller
    label = lambda frame, i: str(frame[names].iloc[i]) if names else str(i)  # noqa: E731
    return [(label(rows, i), label(filled, j)) for i, j in zip(ia[keep], ib[keep], strict=True)]
