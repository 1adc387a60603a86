"""Metric CRS choice: the prefecture's plane rectangular zone, nearest zone, or national equal-area."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
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
