"""N03 boundaries read into the canonical schema, from every format and layout users bring."""

from __future__ import annotations

import zipfile

import geopandas as gpd
import numpy as np
import pytest
import shapely
from click.testing import CliRunner

import geo
from geo import ValidationError
from geo.boundaries import NORTHERN_TERRITORIES, simplify_boundaries
from geo.cli import cli
from geo.crs import area_km2

NATIONAL = "topojson/s0010/N03-21_210101.json"


def test_national_municipalities(municipalities):
    m = municipalities
    assert list(m.columns) == ["pref_code", "pref_name", "muni_code", "muni_name", "geometry"]
    assert m.crs.to_epsg() == 6668
    assert len(m) == 1906
    assert m["muni_code"].notna().sum() == 1902 and m["muni_code"].dropna().is_unique
    unassigned = m[m["muni_code"].isna()]
    assert unassigned["muni_name"].eq("所属未定地").all()
    assert sorted(unassigned["pref_code"]) == ["12", "13", "23", "47"]
    assert set(NORTHERN_TERRITORIES) <= set(m["muni_code"])
    assert m.geometry.is_valid.all() and m.geom_type.isin(["Polygon", "MultiPolygon"]).all()
    assert m.attrs["boundaries"]["repaired_geometries"] == 2  # Nagasaki and Okinawa self-intersect (BASELINES)
    row = m.set_index("muni_code").loc["01101"]
    assert (row["pref_name"], row["muni_name"]) == ("北海道", "札幌市中央区")
    assert m.set_index("muni_code").loc["13101", "muni_name"] == "千代田区"


def test_designated_city_level(designated_cities):
    d = designated_cities
    assert len(d) == 1751 and d["muni_code"].notna().sum() == 1747
    cities = d.set_index("muni_code")
    assert cities.loc["01100", "muni_name"] == "札幌市" and cities.loc["27140", "muni_name"] == "堺市"
    assert not d["muni_code"].isin(["01101", "14131"]).any()
    assert d.geometry.is_valid.all()


def test_prefecture_level_areas_equal_sum_of_municipalities(municipalities, prefectures):
    assert len(prefectures) == 47 and prefectures["pref_code"].tolist() == [f"{i:02d}" for i in range(1, 48)]
    assert "muni_code" not in prefectures.columns
    sums = municipalities.assign(a=area_km2(municipalities)).groupby("pref_code")["a"].sum()
    ratio = area_km2(prefectures) / sums.to_numpy()
    assert np.abs(ratio - 1).max() < 1e-4  # within 0.01 %
    # no slivers: every prefecture is one shape per island, no interior holes left from internal borders
    hokkaido = prefectures.geometry.iloc[0]
    assert sum(len(p.interiors) for p in shapely.get_parts(hokkaido)) == 0


def test_same_counts_from_per_prefecture_geojson(n03_dir):
    folder = n03_dir / "geojson/s0010"
    m = geo.read_boundaries(folder)
    assert len(m) == 1906 and m["muni_code"].notna().sum() == 1902
    d = geo.read_boundaries(folder, level="designated_city")
    assert len(d) == 1751 and d["muni_code"].notna().sum() == 1747
    assert len(geo.read_boundaries(folder, level="prefecture")) == 47


def test_designated_city_file_and_prefecture_file(n03_dir):
    dc = geo.read_boundaries(n03_dir / "topojson/s0010/N03-21_210101_designated_city.json")
    assert len(dc) == 1751 and dc.set_index("muni_code").loc["04100", "muni_name"] == "仙台市"
    prefs = geo.read_boundaries(n03_dir / "topojson/s0010/prefectures.json", level="prefecture")
    assert len(prefs) == 47
    with pytest.raises(ValidationError, match="level='prefecture'"):
        geo.read_boundaries(n03_dir / "topojson/s0010/prefectures.json")


def test_prefecture_filter_by_code_and_name(n03_dir):
    areas = geo.read_boundaries(n03_dir / NATIONAL, prefectures=["山梨県", 20])
    assert sorted(areas["pref_code"].unique()) == ["19", "20"]
    assert len(areas[areas["pref_code"] == "19"]) == 27  # 山梨県: 13 cities, 8 towns, 6 villages
    with pytest.raises(ValidationError, match="not a prefecture"):
        geo.read_boundaries(n03_dir / NATIONAL, prefectures="山梨州")


@pytest.fixture
def cp932_zip(tmp_path, n03_dir):
    """An official-style archive: Shapefile with a CP932 .dbf and no .cpg, zipped."""
    src = gpd.read_file(n03_dir / "geojson/s0010/N03-21_19_210101.json")
    shp_dir = tmp_path / "shp"
    shp_dir.mkdir()
    src.set_crs(6668, allow_override=True).to_file(shp_dir / "N03-21_19_210101.shp", encoding="cp932", engine="pyogrio")
    (shp_dir / "N03-21_19_210101.cpg").unlink(missing_ok=True)
    raw = (shp_dir / "N03-21_19_210101.dbf").read_bytes()
    assert "甲府市".encode("cp932") in raw  # really CP932 on disk
    archive = tmp_path / "N03-21_19_210101.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in shp_dir.iterdir():
            zf.write(f, f"N03-21_19_210101/{f.name}")
    return archive


def test_cp932_shapefile_zip(cp932_zip):
    areas = geo.read_boundaries(cp932_zip)
    assert len(areas) == 27 and areas.crs.to_epsg() == 6668
    assert "甲府市" in set(areas["muni_name"]) and set(areas["pref_name"]) == {"山梨県"}
    assert areas.attrs["boundaries"]["encoding"] == ["cp932"]


def test_official_layout_one_row_per_island_and_newer_ward_column(tmp_path):
    """Official N03: islands as separate rows; since 2024 the ward is in N03_005 with the city in N03_004."""
    sq = lambda x, y: shapely.box(x, y, x + 0.01, y + 0.01)  # noqa: E731
    frame = gpd.GeoDataFrame(
        {
            "N03_001": ["北海道", "北海道", "北海道", "北海道"],
            "N03_002": ["石狩振興局"] * 4,
            "N03_003": [None, None, None, None],
            "N03_004": ["札幌市", "札幌市", "函館市", "函館市"],
            "N03_005": ["中央区", "北区", None, None],
            "N03_007": ["01101", "01102", "01202", "01202"],
        },
        geometry=[sq(141.0, 43.0), sq(141.01, 43.0), sq(140.7, 41.7), sq(140.8, 41.8)],
        crs=6668,
    )
    path = tmp_path / "N03-20240101_01.geojson"
    frame.to_file(path)
    areas = geo.read_boundaries(path)
    assert areas["muni_code"].tolist() == ["01101", "01102", "01202"]
    assert areas["muni_name"].tolist() == ["札幌市中央区", "札幌市北区", "函館市"]
    assert areas.geometry.iloc[2].geom_type == "MultiPolygon"  # the two islands merged into one row
    city = geo.read_boundaries(path, level="designated_city")
    assert city.set_index("muni_code").loc["01100", "muni_name"] == "札幌市"
    assert city.set_index("muni_code").loc["01100"].geometry.area == pytest.approx(2e-4)


def test_invalid_ring_is_repaired_and_counted(tmp_path):
    bowtie = shapely.Polygon([(138.5, 35.5), (138.6, 35.6), (138.6, 35.5), (138.5, 35.6)])
    frame = gpd.GeoDataFrame(
        {"N03_001": ["山梨県"], "N03_003": [None], "N03_004": ["甲府市"], "N03_007": ["19201"]},
        geometry=[bowtie],
        crs=6668,
    )
    path = tmp_path / "bowtie.gpkg"
    frame.to_file(path)
    areas = geo.read_boundaries(path)
    assert areas.attrs["boundaries"]["repaired_geometries"] == 1
    assert areas.geometry.is_valid.all() and areas.geometry.iloc[0].area > 0


def test_projected_input_is_reprojected(tmp_path, n03_dir):
    src = gpd.read_file(n03_dir / "geojson/s0010/N03-21_19_210101.json").set_crs(6668, allow_override=True).to_crs(6676)
    path = tmp_path / "yamanashi_zone8.gpkg"
    src.to_file(path)
    areas = geo.read_boundaries(path)
    assert areas.crs.to_epsg() == 6668 and 138 < areas.geometry.iloc[0].centroid.x < 139.5


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda p: p / "missing.geojson", "no such boundary file"),
        (lambda p: _write(p / "corrupt.zip", b"PK\x03\x04 truncated"), "not a readable zip"),
        (lambda p: _write(p / "empty.zip", _empty_zip()), "no .shp or .geojson"),
        (lambda p: _write(p / "stations.geojson", _stations()), "not an N03 boundary file"),
        (lambda p: _write(p / "garbage.geojson", b"{not json"), "cannot read"),
    ],
)
def test_bad_input_names_the_file(tmp_path, make, match):
    path = make(tmp_path)
    with pytest.raises((ValidationError, FileNotFoundError), match=match) as err:
        geo.read_boundaries(path)
    assert path.name in str(err.value)


def test_unknown_level_lists_the_allowed_ones(n03_dir):
    with pytest.raises(ValidationError, match="municipality, designated_city, prefecture"):
        geo.read_boundaries(n03_dir / NATIONAL, level="city")  # type: ignore[arg-type]


def test_simplification_keeps_shared_borders(n03_dir):
    areas = geo.read_boundaries(n03_dir / NATIONAL, prefectures="19")
    light = simplify_boundaries(areas, tolerance_m=300)
    before = shapely.get_num_coordinates(areas.geometry.to_numpy()).sum()
    after = shapely.get_num_coordinates(light.geometry.to_numpy()).sum()
    assert after < 0.8 * before
    assert shapely.coverage_is_valid(light.geometry.to_numpy())
    total_before, total_after = area_km2(areas).sum(), area_km2(light).sum()
    assert abs(total_after / total_before - 1) < 0.01
    assert areas.geometry.iloc[0].equals(geo.read_boundaries(n03_dir / NATIONAL, prefectures="19").geometry.iloc[0])


def test_cli_info_and_write(n03_dir, tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["boundaries", "info", str(n03_dir / NATIONAL), "--level", "designated_city"])
    assert result.exit_code == 0, result.output
    assert "1751" in result.output and "1747" in result.output
    out = tmp_path / "yamanashi.gpkg"
    result = runner.invoke(
        cli, ["boundaries", "write", str(n03_dir / NATIONAL), "--prefecture", "山梨県", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    back = gpd.read_file(out)
    assert len(back) == 27 and back["muni_code"].str.len().eq(5).all()


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


def _empty_zip() -> bytes:
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("readme.txt", "nothing here")
    return buf.getvalue()


def _stations() -> bytes:
    return (
        b'{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"Kofu"},'
        b'"geometry":{"type":"Point","coordinates":[138.569,35.667]}}]}'
    )
