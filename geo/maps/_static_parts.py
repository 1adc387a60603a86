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
    "FAR_GAP_KM",
    "FONT_FAMILY",
    "ISLAND_GROUPS",
    "NEAR_LAND_KM",
    "REMOTE_SOUTH_OF",
    "Box",
    "Placer",
    "RemoteGroup",
    "draw_north_arrow",
    "draw_scale_bar",
    "font_path",
    "frame_of",
    "island_group_name",
    "main_frame_bounds",
    "nice_length",
    "polygon_paths",
    "register_font",
    "remote_groups",
]

#: Parts of features whose representative point lies south of this latitude (°N) are drawn in insets on maps
#: that also have parts north of it: 南西諸島 (Tokara, Amami, Okinawa, Sakishima, Daito) and the Ogasawara
#: islands. Yakushima (30.3°N) and the Izu islands stay in the main frame, as on the usual maps of Japan.
REMOTE_SOUTH_OF = 30.0

#: Remote parts south of REMOTE_SOUTH_OF closer than this (km, between part outlines) form one inset: 沖縄・奄美
#: in one, 先島諸島 (290 km away) and 大東諸島 (360 km) in their own, so 沖縄本島 is drawn large enough to tell
#: its municipalities apart (one 南西諸島 inset spanning 800 km drew it about 30 px wide).
GROUP_GAP_KM = 150.0

#: Far clusters of the main frame (伊豆諸島, 小笠原諸島 on a map of 東京都) closer than this form one inset.
FAR_GROUP_GAP_KM = 500.0

#: On maps without parts on both sides of REMOTE_SOUTH_OF, clusters of parts further apart than this (km)
#: from the largest one go to insets (沖縄県: 先島諸島 and 大東諸島 beside the main island).
SPLIT_GAP_KM = 150.0

#: Parts left in the main frame form clusters of parts less than this apart (km); the cluster with most land is
#: the main body. Clusters further away (東京都: 伊豆諸島, 90–560 km south of the mainland) go to insets when
#: the main body holds at least half of the land and the main frame then shows it FAR_MIN_GAIN times larger.
FAR_GAP_KM = 50.0
#: Far clusters lying within this fraction of the main body's longer side around its bounding box stay in
#: the main frame: they hardly widen it (男女群島 on a map of 長崎県, 伊豆諸島 on the national map).
FAR_NEAR_PAD = 0.25
#: The main frame must show the main body at least this much larger (longer side of the extents) before far
#: clusters move to insets; otherwise an inset would only move land around without gaining room.
FAR_MIN_GAIN = 1.5

#: a feature of a layer is drawn in the frame (main map or inset) of the nearest land of the map within this
#: distance (a hub at a ferry port, a point just off the coast); farther from every area it is not drawn
NEAR_LAND_KM = 10.0

#: Well-known island groups (lon/lat boxes, EPSG:6668) naming the insets; the smallest box holding a part's
#: representative point names it.
ISLAND_GROUPS: dict[str, tuple[float, float, float, float]] = {
    "南鳥島": (153.8, 24.1, 154.2, 24.5),
    "沖ノ鳥島": (135.9, 20.3, 136.3, 20.6),
    "大東諸島": (131.0, 24.3, 131.5, 26.1),
    "先島諸島": (122.8, 23.9, 125.7, 26.0),
    "沖縄諸島": (126.5, 25.9, 128.5, 27.95),
    "奄美群島": (128.3, 26.95, 130.2, 28.6),
    "トカラ列島": (128.8, 28.65, 130.1, 30.1),
    "大隅諸島": (129.9, 30.1, 131.2, 31.0),
    "小笠原諸島": (136.0, 20.3, 154.2, 27.9),
    "伊豆諸島": (138.9, 29.7, 140.5, 34.85),
    "隠岐諸島": (132.9, 35.9, 133.5, 36.45),
    "南西諸島": (122.8, 23.9, 131.5, 31.0),
}

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
        raise ImportError(f"{path} is missing: reinstall matplotlib-fontja (pip install -I matplotlib-fontja)")
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
    far_gap_km: float = FAR_GAP_KM,
) -> tuple[np.ndarray, np.ndarray, list[RemoteGroup]]:
    """Split (multi)polygons in EPSG:6668 into main-frame parts and groups of remote parts, one inset each.

    Three steps, distances always measured in a metric CRS, never in degrees:

    1. A part (one polygon of a multipolygon) is remote when its representative point lies south of
       ``south_of`` and some part of the map lies north of it (the national map: 南西諸島, 小笠原諸島).
    2. A map without that split (沖縄県 alone) keeps its largest cluster of parts (parts less than
       ``split_gap_km`` apart) in the main frame when that cluster holds most of the land, and puts the other
       clusters (先島諸島, 大東諸島) in insets.
    3. Of the parts still in the main frame, clusters of parts less than ``far_gap_km`` apart that lie far from
       the cluster with most land (the main body) go to insets too, when the main body holds at least half of
       that land, and the main frame then shows it at least ``FAR_MIN_GAIN`` times larger (東京都: 伊豆諸島).
       Far clusters near the main body's box stay (see ``FAR_NEAR_PAD``), so on the national map this step
       changes nothing.

    Remote parts of steps 1–2 less than ``gap_km`` apart form one group (沖縄・奄美, 先島諸島, 大東諸島); those of
    step 3 less than ``FAR_GROUP_GAP_KM`` apart (伊豆諸島 one inset, 小笠原諸島 another).

    Returns
    -------
    main_parts, main_rows, groups
        The parts drawn in the main frame, the feature row of each, and the groups sorted by land area
        (largest first). Every part is in exactly one of them.

    Example
    -------
    >>> honshu, hachijo = shapely.box(139, 35.5, 140, 35.9), shapely.box(139.7, 33.05, 139.9, 33.15)
    >>> main, rows, groups = remote_groups(np.array([shapely.MultiPolygon([honshu, hachijo])]))
    >>> len(main), [len(g.parts) for g in groups]
    (1, [1])
    """
    parts, rows = shapely.get_parts(np.asarray(geoms, dtype=object), return_index=True)
    if len(parts) == 0:
        return parts, rows, []
    metric = _metric(parts)
    lat = shapely.get_y(shapely.point_on_surface(parts))
    remote = lat < south_of
    if remote.all() or not remote.any():
        label = _clusters(metric, split_gap_km)
        area = shapely.area(metric)
        totals = np.bincount(label, weights=area)
        biggest = int(np.argmax(totals))
        if len(np.unique(label)) > 1 and totals[biggest] >= 0.5 * totals.sum():
            remote = label != biggest
        else:
            remote = np.zeros(len(parts), dtype=bool)
    far = np.zeros(len(parts), dtype=bool)
    far[~remote] = _far_from_main_body(metric[~remote], far_gap_km)
    groups = _groups(metric, remote, gap_km) + _groups(metric, far, FAR_GROUP_GAP_KM)
    groups.sort(key=lambda t: -t[0])
    keep = ~(remote | far)
    return parts[keep], rows[keep], [RemoteGroup(parts[sel], rows[sel]) for _, sel in groups]


def _groups(metric: np.ndarray, member: np.ndarray, gap_km: float) -> list[tuple[float, np.ndarray]]:
    """(land area, index array) of each cluster of the ``member`` parts less than ``gap_km`` apart."""
    idx = np.flatnonzero(member)
    if len(idx) == 0:
        return []
    label = _clusters(metric[idx], gap_km)
    area = shapely.area(metric[idx])
    return [(float(area[label == g].sum()), idx[label == g]) for g in np.unique(label)]


def _far_from_main_body(metric: np.ndarray, gap_km: float) -> np.ndarray:
    """Mask of the parts (projected) in clusters far from the main body; all False when no inset would help."""
    none = np.zeros(len(metric), dtype=bool)
    if len(metric) < 2:
        return none
    label = _clusters(metric, gap_km)
    area = shapely.area(metric)
    totals = np.bincount(label, weights=area)
    body = int(np.argmax(totals))
    if totals[body] < 0.5 * totals.sum() or len(np.unique(label)) == 1:
        return none
    minx, miny, maxx, maxy = shapely.total_bounds(metric[label == body])
    pad = FAR_NEAR_PAD * max(maxx - minx, maxy - miny, 1.0)
    b = shapely.bounds(metric)
    inside = (b[:, 0] >= minx - pad) & (b[:, 1] >= miny - pad) & (b[:, 2] <= maxx + pad) & (b[:, 3] <= maxy + pad)
    # a cluster stays when all of it lies near the main body
    near_cluster = np.ones(len(totals), dtype=bool)
    np.logical_and.at(near_cluster, label, inside)
    far = ~near_cluster[label]
    if not far.any():
        return none
    gain = _longer_side(metric) / _longer_side(metric[~far])
    return far if gain >= FAR_MIN_GAIN else none


def _longer_side(metric: np.ndarray) -> float:
    minx, miny, maxx, maxy = shapely.total_bounds(metric)
    return max(maxx - minx, maxy - miny, 1.0)


def _metric(parts: np.ndarray) -> np.ndarray:
    """Parts (EPSG:6668) in a Lambert azimuthal equal-area CRS centred on Japan: metres, good to ~1 % there."""
    laea = CRS.from_proj4("+proj=laea +lat_0=33 +lon_0=135 +ellps=GRS80 +units=m +no_defs")
    proj = Transformer.from_crs(6668, laea, always_xy=True)
    return shapely.transform(parts, lambda xy: np.column_stack(proj.transform(xy[:, 0], xy[:, 1])))


def _clusters(metric: np.ndarray, gap_km: float) -> np.ndarray:
    """Single-linkage clusters of projected parts closer than ``gap_km`` (label: smallest member index)."""
    # Touching parts (most neighbours) are linked by a cheap prepared "intersects"; the costly distance test
    # then runs only on the pairs, near by bounding box, still in different components (2 s → 0.2 s nationally).
    tree = shapely.STRtree(metric)
    a, b = tree.query(metric, predicate="intersects")
    touching = _components(len(metric), a, b)
    d = gap_km * 1000.0
    bounds = shapely.bounds(metric)
    a, b = tree.query(shapely.box(bounds[:, 0] - d, bounds[:, 1] - d, bounds[:, 2] + d, bounds[:, 3] + d))
    apart = touching[a] != touching[b]
    a, b = a[apart], b[apart]
    near = shapely.dwithin(metric[a], metric[b], d)
    return _components(
        len(metric), np.concatenate([np.arange(len(metric)), a[near]]), np.concatenate([touching, b[near]])
    )


def _components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Connected components of the pairs (a, b) over n nodes (label: smallest member index)."""
    label = np.arange(n)
    for _ in range(n):  # min-label propagation with pointer jumping
        new = label.copy()
        np.minimum.at(new, a, label[b])
        np.minimum.at(new, b, label[a])
        if (new == label).all():
            break
        label = new[new]
    return label


def frame_of(
    anchors: np.ndarray, main_parts: np.ndarray, groups: Sequence[RemoteGroup], *, max_km: float = NEAR_LAND_KM
) -> np.ndarray:
    """The frame each anchor point (EPSG:6668) is drawn in: the one showing the land it stands on.

    ``0`` is the main frame, ``i + 1`` the inset of ``groups[i]``, ``-1`` no frame (no land of the map within
    ``max_km``: the feature lies outside what the map shows). Distances are measured in metres (an equal-area
    projection centred on Japan), never in degrees.

    Example
    -------
    >>> honshu, hachijo = shapely.box(139, 35.5, 140, 35.9), shapely.box(139.7, 33.05, 139.9, 33.15)
    >>> main, _, groups = remote_groups(np.array([shapely.MultiPolygon([honshu, hachijo])]))
    >>> frame_of(shapely.points([(139.5, 35.7), (139.8, 33.1), (141.5, 43.0)]), main, groups).tolist()
    [0, 1, -1]
    """
    anchors = np.asarray(anchors, dtype=object)
    out = np.full(len(anchors), -1, dtype=np.int64)
    parts = np.concatenate([np.asarray(main_parts, dtype=object), *[g.parts for g in groups]])
    if len(parts) == 0 or len(anchors) == 0:
        return out
    frame = np.concatenate([np.zeros(len(main_parts), dtype=np.int64)]
                           + [np.full(len(g.parts), i + 1, dtype=np.int64) for i, g in enumerate(groups)])  # fmt: skip
    ok = ~shapely.is_missing(anchors)
    ok[ok] = np.isfinite(shapely.get_x(anchors[ok])) & np.isfinite(shapely.get_y(anchors[ok]))  # empty: NaN
    if not ok.any():
        return out
    tree = shapely.STRtree(_metric(parts))
    hit, part = tree.query_nearest(_metric(anchors[ok]), max_distance=max_km * 1000.0, all_matches=False)
    out[np.flatnonzero(ok)[hit]] = frame[part]
    return out


def main_frame_bounds(geoms: np.ndarray) -> tuple[float, float, float, float]:
    """Lon/lat bounds (EPSG:6668) of the parts a static map draws in its main frame (see :func:`remote_groups`).

    Example
    -------
    >>> honshu, hachijo = shapely.box(139, 35.5, 140, 35.9), shapely.box(139.7, 33.05, 139.9, 33.15)
    >>> main_frame_bounds(np.array([shapely.MultiPolygon([honshu, hachijo])]))
    (139.0, 35.5, 140.0, 35.9)
    """
    main, _, _ = remote_groups(geoms)
    if len(main) == 0:
        main = shapely.get_parts(np.asarray(geoms, dtype=object))
    minx, miny, maxx, maxy = (float(v) for v in shapely.total_bounds(main))
    return minx, miny, maxx, maxy


def island_group_name(parts: np.ndarray) -> str | None:
    """Name of the well-known island groups (``ISLAND_GROUPS``) holding ``parts`` (EPSG:6668), or None.

    Each part takes the smallest box holding its representative point; up to three names are joined with
    「・」 (largest land first); more names, or a part outside every box, give the smallest box holding all of
    them, else None.

    Example
    -------
    >>> island_group_name(np.array([shapely.box(153.97, 24.28, 153.99, 24.30)]))
    '南鳥島'
    """
    parts = np.asarray(parts, dtype=object)
    if len(parts) == 0:
        return None
    pts = shapely.point_on_surface(parts)
    x, y = shapely.get_x(pts), shapely.get_y(pts)
    by_size = sorted(ISLAND_GROUPS.items(), key=lambda kv: (kv[1][2] - kv[1][0]) * (kv[1][3] - kv[1][1]))
    owner: list[str | None] = []
    for px, py in zip(x, y, strict=True):
        owner.append(next((n for n, (x0, y0, x1, y1) in by_size if x0 <= px <= x1 and y0 <= py <= y1), None))
    if None not in owner:
        area = shapely.area(parts)
        land: dict[str, float] = {}
        for name, a in zip(owner, area, strict=True):
            assert name is not None
            land[name] = land.get(name, 0.0) + float(a)
        if len(land) <= 3:
            return "・".join(sorted(land, key=lambda n: -land[n]))
    for name, (x0, y0, x1, y1) in by_size:
        if (x0 <= x).all() and (x <= x1).all() and (y0 <= y).all() and (y <= y1).all():
            return name
    return None


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
    def from_geometries(cls, ax: Axes, geoms: np.ndarray, *, points: np.ndarray | None = None, n: int = 80) -> Placer:
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


def draw_scale_bar(ax: Axes, box: Box, *, length_m: float, fontsize: float, color: str = "#222222") -> list[Any]:
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
    arrow = ax.add_patch(Polygon(pts, closed=True, transform=ax.transAxes, facecolor=color, edgecolor=color, zorder=20))
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
