"""2SFCA and cumulative opportunities against plain loops, PySAL access and brute-force geodesic distances."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod

import geo
from geo.access import gaussian_decay, two_step_fca
from geo.coverage import coverage_from_cost_matrix

GEOD = Geod(ellps="GRS80")


def _loops(cost, supply, pop, radius, f=lambda d: 1.0):
    """2SFCA as written in Luo & Wang (2003), with plain Python loops over every pair."""
    n_h, n_d = cost.shape
    ratio = []
    for j in range(n_h):
        catchment = sum(pop[i] * f(cost[j, i]) for i in range(n_d) if cost[j, i] <= radius)
        ratio.append(supply[j] / catchment if catchment > 0 else 0.0)
    return np.array([sum(ratio[j] * f(cost[j, i]) for j in range(n_h) if cost[j, i] <= radius) for i in range(n_d)])


@pytest.fixture(scope="module")
def instance():
    rng = np.random.default_rng(7)
    hubs, dem = rng.uniform(0, 10_000, (15, 2)), rng.uniform(0, 10_000, (200, 2))
    cost = np.hypot(*(hubs[:, None, :] - dem[None, :, :]).transpose(2, 0, 1))
    return cost, rng.integers(1, 5, 15).astype(float), rng.integers(1, 300, 200).astype(float)


@pytest.mark.parametrize("decay", [None, "gaussian"])
def test_2sfca_equals_plain_loops(instance, decay):
    cost, supply, pop = instance
    radius = 2500.0
    fn = None if decay is None else gaussian_decay(radius)
    scores, _ = two_step_fca(coverage_from_cost_matrix(cost, radius), supply, pop, decay=fn)
    expect = _loops(cost, supply, pop, radius, (lambda d: 1.0) if fn is None else (lambda d: float(fn(d))))
    np.testing.assert_allclose(scores, expect, rtol=1e-12)
    # Σ P_i A_i = the capacity of the hubs that reach anyone (each hub's supply is shared out, none is lost)
    reaching = (cost <= radius).any(axis=1) if decay is None else ((cost < radius).any(axis=1))
    assert (pop * scores).sum() == pytest.approx(supply[reaching].sum())


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning")
@pytest.mark.parametrize("decay", [None, "gaussian"])
def test_2sfca_equals_pysal_access(instance, decay):
    from access import Access

    cost, supply, pop = instance
    radius = 2500.0
    fn = None if decay is None else gaussian_decay(radius)
    ours, _ = two_step_fca(coverage_from_cost_matrix(cost, radius), supply, pop, decay=fn)
    h, d = np.nonzero(cost <= radius)
    acc = Access(
        demand_df=pd.DataFrame({"pop": pop}, index=pd.Index(np.arange(len(pop)), name="id")),
        demand_index=True,
        demand_value="pop",
        supply_df=pd.DataFrame({"cap": supply}, index=pd.Index(np.arange(len(supply)), name="id")),
        supply_index=True,
        supply_value="cap",
        cost_df=pd.DataFrame({"origin": d, "dest": h, "cost": cost[h, d]}),
        cost_origin="origin",
        cost_dest="dest",
        cost_name="cost",
    )
    theirs = acc.two_stage_fca(name="x", max_cost=radius, weight_fn=fn)
    values = theirs.iloc[:, 0].reindex(np.arange(len(pop))).fillna(0.0).to_numpy()
    np.testing.assert_allclose(ours, values, rtol=1e-9, atol=1e-15)


@pytest.fixture(scope="module")
def yamanashi(shared_data):
    cells = geo.read_mesh(shared_data / "estat-mesh1km-census-yamanashi/yamanashi_mesh1km_2020.csv")
    pts = geo.read_points(shared_data / "ksj-n02-2023-railway-stations/stations_points.csv")
    minx, miny, maxx, maxy = cells.total_bounds
    stations = pts.cx[minx - 0.05 : maxx + 0.05, miny - 0.05 : maxy + 0.05].copy()
    stations["counters"] = np.arange(len(stations)) % 3 + 1.0
    areas = geo.read_boundaries(shared_data / "japan-topography-n03-2021/topojson/s0010/N03-21_19_210101.json")
    return stations, cells, areas


def test_access_api_on_real_data_equals_geodesic_loops(yamanashi):
    stations, cells, areas = yamanashi
    radius = 3000.0
    score = geo.access_2sfca(stations, cells, radius_m=radius, capacity="counters", weight="pop_2020")
    assert score.index.equals(cells.index) and score.name == "access_2sfca"
    hub_ll = shapely.get_coordinates(stations.geometry.to_numpy())
    dem_ll = cells[["lon_center", "lat_center"]].astype(float).to_numpy()
    h = np.repeat(np.arange(len(hub_ll)), len(dem_ll))
    d = np.tile(np.arange(len(dem_ll)), len(hub_ll))
    dist = GEOD.inv(hub_ll[h, 0], hub_ll[h, 1], dem_ll[d, 0], dem_ll[d, 1])[2].reshape(len(hub_ll), len(dem_ll))
    pop = cells["pop_2020"].to_numpy(float)
    within = dist <= radius
    catchment = within @ pop
    ratio = np.where(catchment > 0, stations["counters"].to_numpy() / np.where(catchment > 0, catchment, 1), 0)
    np.testing.assert_allclose(score.to_numpy(), within.T @ ratio, rtol=1e-9)
    # cumulative opportunities: stations within 3 km of each cell, and their counters
    count = geo.cumulative_opportunities(stations, cells, radius_m=radius)
    np.testing.assert_array_equal(count.to_numpy(), within.sum(axis=0))
    counters = geo.cumulative_opportunities(stations, cells, radius_m=radius, capacity="counters")
    np.testing.assert_allclose(counters.to_numpy(), within.T @ stations["counters"].to_numpy())
    # per area: the population-weighted mean of the cells of each municipality
    centres = cells.assign(geometry=geo.mesh_centroids(cells["mesh_code"]).to_numpy())
    cells_m = geo.assign_points(centres, areas).dropna(subset=["muni_code"])
    table = geo.access_by_area(cells_m, score.loc[cells_m.index])
    kofu = (geo.assign_points(centres, areas)["muni_code"] == "19201").to_numpy()
    row = table.set_index("muni_code").loc["19201"]
    assert row["score"] == pytest.approx((pop[kofu] * score.to_numpy()[kofu]).sum() / pop[kofu].sum())
    assert row["no_access"] == pytest.approx(pop[kofu & (score.to_numpy() == 0)].sum())
