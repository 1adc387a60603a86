"""Point layers: reading (CSV/GeoJSON/GeoPackage/GTFS), validation messages, assignment and counts."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner
from pyproj import Transformer

import geo
import geo.cli
from geo._errors import ValidationError
from geo.crs import area_km2

STATIONS = "ksj-n02-2023-railway-stations/stations_points.csv"
NAKATSUGAWA = "gtfs-jp-nakatsugawa-toyota/nakatsugawa_GTFS.zip"
GUNMA = "gunma-bus-stops-gtfs-2019/gunma_bus_stops.csv"
N03 = "japan-topography-n03-2021/topojson/s0010/N03-21_210101.json"


@pytest.fixture(scope="module")
def stations(shared_data: Path) -> gpd.GeoDataFrame:
    return geo.read_points(shared_data / STATIONS)


@pytest.fixture(scope="module")
def station_table(shared_data: Path) -> pd.DataFrame:
    """The real station table as text, to write realistic test files from."""
    return pd.read_csv(shared_data / STATIONS, dtype=str)


def _facilities(table: pd.DataFrame, n: int = 8) -> pd.DataFrame:
    """A realistic municipal facility list: name and 緯度/経度 columns, from real station rows in Yamanashi."""
    rows = table[table["station_name"].isin(["甲府", "韮崎", "小淵沢", "大月", "石和温泉", "塩山", "竜王", "富士山"])]
    rows = rows.drop_duplicates("station_name").head(n)
    return pd.DataFrame({"施設名": rows["station_name"] + "駅前", "緯度": rows["lat"], "経度": rows["lon"]})


# ------------------------------------------------------------------------------------------------- reading


def test_read_real_station_csv(stations: gpd.GeoDataFrame) -> None:
    assert len(stations) == 10240
    assert stations.crs.to_epsg() == 6668
    assert stations["station_code"].iloc[0] == "010112"  # codes stay text with their leading zero
    first = stations.geometry.iloc[0]
    assert (first.x, first.y) == (130.6301, 31.25432)


@pytest.mark.parametrize(
    ("lat", "lon"),
    [
        ("緯度", "経度"),
        ("lat", "lon"),
        ("Latitude", "Longitude"),
        ("y", "x"),
        ("LAT", "LNG"),
        ("ｌａｔ", "ｌｏｎ"),
    ],
)
def test_read_csv_common_headers(tmp_path: Path, station_table: pd.DataFrame, lat: str, lon: str) -> None:
    table = _facilities(station_table).rename(columns={"緯度": lat, "経度": lon})
    path = tmp_path / "facilities.csv"
    table.to_csv(path, index=False)
    pts = geo.read_points(path)
    assert pts.attrs["points"]["lat_column"] == lat
    np.testing.assert_allclose(pts.geometry.y, table[lat].astype(float))
    np.testing.assert_allclose(pts.geometry.x, table[lon].astype(float))


def test_read_cp932_csv(tmp_path: Path, station_table: pd.DataFrame) -> None:
    path = tmp_path / "施設一覧.csv"
    _facilities(station_table).to_csv(path, index=False, encoding="cp932")
    pts = geo.read_points(path)
    assert pts["施設名"].iloc[0].endswith("駅前")


def test_read_projected_csv_with_crs(tmp_path: Path, station_table: pd.DataFrame) -> None:
    """Metres of plane rectangular zone VIII (Yamanashi) come back as the original degrees."""
    table = _facilities(station_table)
    to_zone = Transformer.from_crs(6668, 6676, always_xy=True)
    east, north = to_zone.transform(table["経度"].astype(float), table["緯度"].astype(float))
    path = tmp_path / "facilities_xy.csv"
    pd.DataFrame({"name": table["施設名"], "x": east, "y": north}).to_csv(path, index=False)
    pts = geo.read_points(path, crs="EPSG:6676")
    np.testing.assert_allclose(pts.geometry.x, table["経度"].astype(float), atol=1e-7)
    np.testing.assert_allclose(pts.geometry.y, table["緯度"].astype(float), atol=1e-7)


def test_read_gtfs_zip(shared_data: Path) -> None:
    stops = geo.read_points(shared_data / NAKATSUGAWA)
    assert len(stops) == 369
    assert {"stop_id", "stop_name", "location_type", "kind"} <= set(stops.columns)
    assert (stops["kind"] == "stop").all()
    assert stops.crs.to_epsg() == 6668


def test_read_gtfs_folder_location_types(tmp_path: Path, shared_data: Path) -> None:
    """Stations (1) and stops (0) are kept with their kind; a node (3) without coordinates is allowed."""
    with zipfile.ZipFile(shared_data / NAKATSUGAWA) as zf:
        real = pd.read_csv(zf.open("stops.txt"), dtype=str, keep_default_na=False).head(3)
    station = real.iloc[[0]].assign(stop_id="S1", stop_name="中津川駅", location_type="1")
    node = real.iloc[[0]].assign(stop_id="N1", stop_lat="", stop_lon="", location_type="3")
    feed = tmp_path / "feed"
    feed.mkdir()
    pd.concat([real, station, node]).to_csv(feed / "stops.txt", index=False, encoding="utf-8-sig")
    stops = geo.read_points(feed, gtfs_stops="all")
    assert stops["kind"].tolist() == ["stop", "stop", "stop", "station"]
    assert stops.attrs["points"]["without_coordinates"] == 1


def test_read_geopackage_and_geojson(tmp_path: Path, stations: gpd.GeoDataFrame) -> None:
    subset = stations.head(50)
    gpkg = tmp_path / "stations.gpkg"
    subset.to_crs(6676).to_file(gpkg)  # metres on disk: read_points brings them back to EPSG:6668
    back = geo.read_points(gpkg)
    np.testing.assert_allclose(back.geometry.x, subset.geometry.x, atol=1e-7)
    gj = tmp_path / "stations.geojson"
    subset.to_crs(4326).to_file(gj, driver="GeoJSON")
    assert len(geo.read_points(gj)) == 50


# -------------------------------------------------------------------------------------- bad input messages


def _write(tmp_path: Path, table: pd.DataFrame, name: str = "facilities.csv") -> Path:
    path = tmp_path / name
    table.to_csv(path, index=False)
    return path


def _error(path: Path, **kwargs: object) -> str:
    with pytest.raises(ValidationError) as info:
        geo.read_points(path, **kwargs)
    return str(info.value)


def test_empty_and_nan_coordinates(tmp_path: Path, station_table: pd.DataFrame) -> None:
    table = _facilities(station_table)
    table.loc[table.index[1], "緯度"] = ""
    table.loc[table.index[3], "経度"] = "NaN"
    message = _error(_write(tmp_path, table))
    assert "facilities.csv" in message
    assert "row 3, column 緯度: empty" in message  # header is row 1, so the 2nd data row is row 3
    assert "row 5, column 経度: empty" in message


def test_not_a_number(tmp_path: Path, station_table: pd.DataFrame) -> None:
    table = _facilities(station_table)
    table.loc[table.index[2], "緯度"] = "35°39'29\""
    message = _error(_write(tmp_path, table))
    assert "facilities.csv" in message and "row 4, column 緯度" in message and "not a number" in message


def test_outside_japan(tmp_path: Path, station_table: pd.DataFrame) -> None:
    table = _facilities(station_table)
    table.loc[table.index[0], ["緯度", "経度"]] = ["51.5072", "-0.1276"]  # London
    table.loc[table.index[4], ["緯度", "経度"]] = ["0", "0"]
    message = _error(_write(tmp_path, table))
    assert "row 2, columns 緯度/経度: (51.5072, -0.1276) is outside Japan" in message
    assert "row 6, columns 緯度/経度: (0, 0) is a placeholder" in message


def test_swapped_rows_and_whole_file(tmp_path: Path, station_table: pd.DataFrame) -> None:
    table = _facilities(station_table)
    one = table.copy()
    one.loc[one.index[2], ["緯度", "経度"]] = one.loc[one.index[2], ["経度", "緯度"]].to_numpy()
    message = _error(_write(tmp_path, one))
    assert "row 4, columns 緯度/経度: latitude and longitude look swapped" in message
    whole = table.rename(columns={"緯度": "経度", "経度": "緯度"})
    message = _error(_write(tmp_path, whole, "swapped.csv"))
    assert "swapped.csv" in message and f"all {len(table)} rows" in message and "lat='経度', lon='緯度'" in message
    # the fix the message suggests works
    assert len(geo.read_points(tmp_path / "swapped.csv", lat="経度", lon="緯度")) == len(table)


def test_projected_metres_given_as_degrees(tmp_path: Path, station_table: pd.DataFrame) -> None:
    table = _facilities(station_table)
    to_zone = Transformer.from_crs(6668, 6676, always_xy=True)
    east, north = to_zone.transform(table["経度"].astype(float), table["緯度"].astype(float))
    path = _write(tmp_path, pd.DataFrame({"name": table["施設名"], "lon": east, "lat": north}), "zone8.csv")
    message = _error(path)
    assert "zone8.csv" in message and "projected metres" in message and "crs='EPSG:66xx'" in message
    mixed = table.copy()
    mixed.loc[mixed.index[1], ["緯度", "経度"]] = [str(north[1]), str(east[1])]
    message = _error(_write(tmp_path, mixed))
    assert "row 3, columns 緯度/経度" in message and "projected metres" in message


def test_swapped_geojson_feature(tmp_path: Path, stations: gpd.GeoDataFrame) -> None:
    subset = stations.head(5)[["station_name", "geometry"]].copy()
    g = subset.geometry.iloc[3]
    subset.loc[subset.index[3], "geometry"] = shapely.Point(g.y, g.x)
    path = tmp_path / "stations.geojson"
    subset.to_file(path, driver="GeoJSON")
    message = _error(path)
    assert "stations.geojson" in message and "feature 4" in message and "swapped" in message


def test_drop_invalid_lists_what_was_left_out(tmp_path: Path, station_table: pd.DataFrame) -> None:
    table = _facilities(station_table)
    table.loc[table.index[1], "緯度"] = ""
    pts = geo.read_points(_write(tmp_path, table), on_invalid="drop")
    assert len(pts) == len(table) - 1
    assert any("row 3" in m for m in pts.attrs["points"]["dropped"])


def test_missing_columns_named(tmp_path: Path) -> None:
    path = _write(tmp_path, pd.DataFrame({"name": ["a"], "住所": ["甲府市丸の内"]}))
    message = _error(path)
    assert "no latitude/longitude columns" in message and "住所" in message


# --------------------------------------------------------------------------------------------- assigning


def _squares(codes: list[str]) -> gpd.GeoDataFrame:
    """Four unit squares around (138.5, 35.5): 00004 SW, 00003 SE, 00002 NW, 00001 NE (given shuffled)."""
    boxes = {
        "00004": shapely.box(138.0, 35.0, 138.5, 35.5),
        "00003": shapely.box(138.5, 35.0, 139.0, 35.5),
        "00002": shapely.box(138.0, 35.5, 138.5, 36.0),
        "00001": shapely.box(138.5, 35.5, 139.0, 36.0),
    }
    return gpd.GeoDataFrame(
        {"pref_code": ["19"] * len(codes), "muni_code": codes}, geometry=[boxes[c] for c in codes], crs=6668
    )


@pytest.mark.parametrize("order", [["00004", "00003", "00002", "00001"], ["00001", "00003", "00004", "00002"]])
def test_border_points_go_to_exactly_one_area(order: list[str]) -> None:
    areas = _squares(order)
    pts = gpd.GeoDataFrame(
        {"name": ["SW/SE edge", "four corners", "SW/NW edge", "inside SW", "outside"]},
        geometry=shapely.points([138.5, 138.5, 138.25, 138.1, 140.0], [35.25, 35.5, 35.5, 35.1, 35.1]),
        crs=6668,
    )
    out = geo.assign_points(pts, areas)
    assert out["muni_code"].tolist()[:4] == ["00003", "00001", "00002", "00004"]  # smallest code wins
    assert pd.isna(out["muni_code"].iloc[4])
    counts = geo.count_points(pts, areas)
    assert counts["n_points"].sum() == 4  # each border point counted once
    # sjoin "within" loses all three border points: the reason for the tie rule
    within = gpd.sjoin(pts, areas, predicate="within", how="left")
    assert within["muni_code"].isna().sum() == 4


def test_assign_real_stations(stations: gpd.GeoDataFrame, municipalities: gpd.GeoDataFrame) -> None:
    before = stations.copy()
    out = geo.assign_points(stations, municipalities)
    pd.testing.assert_frame_equal(stations, before)  # input untouched
    assert out["muni_code"].notna().sum() == 10235  # SOURCE.md: 5 coastal stations fall outside (1 % polygons)
    # independent check: geopandas sjoin agrees on every point that is not on a boundary
    joined = gpd.sjoin(stations, municipalities, predicate="within", how="left")
    joined = joined[~joined.index.duplicated()]
    assert (joined["muni_code"].fillna("-") == out["muni_code"].fillna("-")).all()
    kofu = out[out["station_name"] == "甲府"]
    assert set(kofu["muni_code"]) == {"19201"}


def test_gtfs_stops_fall_in_nakatsugawa(shared_data: Path, municipalities: gpd.GeoDataFrame) -> None:
    out = geo.assign_points(geo.read_points(shared_data / NAKATSUGAWA), municipalities)
    assert out["muni_code"].value_counts().to_dict() == {"21206": 369}


def test_count_points_density_and_rate(shared_data: Path, municipalities: gpd.GeoDataFrame) -> None:
    stops = geo.read_points(shared_data / GUNMA)
    gunma = municipalities[municipalities["pref_code"] == "10"].copy()
    gunma["population"] = np.arange(1, len(gunma) + 1) * 1000.0
    counts = geo.count_points(stops, gunma, name="bus_stops")
    # independent count: shapely contains, polygon by polygon (no stop lies exactly on a border here)
    xs, ys = stops.geometry.x.to_numpy(), stops.geometry.y.to_numpy()
    brute = [int(shapely.contains_xy(g, xs, ys).sum()) for g in gunma.geometry]
    assert counts["bus_stops"].tolist() == brute
    # SOURCE.md counts 7,556 inside with the per-prefecture file; the national file's simplification differs a bit
    assert 7540 <= counts["bus_stops"].sum() <= 7570
    np.testing.assert_allclose(counts["bus_stops_per_km2"], np.array(brute) / area_km2(gunma))
    np.testing.assert_allclose(counts["bus_stops_per_10k"], np.array(brute) / gunma["population"] * 1e4)
    zero = counts.set_index("muni_code").loc[["10367", "10384"], "bus_stops"]  # 神流町, 甘楽町: no stops in 2019
    assert zero.tolist() == [0, 0]
    assert counts.attrs["count_points"]["outside"] == len(stops) - sum(brute)


def test_assign_refuses_crs_less_points(municipalities: gpd.GeoDataFrame) -> None:
    pts = gpd.GeoDataFrame(geometry=[shapely.Point(138.57, 35.66)])
    with pytest.raises(geo.CRSError, match="no CRS"):
        geo.assign_points(pts, municipalities)


# --------------------------------------------------------------------------------------------------- CLI


def test_cli_points_writes_outputs(tmp_path: Path, shared_data: Path, municipalities: gpd.GeoDataFrame) -> None:
    expected = geo.count_points(
        geo.read_points(shared_data / GUNMA), municipalities[municipalities["pref_code"] == "10"]
    )
    inside = int(expected["n_points"].sum())
    result = CliRunner().invoke(
        geo.cli.cli,
        ["points", str(shared_data / GUNMA), "--areas",
         str(shared_data / "japan-topography-n03-2021/topojson/s0010/N03-21_210101.json"),
         "--prefecture", "群馬県", "--snap-m", "0", "-o", str(tmp_path)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"7858 points, {inside} in 35 areas, {7858 - inside} outside them" in result.output
    per_area = pd.read_csv(tmp_path / "points_gunma_bus_stops_per_area.csv", dtype={"muni_code": str})
    assert per_area["n_points"].tolist() == expected["n_points"].tolist()
    assert len(pd.read_csv(tmp_path / "points_gunma_bus_stops_outside.csv")) == 7858 - inside
    assert len(gpd.read_file(tmp_path / "layers.gpkg", layer="points_gunma_bus_stops")) == inside
    assert not list(tmp_path.glob(".*tmp*"))  # no temporary files left behind


def test_output_folder_of_the_user_is_never_replaced(tmp_path: Path, station_table: pd.DataFrame) -> None:
    """-o naming a folder that holds other files is refused before any work (a folder is replaced whole)."""
    path = _write(tmp_path, _facilities(station_table))
    result = CliRunner().invoke(geo.cli.cli, ["points", str(path), "-o", str(tmp_path)])
    assert isinstance(result.exception, ValidationError) and "holds files this toolkit did not write" in str(
        result.exception
    )
    assert path.exists() and sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_cli_points_bad_file_names_row(tmp_path: Path, station_table: pd.DataFrame) -> None:
    table = _facilities(station_table)
    table.loc[table.index[1], "緯度"] = ""
    path = _write(tmp_path, table)
    result = CliRunner().invoke(geo.cli.cli, ["points", str(path), "--areas", "unused.json", "-o", str(tmp_path / "o")])
    assert isinstance(result.exception, ValidationError)
    assert "facilities.csv" in str(result.exception) and "row 3, column 緯度" in str(result.exception)


def test_survey_xy_swap_in_projected_file(tmp_path: Path, station_table: pd.DataFrame) -> None:
    """Survey files put the northing in X and the easting in Y: read as x=easting, that is a swap to name.

    Detectable in UTM (northings of millions of metres); in a plane rectangular zone both axes stay within a
    few hundred km of the origin, so a swap lands in Japan too and only lat=/lon= can say which is which.
    """
    table = _facilities(station_table)
    to_zone = Transformer.from_crs(6668, 6690, always_xy=True)  # JGD2011 / UTM zone 54N
    east, north = to_zone.transform(table["経度"].astype(float), table["緯度"].astype(float))
    path = _write(tmp_path, pd.DataFrame({"名称": table["施設名"], "X": north, "Y": east}), "survey.csv")
    message = _error(path, crs="EPSG:6690")
    assert "survey.csv" in message and "columns Y/X" in message and "swapped" in message
    pts = geo.read_points(path, crs="EPSG:6690", lat="X", lon="Y")  # the fix the message names
    np.testing.assert_allclose(pts.geometry.y, table["緯度"].astype(float), atol=1e-7)


def test_centre_columns_of_a_mesh_table(shared_data: Path) -> None:
    """lat_min/lat_center/lat_max: the centre columns are the point."""
    pts = geo.read_points(shared_data / "estat-mesh1km-census-yamanashi/yamanashi_mesh1km_2020.csv")
    assert pts.attrs["points"]["lat_column"] == "lat_center" and len(pts) == 1700


def test_cli_points_population_rate(tmp_path: Path, shared_data: Path) -> None:
    table = shared_data / "census2020-preliminary-municipal-wards/census2020_preliminary_population.csv"
    result = CliRunner().invoke(
        geo.cli.cli,
        ["points", str(shared_data / GUNMA), "--areas", str(shared_data / N03), "--prefecture", "10",
         "--population-table", str(table), "--population-column", "pop_total", "--code-column", "code",
         "-o", str(tmp_path)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "35 / 35 areas matched" in result.output  # the join report of `geo join`
    per_area = pd.read_csv(tmp_path / "points_gunma_bus_stops_per_area.csv", dtype={"muni_code": str})
    pop = pd.read_csv(table, dtype={"code": str}).set_index("code")["pop_total"]
    maebashi = per_area.set_index("muni_code").loc["10201"]
    assert maebashi["n_points_per_10k"] == pytest.approx(maebashi["n_points"] / pop["10201"] * 1e4)


def test_main_exits_1_with_the_message(
    tmp_path: Path,
    station_table: pd.DataFrame,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    table = _facilities(station_table)
    table.loc[table.index[0], ["緯度", "経度"]] = ["51.5072", "-0.1276"]
    path = _write(tmp_path, table)
    monkeypatch.setattr("sys.argv", ["geo", "points", str(path), "--areas", "unused.json"])
    with pytest.raises(SystemExit) as info:
        geo.cli.main()
    assert info.value.code == 1
    assert "facilities.csv: row 2, columns 緯度/経度: (51.5072, -0.1276) is outside Japan" in capsys.readouterr().err


# ------------------------------------------------------------------ Parquet inputs that once broke (issue 20)
@pytest.fixture(scope="module")
def gunma_schools(shared_data: Path) -> gpd.GeoDataFrame:
    schools = geo.read_points(shared_data / "ksj-p29-2023-schools-gunma/P29-23_10.geojson")
    return schools.rename(columns={"P29_001": "muni", "P29_002": "code", "P29_004": "name"})


def test_count_points_on_a_hive_partitioned_folder_and_an_empty_one(tmp_path: Path, gunma_schools) -> None:
    """The README's count_points("/mnt/shared/gps_points/", areas) raised AttributeError on key=value folders."""
    for muni, group in gunma_schools.groupby("muni"):
        (tmp_path / "hive" / f"muni={muni}").mkdir(parents=True)
        group[["code", "name", "geometry"]].to_parquet(tmp_path / "hive" / f"muni={muni}" / "part-0.parquet")
    areas = geo.read_boundaries("n03-2021-s0010", prefectures=["10"])
    counts = geo.count_points(str(tmp_path / "hive"), areas)
    expect = geo.count_points(gunma_schools, areas)
    assert counts["n_points"].sum() == len(gunma_schools) == 1010
    assert counts["n_points"].tolist() == expect["n_points"].tolist()
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValidationError, match=r"empty: the folder holds no \.parquet files"):
        geo.count_points(str(tmp_path / "empty"), areas)
    with pytest.raises(ValidationError, match=r"'schools.csv' is a path but not a GeoParquet.*geo.read_points"):
        geo.count_points("schools.csv", areas)


def test_partitions_with_differing_schemas_are_refused_not_cast(tmp_path: Path, gunma_schools) -> None:
    """A code written as text in one partition and as a number in the next came back as 4337.0, names lost."""
    first = gunma_schools.iloc[:500][["code", "name", "geometry"]].assign(code="004337")
    second = gunma_schools.iloc[500:][["code", "geometry"]].assign(code=4337)
    (tmp_path / "mixed").mkdir()
    first.to_parquet(tmp_path / "mixed" / "a.parquet")
    second.to_parquet(tmp_path / "mixed" / "b.parquet")
    with pytest.raises(ValidationError, match=r"b.parquet vs a.parquet: lacks \['name'\]; types differ: code") as info:
        geo.read_points(tmp_path / "mixed")
    assert "same columns and types (codes as text)" in str(info.value)


def test_a_wkb_column_without_geoparquet_metadata_asks_for_its_crs(tmp_path: Path, gunma_schools) -> None:
    plain = pd.DataFrame({"name": gunma_schools["name"], "geometry": shapely.to_wkb(gunma_schools.geometry.to_numpy())})
    path = tmp_path / "wkb.parquet"
    plain.to_parquet(path)
    with pytest.raises(ValidationError, match=r"column 'geometry' holds binary geometries \(WKB\).*give crs="):
        geo.read_points(path)
    read = geo.read_points(path, crs="EPSG:6668")
    assert len(read) == 1010 and read.geometry.geom_equals_exact(gunma_schools.geometry, tolerance=1e-9).all()


def test_a_zero_byte_file_and_a_shapefile_without_its_dbf_are_named(tmp_path: Path, gunma_schools) -> None:
    """GDAL's advice ('specify the driver') for a 0-byte file; a .shp without .dbf read without its names."""
    gunma_schools.head(20).to_file(tmp_path / "schools.shp", encoding="utf-8")
    (tmp_path / "schools.dbf").unlink()
    (tmp_path / "empty.geojson").write_bytes(b"")
    args = ["--areas", "n03-2021-s0010-10", "-o", str(tmp_path / "out")]
    for name, expect in (("schools.shp", "has no schools.dbf beside it"), ("empty.geojson", "is empty (0 bytes)")):
        result = CliRunner().invoke(geo.cli.cli, ["points", str(tmp_path / name), *args])
        assert isinstance(result.exception, ValidationError), result.output
        assert name in str(result.exception) and expect in str(result.exception)
        with pytest.raises(ValidationError, match=re.escape(expect)):
            geo.read_boundaries(tmp_path / name)
