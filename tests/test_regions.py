"""Wide-area regions: presets, custom groupings, dissolve, aggregation (real N03 + SSDSE-A, tiny shapes)."""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner
from shapely.geometry import box

import geo
import geo.cli
from geo.codes import city_of
from geo.crs import area_km2

PRESET_DIR = Path(__file__).resolve().parents[1] / "boundaries" / "regions"
PRESETS = sorted(p.stem for p in PRESET_DIR.glob("*.toml"))


def _file_members(name: str) -> list[tuple[str, str]]:
    """(region, code) pairs as the preset file lists them, read without geo.regions."""
    data = tomllib.loads((PRESET_DIR / f"{name}.toml").read_text(encoding="utf-8"))
    return [(region, m.split()[0]) for region, members in data["regions"].items() for m in members]


def _member_rows(areas: gpd.GeoDataFrame, codes: set[str]) -> pd.Series:
    """Rows of the areas a set of member codes stands for, selected independently of geo.regions."""
    muni = areas["muni_code"].fillna("")
    city = muni.map(lambda c: city_of(c) if c else "")
    return areas["pref_code"].isin(codes) | muni.isin(codes) | city.isin(codes)


# ------------------------------------------------------------------------------------------ presets
def test_the_presets_the_issue_asks_for_exist():
    assert set(geo.list_regions()) == set(PRESETS)
    assert {
        "hachi-chiho", "kouiki-chihou-keikaku", "tokyo-ken", "kansai-kouiki-rengo", "shoryudo",
        "kyushu-chiiki-senryaku-kaigi", "michinoku-shiokaze-trail",
    } <= set(PRESETS)  # fmt: skip


@pytest.mark.parametrize("name", PRESETS)
def test_preset_loads_exactly_the_members_its_file_lists(name):
    regions = geo.read_regions(name)
    listed = _file_members(name)
    assert list(zip(regions["region"], regions["member_code"], strict=True)) == listed
    assert set(regions["member_level"]) <= {"prefecture", "municipality"}
    assert (regions["member_level"] == "prefecture").eq(regions["member_code"].str.len() == 2).all()
    meta = geo.read_grouping(name)[1]
    assert len(meta["source"]) > 80, "every preset carries a source note"


def test_kouiki_chihou_keikaku_follows_the_ordinance():
    r = geo.read_regions("kouiki-chihou-keikaku")
    by_region = r.groupby("region", sort=False)["member_name"].agg(set)
    assert list(by_region.index) == [
        "東北圏",
        "首都圏",
        "北陸圏",
        "中部圏",
        "近畿圏",
        "中国圏",
        "四国圏",
        "九州圏",
    ]
    assert "新潟県" in by_region["東北圏"] and "山梨県" in by_region["首都圏"]
    assert by_region["北陸圏"] == {"富山県", "石川県", "福井県"}
    assert len(r) == 45 and not set(r["member_code"]) & {"01", "47"}
    assert geo.read_grouping("kouiki-chihou-keikaku")[1]["outside"] == ["01", "47"]


def test_preset_found_by_title_or_alias():
    assert geo.read_grouping("昇龍道")[1]["grouping"] == "shoryudo"
    with pytest.raises(geo.ValidationError, match="neither a preset nor a file"):
        geo.read_regions("no-such-grouping")


@pytest.mark.parametrize("name", PRESETS)
def test_preset_dissolves_to_valid_shapes_with_the_members_area(name, municipalities):
    regions = geo.read_regions(name)
    shapes = geo.dissolve_regions(municipalities, regions)
    assert list(shapes["region"]) == list(dict.fromkeys(regions["region"]))
    assert shapes.attrs["dissolve_regions"]["method"] == "coverage"
    assert shapes.crs == municipalities.crs
    member_area = area_km2(municipalities)
    for row in shapes.itertuples():
        geom = row.geometry
        assert geom.is_valid and geom.geom_type in ("Polygon", "MultiPolygon")
        # no holes: the members' shared borders dissolve without slivers (and these regions enclose nobody)
        assert sum(len(p.interiors) for p in shapely.get_parts(geom)) == 0
        codes = set(regions.loc[regions["region"] == row.region, "member_code"])
        chosen = _member_rows(municipalities, codes)
        assert row.n_areas == chosen.sum()
        expected = member_area[chosen.to_numpy()].sum()
        assert row.area_km2 == pytest.approx(expected, rel=1e-4)


def test_municipal_preset_matches_the_2021_boundaries(municipalities):
    trail = geo.read_regions("michinoku-shiokaze-trail")
    assert len(trail) == 28 and (trail["member_level"] == "municipality").all()
    codes = set(municipalities["muni_code"].dropna())
    cities = {city_of(c) for c in codes}
    assert set(trail["member_code"]) <= codes | cities
    names = dict(zip(municipalities["muni_code"], municipalities["muni_name"], strict=True))
    for code, name in zip(trail["member_code"], trail["member_name"], strict=True):
        assert code == "04100" or names[code] == name
    assert trail["member_name"].iloc[0] == "八戸市" and trail["member_name"].iloc[-1] == "相馬市"


def test_mixed_levels_count_each_municipality_once(designated_cities):
    """関西広域連合 lists 京都府 and 京都市: the city is inside the prefecture and adds nothing."""
    regions = geo.read_regions("kansai-kouiki-rengo")
    assert set(regions["member_level"]) == {"prefecture", "municipality"}
    shapes = geo.dissolve_regions(designated_cities, regions)
    prefs_only = designated_cities["pref_code"].isin(
        regions.loc[regions["member_level"] == "prefecture", "member_code"]
    )
    assert shapes["n_areas"].iloc[0] == prefs_only.sum()
    assert shapes["area_km2"].iloc[0] == pytest.approx(
        area_km2(designated_cities)[prefs_only.to_numpy()].sum(), rel=1e-4
    )


# --------------------------------------------------------------------------------- SSDSE-A aggregates
@pytest.fixture(scope="module")
def ssdse(shared_data):
    return shared_data / "ssdse-a-municipal-indicators" / "municipal_indicators.csv"


def test_kouiki_aggregates_equal_independent_sums(designated_cities, ssdse):
    table = geo.read_indicators(ssdse)
    joined, report = geo.join_indicators(designated_cities, table)
    assert report.matched == 1741
    shapes = geo.dissolve_regions(
        joined, "kouiki-chihou-keikaku",
        sum_columns=["pop_2020", "pop_65plus_2020"],
        rate_columns={"ageing_rate": ("pop_65plus_2020", "pop_2020", 100)},
    )  # fmt: skip
    # independent: plain pandas on the CSV, prefecture → region from the TOML file
    raw = pd.read_csv(ssdse, dtype={"code": str, "pref_code": str})
    region_of = {code: region for region, code in _file_members("kouiki-chihou-keikaku")}
    raw["region"] = raw["pref_code"].map(region_of)
    expected = raw.dropna(subset=["region"]).groupby("region")[["pop_2020", "pop_65plus_2020"]].sum()
    got = shapes.set_index("region")
    assert got["pop_2020"].astype("int64").to_dict() == expected["pop_2020"].to_dict()
    assert got["pop_65plus_2020"].astype("int64").to_dict() == expected["pop_65plus_2020"].to_dict()
    assert int(got.loc["首都圏", "pop_2020"]) == 44_463_415
    recomputed = expected["pop_65plus_2020"] / expected["pop_2020"] * 100
    np.testing.assert_allclose(got["ageing_rate"].reindex(recomputed.index), recomputed, rtol=1e-12)
    # recomputed from sums, not the mean of municipal rates (which differs by several points)
    averaged = (raw["pop_65plus_2020"] / raw["pop_2020"] * 100).groupby(raw["region"]).mean()
    assert (averaged.reindex(recomputed.index) - recomputed).abs().min() > 1.0


def test_missing_values_are_never_zero(designated_cities, ssdse):
    joined, _ = geo.join_indicators(designated_cities, geo.read_indicators(ssdse))
    with pytest.raises(geo.ValidationError, match=r"01695 \(pop_2020\)"):
        geo.dissolve_regions(joined, "hachi-chiho", sum_columns=["pop_2020"])
    skipped = geo.dissolve_regions(joined, "hachi-chiho", sum_columns=["pop_2020"], missing="skip").set_index("region")
    assert skipped.loc["北海道地方", "n_missing"] == 6  # the Northern Territories villages have no statistics
    assert skipped.loc["北海道地方", "pop_2020"] == 5_224_614
    propagated = geo.dissolve_regions(joined, "hachi-chiho", sum_columns=["pop_2020"], missing="propagate")
    assert propagated.set_index("region")["pop_2020"].isna().to_dict() == {r: r == "北海道地方" for r in skipped.index}


# ------------------------------------------------------------------------------------ custom groupings
def _write(tmp_path: Path, text: str, name: str = "mine.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_user_file_with_unknown_duplicate_and_gap_gets_one_report(tmp_path):
    yamanashi = geo.codes.muni_table().query("pref_code == '19'")
    rows = ["region,member"]
    for i, r in enumerate(yamanashi.itertuples()):
        if r.muni_name == "小菅村":
            continue  # the gap
        rows.append(f"{'国中' if i < 14 else '郡内'},{r.muni_name}")
    rows += ["国中,甲府市", "郡内,架空市"]  # a duplicate and an unknown municipality
    unknown_line = len(rows)
    path = _write(tmp_path, "\n".join(rows) + "\n")
    with pytest.raises(geo.ValidationError) as info:
        geo.read_regions(path, partition="山梨県")
    err = info.value
    assert len(err.problems) == 3, err.problems
    text = str(err)
    assert str(path) in text
    assert f"line {unknown_line} ('架空市')" in text
    assert "19201 甲府市 is listed 2 times" in text
    assert "19442 小菅村" in text and "in no region" in text
    # without the partition request the gap is not a problem, and 南部町 is ambiguous (青森県, 山梨県, 鳥取県)
    with pytest.raises(geo.ValidationError) as info:
        geo.read_regions(path)
    assert len(info.value.problems) == 3
    assert not any("in no region" in p for p in info.value.problems)
    assert any("南部町" in p and "ambiguous" in p for p in info.value.problems)


def test_cli_reports_the_three_problems_and_exits_1(tmp_path, monkeypatch, capsys):
    path = _write(tmp_path, "region,member,prefecture\nA,甲府市,\nA,19201,\nB,架空町,\nB,富士吉田市,山梨県\n")
    monkeypatch.setattr(sys, "argv", ["geo", "regions", "show", str(path), "--partition", "19"])
    with pytest.raises(SystemExit) as exit_info:
        geo.cli.main()
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert "3 problems" in err and "架空町" in err and "listed 2 times" in err and "25 municipalities" in err


def test_unknown_names_get_a_suggestion(tmp_path):
    path = _write(tmp_path, "region,member\nA,富士吉田\nA,甲府\nA,99999\n")
    with pytest.raises(geo.ValidationError) as info:
        geo.read_regions(path)
    problems = info.value.problems
    assert "did you mean 富士吉田市" in problems[0] and "甲府市" in problems[1]
    assert "line 4" in problems[2] and "99999" in problems[2]


def test_toml_user_file_with_partition_and_outside(tmp_path):
    text = (
        '[grouping]\npartition = ["19", "長野県"]\noutside = ["長野県"]\nsource = "mine"\n'
        '[regions]\n"甲府圏" = ["甲府市", "19205 山梨市"]\n'
    )
    with pytest.raises(geo.ValidationError, match=r"25 municipalities of the partition") as info:
        geo.read_regions(_write(tmp_path, text, "mine.toml"))
    assert "長野" not in str(info.value)  # 長野県 is outside on purpose
    assert len(geo.read_regions(_write(tmp_path, text, "mine.toml"), partition=False)) == 2


def test_names_codes_and_code_name_pairs(tmp_path):
    path = _write(
        tmp_path,
        "region,member,prefecture\nX,府中市,東京都\nX,１３１０１,\nY,０４１００ 仙台市,\nY,大阪,\n"
        "Z,04100 名取市,\nZ,府中市,\n",
    )
    with pytest.raises(geo.ValidationError) as info:
        geo.read_regions(path)
    problems = info.value.problems
    assert len(problems) == 2
    assert any("line 6" in p and "名取市" in p and "04100 is 仙台市" in p for p in problems)
    assert any("line 7" in p and "ambiguous" in p for p in problems)
    ok = _write(
        tmp_path,
        "region,member,prefecture\nX,府中市,東京都\nX,１３１０１,\nY,０４１００ 仙台市,\nY,大阪,\n",
        "ok.csv",
    )
    r = geo.read_regions(ok)
    assert list(r["member_code"]) == ["13206", "13101", "04100", "27"]
    assert list(r["member_level"]) == ["municipality", "municipality", "municipality", "prefecture"]


def test_overlap_within_a_grouping_needs_the_file_to_allow_it(tmp_path):
    text = '[regions]\n"A" = ["26 京都府"]\n"B" = ["26100 京都市", "25"]\n'
    path = _write(tmp_path, text, "overlap.toml")
    with pytest.raises(geo.ValidationError, match=r"26100 京都市 .* overlaps 26 京都府"):
        geo.read_regions(path)
    allowed = _write(tmp_path, "[grouping]\noverlap = true\n" + text, "overlap_ok.toml")
    assert len(geo.read_regions(allowed)) == 3
    assert len(geo.read_regions(path, overlap=True)) == 3
    # the same member twice in one region stays an error even where overlap is allowed
    twice = _write(tmp_path, '[grouping]\noverlap = true\n[regions]\n"A" = ["25", "滋賀県"]\n', "twice.toml")
    with pytest.raises(geo.ValidationError, match="listed 2 times"):
        geo.read_regions(twice)


def test_bad_files_are_named(tmp_path):
    with pytest.raises(geo.ValidationError, match="region and member"):
        geo.read_regions(_write(tmp_path, "name,code\nA,13\n"))
    with pytest.raises(geo.ValidationError, match="not a known option"):
        geo.read_regions(_write(tmp_path, '[grouping]\npartiton = "japan"\n[regions]\nA = ["13"]\n', "typo.toml"))
    with pytest.raises(geo.ValidationError, match="region name is empty"):
        geo.read_regions(_write(tmp_path, "region,member\n,13\n"))
    with pytest.raises(FileNotFoundError):
        geo.read_regions(tmp_path / "absent.csv")


def test_cp932_csv_and_ward_members(tmp_path):
    path = tmp_path / "sjis.csv"
    path.write_bytes("region,member\n北,札幌市中央区\n北,札幌市北区\n南,函館市\n".encode("cp932"))
    r = geo.read_regions(path)
    assert list(r["member_code"]) == ["01101", "01102", "01202"]
    nested = _write(tmp_path, "region,member\nA,札幌市\nB,札幌市北区\n", "nested.csv")
    with pytest.raises(geo.ValidationError, match=r"01102 札幌市北区 .* overlaps 01100 札幌市"):
        geo.read_regions(nested)


def test_empty_region_in_toml_is_reported(tmp_path):
    with pytest.raises(geo.ValidationError, match="'B' has no members"):
        geo.read_regions(_write(tmp_path, '[regions]\nA = ["13"]\nB = []\n', "empty.toml"))


def test_prefecture_partition_reports_missing_prefectures(tmp_path):
    path = _write(tmp_path, "region,member\n東,13\n西,27\n")
    with pytest.raises(geo.ValidationError, match=r"45 prefecture\(s\) of the partition are in no region: 01 北海道"):
        geo.read_regions(path, partition="japan")
    assert len(geo.read_regions(path, partition="東京都,大阪府")) == 2


# ------------------------------------------------------------------------------------ tiny geometries
def _squares(values=None, crs="EPSG:6677") -> gpd.GeoDataFrame:
    """Four 1 km squares in a row (plane rectangular zone IX), municipalities of Tokyo 13101..13104."""
    frame = gpd.GeoDataFrame(
        {
            "pref_code": ["13"] * 4,
            "pref_name": ["東京都"] * 4,
            "muni_code": ["13101", "13102", "13103", "13104"],
            "muni_name": ["千代田区", "中央区", "港区", "新宿区"],
            "pop": [100.0, 300.0, 50.0, 0.0],
            "old": [10.0, 30.0, 40.0, 0.0],
            "rate": [0.1, 0.2, 0.5, np.nan],
        },
        geometry=[box(i * 1000, 0, (i + 1) * 1000, 1000) for i in range(4)],
        crs=crs,
    )
    return frame.assign(**(values or {}))


def _grouping(tmp_path, body: str) -> pd.DataFrame:
    return geo.read_regions(_write(tmp_path, "region,member\n" + body, "g.csv"))


def test_tiny_dissolve_sums_rates_and_means(tmp_path):
    areas = _squares()
    before = areas.copy()
    groups = _grouping(tmp_path, "AB,13101\nAB,13102\nC,13103\n")
    shapes = geo.dissolve_regions(
        areas, groups, sum_columns=["pop"], rate_columns={"share": ("old", "pop", 100)},
        mean_columns={"mean_rate": ("rate", "pop")},
    )  # fmt: skip
    pd.testing.assert_frame_equal(areas, before)  # inputs untouched
    ab, c = shapes.iloc[0], shapes.iloc[1]
    assert ab.geometry.geom_type == "Polygon" and ab.geometry.equals(box(0, 0, 2000, 1000))
    # zone IX has scale factor 0.9999 at its origin: 1 km of grid is 1.0001 km on the ground
    assert ab["area_km2"] == pytest.approx(2.0004, rel=1e-5) and c["area_km2"] == pytest.approx(1.0002, rel=1e-5)
    assert ab["pop"] == 400 and ab["share"] == pytest.approx(40 / 400 * 100)
    assert ab["mean_rate"] == pytest.approx((0.1 * 100 + 0.2 * 300) / 400)
    assert ab["members"] == "千代田区・中央区" and ab["n_members"] == 2 and ab["n_areas"] == 2
    assert "old" not in shapes.columns  # parts of a rate are not reported unless summed


def test_tiny_zero_denominator_and_missing_policy(tmp_path):
    areas = _squares()
    groups = _grouping(tmp_path, "D,13104\nC,13103\n")
    shapes = geo.dissolve_regions(areas, groups, rate_columns={"share": ("old", "pop")})
    assert np.isnan(shapes.loc[shapes["region"] == "D", "share"]).all()  # 0 / 0 is missing, not 0
    with pytest.raises(geo.ValidationError, match=r"13104 \(rate\)"):
        geo.dissolve_regions(areas, groups, mean_columns={"m": ("rate", "pop")})
    skip = geo.dissolve_regions(areas, groups, mean_columns={"m": ("rate", "pop")}, missing="skip")
    assert list(skip["n_missing"]) == [1, 0] and np.isnan(skip["m"].iloc[0]) and skip["m"].iloc[1] == 0.5
    with pytest.raises(geo.ValidationError, match="not one of"):
        geo.dissolve_regions(areas, groups, missing="zero")  # type: ignore[arg-type]


def test_tiny_overlapping_input_falls_back_to_a_full_union(tmp_path):
    areas = _squares()
    areas.loc[1, "geometry"] = box(900, 0, 2000, 1000)  # overlaps its neighbour: not a clean coverage
    shapes = geo.dissolve_regions(areas, _grouping(tmp_path, "AB,13101\nAB,13102\n"))
    assert shapes.attrs["dissolve_regions"]["method"] == "union"
    assert shapes.geometry.iloc[0].equals(box(0, 0, 2000, 1000))


def test_tiny_self_intersecting_input_is_repaired(tmp_path):
    areas = _squares()
    areas.loc[0, "geometry"] = shapely.Polygon([(0, 0), (1000, 1000), (1000, 0), (0, 1000)])  # bow-tie
    shapes = geo.dissolve_regions(areas, _grouping(tmp_path, "A,13101\nA,13102\n"))
    assert shapes.attrs["dissolve_regions"]["repaired_geometries"] == 1
    assert shapes.geometry.iloc[0].is_valid


def test_tiny_refusals(tmp_path):
    groups = _grouping(tmp_path, "A,13101\n")
    with pytest.raises(geo.CRSError):
        geo.dissolve_regions(_squares().set_crs(None, allow_override=True), groups)
    with pytest.raises(geo.ValidationError, match="not in the areas"):
        geo.dissolve_regions(_squares(), _grouping(tmp_path, "A,27\n"))
    prefs = _squares().drop(columns=["muni_code", "muni_name"])
    with pytest.raises(geo.ValidationError, match="areas are prefectures"):
        geo.dissolve_regions(prefs, groups)
    with pytest.raises(geo.ValidationError, match="not found"):
        geo.dissolve_regions(_squares(), groups, sum_columns=["households"])
    with pytest.raises(geo.ValidationError, match="must be"):
        geo.dissolve_regions(_squares(), groups, rate_columns={"r": ("old",)})


def test_city_and_its_wards_together_are_refused(municipalities, designated_cities, tmp_path):
    mixed = pd.concat([
        designated_cities[designated_cities["muni_code"] == "04100"],
        municipalities[municipalities["muni_code"] == "04101"],
    ])  # fmt: skip
    with pytest.raises(geo.ValidationError, match="both whole and as wards"):
        geo.dissolve_regions(mixed, _grouping(tmp_path, "A,仙台市\n"))


def test_ward_member_needs_ward_boundaries(designated_cities, tmp_path):
    sendai = designated_cities[designated_cities["pref_code"] == "04"]
    with pytest.raises(geo.ValidationError, match="is a ward"):
        geo.dissolve_regions(sendai, _grouping(tmp_path, "A,仙台市青葉区\n"))
    whole = geo.dissolve_regions(sendai, _grouping(tmp_path, "A,仙台市\n"))
    assert whole["n_areas"].iloc[0] == 1


# ---------------------------------------------------------------------------------------------- CLI
def test_cli_list_and_show():
    runner = CliRunner()
    listed = runner.invoke(geo.cli.cli, ["regions", "list"])
    assert listed.exit_code == 0, listed.output
    for name in PRESETS:
        assert name in listed.output
    shown = runner.invoke(geo.cli.cli, ["regions", "show", "kansai-kouiki-rengo"])
    assert shown.exit_code == 0, shown.output
    assert "26100 京都市" in shown.output and "source:" in shown.output and "unsure:" in shown.output


def test_cli_show_json_and_alias():
    result = CliRunner().invoke(geo.cli.cli, ["regions", "show", "昇龍道", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["grouping"] == "shoryudo" and len(data["members"]["昇龍道"]) == 9
    assert data["unsure"]


def test_region_layer_draws_on_a_map(designated_cities, ssdse, tmp_path):
    from geo.maps import layer_for

    joined, _ = geo.join_indicators(designated_cities, geo.read_indicators(ssdse))
    shapes = geo.dissolve_regions(
        joined, "kouiki-chihou-keikaku", rate_columns={"ageing_rate": ("pop_65plus_2020", "pop_2020", 100)}
    )
    path = tmp_path / "regions.html"
    geo.choropleth(shapes, "ageing_rate", k=4, layers=[layer_for("regions", shapes)], title="高齢化率").save(path)
    assert "九州圏" in path.read_text(encoding="utf-8")


def test_cli_dissolve_writes_layer_and_table(tmp_path, n03_dir, ssdse):
    out = tmp_path / "tokyo"
    result = CliRunner().invoke(geo.cli.cli, [
        "regions", "dissolve", "tokyo-ken",
        "--areas", str(n03_dir / "topojson/s0010/N03-21_210101.json"),
        "--table", str(ssdse), "--sum", "pop_2020", "--rate", "ageing_rate=pop_65plus_2020/pop_2020*100",
        "--mean", "households_per_pop=general_households_2020@pop_2020", "-o", str(out),
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    layer = gpd.read_file(out / "layers.gpkg", layer="regions")
    table = pd.read_csv(out / "regions.csv", encoding="utf-8-sig")
    assert list(layer["region"]) == ["東京圏"] and layer.crs.to_epsg() == 6668
    raw = pd.read_csv(ssdse, dtype={"pref_code": str})
    tokyo = raw[raw["pref_code"].isin(["11", "12", "13", "14"])]
    assert int(table["pop_2020"].iloc[0]) == tokyo["pop_2020"].sum() == 36_914_176
    assert table["ageing_rate"].iloc[0] == pytest.approx(tokyo["pop_65plus_2020"].sum() / tokyo["pop_2020"].sum() * 100)
    assert not list(tmp_path.glob(".*"))  # no temporary files left behind


def test_cli_rejects_bad_options(tmp_path):
    runner = CliRunner()
    bad = runner.invoke(geo.cli.cli, ["regions", "dissolve", "tokyo-ken", "--missing", "zero", "-o", str(tmp_path)])
    assert bad.exit_code == 2
    bad_rate = runner.invoke(geo.cli.cli, [
        "regions", "dissolve", "tokyo-ken", "--areas", "x", "--rate", "ageing", "-o", str(tmp_path / "a"),
    ])  # fmt: skip
    assert bad_rate.exit_code == 2 and "NUMERATOR/DENOMINATOR" in bad_rate.output


def test_cli_dissolve_refuses_sums_that_overflow_to_infinity(tmp_path, n03_dir, ssdse):
    """A column with values near float64's limit once summed to inf and was written as such."""
    raw = pd.read_csv(ssdse, dtype={"pref_code": str})
    raw["pop_2020"] = raw["pop_2020"].astype(float)
    raw.loc[raw["pref_code"].isin(["11", "13"]), "pop_2020"] = 1.0e308  # finite each, infinite together
    table = tmp_path / "ssdse_overflow.csv"
    raw.to_csv(table, index=False)
    args = ["regions", "dissolve", "tokyo-ken", "--areas", str(n03_dir / "topojson/s0010/N03-21_210101.json"),
            "--table", str(table), "--sum", "pop_2020", "-o", str(tmp_path / "out")]  # fmt: skip
    result = CliRunner().invoke(geo.cli.cli, args)
    assert isinstance(result.exception, geo.ValidationError), result.output
    assert "東京圏 (pop_2020) overflow to infinity" in str(result.exception)
    assert not (tmp_path / "out").exists()


def test_cli_dissolve_lists_the_areas_outside_every_region(tmp_path, n03_dir, ssdse):
    """山梨県 selected beside 東京圏: its 27 municipalities entered no total and were never named."""
    prefs = [x for p in ("埼玉県", "千葉県", "東京都", "神奈川県", "山梨県") for x in ("--prefecture", p)]
    args = ["regions", "dissolve", "tokyo-ken", "--areas", str(n03_dir / "topojson/s0010/N03-21_210101.json"),
            "--table", str(ssdse), "--sum", "pop_2020", *prefs, "-o", str(tmp_path / "out")]  # fmt: skip
    result = CliRunner().invoke(geo.cli.cli, args)
    assert result.exit_code == 0, result.output
    assert "tokyo-ken: 27 areas belong to no region and enter no total: 19201 甲府市" in result.output
    report = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert report["areas_outside"] == {"tokyo-ken": 27} and "19201 甲府市" in report["notes"][0]
