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

Assignment models (every demand row is served by one open hub; exact: HiGHS on sparse models, see
:mod:`geo._milp`, which also reports the gap to a proven lower bound; with capacities the classic
assignment model, also HiGHS):

``"p_median"``
    The ``k`` hubs with the least total weighted cost (Hakimi 1964; ReVelle & Swain 1970).
``"p_center"``
    The ``k`` hubs whose worst-served demand row (weight > 0) is nearest (the equity / "no one far" criterion).

Every model takes ``fixed`` hubs (existing sites that stay open; ``k`` more are chosen) and the exact ones take
``capacity`` (a hub serves at most that much weight). With capacities each demand row is served whole by one
hub (single sourcing, as spopt's ``facility_capacities``): a 1 km cell is not split between two hubs.

The chosen sites are reported in order with the marginal gain of each (for the exact method: the chosen set
ordered greedily, so the gains still add up to its coverage); fixed sites come first.
"""

from __future__ import annotations

import heapq
import logging
import typing
from dataclasses import dataclass, field

import numpy as np

from geo._errors import ValidationError
from geo._milp import capacitated as capacitated_milp
from geo._milp import p_center as p_center_milp
from geo._milp import p_median as p_median_milp
from geo.coverage import CoverageTable
from geo.params import COVERAGE_METHODS, Method

log = logging.getLogger(__name__)

METHODS = typing.get_args(Method)  # the models a question may ask for: one list, in geo.params
COVER_METHODS = COVERAGE_METHODS
ASSIGN_METHODS = ("p_median", "p_center")
MAX_ASSIGN_PAIRS = 2_000_000
"""Most (hub, demand) pairs an exact p-median/p-center model is built with (memory; single-source capacitated
models grow hard long before: 143 × 85 took 1.4 s here, scripts/bench_pmedian.py --capacitated)."""


@dataclass(frozen=True)
class Siting:
    """Chosen hub positions in order, each one's marginal gain, and how the choice was made."""

    order: np.ndarray
    gain: np.ndarray
    total: float
    method: str
    optimal: bool | None
    info: dict[str, object] = field(default_factory=dict)
    assignment: np.ndarray | None = None
    """Per demand row: the position of the hub serving it (nearest chosen within reach, or as the model
    assigned it), -1 when none does."""
    objective: float | None = None
    """Model objective: covered weight (MCLP/LSCP), total weighted cost (p-median), worst cost (p-center)."""

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
    fixed: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Greedy (lazy) choice: positions and marginal gains, until ``k`` sites or covered weight ``>= target``.

    Stops early when no remaining candidate adds anything. ``candidates`` restricts the choice to some hubs
    (used to order an exact solution). ``fixed`` hubs are taken first, in their order, whatever they add;
    ``k`` then counts the hubs chosen beyond them. Ties go to the lower hub position, so results are
    reproducible.

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
    fixed_pos = np.zeros(0, dtype=np.int64) if fixed is None else np.asarray(fixed, dtype=np.int64)
    order: list[int] = []
    gains: list[float] = []
    covered = 0.0
    for i in fixed_pos.tolist():
        rows = table.demand[indptr[i] : indptr[i + 1]]
        fresh = float(w[rows[uncovered[rows]]].sum())
        order.append(i)
        gains.append(fresh)
        uncovered[rows] = False
        covered += fresh
    pool = np.setdiff1d(pool, fixed_pos) if len(fixed_pos) else pool
    # the first gains of the free hubs: what each reaches that the fixed hubs leave uncovered
    initial = np.bincount(table.hub, weights=(w * uncovered)[table.demand], minlength=table.n_hubs)
    # heap of (-gain, position): stale gains are upper bounds because coverage only ever shrinks them
    heap = [(-initial[i], int(i)) for i in pool]
    heapq.heapify(heap)
    limit = len(order) + (len(pool) if k is None else min(k, len(pool)))
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
    table: CoverageTable,
    weights: np.ndarray,
    chosen: np.ndarray,
    *,
    max_rounds: int = 200,
    fixed: np.ndarray | None = None,
) -> tuple[np.ndarray, int]:
    """Exchange one chosen hub for another candidate while it raises the covered weight (best exchange first).

    ``fixed`` hubs (positions, part of ``chosen``) are never exchanged out.

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
    movable = np.ones(table.n_hubs, dtype=bool)
    if fixed is not None:
        movable[np.asarray(fixed, dtype=np.int64)] = False
    swaps = 0
    for _ in range(max_rounds):
        count = matrix.T @ current.astype(float)  # hubs of the set reaching each demand row
        free = w * (count == 0)
        gain_in = matrix @ free  # what each candidate adds on its own
        best = (0.0, -1, -1)
        for out in np.flatnonzero(current & movable):
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


def _cbc(time_limit: float | None, warm_start: bool = False) -> object:
    """CBC through ``COIN_CMD``: a ``cbc`` on the PATH (``pip install pulp[cbc]``), else the binary bundled
    with PuLP 3 (its ``PULP_CBC_CMD`` wrapper is deprecated for PuLP 4, the binary itself is the same)."""
    import pulp
    from pulp.apis.coin_api import PULP_CBC_CMD

    options = {"msg": False, "timeLimit": time_limit, "gapRel": 0.0, "warmStart": warm_start}
    solver = pulp.COIN_CMD(**options)
    if solver.available():
        return solver
    solver = pulp.COIN_CMD(path=PULP_CBC_CMD.pulp_cbc_path, **options)
    if solver.available():
        return solver
    raise RuntimeError("no CBC solver runs here: install it with `pip install pulp[cbc]` (or put cbc on the PATH)")


def _solve(problem: object, time_limit: float | None, warm_start: bool = False) -> tuple[bool, str]:
    import pulp

    solver = _cbc(time_limit, warm_start)
    problem.solve(solver)  # type: ignore[attr-defined]
    sol = problem.sol_status  # type: ignore[attr-defined]
    if sol not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        raise RuntimeError(f"CBC found no solution (status {pulp.LpSolution[sol]}); raise time_limit")
    return sol == pulp.LpSolutionOptimal, pulp.LpSolution[sol]


def _positions(values: np.ndarray | None) -> np.ndarray:
    return np.zeros(0, dtype=np.int64) if values is None else np.asarray(values, dtype=np.int64).reshape(-1)


def _chosen(x: dict[int, object]) -> np.ndarray:
    return np.array(sorted(i for i, v in x.items() if (v.value() or 0) > 0.5), dtype=np.int64)  # type: ignore[attr-defined]


def exact_max_cover(
    table: CoverageTable,
    weights: np.ndarray,
    *,
    k: int,
    time_limit: float | None = 60.0,
    fixed: np.ndarray | None = None,
    capacity: np.ndarray | None = None,
) -> tuple[np.ndarray, bool, dict[str, object]]:
    """MCLP: ``k`` hubs (at most) beyond the ``fixed`` ones covering the most weight, by CBC.

    With ``capacity`` (weight each hub can serve, one per hub position) a covered demand row is assigned whole
    to one open hub within reach and no hub's assigned weight exceeds its capacity; ``info["assignment"]``
    holds the hub of each demand row (-1: not served). Returns (hubs, optimal, info).
    """
    import pulp

    w = _check(table, weights)
    fixed_pos = _positions(fixed)
    if capacity is not None:
        return _capacitated_max_cover(table, w, k=k, fixed=fixed_pos, capacity=capacity, time_limit=time_limit)
    sets, gw, hubs_used = _groups(table, w)
    hubs_used = np.union1d(hubs_used, fixed_pos)
    if len(hubs_used) <= k + len(fixed_pos):  # every useful candidate fits: nothing to optimise
        return hubs_used, True, {"groups": len(sets), "variables": 0, "status": "trivial"}
    prob = pulp.LpProblem("mclp", pulp.LpMaximize)
    x = {int(i): prob.add_variable(f"x{i}", cat="Binary") for i in hubs_used}
    y = [prob.add_variable(f"y{g}", 0, 1) for g in range(len(sets))]
    prob += pulp.lpSum(float(c) * v for c, v in zip(gw, y, strict=True))
    for g, s in enumerate(sets):
        prob += y[g] <= pulp.lpSum(x[int(i)] for i in s)
    prob += pulp.lpSum(x.values()) <= k + len(fixed_pos)
    for i in fixed_pos.tolist():
        prob += x[int(i)] == 1
    optimal, status = _solve(prob, time_limit)
    return _chosen(x), optimal, {"groups": len(sets), "variables": len(x) + len(y), "status": status}


def _capacitated_max_cover(
    table: CoverageTable,
    w: np.ndarray,
    *,
    k: int,
    fixed: np.ndarray,
    capacity: np.ndarray,
    time_limit: float | None,
) -> tuple[np.ndarray, bool, dict[str, object]]:
    import pulp

    cap = _capacities(capacity, table.n_hubs)
    keep = w[table.demand] > 0
    hub, dem = table.hub[keep], table.demand[keep]
    prob = pulp.LpProblem("capacitated_mclp", pulp.LpMaximize)
    hubs_used = np.union1d(np.unique(hub), fixed)
    x = {int(i): prob.add_variable(f"x{i}", cat="Binary") for i in hubs_used}
    z = [prob.add_variable(f"z{p}", cat="Binary") for p in range(len(hub))]
    prob += pulp.lpSum(float(w[d]) * v for d, v in zip(dem, z, strict=True))
    for rows in _by(dem):
        prob += pulp.lpSum(z[p] for p in rows) <= 1
    for i, rows in zip(np.unique(hub), _by(hub), strict=True):
        prob += pulp.lpSum(float(w[dem[p]]) * z[p] for p in rows) <= float(cap[i]) * x[int(i)]
    prob += pulp.lpSum(x.values()) <= k + len(fixed)
    for i in fixed.tolist():
        prob += x[int(i)] == 1
    optimal, status = _solve(prob, time_limit)
    assignment = np.full(table.n_demand, -1, dtype=np.int64)
    served = np.array([(v.value() or 0) > 0.5 for v in z], dtype=bool)
    assignment[dem[served]] = hub[served]
    info = {"variables": len(x) + len(z), "status": status, "assignment": assignment}
    return _chosen(x), optimal, info


def _by(values: np.ndarray) -> list[np.ndarray]:
    """Pair positions grouped by value (values in ascending order of the value)."""
    order = np.argsort(values, kind="stable")
    starts = np.flatnonzero(np.r_[True, values[order][1:] != values[order][:-1]]) if len(values) else []
    return np.split(order, starts[1:]) if len(values) else []


def _capacities(capacity: np.ndarray, n_hubs: int) -> np.ndarray:
    cap = np.asarray(capacity, dtype=float).reshape(-1)
    if len(cap) != n_hubs:
        raise ValidationError(f"{len(cap)} capacities for {n_hubs} hubs")
    if not np.isfinite(cap).all() or (cap < 0).any():
        raise ValidationError("hub capacities must be finite and >= 0 (the weight a hub can serve)")
    return cap


def exact_set_cover(
    table: CoverageTable,
    weights: np.ndarray,
    *,
    target: float,
    time_limit: float | None = 60.0,
    fixed: np.ndarray | None = None,
) -> tuple[np.ndarray, bool, dict[str, object]]:
    """LSCP (partial): the fewest hubs beyond the ``fixed`` ones covering at least ``target`` weight, by CBC."""
    import pulp

    w = _check(table, weights)
    fixed_pos = _positions(fixed)
    sets, gw, hubs_used = _groups(table, w)
    hubs_used = np.union1d(hubs_used, fixed_pos)
    prob = pulp.LpProblem("lscp", pulp.LpMinimize)
    x = {int(i): prob.add_variable(f"x{i}", cat="Binary") for i in hubs_used}
    y = [prob.add_variable(f"y{g}", 0, 1) for g in range(len(sets))]
    prob += pulp.lpSum(x.values())
    for g, s in enumerate(sets):
        prob += y[g] <= pulp.lpSum(x[int(i)] for i in s)
    for i in fixed_pos.tolist():
        prob += x[int(i)] == 1
    # y may be fractional only where covered anyway; the slack keeps float round-off from making it infeasible
    prob += pulp.lpSum(float(c) * v for c, v in zip(gw, y, strict=True)) >= target - 1e-9 * max(1.0, target)
    optimal, status = _solve(prob, time_limit)
    return _chosen(x), optimal, {"groups": len(sets), "variables": len(x) + len(y), "status": status}


def _dense_costs(table: CoverageTable, active: np.ndarray) -> np.ndarray:
    """Hub × active-demand cost matrix, inf where the table holds no pair."""
    n_act = int(active.sum())
    if table.n_hubs * n_act > 40_000_000:
        raise ValidationError(
            f"{table.n_hubs:,} hubs × {n_act:,} demand rows is too large for the p-median heuristic: give radius_m "
            "or coarser demand"
        )
    col = np.cumsum(active) - 1
    keep = active[table.demand]
    dense = np.full((table.n_hubs, n_act), np.inf)
    dense[table.hub[keep], col[table.demand[keep]]] = table.cost[keep]
    return dense


def p_median_swap(
    table: CoverageTable,
    weights: np.ndarray,
    *,
    k: int,
    fixed: np.ndarray | None = None,
    max_rounds: int = 100,
) -> tuple[np.ndarray, float, int]:
    """p-median by greedy addition then Teitz & Bart's (1968) interchange: (open hubs sorted, Σ weight × cost,
    exchanges made).

    A heuristic for instances too large for the exact model (e.g. 122 道の駅 × 100,000 grid pieces): each
    round scores every exchange of one open (non-fixed) hub for one closed candidate with ``k`` vectorised
    passes over the cost matrix and makes the best, until none lowers the total. Usually within a fraction of a
    per cent of the optimum; the exact model (``p_median``) starts from this solution.

    Examples
    --------
    >>> from geo.coverage import coverage_from_cost_matrix
    >>> cost = np.array([[0.0, 1.0, 5.0, 6.0], [6.0, 5.0, 1.0, 0.0], [3.0, 2.0, 2.0, 3.0]])
    >>> hubs, value, swaps = p_median_swap(coverage_from_cost_matrix(cost, np.inf), np.ones(4), k=2)
    >>> hubs.tolist(), value
    ([0, 1], 2.0)
    """
    w_all = _check(table, weights)
    active = w_all > 0
    w = w_all[active]
    dense = _dense_costs(table, active)
    fixed_pos = [int(i) for i in _positions(fixed)]
    chosen = list(fixed_pos)
    best = dense[chosen].min(axis=0) if chosen else np.full(len(w), np.inf)
    with np.errstate(invalid="ignore"):
        for _ in range(k):
            totals = np.minimum(dense, best) @ w
            totals[chosen] = np.inf
            j = int(np.argmin(totals))
            chosen.append(j)
            best = np.minimum(best, dense[j])
        swaps = 0
        for _ in range(max_rounds):
            current = float(best @ w)
            sub = dense[chosen]
            if len(chosen) > 1:
                order = np.argsort(sub, axis=0)[:2]
                cols = np.arange(len(w))
                d1, d2 = sub[order[0], cols], sub[order[1], cols]
            else:
                order, d1, d2 = np.zeros((1, len(w)), dtype=int), sub[0], np.full(len(w), np.inf)
            move = (1e-9 * max(1.0, current), -1, -1)
            for pos, out in enumerate(chosen):
                if out in fixed_pos:
                    continue
                without = np.where(order[0] == pos, d2, d1)
                totals = np.minimum(dense, without) @ w
                totals[chosen] = np.inf
                j = int(np.argmin(totals))
                if current - totals[j] > move[0]:
                    move = (current - float(totals[j]), pos, j)
            if move[1] < 0:
                break
            chosen[move[1]] = move[2]
            best = dense[chosen].min(axis=0)
            swaps += 1
    return np.array(sorted(chosen), dtype=np.int64), float(best @ w), swaps


def exact_assignment(
    table: CoverageTable,
    weights: np.ndarray,
    *,
    k: int,
    objective: str = "p_median",
    fixed: np.ndarray | None = None,
    capacity: np.ndarray | None = None,
    time_limit: float | None = 60.0,
) -> tuple[np.ndarray, np.ndarray, float, bool, dict[str, object]]:
    """p-median or p-center: open ``k`` hubs beyond ``fixed`` and assign every demand row of weight > 0 to one.

    Parameters
    ----------
    table
        The reachable (hub, demand, cost) pairs; a pair absent from the table cannot be assigned. Build it
        with a reach wide enough for every demand row (e.g. ``max_cost=inf`` on a full cost matrix).
    weights
        Demand weights; rows of weight 0 take no part in the model (they are assigned to their nearest open
        hub afterwards).
    k
        Hubs to open beyond the fixed ones (exactly ``k`` + len(fixed) are open).
    objective
        ``"p_median"`` (least Σ weight × cost) or ``"p_center"`` (least worst cost over rows of weight > 0).
    fixed
        Hub positions that stay open.
    capacity
        Weight each hub can serve (one per hub position); then each row is served whole by one hub.
    time_limit
        Seconds HiGHS may take; ``info["gap"]`` and ``info["bound"]`` give the relative gap to the proven
        lower bound (0 when ``optimal``).

    Returns
    -------
    tuple
        (open hub positions sorted, assignment per demand row (hub position, -1 for unreachable rows of
        weight 0), objective value, optimal, info)

    Raises
    ------
    ValidationError
        When a demand row of weight > 0 is reachable from no candidate, when the capacities of the best
        possible set fall short of the demand (saying by how much), or when no assignment fits them.

    Examples
    --------
    >>> from geo.coverage import coverage_from_cost_matrix
    >>> cost = np.array([[0.0, 1.0, 5.0, 6.0], [6.0, 5.0, 1.0, 0.0], [3.0, 2.0, 2.0, 3.0]])
    >>> t = coverage_from_cost_matrix(cost, np.inf)
    >>> hubs, assign, value, optimal, _ = exact_assignment(t, np.ones(4), k=2)
    >>> hubs.tolist(), assign.tolist(), value
    ([0, 1], [0, 0, 1, 1], 2.0)
    """

    if objective not in ASSIGN_METHODS:
        raise ValidationError(f"objective={objective!r} is not one of {', '.join(map(repr, ASSIGN_METHODS))}")
    w = _check(table, weights)
    fixed_pos = _positions(fixed)
    n_open = k + len(fixed_pos)
    active = w > 0
    reach = np.zeros(table.n_demand, dtype=bool)
    reach[table.demand] = True
    stranded = np.flatnonzero(active & ~reach)
    if stranded.size:
        raise ValidationError(
            f"{stranded.size} demand rows with weight (total {w[stranded].sum():,.6g}; positions "
            f"{stranded[:10].tolist()}) are within reach of no candidate (reach {table.max_cost:g}): every row "
            "must be served in a p-median/p-center model; give a larger reach, more candidates, or drop them"
        )
    cap = None
    if capacity is not None:
        cap = _capacities(capacity, table.n_hubs)
        _check_capacity(cap, w, k=k, fixed=fixed_pos)
    keep = active[table.demand]
    if cap is None and len(fixed_pos):
        # uncapacitated, each row is best served by its nearest open hub, never farther than its nearest fixed
        # one: pairs beyond that cannot be in an optimal assignment (a sound and often large reduction)
        is_fixed = np.isin(table.hub, fixed_pos)
        nearest_fixed = np.full(table.n_demand, np.inf)
        np.minimum.at(nearest_fixed, table.demand[is_fixed], table.cost[is_fixed])
        keep &= table.cost <= nearest_fixed[table.demand]
    hub, dem, cost = table.hub[keep], table.demand[keep], table.cost[keep]
    if len(hub) > MAX_ASSIGN_PAIRS:
        raise ValidationError(
            f"the {objective} model would hold {len(hub):,} assignment variables (more than {MAX_ASSIGN_PAIRS:,}): "
            "give radius_m (the longest distance a demand row may be served along) to drop far pairs, or use "
            "coarser demand (mesh cells rather than grid pieces, fewer candidates)"
        )
    if cap is None:
        return _highs_assignment(table, w, hub, dem, cost, objective=objective, k=k, fixed=fixed_pos,
                                 time_limit=time_limit)  # fmt: skip
    solved, serves = capacitated_milp(hub, dem, cost, w, cap, objective=objective, n_hubs=table.n_hubs,
                                      n_open=n_open, fixed=fixed_pos, time_limit=time_limit)  # fmt: skip
    if solved.status == "infeasible":
        raise ValidationError(
            "no assignment fits the capacities: each demand row goes whole to one hub within reach, so even a "
            "sufficient total capacity can fail to pack; raise capacities, open more hubs or widen the reach"
        )
    assignment = _nearest_open(table, solved.chosen)
    assignment[dem[serves]] = hub[serves]  # the model's assignment, not the nearest open hub
    info = {"status": solved.status, "open": n_open, "solver": "HiGHS", "gap": solved.gap, "bound": solved.bound}
    info.update(solved.info)
    return solved.chosen, assignment, solved.value, solved.optimal, info


def _highs_assignment(
    table: CoverageTable,
    w: np.ndarray,
    hub: np.ndarray,
    dem: np.ndarray,
    cost: np.ndarray,
    *,
    objective: str,
    k: int,
    fixed: np.ndarray,
    time_limit: float | None,
) -> tuple[np.ndarray, np.ndarray, float, bool, dict[str, object]]:
    """Uncapacitated p-median / p-center by HiGHS (:mod:`geo._milp`), started from the interchange heuristic."""
    n_open = k + len(fixed)
    start = None
    if table.n_hubs * int((w > 0).sum()) <= 40_000_000:
        # a good first solution: it sets how many cost levels the p-median model starts with and the p-center
        # search's first radius, and it is the answer (not proven optimal) if HiGHS finds nothing in time
        start = p_median_swap(table, w, k=k, fixed=fixed)[0]
    solve = p_median_milp if objective == "p_median" else p_center_milp
    args = (hub, dem, cost, w) if objective == "p_median" else (hub, dem, cost)
    solved = solve(*args, n_hubs=table.n_hubs, n_open=n_open, fixed=fixed, start=start, time_limit=time_limit)
    if not solved.optimal:
        log.warning("%s: not proven optimal in time (gap %.3g %%)", objective, 100 * solved.gap)
    info = {"status": solved.status, "open": n_open, "solver": "HiGHS", "gap": solved.gap, "bound": solved.bound}
    info.update(solved.info)
    return solved.chosen, _nearest_open(table, solved.chosen), solved.value, solved.optimal, info


def _check_capacity(cap: np.ndarray, w: np.ndarray, *, k: int, fixed: np.ndarray) -> None:
    free = np.setdiff1d(np.arange(len(cap)), fixed)
    best = float(cap[fixed].sum() + np.sort(cap[free])[::-1][:k].sum())
    total = float(w.sum())
    if best < total - 1e-9 * max(1.0, total):
        raise ValidationError(
            f"the capacities cannot serve the demand: the {len(fixed)} fixed and the {k} largest other capacities "
            f"add up to {best:,.6g}, the demand is {total:,.6g}, short by {total - best:,.6g} "
            f"({(total - best) / total:.1%}); raise capacities or choose more hubs"
        )


def _nearest_open(table: CoverageTable, chosen: np.ndarray) -> np.ndarray:
    """Per demand row, the open hub with the least cost within the table (-1: none reaches it)."""
    assignment = np.full(table.n_demand, -1, dtype=np.int64)
    is_open = np.zeros(table.n_hubs, dtype=bool)
    is_open[chosen] = True
    keep = is_open[table.hub]
    hub, dem, cost = table.hub[keep], table.demand[keep], table.cost[keep]
    if len(hub):
        order = np.lexsort((hub, cost, dem))
        first = order[np.r_[True, dem[order][1:] != dem[order][:-1]]]
        assignment[dem[first]] = hub[first]
    return assignment


def choose(
    table: CoverageTable,
    weights: np.ndarray,
    *,
    k: int | None = None,
    target_share: float | None = None,
    method: str = "greedy",
    time_limit: float | None = 60.0,
    fixed: np.ndarray | None = None,
    capacity: np.ndarray | None = None,
) -> Siting:
    """Siting on a hub × demand table: maximal or set covering, p-median or p-center, with fixed sites.

    Parameters
    ----------
    table
        Hub × demand reach, from :func:`geo.coverage.coverage_table` or a cost matrix. For p-median and
        p-center it must hold every pair a demand row may be assigned along (a wide reach).
    weights
        Demand weights (population, or 1 per transport-gap point).
    k
        Number of hubs to choose beyond ``fixed`` (MCLP, p-median, p-center). MCLP returns fewer when the
        rest add nothing.
    target_share
        Instead of ``k``: the fewest hubs covering at least this share (0–1] of the total weight (LSCP).
    method
        ``"greedy"``, ``"swap"`` (greedy + interchange; with ``k`` only), ``"exact"`` (CBC through PuLP),
        ``"p_median"`` or ``"p_center"`` (exact, HiGHS).
    time_limit
        Seconds the solver may take; beyond it the best solution found is returned with ``optimal=False``.
    fixed
        Hub positions that stay open (existing sites); they come first in ``order``.
    capacity
        Weight each hub can serve (one value per hub position): ``"exact"``, ``"p_median"``, ``"p_center"``.

    Raises
    ------
    ValidationError
        Unknown method, both or neither of ``k``/``target_share``, ``k`` + fixed more than the candidates,
        fixed positions out of range, capacity with a heuristic method, capacities short of the demand.

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
    fixed_pos = _positions(fixed)
    if len(fixed_pos):
        bad = fixed_pos[(fixed_pos < 0) | (fixed_pos >= table.n_hubs)]
        if bad.size or len(np.unique(fixed_pos)) != len(fixed_pos):
            raise ValidationError(
                f"fixed hub positions must be distinct and in 0..{table.n_hubs - 1}; got {fixed_pos.tolist()[:10]}"
            )
    if capacity is not None and method in ("greedy", "swap", "p_median_swap"):
        raise ValidationError(
            f"capacity needs an exact model: method='exact', 'p_median' or 'p_center' (not {method!r})"
        )
    info: dict[str, object] = {"fixed": len(fixed_pos)}
    if k is not None:
        if not (isinstance(k, (int, np.integer)) and not isinstance(k, bool) and k >= 0):
            raise ValidationError(f"k must be a whole number >= 0, got {k!r}")
        if k == 0 and not len(fixed_pos):
            raise ValidationError("k=0 without fixed sites chooses nothing: give k >= 1")
        if k + len(fixed_pos) > table.n_hubs:
            raise ValidationError(
                f"k={k} more hubs beyond {len(fixed_pos)} fixed need {k + len(fixed_pos)} candidates, but there "
                f"are only {table.n_hubs}: lower k or add candidates"
            )
        k = int(k)
        if method == "p_median_swap":
            chosen, value, swaps = p_median_swap(table, w, k=k, fixed=fixed_pos)
            extra = {"swaps": swaps, "status": "heuristic"}
            assignment = _nearest_open(table, chosen)
            siting = _assigned(table, w, chosen, assignment, value, method, None, {**info, **extra}, fixed_pos)
            return siting
        if method in ASSIGN_METHODS:
            chosen, assignment, value, optimal, extra = exact_assignment(
                table, w, k=k, objective=method, fixed=fixed_pos, capacity=capacity, time_limit=time_limit
            )
            return _assigned(table, w, chosen, assignment, value, method, optimal, {**info, **extra}, fixed_pos)
        if method == "greedy":
            order, gain = greedy_order(table, w, k=k, fixed=fixed_pos)
            assignment = _nearest_open(table, order)
            return Siting(order, gain, total, method, None, {**info, "k": k}, assignment, float(gain.sum()))
        if method == "swap":
            start = greedy_order(table, w, k=k, fixed=fixed_pos)[0]
            chosen, swaps = swap_improve(table, w, start, fixed=fixed_pos)
            optimal, info = None, {**info, "swaps": swaps}
        else:
            chosen, optimal, extra = exact_max_cover(
                table, w, k=k, time_limit=time_limit, fixed=fixed_pos, capacity=capacity
            )
            info = {**info, **extra}
    else:
        if method not in ("greedy", "exact"):
            raise ValidationError(f"method={method!r} chooses k sites; for target_share use 'greedy' or 'exact'")
        if capacity is not None:
            raise ValidationError("capacity is not supported with target_share: give k instead")
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
            order, gain = greedy_order(table, w, target=target - 1e-9 * max(1.0, target), fixed=fixed_pos)
            info = {**info, "target_share": target_share}
            return Siting(order, gain, total, method, None, info, _nearest_open(table, order), float(gain.sum()))
        chosen, optimal, extra = exact_set_cover(table, w, target=target, time_limit=time_limit, fixed=fixed_pos)
        info = {**info, **extra, "target_share": target_share}
    assignment = info.pop("assignment", None)
    order, gain = greedy_order(table, w, candidates=chosen, fixed=fixed_pos)
    if len(order) < len(chosen):  # a chosen site adding nothing still belongs to the solution
        rest = np.setdiff1d(chosen, order)
        order, gain = np.r_[order, rest], np.r_[gain, np.zeros(len(rest))]
    if assignment is not None:  # capacitated: what the model assigned, not what lies within reach
        assert isinstance(assignment, np.ndarray)
        served = np.bincount(assignment[assignment >= 0], weights=w[assignment >= 0], minlength=table.n_hubs)
        gain = served[order]
    else:
        assignment = _nearest_open(table, order)
    log.info("siting (%s): %d hubs cover %.0f of %.0f (optimal=%s)", method, len(order), gain.sum(), total, optimal)
    return Siting(order, gain, total, method, optimal, info, assignment, float(gain.sum()))


def _assigned(
    table: CoverageTable,
    w: np.ndarray,
    chosen: np.ndarray,
    assignment: np.ndarray,
    value: float,
    method: str,
    optimal: bool | None,
    info: dict[str, object],
    fixed: np.ndarray,
) -> Siting:
    """A Siting of an assignment model: fixed hubs first, then the others by the weight they serve."""
    load = np.bincount(assignment[assignment >= 0], weights=w[assignment >= 0], minlength=table.n_hubs)
    others = np.setdiff1d(chosen, fixed)
    others = others[np.lexsort((others, -load[others]))]
    order = np.r_[fixed, others].astype(np.int64)
    log.info("siting (%s): %d hubs, objective %.6g (optimal=%s)", method, len(order), value, optimal)
    return Siting(order, load[order], float(w.sum()), method, optimal, info, assignment, value)
