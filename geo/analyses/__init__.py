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

import importlib
from typing import Any

# public name -> the module defining it; imported on first use, so ``geo.assign_points`` does not import the
# hub, gap and join analyses (and scipy) with it
_EXPORTS: dict[str, str] = {
    **dict.fromkeys(("Result", "credits_with_n03", "layer_info", "place_demand", "select"), "geo.analyses.base"),
    **dict.fromkeys(
        ("GapsResult", "TimetableGapsResult", "gaps", "timetable_gaps", "transport_gaps"), "geo.analyses.gap_analysis"
    ),
    **dict.fromkeys(("ACCESS_MEASURES", "HubsResult", "hubs"), "geo.analyses.hub_analysis"),
    **dict.fromkeys(("ScenariosResult", "scenarios"), "geo.analyses.scenario_analysis"),
    **dict.fromkeys(("RemediesResult", "remedies"), "geo.analyses.remedy_analysis"),
    **dict.fromkeys(("JoinResult", "RegionsResult", "join", "read_table", "regions"), "geo.analyses.join_analysis"),
    **dict.fromkeys(
        ("PointsResult", "assign_points", "count_points", "find_gaps", "hub_coverage", "points"),
        "geo.analyses.point_analysis",
    ),
}

__all__ = [
    "ACCESS_MEASURES",
    "GapsResult",
    "HubsResult",
    "JoinResult",
    "PointsResult",
    "RegionsResult",
    "RemediesResult",
    "Result",
    "ScenariosResult",
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
    "remedies",
    "scenarios",
    "select",
    "timetable_gaps",
    "transport_gaps",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'geo.analyses' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
