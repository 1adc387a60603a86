"""Scenarios through every door (issue 22, part 1): `geo scenarios`, `geo run` and the API give the same
scenarios.csv; walking-distance scenarios against a brute-force count on the raw points; demand scaled by a
population projection against the raw CSV; and one classification shared by the difference maps.

The independent counts read the raw files with csv/json/pandas and measure with pyproj + scipy's cKDTree: no geo
code judges a gap there.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner
from pyproj import Transformer
from scipy.spatial import cKDTree

import geo
from geo import analyses
from geo._errors import ValidationError
from geo.cli import cli
from geo.config import load_scenarios
from geo.params import GapsParams, ScenarioParams
from geo.projections import projection_scale, scale_of_areas

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "scripts"
NAKA = ["--grid", "--population-table", "ssdse-a", "--population-column", "pop_2020", "--gtfs", "gtfs-nakatsugawa",
        "--stations", "stations-n02-2023-points", "--date", "2020-11-10", "--definition", "handbook-rural",
        "--definition", "plateau-toshi-kozo", "--prefecture", "岐阜県", "--municipality", "21206", "--no-maps"]  # fmt: skip
YAMANASHI = ["--mesh", "mesh1km-yamanashi", "--stations", "stations-n02-2023-points", "--prefecture", "山梨県",
             "--weight", "pop_2020"]  # fmt: skip
REMOVED = ["十島", "井出", "内船", "寄畑"]  # the 南部町 stations of scripts/yamanashi_scenarios.toml


def invoke(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def figures(data: dict) -> dict:
    return {k: v for k, v in data.items() if k not in ("credits", "parameters", "inputs")}


def _raw_projection(pref: str, year: int, base: int) -> float:
    path = Path(geo.fetch("ipss2018"))
    with path.open(encoding="utf-8") as f:
        row = next(r for r in csv.DictReader(f) if r["pref_code"] == pref)
    return int(row[f"pop_{year}"]) / int(row[f"pop_{base}"])


# --------------------------------------------------------------------------------------------- 中津川: parity


def test_nakatsugawa_scenarios_three_ways(tmp_path: Path) -> None:
    """The example config, `geo scenarios` with the scenario list and the API: the same bytes, the same report."""
    invoke("scenarios", "--scenarios", str(SCRIPTS / "nakatsugawa_scenario_list.toml"), *NAKA, "-o",
           str(tmp_path / "cli"))  # fmt: skip
    ran = geo.run(SCRIPTS / "nakatsugawa_scenarios.toml", progress=False, output_root=tmp_path / "run").output_dir
    selection = analyses.select("n03-2021-s0010", prefectures=["岐阜県"], municipalities=["21206"])
    params = GapsParams(definitions=("handbook-rural", "plateau-toshi-kozo"), date="2020-11-10",
                        population_column="pop_2020", maps=False)  # fmt: skip
    scenarios = [ScenarioParams(name="加子母・付知巡回線廃止", remove_routes=("40", "50")),
                 ScenarioParams(name="巡回線廃止＋デマンド", remove_routes=("40", "50")),
                 ScenarioParams(name="人口15%減", demand_scale=0.85),
                 ScenarioParams(name="2040年推計人口", projection="ipss2018", projection_year=2040)]  # fmt: skip
    api = analyses.scenarios(selection, None, params, scenarios, feeds=["gtfs-nakatsugawa"],
                             stops={"station": geo.read_points("stations-n02-2023-points")}, population="ssdse-a",
                             zones={"巡回線廃止＋デマンド": SCRIPTS / "nakatsugawa_demand_zones.geojson"})  # fmt: skip
    api.write(tmp_path / "api")
    first = (tmp_path / "cli" / "scenarios.csv").read_bytes()
    assert (ran / "scenarios.csv").read_bytes() == first == (tmp_path / "api" / "scenarios.csv").read_bytes()
    cli_report = json.loads((tmp_path / "cli" / "report.json").read_text(encoding="utf-8"))
    run_report = json.loads((ran / "run.json").read_text(encoding="utf-8"))["analyses"]["scenarios"]
    api_report = json.loads((tmp_path / "api" / "report.json").read_text(encoding="utf-8"))
    assert figures(cli_report) == figures(api_report) == figures(run_report)
    # the projection row: every gap is the baseline's × 岐阜県 2040/2020 from the raw CSV
    scale = _raw_projection("21", 2040, 2020)
    rows = api.table[api.table["scenario"] == "2040年推計人口"]
    assert len(rows) == 2 * 4 + 1 and 0.8 < scale < 0.9
    assert np.allclose(rows["gap_pop"], rows["gap_pop_baseline"] * scale, rtol=1e-12)
    assert "国立社会保障・人口問題研究所『日本の地域別将来推計人口（平成30年推計）』" in cli_report["credits"]


def test_a_scenarios_file_is_checked_with_its_lines(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text('[[scenarios]]\nname = "a"\ndemand_scale = -1\n[[scenarios]]\nname = "b"\nremove_stop = ["x"]\n'
                    '[[scenarios]]\nname = "c"\nprojection = "ipss2018"\n', encoding="utf-8")  # fmt: skip
    with pytest.raises(ValidationError) as err:
        load_scenarios(path)
    text = str(err.value)
    assert "line 3: scenarios[0].demand_scale: demand_scale = -1" in text
    assert "line 6: scenarios[1].remove_stop: unknown key 'remove_stop'" in text
    assert "projection and projection_year go together" in text
    path.write_text('[[scenarios]]\nname = "a"\nadd_zones = "zones.geojson"\n', encoding="utf-8")
    (tmp_path / "zones.geojson").write_text("{}", encoding="utf-8")
    assert load_scenarios(path)[0].add_zones == str(tmp_path / "zones.geojson")  # relative to the file
    out = CliRunner().invoke(cli, ["scenarios", "--scenarios", str(path), "--grid", "--gtfs", "gtfs-nakatsugawa",
                                   "--mesh", "mesh1km-yamanashi", "-o", str(tmp_path / "o")])  # fmt: skip
    assert out.exit_code == 2 and "exactly one of --mesh, --demand or --grid" in out.output


# ----------------------------------------------------------------------------------- 山梨: walking distance


@pytest.fixture(scope="module")
def yamanashi(tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("ysc")
    invoke("scenarios", "--scenarios", str(SCRIPTS / "yamanashi_scenarios.toml"), *YAMANASHI, "-o", str(tmp / "cli"))
    selection = analyses.select("n03-2021-s0010", prefectures=["山梨県"])
    mesh = geo.read_mesh(geo.fetch("mesh1km-yamanashi"))
    stations = geo.read_points("stations-n02-2023-points")
    result = analyses.scenarios(selection, mesh, GapsParams(weight="pop_2020"), load_scenarios(SCRIPTS / "yamanashi_scenarios.toml"),
                                stops={"station": stations},
                                zones={"道志村デマンド": SCRIPTS / "yamanashi_demand_zone.geojson"},
                                added_stops={"南アルプス市に新駅": SCRIPTS / "yamanashi_new_station.geojson"})  # fmt: skip
    result.write(tmp / "api")
    config = tmp / "y.toml"  # the run door: [gaps] without timetables and the same [[scenarios]] tables
    listed = (SCRIPTS / "yamanashi_scenarios.toml").read_text(encoding="utf-8")
    for name in ("yamanashi_new_station.geojson", "yamanashi_demand_zone.geojson"):
        listed = listed.replace(f'"{name}"', f'"{SCRIPTS / name}"')
    config.write_text(f"""[run]
name = "y"
output_dir = "{tmp / "run"}"
[area]
prefectures = ["山梨県"]
[[points]]
name = "mesh"
path = "mesh1km-yamanashi"
kind = "mesh"
[[points]]
name = "stations"
path = "stations-n02-2023-points"
kind = "station"
[gaps]
demand = "mesh"
weight = "pop_2020"
supply = ["stations"]
{listed}""", encoding="utf-8")  # fmt: skip
    ran = geo.run(config, progress=False).output_dir
    gaps = analyses.gaps(selection, mesh, {"station": stations}, weight="pop_2020")
    return {"result": result, "gaps": gaps, "cli": tmp / "cli", "api": tmp / "api", "run": ran, "selection": selection}


def test_distance_scenarios_three_ways_and_the_baseline_is_geo_gaps(yamanashi) -> None:
    first = (yamanashi["cli"] / "scenarios.csv").read_bytes()
    assert (
        (yamanashi["api"] / "scenarios.csv").read_bytes() == first == (yamanashi["run"] / "scenarios.csv").read_bytes()
    )
    cli_report = json.loads((yamanashi["cli"] / "report.json").read_text(encoding="utf-8"))
    run_report = json.loads((yamanashi["run"] / "run.json").read_text(encoding="utf-8"))["analyses"]["scenarios"]
    assert figures(cli_report) == figures(run_report)
    maps = sorted(p.name for p in yamanashi["run"].glob("scenario_delta_*.png"))
    assert maps == sorted(p.name for p in yamanashi["cli"].glob("scenario_delta_*.png")) and len(maps) == 4
    t = yamanashi["result"].table
    assert set(t["definition"]) == {"distance"} and set(t["window"]) == {"all-day"}
    assert len(t) == 4 * 27
    by_area = yamanashi["gaps"].by_area.set_index("muni_code")["gap_population"]
    for _, rows in t.groupby("scenario"):  # the same baseline as `geo gaps` asks, area by area
        assert np.allclose(rows.set_index("muni_code")["gap_pop_baseline"], by_area.loc[rows["muni_code"]])
    assert t["gap_pop_baseline"].sum() == pytest.approx(4 * 638_155)


def _brute_force(frame: gpd.GeoDataFrame, weights: np.ndarray, stations: np.ndarray, zone: shapely.Geometry | None,
                 to_metres: Transformer) -> pd.Series:  # fmt: skip
    """Gap population per muni_code: no station within 800 m of the cell's centroid (and not inside the zone)."""
    centres = shapely.get_coordinates(shapely.centroid(frame.to_crs(6676).geometry.to_numpy()))
    nearest, _ = cKDTree(stations).query(centres)
    gap = nearest > 800
    if zone is not None:
        gap &= ~shapely.contains_xy(zone, centres[:, 0], centres[:, 1])
    return pd.Series(weights * gap, index=frame["muni_code"].to_numpy()).groupby(level=0).sum()


def test_distance_scenarios_equal_a_brute_force_count_on_the_raw_points(yamanashi) -> None:
    """Every scenario of scripts/yamanashi_scenarios.toml, area by area, from the raw station CSV, the raw
    GeoJSONs and the raw projection CSV (the demand rows are the ones the analysis placed in 山梨)."""
    result = yamanashi["result"]
    base = result.distance[""]
    weights = base["pop_2020"].to_numpy(dtype=float)
    to_metres = Transformer.from_crs(4326, 6676, always_xy=True)  # 平面直角 VIII (山梨)
    raw = pd.read_csv(geo.fetch("stations-n02-2023-points"), encoding="utf-8-sig")
    xy = np.column_stack(to_metres.transform(raw["lon"].to_numpy(), raw["lat"].to_numpy()))
    kept = xy[~raw["station_name"].isin(REMOVED).to_numpy()]
    new = json.loads((SCRIPTS / "yamanashi_new_station.geojson").read_text(encoding="utf-8"))["features"][0]
    added = np.vstack([xy, np.array(to_metres.transform(*new["geometry"]["coordinates"]))[None, :]])
    ring = json.loads((SCRIPTS / "yamanashi_demand_zone.geojson").read_text(encoding="utf-8"))["features"][0]
    zone = shapely.Polygon(np.column_stack(to_metres.transform(*np.array(ring["geometry"]["coordinates"][0]).T)))
    scale = _raw_projection("19", 2040, 2020)
    expected = {
        "南部町の身延線4駅廃止": _brute_force(base, weights, kept, None, to_metres),
        "南アルプス市に新駅": _brute_force(base, weights, added, None, to_metres),
        "道志村デマンド": _brute_force(base, weights, xy, zone, to_metres),
        "2040年推計人口": _brute_force(base, weights * scale, xy, None, to_metres),
    }
    baseline = _brute_force(base, weights, xy, None, to_metres)
    t = result.table.set_index(["scenario", "muni_code"])
    for name, series in expected.items():
        rows = t.loc[name]
        got = rows["gap_pop"].reindex(series.index)
        assert np.allclose(got, series, rtol=1e-12, atol=1e-6), (name, (got - series)[~np.isclose(got, series)])
        assert np.allclose(rows["gap_pop_baseline"].reindex(series.index), baseline.reindex(series.index))
        assert (rows["delta"] != 0).any(), name
    assert (t.loc["南部町の身延線4駅廃止", "delta"] >= 0).all() and (t.loc["南アルプス市に新駅", "delta"] <= 0).all()
    assert t.loc[("道志村デマンド", "19422"), "delta"] < 0  # 道志村


def test_difference_maps_share_one_classification(yamanashi) -> None:
    maps = yamanashi["result"].delta_choropleths()
    assert sorted(maps) == [f"scenario_delta_{n}_all-day" for n in range(1, 5)]
    legends = [m.classes for m, _ in maps.values()]
    first = legends[0]
    for c in legends[1:]:  # one classification: the same breaks, labels and colours on every scenario's map
        assert c.bins == first.bins and c.labels == first.labels and c.colors == first.colors
    # fitted on every scenario's values: the top break is the largest delta of the whole set, and a map
    # classified on its own values (the 2040 fall only) would get other breaks
    t = yamanashi["result"].table
    assert first.bins[-1] == pytest.approx(t["delta"].max(), abs=0.05)  # mapped to 0.1 person
    fall = t[t["scenario"] == "2040年推計人口"]["delta"].to_numpy()
    own = geo.choropleth(yamanashi["selection"].areas.assign(d=fall), "d", scheme="fisher_jenks", k=first.k,
                         midpoint=0.0, palette="RdBu_r")  # fmt: skip
    assert own.classes.bins != first.bins
    assert all(sum(c.counts) == 27 for c in legends)
    files = sorted(p.name for p in yamanashi["cli"].glob("scenario_delta_*.png"))
    assert files == sorted(f"{k}.png" for k in maps)


# ------------------------------------------------------------------------------------------ projections


def test_projection_scale_against_the_raw_csv(tmp_path: Path) -> None:
    scale = projection_scale("ipss2018", year=2040)
    for pref in ("01", "13", "19", "21", "47"):
        assert scale[pref] == pytest.approx(_raw_projection(pref, 2040, 2020), rel=1e-15)
    assert projection_scale("ipss2018", year=2045, base_year=2015)["31"] == pytest.approx(
        _raw_projection("31", 2045, 2015), rel=1e-15)  # fmt: skip
    assert scale_of_areas(scale, ["19201", "21206"]).tolist() == [scale["19"], scale["21"]]
    with pytest.raises(ValidationError, match=r"no population column for \[2050\].*\[2015, 2020, 2025"):
        projection_scale("ipss2018", year=2050)
    part = tmp_path / "part.csv"
    part.write_text("pref_code,pop_2020,pop_2040\n13,100,90\n", encoding="utf-8")
    with pytest.raises(ValidationError, match=r"no projection for the prefectures \['19'\]"):
        scale_of_areas(projection_scale(part, year=2040), ["13101", "19201"])
    with pytest.raises(ValidationError, match="give demand_scale or a projection, not both"):
        ScenarioParams(name="x", demand_scale=0.9, projection="ipss2018", projection_year=2040)


def test_a_municipal_projection_scales_each_municipality(yamanashi, tmp_path: Path) -> None:
    """A user's municipal table (5-digit codes): each area's gap is its baseline × its own ratio, exactly."""
    codes = yamanashi["selection"].areas["muni_code"].tolist()
    ratios = {c: 0.5 + i / 100 for i, c in enumerate(codes)}
    table = tmp_path / "muni.csv"
    table.write_text("code,pop_2020,pop_2035\n" + "".join(f"{c},1000,{1000 * r:g}\n" for c, r in ratios.items()),
                     encoding="utf-8")  # fmt: skip
    result = analyses.scenarios(
        yamanashi["selection"], geo.read_mesh(geo.fetch("mesh1km-yamanashi")), GapsParams(weight="pop_2020"),
        [ScenarioParams(name="2035", projection=str(table), projection_year=2035)],
        stops={"station": geo.read_points("stations-n02-2023-points")},
    )  # fmt: skip
    rows = result.table.set_index("muni_code")
    assert np.allclose(rows["gap_pop"], rows["gap_pop_baseline"] * pd.Series(ratios).reindex(rows.index))
    table.write_text("code,pop_2020,pop_2035\n19201,10,9\n", encoding="utf-8")  # 甲府市 only
    with pytest.raises(ValidationError, match=r"no projection for the municipalities \['19202', "):
        analyses.scenarios(
            yamanashi["selection"], None, GapsParams(population_column="pop_2020"),
            [ScenarioParams(name="p", projection=str(table), projection_year=2035)],
            stops={"station": geo.read_points("stations-n02-2023-points")}, population="ssdse-a",
        )  # fmt: skip


def test_distance_scenarios_refuse_routes_and_unknown_stops(yamanashi) -> None:
    stations = {"station": geo.read_points("stations-n02-2023-points")}
    with pytest.raises(ValidationError, match="remove_routes \\['40'\\] need GTFS feeds"):
        analyses.scenarios(yamanashi["selection"], None, GapsParams(), [ScenarioParams(name="r", remove_routes=("40",))],
                           stops=stations)  # fmt: skip
    with pytest.raises(ValidationError, match="remove_stops \\['無い駅'\\] are no stop_id"):
        analyses.scenarios(yamanashi["selection"], None, GapsParams(), [ScenarioParams(name="s", remove_stops=("無い駅",))],
                           stops=stations)  # fmt: skip
