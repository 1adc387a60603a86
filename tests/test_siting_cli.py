"""Grid demand, siting and access from the user's side on 山梨県: CLI, run config, proxy-weighted grid."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from click.testing import CliRunner
from pyproj import Geod

import geo
import geo.cli
from geo.config import load_config
from geo.crs import JAPAN_EQUAL_AREA
from geo.demand import METHOD_AREA

GEOD = Geod(ellps="GRS80")
CENSUS = "census2020-preliminary-municipal-wards/census2020_preliminary_population.csv"
YAMANASHI = "japan-topography-n03-2021/topojson/s0010/N03-21_19_210101.json"


@pytest.fixture(scope="module")
def census(shared_data):
    table = pd.read_csv(shared_data / CENSUS, dtype={"code": str})
    return table.set_index("code")["pop_total"]


@pytest.fixture(scope="module")
def yamanashi_grid(shared_data):
    areas = geo.read_boundaries(shared_data / YAMANASHI)
    return areas, geo.grid_demand(areas, shared_data / CENSUS, column="pop_total")[0]


def _dist(hub_lonlat, demand) -> np.ndarray:
    ll = shapely.get_coordinates(demand.geometry.to_crs(JAPAN_EQUAL_AREA).centroid.to_crs(6668).to_numpy())
    return GEOD.inv(np.full(len(ll), hub_lonlat[0]), np.full(len(ll), hub_lonlat[1]), ll[:, 0], ll[:, 1])[2]


def test_cli_grid_population_access_and_fixed(tmp_path, shared_data, yamanashi_grid):
    stations = geo.read_points(shared_data / "ksj-n02-2023-railway-stations/stations_points.csv")
    yamanashi = stations.cx[138.2:139.2, 35.2:35.95]
    pts = tmp_path / "stations.gpkg"
    pyogrio.write_dataframe(yamanashi, pts, layer="stations")
    out = tmp_path / "out"
    args = ["hubs", str(pts), "--grid", "--population-table", str(shared_data / CENSUS), "--population-column",
            "pop_total"]  # fmt: skip
    args += ["--areas", str(shared_data / YAMANASHI), "--radius", "3000", "--choose", "3", "--method", "exact"]
    args += ["--fixed", "韮崎", "--access", "2sfca", "--access", "cumulative", "-o", str(out)]
    result = CliRunner().invoke(geo.cli.cli, args)
    assert result.exit_code == 0, result.output
    assert "areal weighting" in result.output
    chosen = pd.read_csv(out / "chosen_hubs.csv", encoding="utf-8-sig")
    assert chosen["station_name"].iloc[0] == "韮崎" and chosen["fixed"].tolist() == [True, False, False, False]
    siting = pd.read_csv(out / "siting.csv", encoding="utf-8-sig")
    assert siting["demand_method"].iloc[0] == METHOD_AREA
    per_area = pd.read_csv(out / "access_2sfca_per_area.csv", encoding="utf-8-sig", dtype=str)
    assert len(per_area) == 27 and "score" in per_area
    layers = dict(pyogrio.list_layers(out / "layers.gpkg").tolist())
    assert "access" in layers
    # the same through the API: the candidates placed in the areas with the one border rule
    _, cells = yamanashi_grid
    placed, _ = geo.place(yamanashi, geo.analyses.select(shared_data / YAMANASHI))
    ours, rep = geo.choose_hubs(placed, cells, k=3, radius_m=3000, method="exact", fixed=["韮崎"])
    assert chosen["station_name"].tolist() == ours["station_name"].tolist()
    assert siting["covered"].iloc[0] == pytest.approx(rep.covered)
    bad = CliRunner().invoke(geo.cli.cli, ["hubs", str(pts), "--grid", "--radius", "1000", "-o", str(out)])
    assert bad.exit_code == 2 and "--population" in bad.output
    mesh = shared_data / "estat-mesh1km-census-yamanashi/yamanashi_mesh1km_2020.csv"
    by_proxy = CliRunner().invoke(
        geo.cli.cli,
        [*args[:-2], "--proxy-table", str(mesh), "--proxy-column", "pop_2015", "-o", str(tmp_path / "proxy")],
    )
    assert by_proxy.exit_code == 0, by_proxy.output
    assert "dasymetric" in pd.read_csv(tmp_path / "proxy" / "siting.csv", encoding="utf-8-sig")["demand_method"].iloc[0]
    with pytest.raises(geo.ValidationError, match="'甲府' names 2 candidates"):  # 中央線 and 身延線
        geo.choose_hubs(yamanashi, cells, k=1, radius_m=3000, fixed=["甲府"])


def test_example_config_is_valid(shared_data):

    config = load_config(Path(__file__).resolve().parents[1] / "scripts" / "hokkaido_michinoeki_hubs.toml")
    assert config.hubs is not None and config.hubs.demand == "grid" and config.hubs.choose == 10
    assert config.hubs.access == ("2sfca",)


def test_config_grid_fixed_access_and_cost_matrix_reach_the_step(tmp_path, shared_data, yamanashi_grid):
    """Every new [hubs] key changes what the run computes: grid demand, fixed, method, access, cost_matrix."""
    areas, cells = yamanashi_grid
    stations = geo.read_points(shared_data / "ksj-n02-2023-railway-stations/stations_points.csv")
    near = geo.assign_points(stations.cx[138.2:139.2, 35.2:35.95], areas).dropna(subset=["muni_code"])
    # walking minutes at 80 m/min, straight line, within 40 minutes (an OD table as another tool would write)
    rows = []
    for code, (lon, lat) in zip(near["station_code"], shapely.get_coordinates(near.geometry.to_numpy()), strict=True):
        minutes = _dist((lon, lat), cells) / 80.0
        keep = minutes <= 40
        rows.append(pd.DataFrame({"from": code, "to": cells["demand_id"].to_numpy()[keep], "minutes": minutes[keep]}))
    pd.concat(rows).to_csv(tmp_path / "walk.csv", index=False)
    (tmp_path / "run.toml").write_text(
        f"""
[run]
name = "grid"
output_dir = "{tmp_path / "out"}"

[area]
boundaries = "{shared_data / YAMANASHI}"
prefectures = ["山梨県"]

[[points]]
name = "stations"
path = "stations-n02-2023-points"
kind = "candidate"

[hubs]
candidates = "stations"
demand = "grid"
population_table = "{shared_data / CENSUS}"
population_column = "pop_total"
radii_m = [25]
choose = 2
method = "exact"
fixed = ["韮崎"]
name_column = "station_name"
access = ["2sfca", "cumulative"]
cost_matrix = "walk.csv"
""",
        encoding="utf-8",
    )
    result = geo.run(tmp_path / "run.toml", progress=False)
    out = result.output_dir
    chosen = pd.read_csv(out / "chosen_hubs.csv", encoding="utf-8-sig")
    assert chosen["station_name"].iloc[0] == "韮崎" and len(chosen) == 3
    assert (out / "access_2sfca_per_area.csv").exists() and (out / "access_cumulative_per_area.csv").exists()
    assert "buffers" not in dict(pyogrio.list_layers(out / "layers.gpkg").tolist())  # radii in minutes here
    # the same through the API, with the same OD table
    expect = geo.hub_coverage(near, cells, radius_m=25, cost=tmp_path / "walk.csv")
    coverage = pd.read_csv(out / "coverage.csv", encoding="utf-8-sig")
    assert coverage["total"].iloc[0] == pytest.approx(cells["population"].sum())
    assert coverage["covered"].iloc[0] == pytest.approx(expect.covered)
    assert expect.covered < geo.hub_coverage(near, cells, radius_m=25 * 80.0).covered + 1e-6
    assert result.manifest["analyses"]["hubs"]["demand"].startswith(f"{cells['population'].sum():,.0f} people")


def test_grid_demand_with_a_proxy_places_people_better_than_area(shared_data, yamanashi_grid, census):
    """Spreading 2020 municipal totals by the 2015 mesh census (a proxy) against the real 2020 mesh census."""
    areas, by_area = yamanashi_grid
    mesh = geo.read_mesh(shared_data / "estat-mesh1km-census-yamanashi/yamanashi_mesh1km_2020.csv")
    proxy = pd.to_numeric(mesh.set_index("mesh_code")["pop_2015"], errors="coerce").fillna(0.0)
    by_proxy, report = geo.grid_demand(areas, shared_data / CENSUS, column="pop_total", proxy=proxy.rename("pop_2015"))
    assert "pop_2015" in report.method and by_proxy["demand_method"].str.contains("dasymetric").all()
    # totals per municipality are kept exactly either way
    per_muni = by_proxy.groupby("muni_code")["population"].sum()
    np.testing.assert_allclose(per_muni.to_numpy(), census.reindex(per_muni.index).to_numpy(), rtol=1e-9)
    truth = pd.to_numeric(mesh.set_index("mesh_code")["pop_2020"], errors="coerce").fillna(0.0)

    def misplaced(grid) -> float:
        est = grid.groupby("mesh_code")["population"].sum()
        idx = truth.index.union(est.index)
        return float((est.reindex(idx).fillna(0) - truth.reindex(idx).fillna(0)).abs().sum() / 2 / truth.sum())

    # measured: area weighting puts 68 % of 山梨県's people in the wrong 1 km cell, the 2015 proxy 3 %
    assert misplaced(by_proxy) < 0.05 < 0.5 < misplaced(by_area)
    # one piece by hand: its municipality's total × its proxy share
    piece = by_proxy[by_proxy["muni_code"] == "19201"].nlargest(1, "population").iloc[0]
    kofu = by_proxy[by_proxy["muni_code"] == "19201"]
    cell_area = gpd.GeoSeries(geo.mesh_polygons(kofu["mesh_code"]).to_numpy(), crs=6668).to_crs(JAPAN_EQUAL_AREA).area
    piece_area = kofu.geometry.to_crs(JAPAN_EQUAL_AREA).area.to_numpy()
    w = proxy.reindex(kofu["mesh_code"]).fillna(0).to_numpy() * piece_area / cell_area.to_numpy()
    expect = census["19201"] * w[kofu.index.get_loc(piece.name)] / w.sum()
    assert piece["population"] == pytest.approx(expect, rel=1e-6)


def test_cost_table_with_overlapping_ids_is_never_read_the_wrong_way_round(shared_data, tmp_path):
    """A routing tool numbers 10 前橋 小学校 (hubs) and 10 other schools (demand) 0-9 alike: both readings fit."""
    schools = geo.read_points(shared_data / "ksj-p29-2023-schools-gunma/P29-23_10.geojson")
    maebashi = schools[schools["P29_001"] == "10201"]
    hubs = maebashi[maebashi["P29_003"] == "16001"].head(10).reset_index(drop=True)
    demand = maebashi[maebashi["P29_003"] == "16011"].head(10).reset_index(drop=True)
    pyogrio.write_dataframe(hubs, tmp_path / "hubs.gpkg")
    pyogrio.write_dataframe(demand, tmp_path / "demand.gpkg")
    h, d = shapely.get_coordinates(hubs.geometry.to_numpy()), shapely.get_coordinates(demand.geometry.to_numpy())
    rows = [(i, j, GEOD.inv(*h[i], *d[j])[2] / 500.0) for i in range(10) for j in range(10)]  # 30 km/h
    od = pd.DataFrame(rows, columns=["from_id", "to_id", "minutes"])
    od.to_csv(tmp_path / "od.csv", index=False)
    right = od.loc[od["minutes"] <= 8, "to_id"].nunique()
    wrong = od.loc[od["minutes"] <= 8, "from_id"].nunique()  # what the transposed table covered
    assert right != wrong
    args = ["hubs", str(tmp_path / "hubs.gpkg"), "--demand", str(tmp_path / "demand.gpkg"), "--cost-matrix",
            str(tmp_path / "od.csv"), "--radius", "8", "--areas", str(shared_data / YAMANASHI.replace("19", "10")),
            "--municipality", "10201"]  # fmt: skip
    refused = CliRunner().invoke(geo.cli.cli, [*args, "-o", str(tmp_path / "auto")])
    assert isinstance(refused.exception, geo.ValidationError)
    message = str(refused.exception)
    assert "od.csv" in message and "ambiguous" in message and "--cost-hubs origin|destination" in message
    assert not (tmp_path / "auto").exists()
    told = CliRunner().invoke(geo.cli.cli, [*args, "--cost-hubs", "origin", "-o", str(tmp_path / "told")])
    assert told.exit_code == 0, told.output
    coverage = pd.read_csv(tmp_path / "told" / "coverage.csv", encoding="utf-8-sig")
    assert coverage["covered"].iloc[0] == right
    cm = geo.read_cost_matrix(tmp_path / "od.csv", hubs=hubs, demand=demand, hubs_are="destination")
    assert not cm.hubs_are_origins and cm.matrix.shape == (10, 10)
    pd.concat([od, od.iloc[[12]]]).to_csv(tmp_path / "od_twice.csv", index=False)  # pair (1, 2) listed again
    with pytest.raises(geo.ValidationError, match=r"rows \[14, 102\]: 1 hub–demand pairs are listed more than once"):
        geo.read_cost_matrix(tmp_path / "od_twice.csv", hubs=hubs, demand=demand, hubs_are="origin")


def test_hubs_takes_the_mesh_level_its_own_message_advises(tmp_path, shared_data):
    """geo hubs once advised --mesh-level, an option only geo gaps had."""
    stations = geo.read_points(shared_data / "ksj-n02-2023-railway-stations/stations_points.csv")
    pts = tmp_path / "stations.gpkg"
    pyogrio.write_dataframe(stations.cx[138.2:139.2, 35.2:35.95], pts, layer="stations")
    mesh = pd.read_csv(shared_data / "estat-mesh1km-census-yamanashi/yamanashi_mesh1km_2020.csv", dtype=str)
    quarter = mesh[["mesh_code", "pop_2020"]].assign(mesh_code=mesh["mesh_code"] + "11")  # SW 250 m of each cell
    demand = tmp_path / "quarter.csv"
    quarter.to_csv(demand, index=False)
    args = ["hubs", str(pts), "--mesh", str(demand), "--areas", str(shared_data / YAMANASHI), "--radius", "1000"]
    asked = CliRunner().invoke(geo.cli.cli, [*args, "-o", str(tmp_path / "a")])
    assert isinstance(asked.exception, geo.ValidationError)
    assert "geo gaps / geo hubs --mesh-level" in str(asked.exception)
    told = CliRunner().invoke(geo.cli.cli, [*args, "--mesh-level", "quarter", "-o", str(tmp_path / "b")])
    assert told.exit_code == 0, told.output


def test_candidates_far_from_the_selected_areas_are_named_as_such(tmp_path, shared_data):
    """Hokkaido 道の駅 as candidates for 山梨県 demand were refused as 'no hubs given'."""
    michinoeki = shared_data / "ksj-p35-2018-michinoeki-hokkaido/P35-18_01_michinoeki_hokkaido.geojson"
    mesh = shared_data / "estat-mesh1km-census-yamanashi/yamanashi_mesh1km_2020.csv"
    args = ["hubs", str(michinoeki), "--mesh", str(mesh), "--areas", str(shared_data / YAMANASHI), "--radius", "1000"]
    result = CliRunner().invoke(geo.cli.cli, [*args, "-o", str(tmp_path / "out")])
    assert isinstance(result.exception, geo.ValidationError), result.output
    message = str(result.exception)
    assert "none of the" in message and "candidates lies in the selected areas" in message and "--prefecture" in message


def test_a_proxy_mesh_with_text_is_refused_and_blank_cells_are_reported(shared_data):
    """A proxy value that is no number is an error naming its mesh cell; blanks (秘匿) weigh 0 and are said."""
    from geo.analyses.base import place_demand

    selection = geo.analyses.select("n03-2021-s0010", prefectures=("山梨県",), municipalities=("19201",))
    mesh = geo.read_mesh(shared_data / "estat-mesh1km-census-yamanashi/yamanashi_mesh1km_2020.csv")
    census = shared_data / CENSUS
    text = mesh[["mesh_code", "pop_2015"]].astype({"pop_2015": object})
    text.loc[text.index[3], "pop_2015"] = "約120"
    with pytest.raises(geo.ValidationError, match=r"row 5, column pop_2015: '約120' is not a number"):
        place_demand(selection, None, population=census, population_column="pop_total", proxy=text,
                     proxy_column="pop_2015")  # fmt: skip
    blank = mesh[["mesh_code", "pop_2015"]].astype({"pop_2015": object})
    blank.loc[blank.index[:4], "pop_2015"] = "x"  # 秘匿; the file has its own blank cells too
    n_blank = int(blank["pop_2015"].isin(["x", ""]).sum())
    assert n_blank > 4
    _, _, _, placing = place_demand(selection, None, population=census, population_column="pop_total", proxy=blank,
                                    proxy_column="pop_2015")  # fmt: skip
    assert f"{n_blank} proxy cells have no 'pop_2015' value" in " ".join(placing.notes)


def test_cli_p_median_reports_its_gap_and_equals_the_api(tmp_path, shared_data):
    """The exact p-median through the CLI writes the proven gap (0) in siting.csv and report.json, and the same
    hubs and objective as geo.choose_hubs on the same inputs; the mean distance is recomputed geodesically."""
    import json

    stations = geo.read_points(shared_data / "ksj-n02-2023-railway-stations/stations_points.csv")
    yamanashi = stations.cx[138.4:138.8, 35.5:35.8].drop_duplicates("group_code")
    pts = tmp_path / "stations.gpkg"
    pyogrio.write_dataframe(yamanashi, pts, layer="stations")
    mesh = shared_data / "estat-mesh1km-census-yamanashi/yamanashi_mesh1km_2020.csv"
    out = tmp_path / "out"
    args = ["hubs", str(pts), "--mesh", str(mesh), "--radius", "5000", "--choose", "3", "--method", "p_median",
            "--fixed", "韮崎", "-o", str(out)]  # fmt: skip
    result = CliRunner().invoke(geo.cli.cli, args)
    assert result.exit_code == 0, result.output
    siting = pd.read_csv(out / "siting.csv", encoding="utf-8-sig")
    assert siting["gap"].iloc[0] == 0.0 and bool(siting["optimal"].iloc[0])
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert json.dumps(report).count('"gap": 0.0') >= 1
    cells = geo.read_mesh(mesh)
    weight = siting["weight"].iloc[0]
    weight = None if weight == "count" else weight
    ours, rep = geo.choose_hubs(
        pyogrio.read_dataframe(pts), cells, k=3, method="p_median", fixed=["韮崎"], weight=weight
    )
    chosen = pd.read_csv(out / "chosen_hubs.csv", encoding="utf-8-sig")
    assert chosen["station_name"].tolist() == ours["station_name"].tolist() and chosen["station_name"].iloc[0] == "韮崎"
    assert siting["objective"].iloc[0] == pytest.approx(rep.objective, rel=1e-12) and rep.gap == 0.0
    # independently: each populated cell to its nearest chosen station along the GRS80 geodesic
    hub_ll = shapely.get_coordinates(ours.geometry.to_numpy())
    dist = np.column_stack([_dist(ll, cells) for ll in hub_ll]).min(axis=1)
    w = pd.to_numeric(cells[weight], errors="coerce").fillna(0).to_numpy(float) if weight else np.ones(len(cells))
    assert float((w * dist).sum() / w.sum()) == pytest.approx(rep.mean_cost, rel=2e-3)
