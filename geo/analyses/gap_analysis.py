"""Transport gaps (交通空白): by walking distance, and by usable timetabled service per time window."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from geo._errors import ValidationError
from geo._inputs import local_file
from geo._io import write_text_atomic
from geo.analyses.base import (
    PEOPLE,
    TITLES,
    Result,
    credits_with_n03,
    layer_info,
    place_demand,
    resolve_params,
    to_json,
)
from geo.areas import AREA_ROW, AreaSelection
from geo.crs import metric_crs
from geo.gaps import find_gaps as find_in_memory
from geo.maps.choropleth import map_from, save_map
from geo.maps.service import grade_map, window_panels, window_switcher_html
from geo.params import GapsParams, MapParams
from geo.report import Report
from geo.service_gaps import ServiceGaps, service_gaps
from geo.store import Output

log = logging.getLogger(__name__)


@dataclass
class GapsResult(Result):
    """Transport gaps (交通空白) by walking distance, per area, with the one border rule.

    Attributes
    ----------
    cells : GeoDataFrame
        The demand rows in the selection that are gaps, with ``muni_code``, ``dist_<kind>_m`` and ``dist_m``.
    by_area : GeoDataFrame
        The selected areas with ``demand_population``, ``gap_population``, ``gap_share_pct`` (percent, NaN
        where there is no demand; the populations are NaN, no data, in areas beyond the first meshes of mesh
        demand), ``demand_cells`` and ``gap_cells``.
    """

    cells: gpd.GeoDataFrame = field(default=None)  # type: ignore[assignment]
    by_area: gpd.GeoDataFrame = field(default=None)  # type: ignore[assignment]

    def outputs(self) -> dict[str, Output]:
        f = self.report.figures
        walk = "、".join(f"{_KIND_JA.get(k, k)}{v:g} m" for k, v in (f["walk_m"] or {}).items())
        weight = f["weight_column"]
        units, titles = dict(PEOPLE), dict(TITLES)
        if weight:
            units[weight], titles[weight] = "人", "人口"
        text = (f"駅・停留所から徒歩圏（{walk}）の外にある需要。距離は {f['crs_name']} で測定。"
                f"需要 {f['demand_weight']:,.0f}、うち交通空白 {f['gap_weight']:,.0f}（{f['gap_share_pct']:.1f}%）")  # fmt: skip
        return {
            "gaps": Output(self.cells, layer_info(self, f"交通空白（{walk}）", description=text, units=units,
                                             titles=titles, column=weight or "dist_m")),
            "gaps_by_area": Output(self.by_area, layer_info(self, f"交通空白人口の割合（{walk}）", description=text,
                                                        units=units, titles=titles, column="gap_share_pct")),
        }  # fmt: skip


_KIND_JA = {"station": "駅", "bus": "バス停"}


def _outside_first_meshes(areas: gpd.GeoDataFrame, cells: gpd.GeoDataFrame) -> np.ndarray:
    """Mask of the areas touching none of the first meshes (80 km squares) the mesh cells come from.

    e-Stat mesh statistics come as whole first meshes, and a cell with nobody in it is simply absent: inside a
    first mesh of the data an area without cells has 0 people, outside all of them it has no data. Demand
    without mesh codes (points, a grid) says nothing of its extent: no area is outside then.
    """
    if "mesh_code" not in cells.columns or not len(cells):
        return np.zeros(len(areas), dtype=bool)
    first = {str(c)[:4] for c in cells["mesh_code"].dropna() if len(str(c)) >= 4 and str(c)[:4].isdigit()}
    if not first:
        return np.zeros(len(areas), dtype=bool)
    # first mesh "pquv": latitude pq / 1.5 (40 minutes high), longitude uv + 100 (1 degree wide)
    boxes = [shapely.box(int(c[2:]) + 100, int(c[:2]) / 1.5, int(c[2:]) + 101, (int(c[:2]) + 1) / 1.5) for c in first]
    geoms = areas.geometry.to_crs(6668).values if areas.crs is not None else areas.geometry.values
    return ~shapely.intersects(geoms, shapely.union_all(boxes))


def gaps(
    selection: AreaSelection,
    demand: gpd.GeoDataFrame | None,
    supply: Mapping[str, gpd.GeoDataFrame],
    params: GapsParams | None = None,
    *,
    population: Any = None,
    credits: Sequence[str] = (),
    **keywords: Any,
) -> GapsResult:
    """Transport gaps (交通空白) of the selection's demand by walking distance, per area.

    Parameters
    ----------
    selection
        From :func:`select`.
    demand
        Mesh cells or points with a weight column (default population-like; else counts). Placed in the
        selection with the one border rule (:func:`geo.areas.place`): rows in a neighbouring prefecture are
        outside and reported, rows in no area within ``snap_m`` go to the nearest area. None: the 1 km grid
        of the selection (:func:`place_demand`).
    supply
        Kind (``"station"``, ``"bus"``) → stops as read: supply beyond the selection still serves its residents.
    params, **keywords
        :class:`~geo.params.GapsParams` (``station_m``, ``bus_m``, ``weight``, ``snap_m``, ``population_column``).
    population
        Grid demand: a population table spread over the grid by area (path, pinned name or frame).
    credits
        Credit lines of the demand and supply.

    Raises
    ------
    ValidationError
        Unknown weight column, bad weights, no supply, a supply kind other than station/bus.
    """
    p = resolve_params(GapsParams, params, keywords)
    unknown = sorted(set(supply) - {"station", "bus"})
    if unknown or not supply:
        raise ValidationError(f"supply: give layers of kind 'station' and/or 'bus' (got {sorted(supply) or 'none'})")
    placed, column, note, placing = place_demand(selection, demand, population=population, weight=p.weight,
                                               population_column=p.population_column, snap_m=p.snap_m)  # fmt: skip
    crs = metric_crs(selection.areas, pref_code=selection.pref_code)
    walk = p.walk_m(supply)
    judged = find_in_memory(placed, dict(supply), walk_m=walk, weight=column, crs=crs, keep_all=True)
    w = np.ones(len(judged)) if column is None else judged[column].to_numpy(dtype=float)
    gap = judged["gap"].to_numpy(dtype=bool)
    n = len(selection.areas)
    by_area = selection.areas.copy()
    idx = judged[AREA_ROW].to_numpy()
    by_area["demand_population"] = np.bincount(idx, weights=w, minlength=n)
    by_area["gap_population"] = np.bincount(idx[gap], weights=w[gap], minlength=n)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = by_area["gap_population"].to_numpy() / by_area["demand_population"].to_numpy() * 100
    by_area["gap_share_pct"] = np.where(np.isfinite(share), share, np.nan)
    by_area["demand_cells"] = np.bincount(idx, minlength=n).astype(np.int64)
    by_area["gap_cells"] = np.bincount(idx[gap], minlength=n).astype(np.int64)
    # an area the mesh data does not reach (伊豆諸島 beside first meshes 5339 etc.) has no data, not 0 people
    unreached = (by_area["demand_cells"].to_numpy() == 0) & _outside_first_meshes(by_area, judged)
    by_area.loc[unreached, ["demand_population", "gap_population"]] = np.nan
    cells = judged.loc[gap].drop(columns=["gap", AREA_ROW]).reset_index(drop=True)
    total, gap_total = float(w.sum()), float(w[gap].sum())
    figures = {
        "weight_column": column,
        "demand_rows": len(judged),
        "demand_weight": total,
        "gap_rows": int(gap.sum()),
        "gap_weight": gap_total,
        "gap_share_pct": gap_total / total * 100 if total else float("nan"),
        "outside_rows": placing.figures["outside"],
        "outside_weight": placing.figures.get("outside_weight", float(placing.figures["outside"])),
        "snapped_rows": placing.figures["snapped"],
        "demand": note,
        "walk_m": walk,
        "crs": crs.to_string(),
        "crs_name": crs.name,
    }
    unit = column or "cells (unweighted)"
    summary = [f"walking distances {walk} measured in {crs.name}",
               f"gaps: {figures['gap_rows']} of {figures['demand_rows']} demand rows; {unit}: {gap_total:,.0f} of "
               f"{total:,.0f} ({figures['gap_share_pct']:.1f}%)", *placing.notes]  # fmt: skip
    report = Report("gaps", figures, placing.notes, text="\n".join(summary))
    return GapsResult(report, credits_with_n03(credits), cells, by_area)


@dataclass
class TimetableGapsResult(Result):
    """交通空白 by time window from timetables, several definitions side by side (:func:`geo.service_gaps`).

    Attributes
    ----------
    service : ServiceGaps
        Cells with served flags and grades per definition and window, totals, per-area table, service dates.
    areas : GeoDataFrame
        The selected areas (for the maps).
    maps : bool
        Draw the grade map and the per-window maps when written.
    """

    service: ServiceGaps = field(default=None)  # type: ignore[assignment]
    areas: gpd.GeoDataFrame = field(default=None)  # type: ignore[assignment]
    maps: bool = True

    @property
    def gap_cells(self) -> gpd.GeoDataFrame:
        """Cells served in no window by the first definition."""
        first = self.service.definitions[0].name
        return self.service.cells[self.service.cells[f"n_served_{first}"] == 0]

    def outputs(self) -> dict[str, Output]:
        s = self.service
        names = "、".join(d.title or d.name for d in s.definitions)
        dates = "; ".join(
            f"{k}: {v['date']} {v['day_type']} ({v.get('reason', '')})" for k, v in s.service_dates.items()
        )
        text = f"時間帯別の交通空白（{names}）。運行日 {dates}。需要: {s.info.get('demand_note', '')}"
        out = {
            "service_cells": Output(s.cells, layer_info(self, f"時間帯別のサービス（{names}）", description=text,
                                                   column="grade")),
            "gaps": Output(self.gap_cells, layer_info(self, f"交通空白（{s.definitions[0].title or s.definitions[0].name}"
                                                       "、どの時間帯もサービスなし）", description=text)),
            "gap_totals": Output(s.totals, layer_info(self, "定義・時間帯別の交通空白", description=text,
                                                 units={"gap_share_pct": "%"})),
        }  # fmt: skip
        if s.by_area is not None:
            out["gaps_by_area"] = Output(s.by_area, layer_info(self, "市区町村・定義・時間帯別の交通空白", description=text,
                                                          units={"gap_share_pct": "%"}))  # fmt: skip
        if s.stops is not None:
            deps = {c: "本" for c in s.stops.columns if c.startswith("dep_")}
            heads = {c: "分" for c in s.stops.columns if c.startswith("headway_")}
            out["stops"] = Output(s.stops, layer_info(self, "駅・停留所の運行本数（乗車可能な発車、時間帯別）",
                                                      description=f"運行日 {dates}。時刻表から数えた発車本数と平均運行間隔。",
                                                      units={**deps, **heads}, column="dep_day"))  # fmt: skip
        return out

    def extra_files(self, folder: Path) -> list[Path]:
        record = {**self.service.record(), "credits": list(self.credits)}
        files = [write_text_atomic(folder / "definitions.json", to_json(record))]
        if self.maps:
            files.append(grade_map(self.service, folder / "service_grade.png", areas=self.areas, credits=self.credits))
            for d in self.service.definitions:
                files.append(window_panels(self.service, d.name, folder / f"gaps_{d.name}_windows.png",
                                           areas=self.areas, credits=self.credits))  # fmt: skip
                files.append(window_switcher_html(self.service, d.name, folder / f"gaps_{d.name}_windows.html",
                                                  areas=self.areas, credits=self.credits))  # fmt: skip
            files += self.window_share_maps(folder)
        return files

    def window_share_maps(self, folder: Path) -> list[Path]:
        """Write :meth:`window_share_choropleths` as ``gaps_<definition>_share_<window>.png``."""
        d = self.service.definitions[0].name
        return [save_map(m, folder / f"gaps_{d}_share_{w}.png", params)
                for w, (m, params) in self.window_share_choropleths().items()]  # fmt: skip

    def window_share_choropleths(self) -> dict[str, tuple[Any, MapParams]]:
        """One choropleth per time window of the first definition: the share of demand in a gap per area.

        The maps of the windows share one classification (fitted on every window's values), so a colour means
        the same share in the morning and in the evening; their legends say so. None when the selection holds
        fewer than two areas with codes (one area makes no choropleth).

        Returns
        -------
        dict
            Window → (map, its :class:`~geo.params.MapParams`), drawn through :func:`geo.maps.choropleth.map_from`.
        """
        s = self.service
        if s.by_area is None or self.areas is None or len(self.areas) < 2 or "muni_code" not in s.by_area:
            return {}
        d = s.definitions[0]
        rows = s.by_area[s.by_area["definition"] == d.name]
        wide = rows.pivot_table(index="muni_code", columns="window", values="gap_share_pct", aggfunc="first")
        columns = {w: f"gap_share_{w}" for w in s.windows(d.name) if w in wide.columns}
        areas = self.areas.merge(wide.rename(columns=columns)[list(columns.values())], left_on="muni_code",
                                 right_index=True, how="left")  # fmt: skip
        what = "人口" if s.info.get("demand_unit") == "population" else "セル"
        titles = {c: f"{w} 時" for w, c in columns.items()}
        out = {}
        for w, c in columns.items():
            params = MapParams(column=c, title=f"{w} 時の交通空白（{what}の割合） — {d.title}", unit="%",
                               legend=f"交通空白の{what}の割合",
                               classes_with=tuple(x for x in columns.values() if x != c))  # fmt: skip
            out[w] = (map_from(areas, params, attribution=self.credits, column_titles=titles), params)
        return out


def timetable_gaps(
    selection: AreaSelection,
    demand: gpd.GeoDataFrame | None,
    params: GapsParams | None = None,
    *,
    feeds: Sequence[Any] = (),
    stops: Mapping[str, gpd.GeoDataFrame] | None = None,
    population: Any = None,
    credits: Sequence[str] = (),
    **keywords: Any,
) -> TimetableGapsResult:
    """交通空白 by time window from timetables, for several definitions side by side.

    Parameters
    ----------
    selection
        From :func:`select`.
    demand
        Mesh cells or points, placed with the border rule (:func:`geo.areas.place`); None: the 1 km grid of
        the selection (:func:`geo.grid_demand`: unweighted, or ``population`` spread over it by area).
    params, **keywords
        :class:`~geo.params.GapsParams` (``definitions``, ``date``, ``windows``, ``weight``, ``snap_m``,
        ``population_column``, ``maps``).
    feeds
        GTFS / GTFS-JP feeds (paths or pinned source names).
    stops
        Untimed supply by kind (``{"station": n02}``), used as read (a station across the border serves).
    population
        With grid demand: a population table (path, pinned source name or frame with ``muni_code``).
    credits
        Credit lines of the inputs.
    """
    p = resolve_params(GapsParams, params, keywords)
    definitions = list(p.definitions) or ["plateau-toshi-kozo"]
    demand, weight, note, placing = place_demand(selection, demand, population=population, weight=p.weight,
                                               population_column=p.population_column, snap_m=p.snap_m)  # fmt: skip
    demand = demand.drop(columns=AREA_ROW)
    result = service_gaps(
        demand, definition=definitions, feed=[local_file(f, what="GTFS feed") for f in feeds] or None,
        stops=dict(stops) if stops else None, date=p.date, windows=list(p.windows) or None, areas=selection.areas,
        weight=weight, pref_code=selection.pref_code, demand_note=note,
    )  # fmt: skip
    unit = result.info["demand_unit"]
    notes = list(placing.notes)
    lines = [*notes, f"demand: {note}; distances in {result.info['crs_name']}"]
    for d in result.definitions:
        day = result.service_dates[d.name]
        lines.append(f"{d.name} ({day['date']} {day['day_type']}): {d.title} — source: {d.source}")
        lines.append(f"  service day: {day['reason']}")
        for n in day.get("notes", []):
            if n not in notes:
                notes.append(n)
                lines.append(f"  note: {n}")
    for row in result.totals.itertuples(index=False):
        lines.append(f"  {row.definition:<22} {row.window:>6}: gap {row.gap:,.0f} of {row.demand:,.0f} {unit} "
                     f"({row.gap_share_pct:.1f}%)")  # fmt: skip
    figures = {"demand": note, "definitions": [d.name for d in result.definitions], **result.record()}
    return TimetableGapsResult(Report("timetable_gaps", figures, notes, text="\n".join(lines)),
                               credits_with_n03(credits), result, selection.areas, p.maps)  # fmt: skip


def transport_gaps(
    selection: AreaSelection,
    demand: gpd.GeoDataFrame | None,
    stops: Mapping[str, gpd.GeoDataFrame],
    params: GapsParams | None = None,
    *,
    feeds: Sequence[Any] = (),
    population: Any = None,
    credits: Sequence[str] = (),
    **keywords: Any,
) -> GapsResult | TimetableGapsResult:
    """交通空白, the question every door asks: by timetable when definitions or feeds are given
    (:func:`timetable_gaps`), else by walking distance (:func:`gaps`). The choice is made here, once.

    Raises
    ------
    ValidationError
        A service date or time windows without definitions or feeds, and everything the two analyses refuse.
    """
    p = resolve_params(GapsParams, params, keywords)
    if p.timetable or feeds:
        return timetable_gaps(selection, demand, p, feeds=feeds, stops=stops, population=population, credits=credits)
    if p.date or p.windows:
        raise ValidationError("a service date and time windows need timetables: give definitions and/or GTFS feeds")
    return gaps(selection, demand, stops, p, population=population, credits=credits)
