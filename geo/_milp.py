"""Exact p-median and p-center on (hub, demand, cost) pairs, solved by HiGHS.

Both work on sparse pair arrays (one entry per hub that may serve a demand row) and build their models as
sparse matrices for :func:`scipy.optimize.milp` (HiGHS), never as per-variable Python objects.

p-median: the radius formulation (Elloumi 2010; García, Labbé & Marín 2011). For each demand row ``j`` with
distinct costs ``D_j^1 < … < D_j^K`` a variable ``z_j^k`` (0–1) says "row ``j`` is served at more than
``D_j^k``"; constraint ``z_j^k + Σ_{i: c_ij ≤ D_j^k} y_i ≥ 1`` and the cost is ``D_j^1 + Σ_k (D_j^{k+1} −
D_j^k) z_j^k``. Its LP bound equals the classic assignment formulation's, with far fewer variables. Only the
first levels of each row are built at first (up to a little beyond where a good heuristic solution serves
it): the truncated model under-counts costs beyond its last level, so its optimum is a lower bound, and when
its solution serves every row within the levels built, that bound is met and the solution is optimal.
Otherwise the rows served farther get more levels and the model is solved again.

p-center: the least radius ``r`` among the pair costs for which ``k`` free hubs (with the fixed ones) reach
every demand row within ``r``: a binary search over the sorted distinct costs, each step a set-covering
feasibility model (Minieka 1970; Daskin 2013, ch. 5).

With single-source capacities both are the classic assignment model (ReVelle & Swain 1970; spopt's
``facility_capacities``) in sparse form (:func:`capacitated`).

All report a lower bound and the relative gap of the returned solution to it (0 when optimal).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Solved:
    """An exact model's answer: open hub positions (sorted), objective, whether proven optimal, the lower
    bound proven (same unit as the objective), the relative gap ``(value − bound) / value`` and solver notes."""

    chosen: np.ndarray
    value: float
    optimal: bool
    bound: float
    status: str
    info: dict[str, object] = field(default_factory=dict)

    @property
    def gap(self) -> float:
        if self.optimal or self.value <= 0:  # optimal within 1e-12: no float noise reported as a gap
            return 0.0
        return max(0.0, (self.value - self.bound) / self.value)


class _Pairs:
    """Pairs sorted by (demand row, cost), demand rows renumbered 0..m-1, with the distinct cost levels per row."""

    def __init__(self, hub: np.ndarray, dem: np.ndarray, cost: np.ndarray, n_hubs: int) -> None:
        order = np.lexsort((hub, cost, dem))
        self.hub, dem, self.cost = hub[order], dem[order], cost[order].astype(float)
        self.rows, self.row = np.unique(dem, return_inverse=True)
        self.n_hubs = n_hubs
        m = len(self.rows)
        first = np.r_[True, self.row[1:] != self.row[:-1]]
        self.start = np.flatnonzero(first)
        self.count = np.diff(np.r_[self.start, len(self.row)])
        new_level = first | np.r_[True, self.cost[1:] != self.cost[:-1]]
        level = np.cumsum(new_level) - 1
        self.level_offset = level[self.start]
        self.level = level - self.level_offset[self.row]  # 0-based level of each pair within its row
        self.dist = self.cost[new_level]  # distinct costs, row after row
        self.levels = np.bincount(self.row[new_level], minlength=m)
        self.m = m

    def nearest(self, is_open: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per row: the pair index of the nearest open hub (-1: none) and its cost (inf: none)."""
        big = len(self.hub)
        idx = np.where(is_open[self.hub], np.arange(big), big)
        first = np.minimum.reduceat(idx, self.start) if big else np.zeros(0, dtype=np.int64)
        cost = np.where(first < big, self.cost[np.minimum(first, big - 1)], np.inf)
        return np.where(first < big, first, -1), cost


def _milp(c, integrality, lower, upper, a, a_lo, a_hi, time_limit):  # type: ignore[no-untyped-def]
    from scipy.optimize import Bounds, LinearConstraint, milp

    options: dict[str, object] = {"disp": False, "mip_rel_gap": 0.0, "presolve": True}
    if time_limit is not None:
        options["time_limit"] = max(0.05, float(time_limit))
    return milp(
        c,
        integrality=integrality,
        bounds=Bounds(lower, upper),
        constraints=LinearConstraint(a, a_lo, a_hi),
        options=options,
    )


def _remaining(deadline: float | None) -> float | None:
    return None if deadline is None else deadline - time.perf_counter()


def _lagrangian(
    pr: _Pairs, w: np.ndarray, n_open: int, fixed_mask: np.ndarray, best: tuple[np.ndarray | None, float],
    deadline: float | None, iterations: int = 600,
) -> tuple[float, np.ndarray, np.ndarray, tuple[np.ndarray | None, float]]:  # fmt: skip
    """Lagrangian bound of the p-median (the assignment rows relaxed; Cornuéjols, Fisher & Nemhauser 1977,
    subgradient steps as Beasley 1993) and the hubs it proves closed or open in every better solution.

    Returns (bound, closed mask, open mask, best solution seen (open positions, Σ weight × cost)).
    """
    n, free = pr.n_hubs, ~fixed_mask
    n_free = n_open - int(fixed_mask.sum())
    wc = w[pr.row] * pr.cost
    if best[0] is not None:
        is_open = np.zeros(n, dtype=bool)
        is_open[best[0]] = True
        lam = w * pr.nearest(is_open)[1]
    else:
        lam = w * pr.cost[np.minimum(pr.start + 1, len(pr.cost) - 1)]
    # every row is served at least at its nearest hub's cost: the trivial bound, should time run out at once
    bound, best_lam, step, stale = float(w @ pr.cost[pr.start]), lam.copy(), 2.0, 0
    for it in range(iterations):
        if deadline is not None and time.perf_counter() > deadline:
            break
        gain = np.minimum(wc - lam[pr.row], 0.0)
        rho = np.bincount(pr.hub, weights=gain, minlength=n)
        cand = np.flatnonzero(free)
        pick = cand[np.argpartition(rho[cand], n_free - 1)[:n_free]] if 0 < n_free < len(cand) else cand[:n_free]
        is_open = fixed_mask.copy()
        is_open[pick] = True
        value = float(lam.sum() + rho[is_open].sum())
        if value > bound + 1e-12 * abs(value):
            bound, best_lam, stale = value, lam.copy(), 0
        else:
            stale += 1
            if stale >= 20:
                step, stale = step / 2, 0
        if it % 5 == 0:
            near = pr.nearest(is_open)[1]
            if np.isfinite(near).all() and float(w @ near) < best[1]:
                best = (np.flatnonzero(is_open), float(w @ near))
        if best[1] - bound <= 1e-12 * max(1.0, best[1]) or step < 1e-4:
            break
        served = np.bincount(pr.row[is_open[pr.hub] & (gain < 0)], minlength=pr.m)
        sub = 1.0 - served
        norm = float(sub @ sub)
        if norm == 0:
            break
        lam = lam + step * (best[1] - value) / norm * sub
    # hub fixing with the best multipliers: swapping a hub in or out costs at least the change in rho
    gain = np.minimum(wc - best_lam[pr.row], 0.0)
    rho = np.bincount(pr.hub, weights=gain, minlength=n)
    cand = np.flatnonzero(free)
    closed, forced = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    if 0 < n_free < len(cand):
        order = cand[np.argsort(rho[cand], kind="stable")]
        inside, outside = order[:n_free], order[n_free:]
        base = float(best_lam.sum() + rho[fixed_mask].sum() + rho[inside].sum())
        slack = best[1] + 1e-9 * max(1.0, abs(best[1]))
        closed[outside[base + rho[outside] - rho[inside[-1]] > slack]] = True
        forced[inside[base - rho[inside] + rho[outside[0]] > slack]] = True
    return bound, closed, forced, best


def p_median(
    hub: np.ndarray,
    dem: np.ndarray,
    cost: np.ndarray,
    weight: np.ndarray,
    *,
    n_hubs: int,
    n_open: int,
    fixed: np.ndarray,
    start: np.ndarray | None = None,
    time_limit: float | None = None,
    lagrangian_iterations: int = 600,
) -> Solved:
    """Least Σ weight × cost with exactly ``n_open`` hubs open (the ``fixed`` ones among them).

    ``hub``, ``dem``, ``cost``: the pairs a row may be served along (every row of ``dem`` needs at least one);
    ``weight``: per demand position (indexed by ``dem``), > 0; ``start``: a good solution (open positions) to
    start from and to fall back on; ``time_limit`` in seconds for the whole search; ``lagrangian_iterations``:
    subgradient steps before the MIP (0: the MIP alone, from the trivial bound).
    """
    deadline = None if time_limit is None else time.perf_counter() + time_limit
    pr = _Pairs(hub, dem, cost, n_hubs)
    w = np.asarray(weight, dtype=float)[pr.rows]
    max_level = pr.levels - 1  # levels 1..K-1 carry a cost step; level K needs none
    fixed_mask = np.zeros(n_hubs, dtype=bool)
    fixed_mask[fixed] = True
    best_set, best_value = None, np.inf
    if start is not None and len(start):
        is_open = np.zeros(n_hubs, dtype=bool)
        is_open[start] = True
        pos, near = pr.nearest(is_open)
        if np.isfinite(near).all():
            best_set, best_value = np.sort(np.asarray(start, dtype=np.int64)), float(w @ near)
            levels = np.minimum(max_level, pr.level[pos] + 2)
        else:
            levels = np.minimum(max_level, 4)
    else:
        levels = np.minimum(max_level, 4)
    bound, closed, forced, (best_set, best_value) = _lagrangian(
        pr, w, n_open, fixed_mask, (best_set, best_value), deadline, lagrangian_iterations
    )
    info_lagrange = {"lagrangian_bound": bound, "hubs_closed": int(closed.sum()), "hubs_forced": int(forced.sum())}
    keep = ~closed[pr.hub]
    if closed.any() and len(np.unique(pr.row[keep])) == pr.m:  # drop the pairs of hubs proven closed
        pr = _Pairs(pr.hub[keep], pr.rows[pr.row[keep]], pr.cost[keep], n_hubs)
        max_level = pr.levels - 1
        if best_set is not None:
            is_open = np.zeros(n_hubs, dtype=bool)
            is_open[best_set] = True
            levels = np.minimum(max_level, pr.level[pr.nearest(is_open)[0]] + 2)
        else:
            levels = np.minimum(max_level, 4)
    fixed_mask = fixed_mask | forced
    rounds, status = 0, "optimal"
    while best_set is None or bound < best_value - 1e-12 * max(1.0, abs(best_value)):
        rounds += 1
        left = _remaining(deadline)
        if left is not None and left <= 0:
            status = "time limit"
            break
        res, constant = _solve_truncated(pr, w, levels, n_open, fixed_mask, left)
        if res.x is None:
            status = "time limit" if res.status == 1 else f"HiGHS: {res.message}"
            break
        model_bound = (res.fun if res.status == 0 else getattr(res, "mip_dual_bound", -np.inf)) + constant
        bound = max(bound, float(model_bound))
        is_open = res.x[:n_hubs] > 0.5
        _, near = pr.nearest(is_open)
        value = float(w @ near) if np.isfinite(near).all() else np.inf
        if value < best_value:
            best_set, best_value = np.flatnonzero(is_open), value
        beyond = near > pr.dist[pr.level_offset + np.minimum(levels, max_level)]
        if res.status != 0:
            status = "time limit"
            break
        if not beyond.any():
            bound = max(bound, value)  # the truncated model counts this solution's full cost: proven optimal
            break
        # rows served beyond their last level: more levels (at least to where they are served, doubling)
        pos, _ = pr.nearest(is_open)
        reach = np.where(pos >= 0, pr.level[np.maximum(pos, 0)] + 2, max_level)
        grown = np.minimum(max_level, np.maximum(2 * levels + 1, reach))
        levels = np.where(beyond, grown, levels)
    if best_set is None:
        raise RuntimeError(f"HiGHS found no p-median solution ({status}); raise time_limit")
    optimal = bound >= best_value - 1e-12 * max(1.0, abs(best_value))
    info = {"rounds": rounds, "levels": int(levels.sum()), "rows": pr.m, "pairs": len(pr.hub), **info_lagrange}
    return Solved(best_set, best_value, bool(optimal), min(bound, best_value), "optimal" if optimal else status, info)


def _solve_truncated(pr: _Pairs, w: np.ndarray, levels: np.ndarray, n_open: int, fixed_mask: np.ndarray, left):  # type: ignore[no-untyped-def]
    """The radius model with ``levels[j]`` cost levels for row ``j``: (scipy result, objective constant)."""
    from scipy import sparse

    n = pr.n_hubs
    n_z = int(levels.sum())
    z_off = np.r_[0, np.cumsum(levels)[:-1]].astype(np.int64)
    z_row = np.repeat(np.arange(pr.m), levels)
    k = np.arange(n_z) - z_off[z_row]  # 0-based: z for level k+1
    base = pr.level_offset[z_row] + k
    c_z = w[z_row] * (pr.dist[base + 1] - pr.dist[base])
    # pair (row j, level l) enters the constraints of levels l+1..levels[j]
    sel = pr.level < levels[pr.row]
    reps = levels[pr.row[sel]] - pr.level[sel]
    first = z_off[pr.row[sel]] + pr.level[sel]
    steps = np.arange(int(reps.sum())) - np.repeat(np.cumsum(reps) - reps, reps)
    rows = [np.arange(n_z), np.repeat(first, reps) + steps, np.full(n, n_z)]
    cols = [n + np.arange(n_z), np.repeat(pr.hub[sel], reps), np.arange(n)]
    lo, hi = [np.ones(n_z), np.array([float(n_open)])], [np.full(n_z, np.inf), np.array([float(n_open)])]
    # rows with every level built and not every hub in reach: one of their hubs must be open
    full = np.flatnonzero((levels == pr.levels - 1) & (pr.count < n))
    if len(full):
        in_full = np.isin(pr.row, full)
        renum = np.full(pr.m, -1)
        renum[full] = np.arange(len(full))
        rows.append(n_z + 1 + renum[pr.row[in_full]])
        cols.append(pr.hub[in_full])
        lo.append(np.ones(len(full)))
        hi.append(np.full(len(full), np.inf))
    a = sparse.csr_array(
        (np.ones(sum(len(r) for r in rows)), (np.concatenate(rows), np.concatenate(cols))),
        shape=(n_z + 1 + len(full), n + n_z),
    )
    c = np.r_[np.zeros(n), c_z]
    lower = np.r_[fixed_mask.astype(float), np.zeros(n_z)]
    upper = np.ones(n + n_z)
    integrality = np.r_[np.ones(n), np.zeros(n_z)]
    res = _milp(c, integrality, lower, upper, a, np.concatenate(lo), np.concatenate(hi), left)
    return res, float(w @ pr.dist[pr.level_offset])


def p_center(
    hub: np.ndarray,
    dem: np.ndarray,
    cost: np.ndarray,
    *,
    n_hubs: int,
    n_open: int,
    fixed: np.ndarray,
    start: np.ndarray | None = None,
    time_limit: float | None = None,
) -> Solved:
    """Least worst cost with exactly ``n_open`` hubs open (the ``fixed`` ones among them): binary search on
    the radius, each step a set-covering model. Arguments as :func:`p_median`."""
    deadline = None if time_limit is None else time.perf_counter() + time_limit
    pr = _Pairs(hub, dem, cost, n_hubs)
    fixed_mask = np.zeros(n_hubs, dtype=bool)
    fixed_mask[fixed] = True
    free_open = n_open - int(fixed_mask.sum())
    radii = np.unique(pr.cost)
    nearest_any = pr.cost[pr.start]
    lo = int(np.searchsorted(radii, nearest_any.max()))  # no radius below the farthest row's nearest hub
    best_set, hi = None, len(radii) - 1
    if start is not None and len(start):
        is_open = np.zeros(n_hubs, dtype=bool)
        is_open[start] = True
        _, near = pr.nearest(is_open)
        if np.isfinite(near).all():
            best_set, hi = np.sort(np.asarray(start, dtype=np.int64)), int(np.searchsorted(radii, near.max()))
    steps, status = 0, "optimal"
    while lo < hi or best_set is None:
        mid = (lo + hi) // 2 if best_set is not None else hi
        steps += 1
        found, decided = _cover_within(pr, radii[mid], free_open, fixed_mask, _remaining(deadline))
        if not decided:
            status = "time limit"
            break
        if found is None:
            if best_set is None:  # even the largest radius fails: cannot happen when every row has a pair
                raise RuntimeError("no p-center solution: some demand row has no hub in reach")
            lo = mid + 1
        else:
            best_set, hi = found, mid
    if best_set is None:
        raise RuntimeError(f"HiGHS found no p-center solution ({status}); raise time_limit")
    chosen = _pad(best_set, n_open, pr, start)
    _, near = pr.nearest(np.isin(np.arange(n_hubs), chosen))
    value = float(near.max())
    bound = float(radii[min(lo, len(radii) - 1)])
    optimal = status == "optimal" and bound >= value
    info = {"steps": steps, "radii": len(radii), "rows": pr.m, "pairs": len(pr.hub)}
    return Solved(chosen, value, bool(optimal), min(bound, value), status, info)


def _cover_within(pr: _Pairs, radius: float, free_open: int, fixed_mask: np.ndarray, left):  # type: ignore[no-untyped-def]
    """Open hubs (fixed + at most ``free_open``) reaching every row within ``radius``: (set or None, decided)."""
    from scipy import sparse

    within = pr.cost <= radius
    by_fixed = np.zeros(pr.m, dtype=bool)
    by_fixed[pr.row[within & fixed_mask[pr.hub]]] = True
    reached = np.zeros(pr.m, dtype=bool)
    reached[pr.row[within]] = True
    if not reached.all():
        return None, True
    todo = ~by_fixed
    keep = within & todo[pr.row] & ~fixed_mask[pr.hub]
    if not todo.any():
        return np.flatnonzero(fixed_mask), True
    if free_open == 0:
        return None, True
    hubs, col = np.unique(pr.hub[keep], return_inverse=True)
    rows = np.unique(pr.row[keep], return_inverse=True)[1]
    n_rows, n = int(rows.max()) + 1, len(hubs)
    a = sparse.csr_array((np.ones(len(col)), (rows, col)), shape=(n_rows, n))
    a = sparse.vstack([a, sparse.csr_array(np.ones((1, n)))]).tocsr()
    lo_b = np.r_[np.ones(n_rows), 0.0]
    hi_b = np.r_[np.full(n_rows, np.inf), float(free_open)]
    res = _milp(np.ones(n), np.ones(n), np.zeros(n), np.ones(n), a, lo_b, hi_b, left)
    if res.status == 2:  # infeasible: more than free_open hubs needed
        return None, True
    if res.status != 0 or res.x is None:
        return None, False
    return np.union1d(np.flatnonzero(fixed_mask), hubs[res.x > 0.5]), True


def _pad(chosen: np.ndarray, n_open: int, pr: _Pairs, start: np.ndarray | None) -> np.ndarray:
    """Fill a set cover up to ``n_open`` hubs: the start solution's hubs first, then those in most pairs."""
    chosen = np.asarray(chosen, dtype=np.int64)
    if len(chosen) >= n_open:
        return np.sort(chosen)
    pool = [] if start is None else [int(i) for i in start if i not in set(chosen.tolist())]
    used = np.bincount(pr.hub, minlength=pr.n_hubs)
    pool += [int(i) for i in np.argsort(-used, kind="stable") if i not in set(chosen.tolist()) and i not in pool]
    return np.sort(np.r_[chosen, pool[: n_open - len(chosen)]].astype(np.int64))


def capacitated(
    hub: np.ndarray,
    dem: np.ndarray,
    cost: np.ndarray,
    weight: np.ndarray,
    capacity: np.ndarray,
    *,
    objective: str,
    n_hubs: int,
    n_open: int,
    fixed: np.ndarray,
    time_limit: float | None = None,
) -> tuple[Solved, np.ndarray]:
    """p-median / p-center with single-source capacities (each row served whole by one open hub, a hub's
    served weight at most its capacity), as the classic assignment model in sparse form.

    Returns the answer and, per pair, whether it serves its row. ``Solved.status`` is ``"infeasible"`` when no
    assignment fits the capacities (then ``chosen`` is empty).
    """
    from scipy import sparse

    m_pairs = len(hub)
    rows, row = np.unique(dem, return_inverse=True)
    m = len(rows)
    w = np.asarray(weight, dtype=float)
    pair = np.arange(m_pairs)
    center = objective == "p_center"
    n_var = n_hubs + m_pairs + int(center)
    z = n_hubs + pair
    # each row served once; z <= y; capacity; exactly n_open open; (p-center) each row's cost <= worst
    a_rows = [
        row,
        m + pair,
        m + pair,
        m + m_pairs + hub,
        m + m_pairs + np.arange(n_hubs),
        np.full(n_hubs, m + m_pairs + n_hubs),
    ]
    a_cols = [z, z, hub, z, np.arange(n_hubs), np.arange(n_hubs)]
    a_vals = [
        np.ones(m_pairs),
        np.ones(m_pairs),
        -np.ones(m_pairs),
        w[dem],
        -np.asarray(capacity, dtype=float),
        np.ones(n_hubs),
    ]
    lo = [np.ones(m), np.full(m_pairs, -np.inf), np.full(n_hubs, -np.inf), [float(n_open)]]
    hi = [np.ones(m), np.zeros(m_pairs), np.zeros(n_hubs), [float(n_open)]]
    n_con = m + m_pairs + n_hubs + 1
    if center:
        a_rows += [n_con + row, n_con + np.arange(m)]
        a_cols += [z, np.full(m, n_var - 1)]
        a_vals += [cost.astype(float), -np.ones(m)]
        lo.append(np.full(m, -np.inf))
        hi.append(np.zeros(m))
        n_con += m
    a = sparse.csr_array(
        (np.concatenate(a_vals), (np.concatenate(a_rows), np.concatenate(a_cols))), shape=(n_con, n_var)
    )
    c = np.zeros(n_var)
    if center:
        c[-1] = 1.0
    else:
        c[z] = w[dem] * cost
    lower = np.zeros(n_var)
    lower[fixed] = 1.0
    upper = np.ones(n_var)
    if center:
        upper[-1] = np.inf
    integrality = np.r_[np.ones(n_hubs + m_pairs), np.zeros(int(center))]
    res = _milp(c, integrality, lower, upper, a, np.concatenate(lo), np.concatenate(hi), time_limit)
    if res.status == 2:
        return Solved(np.zeros(0, dtype=np.int64), np.inf, False, np.inf, "infeasible"), np.zeros(m_pairs, dtype=bool)
    if res.x is None:
        raise RuntimeError(f"HiGHS found no capacitated {objective} solution ({res.message}); raise time_limit")
    serves = res.x[n_hubs : n_hubs + m_pairs] > 0.5
    chosen = np.flatnonzero(res.x[:n_hubs] > 0.5)
    value = float(cost[serves].max()) if center else float((w[dem] * cost)[serves].sum())
    bound = float(res.fun) if res.status == 0 else float(getattr(res, "mip_dual_bound", 0.0))
    optimal = res.status == 0
    status = "optimal" if optimal else "time limit"
    return Solved(chosen, value, optimal, min(bound, value), status, {"variables": n_var}), serves
