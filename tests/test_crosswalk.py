"""Municipal codes through time: the dated code table, convert_codes, joins through the crosswalk, bad input.

Expected numbers come from the raw files (e-Stat lists, the resident-register original) or are hand-made, never
from the code under test.
"""

from __future__ import annotations

import csv
import importlib.util
import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import geo
from geo._errors import ValidationError
from geo.cli import cli
from geo.codes import city_of, code_table, codes_as_of, designated_cities, is_ward, muni_table, wards_of
from geo.crosswalk import area_weights, areas_date, boundary_date, convert_codes, infer_code_dates

ROOT = Path(__file__).resolve().parents[1]
CHANGES = "estat-municipal-code-changes-1970-2024"
JUKI = "juki-population-municipal-2016-2022/juki_population_2016_2022.csv"
JUKI_RAW_2016 = "juki-population-municipal-2016-2022/raw/juki_20160101.csv"
HAMAMATSU_2005 = ["22217", "22218", "22462", "22486", "22487", "22488", "22502", "22505", "22521", "22522", "22523"]
HAMAMATSU_WARDS_2007 = ["22131", "22132", "22133", "22134", "22135", "22136", "22137"]


def table(codes: list[str], values: list[int] | None = None, **extra: list) -> pd.DataFrame:
    values = values if values is not None else [1000 * (i + 1) for i in range(len(codes))]
    return pd.DataFrame({"muni_code": codes, "pop": pd.array(values, dtype="Int64"), **extra})


# ============================================================================================ the code table


def test_code_table_rebuilds_identically_from_the_pinned_estat_lists(shared_data):
    """scripts/build_code_table.py replays 2,803 events on the 1970 list and must land on the 2024 list."""
    spec = importlib.util.spec_from_file_location("build_code_table", ROOT / "scripts" / "build_code_table.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    read = {"dtype": str, "keep_default_na": False, "na_values": ["NA"]}
    folder = shared_data / CHANGES
    rebuilt = build.build(
        pd.read_csv(folder / "standard_area_codes_1970.csv", **read),
        pd.read_csv(folder / "standard_area_codes_2024.csv", **read),
        build.clean_changes(pd.read_csv(folder / "code_changes_1970_2024.csv", **read)),
    )
    pd.testing.assert_frame_equal(rebuilt.fillna(""), code_table())
    end = pd.read_csv(folder / "standard_area_codes_2024.csv", dtype=str)
    assert set(codes_as_of("2024-01-01").index) == set(end["city_code"])


def test_code_table_agrees_with_the_n03_2021_boundaries():
    """Every code of N03-2021 (muni_table, compiled from the boundaries) is valid on 2021-01-01 with its name."""
    n03 = muni_table().set_index("muni_code")["muni_name"]
    dated = codes_as_of("2021-01-01")
    assert set(n03.index) <= set(dated.index)
    differ = n03[n03 != dated["muni_name"].reindex(n03.index)]
    assert differ.to_dict() == {"39405": "梼原町"}  # e-Stat writes 檮原町 (old glyph)
    assert set(dated.index[dated["kind"].isin(["municipality", "ward"])]) == set(n03.index)


def test_ward_membership_comes_from_the_table_not_code_arithmetic():
    assert city_of("22140") == "22130"  # 浜松市天竜区 of 2024: 22130 + 10
    assert city_of("22138", as_of="2024-01-01") == "22130"
    assert city_of("22131", as_of="2021-01-01") == "22130"
    assert city_of("22131", as_of="2006-01-01") == "22131"  # not a ward before 浜松 became a designated city
    assert city_of("13101") == "13101" and not is_ward("13101")
    assert wards_of("22130", as_of="2024-01-01") == ["22138", "22139", "22140"]
    assert wards_of("22130", as_of="2021-01-01") == HAMAMATSU_WARDS_2007
    assert len(designated_cities(as_of="2021-01-01")) == 20
    assert "22130" not in designated_cities(as_of="2006-01-01")


def test_code_dates_are_inferred_from_the_codes(municipalities):
    (start, end), *_ = infer_code_dates(["40305", "04216"])
    assert (start.isoformat(), end.isoformat()) == ("2016-10-10", "2018-10-01")
    assert infer_code_dates(["40305", "40231"]) == []  # a town and the city it became: two dates
    assert boundary_date("n03-2021-s0010").isoformat() == "2021-01-01"
    assert boundary_date("N03-20240101_19_GML.zip").isoformat() == "2024-01-01"
    assert boundary_date("N03-21_13_210101.json").isoformat() == "2021-01-01"
    assert areas_date(municipalities).isoformat() == "2021-01-01"
    # without a file name the codes still place it: valid from 2018-10-01 (那珂川市) to 2024-01-01 (浜松 wards)
    bare = pd.DataFrame({"muni_code": municipalities["muni_code"]})
    assert areas_date(bare).isoformat() == "2018-10-01"


# ============================================================================================ conversions


def test_nakagawa_town_becomes_city_and_carries_its_value():
    out, report = convert_codes(
        table(["40305", "13101"], [50_004, 66_680]), from_date="2016-01-01", to_date="2021-01-01"
    )
    assert out.set_index("muni_code")["pop"].to_dict() == {"40231": 50_004, "13101": 66_680}
    assert out.set_index("muni_code").loc["40231", "muni_name"] == "那珂川市"
    row = report.converted.iloc[0]
    assert (row.from_code, row.to_code, row.event_type, row.event_date, row.share) == (
        "40305", "40231", "市制施行", "2018-10-01", 1.0
    )  # fmt: skip
    assert len(report.converted) == 1
    assert report.totals["pop"] == {"before": 116_684.0, "after": 116_684.0, "equal": True}


def test_hamamatsu_2005_merger_of_11_codes_into_22202_then_the_2007_designated_city():
    values = list(range(101, 101 + 12))
    before = table(["22202", *HAMAMATSU_2005], values)
    merged, report = convert_codes(before, from_date="2005-06-30", to_date="2006-01-01")
    assert merged["muni_code"].tolist() == ["22202"] and int(merged["pop"].iloc[0]) == sum(values)
    assert set(report.converted["from_code"]) == set(HAMAMATSU_2005)
    assert set(report.converted["event_type"]) == {"編入合併"}
    assert set(report.converted["event_date"]) == {"2005-07-01"}
    # the same table straight to 2008: 編入合併 then 政令指定都市施行 (22202 → 22130)
    city, report = convert_codes(before, from_date="2005-06-30", to_date="2008-01-01")
    assert city["muni_code"].tolist() == ["22130"] and int(city["pop"].iloc[0]) == sum(values)
    chain = report.converted.set_index("from_code")
    assert chain.loc["22202", "event_type"] == "政令指定都市施行"
    assert chain.loc["22217", "events"] == "2005-07-01 編入合併; 2007-04-01 政令指定都市施行"


def test_hamamatsu_2007_wards_convert_to_the_2024_wards_with_exact_totals():
    pops = [100_001, 90_003, 110_007, 100_103, 92_011, 99_999, 28_555]
    wards = table(HAMAMATSU_WARDS_2007, pops)
    shares = {("22135", "22138"): 0.37, ("22135", "22139"): 0.63}
    out, report = convert_codes(wards, from_date="2021-01-01", to_date="2024-01-01", weights=shares)
    got = out.set_index("muni_code")["pop"].astype(int).to_dict()
    north_to_central = got["22138"] - sum(pops[:4])
    assert north_to_central + (got["22139"] - pops[5]) == pops[4]  # 北区 split into exactly its two parts
    assert abs(north_to_central - 0.37 * pops[4]) <= 1
    assert got["22140"] == pops[6]  # 天竜区 22137 → 22140: new code, same area
    assert sum(got.values()) == sum(pops)
    assert report.totals["pop"]["equal"]
    tenryu = report.converted.set_index("from_code").loc["22137"]
    assert (tenryu.to_code, tenryu.event_type) == ("22140", "区の再編")


@pytest.mark.parametrize("value", [92_011, 7, 1])
def test_22135_split_parts_sum_exactly_to_the_original(value):
    kita = table(["22135"], [value], area_km2=[295.53])
    out, report = convert_codes(
        kita, from_date="2023-12-31", to_date="2024-01-01", weights={"22138": 1.0, "22139": 2.0}, weights_label="test"
    )
    parts = out.set_index("muni_code")
    assert list(parts.index) == ["22138", "22139"]
    assert int(parts["pop"].sum()) == value and str(parts["pop"].dtype) == "Int64"
    assert parts["area_km2"].sum() == 295.53  # float parts add up exactly too
    assert abs(int(parts.loc["22138", "pop"]) - value / 3) < 1
    assert sorted(report.converted["share"].round(6)) == [round(1 / 3, 6), round(2 / 3, 6)]
    assert report.converted["weight"].str.contains("22135 split on 2024-01-01").all()
    assert any("test" in note for note in report.notes)


def test_sasayama_renamed_tamba_sasayama_keeps_its_code_and_joins_with_the_new_name(shared_data):
    hyogo = geo.read_boundaries(
        shared_data / "japan-topography-n03-2021/topojson/s0010/N03-21_28_210101.json", prefectures=["28"]
    )
    row = table(["28221"], [41_490], muni_name=["篠山市"])
    out, report = convert_codes(row, from_date="2018-01-01", to_date="2021-01-01")
    assert out.iloc[0][["muni_code", "muni_name"]].tolist() == ["28221", "丹波篠山市"]
    assert report.converted.iloc[0][["event_type", "event_date"]].tolist() == ["名称変更", "2019-05-01"]
    joined, join_report = geo.join_indicators(hyogo, row, as_of="2018-01-01")
    hit = joined[joined["muni_code"] == "28221"]
    assert hit["muni_name"].tolist() == ["丹波篠山市"] and hit["pop"].tolist() == [41_490]
    assert join_report.conversion is not None and join_report.conversion.to_date.isoformat() == "2021-01-01"


# one test per event type of the table: (codes, from, to, weights, expected code → value, event type)
EVENT_CASES = {
    "新設合併": (["05205", "05404", "05405", "05406", "05407", "05408", "05409", "05410"], "2005-01-01",
               "2005-04-01", None, {"05210": 36_000}, "2005-03-22"),
    "編入合併": (["22202", "22217"], "2005-06-30", "2005-07-01", None, {"22202": 3000}, "2005-07-01"),
    "市制施行": (["40305"], "2018-09-30", "2018-10-01", None, {"40231": 1000}, "2018-10-01"),
    "名称変更": (["28221"], "2019-04-30", "2019-05-01", None, {"28221": 1000}, "2019-05-01"),
    "分割": (["40102"], "1974-03-31", "1974-04-01", {"40106": 1, "40107": 3}, {"40106": 250, "40107": 750},
           "1974-04-01"),
    "区の再編": (["22136", "22137"], "2023-12-31", "2024-01-01", None, {"22139": 1000, "22140": 2000}, "2024-01-01"),
    "政令指定都市施行": (["22202"], "2007-03-31", "2007-04-01", None, {"22130": 1000}, "2007-04-01"),
    "分離": (["28105"], "1973-07-31", "1973-08-01", {"28105": 3, "28109": 1}, {"28105": 750, "28109": 250},
           "1973-08-01"),
}  # fmt: skip


@pytest.mark.parametrize("event_type", list(EVENT_CASES))
def test_each_event_type_converts(event_type):
    codes, start, end, weights, expected, date = EVENT_CASES[event_type]
    values = [1000 * (i + 1) for i in range(len(codes))] if event_type != "分割" else [1000]
    if event_type == "新設合併":
        values = [1000 * (i + 1) for i in range(len(codes))]
        expected = {"05210": sum(values)}
    out, report = convert_codes(table(codes, values), from_date=start, to_date=end, weights=weights)
    assert out.set_index("muni_code")["pop"].astype(int).to_dict() == expected
    assert event_type in set(report.converted["event_type"])
    assert set(report.converted["event_date"]) == {date}
    assert report.totals["pop"]["equal"]


def test_backward_conversion_turns_a_merger_into_a_weighted_split():
    city = table(["22130"], [800_000])
    with pytest.raises(ValidationError, match=r"22202 → 22202, 22217, 22218"):
        convert_codes(city, from_date="2021-01-01", to_date="2005-01-01")
    weights = pd.Series(1.0, index=["22202", *HAMAMATSU_2005], name="equal")
    out, report = convert_codes(city, from_date="2021-01-01", to_date="2005-01-01", weights=weights)
    assert len(out) == 12 and int(out["pop"].sum()) == 800_000
    # wards created with the designated city (区の新設) have no code before: dropped, the city row holds them
    wards, report = convert_codes(table(["22131"], [1]), from_date="2021-01-01", to_date="2006-01-01")
    assert wards.empty and report.dropped["code"].tolist() == ["22131"]


def test_rates_are_recomputed_from_their_parts_never_summed():
    rows = pd.DataFrame({
        "muni_code": ["22202", "22217"], "pop": [600_000, 20_000], "pop65": [120_000, 6_000],
        "aging_rate": [20.0, 30.0],
    })  # fmt: skip
    with pytest.raises(ValidationError, match=r"aging_rate.*looks like a rate"):
        convert_codes(rows, from_date="2005-06-30", to_date="2005-07-01")
    with pytest.raises(ValidationError, match=r"aging_rate.*is intensive"):
        convert_codes(rows, from_date="2005-06-30", to_date="2005-07-01", intensive=["aging_rate"])
    with pytest.raises(ValidationError, match=r"give the scale.*100"):
        convert_codes(rows, from_date="2005-06-30", to_date="2005-07-01", intensive={"aging_rate": ("pop65", "pop")})
    out, report = convert_codes(
        rows, from_date="2005-06-30", to_date="2005-07-01", intensive={"aging_rate": ("pop65", "pop", 100)}
    )
    assert out["aging_rate"].iloc[0] == pytest.approx(126_000 / 620_000 * 100)
    assert "recomputed" in report.intensive["aging_rate"]
    # a 1:1 change carries a rate as it is
    same, _ = convert_codes(rows.iloc[[0]].assign(muni_code="40305"), from_date="2016-01-01", to_date="2021-01-01",
                            intensive=["aging_rate"])  # fmt: skip
    assert same["aging_rate"].tolist() == [20.0]


# ============================================================================================== bad input


def test_bad_input_is_refused_with_the_fix():
    with pytest.raises(ValidationError, match="99999 never existed"):
        convert_codes(table(["99999"]), from_date="2016-01-01", to_date="2021-01-01")
    with pytest.raises(ValidationError, match=r"outside the code table's span 1970-04-01 … 2024-01-01"):
        convert_codes(table(["40305"]), from_date="1960-01-01", to_date="2021-01-01")
    with pytest.raises(ValidationError, match="outside the code table's span"):
        convert_codes(table(["40305"]), from_date="2016-01-01", to_date="2030-01-01")
    with pytest.raises(ValidationError, match="mixes codes of two dates") as mixed:
        convert_codes(table(["40305", "40231"]), from_date="2016-01-01", to_date="2021-01-01")
    assert "40231 was not valid on 2016-01-01 (valid: 那珂川市 2018-10-01" in str(mixed.value)
    with pytest.raises(ValidationError, match=r"all codes fit 2018-10-01 … 2024-01-01: give that as from_date"):
        convert_codes(table(["40231", "13101"]), from_date="2016-01-01", to_date="2021-01-01")
    with pytest.raises(ValidationError, match=r"more than once: 40305 \(rows 0, 1\)"):
        convert_codes(table(["40305", "40305"]), from_date="2016-01-01", to_date="2021-01-01")
    with pytest.raises(ValidationError) as split:
        convert_codes(table(["22135"]), from_date="2023-01-01", to_date="2024-01-01")
    message = str(split.value)
    for part in ("22135 → 22138, 22139 on 2024-01-01", "population", "area_weights", "from_code, to_code", "--weights"):
        assert part in message


# ========================================================================================= joins and the CLI


def raw_juki_total(path: Path) -> int:
    """The 合計 row of the resident-register original (persons, with thousands separators)."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.reader(fh):
            if row[1] == "合計":
                return int(row[5].replace(",", ""))
    raise AssertionError("no 合計 row")


def test_juki_2016_joins_n03_2021_through_the_crosswalk(shared_data, municipalities):
    juki = geo.read_indicators(shared_data / JUKI)
    y2016 = juki[juki["pop_20160101"].notna()][["muni_code", "source_row", "name", "level", "pop_20160101"]]
    national = raw_juki_total(shared_data / JUKI_RAW_2016)
    assert national == 128_066_211
    joined, report = geo.join_indicators(municipalities, y2016, as_of="2016-01-01")
    assert report.matched == report.n_areas  # every area has its row
    explained = report.unmatched_rows["reason"]
    assert not explained.str.startswith("code not in").any()  # every other row explained (totals of parts)
    assert set(report.unmatched_rows["kind"]) <= {"prefecture", "designated_city", "municipality", "other"}
    assert int(joined["pop_20160101"].sum()) == national
    conv = report.conversion.converted.set_index("from_code")
    assert conv.loc["04423", ["to_code", "event_type", "event_date"]].tolist() == ["04216", "市制施行", "2016-10-10"]
    assert conv.loc["40305", ["to_code", "event_type", "event_date"]].tolist() == ["40231", "市制施行", "2018-10-01"]
    assert all(t["equal"] for t in report.conversion.totals.values())
    assert "コード変換" in str(report) and report.to_dict()["conversion"]["to_date"] == "2021-01-01"
    # without as_of the two old codes are reported with their event and the option that fixes it
    _, plain = geo.join_indicators(municipalities, y2016)
    old = plain.unmatched_rows.set_index("code").loc["40305", "reason"]
    assert "那珂川市" in old and "2018-10-01" in old and "市制施行" in old and "as_of=" in old and "--as-of" in old


def test_area_weights_from_boundaries_apportion_a_split(shared_data):
    kitakyushu = geo.read_boundaries(
        shared_data / "japan-topography-n03-2021/topojson/s0010/N03-21_40_210101.json", prefectures=["40"]
    )
    weights = area_weights(kitakyushu)
    out, report = convert_codes(table(["40102"], [1000]), from_date="1974-03-31", to_date="1974-04-01", weights=weights)
    parts = out.set_index("muni_code")["pop"].astype(int)
    expect = weights["40106"] / (weights["40106"] + weights["40107"]) * 1000
    assert parts.sum() == 1000 and abs(parts["40106"] - expect) <= 1
    assert any("area_km2" in n for n in report.notes)


def test_cli_codes_convert_writes_the_table_and_the_report(tmp_path):
    src = tmp_path / "hamamatsu.csv"
    pd.DataFrame({"code": ["22135", "22137", "13101"], "pop": [92_011, 28_555, 66_680]}).to_csv(src, index=False)
    weights = tmp_path / "w.csv"
    weights.write_text("from_code,to_code,weight\n22135,22138,0.4\n22135,22139,0.6\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    args = ["codes", "convert", str(src), "--from", "2023-01-01", "--to", "2024-01-01", "-o", str(out)]
    refused = CliRunner().invoke(cli, args)
    assert refused.exit_code != 0 and "22135 → 22138, 22139" in str(refused.exception)
    result = CliRunner().invoke(cli, [*args, "--weights", str(weights), "--weights-label", "test shares"])
    assert result.exit_code == 0, result.output
    written = pd.read_csv(out, dtype={"muni_code": str}, encoding="utf-8-sig").set_index("muni_code")
    assert written["pop"].to_dict() == {"22138": 36_804, "22139": 55_207, "22140": 28_555, "13101": 66_680}
    report = json.loads(out.with_suffix(".report.json").read_text("utf-8"))
    assert {r["event_type"] for r in report["converted"]} == {"区の再編"}
    assert report["totals"]["pop"]["equal"] and report["totals"]["pop"]["after"] == 92_011 + 28_555 + 66_680
    assert "区の再編" in result.output


def test_cli_join_as_of_converts_before_joining(shared_data, tmp_path):
    juki = pd.read_csv(shared_data / JUKI, dtype={"code": str})
    fukuoka = juki[juki["code"].str.startswith("40") & juki["pop_20160101"].notna()]
    fukuoka = fukuoka[fukuoka["level"].isin(["municipality", "ward", "former_municipality"])]
    src = tmp_path / "fukuoka_2016.csv"
    fukuoka[["code", "name", "pop_20160101"]].to_csv(src, index=False)
    out = tmp_path / "joined"
    args = ["join", str(src), "--areas", "n03-2021-s0010-40", "-o", str(out), "--json"]
    plain = CliRunner().invoke(cli, args)
    assert plain.exit_code == 0, plain.output
    assert "--as-of" in json.loads(plain.output)["unmatched_rows"][0]["reason"]
    result = CliRunner().invoke(cli, [*args, "--as-of", "2016-01-01"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["unmatched_rows"] == [] and summary["matched"] == summary["areas"]
    assert summary["conversion"]["converted"][0]["to_code"] == "40231"
    joined = pd.read_csv(out / "areas.csv", dtype={"muni_code": str})
    assert joined["pop_20160101"].sum() == fukuoka["pop_20160101"].sum()


def test_same_day_chains_and_a_round_trip_keep_every_unit():
    # 三好町 renamed みよし町 and became みよし市 (23236) on the same day; 十四山村 joined 弥富町 as it became 弥富市
    out, report = convert_codes(table(["23521"]), from_date="2009-01-01", to_date="2011-01-01")
    assert out.set_index("muni_code")["pop"].to_dict() == {"23236": 1000}
    assert report.converted.set_index("from_code").loc["23521", "events"] == "2010-01-04 名称変更; 2010-01-04 市制施行"
    out, report = convert_codes(table(["23426", "23428"]), from_date="2006-01-01", to_date="2007-01-01")
    assert out.set_index("muni_code")["pop"].to_dict() == {"23235": 3000}
    assert report.converted.set_index("from_code").loc["23426", "events"] == "2006-04-01 編入合併; 2006-04-01 市制施行"
    # every municipality of 静岡県 in 1970 → 2024 → back to 1970 (merges read backward need weights: 1 each)
    start = codes_as_of("1970-04-01")
    start = start[start.index.str.startswith("22") & start["kind"].isin(["municipality", "designated_city"])]
    values = list(range(1, len(start) + 1))
    forward, report = convert_codes(table(list(start.index), values), from_date="1970-04-01", to_date="2024-01-01")
    assert int(forward["pop"].sum()) == sum(values) and report.totals["pop"]["equal"]
    assert len(forward) == 35  # 静岡県's 35 municipalities of 2024 (23 cities, 12 towns)
    # 蒲原町 joined 静岡市清水区 (a ward) in 2006: a table of whole cities gets it in the city 22100
    assert report.converted.set_index("from_code").loc["22382", "to_code"] == "22100"
    ones = pd.Series(1.0, index=code_table()["muni_code"].unique())
    back, _ = convert_codes(forward, from_date="2024-01-01", to_date="1970-04-01", weights=ones)
    assert set(back["muni_code"]) == set(start.index) and int(back["pop"].sum()) == sum(values)


def test_run_config_as_of_converts_the_table_before_the_join(shared_data, tmp_path):
    juki = pd.read_csv(shared_data / JUKI, dtype={"code": str})
    fukuoka = juki[juki["code"].str.startswith("40") & juki["pop_20160101"].notna()]
    fukuoka = fukuoka[fukuoka["level"].isin(["municipality", "ward", "former_municipality"])]
    fukuoka[["code", "name", "pop_20160101"]].to_csv(tmp_path / "fukuoka_2016.csv", index=False)
    config = tmp_path / "run.toml"
    text = (
        '[run]\nname = "fukuoka2016"\n\n[area]\nboundaries = "n03-2021-s0010"\nprefectures = ["福岡県"]\n\n'
        '[[indicators]]\ntable = "fukuoka_2016.csv"\ncolumns = ["pop_20160101"]\nas_of = "2016-01-01"\n'
    )
    config.write_text(text, encoding="utf-8")
    result = geo.run(config, progress=False, output_root=tmp_path / "out")
    report = result.manifest["reports"]["indicators[0]"]
    assert report["unmatched_rows"] == [] and report["matched"] == report["areas"]
    assert [r["to_code"] for r in report["conversion"]["converted"]] == ["40231"]
    areas = pd.read_csv(result.output_dir / "areas.csv", dtype={"muni_code": str}).set_index("muni_code")
    assert areas.loc["40231", "pop_20160101"] == int(fukuoka.loc[fukuoka["code"] == "40305", "pop_20160101"].iloc[0])
    assert areas["pop_20160101"].sum() == fukuoka["pop_20160101"].sum()
    config.write_text(text.replace("2016-01-01", "1960-01-01"), encoding="utf-8")
    with pytest.raises(ValidationError, match=r"line 11: .*outside the code table's span"):
        geo.run(config, progress=False, output_root=tmp_path / "out2")


def test_cli_codes_history_and_intensive_option(tmp_path):
    shown = CliRunner().invoke(cli, ["codes", "history", "22135"])
    assert shown.exit_code == 0 and "2024-01-01 区の再編: 22135 → 22139" in shown.output
    assert "浜松市北区 [ward] (浜松市 22130)" in shown.output
    assert CliRunner().invoke(cli, ["codes", "history", "99999"]).exit_code != 0
    src = tmp_path / "rates.csv"
    src.write_text("code,pop,pop65,aging_rate\n22202,600000,120000,20.0\n22217,20000,6000,30.0\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    args = ["codes", "convert", str(src), "--from", "2005-06-30", "--to", "2005-07-01", "-o", str(out)]
    assert "looks like a rate" in str(CliRunner().invoke(cli, args).exception)
    result = CliRunner().invoke(cli, [*args, "--intensive", "aging_rate=pop65/pop*100"])
    assert result.exit_code == 0, result.output
    written = pd.read_csv(out, encoding="utf-8-sig")
    assert written["aging_rate"].tolist() == [pytest.approx(126_000 / 620_000 * 100)]


def test_cli_convert_totals_never_add_designated_cities_and_their_wards(shared_data, tmp_path):
    """The 2016 resident register lists 20 designated cities beside their 175 wards (and 特別区部 beside the 23 wards):
    its total was printed as 155,400,161 people; the file's own 合計 row says 128,066,211."""
    out = tmp_path / "juki.csv"
    args = ["codes", "convert", str(shared_data / JUKI_RAW_2016), "--from", "2016-01-01", "--to", "2021-01-01"]
    result = CliRunner().invoke(cli, [*args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "合計 total 人口（人）: 128,066,211 = 128,066,211" in result.output
    report = json.loads(out.with_suffix(".report.json").read_text("utf-8"))
    assert report["totals"]["人口（人）"]["before"] == 128_066_211
    assert any("20 designated cities whole: their 175 ward rows" in n for n in report["notes"])
    # a city row that disagrees with its wards (札幌市中央区 left out of a copy) is named, not joined silently
    lines = (shared_data / JUKI_RAW_2016).read_text(encoding="utf-8-sig").splitlines()
    src = tmp_path / "juki_without_chuo.csv"
    src.write_text("\n".join(x for x in lines if not x.startswith("011011,")) + "\n", encoding="utf-8")
    thinned = CliRunner().invoke(cli, ["codes", "convert", str(src), *args[3:], "-o", str(tmp_path / "t.csv")])
    assert thinned.exit_code == 0, thinned.output
    assert "札幌市 01100: its own row differs from the sum of its 9 wards listed" in thinned.output
    assert "人口（人） 1,941,832 vs 1,711,450" in thinned.output


def test_cli_join_as_of_totals_count_each_person_once(shared_data, tmp_path):
    juki = pd.read_csv(shared_data / JUKI, dtype={"code": str})
    fukuoka = juki[juki["code"].str.startswith("40") & juki["pop_20160101"].notna()]
    prefecture = fukuoka.loc[fukuoka["level"] == "prefecture", "pop_20160101"].iloc[0]
    levels = ["municipality", "designated_city", "ward", "former_municipality"]  # 福岡市, 北九州市 and their wards
    src = tmp_path / "fukuoka_2016.csv"
    fukuoka[fukuoka["level"].isin(levels)][["code", "name", "pop_20160101"]].to_csv(src, index=False)
    args = ["join", str(src), "--areas", "n03-2021-s0010-40", "-o", str(tmp_path / "j"), "--as-of", "2016-01-01"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert f"合計 total pop_20160101: {prefecture:,.0f} = {prefecture:,.0f}" in result.output


@pytest.mark.parametrize("weight", ["-0.4", "", "inf"])
def test_cli_convert_names_a_negative_or_empty_weight(tmp_path, weight):
    """浜松市 浜北区 22135 split in 2024: a negative or empty weight was reported as a missing one."""
    src = tmp_path / "hamamatsu.csv"
    pd.DataFrame({"code": ["22135", "22137"], "pop": [92_011, 28_555]}).to_csv(src, index=False)
    weights = tmp_path / "w.csv"
    weights.write_text(f"from_code,to_code,weight\n22135,22138,{weight}\n22135,22139,0.6\n", encoding="utf-8")
    args = ["codes", "convert", str(src), "--from", "2023-01-01", "--to", "2024-01-01", "-o", str(tmp_path / "o.csv")]
    result = CliRunner().invoke(cli, [*args, "--weights", str(weights)])
    assert isinstance(result.exception, ValidationError)
    assert "weights: 1 negative, infinite or empty weight(s) (22135 → 22138:" in str(result.exception)
