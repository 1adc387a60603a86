"""Static maps for print: PNG, SVG and PDF drawn with matplotlib from the :class:`MapSpec` of the HTML map.

Every text is set in IPAexGothic (bundled by matplotlib-fontja), so Japanese never turns into empty boxes.
The map is drawn in a metric CRS: the plane rectangular zone of a single prefecture, else the national
equal-area projection. Parts south of 30°N (南西諸島, 小笠原諸島) go to framed insets when the rest of the
map lies north of it; a one-prefecture map far apart (沖縄県) keeps its main island in the main frame; land far
from the main body (伊豆諸島 on a map of 東京都) goes to insets when that shows the main body much larger
(see ``geo.maps._static_parts.remote_groups``).
Legend rows are ``Classes.legend_items()`` (the HTML legend's colours, labels and counts); a scale bar,
a north arrow and the attribution line complete the sheet.

Example
-------
>>> import geo                                                             # doctest: +SKIP
>>> m = geo.choropleth(areas, "aging_rate", unit="%", title="高齢化率")       # doctest: +SKIP
>>> m.save("outputs/aging.png", dpi=300, width_px=3000, height_px=3000)    # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from shapely.ops import polylabel

from geo._errors import ValidationError
from geo._io import atomic_path
from geo.crs import JAPAN_EQUAL_AREA, JGD2011, metric_crs, prefecture_crs, require_crs
from geo.maps._static_parts import (
    FONT_FAMILY,
    Placer,
    RemoteGroup,
    draw_north_arrow,
    draw_scale_bar,
    frame_of,
    island_group_name,
    local_equal_area,
    nice_length,
    polygon_paths,
    register_font,
    remote_groups,
)
from geo.maps.layers import ring_groups
from geo.maps.spec import Layer, MapSpec
from geo.maps.style import LAYER_STYLES, AreaStyle, LabelStyle, PointStyle, PolygonStyle

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


__all__ = ["FORMATS", "build_figure", "font_context", "legend_label", "render_static"]

#: file suffix -> matplotlib format
FORMATS: dict[str, str] = {".png": "png", ".svg": "svg", ".pdf": "pdf"}

# Reproducible files (no dates, fixed SVG ids); the font embedded as TrueType (searchable PDF text).
_RC: dict[str, Any] = {
    "font.family": FONT_FAMILY,
    "axes.unicode_minus": False,
    "svg.hashsalt": "geo-static-map",
    "svg.fonttype": "none",  # text stays text (editable), in the font family named by FONT_FAMILY
    "pdf.fonttype": 42,
    "path.simplify": True,
}
_METADATA: dict[str, dict[str, Any]] = {
    "png": {"Software": None},
    "svg": {"Date": None, "Creator": None},
    "pdf": {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None},
}
_MAX_PX = 20_000
#: print sheets (ISO 216, mm, portrait)
PAGES: dict[str, tuple[float, float]] = {"A4": (210.0, 297.0), "A3": (297.0, 420.0), "A5": (148.0, 210.0)}
ORIENTATIONS = ("portrait", "landscape")
_PAGE_MARGIN_MM = 10.0
#: remote island groups with less land than this (km²) and nothing of a layer on them get no inset; the map
#: notes them instead (南鳥島, 1.5 km², on a national map is an empty box)
MIN_INSET_LAND_KM2 = 5.0
_LABEL_Z = 25  # labels above every data layer (layers 5..), below the legend (30)
_INSET_LAND_KM2 = 200.0  # a secondary inset with less land than this gets a small frame
_MIN_INSET_M = 40_000.0  # an inset shows at least 40 km, so a lone islet (南鳥島) stays an islet
_INK = "#222222"
_NODATA_HATCH = "////"  # the hatch of no-data areas (matplotlib pattern), in _NODATA_EDGE over the grey
_NODATA_EDGE = "#8c8c8c"
_LINE_KM_PER_PT = 0.5  # up to this ground distance per point of the sheet, layer outlines keep their weight
_PX_PT = 0.75  # the styles' sizes are CSS px of the HTML map; 1 px = 0.75 pt


@contextlib.contextmanager
def font_context() -> Iterator[None]:
    """Apply the static maps' font (IPAexGothic) and output settings to matplotlib inside the block only.

    Example
    -------
    >>> with font_context():                                     # doctest: +SKIP
    ...     build_figure(m.spec).savefig("map.png")
    """
    import matplotlib

    register_font()
    with matplotlib.rc_context(_RC):
        yield


_style = font_context


def render_static(
    spec: MapSpec,
    path: str | os.PathLike[str],
    *,
    dpi: int = 150,
    width_px: int = 1500,
    height_px: int = 1500,
    page: str | None = None,
    orientation: str = "portrait",
    margins_mm: float | Sequence[float] | None = None,
) -> Path:
    """Draw ``spec`` and write it as PNG, SVG or PDF (from the suffix), atomically.

    The file is written to a temporary file in the same folder and moved into place, so a failure never
    leaves a partial map (nor replaces an existing one).

    Parameters
    ----------
    spec : MapSpec
        From :func:`geo.choropleth` (``m.spec``); the same spec draws the HTML map.
    path : path-like
        Ending in ``.png``, ``.svg`` or ``.pdf``. Missing parent folders are created.
    dpi : int
        Resolution; together with the pixel size it sets the sheet size (1500 px at 150 dpi = 10 inch).
    width_px, height_px : int
        Size in pixels (for SVG/PDF: the size in inches times ``dpi``).
    page : {"A4", "A3", "A5"}, optional
        A print sheet instead of a pixel size: A4 landscape is 297 × 210 mm (a PDF page of 842 × 595 pt).
    orientation : {"portrait", "landscape"}
        Of the page.
    margins_mm : float or (left, right, top, bottom), optional
        White margins around everything printed, in mm (default 10 mm on a page, a thin edge otherwise).

    SVG keeps every text as ``<text>`` in IPAexGothic (editable in Illustrator/Inkscape); PDF embeds
    IPAexGothic as a TrueType (Type 42) font, so its text is searchable.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ValidationError
        Unknown suffix, non-positive or huge size/dpi, no areas (all problems listed at once).

    Example
    -------
    >>> m = geo.choropleth(prefs, "area_km2", unit="km²")             # doctest: +SKIP
    >>> render_static(m.spec, "outputs/area.pdf", dpi=300)           # doctest: +SKIP
    PosixPath('outputs/area.pdf')
    """
    out = Path(path)
    fmt = FORMATS.get(out.suffix.lower())
    problems = []
    if fmt is None:
        problems.append(
            f"{out}: static maps are written as {', '.join(FORMATS)}; got {out.suffix or '(no suffix)'!r}"
            " (use .html for the interactive map)"
        )
    sheet, sheet_problems = sheet_size(
        page=page, orientation=orientation, margins_mm=margins_mm, dpi=dpi, width_px=width_px, height_px=height_px
    )
    problems += sheet_problems
    if len(spec.areas) == 0:
        problems.append("map areas: no rows to draw; check the filter that selected the areas")
    if problems:
        raise ValidationError(problems)
    assert fmt is not None
    with _style():
        fig = _Sheet(spec, dpi=dpi, size_in=sheet[:2], margins_in=sheet[2]).figure
        with atomic_path(out) as tmp, open(tmp, "wb") as fh:
            fig.savefig(fh, format=fmt, dpi=dpi, metadata=_METADATA[fmt])
    return out


def sheet_size(
    *,
    page: str | None = None,
    orientation: str = "portrait",
    margins_mm: float | Sequence[float] | None = None,
    dpi: int = 150,
    width_px: int = 1500,
    height_px: int = 1500,
) -> tuple[tuple[float, float, tuple[float, float, float, float]], list[str]]:
    """Sheet width and height (inches) and margins (left, right, top, bottom, inches), with any problems.

    Example
    -------
    >>> sheet_size(page="A4", orientation="landscape")[0][:2]
    (11.69291338582677, 8.267716535433072)
    """
    problems = []
    if page is not None:
        key = str(page).upper()
        if key not in PAGES:
            problems.append(f"page={page!r} is unknown; use one of {', '.join(PAGES)}")
            key = "A4"
        if orientation not in ORIENTATIONS:
            problems.append(f"orientation={orientation!r}; use portrait or landscape")
        w_mm, h_mm = PAGES[key]
        if orientation == "landscape":
            w_mm, h_mm = h_mm, w_mm
        w_in, h_in = w_mm / 25.4, h_mm / 25.4
        problems += _size_problems(dpi=dpi, width_px=round(w_in * dpi), height_px=round(h_in * dpi))
    else:
        problems += _size_problems(dpi=dpi, width_px=width_px, height_px=height_px)
        w_in, h_in = width_px / dpi if dpi else 1.0, height_px / dpi if dpi else 1.0
    if margins_mm is None:
        margins = (_PAGE_MARGIN_MM,) * 4 if page is not None else None
    elif isinstance(margins_mm, int | float) and not isinstance(margins_mm, bool):
        margins = (float(margins_mm),) * 4
    else:
        margins = tuple(float(m) for m in margins_mm)  # type: ignore[union-attr]
    if margins is None:
        margins_in = (0.015 * w_in, 0.015 * w_in, 0.0, 0.0)
    elif len(margins) != 4 or min(margins) < 0 or margins[0] + margins[1] > 0.5 * w_in * 25.4:
        problems.append(f"margins_mm={margins_mm!r}: give one value or (left, right, top, bottom), >= 0, narrow")
        margins_in = (0.0, 0.0, 0.0, 0.0)
    else:
        margins_in = tuple(m / 25.4 for m in margins)  # type: ignore[assignment]
    return (w_in, h_in, margins_in), problems  # type: ignore[return-value]


def _size_problems(*, dpi: Any, width_px: Any, height_px: Any) -> list[str]:
    problems = []
    for name, value in (("dpi", dpi), ("width_px", width_px), ("height_px", height_px)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or not 0 < value <= _MAX_PX:
            problems.append(f"{name}={value!r}: give a whole number between 1 and {_MAX_PX:,}")
    if not problems and min(width_px, height_px) < 200:
        problems.append(f"{width_px}×{height_px} px is too small for a map with legend; use at least 200 px")
    return problems


# ----------------------------------------------------------------------------------------------- figure
def build_figure(
    spec: MapSpec, *, dpi: int = 150, width_px: int = 1500, height_px: int = 1500, **sheet_options: Any
) -> Figure:
    """The matplotlib Figure of a static map (not saved): main map, insets, legend, furniture, credits.

    Exposed for checks and for callers who want to add to the figure before saving it themselves; save it
    inside :func:`font_context` (which sets the Japanese font) or write the map with :func:`render_static`.

    Example
    -------
    >>> fig = build_figure(m.spec)                                     # doctest: +SKIP
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]   # doctest: +SKIP
    """
    sheet, problems = sheet_size(dpi=dpi, width_px=width_px, height_px=height_px, **sheet_options)
    if len(spec.areas) == 0:
        problems.append("map areas: no rows to draw; check the filter that selected the areas")
    if problems:
        raise ValidationError(problems)
    with _style():
        return _Sheet(spec, dpi=dpi, size_in=sheet[:2], margins_in=sheet[2]).figure


class _Sheet:
    """Builds one figure; the steps share the scale of the sheet and the placed boxes."""

    def __init__(
        self, spec: MapSpec, *, dpi: int, size_in: tuple[float, float], margins_in: tuple[float, float, float, float]
    ) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.spec = spec
        areas = spec.areas
        require_crs(areas, "map areas")
        self.areas = areas if CRS.from_user_input(areas.crs).equals(JGD2011) else areas.to_crs(JGD2011)
        w_in, h_in = size_in
        ml, mr, mt, mb = (margins_in[0] / w_in, margins_in[1] / w_in, margins_in[2] / h_in, margins_in[3] / h_in)
        self.margins = (ml, mr, mt, mb)
        # (priority, text, halo) of the main frame's labels, for decluttering
        self.labels: list[tuple[float, Any, Any]] = []
        # type sizes are in points (physical); scale them with the sheet so a small image stays readable
        self.s = float(np.clip(min(w_in, h_in) / 10.0, 0.45, 2.5))
        self.figure = fig = Figure(figsize=(w_in, h_in), dpi=dpi, facecolor="white")
        FigureCanvasAgg(fig)
        self.renderer = fig.canvas.get_renderer()
        self.area_style = LAYER_STYLES["areas"]
        assert isinstance(self.area_style, AreaStyle)
        self.colors = np.asarray(spec.classes.color_of(spec.values()), dtype=object)
        self.nodata = spec.classes.class_of(spec.values()) < 0

        geoms = self.areas.geometry.values
        main_parts, main_rows, groups = remote_groups(np.asarray(geoms))
        self.groups = groups
        # the frame each layer's features are drawn in: that of the land they stand on (0 main, i + 1 inset i)
        self.homes = [self._homes(layer, main_parts, groups) for layer in spec.layers]
        self.crs = self._main_crs(main_parts)
        top = mt + (16 * self.s * 1.7 + 10) / 72 / h_in
        n_lines = 3 + len(spec.notes)
        bottom = mb + (7 * self.s * 1.45 * n_lines + 6) / 72 / h_in
        self.ax = ax = fig.add_axes((ml, bottom, 1 - ml - mr, 1 - top - bottom))
        projected = _project(main_parts, self.crs)
        self._draw_areas(ax, projected, main_rows)
        _fit(ax, projected, self._px(ax))
        self._frame(ax, color="#888888")
        layer_xy = self._draw_layers(ax, self.crs)
        label_xy = self._draw_area_labels(ax, self.crs)
        self.placer = Placer.from_geometries(ax, projected, points=np.concatenate([layer_xy, label_xy]))
        shown, self.left_out = self._worth_an_inset(groups)
        # the largest inset (南西諸島 on national maps) first, then the legend, then the small insets
        self.insets = [self._inset(g, i) for i, g in enumerate(shown[:1])]
        self.legend = self._legend()
        self.insets += [self._inset(g, i) for i, g in enumerate(shown[1:], start=1)]
        self.inset_groups = shown
        self._furniture()
        self._texts(top, bottom)
        self._declutter()

    # -- geometry
    def _main_crs(self, parts: np.ndarray) -> CRS:
        prefs = self.areas["pref_code"].dropna().unique() if "pref_code" in self.areas else []
        if len(prefs) == 1:
            return prefecture_crs(str(prefs[0]))
        if len(parts) == 0:
            return JAPAN_EQUAL_AREA
        return metric_crs(gpd.GeoSeries(parts, crs=JGD2011))

    @staticmethod
    def _homes(layer: Layer, main_parts: np.ndarray, groups: list[RemoteGroup]) -> np.ndarray | None:
        """Frame of each point of a point layer (:func:`frame_of`); None for other layers (drawn by extent)."""
        if layer.kind != "points" or not len(layer.data):
            return None
        data = layer.data if CRS.from_user_input(layer.data.crs).equals(JGD2011) else layer.data.to_crs(JGD2011)
        return frame_of(shapely.point_on_surface(data.geometry.values), main_parts, groups)

    def _in_main_frame(self, data: gpd.GeoDataFrame | gpd.GeoSeries) -> np.ndarray:
        """Mask of the features whose representative point lies inside the main frame's limits."""
        if len(data) == 0:
            return np.zeros(0, dtype=bool)
        pts = data.geometry.values if isinstance(data, gpd.GeoDataFrame) else data.values
        anchor = gpd.GeoSeries(shapely.point_on_surface(pts), crs=data.crs).to_crs(self.crs).values
        x, y = shapely.get_x(anchor), shapely.get_y(anchor)  # NaN for empty: never inside
        (x0, x1), (y0, y1) = self.ax.get_xlim(), self.ax.get_ylim()
        return np.asarray((x0 <= x) & (x <= x1) & (y0 <= y) & (y <= y1), dtype=bool)

    def _px(self, ax: Axes) -> tuple[float, float]:
        box = ax.get_position()
        fw, fh = self.figure.get_size_inches() * self.figure.dpi
        return box.width * fw, box.height * fh

    def _draw_areas(self, ax: Axes, parts: np.ndarray, rows: np.ndarray, *, speck: bool = False) -> None:
        from matplotlib.collections import PathCollection
        from matplotlib.colors import to_rgba_array

        st = self.area_style
        faces = to_rgba_array(list(self.colors[rows]) if len(rows) else [], alpha=st.fill_opacity)
        if speck:
            # insets: an outline in each island's own colour under the white borders keeps islands smaller
            # than a pixel visible as coloured specks
            # a grey coastline around them keeps pale classes from vanishing into the white of the inset
            under = PathCollection(
                polygon_paths(parts), facecolors=faces, edgecolors="#6e6e6e", linewidths=1.0 * self.s, zorder=0.9
            )
            ax.add_collection(under, autolim=False)
        nodata = self.nodata[rows] if len(rows) else np.zeros(0, dtype=bool)
        if nodata.any():  # no data: grey and hatched, never mistaken for the palest class (or for 0);
            # drawn over the land by zorder, added first so the land stays the last collection of the axes
            hatched = PathCollection(polygon_paths(parts[nodata]), facecolors="none", edgecolors=_NODATA_EDGE,
                                     linewidths=0, hatch=_NODATA_HATCH, zorder=1.05)  # fmt: skip
            ax.add_collection(hatched, autolim=False)
        coll = PathCollection(
            polygon_paths(parts),
            facecolors=faces,
            edgecolors=st.edge_color,
            linewidths=st.edge_width * self.s,
            zorder=1,
        )
        ax.add_collection(coll, autolim=False)

    def _frame(self, ax: Axes, *, color: str, width: float = 0.8) -> None:
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_color(color)
            spine.set_linewidth(width * self.s)

    def _draw_layers(self, ax: Axes, crs: CRS, *, frame: int = 0) -> np.ndarray:
        """Draw the spec's layers on ``ax`` (``frame`` 0: the main map, ``i + 1``: the inset of group ``i``);
        return the projected point coordinates (for placement).

        A point is drawn only in the frame of the land it stands on (:func:`frame_of`): 瀬戸内町's point in
        the 南西諸島 inset, never in the sea of the main frame, and a point far from every area nowhere. In an
        inset, polygons the main frame shows already are left out, so nothing is drawn twice (a hub ring on the
        coast of the mainland would otherwise peek over the edge of the 伊豆諸島 inset).
        """
        xy = [np.empty((0, 2))]
        for i, layer in enumerate(self.spec.layers):
            if not layer.show:
                continue
            homes = self.homes[i]
            if homes is not None:
                data = layer.data[homes == frame]
            else:
                data = layer.data[~self._in_main_frame(layer.data)] if frame else layer.data
            data = data.to_crs(crs)
            st = layer.resolved_style()
            z = 5 + i
            if layer.kind == "points" and isinstance(st, PointStyle):
                z = 12 + i  # markers above every polygon layer (hubs over their rings)
                pts = shapely.get_coordinates(data.geometry.values)
                ax.scatter(
                    pts[:, 0],
                    pts[:, 1],
                    # HTML px -> pt, like lines and labels: the marker keeps its share of the sheet, and a
                    # 1 km hub area on a one-prefecture map still shows as a ring around its hub
                    s=(2 * st.radius * _PX_PT * self.s) ** 2,
                    marker=st.marker,
                    c=[st.fill_color],
                    alpha=st.fill_opacity,
                    edgecolors=st.color,
                    linewidths=st.weight * _PX_PT * self.s,
                    zorder=z,
                )
                xy.append(pts)
                if layer.label_column:  # names beside the markers, never on them
                    self._labels(ax, data, layer.label_column, _label_style(), z=_LABEL_Z, priority=1e12)
            elif layer.kind in ("polygons", "outline") and isinstance(st, PolygonStyle):
                rings = ring_groups(replace(layer, data=data))
                for j, (_, rows, ring_st) in reversed(list(enumerate(rings))):  # widest first, inner on top
                    self._draw_polygons(
                        ax,
                        rows.geometry.values,
                        ring_st or st,
                        outline=layer.kind == "outline",
                        z=z + 0.1 * (len(rings) - j),
                    )
                if layer.label_column and not self._repeats_area_labels(data[layer.label_column]):
                    first = 2e11 if layer.role == "grouping_outline" else 1e11  # overlapping groupings: name them
                    self._labels(ax, data, layer.label_column, _label_style(), z=_LABEL_Z, priority=first)
            elif layer.kind == "labels" and layer.label_column:
                lst = st if isinstance(st, LabelStyle) else _label_style()
                self._labels(ax, data, layer.label_column, lst, z=_LABEL_Z)
        return np.concatenate(xy)

    def _repeats_area_labels(self, texts: pd.Series) -> bool:
        """Whether a layer's labels only repeat the area names already drawn (regions over a regions map)."""
        if not self.spec.show_area_labels:
            return False
        return set(texts.astype(str)) <= set(area_label_texts(self.spec))

    def _line_scale(self, ax: Axes) -> float:
        """Factor on layer outlines that follows the map's scale: 1 at a prefecture's scale, about 0.5 nationally.

        A 2.5 px region outline made for a prefecture map turns small islands into blobs on a map of Japan; the
        factor falls with the ground distance one point of the sheet stands for (``_LINE_KM_PER_PT`` and up).
        """
        x0, x1 = ax.get_xlim()
        width_pt = self._px(ax)[0] * 72 / self.figure.dpi
        km_per_pt = abs(x1 - x0) / 1000 / max(width_pt, 1.0)
        return float(np.clip((km_per_pt / _LINE_KM_PER_PT) ** -0.4, 0.45, 1.0))

    def _draw_polygons(self, ax: Axes, geoms: np.ndarray, st: PolygonStyle, *, outline: bool, z: float) -> None:
        from matplotlib.collections import PathCollection
        from matplotlib.colors import to_rgba

        face = "none" if outline or st.fill_color is None else to_rgba(st.fill_color, alpha=st.fill_opacity)
        hatch = None if outline else st.hatch
        if hatch and len(geoms):
            # one outline around touching cells and a hatch inside: the choropleth stays readable beneath
            # (on a 0.5 m grid: neighbouring cells whose corners differ by a rounding merge without slivers)
            geoms = shapely.get_parts(shapely.union_all(np.asarray(geoms, dtype=object), grid_size=0.5))
            face = "none"
        coll = PathCollection(
            polygon_paths(geoms),
            facecolors=face,
            edgecolors=st.color,
            linewidths=st.weight * self.s * 0.75 * self._line_scale(ax),  # HTML px -> pt, thinner at small scales
            linestyles=_dashes(st.dash),
            hatch=hatch,
            zorder=z,
        )
        ax.add_collection(coll, autolim=False)

    def _labels(
        self, ax: Axes, data: gpd.GeoDataFrame, column: str, st: LabelStyle, *, z: float, priority: float = 0.0
    ) -> np.ndarray:
        """Names at each feature's anchor, with a halo, above every data layer; overlaps are resolved later.

        Labels of the main frame are kept in ``self.labels`` with their priority (bigger features and named
        points first) for :meth:`_declutter`.
        """
        from matplotlib import patheffects

        anchor, extent = label_anchors(data.geometry.values)
        x0, x1 = ax.get_xlim()
        y0, y1 = ax.get_ylim()
        pt_per_m = self._px(ax)[0] / (x1 - x0) * 72 / self.figure.dpi
        size = st.size * 0.75 * self.s  # HTML px -> pt
        halo = [patheffects.withStroke(linewidth=st.halo_width * self.s, foreground=st.halo_color)]
        drawn = []
        for pt, ext, text in zip(anchor, extent, data[column], strict=True):
            if pt is None or shapely.is_empty(pt) or pd.isna(text):
                continue
            x, y = shapely.get_x(pt), shapely.get_y(pt)
            if not (x0 <= x <= x1 and y0 <= y <= y1):
                continue  # texts are not clipped by the axes in every backend: skip those outside the frame
            # a point or an island smaller than the text: label beside it, so the halo does not hide it
            beside = ext * pt_per_m < 2.5 * size
            gap = ext * pt_per_m / 2 + (3 if ext else 8) * self.s  # clear of a point's marker
            # to the left instead when the text (about one em per character) would run out of the frame
            left = beside and (x1 - x) * pt_per_m < gap + len(str(text)) * size
            # the halo is a copy of the text drawn as a white outline underneath; the text itself stays plain,
            # so SVG keeps it as editable <text> (path effects turn text into paths)
            pair = []
            for color, effects, zz in ((st.halo_color, halo, z - 0.01), (st.color, None, z)):
                pair.append(
                    ax.annotate(
                        str(text),
                        (x, y),
                        xytext=((-gap if left else gap) if beside else 0, 0),
                        textcoords="offset points",
                        ha=("right" if left else "left") if beside else "center",
                        va="center",
                        fontsize=size,
                        color=color,
                        path_effects=effects,
                        annotation_clip=True,
                        clip_on=True,
                        zorder=zz,
                    )
                )
            if ax is self.ax:
                self.labels.append((priority + ext, pair[1], pair[0]))
            drawn.append((x, y))
        return np.asarray(drawn, dtype=float).reshape(-1, 2)

    def _draw_area_labels(self, ax: Axes, crs: CRS, *, inset: bool = False) -> np.ndarray:
        """Names on the areas (when the spec shows them); return where they are (for placement)."""
        if not self.spec.show_area_labels:
            return np.empty((0, 2))
        frame = gpd.GeoDataFrame({"name": area_label_texts(self.spec)}, geometry=self.areas.geometry.values)
        frame = frame.set_crs(JGD2011)
        if inset:
            anchor, _ = label_anchors(frame.geometry.values)
            frame = frame[~self._in_main_frame(gpd.GeoSeries(anchor, crs=JGD2011))]
        frame = frame.to_crs(crs)
        return self._labels(ax, frame, "name", _label_style(), z=_LABEL_Z)

    # -- labels
    def _declutter(self) -> None:
        """Keep labels from overlapping each other and the legend, insets and furniture.

        In order of priority (named points, then larger areas first) each label keeps its place if free,
        else moves a line up or down or half its width sideways, else is left out (it stays in the HTML map).
        Extents are measured with the renderer, so the test is on the drawn text, halo included.
        """
        r = self.renderer
        frame = self.ax.get_window_extent(r)
        to_disp = self.ax.transAxes.transform
        blocked = []
        for b in self.placer.placed:
            (x0, y0), (x1, y1) = to_disp([(b.x, b.y), (b.x + b.w, b.y + b.h)])
            blocked.append((x0, y0, x1, y1))
        kept: list[tuple[float, float, float, float]] = []
        pad = 1.5 * self.s * self.figure.dpi / 72
        pt = 72 / self.figure.dpi
        for _, ann, halo in sorted(self.labels, key=lambda t: -t[0]):
            bb = ann.get_window_extent(r)
            w, h = bb.width, bb.height
            dx0, dy0 = ann.xyann
            moves = [(0, 0), (0, h), (0, -h), (0.6 * w, 0), (-0.6 * w, 0), (0.5 * w, h), (-0.5 * w, -h)]
            moves += [(0, 2 * h), (0, -2 * h), (0.5 * w, -h), (-0.5 * w, h)]
            for dx, dy in moves:
                box = (bb.x0 + dx - pad, bb.y0 + dy - pad, bb.x1 + dx + pad, bb.y1 + dy + pad)
                inside = frame.x0 <= box[0] and box[2] <= frame.x1 and frame.y0 <= box[1] and box[3] <= frame.y1
                if inside and not any(_hit(box, o) for o in (*kept, *blocked)):
                    ann.xyann = halo.xyann = (dx0 + dx * pt, dy0 + dy * pt)
                    kept.append(box)
                    break
            else:
                ann.set_visible(False)
                halo.set_visible(False)

    def _worth_an_inset(self, groups: list[RemoteGroup]) -> tuple[list[RemoteGroup], list[str]]:
        """The groups worth an inset: enough land to see, or something of a layer on them; names of the rest."""
        shown, left_out = [], []
        for group in groups:
            crs = local_equal_area(group.parts)
            land_km2 = float(shapely.area(_project(group.parts, crs)).sum()) / 1e6
            if land_km2 >= MIN_INSET_LAND_KM2 or self._layers_near(group):
                shown.append(group)
            else:
                left_out.append(self._group_name(group))
        return shown, left_out

    def _layers_near(self, group: RemoteGroup) -> bool:
        minx, miny, maxx, maxy = shapely.total_bounds(group.parts)
        box = shapely.box(minx - 0.2, miny - 0.2, maxx + 0.2, maxy + 0.2)  # about 20 km around, EPSG:6668
        frame = next(j for j, g in enumerate(self.groups) if g is group) + 1
        for layer, homes in zip(self.spec.layers, self.homes, strict=True):
            if layer.kind == "outline" or not layer.show or not len(layer.data):
                continue  # outlines of regions built from the areas themselves show nothing new there
            if homes is not None:  # points: those standing on this group's land
                if (homes == frame).any():
                    return True
                continue
            if shapely.intersects(layer.data.geometry.values, box).any():
                return True
        return False

    # -- insets
    def _inset(self, group: RemoteGroup, i: int) -> Axes:
        crs = local_equal_area(group.parts)
        parts = _project(group.parts, crs)
        minx, miny, maxx, maxy = shapely.total_bounds(parts)
        dw, dh = max(maxx - minx, _MIN_INSET_M), max(maxy - miny, _MIN_INSET_M)
        aspect = float(np.clip(dw / dh, 0.45, 2.2))
        main_w, main_h = self._px(self.ax)
        # the largest group gets the largest frame; a far-flung group of small islands (大東, 小笠原) a smaller
        # one than a group with land to show (先島), so no large frame stands around a few dots
        land_km2 = float(shapely.area(parts).sum()) / 1e6
        small = 0.22 if land_km2 >= _INSET_LAND_KM2 else 0.14
        long_side = 0.38 if i == 0 else (small if max(dw, dh) > 2 * _MIN_INSET_M else 0.08)
        if aspect >= 1:
            w_px = long_side * min(main_w, main_h)
            h_px = w_px / aspect
        else:
            h_px = long_side * min(main_w, main_h)
            w_px = h_px * aspect
        name = self._group_name(group)
        pt_px = self.figure.dpi / 72
        title_px = 8 * self.s * 2.0 * pt_px  # room for the inset's name above the islands
        w_px = max(w_px, (len(name) + 1.5) * 8 * self.s * pt_px)  # the name fits inside the frame
        box = self.placer.place(w_px / main_w, (h_px + title_px) / main_h)
        fig_box = self.ax.get_position()
        ax = self.figure.add_axes(
            (
                fig_box.x0 + box.x * fig_box.width,
                fig_box.y0 + box.y * fig_box.height,
                box.w * fig_box.width,
                box.h * fig_box.height,
            ),
            facecolor="white",
            zorder=3 + i,
        )
        self._draw_areas(ax, parts, group.rows, speck=True)
        _fit(ax, parts, self._px(ax), pad=0.08, top_px=title_px, min_span=_MIN_INSET_M)
        self._frame(ax, color="#555555", width=0.9)
        self._draw_layers(ax, crs, frame=next(j for j, g in enumerate(self.groups) if g is group) + 1)
        self._draw_area_labels(ax, crs, inset=True)
        ax.text(
            0.03,
            0.985,
            name,
            transform=ax.transAxes,
            ha="left",
            va="top",
            fontsize=8 * self.s,
            color=_INK,
        )
        return ax

    def _group_name(self, group: RemoteGroup) -> str:
        """The inset's title: the island group (when well known) and the areas it shows.

        Two insets of one municipality (小笠原村: 小笠原諸島 and 南鳥島) thus get different titles.
        """
        rows = np.unique(group.rows)
        names = self.spec.names().to_numpy()[rows]
        if len(set(names)) == 1:
            areas = str(names[0])
        elif "pref_name" in self.areas:
            prefs = list(dict.fromkeys(self.areas["pref_name"].to_numpy()[rows]))
            areas = "・".join(map(str, prefs[:3])) + ("ほか" if len(prefs) > 3 else "")
        else:
            areas = "離島"
        islands = island_group_name(group.parts)
        return areas if islands is None or islands in areas else f"{islands}（{areas}）"

    # -- legend, furniture, texts
    def _legend(self) -> Any:
        from matplotlib.patches import Patch

        spec, c, st = self.spec, self.spec.classes, self.area_style
        handles: list[Any] = []
        labels: list[str] = []
        for color, label, count in c.legend_items():
            nodata = label == c.nodata_label
            handles.append(Patch(facecolor=color, alpha=st.fill_opacity, edgecolor="#777777", linewidth=0.4,
                                 hatch=_NODATA_HATCH if nodata else None))  # fmt: skip
            labels.append(legend_label(label, count))
        for layer in spec.layers:
            if not layer.show:
                continue  # drawn only when switched on (the HTML map lists it in its layer switcher)
            rings = ring_groups(layer) if layer.kind == "polygons" else [(layer.display_name(), None, None)]
            for text, _, ring_st in rings:
                handles.append(self._legend_handle(layer, ring_st or layer.resolved_style()))
                labels.append(text)
        head = spec.heading()
        title = f"{head}\n{c.legend_subtitle}"
        legend = self.ax.legend(
            handles,
            labels,
            title=title,
            loc="lower left",
            bbox_to_anchor=(0, 0),
            bbox_transform=self.ax.transAxes,
            fontsize=9 * self.s,
            title_fontsize=9.5 * self.s,
            alignment="left",
            frameon=True,
            framealpha=0.92,
            edgecolor="#999999",
            fancybox=False,
            borderaxespad=0,
            handlelength=1.8,
            handleheight=1.1,
            handler_map={_TextSymbol: _TextSymbolHandler()},
        )
        legend.set_zorder(30)
        ext = legend.get_window_extent(self.renderer)
        main_w, main_h = self._px(self.ax)
        box = self.placer.place(ext.width / main_w, ext.height / main_h)
        legend.set_bbox_to_anchor((box.x, box.y), transform=self.ax.transAxes)
        return legend

    def _legend_handle(self, layer: Layer, lst: Any) -> Any:
        from matplotlib.colors import to_rgba
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch

        if isinstance(lst, PointStyle):
            return Line2D(
                [],
                [],
                linestyle="none",
                marker=lst.marker,
                markersize=2 * lst.radius * _PX_PT * self.s,
                markerfacecolor=lst.fill_color,
                markeredgecolor=lst.color,
                markeredgewidth=lst.weight * _PX_PT * self.s,
            )
        if isinstance(lst, PolygonStyle):
            filled = layer.kind != "outline" and lst.fill_color is not None and not lst.hatch
            return Patch(
                facecolor=to_rgba(lst.fill_color, alpha=max(lst.fill_opacity, 0.15)) if filled else "none",
                hatch=lst.hatch if layer.kind != "outline" else None,
                edgecolor=lst.color,
                linewidth=lst.weight * _PX_PT * self.s,
                linestyle=_dashes(lst.dash),
            )
        return _TextSymbol()

    def _furniture(self) -> None:
        x0, x1 = self.ax.get_xlim()
        length = nice_length(0.22 * (x1 - x0))
        main_w, main_h = self._px(self.ax)
        frac = length / (x1 - x0)
        dpi = self.figure.dpi
        w = max(frac + 90 * self.s / 72 * dpi / main_w, 0.6 * self.s * dpi / main_w)
        h = 0.95 * self.s * dpi / main_h
        box = self.placer.place(w, h)
        draw_scale_bar(self.ax, box, length_m=length, fontsize=8 * self.s, color=_INK)
        draw_north_arrow(self.ax, box, crs=self.crs, fontsize=9 * self.s, color=_INK)

    def _texts(self, top: float, bottom: float) -> None:
        spec, s = self.spec, self.s
        title = spec.title or spec.column_label()
        mt = self.margins[2]
        text = self.figure.text(
            0.5,
            1 - mt - (top - mt) / 2,
            str(title),
            ha="center",
            va="center",
            fontsize=16 * s,
            color=_INK,
        )
        # a long title (a definition's full name) is set smaller until it fits between the margins
        room = (1 - self.margins[0] - self.margins[1]) * self.figure.get_figwidth() * self.figure.dpi
        width = text.get_window_extent(self.renderer).width
        if width > room:
            text.set_fontsize(max(16 * s * room / width * 0.98, 7 * s))
        credit = spec.attribution_text()
        crs_text = f"地図の投影: {crs_name(self.crs)}"
        if self.insets:
            crs_text += "（挿入図は各中心の正積方位図法）"
        notes = list(spec.notes)
        if self.left_out:
            notes.append(f"{'、'.join(self.left_out)}は陸地が小さく挿入図を省略")
        lines = [f"注：{n}" for n in notes] + ([credit] if credit else []) + [crs_text]
        ml, _, _, mb = self.margins
        self.figure.text(
            ml,
            mb + (bottom - mb) * 0.5,
            "\n".join(lines),
            ha="left",
            va="center",
            fontsize=7 * s,
            color="#444444",
            wrap=True,
            linespacing=1.35,
        )


class _TextSymbol:
    """Legend handle of a labels layer: drawn as 「字」, like the HTML legend."""


class _TextSymbolHandler:
    def legend_artist(self, legend: Any, orig_handle: Any, fontsize: float, handlebox: Any) -> Any:
        from matplotlib.text import Text

        text = Text(
            handlebox.xdescent + handlebox.width / 2,
            handlebox.ydescent + handlebox.height / 2,
            "字",
            ha="center",
            va="center",
            fontsize=fontsize,
            color=_INK,
            transform=handlebox.get_transform(),
        )
        handlebox.add_artist(text)
        return text


def _hit(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    """Whether two (x0, y0, x1, y1) boxes overlap."""
    return not (a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1])


def _dashes(dash: str | None) -> Any:
    """An SVG dash array (``"6 4"``) as a matplotlib line style; solid without one."""
    if not dash:
        return "-"
    return (0, tuple(float(x) for x in dash.replace(",", " ").split()))


def area_label_texts(spec: MapSpec) -> np.ndarray:
    """Names drawn on the areas, as in the HTML map: 市区町村名 alone on a one-prefecture map."""
    areas = spec.areas
    text = spec.names()
    if spec.label_column is None and "muni_name" in areas and areas["pref_code"].nunique() == 1:
        text = areas["muni_name"].astype("string").fillna(areas["pref_name"]).astype(str)
    return text.to_numpy()


def label_anchors(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A point inside the largest part of each (projected) geometry, and that part's size (longer bbox side).

    Labels sit on the main island of a municipality, at the point farthest from its outline (the pole of
    inaccessibility, found to 2 % of the part's size), so a name or a value never sits on a border line;
    points have size 0.
    """
    geoms = np.asarray(geoms, dtype=object)
    out = np.array(geoms, dtype=object)
    size = np.zeros(len(geoms))
    if len(geoms) == 0:
        return out, size
    parts, owner = shapely.get_parts(geoms, return_index=True)
    area = shapely.area(parts)
    order = np.lexsort((-area, owner))  # by owner, largest part first
    first = order[np.r_[True, owner[order][1:] != owner[order][:-1]]]
    out[owner[first]] = shapely.point_on_surface(parts[first])
    polygons = first[shapely.get_type_id(parts[first]) == 3]
    for i in polygons:
        part = parts[i]
        if shapely.is_valid(part) and not part.is_empty:
            out[owner[i]] = polylabel(part, tolerance=max(math.sqrt(part.area) * 0.02, 1e-9))
    b = shapely.bounds(parts[first])
    size[owner[first]] = np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1])
    return out, size


def legend_label(label: str, count: int) -> str:
    """The text of one legend row: the class label and its count, as in the HTML legend.

    Example
    -------
    >>> legend_label("10人以上 20人未満", 1234)
    '10人以上 20人未満（1,234）'
    """
    return f"{label}（{count:,}）"


def crs_name(crs: CRS) -> str:
    """Readable name of the map's CRS for the credit line (EPSG code when it has one)."""
    if crs.equals(JAPAN_EQUAL_AREA):
        return "アルベルス正積円錐図法（JGD2011, 標準緯線 30°N・42°N, 中央経線 137°E）"
    epsg = crs.to_epsg()
    return f"{crs.name}（EPSG:{epsg}）" if epsg else crs.name


def _label_style() -> LabelStyle:
    st = LAYER_STYLES["labels"]
    return st if isinstance(st, LabelStyle) else LabelStyle()


def _project(parts: np.ndarray, crs: CRS) -> np.ndarray:
    if len(parts) == 0:
        return np.asarray(parts, dtype=object)
    return gpd.GeoSeries(parts, crs=JGD2011).to_crs(crs).to_numpy()


def _fit(
    ax: Axes,
    parts: np.ndarray,
    px: tuple[float, float],
    *,
    pad: float = 0.03,
    top_px: float = 0,
    min_span: float = 1_000.0,
) -> None:
    """Set limits showing all ``parts`` at equal x/y scale in an axes of ``px`` pixels (room on top)."""
    if len(parts) == 0:
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        return
    minx, miny, maxx, maxy = shapely.total_bounds(parts)
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    w_px, h_px = px
    usable_h = max(h_px - top_px, 1.0)
    span_x = max(maxx - minx, min_span) * (1 + 2 * pad)
    span_y = max(maxy - miny, min_span) * (1 + 2 * pad)
    per_px = max(span_x / w_px, span_y / usable_h)  # metres per pixel
    half_w = per_px * w_px / 2
    ax.set_xlim(cx - half_w, cx + half_w)
    low = cy - per_px * usable_h / 2
    ax.set_ylim(low, low + per_px * h_px)
    ax.set_aspect("equal", adjustable="box")
    ax.set_autoscale_on(False)
