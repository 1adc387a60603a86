"""Geospatial analysis toolkit for regional revitalisation planning in Japan (地方創生2.0).

The public API is re-exported here lazily, so ``import geo`` is fast and a command that only needs
boundaries never imports the map renderers.

Examples
--------
>>> import geo
>>> areas = geo.read_boundaries("n03-2021-s0010")          # doctest: +SKIP
>>> table = geo.read_indicators("indicators.csv")            # doctest: +SKIP
>>> joined, report = geo.join_indicators(areas, table)       # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import Any

from geo._errors import CRSError, SourceError, ValidationError

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "read_boundaries": "geo.boundaries",
    "to_metric": "geo.crs",
    "metric_crs": "geo.crs",
    "fetch": "geo.sources",
    "list_sources": "geo.sources",
    "normalize_muni_code": "geo.codes",
    "normalize_pref_code": "geo.codes",
}

__all__ = ["CRSError", "SourceError", "ValidationError", "__version__", *sorted(_EXPORTS)]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'geo' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
