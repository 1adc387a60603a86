"""Metric CRS choice: the prefecture's plane rectangular zone, nearest zone, or national equal-area."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo import CRSError
from geo.crs import JAPAN_EQUAL_AREA, area_km2, metric_crs, prefecture_crs, to_metric, utm_epsg


def test_prefecture_zones():
    assert prefecture_crs("19").to_epsg() == 6676  # 山梨県: zone VIII
    assert prefecture_crs("13").to_epsg() == 6677  # 東京都: zone IX
    assert prefecture_crs("47").to_epsg() == 6683  # 沖縄県: zone XV
    with pytest.raises(ValueError, match=r"'01'\.\.'47'"):
        prefecture_crs("48")


def test_metric_crs_from_data(municipalities):
    yamanashi = municipalities[municipalities["pref_code"] == "19"]
    assert metric_crs(yamanashi).to_epsg() == 6676  # one prefecture → its zone
    assert metric_crs(municipalities).equals(JAPAN_EQUAL_AREA)  # national → equal-area
    kofu = gpd.GeoSeries([shapely.Point(138.57, 35.66)], crs=6668)
    assert metric_crs(kofu).to_epsg() == 6676


def test_geographic_targets_and_missing_crs_are_refused():
    pts = gpd.GeoSeries([shapely.Point(138.57, 35.66)], crs=6668)
    with pytest.raises(CRSError, match="projected CRS"):
        to_metric(pts, 4326)
    with pytest.raises(CRSError, match="set_crs"):
        to_metric(gpd.GeoSeries([shapely.Point(138.57, 35.66)]))


def test_utm_zones():
    assert utm_epsg(127.7) == 6689 and utm_epsg(141.35) == 6691
    assert np.array_equal(utm_epsg(np.array([123.0, 145.0])), [6688, 6692])


def test_areas_in_equal_area_match_known_prefecture(prefectures):
    yamanashi_km2 = area_km2(prefectures[prefectures["pref_code"] == "19"])[0]
    assert yamanashi_km2 == pytest.approx(4465, rel=0.01)  # 山梨県 4,465 km² (GSI)


def test_ungridded_datum_shifts_state_the_real_uncertainty_where_the_points_lie(shared_data, tmp_path):
    """JGD2000 near 石巻 is up to ~5 m off JGD2011 without GSI's 2011 grid (once recorded as ±1 m); Tokyo datum by
    the Japan-wide translation is up to 12 m off on the main islands and hundreds of metres south of 31° N."""
    import geo

    stations = pd.read_csv(shared_data / "ksj-n02-2023-railway-stations/stations_points.csv", dtype=str)
    pick = stations.drop_duplicates("station_name").set_index("station_name").loc[["石巻", "博多"], ["lon", "lat"]]
    both = tmp_path / "jgd2000.csv"
    pick.reset_index().to_csv(both, index=False)
    record = geo.read_points(both, crs="EPSG:4612").attrs["points"]["datum"]
    assert "±5.3 m" in record and "1 point(s) lie in the area moved by the 2011 Tōhoku earthquake" in record
    assert "touhokutaiheiyouoki2011" in record
    west = tmp_path / "hakata.csv"
    pick.loc[["博多"]].reset_index().to_csv(west, index=False)
    assert "±1 m" in geo.read_points(west, crs="EPSG:4612").attrs["points"]["datum"]
    tokyo = geo.read_points(west, crs="EPSG:4301").attrs["points"]["datum"]
    assert "±12 m" in tokyo
    okinawa = tmp_path / "naha.csv"  # a Tokyo-datum point south of 31° N
    pd.DataFrame({"name": ["那覇"], "lon": [127.6792], "lat": [26.2124]}).to_csv(okinawa, index=False)
    assert "±650 m" in geo.read_points(okinawa, crs="EPSG:4301").attrs["points"]["datum"]
