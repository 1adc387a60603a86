"""Service hubs: buffers, coverage and siting, checked against brute-force geodesic distances on real data."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from click.testing import CliRunner
from pyproj import Geod
from scipy import sparse

import geo
import geo.cli
from geo.coverage import coverage_from_cost_matrix, coverage_table, summarise_coverage
from geo.siting import choose

GEOD = Geod(ellps="GRS80")


# ------------------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def cells(shared_data):
    return geo.read_mesh(shared_data / "estat-mesh1km-census-yamanashi/yamanashi_mesh1km_2020.csv")


@pytest.fixture(scope="module")
def stations(shared_data, cells):
    """Stations within ~10 km of Yamanashi's populated cells (those across the border serve residents too)."""
    pts = geo.read_points(shared_data / "ksj-n02-2023-railway-stations/stations_points.csv")
    minx, miny, maxx, maxy = cells.total_bounds
    return pts.cx[minx - 0.12 : maxx + 0.12, miny - 0.1 : maxy + 0.1]


@pytest.fixture(scope="module")
def michinoeki(shared_data):
    return geo.read_points(shared_data / "ksj-p35-2018-michinoeki-hokkaido/P35-18_01_michinoeki_hokkaido.geojson")


@pytest.fixture(scope="module")
def hokkaido_demand(municipalities, shared_data):
    """Hokkaido municipalities as points weighted by their 2020 census population."""
    munis = municipalities[municipalities["pref_code"] == "01"].copy()
    pop = pd.read_csv(
        shared_data / "census2020-preliminary-municipal-wards/census2020_preliminary_population.csv",
        dtype={"code": str},
    )
    munis["population"] = munis["muni_code"].map(pop.set_index("code")["pop_total"])
    # the six villages of the Northern Territories (01695–01700) have no census count: 0, explicitly
    missing = sorted(munis.loc[munis["population"].isna(), "muni_code"])
    assert missing == ["01695", "01696", "01697", "01698", "01699", "01700"]
    munis["population"] = munis["population"].fillna(0.0)
    munis["geometry"] = munis.geometry.representative_point()
    return munis


def _geodesic_covered(hub_ll: np.ndarray, demand_ll: np.ndarray, radius: float) -> tuple[np.ndarray, np.ndarray]:
    """Brute force: geodesic distance of every hub–demand pair (GRS80), independent of any projection."""
    h = np.repeat(np.arange(len(hub_ll)), len(demand_ll))
    d = np.tile(np.arange(len(demand_ll)), len(hub_ll))
    _, _, dist = GEOD.inv(hub_ll[h, 0], hub_ll[h, 1], demand_ll[d, 0], demand_ll[d, 1])
    return dist.reshape(len(hub_ll), len(demand_ll)), dist.reshape(len(hub_ll), len(demand_ll)) <= radius


def _ll(frame) -> np.ndarray:
    return shapely.get_coordinates(frame.geometry.to_crs(6668).to_numpy())


# ----------------------------------------------------------------------------------- geometry-free core


def test_coverage_table_equals_all_pairs():
    rng = np.random.default_rng(1)
    hubs, demand = rng.uniform(0, 20_000, (60, 2)), rng.uniform(0, 20_000, (900, 2))
    t = coverage_table(hubs, demand, 2500)
    dist = np.hypot(*(hubs[:, None, :] - demand[None, :, :]).transpose(2, 0, 1))
    expect = np.argwhere(dist <= 2500)
    assert sorted(zip(t.hub.tolist(), t.demand.tolist(), strict=True)) == [tuple(p) for p in expect.tolist()]
    np.testing.assert_allclose(t.cost, dist[t.hub, t.demand])
    sub = t.within(1000)
    assert sub.n_pairs == int((dist <= 1000).sum()) and (sub.cost <= 1000).all()


def test_cost_matrix_seam_dense_and_sparse():
    minutes = np.array([[0.0, 12.0, np.inf], [20.0, 9.0, 10.0]])
    dense = coverage_from_cost_matrix(minutes, 10)
    assert list(zip(dense.hub.tolist(), dense.demand.tolist(), strict=True)) == [(0, 0), (1, 1), (1, 2)]
    # in a sparse matrix a stored 0 is a real cost of 0 (hub on the demand point), absent means unreachable
    sp = sparse.coo_array(
        (np.array([0.0, 9.0, 10.0, 12.0]), (np.array([0, 1, 1, 0]), np.array([0, 1, 2, 1]))), shape=(2, 3)
    )
    t = coverage_from_cost_matrix(sp, 10)
    assert list(zip(t.hub.tolist(), t.demand.tolist(), strict=True)) == [(0, 0), (1, 1), (1, 2)]
    with pytest.raises(geo.ValidationError, match="negative"):
        coverage_from_cost_matrix(np.array([[-1.0]]), 5)


def test_exclusive_shared_and_multi_covered():
    t = coverage_from_cost_matrix(np.array([[1.0, 1.0, 9.0, 9.0], [9.0, 1.0, 1.0, 9.0]]), 2)
    f = summarise_coverage(t, np.array([10.0, 20.0, 30.0, 40.0]))
    assert (f.total, f.covered, f.multi_covered) == (100.0, 60.0, 20.0)
    assert f.hub_exclusive.tolist() == [10.0, 30.0] and f.hub_shared.tolist() == [20.0, 20.0]


def test_exact_beats_greedy_where_greedy_is_myopic():
    # S0 = {1,2,3,4}, S1 = {1,2,5}, S2 = {3,4,6}: greedy takes S0 first (5 of 6), the optimum is S1 + S2 (6)
    cover = np.array([[1, 1, 1, 1, 0, 0], [1, 1, 0, 0, 1, 0], [0, 0, 1, 1, 0, 1]], dtype=float)
    t = coverage_from_cost_matrix(np.where(cover > 0, 1.0, np.inf), 1)
    w = np.ones(6)
    greedy, exact = choose(t, w, k=2, method="greedy"), choose(t, w, k=2, method="exact")
    assert greedy.order.tolist()[0] == 0 and greedy.covered == 5
    assert sorted(exact.order.tolist()) == [1, 2] and exact.covered == 6 and exact.optimal
    swap = choose(t, w, k=2, method="swap")
    assert swap.covered == 6 and swap.info["swaps"] == 1
    with pytest.raises(geo.ValidationError, match="swap"):
        choose(t, w, target_share=0.5, method="swap")
    assert exact.cumulative.tolist() == [3.0, 6.0]
    cover_all = choose(t, w, target_share=1.0, method="exact")
    assert sorted(cover_all.order.tolist()) == [1, 2]
    assert len(choose(t, w, target_share=1.0, method="greedy").order) == 3


# ------------------------------------------------------------------------------------------ CRS rules


def test_crs_less_and_geographic_are_refused():
    pt = gpd.GeoDataFrame({"name": ["a"]}, geometry=[shapely.Point(138.57, 35.66)])
    ok = pt.set_crs(6668)
    with pytest.raises(geo.CRSError, match="has no CRS"):
        geo.buffer_hubs(pt, 1000)
    with pytest.raises(geo.CRSError, match="has no CRS"):
        geo.hub_coverage(ok, pt, radius_m=1000)
    with pytest.raises(geo.CRSError, match="has no CRS"):
        geo.choose_hubs(pt, ok, k=1, radius_m=1000)
    for crs in (4326, 6668, "EPSG:4612"):
        with pytest.raises(geo.CRSError, match="geographic"):
            geo.buffer_hubs(ok, 1000, crs=crs)
        with pytest.raises(geo.CRSError, match="geographic"):
            geo.hub_coverage(ok, ok, radius_m=1000, crs=crs)


def test_bad_inputs_raise_clear_errors(cells, stations):
    with pytest.raises(geo.ValidationError, match="positive number of metres"):
        geo.buffer_hubs(stations, [1000, -5])
    with pytest.raises(geo.ValidationError, match="must be points"):
        geo.hub_coverage(cells.head(3), cells, radius_m=1000)
    with pytest.raises(geo.ValidationError, match="exactly one of k"):
        geo.choose_hubs(stations, cells, k=3, target_share=0.5, radius_m=1000)
    with pytest.raises(geo.ValidationError, match="not one of 'greedy', 'swap', 'exact', 'p_median', 'p_center'"):
        geo.choose_hubs(stations, cells, k=3, radius_m=1000, method="best")
    bad = cells.copy()
    bad.loc[bad.index[:2], "pop_2020"] = np.nan
    with pytest.raises(geo.ValidationError, match=r"pop_2020.*2 missing"):
        geo.hub_coverage(stations, bad, radius_m=1000, weight="pop_2020")
    with pytest.raises(geo.ValidationError, match="cannot be reached"):
        geo.choose_hubs(stations, cells, target_share=1.0, radius_m=500)


# ------------------------------------------------------------------------------------------ buffers


@pytest.mark.parametrize("crs", [None, "utm"])
def test_buffer_across_zone_and_prefecture_border_is_round(crs):
    # 137.99°E lies 1 km west of the UTM 53/54 boundary (138°E), on the Nagano–Yamanashi–Shizuoka side of
    # the Japanese Alps; a 5 km buffer crosses both the zone boundary and plane-rectangular zones VII/VIII
    hub = gpd.GeoDataFrame({"name": ["edge"]}, geometry=[shapely.Point(137.99, 35.5)], crs=6668)
    radius = 5000.0
    buf = geo.buffer_hubs(hub, [radius], crs=crs)
    assert buf.crs.to_epsg() == 6668 and buf["metric_crs"].iloc[0].startswith("EPSG:")
    poly = buf.geometry.iloc[0]
    area = abs(GEOD.geometry_area_perimeter(poly)[0])
    n = 64  # polygon inscribed in the circle, quad_segs=16
    assert area == pytest.approx(np.pi * radius**2 * n / (2 * np.pi) * np.sin(2 * np.pi / n), rel=2e-3)
    az = np.arange(0, 360, 15.0)
    for factor, inside in ((0.995, True), (1.005, False)):
        lon, lat, _ = GEOD.fwd(np.full(len(az), 137.99), np.full(len(az), 35.5), az, np.full(len(az), radius * factor))
        assert (shapely.contains_xy(poly, lon, lat) == inside).all(), (factor, crs)
    assert (lon > 138.0).any() and (lon < 138.0).any()


def test_buffers_rings_and_union(stations):
    buf = geo.buffer_hubs(stations, [1000, 5000])
    assert len(buf) == 2 * len(stations) and buf["radius_m"].tolist() == [1000.0] * len(stations) + [5000.0] * len(
        stations
    )
    assert buf.attrs["metric_crs"] == "EPSG:6676"  # plane rectangular zone VIII (Yamanashi)
    assert buf["hub_index"].iloc[0] == stations.index[0] and "station_name" in buf.columns
    union = geo.union_buffers(buf)
    assert union["radius_m"].tolist() == [1000.0, 5000.0]
    plain = buf[buf.radius_m == 5000].geometry.union_all()
    assert union.geometry.iloc[1].symmetric_difference(plain).area < 1e-9 * plain.area
    assert (union["area_km2"].to_numpy() < buf.groupby("radius_m").size().to_numpy() * np.pi * np.array([1, 25])).all()
    fast = geo.buffer_hubs(stations, [1000, 5000], dissolve=True)  # built in metres, on two threads
    assert fast["n_hubs"].tolist() == [len(stations)] * 2 and fast.crs.to_epsg() == 6668
    for a, b in zip(fast.geometry, union.geometry, strict=True):
        assert a.symmetric_difference(b).area < 1e-6 * b.area
    np.testing.assert_allclose(fast["area_km2"], union["area_km2"], rtol=1e-6)


def test_dissolved_buffers_across_utm_zones(michinoeki):
    fast = geo.buffer_hubs(michinoeki, 30_000, dissolve=True)
    slow = geo.union_buffers(geo.buffer_hubs(michinoeki, 30_000))
    assert fast.attrs["metric_crs"] == "UTM per hub (EPSG:6691, EPSG:6692)"
    assert fast.geometry.iloc[0].symmetric_difference(slow.geometry.iloc[0]).area < 1e-6 * slow.geometry.iloc[0].area
    assert fast.geometry.iloc[0].is_valid


# ------------------------------------------------------------------------------------------ real coverage


@pytest.mark.parametrize("radius", [1000.0, 5000.0])
def test_yamanashi_coverage_equals_geodesic_brute_force(cells, stations, radius):
    res = geo.hub_coverage(stations, cells, radius_m=radius, weight="pop_2020")
    centres = cells[["lon_center", "lat_center"]].astype(float).to_numpy()
    dist, within = _geodesic_covered(_ll(stations), centres, radius)
    w = cells["pop_2020"].to_numpy(float)
    n_cov = within.sum(axis=0)
    assert res.total == w.sum() == 809974
    assert res.covered == w[n_cov > 0].sum()
    assert res.multi_covered == w[n_cov > 1].sum()
    np.testing.assert_array_equal(res.n_hubs_reaching.to_numpy(), n_cov)
    np.testing.assert_allclose(res.per_hub["covered"].to_numpy(), within @ w)
    np.testing.assert_allclose(res.per_hub["exclusive"].to_numpy(), (within & (n_cov == 1)) @ w)
    assert res.uncovered.index.equals(cells.index[n_cov == 0]) and res.uncovered.crs == cells.crs
    assert res.metric_crs == "geodesic (GRS80)"  # the default: no projection, 3-D search + geodesic edge
    pinned = geo.hub_coverage(stations, cells, radius_m=radius, weight="pop_2020", pref_code="19")
    assert pinned.metric_crs == "EPSG:6676" and pinned.covered == res.covered  # plane rectangular zone VIII
    pairs = list(zip(res.table.hub.tolist(), res.table.demand.tolist(), strict=True))
    assert pairs == [tuple(p) for p in np.argwhere(within).tolist()]
    np.testing.assert_allclose(res.table.cost, dist[within], rtol=2e-4, atol=0.25)  # scale error + cell centre


def test_projected_inputs_and_no_hubs_give_the_same_figures(cells, stations):
    ref = geo.hub_coverage(stations, cells, radius_m=1000)
    projected = geo.hub_coverage(stations.to_crs(6676), cells.to_crs(6677), radius_m=1000)
    assert projected.covered == ref.covered and projected.uncovered.crs.to_epsg() == 6677
    forced = geo.hub_coverage(stations, cells, radius_m=1000, crs="utm")
    assert forced.covered == ref.covered and forced.metric_crs == "UTM per hub (EPSG:6691)"
    none = geo.hub_coverage(stations.iloc[:0], cells, radius_m=1000)
    assert none.covered == 0 and len(none.uncovered) == len(cells) and none.share == 0


def test_per_municipality_totals(cells, stations, municipalities):
    res = geo.hub_coverage(stations, cells, radius_m=1000, areas=municipalities[municipalities.pref_code == "19"])
    table = res.per_area
    assert table["total"].sum() == res.total and table["covered"].sum() == res.covered
    yama = table[table.muni_code != "(none)"]
    assert len(yama) == 27 and yama["muni_name"].notna().all()
    assert ((table["covered"] <= table["total"]) & (table["share"].between(0, 1))).all()
    # independent: cell centres inside 甲府市 by shapely, covered ones by the brute-force distances
    kofu_poly = municipalities.loc[municipalities.muni_code == "19201", "geometry"].iloc[0]
    centres = cells[["lon_center", "lat_center"]].astype(float).to_numpy()
    inside = shapely.contains_xy(kofu_poly, centres[:, 0], centres[:, 1])
    _, within = _geodesic_covered(_ll(stations), centres, 1000)
    w = cells["pop_2020"].to_numpy(float)
    kofu = table.set_index("muni_code").loc["19201"]
    assert kofu["muni_name"] == "甲府市" and kofu["total"] == w[inside].sum()
    assert kofu["covered"] == w[inside & within.any(axis=0)].sum()


def test_cost_matrix_through_the_api_equals_straight_line(cells, stations):
    centres = cells[["lon_center", "lat_center"]].astype(float).to_numpy()
    dist, _ = _geodesic_covered(_ll(stations), centres, 5000)
    via_cost = geo.hub_coverage(stations, cells, radius_m=5000, cost=dist)
    straight = geo.hub_coverage(stations, cells, radius_m=5000)
    assert via_cost.covered == straight.covered and via_cost.metric_crs == "cost matrix"
    with pytest.raises(geo.ValidationError, match="shape"):
        geo.hub_coverage(stations, cells, radius_m=5000, cost=dist[:, :10])


def test_hokkaido_per_hub_utm_zones_equal_geodesic(michinoeki, hokkaido_demand):
    # 道の駅 from 139.9°E to 145.4°E: too wide for one zone, so each hub is measured in its own UTM zone
    res = geo.hub_coverage(michinoeki, hokkaido_demand, radius_m=20_000, crs="utm")
    assert res.metric_crs == "UTM per hub (EPSG:6691, EPSG:6692)"
    default = geo.hub_coverage(michinoeki, hokkaido_demand, radius_m=20_000)
    assert default.metric_crs == "geodesic (GRS80)" and default.covered == res.covered
    _, within = _geodesic_covered(_ll(michinoeki), _ll(hokkaido_demand), 20_000)
    np.testing.assert_array_equal(res.n_hubs_reaching.to_numpy(), within.sum(axis=0))
    w = hokkaido_demand["population"].to_numpy(float)
    assert res.covered == w[within.any(axis=0)].sum()
    np.testing.assert_allclose(res.per_hub["covered"].to_numpy(), within @ w)
    assert res.per_hub["name"].iloc[0] == michinoeki["道の駅名"].iloc[0]


# ------------------------------------------------------------------------------------------ siting


def _check_greedy_vs_exact(hubs, demand, *, k, radius_m, weight=None):
    greedy, g_rep = geo.choose_hubs(hubs, demand, k=k, radius_m=radius_m, weight=weight, method="greedy")
    exact, e_rep = geo.choose_hubs(hubs, demand, k=k, radius_m=radius_m, weight=weight, method="exact")
    assert e_rep.optimal is True
    swap, s_rep = geo.choose_hubs(hubs, demand, k=k, radius_m=radius_m, weight=weight, method="swap")
    g, e = g_rep.covered, e_rep.covered
    assert g <= e + 1e-6 and g >= 0.95 * e, (g, e)
    assert g - 1e-6 <= s_rep.covered <= e + 1e-6 and len(swap) == len(exact)
    for chosen, rep in ((greedy, g_rep), (swap, s_rep), (exact, e_rep)):
        # independent check: the chosen hubs' own coverage equals the sum of the reported gains
        again = geo.hub_coverage(hubs.loc[chosen.index], demand, radius_m=radius_m, weight=weight)
        assert again.covered == pytest.approx(chosen["gain"].sum())
        assert (np.diff(chosen["gain"].to_numpy()) <= 1e-9).all()  # in order of decreasing marginal gain
        assert chosen["cumulative"].iloc[-1] == pytest.approx(rep.covered)
        assert chosen["load"].sum() == pytest.approx(rep.covered)  # each covered row served by one hub
    return g, e


@pytest.mark.parametrize(("k", "radius"), [(3, 1000.0), (10, 1000.0), (3, 5000.0)])
def test_siting_stations_greedy_within_95pct_of_exact(cells, stations, k, radius):
    _, e = _check_greedy_vs_exact(stations, cells, k=k, radius_m=radius, weight="pop_2020")
    assert e > 0


def test_siting_transport_gap_cells(cells, stations):
    # demand: cells beyond 800 m of any station (the gaps issue); candidates: the centres of populated cells
    gaps = geo.find_gaps(cells, {"station": stations}, walk_m={"station": 800})
    candidates = cells[cells["population"] >= 1000].copy()
    candidates["geometry"] = geo.mesh_centroids(candidates["mesh_code"]).to_numpy()
    _check_greedy_vs_exact(candidates, gaps, k=5, radius_m=3000, weight="pop_2020")


def test_siting_hokkaido_michinoeki(michinoeki, hokkaido_demand):
    _check_greedy_vs_exact(michinoeki, hokkaido_demand, k=5, radius_m=30_000)


def test_set_covering_is_minimal(cells, stations):
    target = 0.5
    exact, e_rep = geo.choose_hubs(stations, cells, target_share=target, radius_m=5000, method="exact")
    greedy, _ = geo.choose_hubs(stations, cells, target_share=target, radius_m=5000, method="greedy")
    n = len(exact)
    assert exact["cumulative_share"].iloc[-1] >= target and greedy["cumulative_share"].iloc[-1] >= target
    assert n <= len(greedy)
    # minimal: the best n - 1 hubs (exact MCLP) stay below the target
    _, fewer = geo.choose_hubs(stations, cells, k=n - 1, radius_m=5000, method="exact")
    assert fewer.covered < target * e_rep.total


# ------------------------------------------------------------------------------------------ CLI


def test_cli_writes_layers_and_summary(tmp_path, shared_data, stations, cells):
    points = tmp_path / "stations.gpkg"
    pyogrio.write_dataframe(stations, points, layer="stations")
    out = tmp_path / "out"
    args = [
        "hubs",
        str(points),
        "--mesh",
        str(shared_data / "estat-mesh1km-census-yamanashi/yamanashi_mesh1km_2020.csv"),
        "--radius",
        "1000",
        "--radius",
        "5000",
        "--choose",
        "3",
        "--method",
        "exact",
        "-o",
        str(out),
    ]
    result = CliRunner().invoke(geo.cli.cli, args)
    assert result.exit_code == 0, result.output
    layers = dict(pyogrio.list_layers(out / "layers.gpkg").tolist())
    assert {"hubs", "buffers", "buffers_union", "uncovered_1000m", "uncovered_5000m", "chosen_hubs"} <= set(layers)
    summary = pd.read_csv(out / "coverage.csv", encoding="utf-8-sig")
    expect = geo.hub_coverage(stations, cells, radius_m=5000)
    row = summary.set_index("radius_m").loc[5000.0]
    assert row["covered"] == expect.covered and row["metric_crs"] == "geodesic (GRS80)"
    chosen = pd.read_csv(out / "chosen_hubs.csv", encoding="utf-8-sig")
    assert len(chosen) == 3 and chosen["rank"].tolist() == [1, 2, 3]
    assert not list((tmp_path / "out").glob(".*tmp*"))
    # demand as a GeoPackage of transport-gap cells (polygons, as `geo gaps` writes them), set covering
    gaps = geo.find_gaps(cells, {"station": stations}, walk_m={"station": 800})
    pyogrio.write_dataframe(gaps, tmp_path / "gaps.gpkg", layer="gaps")
    args = [
        "hubs",
        str(points),
        "--demand",
        str(tmp_path / "gaps.gpkg"),
        "--radius",
        "5000",
        "--target-share",
        "0.5",
        "--weight",
        "population",
        "-o",
        str(tmp_path / "gap_hubs"),
    ]
    result = CliRunner().invoke(geo.cli.cli, args)
    assert result.exit_code == 0, result.output
    chosen = pd.read_csv(tmp_path / "gap_hubs" / "chosen_hubs.csv", encoding="utf-8-sig")
    expect, _ = geo.choose_hubs(stations, gaps, target_share=0.5, radius_m=5000, weight="population")
    assert chosen["station_code"].astype(str).str.zfill(6).tolist() == expect["station_code"].tolist()
    assert chosen["cumulative_share"].iloc[-1] >= 0.5
    bad = CliRunner().invoke(geo.cli.cli, ["hubs", str(points), "--radius", "1000", "-o", str(out)])
    assert bad.exit_code == 2 and "exactly one of --demand, --mesh and --grid" in bad.output
