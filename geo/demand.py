"""Demand: which column counts people, demand as points, and demand without a mesh (the one grid builder).

**Weights.** :func:`weight_column` picks the population column (given, else population-like by name);
:func:`demand_weights` refuses missing or negative weights naming the rows; :func:`demand_points` judges a cell
by its centre. Count validity at read time is :func:`geo._validate.check_counts`.

**Demand without a mesh.** Where no mesh statistics are at hand (or only a municipal table is), a municipality
must not stand for one point: its centre would make a hub reach all of its people or none (道の駅あさひかわ
"reaching" all 329,306 people of 旭川市). :func:`grid_demand` cuts each municipality into the JIS X 0410
3rd-level (1 km) cells it overlaps and gives every piece the municipality's population in proportion to the
piece's area (areal weighting, the "simple areal interpolation" of tobler's ``area_interpolate`` for an
extensive variable). Each row says so in ``demand_method``; population in a municipality is assumed uniform
over its land, which overstates people in mountains and forests: use real mesh statistics
(:func:`geo.read_mesh`) where they exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from geo._errors import ValidationError
from geo.crs import JAPAN_EQUAL_AREA, JGD2011, require_crs, to_metric
from geo.mesh import mesh_codes_covering, mesh_polygons
from geo.tables import read_indicators

METHOD_AREA = "municipal population spread over 1 km grid cells by area (areal weighting)"
METHOD_PROXY = "municipal population spread over 1 km grid cells by {name} (dasymetric: proxy × area share of the cell)"
_DLAT, _DLON = 1 / 120, 1 / 80  # 3rd-level mesh: 30" × 45"


@dataclass(frozen=True)
class GridDemandReport:
    """What :func:`grid_demand` did: method, sizes, totals and the codes that did not match.

    Attributes
    ----------
    method
        The ``demand_method`` text written on every row.
    column
        The population column spread.
    areas, cells, pieces
        Municipalities spread, distinct 1 km cells touched, and rows (cell × municipality pieces).
    total
        Population spread (equals the sum over the matched municipalities).
    missing_areas
        Codes of areas with no population in the table (given 0 with ``missing="zero"``).
    unmatched_rows
        Table rows whose code is none of the areas (e.g. prefecture totals, a designated city beside its
        wards, areas outside the boundaries given); they are not spread.
    """

    method: str
    column: str
    areas: int
    cells: int
    pieces: int
    total: float
    missing_areas: list[str] = field(default_factory=list)
    unmatched_rows: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    def __str__(self) -> str:
        missing = f"; no population for {len(self.missing_areas)} areas {self.missing_areas[:8]}" * bool(
            self.missing_areas
        )
        if not self.column:
            return f"{self.cells:,} cells of {self.areas} areas: {self.method}"
        return (
            f"{self.total:,.0f} people ({self.column}) of {self.areas} areas spread over {self.cells:,} 1 km cells "
            f"({self.pieces:,} pieces): {self.method}"
        ) + missing


def _population(
    areas: gpd.GeoDataFrame, population: pd.DataFrame | pd.Series | str | Path | None, column: str | None
) -> tuple[pd.Series, str, pd.DataFrame]:
    """Population per area code (index muni_code) and the table rows not matching an area."""
    codes = pd.Index(areas["muni_code"].astype(str))
    if population is None:
        if column is None or column not in areas.columns:
            raise ValidationError(f"population column {column!r} is not a column of the areas; give population=TABLE")
        values = pd.Series(pd.to_numeric(areas[column], errors="coerce").to_numpy(), index=codes)
        return values, column, pd.DataFrame()
    if isinstance(population, (str, Path)):
        population = read_indicators(population)
    if isinstance(population, pd.Series):
        table = population.rename(population.name or "population").rename_axis("muni_code").reset_index()
        column = str(table.columns[1])
    else:
        table = population
        if "muni_code" not in table.columns:
            raise ValidationError("the population table has no muni_code column: read it with geo.read_indicators")
        if column is None:
            column = next((c for c in (*WEIGHT_NAMES, "pop_total") if c in table.columns), None)
        if column is None or column not in table.columns:
            raise ValidationError(
                f"population column {column!r} not found; columns are {list(table.columns)[:20]}: name it (TABLE:COLUMN)"
            )
    keyed = table[table["muni_code"].notna()].copy()
    keyed["muni_code"] = keyed["muni_code"].astype(str)
    dup = keyed["muni_code"][keyed["muni_code"].duplicated()]
    if len(dup):
        raise ValidationError(f"the population table lists codes twice: {sorted(set(dup))[:10]}; keep one row each")
    values = pd.to_numeric(keyed.set_index("muni_code")[column], errors="coerce")
    bad = values[(values < 0) | ~np.isfinite(values.fillna(0))]
    if len(bad):
        raise ValidationError(f"population column {column!r} has negative values for {list(bad.index[:10])}")
    unmatched = keyed[~keyed["muni_code"].isin(codes)]
    return values.reindex(codes), column, unmatched


def grid_demand(
    areas: gpd.GeoDataFrame,
    population: pd.DataFrame | pd.Series | str | Path | None = None,
    *,
    column: str | None = None,
    missing: str = "raise",
    proxy: pd.Series | None = None,
) -> tuple[gpd.GeoDataFrame, GridDemandReport]:
    """Spread each area's population over the 1 km grid cells it overlaps, in proportion to the overlap area.

    Parameters
    ----------
    areas
        Municipalities (canonical schema: ``muni_code``, geometry with a CRS); one prefecture is typical.
    population
        A table with ``muni_code`` (e.g. :func:`geo.read_indicators` of a census CSV) or its path, or a Series
        indexed by ``muni_code``; None to use ``areas[column]``. With neither ``population`` nor ``column``,
        the grid is unweighted: the whole 1 km cells whose centre lies in the areas, each counting 1 (for
        timetable gaps where no population exists at all; every output says so).
    column
        The population column (persons); default ``population``/``pop_2020``/``人口``/``pop_total``.
    missing
        ``"raise"`` (default): an area without a population value is an error listing them; ``"zero"``: they
        get 0 and are listed in the report (e.g. the six Northern Territories villages of 北海道).
    proxy
        A better guide than area, where one is given: a Series of values >= 0 indexed by 8-digit mesh code
        (an older mesh census, building or address counts). Each piece then gets the municipality's population
        in proportion to ``proxy[cell] × (piece area / cell area)`` (dasymetric mapping); a municipality whose
        pieces have no proxy at all falls back to area, and its rows say so in ``demand_method``.

    Returns
    -------
    (GeoDataFrame, GridDemandReport)
        One row per piece of a 1 km cell inside one area, EPSG:6668: ``demand_id`` (``MESHCODE_MUNICODE``,
        unique: the id to use in an origin–destination cost table), ``mesh_code`` (8 digits), ``muni_code``,
        ``muni_name`` (when given), ``area_km2`` (the piece, equal-area), ``area_share`` (the piece's share of
        its area), ``population`` (persons, float; sums to the area's value exactly) and ``demand_method``;
        geometry = the piece (cell ∩ area), so coverage judges it by its own centre inside its municipality.

    Raises
    ------
    ValidationError
        No ``muni_code``, population column not found, codes repeated, negative values, areas without a
        value (with ``missing="raise"``).

    Examples
    --------
    >>> grid, report = grid_demand(hokkaido, "census2020_preliminary_population.csv",
    ...                            column="pop_total", missing="zero")          # doctest: +SKIP
    >>> print(report)                                                              # doctest: +SKIP
    """
    if missing not in ("raise", "zero"):
        raise ValidationError(f"missing={missing!r} is not one of 'raise', 'zero'")
    if population is None and column is None:
        return _unweighted_cells(areas)
    require_crs(areas, "areas")
    if "muni_code" not in areas.columns:
        raise ValidationError("areas need a muni_code column: read them with geo.read_boundaries")
    areas = areas.to_crs(JGD2011)
    values, column, unmatched = _population(areas, population, column)
    lacking = sorted(values.index[values.isna()].astype(str))
    if lacking and missing == "raise":
        raise ValidationError(
            f"{len(lacking)} areas have no {column!r} value: {lacking[:10]}; fix the table, or pass "
            "missing='zero' to give them no demand (they are listed in the report)"
        )
    values = values.fillna(0.0)
    piece_geoms, piece_area, piece_code, piece_cell = [], [], [], []
    for i, geom in enumerate(areas.geometry.to_numpy()):
        if geom is None or geom.is_empty:
            continue
        geom = shapely.make_valid(geom)
        minx, miny, maxx, maxy = geom.bounds
        rows = np.arange(int(np.floor(miny / _DLAT)), int(np.ceil(maxy / _DLAT)))
        cols = np.arange(int(np.floor((minx - 100) / _DLON)), int(np.ceil((maxx - 100) / _DLON)))
        r, c = (a.ravel() for a in np.meshgrid(rows, cols, indexing="ij"))
        boxes = shapely.box(100 + c * _DLON, r * _DLAT, 100 + (c + 1) * _DLON, (r + 1) * _DLAT)
        shapely.prepare(geom)
        touch = shapely.intersects(geom, boxes)
        whole = touch & shapely.contains_properly(geom, boxes)
        part = touch & ~whole
        pieces = boxes.copy()
        pieces[part] = _cut(geom, boxes[part], r[part], c[part])
        keep = touch
        polys = pieces[keep]
        for j in np.flatnonzero(shapely.get_type_id(polys) == 7):  # keep the polygonal part of a collection
            parts = shapely.get_parts(polys[j])
            polys[j] = shapely.union_all(parts[shapely.get_type_id(parts) >= 3])
        piece_geoms.append(polys)
        piece_code.append(np.full(int(keep.sum()), i))
        piece_cell.append(np.column_stack([r[keep], c[keep]]))
    if not piece_geoms:
        raise ValidationError("the areas hold no geometry to spread population over")
    geoms = np.concatenate(piece_geoms)
    owner = np.concatenate(piece_code)
    cell = np.concatenate(piece_cell)
    # areas of the pieces in equal-area metres; pieces of zero area (touching only along an edge) are dropped
    metric = gpd.GeoSeries(geoms, crs=JGD2011).to_crs(JAPAN_EQUAL_AREA)
    piece_area = metric.area.to_numpy()
    keep = piece_area > 0
    geoms, owner, cell, piece_area = geoms[keep], owner[keep], cell[keep], piece_area[keep]
    codes = _mesh_codes(cell[:, 0], cell[:, 1])
    weight = piece_area
    method = np.full(len(codes), METHOD_AREA, dtype=object)
    if proxy is not None:
        weight, method = _proxy_weights(proxy, codes, owner, piece_area, len(areas))
    area_total = np.bincount(owner, weights=weight, minlength=len(areas))
    share = weight / area_total[owner]
    pop = values.to_numpy(dtype=float)[owner] * share
    munis = areas["muni_code"].astype(str).to_numpy()[owner]
    out = pd.DataFrame({"demand_id": codes + "_" + munis, "mesh_code": codes, "muni_code": munis})
    for extra in ("muni_name", "pref_code"):
        if extra in areas.columns:
            out[extra] = areas[extra].to_numpy()[owner]
    out["area_km2"] = piece_area / 1e6
    out["area_share"] = share
    out["population"] = pop
    out["demand_method"] = method
    frame = gpd.GeoDataFrame(out, geometry=geoms, crs=JGD2011)
    report = GridDemandReport(
        method="; ".join(sorted(set(method.tolist()))),
        column=column,
        areas=int((area_total > 0).sum()),
        cells=int(frame["mesh_code"].nunique()),
        pieces=len(frame),
        total=float(pop.sum()),
        missing_areas=lacking,
        unmatched_rows=unmatched.reset_index(drop=True),
    )
    return frame, report


def _proxy_weights(
    proxy: pd.Series, codes: np.ndarray, owner: np.ndarray, piece_area: np.ndarray, n_areas: int
) -> tuple[np.ndarray, np.ndarray]:
    """Piece weights proxy × (piece area / cell area); areas without any proxy keep area weights."""
    values = pd.to_numeric(pd.Series(proxy), errors="coerce")
    values.index = values.index.map(str)
    if (values < 0).any():
        raise ValidationError(f"proxy holds negative values (e.g. mesh {list(values.index[values < 0][:5])})")
    unique = pd.unique(codes)
    per_cell = pd.Series(_cell_area(unique), index=unique)
    weight = values.reindex(codes).fillna(0.0).to_numpy() * piece_area / per_cell.reindex(codes).to_numpy()
    has = np.bincount(owner, weights=weight, minlength=n_areas) > 0
    name = str(proxy.name or "proxy")
    method = np.where(has[owner], METHOD_PROXY.format(name=name), METHOD_AREA + " (no proxy here)").astype(object)
    return np.where(has[owner], weight, piece_area), method


def _cell_area(codes: np.ndarray) -> np.ndarray:
    """Area (m², equal-area) of whole mesh cells."""
    return mesh_polygons(codes).to_crs(JAPAN_EQUAL_AREA).area.to_numpy()


def _cut(geom: shapely.Geometry, boxes: np.ndarray, row: np.ndarray, col: np.ndarray) -> np.ndarray:
    """The polygon cut to each boundary cell: first to its 10 km block (2nd-level mesh) by ``clip_by_rect``,
    then to each cell, so each cut sees a small piece of coastline (``clip_by_rect`` skips GEOS's general
    overlay; for 北海道 about 1 s of CPU here, 4× less than intersecting each cell with its whole municipality)."""
    out = np.empty(len(boxes), dtype=object)
    block = (row // 10) * 100_000 + col // 10
    for b in np.unique(block):
        idx = np.flatnonzero(block == b)
        br, bc = (b // 100_000) * 10, (b % 100_000) * 10
        sub = shapely.clip_by_rect(geom, 100 + bc * _DLON, br * _DLAT, 100 + (bc + 10) * _DLON, (br + 10) * _DLAT)
        x0, y0 = 100 + col[idx] * _DLON, row[idx] * _DLAT
        out[idx] = [shapely.clip_by_rect(sub, x, y, x + _DLON, y + _DLAT) for x, y in zip(x0, y0, strict=True)]
    return out


def _mesh_codes(row: np.ndarray, col: np.ndarray) -> np.ndarray:
    """8-digit 3rd-level mesh codes from grid row (lat × 120) and column ((lon − 100) × 80) numbers."""
    pp, q, r3 = row // 80, (row % 80) // 10, row % 10
    uu, v, w3 = col // 80, (col % 80) // 10, col % 10
    number = pp * 1_000_000 + uu * 10_000 + q * 1000 + v * 100 + r3 * 10 + w3
    return np.char.zfill(number.astype(str), 8).astype(object)


WEIGHT_NAMES = ("population", "pop_2020", "人口", "総人口", "pop")


def weight_column(frame: pd.DataFrame, weight: str | None) -> str | None:
    """The weight column to use: ``weight`` if given (must exist), else the first population-like column."""
    if weight is not None:
        if weight not in frame.columns:
            raise ValidationError(f"weight column {weight!r} not found; columns are {list(frame.columns)[:20]}")
        return weight
    return next((c for c in WEIGHT_NAMES if c in frame.columns), None)


def demand_weights(frame: pd.DataFrame, column: str | None) -> np.ndarray:
    if column is None:
        return np.ones(len(frame))
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
    bad = np.flatnonzero(~np.isfinite(values) | (values < 0))
    if bad.size:
        rows = ", ".join(str(frame.index[i]) for i in bad[:10])
        raise ValidationError(
            f"weight column {column!r} has {bad.size} missing, negative or non-numeric values (index {rows}): "
            "fill them (0 for no population) or drop those rows explicitly"
        )
    return values


def demand_points(demand: gpd.GeoDataFrame | gpd.GeoSeries, crs: CRS) -> np.ndarray:
    """Demand as points in ``crs``: points as they are, cells and polygons by their centroid (in metres)."""
    geoms = demand.geometry if isinstance(demand, gpd.GeoDataFrame) else demand
    empty = geoms.is_empty.to_numpy() | geoms.isna().to_numpy()
    if empty.any():
        raise ValidationError(
            f"demand has {int(empty.sum())} empty geometries (index {list(geoms.index[empty][:10])}): remove them"
        )
    arr = to_metric(geoms, crs).to_numpy()
    return np.where(shapely.get_type_id(arr) == 0, arr, shapely.centroid(arr))


METHOD_UNWEIGHTED = "unweighted 1 km grid (each cell counts 1; no population mesh for this area)"


def _unweighted_cells(areas: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, GridDemandReport]:
    """The whole 1 km cells whose centre lies in an area, each counting 1 (no population to spread)."""
    require_crs(areas, "areas")
    rows = []
    for i, geom in enumerate(areas.to_crs(JGD2011).geometry):
        rows += [(c, i) for c in mesh_codes_covering(geom)]
    if not rows:
        raise ValidationError("no 1 km mesh cell has its centre inside the selected areas")
    codes = [c for c, _ in rows]
    owner = np.array([i for _, i in rows])
    cells = gpd.GeoDataFrame({"mesh_code": codes}, geometry=mesh_polygons(codes).to_numpy(), crs=JGD2011)
    for extra in ("muni_code", "muni_name", "pref_code"):
        if extra in areas.columns:
            cells[extra] = areas[extra].to_numpy()[owner]
    cells["demand_method"] = METHOD_UNWEIGHTED
    report = GridDemandReport(method=METHOD_UNWEIGHTED, column="", areas=len(set(owner.tolist())),
                              cells=len(cells), pieces=len(cells), total=float(len(cells)))  # fmt: skip
    return cells, report
