"""Demand without a mesh (municipal population on the 1 km grid), 北海道 道の駅 siting and cost tables."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod

import geo
from geo.crs import JAPAN_EQUAL_AREA
from geo.demand import METHOD_AREA

GEOD = Geod(ellps="GRS80")
CENSUS = "census2020-preliminary-municipal-wards/census2020_preliminary_population.csv"
HOKKAIDO = "japan-topography-n03-2021/topojson/s0010/N03-21_01_210101.json"


@pytest.fixture(scope="module")
def census(shared_data):
    """The census table read plainly (pandas), independent of geo.read_indicators."""
    table = pd.read_csv(shared_data / CENSUS, dtype={"code": str})
    return table.set_index("code")["pop_total"]


@pytest.fixture(scope="module")
def hokkaido(shared_data):
    return geo.read_boundaries(shared_data / HOKKAIDO)


@pytest.fixture(scope="module")
def grid(hokkaido, shared_data):
    return geo.grid_demand(hokkaido, shared_data / CENSUS, column="pop_total", missing="zero")


@pytest.fixture(scope="module")
def michinoeki(shared_data):
    return geo.read_points(shared_data / "ksj-p35-2018-michinoeki-hokkaido/P35-18_01_michinoeki_hokkaido.geojson")


def _centres(frame) -> np.ndarray:
    """Centroids of the pieces taken in equal-area metres, as lon/lat (independent of geo.hubs)."""
    return shapely.get_coordinates(frame.geometry.to_crs(JAPAN_EQUAL_AREA).centroid.to_crs(6668).to_numpy())


def test_grid_demand_keeps_every_municipal_total(grid, hokkaido, census):
    cells, report = grid
    per_muni = cells.groupby("muni_code")["population"].sum()
    expect = census.reindex(hokkaido["muni_code"]).fillna(0.0)
    np.testing.assert_allclose(per_muni.reindex(expect.index).to_numpy(), expect.to_numpy(), rtol=1e-9)
    assert report.total == pytest.approx(5_228_885)  # 北海道, census 2020 preliminary
    assert report.missing_areas == ["01695", "01696", "01697", "01698", "01699", "01700"]  # no census count
    assert (cells["demand_method"] == METHOD_AREA).all() and "area" in report.method
    assert cells["mesh_code"].str.fullmatch(r"\d{8}").all() and report.pieces == len(cells)
    # each piece lies in its cell and its municipality, and carries the municipality's population × area share
    some = cells.iloc[::50]
    cell_poly = geo.mesh_polygons(some["mesh_code"]).to_numpy()
    assert shapely.covers(shapely.buffer(cell_poly, 1e-9), some.geometry.to_numpy()).all()
    asahikawa = hokkaido.set_index("muni_code").loc["01204", "geometry"]
    piece = cells[(cells["muni_code"] == "01204") & (cells["area_share"] < cells["area_share"].max())].iloc[0]
    inter = shapely.intersection(geo.mesh_polygons([piece["mesh_code"]]).iloc[0], asahikawa)
    a_piece = gpd.GeoSeries([inter], crs=6668).to_crs(JAPAN_EQUAL_AREA).area.iloc[0]
    a_total = gpd.GeoSeries([asahikawa], crs=6668).to_crs(JAPAN_EQUAL_AREA).area.iloc[0]
    assert piece["population"] == pytest.approx(census["01204"] * a_piece / a_total, rel=1e-4)


def test_polygon_demand_is_refused_with_advice(michinoeki, hokkaido, census):
    munis = hokkaido.assign(population=hokkaido["muni_code"].map(census).fillna(0))
    with pytest.raises(geo.ValidationError, match=r"polygons larger than .*grid_demand.*--grid --population"):
        geo.hub_coverage(michinoeki, munis, radius_m=10_000)
    with pytest.raises(geo.ValidationError, match="grid_demand"):
        geo.choose_hubs(michinoeki, munis, k=3, radius_m=10_000)


def test_hokkaido_best_10_michinoeki_reach_parts_of_municipalities(michinoeki, grid, census):
    cells, _ = grid
    radius = 10_000.0
    best, report = geo.choose_hubs(michinoeki, cells, k=10, radius_m=radius, method="exact")
    assert report.optimal and len(best) == 10 and report.model == "max_cover"
    assert report.demand_method == METHOD_AREA
    assert best.iloc[1]["道の駅名"] == "あさひかわ"
    # brute force: geodesic distance from each chosen station to each piece's centre
    hub_ll = shapely.get_coordinates(best.geometry.to_numpy())
    dem_ll = _centres(cells)
    within = np.zeros(len(cells), dtype=bool)
    for lon, lat in hub_ll:
        within |= (
            GEOD.inv(np.full(len(dem_ll), lon), np.full(len(dem_ll), lat), dem_ll[:, 0], dem_ll[:, 1])[2] <= radius
        )
    pop = cells["population"].to_numpy()
    assert report.covered == pytest.approx(pop[within].sum(), rel=1e-9)
    assert best["cumulative"].iloc[-1] == pytest.approx(report.covered)
    reach = geo.hub_coverage(best, cells, radius_m=radius)
    per_area = reach.per_area.set_index("muni_code")
    covered = pd.Series(pop * within).groupby(cells["muni_code"].to_numpy()).sum()
    np.testing.assert_allclose(per_area["covered"].reindex(covered.index).to_numpy(), covered.to_numpy(), rtol=1e-9)
    # no municipality counted all-or-nothing: 旭川市 is partly within reach of 道の駅あさひかわ
    asahikawa = per_area.loc["01204"]
    assert asahikawa["total"] == pytest.approx(census["01204"]) and 0.3 < asahikawa["share"] < 0.7
    partial = per_area[(per_area["share"] > 0) & (per_area["share"] < 1)]
    assert len(partial) >= 20


def test_fixed_sites_capacity_and_p_median_through_the_api(michinoeki, grid):
    cells, _ = grid
    # a small real instance: 8 stations around 旭川, the inhabited grid pieces of 東神楽町
    near = michinoeki.cx[142.0:142.8, 43.5:44.0]
    demand = cells[(cells["muni_code"] == "01453") & (cells["population"] > 0)]
    w = demand["population"].to_numpy()
    fixed = "あさひかわ"
    free, free_report = geo.choose_hubs(near, demand, k=1, method="p_median", fixed=[fixed], pref_code="01")
    assert free["道の駅名"].iloc[0] == fixed and free["fixed"].tolist() == [True, False]
    # brute force: geodesic distances, every second station beside the fixed one
    dist = np.array([_dist(ll, demand) for ll in shapely.get_coordinates(near.geometry.to_numpy())])
    j_fixed = near["道の駅名"].tolist().index(fixed)
    brute = min((w * np.minimum(dist[j_fixed], dist[j])).sum() for j in range(len(near)) if j != j_fixed)
    assert free_report.objective == pytest.approx(brute, rel=2e-3)  # plane rectangular zone vs geodesic
    assert free_report.objective / w.sum() == pytest.approx(free_report.mean_cost)
    # capacities: each hub serves at most 55 % of the demand, so the load must be shared
    near = near.assign(capacity=w.sum() * 0.55)
    best, report = geo.choose_hubs(
        near, demand, k=1, method="p_median", fixed=[fixed], capacity="capacity", pref_code="01"
    )
    assert (best["load"] <= best["capacity"] + 1e-6).all() and report.per_hub["utilisation"].max() <= 1 + 1e-9
    assert best["load"].sum() == pytest.approx(w.sum()) and report.objective >= free_report.objective - 1e-6
    with pytest.raises(geo.ValidationError, match="not among the candidates"):
        geo.choose_hubs(near, demand, k=1, method="p_median", fixed=["道の駅どこにもない"])
    with pytest.raises(geo.ValidationError, match=f"only {len(near)}"):
        geo.choose_hubs(near, demand, k=len(near), radius_m=5000, fixed=[fixed])
    with pytest.raises(geo.ValidationError, match=r"short by [\d,.]+ \(8[0-9]\.\d%\)"):
        geo.choose_hubs(near.assign(capacity=w.sum() * 0.07), demand, k=2, method="p_median", capacity="capacity")


def _dist(hub_lonlat, demand) -> np.ndarray:
    ll = _centres(demand)
    return GEOD.inv(np.full(len(ll), hub_lonlat[0]), np.full(len(ll), hub_lonlat[1]), ll[:, 0], ll[:, 1])[2]


def test_cost_matrix_csv_through_api_and_errors(tmp_path, michinoeki, grid):
    cells, _ = grid
    near = michinoeki.cx[142.0:142.8, 43.5:44.0]
    demand = cells[cells["muni_code"] == "01204"]
    rows = []
    for name, (lon, lat) in zip(near["道の駅名"], shapely.get_coordinates(near.geometry.to_numpy()), strict=True):
        d = _dist((lon, lat), demand) / 500.0  # "minutes" at 30 km/h straight
        keep = d <= 30
        rows.append(pd.DataFrame({"origin": demand["mesh_code"].to_numpy()[keep], "to": name, "minutes": d[keep]}))
    od = pd.concat(rows)  # within one municipality each mesh code is one piece: a unique id
    path = tmp_path / "od.csv"
    od.to_csv(path, index=False)
    cm = geo.read_cost_matrix(path, hubs=near, demand=demand)
    assert cm.demand_id == "mesh_code" and cm.hub_id == "道の駅名" and not cm.hubs_are_origins
    via_csv = geo.hub_coverage(near, demand, radius_m=20, cost=path)
    straight = geo.hub_coverage(near, demand, radius_m=10_000)
    assert via_csv.covered == pytest.approx(straight.covered, rel=1e-6)
    _, report = geo.choose_hubs(near, demand, k=2, radius_m=20, cost=path, method="exact")
    assert report.metric_crs.startswith("cost matrix (minutes")
    assert report.covered == pytest.approx(
        geo.choose_hubs(near, demand, k=2, radius_m=10_000, method="exact")[1].covered
    )
    bad = od.copy()
    bad.iloc[0, 1] = "道の駅ではない"
    bad.iloc[1, 0] = "99999999"
    bad.to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(
        geo.ValidationError, match=r"(?s)match no hub row.*道の駅ではない.*match no demand row.*99999999"
    ):
        geo.read_cost_matrix(tmp_path / "bad.csv", hubs=near, demand=demand)


def test_a_negative_capacity_is_named_by_its_candidate(michinoeki, grid):
    cells, _ = grid
    near = michinoeki.cx[142.2:142.6, 43.6:43.9].copy()
    near["capacity"] = 1000.0
    near.iloc[1, near.columns.get_loc("capacity")] = -5.0
    name = near["道の駅名"].iloc[1]
    with pytest.raises(geo.ValidationError, match=rf"capacity column 'capacity'.*candidate 2 {name} = -5\.0"):
        geo.choose_hubs(near, cells[cells["muni_code"] == "01204"], k=1, radius_m=5000, method="exact",
                        capacity="capacity")  # fmt: skip
