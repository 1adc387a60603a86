"""Inputs you can trust (issue #11): every bad-input case of ``../shared/cases/inputs`` asserts the value its
README gives, and each KIND of fault gets at least one more case made here from the shared real data.

Kinds: 1 datums, 2 survey X/Y, 3 codes, 4 table shapes, 5 demand validity, 6 boundary geometry, 7 GTFS
location_type, 8 the Japan check, 9 layers without a CRS; plus empty tables and a Shift_JIS config.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest
import shapely
from pyproj import Geod, Transformer
from pyproj.transformer import TransformerGroup

import geo
from geo._errors import ValidationError
from geo.codes import check_digit
from geo.config import load_config
from geo.crs import in_japan, jgd2011_transformer
from geo.gtfs_stops import gtfs_boarding_stops
from geo.mesh import mesh_bounds, read_mesh
from geo.store import write_csv
from geo.tables import suppressed_mask

STATIONS = "ksj-n02-2023-railway-stations/stations_points.csv"
MICHINOEKI = "ksj-p35-2018-michinoeki-hokkaido/P35-18_01_michinoeki_hokkaido.geojson"
SSDSE = "ssdse-a-municipal-indicators/municipal_indicators.csv"
MESH = "estat-mesh1km-census-yamanashi/yamanashi_mesh1km_2020.csv"
MESH_RAW = "estat-mesh1km-census-yamanashi/raw/tblT001100S19.txt"
NAKATSUGAWA = "gtfs-jp-nakatsugawa-toyota/nakatsugawa_GTFS.zip"
YAMANASHI_N03 = "japan-topography-n03-2021/geojson/s0010/N03-21_19_210101.json"
GEOD = Geod(ellps="GRS80")


@pytest.fixture(scope="module")
def cases() -> Path:
    path = Path(__file__).resolve().parents[2] / "shared" / "cases" / "inputs"
    if not path.is_dir():  # worktrees sit beside main: fall back to the shared folder by its absolute path
        path = Path("/work/shared/cases/inputs")
    if not (path / "README.md").is_file():
        pytest.fail(f"the shared bad-input cases are missing at {path}")
    return path


@pytest.fixture(scope="module")
def stations(shared_data: Path) -> pd.DataFrame:
    return pd.read_csv(shared_data / STATIONS, dtype=str)


@pytest.fixture(scope="module")
def yamanashi(shared_data: Path) -> gpd.GeoDataFrame:
    return geo.read_boundaries(shared_data / YAMANASHI_N03)


def _metres(lon1, lat1, lon2, lat2) -> np.ndarray:
    return np.asarray(GEOD.inv(lon1, lat1, lon2, lat2)[2])


# ============================================================================================ 1 datums


def test_case_tokyo_datum_station(cases: Path) -> None:
    """README: 甲府駅 at lon 138.56876, lat 35.667125 (within 10 m) after Tokyo datum → JGD2011."""
    pts = geo.read_points(cases / "tokyo_datum_station.csv", crs="EPSG:4301")
    p = pts.geometry.iloc[0]
    assert _metres(p.x, p.y, 138.56876, 35.667125) < 10
    assert "Tokyo" in pts.attrs["points"]["datum"] and "±" in pts.attrs["points"]["datum"]


def test_datum_record_says_when_the_grid_is_missing() -> None:
    """The transformation used is recorded with its accuracy; grid-based only where PROJ has the grid."""
    with warnings.catch_warnings():  # pyproj warns that the grid is missing: that is what we check here
        warnings.simplefilter("ignore", UserWarning)
        group = TransformerGroup(4301, 6668)  # what PROJ offers here, independently of our choice
    has_grid = group.best_available
    _, shift = jgd2011_transformer("EPSG:4301")
    assert shift.grid_based == has_grid
    # the Japan-wide translation is within 12 m of GSI's grid on the main islands (measured at its 392,262 nodes)
    assert shift.accuracy_m is not None and shift.accuracy_m <= (1 if has_grid else 12)
    if not has_grid:
        assert "tky2jgd.gsb" in shift.note
    assert jgd2011_transformer(6668)[1].operation == "none"


def test_tokyo_datum_plane_rectangular_stations(tmp_path: Path, stations: pd.DataFrame) -> None:
    """Own case: real Yamanashi stations written in Tokyo / Japan Plane Rectangular CS VIII (EPSG:30168).

    The expected place comes from another EPSG operation (Tokyo to WGS 84 (2), 13 m), not the one we use."""
    lon_all, lat_all = stations["lon"].astype(float), stations["lat"].astype(float)
    kofu = stations[lon_all.between(138.2, 139.1) & lat_all.between(35.3, 35.9)]
    lon, lat = kofu["lon"].astype(float).to_numpy(), kofu["lat"].astype(float).to_numpy()
    # treat the station coordinates as Tokyo-datum lon/lat and project them on the Tokyo datum
    e, n = Transformer.from_crs(4301, 30168, always_xy=True).transform(lon, lat)
    path = tmp_path / "tokyo_zone8.csv"
    pd.DataFrame({"name": kofu["station_name"], "X": n, "Y": e}).to_csv(path, index=False)
    pts = geo.read_points(path, crs="EPSG:30168")
    other = next(t for t in TransformerGroup(4301, 4326, always_xy=True).transformers if "(2)" in t.description)
    ref_lon, ref_lat = other.transform(lon, lat)
    assert len(pts) == len(kofu) > 5
    assert _metres(pts.geometry.x, pts.geometry.y, ref_lon, ref_lat).max() < 25
    assert _metres(pts.geometry.x, pts.geometry.y, lon, lat).min() > 300  # not left at the Tokyo datum


def test_wgs84_and_jgd2000_points_stay_within_a_metre(tmp_path: Path, stations: pd.DataFrame) -> None:
    sample = stations.head(50)
    for epsg in (4326, 4612):
        path = tmp_path / f"s{epsg}.csv"
        sample.to_csv(path, index=False)
        pts = geo.read_points(path, crs=f"EPSG:{epsg}")
        d = _metres(pts.geometry.x, pts.geometry.y, sample["lon"].astype(float), sample["lat"].astype(float))
        assert d.max() < 1.5


# ====================================================================================== 2 survey X/Y


def test_survey_x_is_northing_in_plane_rectangular(tmp_path: Path, shared_data: Path) -> None:
    """Own case: real 道の駅 of Hokkaido in zone XII (EPSG:6680), columns 座標X (north) / 座標Y (east)."""
    eki = gpd.read_file(shared_data / MICHINOEKI)
    lon, lat = eki["経度"].astype(float).to_numpy(), eki["緯度"].astype(float).to_numpy()
    east, north = Transformer.from_crs(6668, 6680, always_xy=True).transform(lon, lat)
    path = tmp_path / "michinoeki_zone12.csv"
    pd.DataFrame({"道の駅名": eki["道の駅名"], "座標X": north, "座標Y": east}).to_csv(path, index=False)
    pts = geo.read_points(path, crs="EPSG:6680")
    np.testing.assert_allclose(pts.geometry.x, lon, atol=1e-7)
    np.testing.assert_allclose(pts.geometry.y, lat, atol=1e-7)
    # the same numbers taken the GIS way round (x east) are caught by the plausibility (swap) check
    wrong = tmp_path / "wrong.csv"
    pd.DataFrame({"name": eki["道の駅名"], "x": north, "y": east}).to_csv(wrong, index=False)
    with pytest.raises(ValidationError, match="swapped"):
        geo.read_points(wrong, crs="EPSG:6680")


# ============================================================================================= 3 codes


def test_case_lost_leading_zero_check_digit(cases: Path, yamanashi: gpd.GeoDataFrame) -> None:
    """README: 12106 with 北海道 / 岩見沢市 is restored to 01210, never joined to 12106 千葉市美浜区."""
    table = geo.read_indicators(cases / "lost_leading_zero_check_digit.xlsx")
    assert table["muni_code"].tolist() == ["01210"]
    assert check_digit("01210") == 6  # independent: 012106 is a valid 6-digit code


def test_case_canonical_integer_codes(cases: Path) -> None:
    areas = geo.read_boundaries(cases / "canonical_integer_codes.gpkg")
    assert areas["muni_code"].tolist() == ["19201"] and areas["pref_code"].tolist() == ["19"]


def test_case_n03_integer_codes_with_unassigned(cases: Path) -> None:
    areas = geo.read_boundaries(cases / "n03_integer_codes_with_unassigned.geojson")
    assert len(areas) == 2
    assert areas["muni_code"].iloc[0] == "01202" and areas["muni_name"].iloc[0] == "函館市"
    assert areas["muni_code"].isna().iloc[1] and areas["muni_name"].iloc[1] == "所属未定地"


def test_case_codes_as_floats(cases: Path) -> None:
    table = geo.read_indicators(cases / "codes_as_floats.csv")
    assert table["muni_code"].iloc[0] == "01100"
    raw = pd.read_csv(cases / "codes_as_floats.csv", dtype=str)
    expected = raw["code"].str.replace(".0", "", regex=False).str.zfill(5)
    assert table["muni_code"].tolist() == expected.tolist()


def test_six_digit_codes_read_as_integers_are_restored(tmp_path: Path, shared_data: Path) -> None:
    """Own case: real SSDSE rows of 北海道…福島 written as 6-digit codes in an integer column (0 lost)."""
    ssdse = pd.read_csv(shared_data / SSDSE, dtype=str)
    rows = ssdse[ssdse["code"].str[:2].isin(["01", "02", "07", "13"])].head(60)
    six = (rows["code"] + rows["code"].map(lambda c: str(check_digit(c)))).astype(int)  # 011002 → 11002
    path = tmp_path / "six.csv"
    pd.DataFrame({"団体コード": six, "都道府県名": rows["prefecture"], "市区町村名": rows["municipality"],
                  "人口": rows["pop_2020"]}).to_csv(path, index=False)  # fmt: skip
    table = geo.read_indicators(path)
    assert table["muni_code"].tolist() == rows["code"].tolist()
    # without names: a whole column of 北海道…福島 codes that all lost their 0 (05201 → 52019: "prefecture 52")
    north = ssdse[ssdse["code"].str[:2] < "08"]
    bare = tmp_path / "bare.csv"
    pd.DataFrame({"団体コード": (north["code"] + north["code"].map(lambda c: str(check_digit(c)))).astype(int),
                  "人口": north["pop_2020"]}).to_csv(bare, index=False)  # fmt: skip
    assert geo.read_indicators(bare)["muni_code"].tolist() == north["code"].tolist()


def test_code_that_disagrees_with_its_name_is_refused(tmp_path: Path, shared_data: Path) -> None:
    """Own case: a real row whose code belongs to another town is refused naming the row, never joined."""
    ssdse = pd.read_csv(shared_data / SSDSE, dtype=str)
    rows = ssdse[ssdse["code"].str.startswith("19")].head(5).copy()
    rows.iloc[2, rows.columns.get_loc("code")] = "13101"  # 千代田区's code on a 山梨 row
    path = tmp_path / "mixed.csv"
    rows[["code", "prefecture", "municipality", "pop_2020"]].to_csv(path, index=False)
    with pytest.raises(ValidationError, match=r"row 4, column 'code': the code 13101 is 東京都千代田区 but"):
        geo.read_indicators(path)


def test_n03_file_with_integer_codes(tmp_path: Path, shared_data: Path) -> None:
    """Own case: the real 山梨 N03 file rewritten with N03_007 as integers reads the same codes."""
    raw = gpd.read_file(shared_data / YAMANASHI_N03)
    path = tmp_path / "n03_int.geojson"
    raw.assign(N03_007=raw["N03_007"].astype(float)).to_file(path, driver="GeoJSON")
    expected = sorted(raw["N03_007"].dropna().unique())
    assert sorted(geo.read_boundaries(path)["muni_code"].dropna()) == expected


# ====================================================================================== 4 table shapes


def test_case_excel_merged_two_row_header(cases: Path) -> None:
    table = geo.read_indicators(cases / "excel_merged_two_row_header.xlsx")
    assert table["source_row"].iloc[0] == 4 and table["muni_code"].iloc[0] == "19201"
    assert {"人口（人）_総数", "人口（人）_男", "人口（人）_女"} <= set(table.columns)
    assert table["人口（人）_総数"].iloc[0] == 189742
    assert (table["人口（人）_男"] + table["人口（人）_女"] == table["人口（人）_総数"]).all()


def test_case_estat_markers(cases: Path, yamanashi: gpd.GeoDataFrame) -> None:
    table = geo.read_indicators(cases / "estat_markers.csv")
    col = "pop_65plus_2020"
    by = table.set_index("muni_code")
    assert by.at["19204", col] == 0  # "-" 該当なし
    for code in ("19202", "19205", "19206"):  # x, …, ***
        assert pd.isna(by.at[code, col])
    assert suppressed_mask(table, col).sum() == 3 and not suppressed_mask(table, "pop_2020").any()
    joined, report = geo.join_indicators(yamanashi, table)
    assert report.suppressed == {col: 3}
    assert "秘匿" in str(report)
    assert suppressed_mask(joined, col).sum() == 3  # maps can tell 秘匿 from データなし on the joined areas
    assert joined.loc[suppressed_mask(joined, col), col].isna().all()  # 秘匿 cells hold no made-up value


def test_real_table_with_estat_markers(tmp_path: Path, shared_data: Path, yamanashi: gpd.GeoDataFrame) -> None:
    """Own case: real 山梨 SSDSE rows with e-Stat markers put in: 秘匿 counted apart, '-' is 0, blanks missing."""
    ssdse = pd.read_csv(shared_data / SSDSE, dtype=str)
    rows = ssdse[ssdse["code"].str.startswith("19")][["code", "municipality", "foreign_pop_2020", "households_2020"]]
    rows = rows.reset_index(drop=True)
    rows.loc[[0, 3, 5], "foreign_pop_2020"] = ["X", "*", "***"]
    rows.loc[1, "foreign_pop_2020"] = "-"
    rows.loc[2, "foreign_pop_2020"] = ""
    rows["households_2020"] = "-"  # a column of markers only is still a number column
    path = tmp_path / "markers.csv"
    rows.to_csv(path, index=False)
    table = geo.read_indicators(path)
    assert suppressed_mask(table, "foreign_pop_2020").tolist()[:6] == [True, False, False, True, False, True]
    assert table["foreign_pop_2020"][1] == 0 and pd.isna(table["foreign_pop_2020"][2])
    assert (table["households_2020"] == 0).all()
    _, report = geo.join_indicators(yamanashi, table)
    assert report.suppressed == {"foreign_pop_2020": 3} and report.to_dict()["suppressed"] == {"foreign_pop_2020": 3}


def test_semicolon_file_with_decimal_commas(tmp_path: Path, shared_data: Path) -> None:
    """Own case: real SSDSE areas exported the European way (``;`` separator, ``,`` decimal point)."""
    ssdse = pd.read_csv(shared_data / SSDSE, dtype=str).head(40)
    path = tmp_path / "eu.csv"
    ssdse[["code", "municipality", "area_km2_2024"]].assign(
        area_km2_2024=ssdse["area_km2_2024"].str.replace(".", ",", regex=False)
    ).to_csv(path, index=False, sep=";")
    table = geo.read_indicators(path)
    np.testing.assert_allclose(table["area_km2_2024"], ssdse["area_km2_2024"].astype(float))
    tsv = tmp_path / "tab.txt"
    ssdse[["code", "municipality", "pop_2020"]].to_csv(tsv, index=False, sep="\t")
    assert geo.read_indicators(tsv)["pop_2020"].tolist() == ssdse["pop_2020"].astype(int).tolist()


def test_point_table_with_semicolons_and_decimal_commas(tmp_path: Path, stations: pd.DataFrame) -> None:
    """Own case: real stations exported with ``;`` and decimal commas land where the original ones do."""
    sample = stations.head(40)
    path = tmp_path / "stations_eu.csv"
    sample.assign(lat=sample["lat"].str.replace(".", ","), lon=sample["lon"].str.replace(".", ",")).to_csv(
        path, index=False, sep=";"
    )
    pts = geo.read_points(path)
    np.testing.assert_allclose(pts.geometry.x, sample["lon"].astype(float))
    np.testing.assert_allclose(pts.geometry.y, sample["lat"].astype(float))


def test_merged_header_made_with_openpyxl(tmp_path: Path, shared_data: Path) -> None:
    """Own case: real SSDSE rows under a merged two-row header (世帯 over 一般/単独)."""
    ssdse = pd.read_csv(shared_data / SSDSE, dtype=str).head(20)
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["団体コード", "市区町村", "世帯", None])
    ws.append([None, None, "一般世帯", "単独世帯"])
    ws.merge_cells("A1:A2")
    ws.merge_cells("B1:B2")
    ws.merge_cells("C1:D1")
    for r in ssdse.itertuples(index=False):
        ws.append([r.code, r.municipality, int(r.general_households_2020), int(r.single_person_households_2020)])
    path = tmp_path / "merged.xlsx"
    book.save(path)
    table = geo.read_indicators(path)
    assert table["世帯_一般世帯"].tolist() == ssdse["general_households_2020"].astype(int).tolist()
    assert table["muni_code"].tolist() == ssdse["code"].tolist()


def test_csv_writers_protect_formula_cells(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"name": ['=HYPERLINK("http://x")', "+81-55-1234", "@SUM(A1)", "甲府市", "-"], "v": [1, -2, 3, 4, 5]}
    )
    for writer, path in ((write_csv, tmp_path / "a.csv"),):  # the one CSV writer every door uses
        writer(frame, path)
        back = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
        assert back["name"].tolist() == ['\'=HYPERLINK("http://x")', "'+81-55-1234", "'@SUM(A1)", "甲府市", "'-"]
        assert back["v"].tolist() == ["1", "-2", "3", "4", "5"]  # numbers are left alone
    assert frame["name"].iloc[0].startswith("=")  # the caller's frame is not changed


# ================================================================================== 5 demand validity


def test_case_mesh_codes_hyphenated(cases: Path) -> None:
    cells = read_mesh(cases / "mesh_codes_hyphenated.csv")
    assert cells["mesh_code"].tolist() == ["53384611"]
    np.testing.assert_allclose(cells.geometry.iloc[0].bounds, (138.7625, 35.675, 138.775, 35.683333), atol=1e-6)


def test_case_negative_population(cases: Path) -> None:
    with pytest.raises(ValidationError, match=r"negative_population\.csv: row 4, column 'pop_2020': -12345"):
        geo.read_indicators(cases / "negative_population.csv")


def test_case_mesh_parent_and_children(cases: Path) -> None:
    path = cases / "mesh_parent_and_children.csv"
    with pytest.raises(ValidationError, match=r"cell 52386398 is listed together with 4 cell\(s\)"):
        read_mesh(path)
    raw = pd.read_csv(path, dtype=str)
    cells = read_mesh(path, overlaps="finest")
    # brute force: no kept cell contains another kept cell, and no person is counted twice
    codes = set(cells["mesh_code"])
    assert not any(c[:n] in codes for c in codes for n in (4, 6, 8, 9) if n < len(c))
    parents = {c[:8] for c in raw["mesh_code"] if len(c) == 9}
    expected = raw.loc[~raw["mesh_code"].isin(parents), "pop_2020"].astype(int).sum()
    assert cells["population"].sum() == expected
    assert sorted(cells.attrs["mesh"]["overlaps_dropped"]) == sorted(parents)


def test_case_estat_mesh_truncated(cases: Path) -> None:
    with pytest.raises(ValidationError, match="truncated"):
        read_mesh(cases / "estat_mesh_truncated.txt")


def test_real_mesh_file_cut_short_or_negative(tmp_path: Path, shared_data: Path) -> None:
    """Own cases from the real 山梨 e-Stat file: cut mid-row → refused; a negative population → refused."""
    data = (shared_data / MESH_RAW).read_bytes()
    cut = tmp_path / "cut.txt"
    cut.write_bytes(data[: len(data) // 3])
    with pytest.raises(ValidationError, match="truncated"):
        read_mesh(cut)
    table = pd.read_csv(shared_data / MESH, dtype=str)
    table.loc[10, "pop_2020"] = "-7"
    bad = tmp_path / "neg.csv"
    table.to_csv(bad, index=False)
    with pytest.raises(ValidationError, match=r"row 12, column pop_2020: -7"):
        read_mesh(bad)


def test_demand_points_with_a_negative_population(tmp_path: Path, shared_data: Path) -> None:
    """Own case: real mesh centres as demand points (``geo gaps --demand``), one population made negative."""
    table = pd.read_csv(shared_data / MESH, dtype=str).head(50)
    points = table[["mesh_code", "lat_center", "lon_center", "pop_2020"]].rename(columns={"pop_2020": "population"})
    points.loc[7, "population"] = "-120"
    path = tmp_path / "demand.csv"
    points.to_csv(path, index=False)
    with pytest.raises(ValidationError, match=r"row 9, column population: -120 is not a possible count"):
        geo.read_points(path)


def test_real_mesh_codes_with_separators_and_ambiguous_ten_digits(tmp_path: Path, shared_data: Path) -> None:
    table = pd.read_csv(shared_data / MESH, dtype=str).head(200)
    dashed = table.assign(mesh_code=table["mesh_code"].map(lambda c: f"{c[:4]}-{c[4:6]}-{c[6:]}"))
    path = tmp_path / "dashed.csv"
    dashed.to_csv(path, index=False)
    cells = read_mesh(path)
    np.testing.assert_allclose(shapely.bounds(cells.geometry.to_numpy()), mesh_bounds(table["mesh_code"]))
    quarter = tmp_path / "quarter.csv"
    pd.DataFrame({"mesh_code": table["mesh_code"].head(20) + "11", "population": 1}).to_csv(quarter, index=False)
    with pytest.raises(ValidationError, match="level='quarter' or level='100m'"):
        read_mesh(quarter)
    q = read_mesh(quarter, level="quarter")
    t = read_mesh(quarter, level="100m")
    width = (q.geometry.bounds["maxx"] - q.geometry.bounds["minx"]).iloc[0] * 3600
    assert (
        round(width, 2) == 11.25
        and round((t.geometry.bounds["maxx"] - t.geometry.bounds["minx"]).iloc[0] * 3600, 2) == 4.5
    )


# ================================================================================ 6 boundary geometry


def test_case_boundaries_null_geometry(cases: Path) -> None:
    with pytest.raises(ValidationError, match=r"feature \d+ 甲府市 \(19201\) has no geometry"):
        geo.read_boundaries(cases / "boundaries_null_geometry.geojson")


def test_non_polygon_feature_refused_by_name(tmp_path: Path, shared_data: Path) -> None:
    raw = gpd.read_file(shared_data / YAMANASHI_N03)
    row = int(np.flatnonzero(raw["N03_004"] == "北杜市")[0])
    raw.loc[row, "geometry"] = raw.geometry.iloc[row].boundary  # a line where an area belongs
    path = tmp_path / "line.geojson"
    raw.to_file(path, driver="GeoJSON")
    with pytest.raises(ValidationError, match=rf"feature {row + 1} 北杜市 \(19209\) is a (Multi)?LineString"):
        geo.read_boundaries(path)


def test_repair_that_changes_area_is_warned_with_the_name(
    tmp_path: Path, shared_data: Path, caplog: pytest.LogCaptureFixture
) -> None:
    raw = gpd.read_file(shared_data / YAMANASHI_N03)
    row = int(np.flatnonzero(raw["N03_004"] == "甲州市")[0])
    minx, miny, maxx, maxy = raw.geometry.iloc[row].bounds
    bowtie = shapely.Polygon([(minx, miny), (maxx, maxy), (maxx, miny), (minx, maxy)])  # self-intersecting
    raw.loc[row, "geometry"] = bowtie
    path = tmp_path / "bowtie.geojson"
    raw.to_file(path, driver="GeoJSON")
    with caplog.at_level(logging.WARNING, logger="geo.boundaries"):
        geo.read_boundaries(path)
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("甲州市 (19213)" in m and "overlaps" in m for m in warned), warned


# ================================================================================= 7 GTFS location_type


def test_case_gtfs_parent_station(cases: Path) -> None:
    stops = geo.read_points(cases / "gtfs_parent_station.zip")
    assert len(stops) == 1
    every = geo.read_points(cases / "gtfs_parent_station.zip", gtfs_stops="all")
    assert len(gtfs_boarding_stops(every, fold_stations=False)) == 1


def test_real_feed_with_station_entrances_and_nodes(tmp_path: Path, shared_data: Path) -> None:
    """Own case: real 中津川 stops, three of them made platforms of a station, plus an entrance, a node and a
    boarding area: the count is the real count − 3 + 1, and no type 2–4 row is supply."""
    with zipfile.ZipFile(shared_data / NAKATSUGAWA) as zf:
        real = pd.read_csv(zf.open("stops.txt"), dtype=str, keep_default_na=False)
    n = len(real)
    feed = real.copy()
    if "parent_station" not in feed.columns:
        feed["parent_station"] = ""
    if "location_type" not in feed.columns:
        feed["location_type"] = ""
    feed.loc[feed.index[:3], "parent_station"] = "ST"
    first = feed.iloc[0]
    extra = pd.DataFrame([
        {**first, "stop_id": "ST", "location_type": "1", "parent_station": ""},
        {**first, "stop_id": "EN", "location_type": "2", "parent_station": "ST"},
        {**first, "stop_id": "ND", "location_type": "3", "parent_station": "ST", "stop_lat": "", "stop_lon": ""},
        {**first, "stop_id": "BA", "location_type": "4", "parent_station": feed.iloc[0]["stop_id"]},
    ])  # fmt: skip
    folder = tmp_path / "feed"
    folder.mkdir()
    pd.concat([feed, extra]).to_csv(folder / "stops.txt", index=False)
    stops = geo.read_points(folder)
    assert len(stops) == n - 3 + 1
    assert set(stops["location_type"]) <= {0, 1} and "EN" not in set(stops["stop_id"])
    assert stops.loc[stops["stop_id"] == "ST", "n_platforms"].item() == 3


# ====================================================================================== 8 Japan check


def test_seoul_and_busan_are_not_in_japan(tmp_path: Path, stations: pd.DataFrame) -> None:
    path = tmp_path / "pts.csv"
    rows = stations.head(3)[["station_name", "lat", "lon"]]
    extra = pd.DataFrame(
        {"station_name": ["ソウル", "釜山"], "lat": ["37.5665", "35.1796"], "lon": ["126.978", "129.0756"]}
    )
    pd.concat([rows, extra]).to_csv(path, index=False)
    with pytest.raises(ValidationError) as err:
        geo.read_points(path)
    assert "row 5" in str(err.value) and "row 6" in str(err.value) and "outside Japan" in str(err.value)
    assert "row 2," not in str(err.value)


def test_every_municipality_and_station_is_in_japan(municipalities: gpd.GeoDataFrame, stations: pd.DataFrame) -> None:
    """Own case: a point inside every real municipality (incl. 与那国, 小笠原, 北方領土) and every station pass."""
    inner = shapely.point_on_surface(municipalities.geometry.to_numpy())
    assert in_japan(shapely.get_x(inner), shapely.get_y(inner)).all()
    assert in_japan(stations["lon"].astype(float).to_numpy(), stations["lat"].astype(float).to_numpy()).all()


def test_land_lookup_grid_agrees_with_the_exact_test() -> None:
    """The 0.1° grid that speeds in_japan up gives the same answer as the exact land test (brute force)."""
    from geo.crs import japan_land

    rng = np.random.default_rng(11)
    lon, lat = rng.uniform(121, 156, 200_000), rng.uniform(19, 47, 200_000)
    assert (in_japan(lon, lat) == shapely.intersects_xy(japan_land(), lon, lat)).all()


# =================================================================================== 9 layers w/o CRS


def _shapefile_without_prj(frame: gpd.GeoDataFrame, path: Path, crs: int) -> Path:
    """Write a Shapefile in ``crs`` and delete its .prj, as users receive them."""
    pyogrio.write_dataframe(frame.set_crs(crs, allow_override=True), path)
    path.with_suffix(".prj").unlink()
    return path


def test_shapefile_without_prj(tmp_path: Path, stations: pd.DataFrame, caplog: pytest.LogCaptureFixture) -> None:
    sample = stations.head(30)
    pts = gpd.GeoDataFrame({"name": sample["station_name"]},
                           geometry=gpd.points_from_xy(sample["lon"].astype(float), sample["lat"].astype(float)))  # fmt: skip
    lonlat = _shapefile_without_prj(pts, tmp_path / "lonlat.shp", 6668)
    with caplog.at_level(logging.WARNING):
        back = geo.read_points(lonlat)
    assert any("no CRS" in r.getMessage() for r in caplog.records)
    np.testing.assert_allclose(back.geometry.x, sample["lon"].astype(float))
    metres = _shapefile_without_prj(pts.set_crs(6668).to_crs(6676), tmp_path / "metres.shp", 6676)
    with pytest.raises(ValidationError, match=r"no CRS.*crs='EPSG:66xx'"):
        geo.read_points(metres)


def test_boundary_geopackage_without_srs_is_taken_as_lonlat_with_a_warning(
    tmp_path: Path, yamanashi: gpd.GeoDataFrame, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "nosrs.gpkg"
    with warnings.catch_warnings():  # making the bad input: pyogrio warns that the file will have no CRS
        warnings.simplefilter("ignore", UserWarning)
        pyogrio.write_dataframe(yamanashi.set_crs(None, allow_override=True), path)
    with caplog.at_level(logging.WARNING):
        back = geo.read_boundaries(path)
    assert any("no CRS" in r.getMessage() for r in caplog.records)
    assert back.crs.to_epsg() == 6668 and back["muni_code"].tolist() == yamanashi["muni_code"].tolist()


def test_boundary_shapefile_without_prj_in_metres_is_refused(tmp_path: Path, yamanashi: gpd.GeoDataFrame) -> None:
    metric = yamanashi.dropna(subset=["muni_code"]).to_crs(6676)
    path = _shapefile_without_prj(metric, tmp_path / "yamanashi_m.shp", 6676)
    with pytest.raises(ValidationError, match="no CRS"):
        geo.read_boundaries(path)


# ============================================================================ empty tables and config


def test_case_table_header_only(cases: Path, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="no rows"):
        geo.read_indicators(cases / "table_header_only.csv")
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(ValidationError, match="empty"):
        geo.read_indicators(empty)
    with pytest.raises(ValidationError, match="no rows"):
        read_mesh(_write(tmp_path / "m.csv", "mesh_code,population\n"))


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_case_config_cp932(cases: Path) -> None:
    """A config saved as Shift_JIS is read (the one encoding sniffer of every text reader), names intact."""
    config = load_config(cases / "config_cp932.toml")
    assert config.run.title == "山梨県：駅から800m圏外の人口" and config.area.prefectures == ("山梨県",)
    # the console script's entry point, as a user runs it: valid, no traceback
    done = subprocess.run(
        [sys.executable, "-c", "import geo.cli; geo.cli.main()", "run", str(cases / "config_cp932.toml"), "--check"],
        capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(Path(geo.__file__).parents[1])},
    )  # fmt: skip
    assert "Traceback" not in done.stderr
    assert done.returncode == 0, done.stderr


def test_cases_readme_lists_every_file(cases: Path) -> None:
    """Every file in the shared folder is one of the cases above (a new file needs a new test)."""
    tested = {
        "tokyo_datum_station.csv", "lost_leading_zero_check_digit.xlsx", "canonical_integer_codes.gpkg",
        "n03_integer_codes_with_unassigned.geojson", "gtfs_parent_station.zip", "mesh_codes_hyphenated.csv",
        "negative_population.csv", "mesh_parent_and_children.csv", "estat_mesh_truncated.txt",
        "boundaries_null_geometry.geojson", "table_header_only.csv", "config_cp932.toml", "codes_as_floats.csv",
        "excel_merged_two_row_header.xlsx", "estat_markers.csv",
    }  # fmt: skip
    assert {p.name for p in cases.iterdir() if p.name != "README.md"} <= tested


# ================================================================================ CLI and config wiring


def test_cli_gaps_mesh_level_and_overlaps(tmp_path: Path, shared_data: Path) -> None:
    """``geo gaps --mesh-level`` settles ambiguous 10-digit codes; without it the CLI refuses with that advice."""
    from click.testing import CliRunner

    import geo.cli

    table = pd.read_csv(shared_data / MESH, dtype=str).head(30)
    quarter = tmp_path / "quarter.csv"
    pd.DataFrame({"mesh_code": table["mesh_code"] + "11", "population": 10}).to_csv(quarter, index=False)
    args = ["gaps", "--mesh", str(quarter), "--stations", str(shared_data / STATIONS),
            "--areas", str(shared_data / YAMANASHI_N03), "-o", str(tmp_path / "out")]  # fmt: skip
    refused = CliRunner().invoke(geo.cli.cli, args)
    assert isinstance(refused.exception, ValidationError) and "--mesh-level" in str(refused.exception)
    done = CliRunner().invoke(geo.cli.cli, [*args, "--mesh-level", "quarter"])
    assert done.exit_code == 0, done.output


def test_config_mesh_keys_are_read(tmp_path: Path, shared_data: Path) -> None:
    mesh = tmp_path / "quarter.csv"
    mesh.write_text("mesh_code,population\n5338461111,1\n", encoding="utf-8")
    config = tmp_path / "run.toml"
    config.write_text(
        '[run]\nname = "t"\n[area]\nboundaries = "n03-2021-s0010"\nprefectures = ["山梨県"]\n'
        '[[points]]\nname = "cells"\npath = "quarter.csv"\nkind = "mesh"\nmesh_level = "quarter"\n'
        'mesh_overlaps = "finest"\n',
        encoding="utf-8",
    )
    spec = load_config(config).points[0]
    assert (spec.mesh_level, spec.mesh_overlaps) == ("quarter", "finest")
    config.write_text(config.read_text(encoding="utf-8").replace('"quarter"', '"250m"'), encoding="utf-8")
    with pytest.raises(ValidationError, match="mesh_level"):
        load_config(config)
