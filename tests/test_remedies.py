"""Remedies ranked on the real 中津川 feed (issue 22, part 2), each figure against an independent count.

The candidates are the example's files (five stops, one evening zone, more evening trips on route 10). The
independent counts read the raw GTFS text files with plain pandas, measure every cell centre to every stop by
brute force, and check the joint choice by evaluating every subset of size k directly with ``service_gaps``.
"""

from __future__ import annotations

import io
import itertools
import json
import textwrap
import zipfile
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner
from pyproj import Transformer

import geo
from geo import analyses
from geo._errors import ValidationError
from geo.cli import cli
from geo.gap_definitions import read_gap_definition
from geo.gtfs_feed import read_feed
from geo.remedies import choose_remedies, evaluate_remedies, read_remedies
from geo.service_gaps import service_gaps
from geo.timetable import stop_departures

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"
STOPS, ZONES = SCRIPTS / "nakatsugawa_remedies.geojson", SCRIPTS / "nakatsugawa_remedy_zones.geojson"
ROUTES = SCRIPTS / "nakatsugawa_remedy_routes.csv"
NAKA = "gtfs-jp-nakatsugawa-toyota/nakatsugawa_GTFS.zip"
DATE = "2020-11-10"  # a Tuesday (平日)
DEFS = ("handbook-rural", "plateau-toshi-kozo")
WINDOWS = {"07-09": (7, 9), "09-17": (9, 17), "17-19": (17, 19), "19-22": (19, 22)}
EVENING = ("17-19", "19-22")
COMMON = {"definitions": DEFS, "date": DATE, "population_column": "pop_2020", "population": "ssdse-a",
          "feeds": ["gtfs-nakatsugawa"]}  # fmt: skip


@pytest.fixture(scope="module")
def run(shared_data):
    selection = analyses.select("n03-2021-s0010", prefectures=["岐阜県"], municipalities=["21206"])
    stations = geo.read_points("stations-n02-2023-points")
    result = analyses.remedies(selection, None, **COMMON, stops={"station": stations}, add_stops=STOPS,
                               add_zones=ZONES, add_routes=ROUTES, choose=2, objective_windows=EVENING)  # fmt: skip
    return {"result": result, "stations": stations, "feed": shared_data / NAKA, "selection": selection}


def _raw(feed: Path, name: str) -> pd.DataFrame:
    with zipfile.ZipFile(feed) as z:
        member = next(m for m in z.namelist() if m.endswith(name))
        return pd.read_csv(io.BytesIO(z.read(member)), dtype=str, encoding="utf-8-sig")


def _centres(cells: gpd.GeoDataFrame, crs: str) -> np.ndarray:
    c = cells.to_crs(crs).geometry.centroid
    return np.column_stack([c.x.to_numpy(), c.y.to_numpy()])


def _within(centres: np.ndarray, lon: np.ndarray, lat: np.ndarray, crs: str, metres: float) -> np.ndarray:
    """(cells,) bool: a point lies within ``metres`` of the cell centre (brute force over every pair)."""
    x, y = Transformer.from_crs(4326, crs, always_xy=True).transform(lon, lat)
    d = np.hypot(centres[:, [0]] - np.asarray(x)[None, :], centres[:, [1]] - np.asarray(y)[None, :])
    return (d <= metres).any(axis=1) if d.shape[1] else np.zeros(len(centres), dtype=bool)


def _headway_count(start: object, end: object, headway: float, window: tuple[int, int]) -> int:
    """Departures of a headway service in a window: ⌊overlap / headway⌋ (GDAL reads "06:30" as a time)."""
    s, e = (t.hour * 60 + t.minute if hasattr(t, "hour") else int(str(t)[:2]) * 60 + int(str(t)[3:5])
            for t in (start, end))  # fmt: skip
    overlap = max(0, min(e, window[1] * 60) - max(s, window[0] * 60))
    return int(overlap // headway)


def test_the_ranking_has_the_contract_columns_and_is_written(run, tmp_path):
    result = run["result"]
    assert list(result.table.columns) == ["remedy", "kind", "definition", "window", "gap_baseline", "gap_removed",
                                          "cells_removed", "share_removed_pct", "rank", "chosen"]  # fmt: skip
    assert len(result.table) == 7 * len(DEFS) * len(WINDOWS)
    assert set(result.table["kind"]) == {"stop", "zone", "route"}
    for _, part in result.table.groupby(["definition", "window"]):
        assert sorted(part["rank"]) == list(range(1, 8))
        assert part.sort_values("rank")["gap_removed"].is_monotonic_decreasing
    chosen = set(result.chosen["remedy"])
    assert set(result.table.loc[result.table["chosen"], "remedy"]) == chosen and len(chosen) == 2
    result.write(tmp_path / "out")
    written = pd.read_csv(tmp_path / "out" / "remedies.csv", encoding="utf-8-sig")
    assert np.allclose(written["gap_removed"], result.table["gap_removed"])
    for name in ("remedies_chosen", "remedies_joint", "remedies_curve", "remedy_sites", "remedy_zones"):
        assert (tmp_path / "out" / f"{name}.csv").is_file()
    sites = gpd.read_file(tmp_path / "out" / "layers.gpkg", layer="remedy_sites")
    route = result.table[(result.table["remedy"] == "落合巡回線 夜間増便")]
    assert sites["kind"].value_counts().to_dict() == {"route": len(sites) - 5, "stop": 5}
    evening = route.loc[route["window"].isin(EVENING), "gap_removed"].sum()
    assert np.allclose(sites.loc[sites["kind"] == "route", "gap_removed"], evening)
    assert set(sites.loc[sites["chosen"], "remedy"]) <= chosen


def test_each_candidates_gap_removed_equals_an_independent_count(run):
    """Stops and the route by brute-force distance and departures counted from the files; the zone by its
    polygon and hours; the baseline's gap cells are those of the run (proved in test_scenarios)."""
    result, feed = run["result"], run["feed"]
    e = result.evaluation
    cells, crs = e.baseline.cells, e.baseline.info["crs"]
    centres, weight = _centres(cells, crs), cells["population"].to_numpy(dtype=float)
    stops = gpd.read_file(STOPS)
    zone = gpd.read_file(ZONES).to_crs(crs).geometry.iloc[0]
    in_zone = shapely.contains_xy(zone, centres[:, 0], centres[:, 1])
    # route 10's boarding stops, from the raw stop_times of its trips
    trips = _raw(feed, "trips.txt")
    times = _raw(feed, "stop_times.txt")
    raw_stops = _raw(feed, "stops.txt").set_index("stop_id")
    on_route = raw_stops.loc[times.loc[times["trip_id"].isin(trips.loc[trips["route_id"] == "10", "trip_id"]),
                                       "stop_id"].unique()]  # fmt: skip
    extra = {"17-19": 1, "19-22": 2}
    checked = 0
    for d in DEFS:
        walk = read_gap_definition(d).walk_m["bus"]
        for w, hours in WINDOWS.items():
            gap = ~cells[f"served_{d}_{w}"].to_numpy()
            rows = result.table[(result.table["definition"] == d) & (result.table["window"] == w)].set_index("remedy")
            for _, s in stops.iterrows():
                if not pd.isna(s["headway_min"]):
                    n = _headway_count(s["start"], s["end"], s["headway_min"], hours)
                else:
                    n = int(s[f"dep_{w}"])
                serves = _within(centres, np.array([s.geometry.x]), np.array([s.geometry.y]), crs, walk) & (n >= 1)
                expected = weight[gap & serves].sum()
                assert rows.loc[s["name"], "gap_removed"] == pytest.approx(expected), (s["name"], d, w)
            zone_on = hours[0] < 22 and hours[1] > 17  # 平日 17:00–22:00, the date is a Tuesday
            assert rows.loc["夜間デマンド", "gap_removed"] == pytest.approx(weight[gap & in_zone * zone_on].sum())
            near = _within(centres, on_route["stop_lon"].astype(float).to_numpy(),
                           on_route["stop_lat"].astype(float).to_numpy(), crs, walk)  # fmt: skip
            route = weight[gap & near].sum() if w in extra else 0.0  # min 1 departure: the extra trips qualify
            assert rows.loc["落合巡回線 夜間増便", "gap_removed"] == pytest.approx(route), (d, w)
            checked += 1
    assert checked == len(DEFS) * len(WINDOWS)
    assert (result.table["gap_removed"] > 0).sum() >= 10  # the candidates do remove gaps


def _subset_supply(names: tuple[str, ...], feed_path: Path) -> dict:
    """The candidates named, as service_gaps inputs built in the test: stops and zone from their files, the route
    as stops at the raw route-10 stops carrying every existing departure plus the extra trips."""
    stops = gpd.read_file(STOPS)
    stops = stops[stops["name"].isin(names)]
    zones = gpd.read_file(ZONES)
    zones = zones[zones["name"].isin(names)]
    added = [stops] if len(stops) else []
    if "落合巡回線 夜間増便" in names:
        feed = read_feed(feed_path)
        deps = stop_departures(feed, date=DATE, windows=list(WINDOWS))
        trips = _raw(feed_path, "trips.txt")
        times = _raw(feed_path, "stop_times.txt")
        ids = times.loc[times["trip_id"].isin(trips.loc[trips["route_id"] == "10", "trip_id"]), "stop_id"].unique()
        mine = deps[deps["stop_id"].isin(ids)].copy()
        mine["dep_17-19"] += 1
        mine["dep_19-22"] += 2
        route = gpd.GeoDataFrame({"name": "r:" + mine["stop_id"], **{f"dep_{w}": mine[f"dep_{w}"] for w in WINDOWS},
                                  "dep_day": mine["dep_day"] + 3},
                                 geometry=gpd.points_from_xy(mine["stop_lon"], mine["stop_lat"]), crs=4326)  # fmt: skip
        added.append(route)
    return {"zones": zones if len(zones) else None,
            "added_stops": gpd.GeoDataFrame(pd.concat(added, ignore_index=True), crs=4326) if added else None}  # fmt: skip


@pytest.mark.parametrize("k", [1, 2, 3])
def test_the_chosen_set_is_the_best_of_every_subset_evaluated_directly(run, k):
    result = run["result"]
    e = result.evaluation
    names = [r.name for r in e.remedies]
    objective = e.objective((), EVENING)
    cells = e.baseline.cells
    w = cells["population"].to_numpy(dtype=float)
    context = {"definition": list(DEFS), "stops": {"station": run["stations"]}, "date": DATE,
               "feed": [run["feed"]], "pref_code": run["selection"].pref_code}  # fmt: skip
    placed = e.demand
    best = -1.0
    for subset in itertools.combinations(names, k):
        joint = service_gaps(placed, **context, **_subset_supply(subset, run["feed"]))
        value = sum(float(w[~cells[f"served_{d}_{win}"].to_numpy() & joint.cells[f"served_{d}_{win}"].to_numpy()].sum())
                    for d in DEFS for win in EVENING)  # fmt: skip
        best = max(best, value)
    choice = choose_remedies(e, k, windows=EVENING)
    assert len(choice.chosen) == k and choice.optimal
    assert choice.covered_joint == pytest.approx(best)
    assert choice.covered_model == pytest.approx(best)  # no two candidates share a stop here
    assert len(objective) == len(DEFS) * len(EVENING)


def test_the_joint_figure_counts_frequency_that_adds_up_at_a_stop(run):
    """Under a definition asking two evening departures, remedy A (+1 on route 10, +2 on route 20) and B (+1 on
    route 10, +2 on route 30) each qualify only their second route's stops alone; together route 10's stops get
    two departures too. The model (union of each alone) misses those; the joint evaluation counts them."""
    e0 = run["result"].evaluation
    two = replace(read_gap_definition("handbook-rural"), name="two-departures", min_departures=2)
    routes = pd.DataFrame({"remedy": ["A", "A", "B", "B"], "name": ["A10", "A20", "B10", "B30"],
                           "route_id": ["10", "20", "10", "30"], "dep_19-22": [1, 2, 1, 2]})  # fmt: skip
    feed = read_feed(run["feed"])
    e = evaluate_remedies(e0.demand, read_remedies(routes=routes), feeds=[feed], weight="population",
                          definition=[two], date=DATE, stops={"station": run["stations"]},
                          pref_code=run["selection"].pref_code)  # fmt: skip
    choice = choose_remedies(e, 2, windows=("19-22",))
    assert set(choice.chosen["remedy"]) == {"A", "B"}
    alone = {r: e.table.set_index(["remedy", "window"]).loc[(r, "19-22"), "gap_removed"] for r in ("A", "B")}
    assert min(alone.values()) > 0
    assert choice.covered_model == pytest.approx(sum(alone.values()))  # A's and B's cells do not overlap here
    assert choice.covered_joint > choice.covered_model + 1  # route 10's stops: 1 + 1 evening departures
    # the extra: gap cells near route 10's stops only, counted by brute force from the raw files
    cells, crs = e.baseline.cells, e.baseline.info["crs"]
    trips, times = _raw(run["feed"], "trips.txt"), _raw(run["feed"], "stop_times.txt")
    raw_stops = _raw(run["feed"], "stops.txt").set_index("stop_id")

    def near(route: str) -> np.ndarray:
        ids = times.loc[times["trip_id"].isin(trips.loc[trips["route_id"] == route, "trip_id"]), "stop_id"].unique()
        pts = raw_stops.loc[ids]
        return _within(_centres(cells, crs), pts["stop_lon"].astype(float).to_numpy(),
                       pts["stop_lat"].astype(float).to_numpy(), crs, two.walk_m["bus"])  # fmt: skip

    gap = ~cells["served_two-departures_19-22"].to_numpy()
    w = cells["population"].to_numpy(dtype=float)
    assert choice.covered_joint == pytest.approx(w[gap & (near("10") | near("20") | near("30"))].sum())


def test_bad_candidates_are_refused_with_the_fix(run, tmp_path):
    bad = tmp_path / "routes.csv"
    bad.write_text("name,route_id,dep_19-22\nx,999,2\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="route_id '999' is in no feed"):
        analyses.remedies(run["selection"], None, **COMMON, add_routes=bad)
    with pytest.raises(ValidationError, match="give candidate stops, zones or routes"):
        analyses.remedies(run["selection"], None, **COMMON)
    with pytest.raises(ValidationError, match="objective"):
        analyses.remedies(run["selection"], None, **COMMON, add_zones=ZONES, objective_windows=("05-06",))
    empty = tmp_path / "empty.csv"
    empty.write_text("name,route_id\nx,10\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="dep_07-09"):
        read_remedies(routes=empty)


# ------------------------------------------------------------------------------------------ parity


def test_cli_config_and_api_write_the_same_tables(run, tmp_path):
    args = ["remedies", "--grid", "--population-table", "ssdse-a", "--population-column", "pop_2020",
            "--prefecture", "岐阜県", "--municipality", "21206", "--gtfs", "gtfs-nakatsugawa",
            "--stations", "stations-n02-2023-points", "--date", DATE, "--definition", "plateau-toshi-kozo",
            "--add-stops", str(STOPS), "--add-zones", str(ZONES), "--add-routes", str(ROUTES), "--choose", "2",
            "--objective-window", "19-22", "--curve", "4", "-o", str(tmp_path / "cli")]  # fmt: skip
    out = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert out.exit_code == 0, out.output
    config = tmp_path / "same.toml"
    config.write_text(textwrap.dedent(f"""\
        [run]
        name = "same"
        [area]
        prefectures = ["岐阜県"]
        municipalities = ["21206"]
        [[points]]
        name = "stations"
        path = "stations-n02-2023-points"
        kind = "station"
        [gaps]
        demand = "grid"
        population_table = "ssdse-a"
        population_column = "pop_2020"
        gtfs = ["gtfs-nakatsugawa"]
        date = "{DATE}"
        definitions = ["plateau-toshi-kozo"]
        supply = ["stations"]
        maps = false
        [remedies]
        add_stops = "{STOPS.as_posix()}"
        add_zones = "{ZONES.as_posix()}"
        add_routes = "{ROUTES.as_posix()}"
        choose = 2
        objective_windows = ["19-22"]
        curve = 4
        """), encoding="utf-8")  # fmt: skip
    folder = geo.run(config, progress=False, output_root=tmp_path / "run").output_dir
    api = analyses.remedies(run["selection"], None, definitions=("plateau-toshi-kozo",), date=DATE,
                            population_column="pop_2020", population="ssdse-a", feeds=["gtfs-nakatsugawa"],
                            stops={"station": run["stations"]}, add_stops=STOPS, add_zones=ZONES, add_routes=ROUTES,
                            choose=2, objective_windows=("19-22",), curve=4)  # fmt: skip
    api.write(tmp_path / "api")
    for name in ("remedies", "remedies_chosen", "remedies_joint", "remedies_curve", "remedy_sites", "remedy_zones"):
        first = (tmp_path / "cli" / f"{name}.csv").read_bytes()
        assert (folder / f"{name}.csv").read_bytes() == first, name
        assert (tmp_path / "api" / f"{name}.csv").read_bytes() == first, name
    cli_report = json.loads((tmp_path / "cli" / "report.json").read_text(encoding="utf-8"))
    run_report = json.loads((folder / "run.json").read_text(encoding="utf-8"))["analyses"]["remedies"]
    for key in ("chosen", "covered_model", "covered_joint", "objective"):
        assert cli_report[key] == run_report[key]


def test_every_remedy_parameter_is_a_key_and_an_option() -> None:
    """The [remedies] keys and the geo remedies options both come from RemedyParams, with one set of defaults;
    the timetable-gap options of geo remedies are those of GapsParams."""
    import dataclasses

    from geo.config import RemedySection
    from geo.params import GapsParams, RemedyParams, fields_of

    names = {f.name for f in fields_of(RemedyParams)}
    assert names <= {f.name for f in dataclasses.fields(RemedySection)}
    ctx = cli.make_context("geo", [], resilient_parsing=True)
    command = cli.get_command(ctx, "remedies")
    options = {p.name: p.default for p in command.params}
    assert names <= set(options)
    assert {f.name for f in fields_of(GapsParams)} - {"station_m", "bus_m", "maps"} <= set(options)
    for f in fields_of(RemedyParams):
        if not isinstance(f.default, tuple) and f.default not in (None, ""):
            assert options[f.name] == f.default, f.name


def test_a_config_without_what_remedies_need_is_refused_with_its_lines(tmp_path) -> None:
    from geo.config import load_config

    config = tmp_path / "bad.toml"
    config.write_text(textwrap.dedent("""\
        [run]
        name = "bad"
        [remedies]
        add_routes = "missing.csv"
        choose = 0
        """), encoding="utf-8")  # fmt: skip
    with pytest.raises(ValidationError, match="choose must be a positive number"):
        load_config(config)
    config.write_text(config.read_text(encoding="utf-8").replace("choose = 0", "choose = 2"), encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        load_config(config)
    text = str(info.value)
    assert "remedies need timetable gaps" in text and "route remedies need the GTFS feeds" in text
    assert "'missing.csv' is neither a file" in text and "line 4" in text
