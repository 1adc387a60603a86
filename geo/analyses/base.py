"""The shape every question shares: the result type with its one writer, the area selection and the demand."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geo._errors import ValidationError
from geo._io import write_text_atomic
from geo.areas import AREA_ROW, AreaSelection, place, select_areas
from geo.demand import grid_demand, weight_column
from geo.maps.style import ATTRIBUTION_N03
from geo.mesh import mesh_counts, read_mesh
from geo.params import AreaParams, make
from geo.report import Report
from geo.store import LayerInfo, Output, check_output_folder, staging_dir, write_outputs
from geo.tables import table_level

log = logging.getLogger(__name__)


PEOPLE = {"demand_population": "人", "gap_population": "人", "gap_share_pct": "%", "dist_m": "m", "radius_m": "m"}


TITLES = {
    "demand_population": "人口（需要）",
    "gap_population": "交通空白人口",
    "gap_share_pct": "交通空白人口の割合",
    "demand_cells": "需要セル数",
    "gap_cells": "交通空白セル数",
    "dist_m": "最寄りの駅・停留所までの距離",
    "radius_m": "圏域の半径",
}


@dataclass
class Result:
    """What every question returns: the report, the outputs (decided once) and the one way to write them.

    Attributes
    ----------
    report : Report
        ``report.to_dict()`` goes into ``run.json`` / ``report.json``; ``str(report)`` is the summary for people.
    credits : tuple of str
        Credit lines of every input (the N03 boundaries first), printed on maps and stored with each layer.
    """

    report: Report
    credits: tuple[str, ...]

    def outputs(self) -> dict[str, Output]:  # pragma: no cover - every result defines it
        raise NotImplementedError

    def extra_files(self, folder: Path) -> list[Path]:
        """Files beyond layers and tables (maps, definitions), written into ``folder``."""
        return []

    def write(
        self, folder: str | os.PathLike[str], *, gpkg: bool = True, csv: bool = True, parquet: bool = False,
        db: str | None = None, record: Mapping[str, Any] | None = None,
    ) -> list[Path]:  # fmt: skip
        """Write every output into ``folder`` (replaced whole, never half-written), with ``report.json``.

        A non-empty folder the toolkit did not write is refused (:func:`geo.store.check_output_folder`).

        ``folder/layers.gpkg`` holds the layers (title and description in ``gpkg_contents``, credits and units
        in the layer metadata), ``folder/<name>.csv`` every layer and table, ``folder/report.json`` the report,
        the credits and ``record`` (what the door adds: inputs, parameters).

        Returns
        -------
        list of Path
            The files written (final paths).
        """
        final = check_output_folder(folder)
        with staging_dir(final) as stage:
            files = write_outputs(self.outputs(), stage, gpkg=gpkg, csv=csv, parquet=parquet, db=db)
            files += self.extra_files(stage)
            data = {**self.report.to_dict(), "credits": list(self.credits), **dict(record or {})}
            files.append(write_text_atomic(stage / "report.json", to_json(data)))
        return [final / f.relative_to(stage) for f in files]


def to_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n"


def layer_info(result: Result, title: str, *, description: str = "", units: Mapping[str, str] | None = None,
          titles: Mapping[str, str] | None = None, column: str = "") -> LayerInfo:  # fmt: skip
    return LayerInfo(title, result.credits, dict(units or {}), dict(titles or {}), column, description)


def credits_with_n03(*groups: Sequence[str]) -> tuple[str, ...]:
    """The N03 credit, then every other credit once, in order."""
    return tuple(dict.fromkeys([ATTRIBUTION_N03, *(c for g in groups for c in g)]))


def resolve_params(cls: type, params: Any, keywords: Mapping[str, Any]) -> Any:
    if params is not None and keywords:
        raise ValidationError(f"give params= or keywords, not both (got {sorted(keywords)})")
    if params is None:
        return make(cls, keywords)
    if not isinstance(params, cls):
        raise ValidationError(f"params must be a {cls.__name__}, got {type(params).__name__}")
    return params


def select(
    source: Any, params: AreaParams | None = None, *, table: pd.DataFrame | None = None, **keywords: Any
) -> AreaSelection:
    """Read the boundaries and select the question's areas (:class:`~geo.params.AreaParams`).

    ``level="auto"`` is the level of ``table`` (a statistics table about to be joined,
    :func:`geo.tables.table_level`), else ``"municipality"``.
    """
    p = resolve_params(AreaParams, params, keywords)
    level = p.level if p.level != "auto" else (table_level(table) if table is not None else "municipality")
    return select_areas(source, level=level, prefectures=p.prefectures, municipalities=p.municipalities)


def place_demand(
    selection: AreaSelection,
    demand: gpd.GeoDataFrame | None,
    *,
    population: Any = None,
    population_column: str | None = None,
    proxy: Any = None,
    proxy_column: str | None = None,
    weight: str | None = None,
    snap_m: float | None = 1000.0,
) -> tuple[gpd.GeoDataFrame, str | None, str, Report]:
    """The demand of a question, one rule for gaps, timetable gaps and hubs.

    Given rows (mesh cells, points) are placed in the selection with the one border rule
    (:func:`geo.areas.place`); without them the 1 km grid of the selection is built by the one grid builder
    (:func:`geo.grid_demand`): the population table spread by area (or by a proxy mesh column), else
    unweighted cells. Areas the table has no value for get none and are named in the note.

    Returns
    -------
    (GeoDataFrame, str or None, str, Report)
        The demand (with ``muni_code`` and :data:`~geo.areas.AREA_ROW`, the position of its area), its weight
        column, what it is (for every output), and how it was placed (rows inside, snapped, outside and the
        weight outside; notes to read).
    """
    if demand is not None:
        column = weight_column(demand, weight)
        placed, placing = place(demand, selection, snap_m=snap_m, weight=column, name="demand")
        return placed, column, "demand as given", placing
    if population is None and (population_column or proxy is not None):
        raise ValidationError("population_column and a proxy need a population table to spread over the grid")
    weights, notes = None, []
    if proxy is not None:
        mesh = proxy if isinstance(proxy, pd.DataFrame) else read_mesh(proxy)
        if proxy_column is None or proxy_column not in mesh.columns:
            raise ValidationError(f"proxy_column {proxy_column!r} is not a column of the proxy mesh; columns: "
                                  f"{list(mesh.columns)[:20]}")  # fmt: skip
        values, _ = mesh_counts(mesh, proxy_column, source=mesh.attrs.get("mesh", {}).get("file"))
        blank = int(values.isna().sum())
        if blank:
            notes.append(f"{blank} proxy cells have no {proxy_column!r} value (blank or suppressed, 秘匿): weight 0")
        weights = pd.Series(values.fillna(0.0).to_numpy(), index=mesh["mesh_code"], name=proxy_column)
    grid, report = grid_demand(selection.areas, population, column=population_column, missing="zero", proxy=weights)
    grid[AREA_ROW] = pd.Index(selection.areas["muni_code"]).get_indexer(grid["muni_code"])
    if len(report.unmatched_rows):
        notes.append(f"{len(report.unmatched_rows)} population table rows match no area (totals, other prefectures): "
                     "not spread")  # fmt: skip
    placing = Report("place", {"rows": len(grid), "inside": len(grid), "snapped": 0, "outside": 0}, notes)
    return grid, ("population" if population is not None else None), str(report), placing
