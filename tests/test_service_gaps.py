"""交通空白 by time of day: served cells and grades checked by brute force; definitions as data; CLI and run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from click.testing import CliRunner
from matplotlib.colors import to_rgb
from pyproj import Transformer

import geo
from geo.config import load_config
from geo.demand import grid_demand
from geo.gap_definitions import list_gap_definitions, read_gap_definition, read_grade_table
from geo.maps.service import GRADE_COLORS, grade_map, window_panels
from geo.pipeline import _window_titles
from geo.service_gaps import ServiceGaps, service_gaps
from geo.store import read_layer_info
from geo.timetable import read_feed, stop_departures

FOUR = ["mlit-hojokin-1km", "handbook-urban", "handbook-rural", "plateau-toshi-kozo"]
NAKA = "gtfs-jp-nakatsugawa-toyota/nakatsugawa_GTFS.zip"
STATIONS = "ksj-n02-2023-railway-stations/stations_points.csv"
AREAS = "japan-topography-n03-2021/topojson/s0010/N03-21_210101.json"


@pytest.fixture(scope="module")
def nakatsugawa(shared_data):
    areas = geo.read_boundaries(shared_data / AREAS, prefectures=["21"])
    areas = areas[areas["muni_code"] == "21206"].reset_index(drop=True)
    stations = geo.read_points(shared_data / STATIONS)
    feed = read_feed(shared_data / NAKA)
    cells, grid = grid_demand(areas)
    result = service_gaps(
        cells, definition=[*FOUR, "frequency-30"], feed=feed, stops={"station": stations}, date="2020-11-10",
        areas=areas, demand_note=str(grid),
    )  # fmt: skip
    return {"areas": areas, "stations": stations, "feed": feed, "cells": cells, "result": result}


def _metres(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    x, y = Transformer.from_crs(4326, 6675, always_xy=True).transform(lon, lat)  # 平面直角 VII (岐阜)
    return np.column_stack([x, y])


def test_served_cells_equal_a_brute_force_check(nakatsugawa):
    """Served = a stop with a departure in the window within 500 m, or a station within 1,000 m (handbook-rural)."""
    result, cells = nakatsugawa["result"], nakatsugawa["cells"]
    deps = stop_departures(nakatsugawa["feed"], date="2020-11-10", windows=["07-09", "19-22"])
    bounds = shapely.bounds(cells.geometry.to_numpy())
    centres = _metres((bounds[:, 0] + bounds[:, 2]) / 2, (bounds[:, 1] + bounds[:, 3]) / 2)
    stops = _metres(deps["stop_lon"].to_numpy(), deps["stop_lat"].to_numpy())
    st = nakatsugawa["stations"]
    stations = _metres(st.geometry.x.to_numpy(), st.geometry.y.to_numpy())
    d_stop = np.sqrt(((centres[:, None, :] - stops[None, :, :]) ** 2).sum(-1))
    d_station = np.sqrt(((centres[:, None, :] - stations[None, :, :]) ** 2).sum(-1)).min(axis=1)
    for window in ("07-09", "19-22"):
        running = deps[f"dep_{window}"].to_numpy() > 0
        expected = ((d_stop[:, running] <= 500).any(axis=1)) | (d_station <= 1000)
        got = result.cells[f"served_handbook-rural_{window}"].to_numpy()
        assert (got != expected).sum() <= 1, window  # a centre within centimetres of the limit may differ
    totals = result.totals.set_index(["definition", "window"])
    assert totals.loc[("handbook-rural", "19-22"), "gap_cells"] == (~result.cells["served_handbook-rural_19-22"]).sum()


def test_morning_and_evening_differ_in_nakatsugawa_and_the_grade_map_shows_it(nakatsugawa, tmp_path):
    import matplotlib.image as mpimg

    from geo.maps.service import window_switcher_html

    result, areas = nakatsugawa["result"], nakatsugawa["areas"]
    cells = result.cells
    for name in FOUR:
        morning, evening = cells[f"served_{name}_07-09"], cells[f"served_{name}_19-22"]
        assert morning.sum() > evening.sum(), name  # the community buses stop running in the evening
        assert (morning & ~evening).any()
    assert (cells["grade_07-09"] != cells["grade_19-22"]).sum() > 10
    path = grade_map(result, tmp_path / "grade.png", windows=["07-09", "19-22"], areas=areas, dpi=40)
    image = mpimg.imread(path)[..., :3]
    half = image.shape[1] // 2
    cd = [np.array(to_rgb(GRADE_COLORS[g])) for g in "CD"]
    served = [sum(((np.abs(p - c).sum(-1)) < 0.05).sum() for c in cd) for p in (image[:, :half], image[:, half:])]
    assert served[0] > served[1] > 0  # more C/D-grade pixels in the morning panel than in the evening one
    window_panels(result, "handbook-rural", tmp_path / "w.png", areas=areas, dpi=40)
    page = window_switcher_html(result, "handbook-rural", tmp_path / "w.html", areas=areas).read_text()
    assert "L.control.layers" in page and "19-22 時" in page and "07-09 時" in page
    assert "<script src" not in page and "<link" not in page  # Leaflet inlined: works offline
    again = window_switcher_html(result, "handbook-rural", tmp_path / "w2.html", areas=areas).read_text()
    assert again == page  # reproducible byte for byte (no random element ids)
    # the page credits the inputs it was given (a run passes its result's credits), not a generic line
    credit = "中津川市 GTFS-JP データ（2020年10月1日改正）"
    credited = window_switcher_html(result, "handbook-rural", tmp_path / "w3.html", areas=areas, credits=(credit,))
    assert f"クレジット: {credit}" in credited.read_text() and "各事業者" not in credited.read_text()


def test_frequency_definition_keeps_only_frequent_stops(nakatsugawa):
    result = nakatsugawa["result"]
    deps = stop_departures(nakatsugawa["feed"], date="2020-11-10")
    assert deps["dep_day"].max() < 30  # no 中津川 community-bus stop has 30 departures a day
    near_station = result.cells["dist_station_m"].to_numpy() <= 800
    for window in read_gap_definition("frequency-30").windows:
        assert np.array_equal(result.cells[f"served_frequency-30_{window}"].to_numpy(), near_station)


def _half_hourly_feed(folder: Path, *, route_type: int = 3) -> Path:
    """One stop S at (137.0, 35.0) with a departure every 30 min from 07:00 to 18:30 on 2020-11-10."""
    times = [f"{7 + i // 2:02d}:{30 * (i % 2):02d}:00" for i in range(24)]
    folder.mkdir()
    (folder / "stops.txt").write_text("stop_id,stop_name,stop_lat,stop_lon\nS,停,35.0,137.0\nT,終点,35.5,137.5\n")
    (folder / "trips.txt").write_text("route_id,service_id,trip_id\n" + "".join(f"R,D,t{i}\n" for i in range(24)))
    (folder / "routes.txt").write_text(f"route_id,route_type\nR,{route_type}\n")
    (folder / "calendar_dates.txt").write_text("service_id,date,exception_type\nD,20201110,1\n")
    rows = "".join(f"t{i},{t},{t},S,1\nt{i},23:00:00,23:00:00,T,2\n" for i, t in enumerate(times))
    (folder / "stop_times.txt").write_text("trip_id,arrival_time,departure_time,stop_id,stop_sequence\n" + rows)
    return folder


def _north_of_stop(metres: np.ndarray) -> gpd.GeoDataFrame:
    to_ll = Transformer.from_crs(6675, 4326, always_xy=True)
    x0, y0 = Transformer.from_crs(4326, 6675, always_xy=True).transform(137.0, 35.0)
    lon, lat = to_ll.transform(np.full(len(metres), x0), y0 + metres)
    return gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs=4326).to_crs(6668)


def test_grades_follow_the_table(tmp_path):
    """One stop with departures every 30 min in 07-19 (class III): B ≤300 m, C ≤500, D ≤750, E ≤1,000, then F."""
    folder = _half_hourly_feed(tmp_path / "feed")
    # demand points due north of the stop at known distances (metres along the meridian, 1° ≈ 110,950 m here)
    demand = _north_of_stop(np.array([200.0, 450.0, 700.0, 950.0, 1200.0]))
    result = service_gaps(demand, definition="handbook-urban", feed=folder, date="2020-11-10", crs=6675)
    assert result.cells["grade_class"].tolist()[:4] == ["III"] * 4
    assert result.cells["grade"].tolist() == ["B", "C", "D", "E", "F"]
    assert result.cells["served_handbook-urban_07-09"].tolist() == [True, False, False, False, False]
    table = read_grade_table()
    assert table.table["III"] == ("B", "C", "D", "E")


@pytest.mark.parametrize(("route_type", "served"), [(2, [True, True, False]), (3, [True, False, False])])
def test_rail_stops_in_gtfs_follow_the_station_distance(tmp_path, route_type, served):
    folder = _half_hourly_feed(tmp_path / "feed", route_type=route_type)
    demand = _north_of_stop(np.array([250.0, 700.0, 900.0]))
    result = service_gaps(demand, definition="plateau-toshi-kozo", feed=folder, date="2020-11-10", crs=6675)
    assert result.cells["served_plateau-toshi-kozo_07-09"].tolist() == served  # station 800 m, bus 300 m


def test_definitions_are_data_with_sources(tmp_path):
    names = list_gap_definitions()
    assert {*FOUR, "frequency-30"} <= set(names)
    for name in names:
        d = read_gap_definition(name)
        assert d.source and d.walk_m["station"] > 0 and d.walk_m["bus"] > 0
    assert read_gap_definition("handbook-urban").walk_m == {"station": 500.0, "bus": 300.0}
    assert read_gap_definition("frequency-30").own
    own = tmp_path / "toyota-survey.toml"
    own.write_text(
        '[definition]\ntitle = "豊田市 調査"\nsource = "豊田市 アンケート (own)"\n[walk_m]\nstation = 700\nbus = 525\n'
        "[frequency]\nmin_departures = 2\n",
        encoding="utf-8",
    )
    assert read_gap_definition(own).min_departures == 2
    own.write_text('[definition]\ntitle = "x"\n[walk_m]\ntram = 5\nbus = -1\n[frequency]\nmax_wait = 3\n')
    with pytest.raises(geo.ValidationError) as info:
        read_gap_definition(own)
    msg = str(info.value)
    assert "source is required" in msg and "unknown mode 'tram'" in msg and "bus must be a positive" in msg
    assert "max_wait" in msg and str(own) in msg
    with pytest.raises(geo.ValidationError, match="handbook-urban"):
        read_gap_definition("no-such-definition")


def test_find_gaps_is_the_distance_question_and_service_gaps_the_timetable_one(nakatsugawa, shared_data):
    """One type per function: find_gaps returns the gap rows, service_gaps the timetable result."""
    cells, stations = nakatsugawa["cells"], nakatsugawa["stations"]
    old = geo.find_gaps(cells, {"station": stations}, walk_m={"station": 800})
    assert isinstance(old, gpd.GeoDataFrame)
    with pytest.raises(TypeError, match="definition"):
        geo.find_gaps(cells, {"station": stations}, definition="plateau-toshi-kozo")
    new = service_gaps(cells, definition="plateau-toshi-kozo", feed=shared_data / NAKA,
                           stops={"station": stations}, date="平日")  # fmt: skip
    assert isinstance(new, ServiceGaps)
    assert new.service_dates["plateau-toshi-kozo"]["day_type"] == "平日"
    # with no bus stop at all the station rule is the old 800 m rule
    only_stations = service_gaps(cells, definition="plateau-toshi-kozo", stops={"station": stations})
    assert (~only_stations.cells["served_plateau-toshi-kozo_07-09"]).sum() == len(old)
    with pytest.raises(geo.ValidationError, match="outside the service range"):
        service_gaps(cells, definition="handbook-urban", feed=shared_data / NAKA, date="2019-01-01")


def test_cli_evaluates_four_definitions_side_by_side(shared_data, tmp_path):
    import geo.cli

    args = ["gaps", "--grid", "--gtfs", str(shared_data / NAKA), "--stations", str(shared_data / STATIONS)]
    args += ["--date", "2020-11-10", "--areas", str(shared_data / AREAS), "--municipality", "21206"]
    args += [x for name in FOUR for x in ("--definition", name)] + ["--no-maps", "-o", str(tmp_path)]
    out = CliRunner().invoke(geo.cli.cli, args, catch_exceptions=False)
    assert out.exit_code == 0, out.output
    record = json.loads((tmp_path / "definitions.json").read_text(encoding="utf-8"))
    assert [d["name"] for d in record["definitions"]] == FOUR
    assert all(d["source"] and d["service_date"]["date"] == "2020-11-10" for d in record["definitions"])
    assert "unweighted 1 km grid" in record["demand_note"]
    assert "19-22" in out.output and "source:" in out.output


def test_run_records_each_definition_with_its_source(shared_data, tmp_path):
    config = Path(__file__).resolve().parents[1] / "scripts" / "nakatsugawa_timetable_gaps.toml"
    text = config.read_text(encoding="utf-8").replace('"plateau-toshi-kozo", "frequency-30"', '"plateau-toshi-kozo"')
    text = text.split("[[maps]]")[0].replace("[gaps]", "[gaps]\nmaps = false")  # maps: tested above
    (tmp_path / "run.toml").write_text(text + "\n[outputs]\ngpkg = false\n", encoding="utf-8")
    result = geo.run(tmp_path / "run.toml", progress=False, output_root=tmp_path / "out")
    gaps = result.manifest["analyses"]["gaps"]
    assert [d["name"] for d in gaps["definitions"]] == FOUR
    for d in gaps["definitions"]:
        assert d["source"] == read_gap_definition(d["name"]).source
        assert d["walk_m"] == read_gap_definition(d["name"]).walk_m
    assert "spread over 1 km grid cells by area" in gaps["demand_note"]
    assert {"gap_totals.csv", "gaps_by_area.csv", "service_cells.csv"} <= set(result.manifest["outputs"])
    assert "service_grade.png" not in result.manifest["outputs"]  # maps = false is read
    shutil.rmtree(result.output_dir)


def test_cli_holiday_gaps_use_a_real_sunday_and_say_why(shared_data, tmp_path):
    """豊田 日祝 once resolved to 2021-07-22 (weekday timetable running): the holiday map equalled the weekday one."""
    import geo.cli

    args = ["gaps", "--grid", "--gtfs", str(shared_data / "gtfs-jp-nakatsugawa-toyota/toyota_kikan_GTFS.zip")]
    args += ["--date", "日祝", "--definition", "handbook-rural", "--areas", str(shared_data / AREAS)]
    args += ["--municipality", "23211", "--no-maps", "-o", str(tmp_path)]
    out = CliRunner().invoke(geo.cli.cli, args, catch_exceptions=False)
    assert out.exit_code == 0, out.output
    (record,) = json.loads((tmp_path / "definitions.json").read_text(encoding="utf-8"))["definitions"]
    day = record["service_date"]
    assert (day["date"], day["day_type"]) == ("2020-12-13", "日祝")  # a Sunday with the 土日祝 services
    assert "59 of the 68 日祝 dates" in day["reason"]
    assert any("2021-07-22" in n for n in day["notes"])
    assert "service day: 日祝: the most common set of services" in out.output
    assert "note: feed toyota_kikan_GTFS.zip: 3 of 15 weekday holidays run the weekday services" in out.output
    # the layers say it too (QGIS shows the description)
    description = read_layer_info(tmp_path / "layers.gpkg")["service_cells"].description
    assert "2020-12-13 日祝" in description and "59 of the 68 日祝 dates" in description


def _svg_texts(path: Path) -> list[str]:
    import re

    return [t.strip() for t in re.findall(r"<text[^>]*>([^<]*)</text>", path.read_text(encoding="utf-8")) if t.strip()]


def test_timetable_maps_have_the_furniture_of_the_other_maps(nakatsugawa, tmp_path):
    result, areas = nakatsugawa["result"], nakatsugawa["areas"]
    rural = read_gap_definition("handbook-rural")
    for path in (
        grade_map(result, tmp_path / "grade.svg", windows=["07-09", "19-22"], areas=areas, dpi=40),
        window_panels(result, "handbook-rural", tmp_path / "windows.svg", areas=areas, dpi=40),
    ):
        texts = _svg_texts(path)
        joined = "\n".join(texts)
        assert "N" in texts and any(t.endswith("km") for t in texts), path.name  # north arrow, scale bar
        assert "中津川市" in texts, path.name  # place names
        assert "運行日: 2020-11-10（平日）" in texts, path.name
        assert any(t.startswith("需要: 1 km メッシュ 646 セル") for t in texts), path.name  # footer in Japanese
        assert "cells of" not in joined and "unweighted" not in joined and "weekday" not in joined, path.name
    texts = _svg_texts(tmp_path / "windows.svg")
    assert f"時間帯別の交通空白 — {rural.title}" in texts and not any("handbook-rural" in t for t in texts)
    assert {"A（最良）", "F（最低）"} <= set(_svg_texts(tmp_path / "grade.svg"))


def test_grade_palette_reads_from_good_to_bad():
    rgb = np.array([to_rgb(GRADE_COLORS[g]) for g in "ABCDEF"])
    redness = rgb[:, 0] - rgb[:, 1]
    assert (np.diff(redness) > 0).all()  # every grade redder than the one before: A green ... F red
    # neighbours are told apart (C and D were two pale yellows): at least 0.25 apart in RGB
    assert (np.linalg.norm(np.diff(rgb, axis=0), axis=1) > 0.25).all()


def test_per_window_maps_share_one_classification(shared_data, tmp_path):
    selection = geo.analyses.select(
        shared_data / AREAS, municipalities=("21206", "21210", "21208")
    )  # 中津川, 恵那, 瑞浪
    result = geo.analyses.timetable_gaps(
        selection, None, definitions=("handbook-rural",), date="2020-11-10", feeds=[shared_data / NAKA],
        stops={"station": geo.read_points(shared_data / STATIONS)},
    )  # fmt: skip
    maps = result.window_share_choropleths()
    assert list(maps) == ["07-09", "09-17", "17-19", "19-22"]
    classes = [m.classes for m, _ in maps.values()]
    assert len({(c.bins, c.labels, c.colors) for c in classes}) == 1  # one classification for the four maps
    assert all(c.title_ja.endswith("共通区分") for c in classes)
    note = "階級区分は 07-09 時・09-17 時・17-19 時・19-22 時 の値を合わせて設定（4図で共通）"
    assert all(note in m.spec.notes for m, _ in maps.values())
    # each map counts its own areas: 3 areas in every one
    assert all(sum(c.counts) + c.nodata_count == 3 for c in classes)
    files = result.window_share_maps(tmp_path)
    assert [f.name for f in files] == [f"gaps_handbook-rural_share_{w}.png" for w in maps]


def test_example_writes_per_window_maps_with_one_classification(shared_data, tmp_path):
    config = Path(__file__).resolve().parents[1] / "scripts" / "tono_timetable_windows.toml"
    (tmp_path / "run.toml").write_text(config.read_text(encoding="utf-8") + "\n[outputs]\ngpkg = false\n")
    specs = load_config(tmp_path / "run.toml").maps
    columns = {s.column for s in specs}
    assert len(specs) == 4 and all({s.column, *s.classes_with} == columns for s in specs)  # one set of four
    result = geo.run(tmp_path / "run.toml", progress=False, output_root=tmp_path / "out")
    written = set(result.manifest["outputs"])
    windows = ["07-09", "09-17", "17-19", "19-22"]
    assert {f"gap_{w}.png" for w in windows} <= written
    assert {f"gaps_handbook-rural_share_{w}.png" for w in windows} <= written
    # the legends name the windows, not the columns (the titles a run hands to map_from)
    titles = _window_titles([s.column for s in specs])
    assert titles == {f"gap_pct_handbook-rural_{w}": f"{w} 時" for w in windows}
    assert _window_titles(["gap_pct_a_07-09", "gap_pct_b_07-09"]) == {
        "gap_pct_a_07-09": "a 07-09 時",
        "gap_pct_b_07-09": "b 07-09 時",
    }
    shutil.rmtree(result.output_dir)
