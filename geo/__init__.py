"""Geospatial analysis toolkit for regional revitalisation planning in Japan (地方創生2.0).

The public API is re-exported here lazily, so ``import geo`` is fast and a command that only needs
boundaries never imports the map renderers.

Examples
--------
>>> import geo
>>> areas = geo.read_boundaries("n03-2021-s0010")          # doctest: +SKIP
>>> table = geo.read_indicators("indicators.csv")            # doctest: +SKIP
>>> joined, report = geo.join_indicators(areas, table)       # doctest: +SKIP

One question, one answer through every door: :mod:`geo.analyses` (``select``, ``join``, ``gaps``,
``timetable_gaps``, ``hubs``, ``regions``, ``points``) with the parameters of :mod:`geo.params`; each result has
``.report``, ``.outputs()`` and ``.write(folder)``.
"""

from __future__ import annotations

import importlib
from typing import Any

from geo._errors import CRSError, SourceError, ValidationError

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "read_boundaries": "geo.boundaries",
    "choropleth": "geo.maps.choropleth",
    "map_layer": "geo.maps.from_layer",
    "analyses": "geo.analyses",
    "params": "geo.params",
    "select_areas": "geo.areas",
    "place": "geo.areas",
    "AreaParams": "geo.params",
    "JoinParams": "geo.params",
    "GapsParams": "geo.params",
    "HubsParams": "geo.params",
    "RegionsParams": "geo.params",
    "MapParams": "geo.params",
    "Measure": "geo.params",
    "derive": "geo.indicators",
    "run": "geo.pipeline",
    "to_metric": "geo.crs",
    "metric_crs": "geo.crs",
    "fetch": "geo.sources",
    "list_sources": "geo.sources",
    "get_source": "geo.sources",
    "credit_for": "geo.sources",
    "normalize_muni_code": "geo.codes",
    "normalize_pref_code": "geo.codes",
    "read_points": "geo.points",
    "assign_points": "geo.analyses.point_analysis",
    "count_points": "geo.analyses.point_analysis",
    "read_mesh": "geo.mesh",
    "mesh_polygons": "geo.mesh",
    "mesh_centroids": "geo.mesh",
    "read_indicators": "geo.tables",
    "join_indicators": "geo.indicators",
    "JoinReport": "geo.indicators",
    "aggregate_wards": "geo.indicators",
    "aggregate_to_prefectures": "geo.indicators",
    "add_density": "geo.indicators",
    "add_rate": "geo.indicators",
    "add_change": "geo.indicators",
    "find_gaps": "geo.analyses",
    "read_feed": "geo.timetable",
    "stop_departures": "geo.timetable",
    "service_dates": "geo.timetable",
    "resolve_service_date": "geo.timetable",
    "service_day": "geo.timetable",
    "ServiceDay": "geo.timetable",
    "list_gap_definitions": "geo.gap_definitions",
    "read_gap_definition": "geo.gap_definitions",
    "read_grade_table": "geo.gap_definitions",
    "service_gaps": "geo.service_gaps",
    "ServiceGaps": "geo.service_gaps",
    "read_good_practices": "geo.good_practices",
    "read_regions": "geo.regions",
    "read_grouping": "geo.regions",
    "list_regions": "geo.regions",
    "dissolve_regions": "geo.regions",
    "region_table": "geo.regions",
    "buffer_hubs": "geo.hubs",
    "union_buffers": "geo.hubs",
    "hub_coverage": "geo.analyses",
    "choose_hubs": "geo.hub_siting",
    "CoverageResult": "geo.hubs",
    "SitingReport": "geo.hub_siting",
    "read_cost_matrix": "geo.costs",
    "CostMatrix": "geo.costs",
    "access_2sfca": "geo.access",
    "cumulative_opportunities": "geo.access",
    "access_by_area": "geo.access",
    "grid_demand": "geo.demand",
    "GridDemandReport": "geo.demand",
    "coverage_table": "geo.coverage",
    "coverage_from_cost_matrix": "geo.coverage",
    "convert_codes": "geo.crosswalk",
    "ConversionReport": "geo.crosswalk",
    "infer_code_dates": "geo.crosswalk",
    "boundary_date": "geo.crosswalk",
    "area_weights": "geo.crosswalk",
    "code_table": "geo.codes",
    "codes_as_of": "geo.codes",
    "city_of": "geo.codes",
    "write_karte": "geo.karte",
    "KarteResult": "geo.karte",
    "ReportParams": "geo.params",
}

__all__ = ["CRSError", "SourceError", "ValidationError", "__version__", *sorted(_EXPORTS)]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'geo' has no attribute {name!r}")
    imported = importlib.import_module(module)
    value = imported if module == f"geo.{name}" else getattr(imported, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
