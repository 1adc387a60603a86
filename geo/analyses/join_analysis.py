"""Statistics joined to areas, and areas dissolved into wide-area regions (広域リージョン)."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd

from geo._errors import ValidationError
from geo.analyses.base import (
    Result,
    credits_with_n03,
    layer_info,
    resolve_params,
)
from geo.areas import AreaSelection
from geo.crosswalk import boundary_date, parse_intensive
from geo.indicators import JoinReport, aggregate_wards, derive, join_indicators, measure_titles
from geo.params import JoinParams, Measure, RegionsParams
from geo.regions import areas_outside, dissolve_regions, read_regions
from geo.report import Report
from geo.store import Output
from geo.tables import read_indicators, table_level

log = logging.getLogger(__name__)


@dataclass
class JoinResult(Result):
    """A statistics table joined to the selected areas.

    Attributes
    ----------
    areas : GeoDataFrame
        The selected areas with the table's columns (and derived measures, when asked for).
    join_report : JoinReport
        Matched, unmatched areas and rows with reasons and suggestions.
    measures : tuple of Measure
        The derived measures computed on the joined areas (their definitions go into the column titles).
    """

    areas: gpd.GeoDataFrame = field(default=None)  # type: ignore[assignment]
    join_report: JoinReport = field(default=None)  # type: ignore[assignment]
    measures: tuple[Measure, ...] = ()

    def outputs(self) -> dict[str, Output]:
        units = {m.name: m.unit for m in self.measures if m.unit}
        return {"areas": Output(self.areas, layer_info(self, "指標を結合した区域", units=units,
                                                  titles=measure_titles(self.measures),
                                                  description=self.report.text.splitlines()[0]))}  # fmt: skip


def read_table(table: Any, params: JoinParams) -> pd.DataFrame:
    """A statistics table as :func:`join` needs it.

    A file or pinned source name is read with the parameters' ``code_column``, ``encoding`` and ``sheet``
    (:func:`geo.read_indicators`); a DataFrame is taken as already read (those three describe a file). With
    ``aggregate_wards`` ward rows are added up to their designated cities — a no-op on a table that has no
    ward rows left, so reading first and joining after gives the same table.
    """
    frame = table if isinstance(table, pd.DataFrame) else read_indicators(
        table, code_column=params.code_column, encoding=params.encoding, sheet=params.sheet)  # fmt: skip
    return aggregate_wards(frame) if params.aggregate_wards else frame


def join(
    selection: AreaSelection,
    table: pd.DataFrame | str | os.PathLike[str],
    params: JoinParams | None = None,
    *,
    weights: Any = None,
    measures: Sequence[Measure] = (),
    credits: Sequence[str] = (),
    **keywords: Any,
) -> JoinResult:
    """Join a statistics table to the selected areas by code, with the match report.

    Rows of prefectures outside the selection are outside the question, not unmatched: they are counted in
    ``join_report.rows_outside_selection`` and left out before the join. With ``as_of`` the table's codes are
    converted to the boundaries' date first (:func:`geo.convert_codes`).

    Parameters
    ----------
    selection
        From :func:`select` (for ``level="auto"`` pass the table to :func:`select`).
    table
        A table from :func:`geo.read_indicators`, or its file / pinned source name (read with ``params``).
    params, **keywords
        :class:`~geo.params.JoinParams`, or its fields as keywords.
    weights
        Apportioning weights for split codes (a CSV path or table, see ``geo codes convert``), with ``as_of``.
    measures
        Derived measures computed on the joined areas (:func:`geo.indicators.derive`).
    credits
        Credit lines of the table (pinned sources carry their own; pass them for user files).

    Returns
    -------
    JoinResult
    """
    p = resolve_params(JoinParams, params, keywords)
    frame = read_table(table, p)
    code = "muni_code" if "muni_code" in frame.columns else "pref_code"
    outside = 0
    if selection.areas is not selection.all_areas and "pref_code" in selection.areas.columns:
        inside = frame[code].str[:2].isin(selection.areas["pref_code"].dropna().unique())
        outside = int((~inside & frame[code].notna()).sum())
        frame = frame[inside | frame[code].isna()]
    if p.columns:
        missing = [c for c in p.columns if c not in frame.columns]
        if missing:
            raise ValidationError(f"columns {missing} are not in the table; columns: {list(frame.columns)[:40]}")
        frame = frame[[code, *(["source_row"] if "source_row" in frame.columns else []), *p.columns]]
    boundaries_as_of = p.boundaries_as_of
    if p.as_of and boundaries_as_of is None:
        day = boundary_date(selection.source)
        boundaries_as_of = day.isoformat() if day is not None else None
    extra = {"as_of": p.as_of, "boundaries_as_of": boundaries_as_of, "weights": weights,
             "intensive": _intensive(p.intensive)}  # fmt: skip
    joined, report = join_indicators(
        selection.areas, frame, how=p.how, **{k: v for k, v in extra.items() if v is not None}
    )
    report.rows_outside_selection = outside
    joined = derive(joined, measures)
    level = "prefecture" if "muni_code" not in selection.areas.columns else table_level(selection.areas)
    figures = {**report.to_dict(), "boundary_level": report.level or level}
    return JoinResult(Report("join", figures, text=str(report)), credits_with_n03(credits), joined, report,
                      tuple(measures))  # fmt: skip


def _intensive(specs: Sequence[str]) -> Any:
    if not specs:
        return None
    return parse_intensive(specs)


@dataclass
class RegionsResult(Result):
    """Areas dissolved into wide-area regions (広域リージョン): counts summed, rates recomputed from the sums.

    Attributes
    ----------
    regions : GeoDataFrame
        One row per region and grouping: ``grouping``, ``region``, members, the sums, the recomputed measures.
    measures : tuple of Measure
        Rates and other derived measures (their definitions are in the column titles).
    """

    regions: gpd.GeoDataFrame = field(default=None)  # type: ignore[assignment]
    measures: tuple[Measure, ...] = ()

    def outputs(self) -> dict[str, Output]:
        units = {m.name: m.unit for m in self.measures if m.unit}
        groupings = "、".join(dict.fromkeys(self.regions["grouping"].astype(str))) if len(self.regions) else ""
        text = f"{groupings} の区域ごとに、件数・人口は合計、率は合計から計算し直した値（平均ではない）"
        return {"regions": Output(self.regions, layer_info(self, f"広域リージョン（{groupings}）", description=text,
                                                      units=units, titles=measure_titles(self.measures)))}  # fmt: skip


def regions(
    areas: gpd.GeoDataFrame,
    groupings: Sequence[str],
    params: RegionsParams | None = None,
    *,
    measures: Sequence[Measure] = (),
    counts: Sequence[str] = (),
    credits: Sequence[str] = (),
    **keywords: Any,
) -> RegionsResult:
    """Dissolve the areas into the regions of each grouping; sum counts, recompute rates from the sums.

    Parameters
    ----------
    areas
        Areas with their indicator columns (e.g. ``JoinResult.areas``).
    groupings
        Preset names (``geo regions list``) or grouping files.
    params, **keywords
        :class:`~geo.params.RegionsParams`: ``sum_columns`` (default ``counts``), ``rates``
        (``NAME = NUM/DEN*PER``), ``means``, ``missing``. The columns every rate and measure needs are summed too.
    measures
        Further derived measures recomputed per region from the sums (the run's ``[[derived]]``).
    counts
        The indicator columns joined to the areas (a run's ``[[indicators]] columns``, ``--column`` of
        ``geo regions dissolve``): summed when ``sum_columns`` is empty.
    credits
        Credit lines of the tables joined to the areas.
    """
    p = resolve_params(RegionsParams, params, keywords)
    if not groupings:
        raise ValidationError("give one or more groupings (geo regions list)")
    rates = [Measure(name=n, kind="rate", numerator=a, denominator=b, per=per, unit="%" if per == 100 else "")
             for n, (a, b, per) in p.rate_columns().items()]  # fmt: skip
    all_measures = (*measures, *rates)
    sums = list(p.sum_columns or [c for c in counts if c in areas.columns])
    for m in all_measures:
        sums += [c for c in m.inputs() if c in areas.columns and c not in sums]
    frames, notes, outside_counts = [], [], {}
    for grouping in groupings:
        members = read_regions(grouping)
        shapes = dissolve_regions(areas, members, sum_columns=sums, mean_columns=p.mean_columns(),
                                  missing=p.missing)  # fmt: skip
        frames.append(derive(shapes, all_measures).assign(grouping=grouping))
        outside = areas_outside(areas, members)
        outside_counts[grouping] = len(outside)
        if len(outside):
            notes.append(_outside_note(grouping, outside))
    shapes = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=frames[0].crs)
    figures = {"groupings": list(groupings), "regions": len(shapes), "sum_columns": sums,
               "measures": {m.name: m.definition() for m in all_measures}, "areas_outside": outside_counts}  # fmt: skip
    shown = [c for c in shapes.columns if c not in ("grouping", "members", shapes.geometry.name)]
    text = "\n".join([pd.DataFrame(shapes[shown]).to_string(index=False), *notes])
    return RegionsResult(Report("regions", figures, notes, text=text), credits_with_n03(credits), shapes,
                         tuple(all_measures))  # fmt: skip


def _outside_note(grouping: str, outside: pd.DataFrame) -> str:
    """The areas in no region, listed (the first 10 by name) and counted per prefecture."""
    label = outside["muni_code"].fillna("") + " " + outside["muni_name"].fillna("") if "muni_code" in outside else \
        outside["pref_code"]  # fmt: skip
    per_pref = outside.groupby("pref_code").size()
    prefs = ", ".join(f"{k}: {v}" for k, v in per_pref.head(8).items()) + (" …" if len(per_pref) > 8 else "")
    shown = ", ".join(label.head(10).str.strip()) + (" …" if len(outside) > 10 else "")
    return (f"{grouping}: {len(outside)} areas belong to no region and enter no total: {shown} "
            f"(per prefecture {prefs})")  # fmt: skip
