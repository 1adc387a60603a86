"""Pieces of the static map: Japanese font, fast polygon paths, remote-island insets, placement, furniture.

Kept apart from ``geo.maps.static`` (which assembles the figure) so each piece can be tested on its own.
"""

from __future__ import annotations

import functools
import importlib.util
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from pyproj import CRS, Transformer

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "FONT_FAMILY",
    "REMOTE_SOUTH_OF",
    "Box",
    "Placer",
    "RemoteGroup",
    "draw_north_arrow",
    "draw_scale_bar",
    "font_path",
    "nice_length",
    "polygon_paths",
    "register_font",
    "remote_groups",
]

#: Parts of features whose representative point lies south of this latitude (°N) are drawn in insets on maps
#: that also have parts north of it: 南西諸島 (Tokara, Amami, Okinawa, Sakishima, Daito) and the Ogasawara
#: islands. Yakushima (30.3°N) and the Izu islands stay in the main frame, as on the usual maps of Japan.
REMOTE_SOUTH_OF = 30.0

#: Remote parts closer than this (km, between part outlines) form one inset.
GROUP_GAP_KM = 500.0

#: On maps without parts on both sides of REMOTE_SOUTH_OF, clusters of parts further apart than this (km)
#: from the largest one go to insets (沖縄県: 先島諸島 and 大東諸島 beside the main island).
SPLIT_GAP_KM = 150.0

FONT_NAME = "IPAexGothic"
#: Every text: IPAexGothic (bundled by matplotlib-fontja); DejaVu Sans only for the few symbols IPAex lacks.
FONT_FAMILY = [FONT_NAME, "DejaVu Sans"]


# ----------------------------------------------------------------------------------------------- font
def font_path() -> Path:
    """Path of IPAexGothic inside the installed matplotlib-fontja, found without importing it.

    Importing ``matplotlib_fontja`` changes matplotlib's global ``font.family``; the maps set the font only
    for their own figures, so the file is located through the package's import spec instead.
    """
    spec = importlib.util.find_spec("matplotlib_fontja")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(
            "static maps need the Japanese font of matplotlib-fontja: pip install matplotlib-fontja==1.1.0"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "fonts" / "ipaexg.ttf"
    if not path.is_file():
        raise ImportError(
            f"{path} is missing: reinstall matplotlib-fontja (pip install -I matplotlib-fontja)"
        )
    return path


@functools.cache
def register_font() -> Path:
    """Add IPAexGothic to matplotlib's font list once per process; return its file."""
    from matplotlib import font_manager

    path = font_path()
    font_manager.fontManager.addfont(str(path))
    return path


# ----------------------------------------------------------------------------------------------- paths
def polygon_paths(geoms: np.ndarray) -> list[Any]:
    """One matplotlib Path per (multi)polygon, holes included, built from shapely arrays in one pass.

    Much faster than one PathPatch per geometry (what ``GeoDataFrame.plot`` does) for thousands of areas.
    """
    from matplotlib.path import Path as MplPath

    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    if n == 0:
        return []
    polys, poly_owner = shapely.get_parts(geoms, return_index=True)
    # matplotlib fills by the non-zero winding rule: holes must turn the other way than their shell
    polys = shapely.orient_polygons(polys)
    rings, ring_poly = shapely.get_rings(polys, return_index=True)
    coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
    codes = np.full(len(coords), MplPath.LINETO, dtype=MplPath.code_type)
    if len(coords):
        starts = np.r_[0, np.flatnonzero(np.diff(coord_ring)) + 1]
        ends = np.r_[starts[1:] - 1, len(coords) - 1]
        codes[starts] = MplPath.MOVETO
        codes[ends] = MplPath.CLOSEPOLY
    owner = poly_owner[ring_poly][coord_ring] if len(coords) else np.array([], dtype=int)
    bounds = np.searchsorted(owner, np.arange(n + 1))
    return [MplPath(coords[bounds[i] : bounds[i + 1]], codes[bounds[i] : bounds[i + 1]]) for i in range(n)]


# --------------------------------------------------------------------------------------------- remote islands
@dataclass(frozen=True)
class RemoteGroup:
    """Remote parts drawn together in one inset: the parts (EPSG:6668) and the feature row of each part."""

    parts: np.ndarray
    rows: np.ndarray


def remote_groups(
    geoms: np.ndarray,
    *,
    south_of: float = REMOTE_SOUTH_OF,
    gap_km: float = GROUP_GAP_KM,
    split_gap_km: float = SPLIT_GAP_KM,
) -> tuple[np.ndarray, np.ndarray, list[RemoteGroup]]:
    """Split (multi)polygons in EPSG:6668 into main-frame parts and groups of remote parts, one inset each.

    A part (one polygon of a multipolygon) is remote when its representative point lies south of ``south_of``
    and some part of the map lies north of it; remote parts less than ``gap_km`` apart form one group. A map
    without that split (Okinawa alone) keeps its largest cluster of parts (parts less than ``split_gap_km``
    apart) in the main frame when that cluster holds most of the land, and puts the other clusters
    (先島諸島, 大東諸島) in insets. Distances are measured in a metric CRS, never in degrees.

    Returns
    -------
    main_parts, main_rows, groups
        The parts drawn in the main frame, the feature row of each, and the groups sorted by land area
        (largest first).
    """
    parts, rows = shapely.get_parts(np.asarray(geoms, dtype=object), return_index=True)
    if len(parts) == 0:
        return parts, rows, []
    lat = shapely.get_y(shapely.point_on_surface(parts))
    remote = lat < south_of
    if remote.all() or not remote.any():
        label, area = _clusters(parts, split_gap_km)
        totals = np.bincount(label, weights=area)
        biggest = int(np.argmax(totals))
        if len(np.unique(label)) == 1 or totals[biggest] < 0.5 * totals.sum():
            return parts, rows, []
        remote = label != biggest
    r_parts, r_rows = parts[remote], rows[remote]
    label, area = _clusters(r_parts, gap_km)
    groups = []
    for g in np.unique(label):
        sel = label == g
        groups.append((float(area[sel].sum()), r_parts[sel], r_rows[sel]))
    groups.sort(key=lambda t: -t[0])
    return parts[~remote], rows[~remote], [RemoteGroup(gp, gr) for _, gp, gr in groups]


def _clusters(parts: np.ndarray, gap_km: float) -> tuple[np.ndarray, np.ndarray]:
    """Single-linkage clusters of parts closer than ``gap_km`` (label: smallest member index); part areas."""
    laea = CRS.from_proj4("+proj=laea +lat_0=33 +lon_0=135 +ellps=GRS80 +units=m +no_defs")
    proj = Transformer.from_crs(6668, laea, always_xy=True)
    metric = shapely.transform(parts, lambda xy: np.column_stack(proj.transform(xy[:, 0], xy[:, 1])))
    a, b = shapely.STRtree(metric).query(metric, predicate="dwithin", distance=gap_km * 1000.0)
    label = np.arange(len(metric))
    for _ in range(len(metric)):  # connected components by min-label propagation with pointer jumping
        new = label.copy()
        np.minimum.at(new, a, label[b])
        if (new == label).all():
            break
        label = new[new]
    return label, shapely.area(metric)


def local_equal_area(parts: np.ndarray) -> CRS:
    """Lambert azimuthal equal-area CRS centred on the parts: north up and true areas in a small inset."""
    minx, miny, maxx, maxy = shapely.total_bounds(parts)
    lon, lat = (minx + maxx) / 2, (miny + maxy) / 2
    return CRS.from_proj4(f"+proj=laea +lat_0={lat:.4f} +lon_0={lon:.4f} +ellps=GRS80 +units=m +no_defs")


# ----------------------------------------------------------------------------------------------- placement
@dataclass(frozen=True)
class Box:
    """A rectangle in axes fraction (0..1), lower-left corner ``x, y``."""

    x: float
    y: float
    w: float
    h: float

    def overlaps(self, other: Box, *, gap: float = 0.01) -> bool:
        return not (
            self.x + self.w + gap <= other.x
            or other.x + other.w + gap <= self.x
            or self.y + self.h + gap <= other.y
            or other.y + other.h + gap <= self.y
        )


class Placer:
    """Puts legend, insets, scale bar and north arrow along the map's edges where they hide the least land.

    The map is rasterised once to an occupancy grid (cells whose centre lies on a feature or near a point);
    each box then goes to the edge position covering the fewest occupied cells, corners first on ties,
    never overlapping a box placed before it.
    """

    def __init__(self, occupied: np.ndarray, *, margin: float = 0.01) -> None:
        self.grid = occupied.astype(float)
        self.n_y, self.n_x = occupied.shape
        self.sat = np.zeros((self.n_y + 1, self.n_x + 1))
        self.sat[1:, 1:] = self.grid.cumsum(0).cumsum(1)
        self.margin = margin
        self.placed: list[Box] = []

    @classmethod
    def from_geometries(
        cls, ax: Axes, geoms: np.ndarray, *, points: np.ndarray | None = None, n: int = 80
    ) -> Placer:
        """Occupancy of ``geoms`` (projected polygons) and ``points`` (x, y array) within the axes' limits."""
        x0, x1 = ax.get_xlim()
        y0, y1 = ax.get_ylim()
        fx = np.arange(n) / n
        gx, gy = np.meshgrid(x0 + fx * (x1 - x0), y0 + fx * (y1 - y0))
        # whole cells, not their centres: a narrow cape or a small island still marks its cell
        cells = shapely.box(gx.ravel(), gy.ravel(), gx.ravel() + (x1 - x0) / n, gy.ravel() + (y1 - y0) / n)
        occupied = np.zeros(n * n, dtype=bool)
        if len(geoms):
            hit = shapely.STRtree(geoms).query(cells, predicate="intersects")[0]
            occupied[hit] = True
        grid = occupied.reshape(n, n)
        if points is not None and len(points):
            fx_pt = (points[:, 0] - x0) / (x1 - x0)
            fy_pt = (points[:, 1] - y0) / (y1 - y0)
            ok = np.isfinite(fx_pt) & np.isfinite(fy_pt)
            ok &= (fx_pt >= 0) & (fx_pt < 1) & (fy_pt >= 0) & (fy_pt < 1)
            grid[(fy_pt[ok] * n).astype(int), (fx_pt[ok] * n).astype(int)] = True
        return cls(grid)

    def covered(self, box: Box) -> float:
        """Occupied cells inside ``box``."""
        i0 = int(np.floor(box.x * self.n_x))
        i1 = int(np.ceil((box.x + box.w) * self.n_x))
        j0 = int(np.floor(box.y * self.n_y))
        j1 = int(np.ceil((box.y + box.h) * self.n_y))
        i0, i1 = max(0, i0), min(self.n_x, i1)
        j0, j1 = max(0, j0), min(self.n_y, j1)
        s = self.sat
        return float(s[j1, i1] - s[j0, i1] - s[j1, i0] + s[j0, i0])

    def candidates(self, w: float, h: float, *, step: float = 0.02) -> list[Box]:
        m = self.margin
        lo_x, hi_x, lo_y, hi_y = m, 1 - m - w, m, 1 - m - h
        corners = [Box(lo_x, hi_y, w, h), Box(hi_x, lo_y, w, h), Box(lo_x, lo_y, w, h), Box(hi_x, hi_y, w, h)]
        edges = []
        for x in np.arange(lo_x, hi_x, step):
            edges += [Box(float(x), lo_y, w, h), Box(float(x), hi_y, w, h)]
        for y in np.arange(lo_y, hi_y, step):
            edges += [Box(lo_x, float(y), w, h), Box(hi_x, float(y), w, h)]
        return corners + edges

    def place(self, w: float, h: float, *, prefer: Sequence[Box] = ()) -> Box:
        """The best free position for a ``w`` × ``h`` box (axes fraction); it is then taken."""
        w, h = min(w, 1 - 2 * self.margin), min(h, 1 - 2 * self.margin)
        best, best_score = None, math.inf
        for box in [*prefer, *self.candidates(w, h)]:
            clash = any(box.overlaps(p) for p in self.placed)
            score = self.covered(box) + (1e6 if clash else 0.0)
            if score < best_score - 1e-9:
                best, best_score = box, score
        assert best is not None
        self.placed.append(best)
        return best


# ----------------------------------------------------------------------------------------------- furniture
def nice_length(max_m: float) -> float:
    """The longest round length (1, 2, 5 × 10ⁿ, in metres) not above ``max_m``.

    Example
    -------
    >>> nice_length(183_000)
    100000.0
    """
    if not max_m > 0:
        raise ValueError(f"max_m must be positive, got {max_m}")
    exp = math.floor(math.log10(max_m))
    for m in (5, 2, 1):
        if m * 10**exp <= max_m:
            return float(m * 10**exp)
    return float(10**exp)  # pragma: no cover - unreachable (1 × 10^exp <= max_m)


def draw_scale_bar(
    ax: Axes, box: Box, *, length_m: float, fontsize: float, color: str = "#222222"
) -> list[Any]:
    """A two-segment black/white scale bar at the bottom of ``box`` (axes fraction), labelled 0, L/2, L km.

    ``length_m`` is in the units of the axes' projected CRS (metres).
    """
    from matplotlib.patches import Rectangle

    x0, x1 = ax.get_xlim()
    frac = length_m / (x1 - x0)
    left = box.x + (box.w - frac) / 2
    bar_h = box.h * 0.12
    base = box.y + box.h * 0.22
    artists = []
    for i, fill in enumerate((color, "white")):
        artists.append(
            ax.add_patch(
                Rectangle(
                    (left + i * frac / 2, base),
                    frac / 2,
                    bar_h,
                    transform=ax.transAxes,
                    facecolor=fill,
                    edgecolor=color,
                    linewidth=0.8,
                    zorder=20,
                )
            )
        )
    unit, div = ("km", 1000.0) if length_m >= 1000 else ("m", 1.0)
    texts = ("0", f"{length_m / 2 / div:g}", f"{length_m / div:g} {unit}")
    for pos, text in zip((0.0, 0.5, 1.0), texts, strict=True):
        artists.append(
            ax.text(
                left + pos * frac,
                base - box.h * 0.04,
                text,
                transform=ax.transAxes,
                ha="center",
                va="top",
                fontsize=fontsize,
                color=color,
                zorder=20,
            )
        )
    return artists


def north_angle(crs: CRS, x: float, y: float) -> float:
    """Angle (radians, counter-clockwise from the +y axis) of true north at projected point ``x, y``."""
    to_geo = Transformer.from_crs(crs, 4326, always_xy=True)
    to_map = Transformer.from_crs(4326, crs, always_xy=True)
    lon, lat = to_geo.transform(x, y)
    nx, ny = to_map.transform(lon, min(lat + 0.05, 89.9))
    return math.atan2(-(nx - x), ny - y)


def draw_north_arrow(ax: Axes, box: Box, *, crs: CRS, fontsize: float, color: str = "#222222") -> list[Any]:
    """An arrow with 「N」 in the upper part of ``box``, pointing to true north at that place of the map."""
    from matplotlib.patches import Polygon

    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    cx, cy = box.x + box.w / 2, box.y + box.h * 0.62
    angle = north_angle(crs, x0 + cx * (x1 - x0), y0 + cy * (y1 - y0))
    # arrow in display-independent units: half a box height long, drawn in axes fraction corrected for aspect
    bbox = ax.get_window_extent()
    aspect = bbox.width / bbox.height if bbox.height else 1.0
    length = box.h * 0.42
    shape = np.array([[0.0, 0.5], [0.22, -0.5], [0.0, -0.25], [-0.22, -0.5]]) * length
    rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    pts = shape @ rot.T
    pts[:, 0] /= aspect
    pts += [cx, cy]
    arrow = ax.add_patch(
        Polygon(pts, closed=True, transform=ax.transAxes, facecolor=color, edgecolor=color, zorder=20)
    )
    tip = np.array([0.0, 0.5 * length + box.h * 0.06]) @ rot.T
    label = ax.text(
        cx + tip[0] / aspect,
        cy + tip[1],
        "N",
        transform=ax.transAxes,
        ha="center",
        va="bottom",
        fontsize=fontsize,
        color=color,
        zorder=20,
    )
    return [arrow, label]
