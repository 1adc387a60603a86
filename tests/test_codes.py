"""Code normalisation as users meet it: integers without leading zeros, check digits, full-width, names."""

from __future__ import annotations

import pandas as pd
import pytest

from geo import ValidationError
from geo.codes import (
    DESIGNATED_CITIES,
    check_digit,
    city_of,
    is_ward,
    muni_table,
    normalize_muni_code,
    normalize_muni_codes,
    normalize_pref_code,
    pref_name,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1, "01"), ("1", "01"), ("01", "01"), ("０１", "01"), ("東京都", "13"), ("東京", "13"), ("北海道", "01"),
     ("大阪府", "27"), ("010006", "01"), ("13000", "13"), (47, "47")],
)  # fmt: skip
def test_pref_codes(value, expected):
    assert normalize_pref_code(value) == expected


@pytest.mark.parametrize("value", [0, 48, "東京県", "", None, "010007"])
def test_pref_codes_rejected(value):
    with pytest.raises(ValidationError):
        normalize_pref_code(value)


def test_check_digits_of_known_codes():
    # 札幌市 011002, 千代田区 131016, 札幌市中央区 011011 (remainder 0 → digit 1), 函館市 012025
    assert [check_digit(c) for c in ("01100", "13101", "01101", "01202")] == [2, 6, 1, 5]


@pytest.mark.parametrize(
    ("value", "pref", "expected"),
    [(1101, None, "01101"), ("01101", None, "01101"), ("011011", None, "01101"), ("１３１０１", None, "13101"),
     (13101.0, None, "13101"), ("13101.0", None, "13101"), ("府中市", "東京都", "13206"), ("府中市", 34, "34208"),
     ("東京都府中市", None, "13206"), ("札幌市中央区", None, "01101"), ("札幌市", None, "01100"),
     ("古宇郡泊村", None, "01403"), ("泊村", "01", None)],
)  # fmt: skip
def test_muni_codes(value, pref, expected):
    if expected is None:  # 泊村 exists twice in Hokkaido (古宇郡 and 国後郡)
        with pytest.raises(ValidationError, match=r"ambiguous: 01403 \(北海道\), 01696"):
            normalize_muni_code(value, pref=pref)
    else:
        assert normalize_muni_code(value, pref=pref) == expected


def test_ambiguous_name_lists_candidates_and_fix():
    with pytest.raises(ValidationError) as err:
        normalize_muni_code("府中市")
    assert "13206 (東京都)" in str(err.value) and "34208 (広島県)" in str(err.value)
    assert "prefecture" in str(err.value)


@pytest.mark.parametrize("value", ["011002x", "011003", "99101", "123", "どこか市", ""])
def test_bad_muni_codes(value):
    with pytest.raises(ValidationError):
        normalize_muni_code(value)


def test_vectorised_reports_each_bad_row_without_dropping():
    values = pd.Series([1101, "011011", "府中市", "999999", None], index=[10, 11, 12, 13, 14])
    prefs = pd.Series([None, None, "広島県", None, None], index=values.index)
    out = normalize_muni_codes(values, prefs=prefs)
    assert out.index.tolist() == values.index.tolist()
    assert out["code"].tolist()[:3] == ["01101", "01101", "34208"]
    assert out["code"].isna().tolist() == [False, False, False, True, True]
    assert out["problem"].notna().sum() == 2


def test_table_and_designated_cities():
    table = muni_table()
    assert len(table) == 1902 and table["muni_code"].is_unique
    assert table["muni_code"].str.fullmatch(r"\d{5}").all()
    wards = table[table["city_code"] != table["muni_code"]]
    assert set(wards["city_code"]) == set(DESIGNATED_CITIES)
    assert all(city_of(c) == city for c, city in zip(wards["muni_code"], wards["city_code"], strict=True))
    assert not any(is_ward(c) for c in table.loc[table["city_code"] == table["muni_code"], "muni_code"])
    assert city_of("13101") == "13101" and not is_ward("13101")  # Tokyo special wards are municipalities
    assert pref_name("１３") == "東京都"


def test_clean_codes_take_the_fast_path_with_the_full_paths_answer():
    """Canonical, known codes on rows whose prefecture agrees skip the per-value path: the answer is the same as
    the full path's (forced here by a leading space, which the full path strips), tricky rows included."""
    from geo.codes import muni_table, normalize_muni_codes

    table = muni_table()
    values = [*table["muni_code"], "12106", "01210", "13101", "99999", "0110", "１３１０１", None, "13101"]
    prefs = [*table["muni_code"].str[:2], "01", "01", "27", None, "13", "13", "13", "13"]
    values_s, prefs_s = pd.Series(values, dtype=object), pd.Series(prefs, dtype=object)
    fast = normalize_muni_codes(values_s, prefs=prefs_s)
    full = normalize_muni_codes(values_s.map(lambda v: v if v is None else f" {v}"), prefs=prefs_s)
    pd.testing.assert_series_equal(fast["code"], full["code"])
    pd.testing.assert_series_equal(fast["problem"].isna(), full["problem"].isna())
    pd.testing.assert_series_equal(fast["note"].isna(), full["note"].isna())
    assert fast["code"].iloc[: len(table)].tolist() == table["muni_code"].tolist()
    assert fast["problem"].iloc[len(table) + 2] is not pd.NA  # 13101 on a row of prefecture 27: refused
