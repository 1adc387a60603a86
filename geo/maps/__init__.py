"""Maps: interactive HTML (Leaflet, inlined, offline) and static PNG/SVG/PDF (matplotlib), one shared style.

``geo.choropleth`` builds a :class:`ChoroplethMap`; ``geo.maps.style`` holds the classes, palettes and layer styles
both renderers use; ``geo.maps.layers`` builds the extra layers (gap points, hubs, buffers, regions, labels).
"""

from __future__ import annotations

from geo.maps.choropleth import ChoroplethMap, choropleth
from geo.maps.layers import layer_for
from geo.maps.spec import Layer, MapSpec

__all__ = ["ChoroplethMap", "Layer", "MapSpec", "choropleth", "layer_for"]
