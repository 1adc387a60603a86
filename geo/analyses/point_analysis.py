"""Point layers in areas: placed with the one border rule and counted; the public verbs that run in memory
or partition-wise (dask) are dispatched here, never inside a domain function.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np

from geo import partitioned
from geo._errors import ValidationError
from geo.analyses.base import (
    Result,
    credits_with_n03,
    layer_info,
)
from geo.areas import AREA_ROW, AreaSelection, count_frame, place
from geo.areas import assign_points as assign_in_memory
from geo.areas import count_points as count_in_memory
from geo.gaps import find_gaps as find_in_memory
from geo.hubs import hub_coverage as coverage_in_memory
from geo.report import Report
from geo.store import Output

log = logging.getLogger(__name__)


@dataclass
class PointsResult(Result):
    """A point layer placed in the selected areas with the one border rule, and counted per area.

    Attributes
    ----------
    name : str
        The layer's name: outputs are ``points_<name>``, ``points_<name>_per_area``, ``points_<name>_outside``.
    points : GeoDataFrame
        The rows inside the selection with ``pref_code``/``muni_code``/``muni_name``.
    per_area : GeoDataFrame
        The areas with the count, per km² and (when the areas carry population) per 10,000 people.
    outside : GeoDataFrame
        The rows outside the selection (in a neighbouring area, or in no area beyond ``snap_m``).
    """

    name: str = "points"
    points: gpd.GeoDataFrame = field(default=None)  # type: ignore[assignment]
    per_area: gpd.GeoDataFrame = field(default=None)  # type: ignore[assignment]
    outside: gpd.GeoDataFrame = field(default=None)  # type: ignore[assignment]

    def outputs(self) -> dict[str, Output]:
        n = self.name
        text = str(self.report)
        return {
            f"points_{n}": Output(self.points, layer_info(self, f"{n}（区域に割り当て）", description=text)),
            f"points_{n}_per_area": Output(self.per_area, layer_info(self, f"{n} の区域別件数", description=text,
                                                                 units={f"{self.count_column}_per_km2": "件/km²"},
                                                                 column=self.count_column)),
            f"points_{n}_outside": Output(self.outside, layer_info(self, f"{n}（区域外）", description=text)),
        }  # fmt: skip

    @property
    def count_column(self) -> str:
        return str(self.report.figures["count_column"])


def points(
    selection: AreaSelection,
    layer: gpd.GeoDataFrame,
    *,
    name: str = "points",
    count_column: str = "n_points",
    snap_m: float | None = 1000.0,
    population: str | None = None,
    credits: Sequence[str] = (),
) -> PointsResult:
    """Place a point layer in the selected areas (:func:`geo.areas.place`, the one border rule) and count it.

    Parameters
    ----------
    selection
        From :func:`select` (its areas may carry a population column for the per-10,000 rate).
    layer
        Points (or cells, placed by a point inside them) with a CRS.
    name, count_column
        The layer's name in output names; the count column of the per-area table.
    snap_m
        Rows in no area of the boundary file within this many metres go to the nearest selected area.
    population
        Population column of the areas for the per-10,000 rate (default: population-like, when present).
    """
    tagged = layer.assign(**{"_row": np.arange(len(layer))})
    placed, placing = place(tagged, selection, snap_m=snap_m, name=name)
    inside = np.zeros(len(layer), dtype=bool)
    inside[placed["_row"].to_numpy()] = True
    totals = np.bincount(placed[AREA_ROW].to_numpy(), minlength=len(selection.areas)).astype(float)
    per_area = count_frame(selection.areas, totals, name=count_column, weight=None, population=population, n=len(layer),
                           outside=int((~inside).sum()))  # fmt: skip
    figures = {**placing.figures, "count_column": count_column}
    lines = [f"{len(layer)} points, {int(inside.sum())} in {len(selection.areas)} areas, {int((~inside).sum())} "
             "outside them", *placing.notes]  # fmt: skip
    return PointsResult(Report("points", figures, placing.notes, text="\n".join(lines)), credits_with_n03(credits),
                        name, placed.drop(columns=[AREA_ROW, "_row"]), per_area,
                        layer.loc[~inside].reset_index(drop=True))  # fmt: skip


def _distributed(layer: Any, what: str) -> bool:
    """Partition-wise for a dask frame or a GeoParquet path; any other path is refused with the fix (it once
    reached the in-memory code as a string: ``'str' object has no attribute 'crs'``)."""
    if partitioned.is_distributed(layer):
        return True
    if isinstance(layer, (str, os.PathLike)):
        raise ValidationError(
            f"{what} {str(layer)!r} is a path but not a GeoParquet file or folder: read it first with "
            "geo.read_points(path) and pass the frame"
        )
    return False


def assign_points(points: Any, areas: gpd.GeoDataFrame, *,
                  columns: Sequence[str] = ("pref_code", "pref_name", "muni_code", "muni_name")) -> Any:  # fmt: skip
    """:func:`geo.areas.assign_points`, partition-wise for a dask-geopandas frame or GeoParquet path
    (:mod:`geo.partitioned`, a lazy frame with the same values)."""
    if _distributed(points, "points"):
        return partitioned.assign_points(points, areas, columns=columns)
    return assign_in_memory(points, areas, columns=columns)


def count_points(points: Any, areas: gpd.GeoDataFrame, *, name: str = "n_points", weight: str | None = None,
                 population: str | None = None) -> gpd.GeoDataFrame:  # fmt: skip
    """:func:`geo.areas.count_points`, partition-wise for a dask-geopandas frame or GeoParquet path."""
    if _distributed(points, "points"):
        return partitioned.count_points(points, areas, name=name, weight=weight, population=population)
    return count_in_memory(points, areas, name=name, weight=weight, population=population)


def find_gaps(demand: Any, stops: Any = None, **options: Any) -> Any:
    """:func:`geo.gaps.find_gaps`, partition-wise (a lazy frame of the gap rows) for partitioned demand."""
    if _distributed(demand, "demand"):
        return partitioned.find_gaps(demand, stops, crs=options.pop("crs", None),
                                     pref_code=options.pop("pref_code", None), **options)  # fmt: skip
    return find_in_memory(demand, stops, **options)


def hub_coverage(hubs: Any, demand: Any, **options: Any) -> Any:
    """:func:`geo.hubs.hub_coverage`; for partitioned demand the additive totals only
    (:class:`geo.partitioned.CoverageTotals`: no per-area totals or cost matrix)."""
    if _distributed(demand, "demand"):
        if options.get("areas") is not None or options.get("cost") is not None:
            raise ValidationError("partitioned demand: per-area totals and cost matrices need in-memory demand")
        return partitioned.hub_coverage_totals(hubs, demand, **{k: v for k, v in options.items()
                                                                if k not in ("areas", "cost", "name")})  # fmt: skip
    return coverage_in_memory(hubs, demand, **options)
