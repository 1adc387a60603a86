"""Geometry-free coverage core: a sparse hub × demand table of costs, and what it covers.

Everything about *which demand a hub reaches* is a :class:`CoverageTable`: the (hub, demand, cost) pairs whose
cost is within reach, stored sorted by hub (CSR layout). Straight-line distance builds it from metric
coordinates (:func:`coverage_table`); any other cost — road travel time, walking minutes from a routing
engine — builds it from a matrix (:func:`coverage_from_cost_matrix`, like spopt's ``from_cost_matrix``).
Coverage figures (:func:`summarise_coverage`) and siting (:mod:`geo.siting`) only ever see the table, so the
cost can change without touching them.

Pairs are found with ``scipy.spatial.cKDTree.sparse_distance_matrix``: one C++ call returning every pair
within the radius with its distance. On 10,000 hubs × 100,000 points at 5 km it took 0.06 s here against
0.30 s for ``shapely.STRtree.query(predicate="dwithin")`` (which also returns no distances).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from geo._errors import ValidationError

if TYPE_CHECKING:  # scipy is imported where it is used: every point lookup imports this module, few need scipy
    from scipy import sparse


@dataclass(frozen=True)
class CoverageTable:
    """Hub × demand pairs within reach, with their cost, sorted by hub.

    Attributes
    ----------
    n_hubs, n_demand
        Shape of the (implicit) full matrix.
    hub, demand
        Row positions (0-based) of each pair; ``hub`` is sorted.
    cost
        Cost of each pair (metres for straight-line tables, any unit for a cost matrix).
    max_cost
        The reach the table was built with: every pair has ``cost <= max_cost``.
    """

    n_hubs: int
    n_demand: int
    hub: np.ndarray
    demand: np.ndarray
    cost: np.ndarray
    max_cost: float

    def __post_init__(self) -> None:
        for name in ("hub", "demand", "cost"):
            getattr(self, name).flags.writeable = False

    @property
    def n_pairs(self) -> int:
        return len(self.hub)

    def within(self, max_cost: float) -> CoverageTable:
        """The sub-table of pairs with ``cost <= max_cost`` (e.g. 1 km out of a 5 km table)."""
        if max_cost > self.max_cost:
            raise ValueError(f"the table only reaches {self.max_cost}; it cannot answer {max_cost}")
        keep = self.cost <= max_cost
        return CoverageTable(
            self.n_hubs, self.n_demand, self.hub[keep], self.demand[keep], self.cost[keep], float(max_cost)
        )

    def subset(self, hubs: np.ndarray) -> CoverageTable:
        """The table restricted to the hubs at positions ``hubs``, renumbered 0.. in that order."""
        hubs = np.asarray(hubs, dtype=np.int64)
        new = np.full(self.n_hubs, -1, dtype=np.int64)
        new[hubs] = np.arange(len(hubs))
        keep = new[self.hub] >= 0
        order = np.argsort(new[self.hub[keep]], kind="stable")
        return CoverageTable(
            len(hubs),
            self.n_demand,
            new[self.hub[keep]][order],
            self.demand[keep][order],
            self.cost[keep][order],
            self.max_cost,
        )

    def matrix(self) -> sparse.csr_array:
        """Boolean-like hub × demand incidence matrix (1.0 where the hub reaches the demand)."""
        from scipy import sparse

        return sparse.csr_array((np.ones(self.n_pairs), (self.hub, self.demand)), shape=(self.n_hubs, self.n_demand))

    def indptr(self) -> np.ndarray:
        """CSR row pointer: the pairs of hub ``i`` are ``indptr[i]:indptr[i+1]``."""
        return np.concatenate([[0], np.cumsum(np.bincount(self.hub, minlength=self.n_hubs))])

    def n_covering(self) -> np.ndarray:
        """Number of hubs reaching each demand row."""
        return np.bincount(self.demand, minlength=self.n_demand)


def table_from_pairs(
    n_hubs: int, n_demand: int, hub: np.ndarray, demand: np.ndarray, cost: np.ndarray, max_cost: float
) -> CoverageTable:
    # one argsort of a combined key: pairs are unique, so no tie decides the order (5× faster than
    # np.lexsort((demand, hub)) on 3 M pairs, measured here: 0.16 s vs 0.88 s); a 32-bit key when it fits
    # sorts faster still (4.1 vs 5.1 ms for 192,000 pairs), and each column is copied once
    hub = np.asarray(hub, dtype=np.int64)
    demand = np.asarray(demand, dtype=np.int64)
    width = max(int(n_demand), 1)
    if int(n_hubs) * width < 2**31:
        key = hub.astype(np.int32) * np.int32(width) + demand.astype(np.int32)
    else:
        key = hub * width + demand
    order = np.argsort(key)
    return CoverageTable(
        int(n_hubs), int(n_demand), hub[order], demand[order], np.asarray(cost, dtype=float)[order], float(max_cost)
    )


def coverage_table(hub_xy: np.ndarray, demand_xy: np.ndarray, radius_m: float) -> CoverageTable:
    """Every hub–demand pair within ``radius_m`` (straight line), from metric coordinates.

    Parameters
    ----------
    hub_xy, demand_xy
        ``(n, 2)`` arrays of x/y in metres, both in the same projected CRS.
    radius_m
        Reach in metres; a pair at exactly ``radius_m`` is covered.

    Returns
    -------
    CoverageTable
        With ``cost`` = distance in metres.

    Examples
    --------
    >>> t = coverage_table(np.array([[0.0, 0.0]]), np.array([[300.0, 400.0], [2000.0, 0.0]]), 500)
    >>> t.demand.tolist(), t.cost.tolist()
    ([0], [500.0])
    """
    hub_xy = np.asarray(hub_xy, dtype=float).reshape(-1, 2)
    demand_xy = np.asarray(demand_xy, dtype=float).reshape(-1, 2)
    if not (np.isfinite(radius_m) and radius_m >= 0):
        raise ValidationError(f"radius must be a non-negative number of metres, got {radius_m!r}")
    for name, xy in (("hub", hub_xy), ("demand", demand_xy)):
        if not np.isfinite(xy).all():
            raise ValidationError(f"{name} coordinates hold NaN or infinite values")
    hub, demand, cost = pairs_within(hub_xy, demand_xy, radius_m)
    return table_from_pairs(len(hub_xy), len(demand_xy), hub, demand, cost, radius_m)


def pairs_within(
    hub_xy: np.ndarray, demand_xy: np.ndarray, radius_m: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unsorted (hub, demand, distance) of every pair within ``radius_m`` (callers sort once, see _table)."""
    if len(hub_xy) == 0 or len(demand_xy) == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.empty(0)
    # unbalanced, uncompacted trees build in half the time and answer a fixed-radius query as fast
    # (1.2-1.6x faster overall on 1,000-10,000 hubs x 100,000 points, measured here)
    from scipy.spatial import cKDTree

    hub_tree = cKDTree(hub_xy, balanced_tree=False, compact_nodes=False)
    demand_tree = cKDTree(demand_xy, balanced_tree=False, compact_nodes=False)
    pairs = hub_tree.sparse_distance_matrix(demand_tree, radius_m, output_type="ndarray")
    return pairs["i"], pairs["j"], pairs["v"]


def coverage_from_cost_matrix(cost: np.ndarray | sparse.sparray | sparse.spmatrix, max_cost: float) -> CoverageTable:
    """A coverage table from any hub × demand cost matrix (travel minutes, network metres …).

    Parameters
    ----------
    cost
        Dense ``(n_hubs, n_demand)`` array, where ``inf``/NaN mean unreachable; or a scipy sparse matrix whose
        *stored* entries are the reachable costs (a stored 0 is a cost of 0, an absent entry is unreachable).
    max_cost
        Reach in the matrix's unit: pairs with ``cost <= max_cost`` are covered.

    Examples
    --------
    >>> minutes = np.array([[5.0, 12.0, np.inf], [20.0, 9.0, 14.0]])
    >>> t = coverage_from_cost_matrix(minutes, 10)
    >>> list(zip(t.hub.tolist(), t.demand.tolist()))
    [(0, 0), (1, 1)]
    """
    from scipy import sparse

    if sparse.issparse(cost):
        coo = sparse.coo_array(cost)
        hub, demand, values = coo.row, coo.col, np.asarray(coo.data, dtype=float)
        n_hubs, n_demand = coo.shape
    else:
        matrix = np.asarray(cost, dtype=float)
        if matrix.ndim != 2:
            raise ValidationError(f"cost matrix must be 2-D (hubs × demand), got shape {matrix.shape}")
        n_hubs, n_demand = matrix.shape
        hub, demand = np.nonzero(np.isfinite(matrix))
        values = matrix[hub, demand]
    if (values < 0).any():
        raise ValidationError("cost matrix holds negative costs: costs must be >= 0")
    keep = np.isfinite(values) & (values <= max_cost)
    return table_from_pairs(n_hubs, n_demand, hub[keep], demand[keep], values[keep], max_cost)


@dataclass(frozen=True)
class CoverageFigures:
    """Coverage of weighted demand by all hubs of a table (see :func:`summarise_coverage`)."""

    total: float
    covered: float
    multi_covered: float
    n_covering: np.ndarray
    hub_covered: np.ndarray
    hub_exclusive: np.ndarray
    hub_demand_rows: np.ndarray

    @property
    def share(self) -> float:
        return self.covered / self.total if self.total > 0 else float("nan")

    @property
    def hub_shared(self) -> np.ndarray:
        return self.hub_covered - self.hub_exclusive


def summarise_coverage(table: CoverageTable, weights: np.ndarray) -> CoverageFigures:
    """Covered demand in total, by two or more hubs, and per hub (all, exclusive, shared).

    A demand row is *exclusive* to a hub when no other hub of the table reaches it; ``shared`` is the rest
    of what the hub reaches. The covered total counts each demand row once (a union, never a sum).

    Examples
    --------
    >>> t = coverage_from_cost_matrix(np.array([[1.0, 1.0, 9.0], [9.0, 1.0, 1.0]]), 2)
    >>> f = summarise_coverage(t, np.array([10.0, 20.0, 30.0]))
    >>> f.covered, f.multi_covered, f.hub_exclusive.tolist(), f.hub_shared.tolist()
    (60.0, 20.0, [10.0, 30.0], [20.0, 20.0])
    """
    w = np.asarray(weights, dtype=float)
    if len(w) != table.n_demand:
        raise ValidationError(f"{len(w)} weights for {table.n_demand} demand rows")
    n_cov = table.n_covering()
    pair_w = w[table.demand]
    alone = n_cov[table.demand] == 1
    return CoverageFigures(
        total=float(w.sum()),
        covered=float(w[n_cov > 0].sum()),
        multi_covered=float(w[n_cov > 1].sum()),
        n_covering=n_cov,
        hub_covered=np.bincount(table.hub, weights=pair_w, minlength=table.n_hubs),
        hub_exclusive=np.bincount(table.hub[alone], weights=pair_w[alone], minlength=table.n_hubs),
        hub_demand_rows=np.bincount(table.hub, minlength=table.n_hubs),
    )
