"""Indicator tables: read them as planners bring them, join at the right level, report every miss, derive."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import geo
from geo import ValidationError
from geo.boundaries import NORTHERN_TERRITORIES
from geo.cli import cli
from geo.indicators import add_change, add_density, add_rate, aggregate_to_prefectures, aggregate_wards, join_indicators
from geo.tables import read_indicators, table_level

SSDSE_A_RAW = "ssdse-a-municipal-indicators/raw/SSDSE-A-2026.csv"
SSDSE_A = "ssdse-a-municipal-indicators/municipal_indicators.csv"
CENSUS = "census2020-preliminary-municipal-wards/census2020_preliminary_population.csv"
JUKI_RAW = "juki-population-municipal-2016-2022/raw/juki_20210101.csv"
JUKI = "juki-population-municipal-2016-2022/juki_population_2016_2022.csv"
SSDSE_E_RAW = "ssdse-e-prefecture-indicators/raw/SSDSE-E-2022v2.csv"
SSDSE_E = "ssdse-e-prefecture-indicators/prefecture_indicators.csv"
IPSS = "ipss2018-prefecture-projection/ipss2018_prefecture_population_2015_2045.csv"


@pytest.fixture(scope="module")
def census(shared_data):
    return read_indicators(shared_data / CENSUS)


@pytest.fixture(scope="module")
def ssdse_a(shared_data):
    return read_indicators(shared_data / SSDSE_A)


# ------------------------------------------------------------------------------------------- real data


def test_ssdse_a_raw_cp932_joins_every_municipality_at_designated_city_level(shared_data, designated_cities):
    table = read_indicators(shared_data / SSDSE_A_RAW)
    meta = table.attrs["indicators"]
    assert (meta["encoding"], meta["level"], meta["code_column"]) == ("cp932", "municipality", "地域コード")
    assert meta["header_rows"] == [1, 2, 3]  # item code, year, Japanese label
    assert meta["item_codes"]["総人口"] == "A1101" and meta["years"]["総人口"] == "2020"
    assert len(table) == 1741 and table["muni_code"].str.fullmatch(r"\d{5}").all()
    assert table.loc[table["muni_code"] == "13101", "source_row"].item() > 3
    assert table_level(table) == "designated_city"

    joined, report = join_indicators(designated_cities, table)
    assert report.matched == 1741 and report.n_areas == 1747
    assert sorted(report.unmatched_areas["code"]) == sorted(NORTHERN_TERRITORIES)
    assert report.unmatched_rows.empty
    # the sum after the join equals the table's own total, to the person
    assert joined["総人口"].sum() == table["総人口"].sum() == 126_146_099
    assert len(joined) == len(designated_cities)
    assert joined.set_index("muni_code").at["01100", "総人口"] == 1_973_395


def test_ssdse_a_utf8_derived_file_joins_the_same(ssdse_a, designated_cities):
    joined, report = join_indicators(designated_cities, ssdse_a)
    assert report.matched == 1741 and ssdse_a.attrs["indicators"]["encoding"] == "utf-8-sig"
    assert joined["pop_2020"].sum() == ssdse_a["pop_2020"].sum() == 126_146_099
    assert "pref_code_table" not in joined.columns  # the table's own pref_code does not clash


def test_whole_city_table_against_wards_is_refused_with_the_fix(ssdse_a, municipalities):
    with pytest.raises(ValidationError, match=r"level='designated_city'") as err:
        join_indicators(municipalities, ssdse_a)
    assert "札幌市" in str(err.value)


def test_census_ward_level_joins_1896_of_1902_and_reports_the_rest(census, municipalities):
    before_table, before_areas = census.copy(), municipalities.copy()
    joined, report = join_indicators(municipalities, census)
    pd.testing.assert_frame_equal(census, before_table)  # inputs are never modified
    pd.testing.assert_frame_equal(municipalities, before_areas)
    assert (report.matched, report.n_areas) == (1896, 1902)
    assert sorted(report.unmatched_areas["code"]) == sorted(NORTHERN_TERRITORIES)
    assert report.unmatched_areas["reason"].str.contains("Northern Territories").all()
    rows = report.unmatched_rows
    # nothing dropped silently: every table row is matched or listed with its reason and file row
    assert report.matched + len(rows) == len(census) == 1965
    assert rows["kind"].value_counts().to_dict() == {
        "prefecture": 47, "designated_city": 20, "national": 1, "tokyo_wards_total": 1,
    }  # fmt: skip
    assert rows.set_index("code").at["13100", "source_row"] == census.set_index("muni_code").at["13100", "source_row"]
    # wards, not city totals nor 特別区部, are summed: the join adds up to the table's 全国 row
    national = census.loc[census["muni_code"].isna(), "pop_total"].item()
    assert joined["pop_total"].sum() == national == 126_226_568
    assert report.totals["pop_total"]["equal"]
    assert joined.set_index("muni_code").at["01101", "pop_total"] == 248_840
    text = str(report)
    assert "1,896 / 1,902" in text and "特別区部" in text and "色丹村" in text
    json.dumps(report.to_dict(), ensure_ascii=False)  # manifest-ready


def test_census_at_designated_city_level_joins_city_rows_and_lists_wards(census, designated_cities):
    joined, report = join_indicators(designated_cities, census)
    assert report.matched == 1741
    assert (report.unmatched_rows["kind"] == "ward").sum() == 175
    assert joined["pop_total"].sum() == 126_226_568


def test_juki_raw_cp932_ward_level_with_county_totals(shared_data, municipalities):
    table = read_indicators(shared_data / JUKI_RAW)
    meta = table.attrs["indicators"]
    assert meta["encoding"] == "cp932" and meta["skipped_rows"][0][1].startswith("注")
    joined, report = join_indicators(municipalities, table)
    assert report.matched == 1902
    reasons = report.unmatched_rows["reason"]
    assert reasons.str.startswith("郡計").sum() == 307
    value = next(c for c in table.columns if c.endswith("（人）"))
    assert joined[value].sum() == table.loc[table["muni_code"].isna(), value].item() == 126_654_244
    # 合計, prefecture, designated-city, 郡 and 島しょ rows beside their parts: each person is summed once
    prefs = aggregate_to_prefectures(table, sum_columns=[value]).set_index("pref_code")[value]
    own = table[table["muni_code"].str.endswith("000", na=False)]
    assert prefs.to_dict() == own.set_index(own["muni_code"].str[:2])[value].to_dict()


def test_moved_codes_are_reported_with_a_suggestion_by_name(shared_data, municipalities):
    table = read_indicators(shared_data / JUKI)
    _, report = join_indicators(municipalities, table)
    moved = report.unmatched_rows.set_index("code")
    assert moved.at["04423", "suggestion"] == "04216 富谷市"
    assert moved.at["40305", "suggestion"] == "40231 那珂川市"
    assert moved.at["04423", "source_row"] == 331  # the row in the file, header included
    assert "→ 04216 富谷市?" in str(report)


def test_prefecture_tables_join_prefectures_only(shared_data, prefectures, municipalities):
    raw = read_indicators(shared_data / SSDSE_E_RAW)
    assert raw.attrs["indicators"]["level"] == "prefecture" and raw.attrs["indicators"]["encoding"] == "cp932"
    joined, report = join_indicators(prefectures, raw)
    assert report.matched == 47 and report.unmatched_rows["kind"].tolist() == ["national"]
    assert joined["総人口"].sum() == 126_146_099 and report.totals["総人口"]["equal"]
    projection = read_indicators(shared_data / IPSS)
    joined, report = join_indicators(prefectures, projection)
    assert report.matched == 47 and joined["pop_2045"].sum() == 106_421_185
    with pytest.raises(ValidationError, match="level='prefecture'"):
        join_indicators(municipalities, projection)


def test_ward_only_table_needs_aggregate_wards_for_whole_cities(census, designated_cities):
    wards_only = census[census["muni_code"].map(lambda c: c not in geo.codes.DESIGNATED_CITIES)]
    with pytest.raises(ValidationError, match="aggregate_wards"):
        join_indicators(designated_cities, wards_only)
    cities = aggregate_wards(wards_only, sum_columns=["pop_total", "pop_male", "pop_female"])
    assert cities.attrs["aggregate_wards"]["summed_into"] == sorted(geo.codes.DESIGNATED_CITIES)
    joined, report = join_indicators(designated_cities, cities)
    assert report.matched == 1741
    kept = aggregate_wards(census)  # the city rows are there already: they are kept, the wards left out
    assert len(kept.attrs["aggregate_wards"]["kept_city_rows"]) == 20 and len(kept) == len(census) - 175
    by_code = joined.set_index("muni_code")["pop_total"]
    original = census.set_index("muni_code")["pop_total"]
    assert all(by_code[c] == original[c] for c in geo.codes.DESIGNATED_CITIES)  # wards sum to the city rows


def test_aggregate_to_prefectures_sums_counts_and_recomputes_rates(shared_data, ssdse_a, census):
    prefs = aggregate_to_prefectures(
        ssdse_a, sum_columns=["pop_2020", "pop_65plus_2020"],
        rate_columns={"ageing_rate": ("pop_65plus_2020", "pop_2020", 100)},
    )  # fmt: skip
    official = pd.read_csv(shared_data / SSDSE_E, dtype={"pref_code": str}).set_index("pref_code")
    got = prefs.set_index("pref_code")
    assert len(prefs) == 47 and (got["pop_2020"] == official["pop_2020"]).all()
    expected = official["pop_65plus_2020"] / official["pop_2020"] * 100
    assert np.allclose(got["ageing_rate"], expected)
    averaged = (ssdse_a["pop_65plus_2020"] / ssdse_a["pop_2020"] * 100).groupby(ssdse_a["muni_code"].str[:2]).mean()
    assert (abs(averaged - got["ageing_rate"]) > 1).any()  # averaging rates would have been wrong
    # a table with 全国, prefectures, 特別区部, city totals and wards: each person counted once
    with pytest.raises(ValidationError, match="07546"):  # 双葉町 has no value: the policy must be chosen
        aggregate_to_prefectures(census, sum_columns=["pop_total"])
    summed = aggregate_to_prefectures(census, sum_columns=["pop_total"], missing="skip").set_index("pref_code")
    own = census[census["muni_code"].str.endswith("000", na=False)]
    own = own.set_index(own["muni_code"].str[:2])["pop_total"]
    assert len(summed) == 47 and (summed["pop_total"] == own.reindex(summed.index)).all()
    assert summed.at["07", "n_missing"] == 1
    assert "13100" in summed.attrs["aggregate_to_prefectures"]["left_out"]


def test_aggregate_to_prefectures_of_joined_areas_keeps_geometry(ssdse_a, designated_cities):
    joined, _ = join_indicators(designated_cities, ssdse_a)
    yamanashi = joined[joined["pref_code"] == "19"]
    prefs = aggregate_to_prefectures(yamanashi, sum_columns=["pop_2020"], missing="raise")
    assert len(prefs) == 1 and prefs.crs == designated_cities.crs and prefs.geometry.iloc[0].area > 0
    assert prefs["pop_2020"].item() == 809_974


def test_derived_measures(ssdse_a, designated_cities):
    joined, _ = join_indicators(designated_cities, ssdse_a)
    before = joined.copy()
    out = add_density(joined, "pop_2020")
    out = add_rate(out, "pop_65plus_2020", "pop_2020", per=100, name="ageing_rate")
    out = add_rate(out, "clinics_2023", "pop_2020", per=1000, name="clinics_per_1000")
    out = add_change(out, "pop_2015", "pop_2020", name="pop_change_pct")
    out = add_change(out, "pop_2015", "pop_2020", name="pop_change", percent=False)
    pd.testing.assert_frame_equal(joined, before)  # inputs are never modified
    row = out.set_index("muni_code").loc["13101"]
    assert row["pop_2020_per_km2"] == pytest.approx(66_680 / 11.66, rel=0.05)  # N03 1 % simplified vs official area
    assert row["pop_change_pct"] == pytest.approx((66_680 - 58_406) / 58_406 * 100)
    assert row["pop_change"] == 66_680 - 58_406
    futaba = out.set_index("muni_code").loc["07546"]  # 0 inhabitants in 2020: a rate is missing, not 0 or inf
    assert pd.isna(futaba["ageing_rate"]) and pd.isna(futaba["clinics_per_1000"])
    assert out["pop_2020_per_km2"].notna().sum() == 1741
    official = add_density(ssdse_a, "pop_2020", area_km2_column="area_km2_2024", name="density")
    assert official.set_index("muni_code").at["13101", "density"] == pytest.approx(66_680 / 11.66)
    with pytest.raises(ValidationError, match="area_km2_column"):
        add_density(ssdse_a, "pop_2020")


def test_cli_join_writes_geopackage_csv_and_report(shared_data, tmp_path):
    import geopandas as gpd

    out = tmp_path / "outputs" / "ssdse"
    n03 = shared_data / "japan-topography-n03-2021/topojson/s0010/N03-21_210101.json"
    result = CliRunner().invoke(cli, ["join", str(shared_data / SSDSE_A_RAW), "--areas", str(n03), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "1,741 / 1,747" in result.output and "北方領土" in result.output
    layer = gpd.read_file(out / "layers.gpkg", layer="areas")
    assert layer["総人口"].sum() == 126_146_099 and layer.crs.to_epsg() == 6668
    csv = pd.read_csv(out / "areas.csv", dtype={"muni_code": str}, encoding="utf-8-sig")
    assert csv["muni_code"].iloc[0] == "01100" and "geometry" not in csv.columns
    report = json.loads((out / "report.json").read_text("utf-8"))
    assert report["matched"] == 1741 and report["boundary_level"] == "designated_city"
    assert sorted(p.name for p in out.iterdir()) == ["areas.csv", "layers.gpkg", "report.json"]
    wrong = CliRunner().invoke(cli, ["join", str(shared_data / IPSS), "--areas", str(n03), "--level", "municipality",
                                     "-o", str(tmp_path / "x")])  # fmt: skip
    assert isinstance(wrong.exception, ValidationError) and not (tmp_path / "x").exists()


def test_cli_join_ward_table_for_one_prefecture(shared_data, tmp_path, municipalities):
    n03 = shared_data / "japan-topography-n03-2021/topojson/s0010/N03-21_210101.json"
    out = tmp_path / "hokkaido"
    args = ["join", str(shared_data / CENSUS), "--areas", str(n03), "--prefecture", "北海道", "-o", str(out), "--json"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    hokkaido = municipalities[municipalities["pref_code"] == "01"]["muni_code"].dropna()
    assert report["boundary_level"] == "municipality" and report["areas"] == len(hokkaido)
    assert report["matched"] == len(hokkaido) - 6  # the Northern Territories villages, listed
    assert {r["code"] for r in report["unmatched_areas"]} == set(NORTHERN_TERRITORIES)
    # rows of the other 46 prefectures were not asked for: counted once, not listed as failures (geo.analyses.join,
    # the same rule as a config run)
    census = pd.read_csv(shared_data / CENSUS, dtype=str)
    others = census[(census["level"] != "1") & (census["code"].str.zfill(5).str[:2] != "01")]  # not 全国
    assert report["rows_outside_selection"] == len(others) > 1700
    assert not [r for r in report["unmatched_rows"] if r["reason"] == "prefecture not among the areas"]


# ----------------------------------------------------------------------------------------- bad input


def _write(path, text: str, encoding: str = "utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def test_cp932_codes_without_leading_zeros_and_full_width_digits(tmp_path):
    path = _write(
        tmp_path / "人口.csv",
        "市区町村コード,市区町村名,人口\n1100,札幌市,1973395\n１３１０１,千代田区,66680\n011002,札幌市（重複なし）,\n",
        "cp932",
    )
    with pytest.raises(ValidationError, match="01100 appears 2 times"):
        read_indicators(path)
    path = _write(
        tmp_path / "人口2.csv",
        "市区町村コード,市区町村名,人口\n1100,札幌市,1973395\n１３１０１,千代田区,66680\n",
        "cp932",
    )
    table = read_indicators(path)
    assert table["muni_code"].tolist() == ["01100", "13101"]
    assert table.attrs["indicators"]["encoding"] == "cp932" and table["人口"].dtype == "Int64"


def test_duplicated_code_names_file_rows_and_column(tmp_path):
    path = _write(tmp_path / "dup.csv", "code,name,pop\n13101,千代田区,1\n13102,中央区,2\n13101,千代田区,3\n")
    with pytest.raises(ValidationError) as err:
        read_indicators(path)
    assert "dup.csv" in str(err.value) and "rows 2, 4" in str(err.value) and "'code'" in str(err.value)


def test_blank_code_names_file_row_and_column(tmp_path):
    path = _write(tmp_path / "blank.csv", "code,name,pop\n13101,千代田区,1\n,中央区,2\n")
    with pytest.raises(ValidationError, match=r"blank\.csv: row 3, column 'code': the code is empty"):
        read_indicators(path)


def test_text_in_a_numeric_column_names_file_row_and_column(tmp_path):
    path = _write(tmp_path / "pop.csv", 'code,name,pop\n13101,千代田区,"66,680"\n13102,中央区,約17万\n13103,港区,△5\n')
    with pytest.raises(ValidationError, match=r"pop\.csv: row 3, column 'pop': '約17万' is not a number"):
        read_indicators(path)
    # e-Stat markers: "-" (該当なし) is 0, "x" (秘匿) is missing and flagged; △ is a minus (a change may be negative)
    fixed = _write(
        tmp_path / "pop2.csv",
        'code,name,change\n13101,千代田区,"66,680"\n13102,中央区,-\n13103,港区,△5\n13104,新宿区,x\n',
    )
    table = read_indicators(fixed)
    assert table["change"].tolist()[:3] == [66_680, 0, -5] and pd.isna(table["change"][3])
    assert table["change_秘匿"].tolist() == [False, False, False, True]
    assert table.attrs["indicators"]["missing_markers"] == {"change": 1}


def test_names_instead_of_codes(tmp_path):
    good = _write(
        tmp_path / "names.csv",
        "都道府県,市区町村,人口\n東京都,府中市,260274\n広島県,府中市,37655\n北海道,札幌市,1\n",
    )
    table = read_indicators(good)
    assert table["muni_code"].tolist() == ["13206", "34208", "01100"]
    ambiguous = _write(tmp_path / "names2.csv", "市区町村,人口\n千代田区,1\n府中市,260274\n存在しない市,3\n")
    with pytest.raises(ValidationError) as err:
        read_indicators(ambiguous)
    message = str(err.value)
    assert "names2.csv: row 3, column '市区町村': '府中市' is ambiguous" in message
    assert "row 4, column '市区町村'" in message and "2 problems" in message


def test_wrong_check_digit(tmp_path):
    path = _write(tmp_path / "cd.csv", "団体コード,人口\n011002,1\n011003,2\n")
    with pytest.raises(ValidationError, match=r"cd\.csv: row 3, column '団体コード': .*check digit"):
        read_indicators(path)


def test_encodings(tmp_path):
    text = "code,name,pop\n13101,千代田区,66680\n"
    for encoding, expected in (
        ("utf-8", "utf-8-sig"),
        ("utf-8-sig", "utf-8-sig"),
        ("cp932", "cp932"),
        ("utf-16", "utf-16"),
    ):
        table = read_indicators(_write(tmp_path / f"{encoding}.csv", text, encoding))
        assert table.attrs["indicators"]["encoding"] == expected and table["name"].item() == "千代田区"
    broken = tmp_path / "broken.csv"
    broken.write_bytes(b"code,name,pop\n13101,x,1\n13102,\x80\xfd,2\n")
    with pytest.raises(ValidationError, match=r"broken\.csv: the file is neither UTF-8 nor CP932.*row 3"):
        read_indicators(broken)
    cp932 = _write(tmp_path / "sjis.csv", text, "cp932")
    with pytest.raises(ValidationError, match=r"sjis\.csv: row 2: byte 0x.. is not valid utf-8"):
        read_indicators(cp932, encoding="utf-8")


def test_header_problems(tmp_path):
    path = _write(tmp_path / "h.csv", "地域,人口\nどこか,1\n")
    with pytest.raises(ValidationError, match=r"h\.csv: no code column found.*code_column"):
        read_indicators(path)
    path = _write(tmp_path / "h2.csv", "code,pop\n13101,1\n")
    with pytest.raises(ValidationError, match=r"code_column='JIS'.*headers seen: code, pop"):
        read_indicators(path, code_column="JIS")


def test_ssdse_style_three_header_rows_and_a_note_row(tmp_path):
    text = (
        "SSDSE-A-2099,Prefecture,Municipality,A1101,A1303\n"
        ",,年度,2020,2020\n"
        "地域コード,都道府県,市区町村,総人口,65歳以上人口\n"
        "R13101,東京都,千代田区,66680,11000\n"
        "R13102,東京都,中央区,169179,20000\n"
        "\n"
        "注：架空の値を含む（テスト用）\n"
    )
    table = read_indicators(_write(tmp_path / "ssdse.csv", text, "cp932"), code_column="地域コード")
    meta = table.attrs["indicators"]
    assert list(table.columns) == [
        "muni_code",
        "source_row",
        "都道府県",
        "市区町村",
        "総人口",
        "65歳以上人口",
    ]
    assert meta["item_codes"] == {"総人口": "A1101", "65歳以上人口": "A1303"}
    assert table["source_row"].tolist() == [4, 5] and meta["skipped_rows"] == [(7, "注：架空の値を含む（テスト用）")]


def test_excel_with_a_title_row(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "人口"
    sheet.append(["令和2年国勢調査 市区町村別人口（単位：人）"])
    sheet.append([])
    sheet.append(["市区町村コード", "市区町村名", "人口"])
    sheet.append([1100, "札幌市", 1973395])  # Excel stored the code as a number: the zero is gone
    sheet.append(["13101", "千代田区", "不詳"])
    path = tmp_path / "人口.xlsx"
    book.save(path)
    with pytest.raises(
        ValidationError, match=r"人口\.xlsx, sheet '人口': row 5, column '人口': '不詳' is not a number"
    ):
        read_indicators(path)
    sheet["C5"] = 66680
    book.create_sheet("メモ")
    book.save(path)
    with pytest.raises(ValidationError, match=r"2 sheets \(人口, メモ\): pass sheet="):
        read_indicators(path)
    table = read_indicators(path, sheet="人口")
    assert table["muni_code"].tolist() == ["01100", "13101"] and table["source_row"].tolist() == [4, 5]
    assert table.attrs["indicators"]["header_rows"] == [1, 2, 3] and table["人口"].sum() == 1973395 + 66680


def test_codes_that_moved_get_suggestions(tmp_path, municipalities):
    text = (
        "code,name,pop\n12402,大網白里町,49000\n22138,浜松市中央区,1\n22131,浜松市中区,2\n"
        "13100,特別区部,9\n13101,千代田区,5\n"
    )
    table = read_indicators(_write(tmp_path / "old.csv", text))
    chiba_tokyo_shizuoka = municipalities[municipalities["pref_code"].isin(["12", "13", "22"])]
    joined, report = join_indicators(chiba_tokyo_shizuoka, table)
    rows = report.unmatched_rows.set_index("code")
    assert rows.at["12402", "suggestion"] == "12239 大網白里市"
    assert rows.at["22138", "suggestion"] == "22130" and "2024-01-01" in rows.at["22138", "reason"]
    assert rows.at["13100", "kind"] == "tokyo_wards_total"
    areas = report.unmatched_areas.set_index("code")
    assert areas.at["12239", "suggestion"] == "row 2: 12402 大網白里町"
    assert joined["pop"].sum() == 7  # 13100 is never added beside 千代田区


def test_join_rejects_a_frame_without_codes_and_bad_how(municipalities):
    with pytest.raises(ValidationError, match="read_indicators"):
        join_indicators(municipalities, pd.DataFrame({"x": [1]}))
    with pytest.raises(ValidationError, match="how='outer'"):
        join_indicators(municipalities, pd.DataFrame({"muni_code": ["13101"]}), how="outer")  # type: ignore[arg-type]


def test_cli_join_never_says_the_23_wards_were_joined_when_the_table_has_none(shared_data, tmp_path):
    """特別区部 13100 was described as 'joined one by one' although no ward row existed in the table."""
    census = pd.read_csv(shared_data / CENSUS, dtype=str)
    tokyo = census[census["code"].str.startswith("13") & ~census["code"].str.match(r"^131(0[1-9]|1\d|2[0-3])$")]
    src = tmp_path / "tokyo_without_wards.csv"
    tokyo.to_csv(src, index=False)
    n03 = shared_data / "japan-topography-n03-2021/topojson/s0010/N03-21_210101.json"
    args = ["join", str(src), "--areas", str(n03), "--prefecture", "東京都", "-o", str(tmp_path / "o"), "--json"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    (row,) = [r for r in report["unmatched_rows"] if r["code"] == "13100"]
    assert "not joined: the table has no row for any ward" in row["reason"] and "one by one" not in row["reason"]
    assert {f"131{i:02d}" for i in range(1, 24)} <= {r["code"] for r in report["unmatched_areas"]}
    # with the wards present, the total is described as joined ward by ward, as before
    full = CliRunner().invoke(
        cli, ["join", str(shared_data / CENSUS), *args[2:-3], "-o", str(tmp_path / "f"), "--json"]
    )
    (row,) = [r for r in json.loads(full.output)["unmatched_rows"] if r["code"] == "13100"]
    assert "joined one by one" in row["reason"]


def test_cli_join_names_a_city_row_that_disagrees_with_its_wards(shared_data, tmp_path):
    """A designated city's own row that differed from the sum of its wards in the same table was joined silently."""
    raw = shared_data / "juki-population-municipal-2016-2022/raw/juki_20160101.csv"
    lines = raw.read_text(encoding="utf-8-sig").splitlines()
    src = tmp_path / "juki_without_chuo.csv"  # 札幌市中央区 left out: the city row still counts it
    src.write_text("\n".join(x for x in lines if not x.startswith("011011,")) + "\n", encoding="utf-8")
    n03 = shared_data / "japan-topography-n03-2021/topojson/s0010/N03-21_210101.json"
    args = ["join", str(src), "--areas", str(n03), "--prefecture", "北海道", "-o", str(tmp_path / "o")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "note: 札幌市 01100: its own row differs from the sum of its 9 wards listed" in result.output
    assert "人口（人） 1,941,832 vs 1,711,450" in result.output
    whole = CliRunner().invoke(cli, ["join", str(raw), *args[2:-1], str(tmp_path / "w")])
    assert whole.exit_code == 0 and "its own row differs" not in whole.output  # the original agrees with itself
