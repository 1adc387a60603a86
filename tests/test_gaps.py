"""Mesh codes and transport gaps, checked against independent calculations (geodesic brute force)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner
from pyproj import Geod

import geo
import geo.cli
from geo._errors import ValidationError
from geo.areas import AreaSelection
from geo.gaps import find_gaps
from geo.mesh import mesh_bounds, mesh_codes_covering, mesh_polygons, read_mesh

YAMANASHI = "estat-mesh1km-census-yamanashi/yamanashi_mesh1km_2020.csv"
STATIONS = "ksj-n02-2023-railway-stations/stations_points.csv"
NAKATSUGAWA = "gtfs-jp-nakatsugawa-toyota/nakatsugawa_GTFS.zip"
N03 = "japan-topography-n03-2021/topojson/s0010/N03-21_210101.json"
GEOD = Geod(ellps="GRS80")


@pytest.fixture(scope="module")
def cells(shared_data: Path) -> gpd.GeoDataFrame:
    return read_mesh(shared_data / YAMANASHI)


@pytest.fixture(scope="module")
def stations(shared_data: Path) -> gpd.GeoDataFrame:
    return geo.read_points(shared_data / STATIONS)


def brute_nearest_m(lon: np.ndarray, lat: np.ndarray, s_lon: np.ndarray, s_lat: np.ndarray) -> np.ndarray:
    """Geodesic distance (GRS80 ellipsoid) from each point to the nearest of the targets, all pairs."""
    out = np.empty(len(lon))
    for i in range(len(lon)):
        _, _, d = GEOD.inv(np.full(len(s_lon), lon[i]), np.full(len(s_lat), lat[i]), s_lon, s_lat)
        out[i] = d.min()
    return out


def _near(frame: gpd.GeoDataFrame, bounds: tuple[float, float, float, float], pad: float = 0.1) -> gpd.GeoDataFrame:
    minx, miny, maxx, maxy = bounds
    return frame.cx[minx - pad : maxx + pad, miny - pad : maxy + pad]


# ------------------------------------------------------------------------------------------------- mesh


def test_mesh_cells_match_published_bounds(shared_data: Path, cells: gpd.GeoDataFrame) -> None:
    table = pd.read_csv(shared_data / YAMANASHI, dtype={"mesh_code": str})
    computed = mesh_bounds(table["mesh_code"])
    np.testing.assert_allclose(computed, table[["lon_min", "lat_min", "lon_max", "lat_max"]], atol=1e-6)
    assert cells.crs.to_epsg() == 6668 and (cells["mesh_level"] == 3).all()
    assert cells["population"].sum() == 809974  # 山梨県 2020 census total (SOURCE.md)


def test_read_raw_estat_file(shared_data: Path) -> None:
    raw = read_mesh(shared_data / "estat-mesh1km-census-yamanashi/raw/tblT001100S19.txt")  # CP932, label row
    assert len(raw) == 1700 and raw["population"].sum() == 809974
    zipped = read_mesh(shared_data / "estat-mesh1km-census-first-mesh-5238-5338-5339/raw/pop_2020_5338.zip")
    assert zipped["population"].sum() == 882893  # SOURCE.md table


def test_mesh_levels_nest() -> None:
    """A 1 km cell is exactly tiled by its four half cells, and lies in its 2nd and 1st level cells."""
    third = mesh_polygons(["53394611"]).iloc[0]
    halves = mesh_polygons([f"53394611{m}" for m in "1234"])
    union = shapely.union_all(halves.to_numpy())
    assert union.symmetric_difference(third).area / third.area < 1e-9  # equal up to float rounding
    sw, ne = halves.iloc[0].bounds, halves.iloc[3].bounds
    assert sw[:2] == pytest.approx(third.bounds[:2]) and ne[2:] == pytest.approx(third.bounds[2:])
    assert mesh_polygons(["533946"]).iloc[0].contains(third)
    assert mesh_polygons(["5339"]).iloc[0].contains(third)


def test_bad_mesh_codes_named(tmp_path: Path) -> None:
    path = tmp_path / "mesh.csv"
    pd.DataFrame({"mesh_code": ["53394611", "5339461", "53398611", "", "1234567a"], "pop": [1, 2, 3, 4, 5]}).to_csv(
        path, index=False
    )
    with pytest.raises(ValidationError) as info:
        read_mesh(path)
    message = str(info.value)
    assert "mesh.csv" in message
    assert "row 3, column mesh_code: '5339461' has 7 digits" in message
    assert "row 4, column mesh_code: '53398611' has 2nd-level digits above 7" in message
    assert "row 5, column mesh_code: '' is empty" in message
    assert "row 6, column mesh_code: '1234567a' is not a string of digits" in message


def test_mesh_codes_covering_centres_inside(municipalities: gpd.GeoDataFrame) -> None:
    city = municipalities.loc[municipalities["muni_code"] == "21206", "geometry"].iloc[0]
    codes = mesh_codes_covering(city)
    b = mesh_bounds(codes)
    cx, cy = (b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2
    assert shapely.intersects_xy(city, cx, cy).all()
    # brute force: every cell of the city's bounding box whose centre is inside
    minx, miny, maxx, maxy = city.bounds
    ys = (np.arange(int(miny * 120), int(maxy * 120) + 1) + 0.5) / 120
    xs = (np.arange(int(minx * 80), int(maxx * 80) + 1) + 0.5) / 80
    gx, gy = np.meshgrid(xs, ys)
    assert len(codes) == int(shapely.intersects_xy(city, gx.ravel(), gy.ravel()).sum())
    assert {c[:4] for c in codes} == {"5337"}  # not in the shared mesh data (5238/5338/5339/Yamanashi)


# ------------------------------------------------------------------------------------------------- gaps


def test_yamanashi_gaps_match_geodesic_brute_force(cells: gpd.GeoDataFrame, stations: gpd.GeoDataFrame) -> None:
    gaps = find_gaps(cells, {"station": stations}, pref_code="19", keep_all=True)
    assert gaps.attrs["gaps"]["walk_m"] == {"station": 800.0}
    near = _near(stations, cells.total_bounds)
    b = cells.geometry.bounds
    lon, lat = ((b["minx"] + b["maxx"]) / 2).to_numpy(), ((b["miny"] + b["maxy"]) / 2).to_numpy()
    brute = brute_nearest_m(lon, lat, near.geometry.x.to_numpy(), near.geometry.y.to_numpy())
    # plane rectangular zone VIII vs the ellipsoid: scale error below 1e-4 over Yamanashi
    np.testing.assert_allclose(gaps["dist_station_m"], brute, rtol=2e-4, atol=0.5)
    clear = np.abs(brute - 800) > 1.0  # leave out cells within a metre of the threshold
    assert (gaps["gap"].to_numpy()[clear] == (brute[clear] > 800)).all()
    expected = cells["population"].to_numpy()[brute > 800].sum()
    assert gaps.loc[gaps["gap"], "population"].sum() == pytest.approx(expected, abs=200)
    assert find_gaps(cells, {"station": stations}, pref_code="19")["population"].sum() == 638831


def test_yamanashi_per_municipality_matches_brute_force(
    cells: gpd.GeoDataFrame, stations: gpd.GeoDataFrame, municipalities: gpd.GeoDataFrame
) -> None:
    """Per municipality, by the one border rule (geo.areas.place), against point-in-polygon by hand."""
    yamanashi = municipalities[municipalities["pref_code"] == "19"].reset_index(drop=True)
    selection = AreaSelection(yamanashi, municipalities, "n03")
    result = geo.analyses.gaps(selection, cells, {"station": stations}, snap_m=0)
    table, gaps = result.by_area, result.cells
    assert len(table) == 27
    b, gb = cells.geometry.bounds, gaps.geometry.bounds
    cx, cy = ((b["minx"] + b["maxx"]) / 2).to_numpy(), ((b["miny"] + b["maxy"]) / 2).to_numpy()
    gx, gy = ((gb["minx"] + gb["maxx"]) / 2).to_numpy(), ((gb["miny"] + gb["maxy"]) / 2).to_numpy()
    for _, row in table.iterrows():
        poly = yamanashi.loc[yamanashi["muni_code"] == row["muni_code"], "geometry"].iloc[0]
        in_demand = shapely.contains_xy(poly, cx, cy)
        in_gap = shapely.contains_xy(poly, gx, gy)
        assert row["demand_population"] == cells["population"].to_numpy()[in_demand].sum()
        assert row["gap_population"] == gaps["population"].to_numpy()[in_gap].sum()
        assert row["gap_cells"] == in_gap.sum()
    figures = result.report.figures
    assert figures["outside_rows"] == 16  # SOURCE.md: 1,684 of 1,700 centres inside the 1 % polygons
    assert table["demand_population"].sum() + figures["outside_weight"] == 809974
    snapped = geo.analyses.gaps(selection, cells, {"station": stations}, snap_m=1000)
    assert snapped.by_area["demand_population"].sum() == 809298  # cells in no area within 1 km count too
    assert (snapped.by_area["gap_share_pct"].between(0, 100)).all()


def test_nakatsugawa_grid_gaps_match_brute_force(
    shared_data: Path, stations: gpd.GeoDataFrame, municipalities: gpd.GeoDataFrame
) -> None:
    city = municipalities[municipalities["muni_code"] == "21206"]
    codes = mesh_codes_covering(city.geometry.iloc[0])
    grid = gpd.GeoDataFrame({"mesh_code": codes}, geometry=mesh_polygons(codes).to_numpy(), crs=6668)
    bus = geo.read_points(shared_data / NAKATSUGAWA)
    gaps = find_gaps(grid, {"station": stations, "bus": bus}, pref_code="21", keep_all=True)
    assert gaps.attrs["gaps"]["weight_column"] is None  # no population mesh for 5337: cells are counted
    b = mesh_bounds(codes)
    lon, lat = (b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2
    near = _near(stations, city.total_bounds)
    d_station = brute_nearest_m(lon, lat, near.geometry.x.to_numpy(), near.geometry.y.to_numpy())
    d_bus = brute_nearest_m(lon, lat, bus.geometry.x.to_numpy(), bus.geometry.y.to_numpy())
    np.testing.assert_allclose(gaps["dist_bus_m"], d_bus, rtol=2e-4, atol=0.5)
    expected = (d_station > 800) & (d_bus > 300)  # covered by rail OR bus: a union
    clear = (np.abs(d_station - 800) > 1) & (np.abs(d_bus - 300) > 1)
    assert (gaps["gap"].to_numpy()[clear] == expected[clear]).all()
    table = geo.analyses.gaps(AreaSelection(city.reset_index(drop=True), municipalities, "n03"), None,
                              {"station": stations, "bus": bus}).by_area  # fmt: skip
    assert table["gap_cells"].iloc[0] == expected.sum() == 575
    assert table["demand_cells"].iloc[0] == len(codes)


def test_walk_distances_are_per_layer_and_a_union() -> None:
    """Hand-made: 500 m from a station and 200 m from a stop is covered; 900 m / 400 m is a gap."""
    from pyproj import Transformer

    to_deg = Transformer.from_crs(6676, 6668, always_xy=True)

    def pts(xy: list[tuple[float, float]]) -> gpd.GeoDataFrame:
        lon, lat = to_deg.transform([p[0] for p in xy], [p[1] for p in xy])
        return gpd.GeoDataFrame({"population": [10.0] * len(xy)}, geometry=shapely.points(lon, lat), crs=6668)

    station, stop = pts([(0, 0)]), pts([(0, 1000)])
    demand = pts([(500, 0), (0, 800), (900, 0), (0, 1400), (-799, 0)])
    gaps = find_gaps(demand, {"station": station, "bus": stop}, crs=6676, keep_all=True)
    assert gaps["gap"].tolist() == [False, False, True, True, False]
    assert gaps.loc[gaps.index[0], "dist_m"] == pytest.approx(500, abs=1e-6)
    wide = find_gaps(demand, {"station": station, "bus": stop}, walk_m={"bus": 500}, crs=6676, keep_all=True)
    assert wide["gap"].tolist() == [False, False, True, False, False]
    assert find_gaps(demand, station, walk_m=1000, crs=6676).index.tolist() == [3]  # one unnamed layer


@pytest.mark.parametrize(
    ("walk_m", "match"),
    [({"tram": 500}, "match no supply layer"), ({"station": -5}, "positive number"), (0, "positive number")],
)
def test_bad_walk_distances(cells: gpd.GeoDataFrame, stations: gpd.GeoDataFrame, walk_m: object, match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        find_gaps(cells.head(5), {"station": stations}, walk_m=walk_m)  # type: ignore[arg-type]


def test_refuses_crs_less_and_geographic(cells: gpd.GeoDataFrame, stations: gpd.GeoDataFrame) -> None:
    with pytest.raises(geo.CRSError, match="no CRS"):
        find_gaps(
            gpd.GeoDataFrame(cells.head(3).drop(columns="geometry"), geometry=cells.geometry.head(3).to_numpy()),
            stations,
        )
    with pytest.raises(ValidationError, match="geographic"):
        find_gaps(cells.head(3), {"station": stations}, crs=6668)


def test_user_supplied_gap_points_are_counted_per_area(municipalities: gpd.GeoDataFrame) -> None:
    """Gap points a planner supplies (settlements with residents) are placed and counted with the one rule."""
    yamanashi = municipalities[municipalities["pref_code"] == "19"].reset_index(drop=True)
    kofu = yamanashi[yamanashi["muni_code"] == "19201"].geometry.iloc[0].representative_point()
    hokuto = yamanashi[yamanashi["muni_code"] == "19209"].geometry.iloc[0].representative_point()
    settlements = gpd.GeoDataFrame({"人口": [120, 35, 60]}, geometry=[kofu, hokuto, hokuto], crs=6668)
    counted = geo.count_points(settlements, yamanashi, weight="人口").set_index("muni_code")
    assert counted.loc["19201", "n_points"] == 120 and counted.loc["19209", "n_points"] == 95
    placed = geo.analyses.points(AreaSelection(yamanashi, municipalities, "n03"), settlements, name="s")
    assert placed.per_area.set_index("muni_code").loc["19209", "n_points"] == 2
    assert placed.points["muni_code"].tolist() == ["19201", "19209", "19209"]


# --------------------------------------------------------------------------------------------------- CLI


def test_cli_gaps_yamanashi(tmp_path: Path, shared_data: Path) -> None:
    result = CliRunner().invoke(
        geo.cli.cli,
        ["gaps", "--mesh", str(shared_data / YAMANASHI), "--stations", str(shared_data / STATIONS),
         "--areas", str(shared_data / N03), "--prefecture", "19", "--snap-m", "1000", "-o", str(tmp_path)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    # the same figure as `geo run` and geo.analyses.gaps (tests/test_spine.py proves it independently)
    assert "population: 638,155 of 809,298 (78.9%)" in result.output
    assert "16 rows of demand (population 676) lie outside the selected areas" in result.output
    by_area = pd.read_csv(tmp_path / "gaps_by_area.csv", dtype={"muni_code": str})
    assert by_area["gap_population"].sum() == 638155 and len(by_area) == 27
    cells = gpd.read_file(tmp_path / "layers.gpkg", layer="gaps")
    assert len(cells) == 1563 and cells["muni_code"].notna().all()


def test_cli_gaps_nakatsugawa_grid(tmp_path: Path, shared_data: Path) -> None:
    result = CliRunner().invoke(
        geo.cli.cli,
        ["gaps", "--grid", "--stations", str(shared_data / STATIONS), "--bus-stops", str(shared_data / NAKATSUGAWA),
         "--areas", str(shared_data / N03), "--municipality", "21206", "-o", str(tmp_path)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "cells (unweighted): 575 of 646" in result.output
    assert pd.read_csv(tmp_path / "gaps_by_area.csv")["gap_cells"].tolist() == [575]


def test_cli_gaps_needs_one_demand(shared_data: Path) -> None:
    result = CliRunner().invoke(geo.cli.cli, ["gaps", "--stations", str(shared_data / STATIONS), "--areas", "x"])
    assert result.exit_code == 2 and "exactly one of --mesh, --demand or --grid" in result.output


def test_population_points_give_the_same_gaps_as_cells(
    shared_data: Path, cells: gpd.GeoDataFrame, stations: gpd.GeoDataFrame, tmp_path: Path
) -> None:
    """The mesh table read as population points (its centre columns) is judged exactly like the cells."""
    points = geo.read_points(shared_data / YAMANASHI)
    by_cell = find_gaps(cells, {"station": stations}, pref_code="19")
    by_point = find_gaps(points, {"station": stations}, weight="pop_2020", pref_code="19")
    assert by_point["mesh_code"].tolist() == by_cell["mesh_code"].tolist()
    np.testing.assert_allclose(by_point["dist_m"], by_cell["dist_m"], atol=0.05)  # centres rounded to 6 decimals
    result = CliRunner().invoke(
        geo.cli.cli,
        ["gaps", "--demand", str(shared_data / YAMANASHI), "--weight", "pop_2020",
         "--stations", str(shared_data / STATIONS), "--areas", str(shared_data / N03), "--prefecture", "19",
         "-o", str(tmp_path)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "pop_2020: 638,155 of 809,298" in result.output
