"""Point-in-area lookup index, built once per boundary set and reused by every call.

What costs time in a point → area join is not the test itself but what surrounds it: copying and preparing
the polygon parts (≈ 0.1 s for the 1,906 municipalities, more as GEOS builds each part's point locator on
first use) and testing points that a cheap look-up could have settled. So, per boundary set, this module keeps:

- the polygon parts (a MultiPolygon's islands each on their own), cloned and prepared once;
- a regular candidate grid over their extent (about one million cells; 0.026° ≈ 2.6 km nationally, ≈ 200 m
  for one prefecture) holding, per cell, the parts whose bounding box meets the cell (compressed sparse rows);
- a finer answer grid (about 16 million cells, 0.0065° ≈ 650 m nationally) holding, per cell, the answer for
  the whole cell when no part boundary crosses it. It costs about as much as testing 300,000 points directly, so
  it is built only once :data:`STATE_AFTER` points have been asked about this boundary set (one large call, or
  several small ones: no cost is paid before it can pay for itself, and none twice).

A cell that no boundary segment touches lies wholly inside the same parts as its centre (the segment from any
of its points to the centre crosses no boundary), so one point-in-polygon test of the centre answers every
point in it. Better still, two such cells side by side lie in the same parts (the segment between their centres
crosses only the two cells), so every run of untouched cells along a row is answered by one test of one centre:
the grid is complete when built, and a point set never seen before is answered like a warm one. Cells touched by a boundary are marked from each segment's bounding box, computed with the same
floor function that places the points (a cell is dropped only when its corners, widened by a millionth of a
cell, lie strictly on one side of the segment's line), so the marking errs only towards testing: points in
marked cells are tested against their candidate parts. Nationally 86 % of land points (uniform by area) need no test at all.

The cache is keyed by the identity of the geometry objects (shapely geometries are immutable) and the tie
rank, holds at most :data:`CACHE_SIZE` boundary sets (least recently used dropped first) and keeps a reference
to the geometries it was built from, so an identity can never be reused by another geometry while cached.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import shapely

CACHE_SIZE = 4
"""Boundary sets kept (an index holds ≈ 70 MB once its answer grid exists: 32 MB int16 grid, parts, locators)."""

GRID_CELLS = 1_000_000
"""Target number of cells of the candidate grid over the parts' extent."""

STATE_CELLS = 16_000_000
"""Target number of cells of the answer grid (int16 each while the ranks fit, else int32: 32–64 MB). Nationally
0.0065° ≈ 650 m, so about one land point in seven falls in a cell a boundary crosses and needs a test (2.6 km cells: one in two)."""

SMALL_FIRST = 20_000
"""Points a boundary set's first calls may ask before its index is built: below it a tree over the points answers
(5 ms for 1,000 points nationally, where building the index costs 15–30 ms)."""

STATE_AFTER = 300_000
"""Points asked about one boundary set (over all calls, this one included) before the answer grid is built;
until then the candidates are tested directly (≈ 0.5 µs a point, the grid ≈ 0.15–0.3 s to build)."""

_UNKNOWN, _MIXED, _NONE = -3, -2, -1


@dataclass
class PartIndex:
    """Prepared parts of one boundary set and a grid over them (see the module docstring)."""

    parts: np.ndarray  # (m,) prepared shapely Polygons, clones of the input parts
    part_rank: np.ndarray  # (m,) int64 tie rank of each part's area (smaller wins)
    bounds: np.ndarray  # (m, 4) float64 xmin, ymin, xmax, ymax
    x0: float
    y0: float
    cell: float  # cell side, in the areas' CRS units
    nx: int
    ny: int
    offsets: np.ndarray  # (nx*ny + 1,) int64 CSR offsets into cand
    cand: np.ndarray  # (k,) int64 part ids whose bbox meets each cell
    fine: float  # side of the answer grid's cells (finer than the candidate grid)
    fnx: int
    fny: int
    state: (
        np.ndarray | None
    )  # built on first large call: (fnx*fny,) int32 per fine cell: winning rank, -1 none, -2 crossed by a boundary, -3 unknown
    keep: object = field(repr=False)  # the source geometries: keeps their identities from being reused
    asked: int = 0  # points answered directly so far (the answer grid is built once this reaches STATE_AFTER)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


_cache: OrderedDict[bytes, PartIndex] = OrderedDict()
_small_asked: OrderedDict[bytes, int] = OrderedDict()  # points asked through the tree path, per boundary set
_cache_lock = threading.Lock()


def locate(
    geoms: np.ndarray, rank: np.ndarray, x: np.ndarray, y: np.ndarray, *, points: np.ndarray | None = None
) -> np.ndarray:
    """Tie rank of the area of ``geoms`` each point lies in, or -1 (see :func:`locate_rank`).

    The first small calls on a boundary set build no index: a tree over their points, queried with each area (what
    ``geopandas.sjoin`` does inside, without its frames), answers them. Once :data:`SMALL_FIRST` points have been
    asked that way, or with the first larger call, the cached index is built and used from then on. ``points``
    (optional) are the point geometries at ``x, y``, used for that tree instead of new ones.
    """
    key = _key(geoms, rank)
    with _cache_lock:
        hit = _cache.get(key)
        asked = _small_asked.get(key, 0)
        small = hit is None and asked + len(x) < SMALL_FIRST
        if small:
            _small_asked[key] = asked + len(x)
            _small_asked.move_to_end(key)
            while len(_small_asked) > 4 * CACHE_SIZE:
                _small_asked.popitem(last=False)
    if small:
        return _tree_on_points(geoms, np.asarray(rank, dtype=np.int64), x, y, points)
    return locate_rank(part_index(geoms, rank), x, y)


def _tree_on_points(
    geoms: np.ndarray, rank: np.ndarray, x: np.ndarray, y: np.ndarray, points: np.ndarray | None
) -> np.ndarray:
    """Smallest tie rank of the areas each point intersects (closed polygons), or -1: a tree over the points."""
    none = np.iinfo(np.int64).max
    best = np.full(len(x), none, dtype=np.int64)
    finite = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
    if len(finite) and len(geoms):
        tree = shapely.STRtree(points[finite] if points is not None else shapely.points(x[finite], y[finite]))
        area, point = tree.query(geoms, predicate="intersects")
        np.minimum.at(best, finite[point], rank[area])
    return np.where(best == none, -1, best)


def _key(geoms: np.ndarray, rank: np.ndarray) -> bytes:
    ids = np.fromiter(map(id, geoms), dtype=np.int64, count=len(geoms))
    return ids.tobytes() + np.asarray(rank, dtype=np.int64).tobytes()


def part_index(geoms: np.ndarray, rank: np.ndarray) -> PartIndex:
    """The cached index of ``geoms`` (object array of (Multi)Polygons) with tie ranks ``rank`` (int64, same length).

    Built on first use and reused while the same geometry objects and ranks come back (also through
    ``areas.copy()``, which keeps the geometry objects).
    """
    key = _key(geoms, rank)
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            return hit
    built = _build(geoms, np.asarray(rank, dtype=np.int64))
    with _cache_lock:
        _cache[key] = built
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return built


def clear_cache() -> None:
    """Forget every cached index (they are rebuilt on next use)."""
    with _cache_lock:
        _cache.clear()
        _small_asked.clear()
        _area_cache.clear()


def _floor_index(v: np.ndarray, origin: float, cell: float) -> np.ndarray:
    """Cell index along one axis; the single function both points and boundary vertices go through."""
    return np.floor((v - origin) / cell).astype(np.int64)


def _build(geoms: np.ndarray, rank: np.ndarray) -> PartIndex:
    parts, owner = shapely.get_parts(geoms, return_index=True)
    keep_parts = ~(shapely.is_missing(parts) | shapely.is_empty(parts))
    parts, owner = parts[keep_parts], owner[keep_parts]
    # get_parts returns clones, so preparing them leaves the caller's geometries untouched
    shapely.prepare(parts)
    bounds = shapely.bounds(parts).reshape(-1, 4)
    if len(parts):
        x0, y0 = float(bounds[:, 0].min()), float(bounds[:, 1].min())
        x1, y1 = float(bounds[:, 2].max()), float(bounds[:, 3].max())
    else:
        x0 = y0 = 0.0
        x1 = y1 = 1.0
    width, height = max(x1 - x0, 1e-9), max(y1 - y0, 1e-9)
    cell = float(np.sqrt(width * height / GRID_CELLS))
    cell = max(cell, width / 4096, height / 4096)  # keep each axis under 4,097 cells
    fine = max(float(np.sqrt(width * height / STATE_CELLS)), width / 16384, height / 16384)
    # the far edge through the same floor function as the points, so a point on the last vertex is in the grid
    xs, ys = np.array([x1, x0 + width]), np.array([y1, y0 + height])
    nx, ny = int(_floor_index(xs, x0, cell).max()) + 1, int(_floor_index(ys, y0, cell).max()) + 1
    fnx, fny = int(_floor_index(xs, x0, fine).max()) + 1, int(_floor_index(ys, y0, fine).max()) + 1

    # candidate parts per cell: every cell of each part's bounding box
    i0, i1 = _floor_index(bounds[:, 0], x0, cell), _floor_index(bounds[:, 2], x0, cell)
    j0, j1 = _floor_index(bounds[:, 1], y0, cell), _floor_index(bounds[:, 3], y0, cell)
    cells = _block_cells(i0, i1, j0, j1, nx)
    counts = (i1 - i0 + 1) * (j1 - j0 + 1)
    part_of = np.repeat(np.arange(len(parts), dtype=np.int64), counts)
    order = np.argsort(cells, kind="stable")
    cand = part_of[order]
    offsets = np.zeros(nx * ny + 1, dtype=np.int64)
    np.cumsum(np.bincount(cells, minlength=nx * ny), out=offsets[1:])

    return PartIndex(
        parts=parts,
        part_rank=rank[owner].astype(np.int64),
        bounds=bounds,
        x0=x0,
        y0=y0,
        cell=cell,
        nx=nx,
        ny=ny,
        offsets=offsets,
        cand=cand,
        fine=fine,
        fnx=fnx,
        fny=fny,
        state=None,
        keep=geoms.copy(),
    )


def _state_grid(index: PartIndex) -> np.ndarray:
    """The fine answer grid: every cell a boundary segment may touch marked as crossed (-2), the others answered.

    int16 while the ranks fit (half the memory: on a fresh process the page faults of a 64 MB grid cost more than
    filling it).
    """
    small = len(index.part_rank) == 0 or int(index.part_rank.max()) < np.iinfo(np.int16).max
    state = np.full(index.fnx * index.fny, _UNKNOWN, dtype=np.int16 if small else np.int32)
    rings = shapely.get_rings(index.parts)
    if len(rings):
        coords, ring_of = shapely.get_coordinates(rings, return_index=True)
        seg = np.flatnonzero(ring_of[1:] == ring_of[:-1])
        ci, cj = _floor_index(coords[:, 0], index.x0, index.fine), _floor_index(coords[:, 1], index.y0, index.fine)
        crossed = _crossed_cells(
            coords[seg],
            coords[seg + 1],
            ci[seg],
            ci[seg + 1],
            cj[seg],
            cj[seg + 1],
            index.x0,
            index.y0,
            index.fine,
            index.fnx,
        )
        state[crossed] = _MIXED
    _settle_runs(index, state)
    return state


_BLOCK_CELLS = 1 << 20
"""Cells per block of rows while settling runs (small temporaries, reused: no fresh pages for each)."""


def _settle_runs(index: PartIndex, state: np.ndarray) -> None:
    """Answer every run of untouched cells along a grid row by one centre test (see the module docstring).

    Nationally 64,000 runs stand for 15.8 million cells, so the grid is complete when built: a first call with a
    million new points is answered like a warm one. Runs never cross rows, so the grid is walked in blocks of rows.
    """
    grid = state.reshape(index.fny, index.fnx)
    rows = max(1, _BLOCK_CELLS // index.fnx)
    blocks = range(0, index.fny, rows)
    firsts, lasts = [], []
    for r in blocks:
        free = grid[r : r + rows] == _UNKNOWN
        start, stop = free.copy(), free.copy()
        start[:, 1:] &= ~free[:, :-1]
        stop[:, :-1] &= ~free[:, 1:]
        firsts.append(np.flatnonzero(start) + r * index.fnx)
        lasts.append(np.flatnonzero(stop) + r * index.fnx)
    per_block = np.cumsum([0] + [len(f) for f in firsts])
    first, last = np.concatenate(firsts), np.concatenate(lasts)
    if len(first) == 0:
        return
    ci, cj = first % index.fnx, first // index.fnx
    cx = index.x0 + (ci + 0.5) * index.fine
    cy = index.y0 + (cj + 0.5) * index.fine
    # a centre that rounds into a neighbour cell cannot stand for its run: that run settles cell by cell later
    exact = (_floor_index(cx, index.x0, index.fine) == ci) & (_floor_index(cy, index.y0, index.fine) == cj)
    answer = np.full(len(first), _UNKNOWN, dtype=state.dtype)
    answer[exact] = _best_rank(index, cx[exact], cy[exact])
    length = last - first + 1
    for k, r in enumerate(blocks):
        block = grid[r : r + rows]
        free = block == _UNKNOWN
        runs = slice(per_block[k], per_block[k + 1])
        block[free] = np.repeat(answer[runs], length[runs])  # runs cover the free cells, in cell order


def _crossed_cells(
    a: np.ndarray,
    b: np.ndarray,
    a_i: np.ndarray,
    b_i: np.ndarray,
    a_j: np.ndarray,
    b_j: np.ndarray,
    x0: float,
    y0: float,
    cell: float,
    nx: int,
) -> np.ndarray:
    """Flat ids of the cells each segment ``a[k]``–``b[k]`` ((k, 2) arrays) may touch.

    Candidates are the cells of the segment's bounding box (exact under the floor function, which is monotone);
    of those, a cell is dropped only when all four corners of the cell, widened by a millionth of a cell, lie
    strictly on one side of the segment's line, so rounding can only keep a cell too many, never drop one.
    """
    i0, i1 = np.minimum(a_i, b_i), np.maximum(a_i, b_i)
    j0, j1 = np.minimum(a_j, b_j), np.maximum(a_j, b_j)
    single = (i0 == i1) | (j0 == j1)  # a row or column of cells: the bounding box is the exact answer
    out = [_block_cells(i0[single], i1[single], j0[single], j1[single], nx)]
    many = np.flatnonzero(~single)
    counts = (i1[many] - i0[many] + 1) * (j1[many] - j0[many] + 1)
    cells = _block_cells(i0[many], i1[many], j0[many], j1[many], nx)
    seg = np.repeat(many, counts)
    ci, cj = cells % nx, cells // nx
    tol = cell * 1e-6
    xl, xh = x0 + ci * cell - tol, x0 + (ci + 1) * cell + tol
    yl, yh = y0 + cj * cell - tol, y0 + (cj + 1) * cell + tol
    ax, ay, dx, dy = a[seg, 0], a[seg, 1], b[seg, 0] - a[seg, 0], b[seg, 1] - a[seg, 1]
    sides = [dx * (cy - ay) - dy * (cx - ax) for cx, cy in ((xl, yl), (xl, yh), (xh, yl), (xh, yh))]
    lo = np.minimum(np.minimum(sides[0], sides[1]), np.minimum(sides[2], sides[3]))
    hi = np.maximum(np.maximum(sides[0], sides[1]), np.maximum(sides[2], sides[3]))
    out.append(cells[(lo <= 0) & (hi >= 0)])
    return np.concatenate(out)


def _block_cells(i0: np.ndarray, i1: np.ndarray, j0: np.ndarray, j1: np.ndarray, nx: int) -> np.ndarray:
    """Flat ids of every cell in the blocks [i0..i1] × [j0..j1] (inclusive), block after block."""
    w = i1 - i0 + 1
    counts = w * (j1 - j0 + 1)
    total = int(counts.sum())
    start = np.repeat(np.cumsum(counts) - counts, counts)
    k = np.arange(total, dtype=np.int64) - start
    wr = np.repeat(w, counts)
    return (np.repeat(j0, counts) + k // wr) * nx + np.repeat(i0, counts) + k % wr


def _cells(index: PartIndex, x: np.ndarray, y: np.ndarray, *, fine: bool) -> tuple[np.ndarray, np.ndarray]:
    """(positions inside the grid, their flat cell ids) on the candidate grid or the fine answer grid."""
    side, nx, ny = (index.fine, index.fnx, index.fny) if fine else (index.cell, index.nx, index.ny)
    with np.errstate(invalid="ignore"):
        fi = np.floor((x - index.x0) / side)
        fj = np.floor((y - index.y0) / side)
        ok = (fi >= 0) & (fi < nx) & (fj >= 0) & (fj < ny)  # NaN compares False
    live = np.flatnonzero(ok)
    return live, fj[live].astype(np.int64) * nx + fi[live].astype(np.int64)


def _pairs(index: PartIndex, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(point, part) pairs whose bounding boxes hold each other."""
    live, cells = _cells(index, x, y, fine=False)
    s, e = index.offsets[cells], index.offsets[cells + 1]
    m = e - s
    total = int(m.sum())
    pt = np.repeat(live, m)
    k = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(m) - m, m)
    part = index.cand[np.repeat(s, m) + k]
    b = index.bounds
    px, py = x[pt], y[pt]
    inside = (b[part, 0] <= px) & (px <= b[part, 2]) & (b[part, 1] <= py) & (py <= b[part, 3])
    return pt[inside], part[inside]


def _best_rank(index: PartIndex, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Smallest tie rank of the parts each point intersects (closed polygons), or -1."""
    pt, part = _pairs(index, x, y)
    # part by part: GEOS keeps one polygon's point locator hot in cache (measured 3.4× faster than point order)
    key = part.astype(np.uint16) if len(index.parts) <= 65536 else part  # 16-bit keys: numpy radix-sorts them
    order = np.argsort(key, kind="stable")
    pt, part = pt[order], part[order]
    hit = shapely.intersects_xy(index.parts[part], x[pt], y[pt])
    none = np.iinfo(np.int64).max
    best = np.full(len(x), none, dtype=np.int64)
    np.minimum.at(best, pt[hit], index.part_rank[part[hit]])
    return np.where(best == none, -1, best)


def locate_rank(index: PartIndex, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Tie rank of the area each point (``x, y`` float arrays, NaN allowed) lies in, or -1.

    The rank is the caller's tie rank (smallest wins), so the area is ``argsort(rank)[result]``.
    """
    n = len(x)
    out = np.full(n, -1, dtype=np.int64)
    if n == 0 or len(index.parts) == 0:
        return out
    with index.lock:
        direct = index.state is None and index.asked + n < STATE_AFTER
        if direct:
            index.asked += n
        elif index.state is None:
            index.state = _state_grid(index)
    if direct:
        return _best_rank(index, x, y)
    live, cells = _cells(index, x, y, fine=True)
    with index.lock:
        state = index.state
        unknown = np.unique(cells[state[cells] == _UNKNOWN])
        if len(unknown):
            ci, cj = unknown % index.fnx, unknown // index.fnx
            cx = index.x0 + (ci + 0.5) * index.fine
            cy = index.y0 + (cj + 0.5) * index.fine
            # a centre that rounds into a neighbour cell cannot stand for its cell: test those cells' points
            exact = (_floor_index(cx, index.x0, index.fine) == ci) & (_floor_index(cy, index.y0, index.fine) == cj)
            state[unknown[~exact]] = _MIXED
            state[unknown[exact]] = _best_rank(index, cx[exact], cy[exact])
        known = state[cells]
    mixed = known == _MIXED
    out[live[~mixed]] = known[~mixed]
    sel = live[mixed]
    out[sel] = _best_rank(index, x[sel], y[sel])
    return out


_area_cache: OrderedDict[bytes, tuple[object, np.ndarray]] = OrderedDict()


def cached_per_geometry(geoms: np.ndarray, tag: str, compute: Callable[[], np.ndarray]) -> np.ndarray:
    """``compute()`` (an array per geometry, e.g. areas in km²) cached on the identity of ``geoms`` and ``tag``.

    Returns a read-only array; the cache keeps a reference to the geometries (see the module docstring).
    """
    key = tag.encode() + np.fromiter(map(id, geoms), dtype=np.int64, count=len(geoms)).tobytes()
    with _cache_lock:
        hit = _area_cache.get(key)
        if hit is not None:
            _area_cache.move_to_end(key)
            return hit[1]
    value = np.asarray(compute())
    value.flags.writeable = False
    with _cache_lock:
        _area_cache[key] = (geoms.copy(), value)
        while len(_area_cache) > 4 * CACHE_SIZE:
            _area_cache.popitem(last=False)
    return value
