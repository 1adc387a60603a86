"""The good-practice places of the policy document: the compiled file, its checks and the point layer."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
import shapely

import geo
from geo.codes import city_of
from geo.good_practices import DEFAULT_PATH, PILLARS


@pytest.fixture(scope="module")
def places(municipalities):
    return geo.read_good_practices(boundaries=municipalities)


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    with DEFAULT_PATH.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _codes(row) -> list[str]:
    other = row["other_codes"]
    return [row["muni_code"], *(other.split(";") if isinstance(other, str) and other else [])]


def test_one_point_per_row_of_the_file(places, rows):
    assert len(places) == len(rows) == 54
    assert list(places["id"]) == [r["id"] for r in rows]
    assert places["id"].is_unique
    assert places.crs.to_epsg() == 6668
    assert (places.geom_type == "Point").all()


def test_all_five_pillars_present_with_their_names(places):
    assert sorted(places["pillar"].unique()) == [1, 2, 3, 4, 5]
    assert places.groupby("pillar").size().to_dict() == {1: 16, 2: 17, 3: 6, 4: 9, 5: 6}
    assert (places["pillar_name"] == places["pillar"].map(PILLARS)).all()


def test_codes_are_real_areas_and_stay_strings(places, municipalities, designated_cities, prefectures):
    known = (
        set(municipalities["muni_code"].dropna())
        | set(designated_cities["muni_code"].dropna())
        | {c + "000" for c in prefectures["pref_code"]}
    )
    all_codes = [c for _, r in places.iterrows() for c in _codes(r)]
    assert all(isinstance(c, str) and len(c) == 5 for c in all_codes)
    assert set(all_codes) <= known
    assert "01633" in set(places["muni_code"])  # 上士幌町 keeps its leading zero
    single = places[places["scope"] == "municipality"]
    names = dict(zip(designated_cities["muni_code"], designated_cities["muni_name"], strict=True))
    names |= dict(zip(municipalities["muni_code"], municipalities["muni_name"], strict=True))
    assert (single["muni_name"] == single["muni_code"].map(names)).all()
    assert (places["pref_code"] == places["muni_code"].str[:2]).all()


def test_every_point_lies_inside_its_areas(places, municipalities, designated_cities, prefectures):
    shapes = dict(zip(designated_cities["muni_code"], designated_cities.geometry, strict=True))
    shapes |= dict(zip(municipalities["muni_code"], municipalities.geometry, strict=True))
    shapes |= {c + "000": g for c, g in zip(prefectures["pref_code"], prefectures.geometry, strict=True)}
    for _, row in places.iterrows():
        union = shapely.union_all([shapes[c] for c in _codes(row)])
        assert union.contains(row.geometry), row["id"]
    # a single-municipality row sits in that municipality and in no other
    hits = geo.assign_points(places[places["scope"] == "municipality"], municipalities)
    cities = hits["muni_code"].map(city_of)  # a designated city's point lies in one of its wards
    assert (cities == places.loc[hits.index, "muni_code"]).all()


def test_prefecture_rows_have_no_municipality(places):
    pref_rows = places[places["scope"] == "prefecture"]
    assert set(pref_rows["id"]) == {"1-01", "1-07", "3-06", "4-07", "5-03"}
    assert pref_rows["muni_code"].str.endswith("000").all()
    assert pref_rows["muni_name"].isna().all()


def _write(tmp_path: Path, edit) -> Path:
    table = pd.read_csv(DEFAULT_PATH, dtype=str, keep_default_na=False)
    result = edit(table)  # edits in place, or returns a new table
    table = table if result is None else result
    out = tmp_path / "gp.csv"
    table.to_csv(out, index=False)
    return out


def test_bad_rows_are_all_reported(tmp_path, municipalities):
    def edit(t):
        t.loc[2, "muni_code"] = "20299"  # no such municipality
        t.loc[5, "pillar"] = "6"
        t.loc[8, "muni_name"] = "高崎市"  # code is 前橋市
        t.loc[10, "id"] = t.loc[9, "id"]

    path = _write(tmp_path, edit)
    with pytest.raises(geo.ValidationError) as info:
        geo.read_good_practices(path, boundaries=municipalities)
    message = str(info.value)
    assert str(path) in message
    assert "row 4 (1-03), columns muni_code/other_codes: '20299'" in message
    assert "row 7 (1-06), column pillar: '6'" in message
    assert "row 10 (1-09), column muni_name: '高崎市'" in message and "'前橋市'" in message
    assert "row 12, column id: '1-10' is used more than once" in message
    assert len(info.value.problems) == 5  # the duplicated id is reported on both of its rows


def test_codes_without_leading_zero_or_wrong_scope_are_refused(tmp_path, municipalities):
    def edit(t):
        t.loc[16, "muni_code"] = "1633"  # 上士幌町 read through an integer column
        t.loc[0, "scope"] = "municipality"  # 31000 is a prefecture

    with pytest.raises(geo.ValidationError) as info:
        geo.read_good_practices(_write(tmp_path, edit), boundaries=municipalities)
    assert "'1633'" in str(info.value)
    assert "row 2 (1-01), column scope" in str(info.value)


def test_missing_column_and_missing_file(tmp_path, municipalities):
    path = _write(tmp_path, lambda t: t.drop(columns=["scope"]))
    with pytest.raises(geo.ValidationError, match="scope"):
        geo.read_good_practices(path, boundaries=municipalities)
    with pytest.raises(FileNotFoundError):
        geo.read_good_practices(tmp_path / "nope.csv", boundaries=municipalities)


def test_default_boundaries_are_the_pinned_n03_file(shared_data, places):
    # the default reads the pinned national file (through GEO_DATA_MIRROR here): same points as the fixture
    default = geo.read_good_practices()
    assert default["id"].tolist() == places["id"].tolist()
    assert default.geom_equals(places).all()
