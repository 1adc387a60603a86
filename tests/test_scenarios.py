"""Scenarios for 交通空白 on the real 中津川 feed (issue 22, part 1), each figure against an independent count.

The independent count reads the raw GTFS text files with plain pandas (no geo code): the services running on
the date, the departures per stop and window after dropping the routes, and the served cells by brute-force
distance between every cell centre and every stop and station.
"""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer

import geo
from geo import analyses
from geo._errors import ValidationError
from geo.config import load_config
from geo.gtfs_feed import read_feed, without_service
from geo.params import ScenarioParams
from geo.timetable import parse_windows, stop_departures
from geo.zones import added_departures, read_added_stops, read_zones, zone_service

NAKA = "gtfs-jp-nakatsugawa-toyota/nakatsugawa_GTFS.zip"
DATE = "2020-11-10"  # a Tuesday (平日)
CUT = ("40", "50", "10")  # 加子母巡回線, 付知巡回線, 落合巡回線
DEFS = ("handbook-rural", "plateau-toshi-kozo")
WINDOWS = {"07-09": (7, 9), "09-17": (9, 17), "17-19": (17, 19), "19-22": (19, 22)}


def _zone(geometry: shapely.Geometry, days: str, start: str = "00:00", end: str = "30:00") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"name": ["デマンド"], "start": [start], "end": [end], "days": [days]},
                            geometry=[geometry], crs=6668)  # fmt: skip


@pytest.fixture(scope="module")
def run(shared_data):
    selection = analyses.select("n03-2021-s0010", prefectures=["岐阜県"], municipalities=["21206"])
    whole = selection.areas.to_crs(6668).union_all().buffer(0.01)
    stations = geo.read_points("stations-n02-2023-points")
    scenarios = [
        ScenarioParams(name="unchanged"),
        ScenarioParams(name="cut", remove_routes=CUT),
        ScenarioParams(name="weekday-zone"),
        ScenarioParams(name="holiday-zone"),
        ScenarioParams(name="shrink", demand_scale=0.85),
        ScenarioParams(name="no-stop", remove_stops=("落合事務所",)),
    ]
    result = analyses.scenarios(
        selection, None, definitions=DEFS, date=DATE, population_column="pop_2020", population="ssdse-a",
        feeds=["gtfs-nakatsugawa"], stops={"station": stations}, scenarios=scenarios,
        zones={"weekday-zone": _zone(whole, "平日"), "holiday-zone": _zone(whole, "日祝")},
    )  # fmt: skip
    return {"result": result, "selection": selection, "stations": stations, "feed": shared_data / NAKA}


def _rows(result, scenario: str, definition: str | None = None) -> pd.DataFrame:
    """A scenario's timetable rows (the walking-distance rows with ``definition="distance"``)."""
    t = result.table
    pick = t["definition"] == definition if definition else t["definition"] != "distance"
    return t[(t["scenario"] == scenario) & pick].reset_index(drop=True)


def test_the_table_has_the_contract_columns_and_is_written_as_scenarios_csv(run, tmp_path):
    result = run["result"]
    assert list(result.table.columns) == ["scenario", "muni_code", "definition", "window", "gap_pop",
                                          "gap_pop_baseline", "delta"]  # fmt: skip
    assert len(result.table) == 6 * (len(DEFS) * len(WINDOWS) + 1)  # + one walking-distance row per scenario
    result.write(tmp_path / "out")
    written = pd.read_csv(tmp_path / "out" / "scenarios.csv", dtype={"muni_code": str}, encoding="utf-8-sig")
    assert written["muni_code"].eq("21206").all()
    assert np.allclose(written["delta"], result.table["delta"])


def test_a_scenario_without_changes_gives_delta_zero_everywhere(run):
    rows = _rows(run["result"], "unchanged")
    assert (rows["delta"] == 0).all()
    t = run["result"].table
    assert (t.loc[t["scenario"] == "unchanged", "delta"] == 0).all()  # the walking-distance row too
    assert (rows["gap_pop"] > 0).all()


def test_removing_routes_never_lowers_a_gap_and_raises_some(run):
    result = run["result"]
    rows = _rows(result, "cut")
    assert (rows["delta"] >= 0).all()
    assert (rows["delta"] > 0).any()
    base, cut = result.baseline.cells, result.runs["cut"].cells
    for d in DEFS:
        for w in WINDOWS:  # cell by cell: a cut serves no cell the baseline did not
            assert not (cut[f"served_{d}_{w}"] & ~base[f"served_{d}_{w}"]).any()


def test_a_zone_covering_the_municipality_all_day_on_weekdays_brings_weekday_gaps_to_zero(run):
    weekday = _rows(run["result"], "weekday-zone")
    assert (weekday["gap_pop"] == 0).all()
    assert np.allclose(weekday["delta"], -weekday["gap_pop_baseline"])
    holiday = _rows(run["result"], "holiday-zone")  # the date is a Tuesday: a 日祝 zone changes nothing
    assert (holiday["delta"] == 0).all()
    # distance gaps have no time: a zone serves everyone inside it if it runs at all, weekdays or holidays
    for name in ("weekday-zone", "holiday-zone"):
        rows = _rows(run["result"], name, "distance")
        assert rows["gap_pop"].tolist() == [0] and rows["gap_pop_baseline"].iloc[0] > 0


def test_zone_hours_serve_only_the_windows_they_overlap(run):
    box = shapely.box(0, 0, 10, 10)
    zones = read_zones(gpd.GeoDataFrame({"name": ["z"], "start": ["08:30"], "end": ["17:00"], "days": ["平日・土曜"]},
                                        geometry=[box], crs=6675))  # fmt: skip
    centres = shapely.points([5, 50], [5, 5])
    served = zone_service(centres, zones, parse_windows(list(WINDOWS)), {"平日"})
    assert served.tolist() == [[True, True, False, False], [False, False, False, False]]
    assert not zone_service(centres, zones, parse_windows(list(WINDOWS)), {"日祝"}).any()
    with pytest.raises(ValidationError, match="days"):
        read_zones(zones.drop(columns=["start_s", "end_s"]).assign(start="08:30", end="17:00", days="月曜"))


def test_demand_scale_scales_every_gap(run):
    rows = _rows(run["result"], "shrink")
    assert np.allclose(rows["gap_pop"], rows["gap_pop_baseline"] * 0.85)


def test_removing_a_stop_by_name_raises_no_gap_below_the_baseline(run):
    rows = _rows(run["result"], "no-stop")
    assert (rows["delta"] >= 0).all()
    feed = read_feed(run["feed"])
    fewer = without_service(feed, stops=["落合事務所"])
    assert "落合事務所" in set(feed.stops["stop_name"]) and "落合事務所" not in set(fewer.stops["stop_name"])
    before = stop_departures(feed, date=DATE, windows=list(WINDOWS))
    after = stop_departures(fewer, date=DATE, windows=list(WINDOWS))
    gone = before["stop_name"] == "落合事務所"
    assert before.loc[~gone, "dep_day"].tolist() == after["dep_day"].tolist()  # the others keep every departure


def test_unknown_routes_and_stops_are_refused_with_what_the_feed_has(run):
    with pytest.raises(ValidationError, match=r"remove_routes \['999'\].*route_ids"):
        analyses.scenarios(run["selection"], None, definitions=DEFS, date=DATE, population="ssdse-a",
                           population_column="pop_2020", feeds=["gtfs-nakatsugawa"],
                           scenarios=[ScenarioParams(name="x", remove_routes=("999",))])  # fmt: skip


# ------------------------------------------------------------------------------ the independent count


def _raw(path: Path, name: str) -> pd.DataFrame:
    with zipfile.ZipFile(path) as z, z.open(name) as f:
        return pd.read_csv(f, dtype=str, encoding="utf-8-sig")


def _services_on(path: Path, day: dt.date) -> set[str]:
    cal = _raw(path, "calendar.txt")
    weekday = day.strftime("%A").lower()
    ymd = day.strftime("%Y%m%d")
    running = set(cal.loc[(cal[weekday] == "1") & (cal["start_date"] <= ymd) & (ymd <= cal["end_date"]), "service_id"])
    dates = _raw(path, "calendar_dates.txt")
    today = dates[dates["date"] == ymd]
    return (running | set(today.loc[today["exception_type"] == "1", "service_id"])) - set(
        today.loc[today["exception_type"] == "2", "service_id"]
    )


def _departures(path: Path, drop_routes: tuple[str, ...]) -> pd.DataFrame:
    """Per stop: lon, lat, rail or not, and departures per window on DATE, with the routes dropped."""
    trips = _raw(path, "trips.txt")
    routes = _raw(path, "routes.txt")
    trips = trips[trips["service_id"].isin(_services_on(path, dt.date.fromisoformat(DATE)))]
    trips = trips[~trips["route_id"].isin(drop_routes)].merge(routes[["route_id", "route_type"]], on="route_id")
    st = _raw(path, "stop_times.txt").merge(trips[["trip_id", "route_type"]], on="trip_id")
    if "pickup_type" in st.columns:
        st = st[st["pickup_type"].fillna("0") != "1"]
    hms = st["departure_time"].str.split(":", expand=True).astype(int)
    st = st.assign(s=hms[0] * 3600 + hms[1] * 60 + hms[2])
    stops = _raw(path, "stops.txt")
    stops = stops[stops["location_type"].fillna("0").isin(["0", ""])][["stop_id", "stop_lon", "stop_lat"]]
    for label, (a, b) in WINDOWS.items():
        inside = st[(st["s"] >= a * 3600) & (st["s"] < b * 3600)]
        stops[label] = stops["stop_id"].map(inside.groupby("stop_id").size()).fillna(0).astype(int)
    rail = set(st.loc[~st["route_type"].isin(["3", "700", "711", "715"]), "stop_id"])
    return stops.assign(rail=stops["stop_id"].isin(rail))


def _metres(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    x, y = Transformer.from_crs(4326, 6675, always_xy=True).transform(lon, lat)  # 平面直角 VII (岐阜)
    return np.column_stack([x, y])


@pytest.mark.parametrize("scenario", ["unchanged", "cut"])
def test_every_gap_equals_a_brute_force_count_from_the_raw_feed(run, scenario):
    result = run["result"]
    cells = result.baseline.cells  # the one demand every scenario is judged on
    weights = cells["population"].to_numpy(dtype=float)
    pieces = cells.to_crs(6675).geometry.to_numpy()  # cells clipped to the border: judged by their centroid
    centres = shapely.get_coordinates(shapely.centroid(pieces))
    area = run["selection"].areas.to_crs(6675).geometry.iloc[0]
    in_area = shapely.contains_xy(area, centres[:, 0], centres[:, 1])
    deps = _departures(run["feed"], CUT if scenario == "cut" else ())
    stops = _metres(deps["stop_lon"].astype(float).to_numpy(), deps["stop_lat"].astype(float).to_numpy())
    st = run["stations"]
    stations = _metres(st.geometry.x.to_numpy(), st.geometry.y.to_numpy())
    d_stop = np.sqrt(((centres[:, None, :] - stops[None, :, :]) ** 2).sum(-1))
    d_station = np.sqrt(((centres[:, None, :] - stations[None, :, :]) ** 2).sum(-1)).min(axis=1)
    rows = _rows(result, scenario).set_index(["definition", "window"])
    walk = {"handbook-rural": (1000, 500), "plateau-toshi-kozo": (800, 300)}
    for d, (station_m, bus_m) in walk.items():
        limit = np.where(deps["rail"].to_numpy(), station_m, bus_m)
        for w in WINDOWS:
            running = deps[w].to_numpy() >= 1
            served = (d_stop[:, running] <= limit[running]).any(axis=1) | (d_station <= station_m)
            expected = weights[~served & in_area].sum()
            got = rows.loc[(d, w), "gap_pop"]
            assert abs(got - expected) <= weights.max() + 1e-6, (scenario, d, w, got, expected)
            assert abs(got - expected) < 1e-6 or (served != result.runs[scenario].cells[f"served_{d}_{w}"]).sum() <= 1
    # the walking-distance row: any stop of the feed (whatever its departures) within 800 m (rail) / 300 m (bus),
    # or a station within 800 m; a removed route leaves its stops, so the cut changes no distance gap
    limit = np.where(deps["rail"].to_numpy(), 800, 300)
    served = (d_stop <= limit).any(axis=1) | (d_station <= 800)
    expected = weights[~served & in_area].sum()
    got = _rows(result, scenario, "distance")
    assert got["window"].tolist() == ["all-day"]
    assert abs(got["gap_pop"].iloc[0] - expected) <= weights.max() + 1e-6, (scenario, got, expected)
    assert got["delta"].iloc[0] == 0


def test_config_scenarios_need_gaps_timetables_for_routes_and_existing_files(tmp_path):
    """Distance-only [gaps] take scenarios, but removing GTFS routes needs timetables; files must exist; and a
    scenario without [gaps] has no baseline."""
    config = tmp_path / "c.toml"
    config.write_text(
        '[run]\nname = "x"\n[[points]]\nname = "stations"\npath = "stations-n02-2023-points"\nkind = "station"\n'
        '[gaps]\ndemand = "grid"\nsupply = ["stations"]\n'
        '[[scenarios]]\nname = "a"\nadd_zones = "missing.geojson"\ndemand_scale = 0.9\n'
        '[[scenarios]]\nname = "b"\nremove_routes = ["40"]\nprojection = "no-such.csv"\nprojection_year = 2040\n',
        encoding="utf-8",
    )
    with pytest.raises(ValidationError) as err:
        load_config(config)
    text = str(err.value)
    assert "line 16: scenarios[1].remove_routes: removing GTFS routes needs timetable gaps" in text
    assert "line 12: scenarios[0].add_zones: 'missing.geojson' is neither a file" in text
    assert "line 17: scenarios[1].projection: 'no-such.csv' is neither a file" in text
    config.write_text('[run]\nname = "x"\n[[scenarios]]\nname = "a"\n', encoding="utf-8")
    with pytest.raises(ValidationError, match="scenarios need a \\[gaps\\] section"):
        load_config(config)


def test_a_config_run_writes_the_scenarios_the_api_computes(run, tmp_path):
    """The config door and the API give the same scenarios.csv (one analysis, one writer)."""
    zones = Path(__file__).resolve().parents[1] / "scripts" / "nakatsugawa_demand_zones.geojson"
    config = tmp_path / "s.toml"
    config.write_text(f"""
[run]
name = "s"
output_dir = "{tmp_path / "out"}"
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
definitions = {list(DEFS)!r}
supply = ["stations"]
maps = false
[[scenarios]]
name = "cut+zone"
remove_routes = ["40", "50"]
add_zones = "{zones}"
[[scenarios]]
name = "shrink"
demand_scale = 0.85
""".replace("'", '"'), encoding="utf-8")  # fmt: skip
    ran = geo.run(config, progress=False)
    written = pd.read_csv(ran.output_dir / "scenarios.csv", dtype={"muni_code": str}, encoding="utf-8-sig")
    api = analyses.scenarios(
        run["selection"], None, definitions=DEFS, date=DATE, population_column="pop_2020", population="ssdse-a",
        feeds=["gtfs-nakatsugawa"], stops={"station": run["stations"]}, zones={"cut+zone": zones},
        scenarios=[ScenarioParams(name="cut+zone", remove_routes=("40", "50")),
                   ScenarioParams(name="shrink", demand_scale=0.85)],
    )  # fmt: skip
    pd.testing.assert_frame_equal(written, api.table, check_exact=False, rtol=1e-9, check_dtype=False)
    cut = written[written["scenario"] == "cut+zone"].set_index(["definition", "window"])
    assert (cut.loc[("handbook-rural", "09-17"), "delta"] < 0) and (cut.loc[("handbook-rural", "19-22"), "delta"] == 0)
    record = json.loads((ran.output_dir / "run.json").read_text(encoding="utf-8"))
    assert "scenarios[0].add_zones" in record["inputs"]


def test_an_added_stop_serves_the_cells_within_walking_distance_in_its_hours(run):
    """A new bus stop every 30 min from 07:00 to 19:00 on weekdays, in the most populous gap cell: the gap falls
    by exactly the baseline-gap cells within 500 m (handbook-rural) in 07-09 … 17-19, and not at 19-22."""
    result, selection = run["result"], run["selection"]
    base = result.baseline.cells.to_crs(6675)
    gap = ~base["served_handbook-rural_09-17"]
    spot = shapely.centroid(base.geometry[gap & (base["population"] == base.loc[gap, "population"].max())].iloc[0])
    stop = gpd.GeoDataFrame({"name": ["新設"], "headway_min": [30], "start": ["07:00"], "end": ["19:00"],
                             "days": ["平日"]}, geometry=[spot], crs=6675)  # fmt: skip
    sunday = stop.drop(columns=["headway_min", "start", "end"]).assign(**{"dep_07-09": 4, "days": "日祝"})
    added = analyses.scenarios(
        selection, None, definitions=("handbook-rural",), date=DATE, population_column="pop_2020",
        population="ssdse-a", feeds=["gtfs-nakatsugawa"], stops={"station": run["stations"]},
        scenarios=[ScenarioParams(name="stop"), ScenarioParams(name="sunday")],
        added_stops={"stop": stop, "sunday": sunday},
    )  # fmt: skip
    centres = shapely.get_coordinates(shapely.centroid(base.geometry.to_numpy()))
    area = selection.areas.to_crs(6675).geometry.iloc[0]
    in_area = shapely.contains_xy(area, centres[:, 0], centres[:, 1])
    near = np.hypot(centres[:, 0] - spot.x, centres[:, 1] - spot.y) <= 500
    rows = _rows(added, "stop").set_index("window")
    for w in WINDOWS:
        newly = ~base[f"served_handbook-rural_{w}"].to_numpy() & near & in_area
        expected = -base["population"].to_numpy()[newly].sum() if w != "19-22" else 0.0
        assert rows.loc[w, "delta"] == pytest.approx(expected), w
    assert rows.loc["09-17", "delta"] < 0
    assert (_rows(added, "sunday")["delta"] == 0).all()  # runs on 日祝 only; the date is a Tuesday
    deps = added_departures(read_added_stops(stop), parse_windows(list(WINDOWS)), {"平日"})
    assert deps[[f"dep_{w}" for w in WINDOWS]].iloc[0].tolist() == [4, 16, 4, 0]
    assert deps["dep_day"].iloc[0] == 24


def test_removing_a_railway_station_by_name_takes_it_out_of_the_untimed_layer(run):
    """中津川 station (N02, no timetable) removed by name: the cells it was nearest to are farther from a station
    now, and no gap falls."""
    result = analyses.scenarios(
        run["selection"], None, definitions=("handbook-rural",), date=DATE, population_column="pop_2020",
        population="ssdse-a", feeds=["gtfs-nakatsugawa"], stops={"station": run["stations"]},
        scenarios=[ScenarioParams(name="no-station", remove_stops=("中津川",))],
    )  # fmt: skip
    rows = _rows(result, "no-station")
    assert (rows["delta"] >= 0).all()
    before = result.baseline.cells["dist_station_m"].to_numpy()
    after = result.runs["no-station"].cells["dist_station_m"].to_numpy()
    assert (after >= before).all() and (after > before).sum() > 10
