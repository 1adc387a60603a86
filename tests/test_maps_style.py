"""Shared map styling: classes (mapclassify + no-data class), Japanese labels, palettes, number formatting."""

from __future__ import annotations

import dataclasses

import mapclassify
import numpy as np
import pandas as pd
import pytest

from geo import ValidationError
from geo.crs import area_km2
from geo.maps.spec import Layer, MapSpec, area_names, rank_text
from geo.maps.style import (
    ATTRIBUTION_N03,
    LAYER_STYLES,
    NODATA_COLOR,
    PALETTES,
    SCHEMES,
    Classes,
    PointStyle,
    PolygonStyle,
    classify,
    format_value,
    palette_colors,
)


def _assert_consistent(c: Classes, values) -> None:
    """labels, bins, counts and class_of tell the same story."""
    v = np.asarray(values, dtype=float)
    idx = c.class_of(v)
    assert len(c.bins) == len(c.labels) == len(c.colors) == len(c.counts) == c.k
    assert tuple(int((idx == i).sum()) for i in range(c.k)) == c.counts
    assert int((idx == -1).sum()) == c.nodata_count == int(np.isnan(v).sum())
    assert list(c.bins) == sorted(c.bins)
    for i in range(1, c.k):  # a value on a boundary belongs to the class that starts there (以上)
        assert c.class_of([c.bins[i - 1]])[0] == i
    assert len(set(c.labels)) == c.k


def test_attribution_text():
    assert ATTRIBUTION_N03 == "「国土数値情報（行政区域データ）」（国土交通省）を加工して作成"


def test_schemes_registry_is_mapclassify():
    assert SCHEMES["quantiles"] is mapclassify.Quantiles
    assert SCHEMES["fisher_jenks"] is mapclassify.FisherJenks
    assert SCHEMES["equal_interval"] is mapclassify.EqualInterval
    assert SCHEMES["user_defined"] is mapclassify.UserDefined
    assert sorted(SCHEMES) == ["equal_interval", "fisher_jenks", "quantiles", "user_defined"]


def test_fisher_jenks_partition_is_mapclassify_on_real_areas(municipalities):
    values = area_km2(municipalities)
    c = classify(values, scheme="fisher_jenks", k=6, unit="km²")
    fitted = mapclassify.FisherJenks(values, k=6)
    np.testing.assert_array_equal(c.class_of(values), fitted.yb)  # same partition, 以上/未満 wording
    assert c.counts == tuple(int(n) for n in fitted.counts)
    assert c.lower == pytest.approx(values.min()) and c.bins[-1] == pytest.approx(values.max())
    assert c.labels[0].endswith("km²未満") and "以上" in c.labels[0]
    assert c.labels[-1].endswith("km²以下")
    _assert_consistent(c, values)


def test_quantiles_with_no_data():
    values = [np.nan, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, None]
    c = classify(values, scheme="quantiles", k=5, unit="人")
    assert c.nodata_count == 2 and c.nodata_label == "データなし" and c.nodata_color == NODATA_COLOR
    assert sum(c.counts) == 10
    assert c.labels[0] == "1人以上 3人未満"
    assert c.labels[-1] == "9人以上 10人以下"
    assert c.color_of([np.nan, 1, 10]) == [NODATA_COLOR, c.colors[0], c.colors[-1]]
    _assert_consistent(c, [np.nan if x is None else x for x in values])


def test_quantiles_ties_merge_empty_classes_without_warning():
    values = [0, 0, 0, 0, 0, 0, 1, 2, 3, 4]
    c = classify(values, scheme="quantiles", k=5)  # mapclassify warns here; filterwarnings=error proves we don't
    assert 0 not in c.counts
    assert c.counts[0] == 6 and c.labels[0].startswith("0以上")
    assert any("merged" in n or "lowered" in n for n in c.notes)
    _assert_consistent(c, values)


def test_equal_interval_edges_are_even():
    values = np.arange(0, 101, dtype=float)
    c = classify(values, scheme="equal_interval", k=4)
    assert c.bins == (25.0, 50.0, 75.0, 100.0)
    assert c.labels == ("0以上 25未満", "25以上 50未満", "50以上 75未満", "75以上 100以下")
    assert c.counts == (25, 25, 25, 26)
    _assert_consistent(c, values)


def test_user_breaks():
    values = [5, 50, 500, 5000, np.nan, 1000]
    c = classify(values, breaks=[10, 1000], unit="人")  # breaks imply user_defined
    assert c.scheme == "user_defined"
    assert c.labels == ("10人未満", "10人以上 1,000人未満", "1,000人以上")
    assert c.counts == (1, 2, 2) and c.nodata_count == 1
    c2 = classify([1, 2], scheme="user_defined", breaks=[100, 200])  # classes beyond the data stay, empty
    assert c2.counts == (2, 0, 0)
    _assert_consistent(c, values)


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"scheme": "kmeans"}, "quantiles, fisher_jenks, equal_interval, user_defined"),
        ({"palette": "Rainbow"}, "YlOrRd"),
        ({"scheme": "user_defined"}, "needs breaks"),
        ({"scheme": "fisher_jenks", "breaks": [1]}, "only goes with"),
        ({"breaks": [5, 5]}, "strictly increasing"),
        ({"k": 0}, "k=0"),
    ],
)
def test_bad_options_name_the_fix(kwargs, needle):
    with pytest.raises(ValidationError, match=needle):
        classify([1, 2, 3], **kwargs)


def test_non_numeric_and_infinite_values_are_refused():
    with pytest.raises(ValidationError, match="infinite"):
        classify([1.0, np.inf, 2.0])
    with pytest.raises(ValidationError, match="not numeric"):
        classify(pd.Series(pd.to_datetime(["2020-01-01", "2021-01-01"])))


def test_all_missing_and_single_value():
    c = classify([np.nan, None])
    assert c.k == 0 and c.nodata_count == 2 and c.labels == ()
    assert c.color_of([np.nan]) == [NODATA_COLOR]
    one = classify([7, 7, 7, np.nan], unit="%")
    assert one.labels == ("7%",) and one.counts == (3,) and one.nodata_count == 1


def test_k_larger_than_distinct_values_is_lowered():
    c = classify([1, 2, 3], scheme="fisher_jenks", k=6)
    assert c.k == 3 and c.counts == (1, 1, 1)
    assert any("lowered" in n for n in c.notes)


def test_close_breaks_get_enough_digits():
    values = [0.1234, 0.1235, 0.5, 0.9]
    c = classify(values, scheme="quantiles", k=4)
    assert len(set(c.labels)) == c.k
    assert "0.1234" in c.labels[0] and "0.1235" in c.labels[1]
    _assert_consistent(c, values)


def test_breaks_reapplied_to_new_values():
    c = classify([10, 20, 30, 40, 50], scheme="equal_interval", k=2)
    assert list(c.class_of([-5, 29.9, 30, 999, np.nan])) == [0, 0, 1, 1, -1]


def test_format_value():
    assert format_value(1234567) == "1,234,567"
    assert format_value(1234567, unit="人") == "1,234,567人"
    assert format_value(35.2149, unit="%") == "35.2%"
    assert format_value(0.01234) == "0.0123"
    assert format_value(-1234.5) == "-1,234.5"
    assert format_value(-0.0001, decimals=1) == "0.0"
    assert format_value(np.nan) == "データなし" and format_value(None) == "データなし"
    assert format_value(pd.NA) == "データなし"
    assert format_value(np.int64(12)) == "12"


def test_palettes():
    assert palette_colors("YlOrRd", 9) == PALETTES["YlOrRd"].anchors
    assert palette_colors("Blues", 3) == ("#f7fbff", "#6baed6", "#08306b")
    assert palette_colors("Blues_r", 3) == ("#08306b", "#6baed6", "#f7fbff")
    five = palette_colors("RdBu", 5)
    assert five[2] == "#f7f7f7" and len(set(five)) == 5  # diverging: the middle class is neutral
    for name, pal in PALETTES.items():
        for k in range(1, 10):
            cols = pal.colors(k)
            assert len(cols) == k and all(len(x) == 7 and x.startswith("#") for x in cols), name
    grey = classify([1, 2, np.nan], palette="Greys", k=2)
    assert grey.nodata_color not in grey.colors


def test_classes_are_frozen_and_legend_items():
    c = classify([1, 2, 3, np.nan], scheme="equal_interval", k=3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.k_value = 3  # type: ignore[attr-defined]
    items = c.legend_items()
    assert items[-1] == (NODATA_COLOR, "データなし", 1) and len(items) == 4
    assert classify([1, 2, 3], k=3).legend_items()[-1][1] != "データなし"
    assert c.title_ja == "等間隔・3階級"


def test_layer_styles_shared():
    assert isinstance(LAYER_STYLES["gap_points"], PointStyle)
    assert isinstance(LAYER_STYLES["hub_buffers"], PolygonStyle) and LAYER_STYLES["hub_buffers"].dash
    assert LAYER_STYLES["region_outline"].fill_color is None


def test_spec_names_ranks(prefectures):
    areas = prefectures.copy()
    areas["v"] = np.arange(len(areas), dtype=float)
    areas.loc[areas.index[0], "v"] = np.nan
    spec = MapSpec(areas=areas, column="v", classes=classify(areas["v"]))
    assert spec.names().iloc[12] == "東京都"
    ranks = spec.ranks()
    assert np.isnan(ranks.iloc[0]) and ranks.iloc[-1] == 1 and ranks.max() == 46
    assert spec.attribution_text() == ATTRIBUTION_N03
    assert rank_text(12, 1741) == "1,741中 12位" and rank_text(np.nan, 5) == "順位なし"
    wards = pd.DataFrame({"pref_name": ["北海道", "東京都"], "muni_name": ["札幌市中央区", None]})
    assert area_names(wards).tolist() == ["北海道札幌市中央区", "東京都"]
    layer = Layer("points", areas.head(0), "x")
    assert layer.resolved_style() == LAYER_STYLES["points"] and not layer.clustered()


def _side(color: str) -> str:
    r, _, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return "red" if r > b else "blue" if b > r else "neutral"


@pytest.mark.parametrize(
    ("scheme", "kwargs"),
    [("quantiles", {"k": 5}), ("fisher_jenks", {"k": 5}), ("equal_interval", {"k": 4}),
     ("user_defined", {"breaks": [-6, -4, -2, 3]})],
)  # fmt: skip
def test_diverging_classes_never_mix_decline_and_growth(scheme, kwargs):
    rng = np.random.default_rng(1)
    values = np.r_[rng.uniform(-8, -0.1, 40), rng.uniform(0.1, 1.5, 10), [0.0]]  # mostly decline, as in 2015→2020
    c = classify(values, scheme=scheme, palette="RdBu", **kwargs)
    idx = c.class_of(values)
    for i in range(c.k):
        members = values[idx == i]
        assert (members < 0).all() or (members >= 0).all(), f"class {c.labels[i]} mixes both sides of 0"
        if len(members):  # decline in reds, growth (and no change) in blues, never the neutral white
            assert _side(c.colors[i]) == ("red" if members[0] < 0 else "blue"), c.labels[i]
    assert 0.0 in (c.lower, *c.bins[:-1])  # the midpoint is a class boundary
    assert c.midpoint == 0.0


def test_diverging_colours_are_symmetric_and_midpoint_can_move():
    c = classify([-3, -1, 1, 3], scheme="user_defined", breaks=[-2, 0, 2], palette="RdBu")
    assert [_side(x) for x in c.colors] == ["red", "red", "blue", "blue"]
    light = [_hex_sum(x) for x in c.colors]
    assert light[1] > light[0] and light[2] > light[3]  # paler next to the midpoint, darker away from it
    moved = classify([5, 8, 12, 15], scheme="quantiles", k=2, palette="RdBu", midpoint=10)
    assert [_side(x) for x in moved.color_of([5, 8, 12, 15])] == ["red", "red", "blue", "blue"]
    assert classify([1, 2, 3], palette="YlOrRd").midpoint is None  # sequential palettes: no midpoint


def _hex_sum(color: str) -> int:
    return sum(int(color[i : i + 2], 16) for i in (1, 3, 5))


def test_legend_hides_empty_classes_but_keeps_colours():
    c = classify([1, 2, 3], scheme="user_defined", breaks=[2, 5])
    assert c.counts == (1, 2, 0)
    assert [label for _, label, _ in c.legend_items()] == ["2未満", "2以上 5未満"]
    assert len(c.legend_items(include_empty=True)) == 3
    assert c.color_of([10]) == [c.colors[2]]  # a later value in the empty class still gets its colour
