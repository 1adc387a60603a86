"""The questions: one function, one parameters type and one result type per question.

``geo run``, every ``geo`` subcommand and the Python API ask a question through the same three pieces::

    options (config section | CLI flags | API keywords)
       → <Question>Params         geo.params: one frozen dataclass, one set of defaults
       → analyses.<question>(selection, inputs, params) → <Question>Result
       → result.report            one report shape (geo.report.Report): run.json and a short summary
       → result.outputs()         {name: Output(frame, LayerInfo)}: names, titles, units, credits decided once
       → result.write(folder)     the one writer (geo.store.write_outputs): GeoPackage, CSV, GeoParquet, PostGIS

so one question can only ever get one answer. Inputs are frames (read by the door that knows the file) or, where
reading needs the question's parameters (a statistics table's code column, a population table spread over the
grid), a path or pinned source name read here. The choice between in-memory and partitioned (dask) work and
between distance and timetable gaps is made here, never inside a domain function.

Example
-------
>>> import geo
>>> sel = geo.analyses.select("n03-2021-s0010", prefectures=["山梨県"])                  # doctest: +SKIP
>>> result = geo.analyses.gaps(sel, cells, {"station": stations}, station_m=800)          # doctest: +SKIP
>>> print(result.report)                                                                  # doctest: +SKIP
>>> result.write("outputs/yamanashi_gaps")                                                # doctest: +SKIP
"""

from __future__ import annotations

from geo.analyses.base import Result, credits_with_n03, layer_info, place_demand, select
from geo.analyses.gap_analysis import GapsResult, TimetableGapsResult, gaps, timetable_gaps, transport_gaps
from geo.analyses.hub_analysis import ACCESS_MEASURES, HubsResult, hubs
from geo.analyses.join_analysis import JoinResult, RegionsResult, join, read_table, regions
from geo.analyses.point_analysis import PointsResult, assign_points, count_points, find_gaps, hub_coverage, points

__all__ = [
    "ACCESS_MEASURES",
    "GapsResult",
    "HubsResult",
    "JoinResult",
    "PointsResult",
    "RegionsResult",
    "Result",
    "TimetableGapsResult",
    "assign_points",
    "count_points",
    "credits_with_n03",
    "find_gaps",
    "gaps",
    "hub_coverage",
    "hubs",
    "join",
    "layer_info",
    "place_demand",
    "points",
    "read_table",
    "regions",
    "select",
    "timetable_gaps",
    "transport_gaps",
]
