"""Siting models (p-median, p-center, capacities, fixed sites) against brute force and spopt."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import geo
from geo.coverage import coverage_from_cost_matrix
from geo.siting import choose

# ------------------------------------------------------------------------------------------ brute force


def _instance(seed: int, n_hubs: int = 6, n_demand: int = 8):
    rng = np.random.default_rng(seed)
    hubs, dem = rng.uniform(0, 10, (n_hubs, 2)), rng.uniform(0, 10, (n_demand, 2))
    cost = np.hypot(*(hubs[:, None, :] - dem[None, :, :]).transpose(2, 0, 1))
    w = rng.integers(1, 10, n_demand).astype(float)
    return cost, w


def _subsets(n: int, k: int, fixed: tuple[int, ...]):
    free = [i for i in range(n) if i not in fixed]
    for extra in itertools.combinations(free, k):
        yield tuple(sorted((*fixed, *extra)))


def _brute_assign(cost, w, k, fixed=(), capacity=None, objective="p_median"):
    """Best value over every set of k hubs beyond ``fixed`` and (with capacities) every single-source assignment."""
    best = (np.inf, None)
    active = np.flatnonzero(w > 0)
    for s in _subsets(cost.shape[0], k, fixed):
        sub = cost[list(s)][:, active]
        if capacity is None:
            assignments = [tuple(np.argmin(sub, axis=0))]
        else:
            assignments = itertools.product(range(len(s)), repeat=len(active))
        for a in assignments:
            a = np.asarray(a)
            if capacity is not None:
                load = np.bincount(a, weights=w[active], minlength=len(s))
                if (load > capacity[list(s)] + 1e-9).any():
                    continue
            c = sub[a, np.arange(len(active))]
            value = float((w[active] * c).sum()) if objective == "p_median" else float(c.max())
            if value < best[0] - 1e-9:
                best = (value, s)
    return best


def _brute_cover(cost, w, radius, k, fixed=(), capacity=None):
    reach = cost <= radius
    best = (-1.0, None)
    for s in _subsets(cost.shape[0], k, fixed):
        if capacity is None:
            value = float(w[reach[list(s)].any(axis=0)].sum())
        else:  # each demand row to one open hub within reach, or to none
            value = 0.0
            options = [[-1] + [j for j in range(len(s)) if reach[s[j], i]] for i in range(len(w))]
            for a in itertools.product(*options):
                a = np.asarray(a)
                load = np.bincount(a[a >= 0], weights=w[a >= 0], minlength=len(s))
                if (load <= capacity[list(s)] + 1e-9).all():
                    value = max(value, float(w[a >= 0].sum()))
        if value > best[0] + 1e-9:
            best = (value, s)
    return best


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("objective", ["p_median", "p_center"])
@pytest.mark.parametrize("fixed", [(), (3,)])
def test_assignment_models_equal_brute_force(seed, objective, fixed):
    cost, w = _instance(seed)
    table = coverage_from_cost_matrix(cost, np.inf)
    res = choose(table, w, k=2, method=objective, fixed=np.array(fixed, dtype=int))
    value, best = _brute_assign(cost, w, 2, fixed, objective=objective)
    assert res.objective == pytest.approx(value, rel=1e-7)
    assert res.optimal and res.order[: len(fixed)].tolist() == list(fixed)  # fixed sites first
    open_ = sorted(res.order.tolist())
    nearest = np.array(open_)[np.argmin(cost[open_], axis=0)]
    served_cost = cost[res.assignment, np.arange(len(w))]
    if objective == "p_median":  # (p-center has ties: several sets share the worst distance)
        assert tuple(open_) == best
        np.testing.assert_array_equal(res.assignment, nearest)
        assert (w * served_cost).sum() == pytest.approx(value)
    else:
        assert served_cost.max() == pytest.approx(value)
        assert cost[nearest, np.arange(len(w))].max() == pytest.approx(value)
        return
    heuristic = choose(table, w, k=2, method="p_median_swap", fixed=np.array(fixed, dtype=int))
    assert value - 1e-9 <= heuristic.objective <= 1.05 * value and heuristic.optimal is None
    assert heuristic.order[: len(fixed)].tolist() == list(fixed)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("objective", ["p_median", "p_center"])
def test_capacitated_assignment_equals_brute_force(seed, objective):
    cost, w = _instance(seed, n_hubs=5, n_demand=7)
    capacity = np.full(5, w.sum() * 0.55)  # two hubs suffice only when they split the demand evenly enough
    table = coverage_from_cost_matrix(cost, np.inf)
    for fixed in ((), (1,)):
        res = choose(table, w, k=2 - len(fixed), method=objective, capacity=capacity, fixed=np.array(fixed))
        value, _ = _brute_assign(cost, w, 2 - len(fixed), fixed, capacity=capacity, objective=objective)
        assert res.objective == pytest.approx(value, rel=1e-7), (fixed, value, res.objective)
        load = np.bincount(res.assignment, weights=w, minlength=5)
        assert (load <= capacity + 1e-6).all() and (res.assignment >= 0).all()
        uncapacitated = choose(table, w, k=2 - len(fixed), method=objective, fixed=np.array(fixed))
        assert res.objective >= uncapacitated.objective - 1e-9


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_max_cover_with_fixed_and_capacity_equals_brute_force(seed):
    cost, w = _instance(seed, n_hubs=6, n_demand=7)
    table = coverage_from_cost_matrix(cost, 4.0)
    for fixed in ((), (2,), (0, 5)):
        f = np.array(fixed, dtype=int)
        value, _ = _brute_cover(cost, w, 4.0, 2, fixed)
        exact = choose(table, w, k=2, method="exact", fixed=f)
        assert exact.covered == pytest.approx(value) and set(fixed) <= set(exact.order.tolist())
        assert exact.order[: len(fixed)].tolist() == list(fixed)
        for method in ("greedy", "swap"):
            heuristic = choose(table, w, k=2, method=method, fixed=f)
            assert heuristic.order[: len(fixed)].tolist() == list(fixed) and heuristic.covered <= value + 1e-9
    capacity = np.full(6, w.sum() / 4)
    value, _ = _brute_cover(cost, w, 4.0, 2, (1,), capacity=capacity)
    res = choose(table, w, k=2, method="exact", fixed=np.array([1]), capacity=capacity)
    assert res.covered == pytest.approx(value)
    served = res.assignment >= 0
    assert (cost[res.assignment[served], np.flatnonzero(served)] <= 4.0).all()
    assert (np.bincount(res.assignment[served], weights=w[served], minlength=6) <= capacity + 1e-6).all()


def test_set_cover_with_fixed_equals_brute_force():
    cost, w = _instance(5, n_hubs=7, n_demand=9)
    table = coverage_from_cost_matrix(cost, 4.0)
    target = 0.8 * w[(cost <= 4.0).any(axis=0)].sum()
    share = target / w.sum()
    res = choose(table, w, target_share=share, method="exact", fixed=np.array([6]))
    fewest = next(
        n
        for n in range(0, 7)
        if any(w[(cost[list(s)] <= 4.0).any(axis=0)].sum() >= target - 1e-9 for s in _subsets(7, n, (6,)))
    )
    assert len(res.order) == fewest + 1 and res.order[0] == 6 and res.covered >= target - 1e-9


def test_bad_siting_inputs():
    cost, w = _instance(0)
    table = coverage_from_cost_matrix(cost, np.inf)
    with pytest.raises(geo.ValidationError, match="only 6"):
        choose(table, w, k=7, method="p_median")
    with pytest.raises(geo.ValidationError, match="only 6"):
        choose(table, w, k=5, method="greedy", fixed=np.array([0, 1]))
    with pytest.raises(geo.ValidationError, match=r"short by 41 \("):
        choose(table, w, k=2, method="p_median", capacity=np.full(6, (w.sum() - 41) / 2))
    with pytest.raises(geo.ValidationError, match="capacity needs an exact model"):
        choose(table, w, k=2, method="greedy", capacity=np.full(6, 100.0))
    with pytest.raises(geo.ValidationError, match="within reach of no candidate"):
        choose(coverage_from_cost_matrix(cost, 1.0), w, k=2, method="p_median")
    with pytest.raises(geo.ValidationError, match="assignment variables"):
        big = coverage_from_cost_matrix(np.ones((30, 70_000)), np.inf)
        choose(big, np.ones(70_000), k=2, method="p_median")
    with pytest.raises(geo.ValidationError, match="no assignment fits"):
        # enough in total (2 × 0.5 of the demand), but one row weighs more than any capacity minus the others
        choose(table, np.array([10.0, 1, 1, 1, 1, 1, 1, 1]), k=2, method="p_median", capacity=np.full(6, 9.0))


# ------------------------------------------------------------------------------------------ spopt


@pytest.fixture(scope="module")
def medium():
    rng = np.random.default_rng(42)
    hubs, dem = rng.uniform(0, 20_000, (20, 2)), rng.uniform(0, 20_000, (120, 2))
    cost = np.hypot(*(hubs[:, None, :] - dem[None, :, :]).transpose(2, 0, 1))
    w = rng.integers(1, 100, 120).astype(float)
    return cost, w


def _pulp_solver():
    import pulp

    return pulp.COIN_CMD(path=pulp.apis.coin_api.PULP_CBC_CMD.pulp_cbc_path, msg=False)


# spopt 0.7 builds its models with the PuLP 3 API that PuLP 3.3 marks as deprecated: its warnings, not ours
SPOPT_WARNINGS = pytest.mark.filterwarnings("ignore:.*(PuLP 4|deprecated).*:DeprecationWarning")


@SPOPT_WARNINGS
def test_p_median_and_capacities_equal_spopt(medium):
    from spopt.locate import PMedian

    cost, w = medium
    table = coverage_from_cost_matrix(cost, np.inf)
    ours = choose(table, w, k=4, method="p_median")
    theirs = PMedian.from_cost_matrix(cost.T, w, p_facilities=4).solve(_pulp_solver())
    assert ours.objective == pytest.approx(theirs.problem.objective.value(), rel=1e-6)
    fixed = np.zeros(20, dtype=int)
    fixed[[3, 11]] = 1
    ours = choose(table, w, k=2, method="p_median", fixed=np.array([3, 11]))
    theirs = PMedian.from_cost_matrix(cost.T, w, p_facilities=4, predefined_facilities_arr=fixed).solve(_pulp_solver())
    assert ours.objective == pytest.approx(theirs.problem.objective.value(), rel=1e-6)
    assert {3, 11} <= {j for j, v in enumerate(theirs.fac_vars) if v.value() > 0.5}
    # single-source capacities make CBC work hard (13 s for both at 20 × 120): a smaller instance
    sub_cost, sub_w = cost[:12, :50], w[:50]
    capacity = np.full(12, sub_w.sum() / 2.9)  # binding: the uncapacitated optimum loads one hub with 1,027
    ours = choose(coverage_from_cost_matrix(sub_cost, np.inf), sub_w, k=3, method="p_median", capacity=capacity)
    theirs = PMedian.from_cost_matrix(sub_cost.T, sub_w, p_facilities=3, facility_capacities=capacity)
    theirs.solve(_pulp_solver())
    assert ours.objective == pytest.approx(theirs.problem.objective.value(), rel=1e-6)
    assert ours.objective > choose(coverage_from_cost_matrix(sub_cost, np.inf), sub_w, k=3, method="p_median").objective


@SPOPT_WARNINGS
def test_p_center_and_max_cover_equal_spopt(medium):
    from spopt.locate import MCLP, PCenter

    cost, w = medium
    sub_cost, sub_w = cost[:12, :60], w[:60]  # spopt's p-center model is slow: a smaller medium instance
    ours = choose(coverage_from_cost_matrix(sub_cost, np.inf), sub_w, k=3, method="p_center")
    theirs = PCenter.from_cost_matrix(sub_cost.T, p_facilities=3).solve(_pulp_solver())
    assert ours.objective == pytest.approx(theirs.problem.objective.value(), rel=1e-6)
    fixed = np.zeros(20, dtype=int)
    fixed[[0, 7]] = 1
    ours = choose(coverage_from_cost_matrix(cost, 4000.0), w, k=3, method="exact", fixed=np.array([0, 7]))
    theirs = MCLP.from_cost_matrix(
        cost.T, w, service_radius=4000.0, p_facilities=5, predefined_facilities_arr=fixed
    ).solve(_pulp_solver())
    assert ours.covered == pytest.approx(theirs.problem.objective.value(), rel=1e-6)


# ------------------------------------------------------------------------------------------ real data, HiGHS


@pytest.fixture(scope="module")
def kofu(shared_data):
    """Real instance: the 28 station groups of the 甲府 basin × every 6th populated 1 km cell of 山梨 (284)."""
    from geo.hub_siting import prepare_coverage

    cells = geo.read_mesh(shared_data / "estat-mesh1km-census-yamanashi/yamanashi_mesh1km_2020.csv").iloc[::6]
    stations = geo.read_points(shared_data / "ksj-n02-2023-railway-stations/stations_points.csv")
    stations = stations.cx[138.4:138.8, 35.5:35.8].drop_duplicates("group_code")
    p = prepare_coverage(stations, cells, None, "pop_2020", None, None, None)
    cost = np.full((p.table.n_hubs, p.table.n_demand), np.inf)
    cost[p.table.hub, p.table.demand] = p.table.cost
    return stations, cells, cost, p.weights


@SPOPT_WARNINGS
@pytest.mark.parametrize("objective", ["p_median", "p_center"])
def test_real_stations_and_cells_equal_spopt(kofu, objective):
    from spopt.locate import PCenter, PMedian

    stations, cells, cost, w = kofu
    chosen, report = geo.choose_hubs(stations, cells, k=3, method=objective, weight="pop_2020")
    if objective == "p_median":
        theirs = PMedian.from_cost_matrix(cost.T, w, p_facilities=3).solve(_pulp_solver())
    else:
        theirs = PCenter.from_cost_matrix(cost.T, p_facilities=3).solve(_pulp_solver())
    assert report.objective == pytest.approx(theirs.problem.objective.value(), rel=1e-6)
    assert report.optimal and report.gap == 0.0 and report.summary()["gap"] == 0.0
    assert len(chosen) == 3
    # the objective recomputed from the raw cost matrix for the chosen stations
    rows = [stations.index.get_loc(i) for i in chosen.index]
    best = cost[rows].min(axis=0)
    expected = float(w @ best) if objective == "p_median" else float(best[w > 0].max())
    assert report.objective == pytest.approx(expected, rel=1e-12)


def test_time_limit_returns_the_heuristic_with_its_gap(medium):
    cost, w = medium
    table = coverage_from_cost_matrix(cost, np.inf)
    exact = choose(table, w, k=4, method="p_median")
    rushed = choose(table, w, k=4, method="p_median", time_limit=1e-9)
    heuristic = choose(table, w, k=4, method="p_median_swap")
    assert exact.optimal and exact.info["gap"] == 0.0 and exact.info["solver"] == "HiGHS"
    assert rushed.optimal is False and rushed.objective == pytest.approx(heuristic.objective)
    assert rushed.objective >= exact.objective and 0 < rushed.info["gap"] < 1
    assert rushed.info["bound"] <= exact.objective  # a lower bound: each row at its nearest candidate's cost
    assert rushed.info["bound"] == pytest.approx(float(w @ cost.min(axis=0)))


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("iterations", [0, 3, 600])
@pytest.mark.parametrize("with_start", [False, True])
def test_highs_p_median_stages_equal_brute_force(seed, iterations, with_start):
    """Every path of the solver (Lagrangian bound and hub fixing, then the truncated radius model grown round
    after round) gives the brute-force optimum, with or without a first solution."""
    from geo._milp import p_median

    cost, w = _instance(seed, n_hubs=9, n_demand=14)
    fixed = (4,) if seed % 2 else ()
    value, _ = _brute_assign(cost, w, 3, fixed)
    hub, dem = np.nonzero(np.isfinite(cost))
    start = np.array([*fixed, *[i for i in (0, 1, 2, 3) if i not in fixed]][: 3 + len(fixed)]) if with_start else None
    solved = p_median(hub, dem, cost[hub, dem], w, n_hubs=9, n_open=3 + len(fixed), fixed=np.array(fixed, dtype=int),
                      start=start, lagrangian_iterations=iterations)  # fmt: skip
    assert solved.optimal and solved.gap == 0.0
    assert solved.value == pytest.approx(value, rel=1e-12)
    assert float(w @ cost[solved.chosen].min(axis=0)) == pytest.approx(value, rel=1e-12)
    assert set(fixed) <= set(solved.chosen.tolist()) and len(solved.chosen) == 3 + len(fixed)
