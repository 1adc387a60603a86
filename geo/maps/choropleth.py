"""``geo.choropleth``: classify an indicator over areas and save it as an HTML or static map."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo._errors import ValidationError
from geo._io import write_bytes_atomic
from geo.crs import JGD2011, metric_crs, require_crs
from geo.maps._static_parts import NEAR_LAND_KM
from geo.maps.groupings import split_groupings
from geo.maps.interactive import render_html
from geo.maps.layers import AREA_LABELS, as_layer, prepare_layer
from geo.maps.spec import Layer, MapSpec
from geo.maps.static import render_static
from geo.maps.style import ATTRIBUTION_N03, Classes, classify, classify_together
from geo.params import MapParams
from geo.tables import code_kinds

__all__ = ["ChoroplethMap", "choropleth"]

STATIC_SUFFIXES = (".png", ".svg", ".pdf")
LABEL_LIMIT = 60  # area labels are on by default up to this many areas (prefectures yes, municipalities no)


class ChoroplethMap:
    """A classified map, ready to save as ``.html`` (interactive, offline) or ``.png``/``.svg``/``.pdf``.

    Attributes
    ----------
    spec : MapSpec
        What is drawn: areas, column, classes, layers, attribution.
    """

    def __init__(
        self,
        spec: MapSpec,
        *,
        tiles: str | None = None,
        simplify_m: float | Literal["auto"] | None = "auto",
        page: str | None = None,
        orientation: str = "portrait",
        margins_mm: float | Sequence[float] | None = None,
    ) -> None:
        self.spec = spec
        self.tiles = tiles
        self.simplify_m = simplify_m
        self.page = page
        self.orientation = orientation
        self.margins_mm = margins_mm

    @property
    def classes(self) -> Any:
        """The fitted :class:`geo.maps.style.Classes` (labels, colours, counts)."""
        return self.spec.classes

    def to_html(self) -> str:
        """The self-contained HTML page as text (same input, same bytes)."""

        return render_html(self.spec, tiles=self.tiles, simplify_m=self.simplify_m)

    def _repr_html_(self) -> str:  # notebooks: an iframe keeps the page's scripts apart from the notebook's
        import html

        return f'<iframe srcdoc="{html.escape(self.to_html())}" style="width:100%;height:560px;border:none"></iframe>'

    def save(
        self,
        path: str | os.PathLike[str],
        *,
        dpi: int = 150,
        width_px: int | None = None,
        height_px: int | None = None,
        page: str | None = None,
        orientation: str | None = None,
        margins_mm: float | Sequence[float] | None = None,
    ) -> Path:
        """Write the map; the format follows the suffix: ``.html``, ``.png``, ``.svg`` or ``.pdf``.

        HTML is written to a temporary file in the same folder and moved into place, so a failed run never
        leaves half a file. Static formats go through ``geo.maps.static.render_static``.

        ``page`` (``"A4"``, ``"A3"``), ``orientation`` (``"portrait"``/``"landscape"``) and ``margins_mm``
        (one value, or left, right, top, bottom) set a print sheet for static maps (an A4 landscape PDF is
        842×595 pt); they default to what was given to :func:`geo.choropleth`. A page excludes
        ``width_px``/``height_px``.

        Example
        -------
        >>> m = geo.choropleth(areas, "pop_2020")   # doctest: +SKIP
        >>> m.save("outputs/pop.html")              # doctest: +SKIP
        """
        out = Path(path)
        suffix = out.suffix.lower()
        if suffix == ".html":
            write_bytes_atomic(out, self.to_html().encode("utf-8"))
            return out
        if suffix in STATIC_SUFFIXES:
            kwargs: dict[str, Any] = {"dpi": dpi}
            page = page if page is not None else self.page
            if page is not None:
                kwargs["page"] = page
                kwargs["orientation"] = orientation or self.orientation
            margins = margins_mm if margins_mm is not None else self.margins_mm
            if margins is not None:
                kwargs["margins_mm"] = margins
            if width_px is not None:
                kwargs["width_px"] = width_px
            if height_px is not None:
                kwargs["height_px"] = height_px
            render_static(self.spec, out, **kwargs)
            return out
        raise ValidationError([f"{out}: unknown map format {suffix or '(none)'!r}; use .html, .png, .svg or .pdf"])


def _level(areas: gpd.GeoDataFrame) -> str:
    """The level the areas are at, from their codes: whole designated cities and no wards is designated_city."""
    if "muni_code" not in areas.columns:
        return "prefecture"
    kinds = set(code_kinds(areas["muni_code"].dropna()))
    return "designated_city" if "designated_city" in kinds and "ward" not in kinds else "municipality"


def _check_areas(areas: Any, column: str, label_column: str | None, classes_with: Sequence[str] = ()) -> list[str]:
    if not isinstance(areas, gpd.GeoDataFrame):
        return [f"areas: expected a GeoDataFrame (geo.read_boundaries), got {type(areas).__name__}"]
    require_crs(areas, "areas")
    problems = []
    if column not in areas.columns:
        problems.append(
            f"column {column!r} not found in areas; available: {[c for c in areas.columns if c != 'geometry']}"
        )
    elif not pd.api.types.is_numeric_dtype(areas[column].dtype):
        bad = pd.to_numeric(areas[column], errors="coerce").isna() & areas[column].notna()
        if bad.any():  # number-like text is read as numbers, empty cells as no data
            problems.append(
                f"column {column!r} is not numeric ({int(bad.sum())} non-number value(s), e.g. rows "
                f"{list(areas.index[bad][:5])}); convert it, with NaN for no data"
            )
    missing_with = [c for c in classes_with if c not in areas.columns]
    if missing_with:
        problems.append(f"classes_with: column(s) {missing_with} not found in areas; the classes are fitted on them")
    if label_column is not None and label_column not in areas.columns:
        problems.append(f"label_column {label_column!r} not found in areas")
    geoms = areas.geometry
    missing = geoms.isna() | shapely.is_empty(geoms.values)
    if missing.any():
        problems.append(
            f"areas: {int(missing.sum())} row(s) without geometry (e.g. rows {list(areas.index[missing][:5])})"
            "; drop them or join the table onto the boundaries, not the other way round"
        )
    kinds = set(geoms[~missing].geom_type)
    if not kinds <= {"Polygon", "MultiPolygon"}:
        problems.append(f"areas: geometry types {sorted(kinds)}; a choropleth needs polygons")
    return problems


def choropleth(
    areas: gpd.GeoDataFrame,
    column: str,
    *,
    scheme: str = "quantiles",
    k: int = 5,
    breaks: Sequence[float] | None = None,
    layers: Iterable[Layer | gpd.GeoDataFrame] = (),
    title: str | None = None,
    unit: str | None = None,
    palette: str = "YlOrRd",
    legend_title: str | None = None,
    label_column: str | None = None,
    show_labels: bool | None = None,
    attribution: str | Sequence[str] | None = None,
    tiles: str | None = None,
    simplify_m: float | Literal["auto"] | None = "auto",
    midpoint: float | None = None,
    column_titles: Mapping[str, str] | None = None,
    notes: Sequence[str] = (),
    page: str | None = None,
    orientation: str = "portrait",
    margins_mm: float | Sequence[float] | None = None,
    classes: Classes | None = None,
    classes_with: Sequence[str] = (),
) -> ChoroplethMap:
    """Map an indicator over areas (prefectures, designated cities or municipalities), classified.

    Parameters
    ----------
    areas : GeoDataFrame
        Canonical schema from :func:`geo.read_boundaries` (any level), with ``column``; any CRS (drawn in EPSG:6668).
    column : str
        Numeric indicator; NaN is shown as 「データなし」.
    scheme : {"quantiles", "fisher_jenks", "equal_interval", "user_defined"}
        Classification (mapclassify); ``"natural_breaks"`` is Fisher-Jenks.
    k : int
        Number of classes.
    breaks : sequence of float, optional
        Class boundaries for ``scheme="user_defined"``.
    layers : sequence of Layer or GeoDataFrame
        Extra layers (``geo.maps.layers``: gap points, hubs, buffers, region outlines, labels).
    title, unit, legend_title : str, optional
        Map title; unit shown after every number; legend heading (default ``column``).
    palette : str
        Name in ``geo.maps.style.PALETTES`` (``RdBu`` etc. for change; ``_r`` reverses).
    label_column : str, optional
        Column with the areas' display names (default 都道府県名 + 市区町村名).
    show_labels : bool, optional
        Area names drawn on the map when it opens (default: only with at most 60 areas; always switchable).
    attribution : str or sequence of str, optional
        Credit line(s) added after the N03 boundary credit (which is always shown). The layers' own credits are
        appended.
    tiles : str, optional
        Background tiles for the HTML map (``geo.maps.interactive.TILES``); default none (works offline).
    simplify_m : float, "auto" or None
        Display simplification for the HTML map, in metres.
    midpoint : float, optional
        Centre of a diverging palette (default 0): always a class boundary (see ``geo.maps.style.classify``).
    column_titles : mapping of str to str, optional
        Readable headings of columns (``{"gap_share": "交通空白人口の割合"}``, layer metadata); the legend heading
        of ``column`` when ``legend_title`` is not given.
    notes : sequence of str
        Remarks printed on the map (static: under the legend area; HTML: in the legend).
    page, orientation, margins_mm
        Print sheet of static maps (``"A4"``/``"A3"``, ``"portrait"``/``"landscape"``, margins in mm); see
        :meth:`ChoroplethMap.save`.
    classes : Classes, optional
        A classification fitted elsewhere (:func:`geo.maps.style.classify_together`, or ``other_map.classes``)
        drawn as it is: same breaks, colours and labels, this map's counts. Excludes ``scheme``/``k``/``breaks``.
    classes_with : sequence of str
        Other columns of ``areas`` fitted into one classification together with ``column``: the maps of all these
        columns (years, windows, scenarios) share breaks, colours and labels, and their legends say so.

    Several groupings (a ``grouping`` column, as ``geo run`` builds from several presets): the first fills the
    map and the others are drawn as outlines with their own styles, labelled with name and value; overlapping
    regions raise an :class:`geo.maps.groupings.OverlapWarning`, and what lies outside a grouping is noted.

    Returns
    -------
    ChoroplethMap
        ``.save(path)`` writes ``.html``/``.png``/``.svg``/``.pdf``; ``.spec`` and ``.classes`` to inspect.

    Raises
    ------
    ValidationError
        Missing/non-numeric column, rows without geometry, unknown scheme/palette, bad layers (all listed).
    CRSError
        ``areas`` or a layer without a CRS.

    Example
    -------
    >>> import geo
    >>> areas = geo.read_boundaries("n03-2021-s0010", level="prefecture")          # doctest: +SKIP
    >>> areas["area_km2"] = geo.crs.area_km2(areas)                                # doctest: +SKIP
    >>> geo.choropleth(areas, "area_km2", unit="km²").save("outputs/area.html")  # doctest: +SKIP
    """
    problems = _check_areas(areas, column, label_column, classes_with)
    if problems:
        raise ValidationError(problems)
    drawn = areas if areas.crs.equals(JGD2011) else areas.to_crs(JGD2011)
    given = [as_layer(obj, position=i) for i, obj in enumerate(layers)]
    map_notes = list(notes)
    if "grouping" in drawn.columns and drawn["grouping"].notna().any():
        split = split_groupings(drawn, column, unit=unit)
        drawn = split.filled
        map_notes += split.notes
        # the areas' own outlines layer (layers=["regions"]) is the filled grouping; the others are drawn apart
        given = [_only_filled(layer, drawn) for layer in given] + list(split.outlines)
    values = pd.to_numeric(drawn[column], errors="coerce")
    if len(values) and values.isna().all():
        warnings.warn(f"column {column!r} has no value in any of the {len(values)} areas: every area is drawn as "
                      "データなし; check that the table's column is filled and that its rows joined", stacklevel=2)  # fmt: skip
    if classes is None:
        fit = {"scheme": scheme, "k": k, "breaks": breaks, "unit": unit, "palette": palette, "midpoint": midpoint}
        if classes_with:
            wanted = {column, *classes_with}  # in the frame's order: every map of the set writes the same legend
            together = [c for c in dict.fromkeys(drawn.columns) if c in wanted]
            names = [(column_titles or {}).get(c, c) for c in together]
            classes = classify_together(
                {n: pd.to_numeric(drawn[c], errors="coerce") for n, c in zip(names, together, strict=True)}, **fit
            )
        else:
            classes = classify(values, **fit)
    classes = classes.recount(values)
    if classes.shared_note:
        map_notes.append(classes.shared_note)
    if any(layer.role == AREA_LABELS for layer in given) and show_labels is None:
        show_labels = True  # layer_for("labels", areas): the areas' own name labels, switched on
    prepared = tuple(prepare_layer(layer, position=i) for i, layer in enumerate(given) if layer.role != AREA_LABELS)
    prepared, outside = _points_on_the_map(prepared, drawn)
    map_notes += outside
    # the boundaries are N03: their credit always stands first, and what is given adds to it (never replaces it)
    given = () if attribution is None else (attribution,) if isinstance(attribution, str) else tuple(attribution)
    credits: tuple[str, ...] = (ATTRIBUTION_N03, *given)
    credits += tuple(layer.attribution for layer in prepared if layer.attribution)
    spec = MapSpec(
        areas=drawn,
        column=column,
        classes=classes,
        title=title,
        layers=prepared,
        attribution=tuple(dict.fromkeys(credits)),
        label_column=label_column,
        unit=unit,
        show_area_labels=len(drawn) <= LABEL_LIMIT if show_labels is None else bool(show_labels),
        level=_level(areas),
        legend_title=legend_title,
        notes=tuple(dict.fromkeys(map_notes)),
        column_titles=dict(column_titles) if column_titles else None,
    )
    return ChoroplethMap(
        spec, tiles=tiles, simplify_m=simplify_m, page=page, orientation=orientation, margins_mm=margins_mm
    )


def _points_on_the_map(layers: tuple[Layer, ...], areas: gpd.GeoDataFrame) -> tuple[tuple[Layer, ...], list[str]]:
    """Point layers without the points farther than ``NEAR_LAND_KM`` from every area, and a note naming them.

    A map of a selection shows what stands on it: 北海道's good-practice points do not float in an empty corner
    of a map of the other regions (nor stretch the HTML map's view). Distances are in metres.
    """
    if not len(areas) or not any(layer.kind == "points" and len(layer.data) for layer in layers):
        return layers, []
    crs = metric_crs(areas)
    tree = shapely.STRtree(areas.geometry.to_crs(crs).values)
    out, notes = [], []
    for layer in layers:
        if layer.kind != "points" or not len(layer.data):
            out.append(layer)
            continue
        pts = layer.data.geometry.to_crs(crs).values
        near = np.zeros(len(pts), dtype=bool)
        near[tree.query(pts, predicate="dwithin", distance=NEAR_LAND_KM * 1000.0)[0]] = True
        if near.all():
            out.append(layer)
            continue
        out.append(replace(layer, data=layer.data[near]))
        notes.append(f"{layer.title or layer.name}: 地図の範囲外の{int((~near).sum()):,}地点は描いていません")
    return tuple(out), notes


def _only_filled(layer: Layer, filled: gpd.GeoDataFrame) -> Layer:
    """A regions layer holding several groupings, cut to the filled one (the others come as outline layers)."""
    data = layer.data
    if "grouping" not in data.columns or data["grouping"].nunique() < 2 or not len(filled):
        return layer
    return replace(layer, data=data[data["grouping"] == filled["grouping"].iloc[0]])


def map_from(
    areas: gpd.GeoDataFrame,
    params: MapParams,
    *,
    layers: Iterable[Layer | gpd.GeoDataFrame] = (),
    attribution: str | Sequence[str] | None = None,
    column_titles: Mapping[str, str] | None = None,
) -> ChoroplethMap:
    """:func:`choropleth` from a :class:`~geo.params.MapParams` (``geo map`` and ``[[maps]]`` draw through it).

    Raises
    ------
    ValidationError
        No column given, and everything :func:`choropleth` refuses.
    """
    if not params.column:
        raise ValidationError(["give the column to map (--column, or column = '...' in [[maps]])"])
    return choropleth(
        areas, params.column, scheme=params.scheme, k=params.k, breaks=list(params.breaks) or None, layers=layers,
        title=params.title, unit=params.unit, palette=params.palette, legend_title=params.legend,
        show_labels=params.labels, attribution=attribution, tiles=params.tiles, midpoint=params.midpoint,
        column_titles=column_titles, classes_with=params.classes_with,
        **({"page": params.page, "orientation": params.orientation, "margins_mm": params.margins_mm}
           if params.page else {}),
    )  # fmt: skip


def save_map(m: ChoroplethMap, path: str | os.PathLike[str], params: MapParams) -> Path:
    """Write a map drawn by :func:`map_from` with the parameters' resolution and page."""
    return m.save(path, dpi=params.dpi, page=params.page, orientation=params.orientation, margins_mm=params.margins_mm)
