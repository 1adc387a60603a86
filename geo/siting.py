"""Siting on a coverage table: maximal covering (choose k) and set covering (fewest reaching a target share).

Three methods, all working on a :class:`geo.coverage.CoverageTable` and demand weights only:

``"greedy"``
    Add, one at a time, the candidate that covers the most still-uncovered demand (lazy evaluation: gains only
    shrink as sites are added, so a stale gain is an upper bound and most candidates are never re-scored).
    Coverage is submodular, so greedy is guaranteed at least 1 − 1/e ≈ 63 % of the optimum; on real cases it
    is usually within a few per cent.
``"swap"`` (``k`` only)
    Greedy, then local search: exchange one chosen site for one other candidate while that covers more
    (Teitz & Bart's interchange). Each round scores every exchange with ``k`` sparse products; it closes most
    of greedy's gap for large instances where the exact model would be slow.
``"exact"``
    The maximal covering location problem (MCLP, Church & ReVelle 1974) or the location set covering problem
    (LSCP, partial-coverage variant) as a small integer programme, solved by CBC (bundled with PuLP). Demand
    rows covered by exactly the same candidates are merged first, which shrinks the model a lot.

The chosen sites are reported in order with the marginal gain of each (for the exact method: the chosen set
ordered greedily, so the gains still add up to its coverage).
"""

from __future__ import annotations

import heapq
import logging
from dataclasses import dataclass, field

import numpy as np

from geo._errors import ValidationError
from geo.coverage import CoverageTable

log = logging.getLogger(__name__)

METHODS = ("greedy", "swap", "exact")


@dataclass(frozen=True)
class Siting:
    """Chosen hub positions in order, each one's marginal gain, and how the choice was made."""

    order: np.ndarray
    gain: np.ndarray
    total: float
    method: str
    optimal: bool | None
    info: dict[str, object] = field(default_factory=dict)

    @property
    def covered(self) -> float:
        return float(self.gain.sum())

    @property
    def cumulative(self) -> np.ndarray:
        return np.cumsum(self.gain)


def _check(table: CoverageTable, weights: np.ndarray) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    if len(w) != table.n_demand:
        raise ValidationError(f"{len(w)} weights for {table.n_demand} demand rows")
    if not np.isfinite(w).all() or (w < 0).any():
        raise ValidationError("demand weights must be finite and >= 0")
    return w


def greedy_order(
    table: CoverageTable,
    weights: np.ndarray,
    *,
    k: int | None = None,
    target: float | None = None,
    candidates: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Greedy (lazy) choice: positions and marginal gains, until ``k`` sites or covered weight ``>= target``.

    Stops early when no remaining candidate adds anything. ``candidates`` restricts the choice to some hubs
    (used to order an exact solution). Ties go to the lower hub position, so results are reproducible.

    Examples
    --------
    >>> from geo.coverage import coverage_from_cost_matrix
    >>> t = coverage_from_cost_matrix(np.array([[1, 1, 9], [9, 1, 1], [9, 9, 1.0]]), 2)
    >>> order, gain = greedy_order(t, np.array([5.0, 1.0, 4.0]), k=2)
    >>> order.tolist(), gain.tolist()
    ([0, 1], [6.0, 4.0])
    """
    w = _check(table, weights)
    indptr = table.indptr()
    uncovered = np.ones(table.n_demand, dtype=bool)
    pool = np.arange(table.n_hubs) if candidates is None else np.asarray(candidates, dtype=np.int64)
    initial = np.bincount(table.hub, weights=w[table.demand], minlength=table.n_hubs)
    # heap of (-gain, position): stale gains are upper bounds because coverage only ever shrinks them
    heap = [(-initial[i], int(i)) for i in pool]
    heapq.heapify(heap)
    order: list[int] = []
    gains: list[float] = []
    covered = 0.0
    limit = len(pool) if k is None else min(k, len(pool))
    while heap and len(order) < limit and (target is None or covered < target):
        _, i = heapq.heappop(heap)
        rows = table.demand[indptr[i] : indptr[i + 1]]
        fresh = float(w[rows[uncovered[rows]]].sum())
        if heap and fresh < -heap[0][0] - 1e-12 * max(1.0, fresh):
            heapq.heappush(heap, (-fresh, i))
            continue
        if fresh <= 0:
            break
        order.append(i)
        gains.append(fresh)
        uncovered[rows] = False
        covered += fresh
    return np.array(order, dtype=np.int64), np.array(gains, dtype=float)


def swap_improve(
    table: CoverageTable, weights: np.ndarray, chosen: np.ndarray, *, max_rounds: int = 200
) -> tuple[np.ndarray, int]:
    """Exchange one chosen hub for another candidate while it raises the covered weight (best exchange first).

    Returns the improved set (sorted) and the number of exchanges made.

    Examples
    --------
    >>> from geo.coverage import coverage_from_cost_matrix
    >>> cover = np.array([[1, 1, 1, 1, 0, 0], [1, 1, 0, 0, 1, 0], [0, 0, 1, 1, 0, 1.0]])
    >>> t = coverage_from_cost_matrix(np.where(cover > 0, 1.0, np.inf), 1)
    >>> swap_improve(t, np.ones(6), np.array([0, 1]))
    (array([1, 2]), 1)
    """
    w = _check(table, weights)
    matrix = table.matrix()
    current = np.zeros(table.n_hubs, dtype=bool)
    current[np.asarray(chosen, dtype=np.int64)] = True
    swaps = 0
    for _ in range(max_rounds):
        count = matrix.T @ current.astype(float)  # hubs of the set reaching each demand row
        free = w * (count == 0)
        gain_in = matrix @ free  # what each candidate adds on its own
        best = (0.0, -1, -1)
        for out in np.flatnonzero(current):
            only = w * ((count == 1) & (matrix[[out], :].toarray()[0] > 0))  # lost when `out` leaves ...
            net = gain_in + matrix @ only - only.sum()  # ... unless the newcomer reaches it too
            net[current] = -np.inf
            h = int(np.argmax(net))
            if net[h] > best[0] + 1e-9 * max(1.0, float(w.sum())):
                best = (float(net[h]), int(out), h)
        if best[1] < 0:
            break
        current[best[1]], current[best[2]] = False, True
        swaps += 1
    return np.flatnonzero(current), swaps


def _groups(table: CoverageTable, w: np.ndarray) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Merge demand rows reached by the same hubs: (hub set of each group, group weights, hubs used)."""
    useful = (w > 0) & (table.n_covering() > 0)
    keep = useful[table.demand]
    hub, demand = table.hub[keep], table.demand[keep]
    by_demand = np.lexsort((hub, demand))
    hub, demand = hub[by_demand], demand[by_demand]
    starts = np.flatnonzero(np.r_[True, demand[1:] != demand[:-1]])
    sets = np.split(hub, starts[1:]) if len(hub) else []
    weights: dict[tuple[int, ...], float] = {}
    for s, d in zip(sets, demand[starts], strict=True):
        key = tuple(s.tolist())
        weights[key] = weights.get(key, 0.0) + float(w[d])
    hubs_used = np.unique(hub)
    return [np.array(k) for k in weights], np.array(list(weights.values())), hubs_used


def _cbc(time_limit: float | None) -> object:
    """CBC through ``COIN_CMD``: a ``cbc`` on the PATH (``pip install pulp[cbc]``), else the binary bundled
    with PuLP 3 (its ``PULP_CBC_CMD`` wrapper is deprecated for PuLP 4, the binary itself is the same)."""
    import pulp
    from pulp.apis.coin_api import PULP_CBC_CMD

    options = {"msg": False, "timeLimit": time_limit, "gapRel": 0.0}
    solver = pulp.COIN_CMD(**options)
    if solver.available():
        return solver
    solver = pulp.COIN_CMD(path=PULP_CBC_CMD.pulp_cbc_path, **options)
    if solver.available():
        return solver
    raise RuntimeError("no CBC solver runs here: install it with `pip install pulp[cbc]` (or put cbc on the PATH)")


def _solve(problem: object, time_limit: float | None) -> tuple[bool, str]:
    import pulp

    solver = _cbc(time_limit)
    problem.solve(solver)  # type: ignore[attr-defined]
    sol = problem.sol_status  # type: ignore[attr-defined]
    if sol not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        raise RuntimeError(f"CBC found no solution (status {pulp.LpSolution[sol]}); raise time_limit")
    return sol == pulp.LpSolutionOptimal, pulp.LpSolution[sol]


def exact_max_cover(
    table: CoverageTable, weights: np.ndarray, *, k: int, time_limit: float | None = 60.0
) -> tuple[np.ndarray, bool, dict[str, object]]:
    """MCLP: the ``k`` hubs (at most) covering the most weight, by CBC. Returns (hubs, optimal, info)."""
    import pulp

    w = _check(table, weights)
    sets, gw, hubs_used = _groups(table, w)
    if len(hubs_used) <= k:  # every useful candidate fits: nothing to optimise
        return hubs_used, True, {"groups": len(sets), "variables": 0, "status": "trivial"}
    prob = pulp.LpProblem("mclp", pulp.LpMaximize)
    x = {int(i): prob.add_variable(f"x{i}", cat="Binary") for i in hubs_used}
    y = [prob.add_variable(f"y{g}", 0, 1) for g in range(len(sets))]
    prob += pulp.lpSum(float(c) * v for c, v in zip(gw, y, strict=True))
    for g, s in enumerate(sets):
        prob += y[g] <= pulp.lpSum(x[int(i)] for i in s)
    prob += pulp.lpSum(x.values()) <= k
    optimal, status = _solve(prob, time_limit)
    chosen = np.array(sorted(i for i, v in x.items() if (v.value() or 0) > 0.5), dtype=np.int64)
    return chosen, optimal, {"groups": len(sets), "variables": len(x) + len(y), "status": status}


def exact_set_cover(
    table: CoverageTable, weights: np.ndarray, *, target: float, time_limit: float | None = 60.0
) -> tuple[np.ndarray, bool, dict[str, object]]:
    """LSCP (partial): the fewest hubs covering at least ``target`` weight, solved by CBC."""
    import pulp

    w = _check(table, weights)
    sets, gw, hubs_used = _groups(table, w)
    prob = pulp.LpProblem("lscp", pulp.LpMinimize)
    x = {int(i): prob.add_variable(f"x{i}", cat="Binary") for i in hubs_used}
    y = [prob.add_variable(f"y{g}", 0, 1) for g in range(len(sets))]
    prob += pulp.lpSum(x.values())
    for g, s in enumerate(sets):
        prob += y[g] <= pulp.lpSum(x[int(i)] for i in s)
    # y may be fractional only where covered anyway; the slack keeps float round-off from making it infeasible
    prob += pulp.lpSum(float(c) * v for c, v in zip(gw, y, strict=True)) >= target - 1e-9 * max(1.0, target)
    optimal, status = _solve(prob, time_limit)
    chosen = np.array(sorted(i for i, v in x.items() if (v.value() or 0) > 0.5), dtype=np.int64)
    return chosen, optimal, {"groups": len(sets), "variables": len(x) + len(y), "status": status}


def choose(
    table: CoverageTable,
    weights: np.ndarray,
    *,
    k: int | None = None,
    target_share: float | None = None,
    method: str = "greedy",
    time_limit: float | None = 60.0,
) -> Siting:
    """Maximal covering (``k``) or set covering (``target_share`` of the total weight) on a coverage table.

    Parameters
    ----------
    table
        Hub × demand reach, from :func:`geo.coverage.coverage_table` or a cost matrix.
    weights
        Demand weights (population, or 1 per transport-gap point).
    k
        Number of hubs to choose (MCLP). Fewer are returned when the rest add nothing.
    target_share
        Instead of ``k``: the fewest hubs covering at least this share (0–1] of the total weight (LSCP).
    method
        ``"greedy"``, ``"swap"`` (greedy + interchange; with ``k`` only) or ``"exact"`` (CBC through PuLP).
    time_limit
        Seconds CBC may take; beyond it the best solution found is returned with ``optimal=False``.

    Examples
    --------
    >>> from geo.coverage import coverage_from_cost_matrix
    >>> t = coverage_from_cost_matrix(np.array([[1, 1, 9, 9], [9, 1, 1, 9], [9, 9, 1, 1.0]]), 2)
    >>> w = np.array([3.0, 2.0, 2.0, 3.0])
    >>> choose(t, w, k=2, method="greedy").covered, choose(t, w, k=2, method="exact").covered
    (10.0, 10.0)
    """
    if method not in METHODS:
        raise ValidationError(f"method={method!r} is not one of {', '.join(map(repr, METHODS))}")
    if (k is None) == (target_share is None):
        raise ValidationError("give exactly one of k= (choose k hubs) and target_share= (fewest hubs to reach it)")
    w = _check(table, weights)
    total = float(w.sum())
    info: dict[str, object] = {}
    if k is not None:
        if not (isinstance(k, (int, np.integer)) and k >= 1):
            raise ValidationError(f"k must be a positive whole number, got {k!r}")
        if method == "greedy":
            order, gain = greedy_order(table, w, k=int(k))
            return Siting(order, gain, total, method, None, {"k": int(k)})
        if method == "swap":
            chosen, swaps = swap_improve(table, w, greedy_order(table, w, k=int(k))[0])
            optimal, info = None, {"swaps": swaps}
        else:
            chosen, optimal, info = exact_max_cover(table, w, k=int(k), time_limit=time_limit)
    else:
        if method == "swap":
            raise ValidationError("method='swap' chooses k sites; for target_share use 'greedy' or 'exact'")
        if not (isinstance(target_share, (int, float)) and 0 < target_share <= 1):
            raise ValidationError(f"target_share must be in (0, 1], got {target_share!r}")
        target = float(target_share) * total
        reachable = float(w[table.n_covering() > 0].sum())
        if reachable < target - 1e-9 * max(1.0, target):
            raise ValidationError(
                f"target_share={target_share} cannot be reached: all {table.n_hubs} candidates together "
                f"cover {reachable / total:.4f} of the demand; lower the target or add candidates / a larger "
                "radius"
            )
        if method == "greedy":
            order, gain = greedy_order(table, w, target=target - 1e-9 * max(1.0, target))
            return Siting(order, gain, total, method, None, {"target_share": target_share})
        chosen, optimal, info = exact_set_cover(table, w, target=target, time_limit=time_limit)
        info = {**info, "target_share": target_share}
    order, gain = greedy_order(table, w, candidates=chosen)
    if len(order) < len(chosen):  # a chosen site adding nothing still belongs to the solution
        rest = np.setdiff1d(chosen, order)
        order, gain = np.r_[order, rest], np.r_[gain, np.zeros(len(rest))]
    log.info("siting (%s): %d hubs cover %.0f of %.0f (optimal=%s)", method, len(order), gain.sum(), total, optimal)
    return Siting(order, gain, total, method, optimal, info)
