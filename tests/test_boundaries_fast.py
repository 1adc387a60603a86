"""The fast path for clean N03 files gives the checking path's frame, and dirty files still take the checking path."""

from __future__ import annotations

import logging
import warnings

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal

import geo
from geo import ValidationError, codes
from geo import boundaries as b
from geo.crs import geometries_to_jgd2011

TOKYO = "geojson/s0010/N03-21_13_210101.json"  # GeoJSON, CRS WGS 84 (a null transformation to JGD2011)
NATIONAL_01 = "topojson/s0001/N03-21_210101.json"  # TopoJSON, no CRS member, one self-intersecting ring
YAMANASHI = "geojson/s0010/N03-21_19_210101.json"


def _both(path, monkeypatch, **kwargs):
    """(checking path frame, fast path frame, whether the fast path took the file)."""
    taken = []
    original = b._read_clean

    def spy(*args, **kw):
        out = original(*args, **kw)
        taken.append(out is not None)
        return out

    monkeypatch.setattr(b, "_read_clean", spy)
    b._READ_CACHE.clear()
    monkeypatch.setattr(b, "FAST_PATH", False)
    slow = b.read_boundaries(path, **kwargs)
    b._READ_CACHE.clear()
    monkeypatch.setattr(b, "FAST_PATH", True)
    fast = b.read_boundaries(path, **kwargs)
    b._READ_CACHE.clear()
    return slow, fast, all(taken) and bool(taken)


def _same(slow, fast):
    assert_geodataframe_equal(slow, fast, check_less_precise=False)
    assert slow.dtypes.astype(str).tolist() == fast.dtypes.astype(str).tolist()
    assert slow.attrs == fast.attrs
    assert all(a.equals_exact(c, tolerance=0) for a, c in zip(slow.geometry, fast.geometry, strict=True))


@pytest.mark.parametrize("level", ["municipality", "designated_city", "prefecture"])
@pytest.mark.parametrize("rel", [TOKYO, NATIONAL_01])
def test_clean_files_take_the_fast_path_with_the_same_frame(n03_dir, monkeypatch, rel, level):
    slow, fast, took_fast = _both(n03_dir / rel, monkeypatch, level=level)
    assert took_fast
    _same(slow, fast)


def test_fast_path_with_a_prefecture_filter_and_a_geopackage(n03_dir, tmp_path, monkeypatch):
    path = tmp_path / "N03_yamanashi_tokyo.gpkg"
    src = [gpd.read_file(n03_dir / rel).set_crs(6668, allow_override=True) for rel in (YAMANASHI, TOKYO)]
    gpd.GeoDataFrame(np.concatenate([s.to_numpy() for s in src]), columns=src[0].columns, crs=6668).to_file(path)
    slow, fast, took_fast = _both(path, monkeypatch, prefectures=["山梨県"])
    assert took_fast and set(fast["pref_code"]) == {"19"} and len(fast) == 27
    _same(slow, fast)


def test_fast_path_keeps_the_repair_of_an_invalid_ring(n03_dir, monkeypatch):
    slow, fast, took_fast = _both(n03_dir / NATIONAL_01, monkeypatch)
    assert took_fast and fast.attrs["boundaries"]["repaired_geometries"] == 1 and fast.geometry.is_valid.all()
    _same(slow, fast)


def _yamanashi(n03_dir, **changes):
    frame = gpd.read_file(n03_dir / YAMANASHI).set_crs(6668, allow_override=True)
    for column, fn in changes.items():
        frame[column] = frame[column].map(fn, na_action="ignore")
    return frame


FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def _with_check_digit(code: str) -> str:
    # JIS X 0402: weights 6..2, check digit = 11 - (sum mod 11), last digit of it (甲府市 19201 → 192015)
    rest = (11 - sum(int(d) * w for d, w in zip(code, (6, 5, 4, 3, 2), strict=True)) % 11) % 10
    return code + str(rest)


@pytest.mark.parametrize(
    ("name", "change"),
    [
        ("full-width digits", {"N03_007": lambda c: c.translate(FULL_WIDTH)}),
        ("6 digits with check digit", {"N03_007": _with_check_digit}),
    ],
)
def test_dirty_codes_take_the_checking_path(n03_dir, tmp_path, monkeypatch, name, change):
    path = tmp_path / "N03_dirty.geojson"
    _yamanashi(n03_dir, **change).to_file(path)
    slow, fast, took_fast = _both(path, monkeypatch)
    assert not took_fast, name
    _same(slow, fast)
    clean = b.read_boundaries(n03_dir / YAMANASHI)
    assert fast["muni_code"].tolist() == clean["muni_code"].tolist()  # normalised back to the clean codes
    assert "19201" in set(fast["muni_code"])


def test_check_digit_helper_is_the_published_one():
    assert _with_check_digit("19201") == "192015" and _with_check_digit("13101") == "131016"


def test_tokyo_datum_takes_the_checking_path_and_is_shifted(n03_dir, tmp_path, monkeypatch):
    path = tmp_path / "N03_tokyo_datum.gpkg"
    frame = _yamanashi(n03_dir)
    frame.set_crs(4301, allow_override=True).to_file(path)  # the same numbers, now Tokyo datum lon/lat
    slow, fast, took_fast = _both(path, monkeypatch)
    assert not took_fast
    _same(slow, fast)
    moved = shapely.get_coordinates(fast.geometry.iloc[0]) - shapely.get_coordinates(frame.geometry.iloc[0])
    assert 0.002 < np.abs(moved).max() < 0.005  # Tokyo → JGD2011 in 山梨: ~ -0.0029° lat, +0.0031° lon


def test_invalid_ring_and_bad_geometry_take_the_same_way(tmp_path, monkeypatch):
    bowtie = shapely.Polygon([(138.5, 35.5), (138.6, 35.6), (138.6, 35.5), (138.5, 35.6)])
    frame = gpd.GeoDataFrame(
        {"N03_001": ["山梨県"], "N03_003": [None], "N03_004": ["甲府市"], "N03_007": ["19201"]},
        geometry=[bowtie],
        crs=6668,
    )
    path = tmp_path / "bowtie.gpkg"
    frame.to_file(path)
    slow, fast, took_fast = _both(path, monkeypatch)
    assert took_fast and fast.attrs["boundaries"]["repaired_geometries"] == 1  # checked after, on both paths
    _same(slow, fast)
    point = frame.assign(geometry=[shapely.Point(138.5, 35.5)])
    point.to_file(tmp_path / "point.gpkg")
    monkeypatch.setattr(b, "FAST_PATH", True)
    with pytest.raises(ValidationError, match="not a Polygon/MultiPolygon"):
        b.read_boundaries(tmp_path / "point.gpkg")


def test_canonical_muni_codes():
    got = codes.canonical_muni_codes(
        ["13101", "１３１０１", "131016", 13101, "13101", "99999", None, "01100", "1310"],
        ["13", "13", "13", "13", "14", "99", "13", "01", "13"],
    )
    assert got.tolist() == [True, False, False, False, False, False, False, True, False]


def test_code_tables_read_with_csv_equal_the_pandas_tables():
    table = codes.code_table().sort_values("valid_from", kind="stable").drop_duplicates("muni_code", keep="last")
    wards = table[table["kind"] == "ward"]
    assert codes._ward_cities(None) == dict(zip(wards["muni_code"], wards["city_code"], strict=True))
    assert codes._known_codes() == frozenset(codes.muni_table()["muni_code"]) | frozenset(codes.DESIGNATED_CITIES)


@pytest.mark.parametrize("epsg", [4326, 4301, 6668])
def test_no_op_datum_shift_returns_the_same_coordinates(epsg):
    geoms = np.array([shapely.box(138.5, 35.5, 138.6, 35.6), shapely.box(139.7, 35.6, 139.8, 35.7)])
    moved, shift = geometries_to_jgd2011(geoms, epsg)
    if epsg == 6668:
        assert moved is None and shift.operation == "none"
        return
    transformer = pyproj.Transformer.from_crs(epsg, 6668, always_xy=True)
    expected = shapely.get_coordinates(geoms)
    expected = np.column_stack(transformer.transform(expected[:, 0], expected[:, 1]))
    assert (moved is geoms) == (epsg == 4326)
    if epsg == 4326:  # PROJ's own transform gives the very same numbers
        np.testing.assert_array_equal(shapely.get_coordinates(moved), expected)
    else:  # a real shift (~400 m), not skipped
        assert np.abs(shapely.get_coordinates(moved) - shapely.get_coordinates(geoms)).max() > 0.002


def test_fast_path_logs_the_datum_record(n03_dir, caplog):
    b._READ_CACHE.clear()
    with caplog.at_level(logging.INFO, logger="geo.boundaries"):
        b.read_boundaries(n03_dir / TOKYO)
    assert any("EPSG:4326" in r.getMessage() and "EPSG:6668" in r.getMessage() for r in caplog.records)


def test_city_of_from_the_2021_table_equals_the_dated_table():
    latest = codes._ward_cities(None)
    known = codes._known_codes()
    assert len(known) > 1900 and sum(codes.is_ward(c) for c in known) == 175
    assert all(codes.city_of(c) == latest.get(c, c) for c in known)
    assert codes.city_of("22140") == "22130"  # a 2024 ward, not in the 2021 table: the dated table answers


def test_reading_leaves_the_warning_filters_as_they_were(n03_dir):
    """Reading must not change the process's warning filters: a validity check on two threads once left a global
    "ignore every warning" behind (shapely.is_valid's catch_warnings is not thread-safe), silencing the toolkit's
    own warnings for the rest of the run."""
    before = list(warnings.filters)
    geo.read_boundaries(n03_dir / NATIONAL_01)
    assert list(warnings.filters) == before


def test_equal_area_pipeline_is_the_operation_proj_picks(n03_dir):
    from geo.crs import JAPAN_EQUAL_AREA, JGD2011, JGD2011_TO_EQUAL_AREA, to_japan_equal_area

    searched = pyproj.Transformer.from_crs(JGD2011, JAPAN_EQUAL_AREA, always_xy=True)
    assert searched.definition == pyproj.Transformer.from_pipeline(JGD2011_TO_EQUAL_AREA).definition
    geoms = gpd.read_file(n03_dir / TOKYO).geometry.to_numpy()
    expected = gpd.GeoSeries(geoms, crs=6668).to_crs(JAPAN_EQUAL_AREA).to_numpy()
    got = to_japan_equal_area(geoms, 6668)
    assert all(a.equals_exact(e, tolerance=0) for a, e in zip(got, expected, strict=True))
    other = to_japan_equal_area(gpd.GeoSeries(geoms, crs=6668).to_crs(4326).to_numpy(), 4326)  # the general way
    np.testing.assert_allclose(shapely.area(other), shapely.area(expected), rtol=1e-9)


def test_repair_messages_unchanged(tmp_path, caplog):
    """A bow-tie's repair changes its area: the message gives the areas in the equal-area projection."""
    bowtie = shapely.Polygon([(138.5, 35.5), (138.6, 35.6), (138.6, 35.5), (138.5, 35.6)])
    areas = gpd.GeoDataFrame(
        {"pref_code": ["19"], "pref_name": ["山梨県"], "muni_code": ["19201"], "muni_name": ["甲府市"]},
        geometry=[shapely.make_valid(bowtie)],
        crs=6668,
    )
    (message,) = b.repair_problems(areas, np.array([bowtie]), np.array([0]))
    from geo.crs import JAPAN_EQUAL_AREA

    new = gpd.GeoSeries([shapely.make_valid(bowtie)], crs=6668).to_crs(JAPAN_EQUAL_AREA).area.iloc[0] / 1e6
    assert message.startswith("甲府市 (19201): repairing its invalid geometry changed its area from 0.000 to ")
    assert f"{new:.3f} km²" in message


def test_null_transformations_are_what_proj_says():
    from geo.crs import NULL_TO_JGD2011, jgd2011_transformer

    for crs in NULL_TO_JGD2011:
        transformer, shift = jgd2011_transformer(crs)
        assert transformer.definition.split(" ", 1)[0] == "proj=noop" and not shift.grid_based
