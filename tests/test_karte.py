"""The municipal カルテ (issue #22 part 3): figures equal the run's own tables, A4 PDFs, offline HTML, shared classes,
the ranking, errors, and the same files through the config, ``geo report`` and the API."""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner
from pypdf import PdfReader

import geo
from geo._errors import ValidationError
from geo.cli import cli
from geo.demo import demo_config_paths
from geo.karte import render, write_karte
from geo.params import ReportParams

DEMO = {p.stem: p for p in demo_config_paths()}
A4_PT = (595.0, 842.0)  # 210 × 297 mm in PDF points (1/72 in), rounded
TOL = 1e-9


def csv(folder: Path, name: str) -> pd.DataFrame:
    """A run's CSV read independently of geo: plain pandas, codes as text."""
    return pd.read_csv(folder / f"{name}.csv", encoding="utf-8-sig",
                       dtype={"muni_code": str, "pref_code": str, "station_code": str})  # fmt: skip


def same(a: object, b: object) -> bool:
    if a is None or (isinstance(a, float) and a != a):
        return b is None or (isinstance(b, float) and b != b)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(float(a) - float(b)) <= TOL * max(1.0, abs(float(a)))
    return a == b


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> dict[str, Path]:
    """The two demo runs with [report]: 山梨 (27 municipalities, distance gaps, hubs) and 中津川 (timetable, scenarios)."""
    root = tmp_path_factory.mktemp("karte")
    return {name: geo.run(DEMO[name], progress=False, output_root=root).output_dir
            for name in ("yamanashi", "nakatsugawa")}  # fmt: skip


def kartes(folder: Path) -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted((folder / "report").glob("*.json"))}


def test_every_municipality_has_its_files(runs: dict[str, Path]) -> None:
    areas = csv(runs["yamanashi"], "areas")
    assert len(areas) == 27
    for folder, codes in ((runs["yamanashi"], list(areas["muni_code"])), (runs["nakatsugawa"], ["21206"])):
        for code in codes:
            for suffix in ("html", "pdf", "json"):
                assert (folder / "report" / f"{code}.{suffix}").stat().st_size > 1000, (code, suffix)
        index = (folder / "report" / "index.html").read_text(encoding="utf-8")
        assert all(f'href="{c}.html"' in index and f'href="{c}.pdf"' in index for c in codes)
        assert sorted(csv(folder / "report", "index")["muni_code"]) == sorted(codes)


def test_distance_gap_hub_and_population_figures_equal_the_run_tables(runs: dict[str, Path]) -> None:
    folder = runs["yamanashi"]
    areas, gaps = csv(folder, "areas").set_index("muni_code"), csv(folder, "gaps_by_area").set_index("muni_code")
    per_area, chosen = csv(folder, "coverage_per_area"), csv(folder, "chosen_hubs")
    hubs, stations = csv(folder, "hubs"), csv(folder, "points_stations")
    for code, k in kartes(folder).items():
        values = {i["key"]: i["value"] for i in k["population"]["items"]}
        assert set(values) == {"pop_2020", "pop_2015", "pop_65plus_2020", "ageing_rate", "pop_change"}
        for column, value in values.items():
            assert same(value, areas.loc[code, column].item()), (code, column)
        d = k["distance_gaps"]
        for column in ("demand_population", "gap_population", "gap_share_pct", "demand_cells", "gap_cells"):
            assert same(d[column], gaps.loc[code, column].item()), (code, column)
        assert d["walk_m"] == {"station": 800.0}
        rows = per_area[per_area["muni_code"] == code].sort_values("radius_m")
        assert [c["radius_m"] for c in k["hubs"]["coverage"]] == list(rows["radius_m"])
        for c, (_, r) in zip(k["hubs"]["coverage"], rows.iterrows(), strict=True):
            assert all(same(c[x], r[x]) for x in ("total", "covered", "uncovered", "share"))
        mine = chosen[chosen["muni_code"] == code]
        assert [(c["rank"], c["station_name"], c["gain"]) for c in k["hubs"]["chosen"]] == list(
            zip(mine["rank"], mine["station_name"], mine["gain"], strict=True))  # fmt: skip
        top = hubs[hubs["muni_code"] == code].sort_values(["covered_5000m", "station_name"], ascending=[False, True])
        assert [c["covered_5000m"] for c in k["hubs"]["candidates"]] == list(top["covered_5000m"].head(5))
        layer = k["transit"]["layers"][0]
        assert layer["rows"] == int((stations["muni_code"] == code).sum())
        assert layer["names"] == sorted(set(stations.loc[stations["muni_code"] == code, "station_name"]))
        assert k["scenarios"] is None and k["timetable_gaps"] is None


def test_timetable_and_scenario_figures_equal_the_run_tables(runs: dict[str, Path]) -> None:
    folder = runs["nakatsugawa"]
    k = kartes(folder)["21206"]
    gaps = csv(folder, "gaps_by_area")
    assert len(k["timetable_gaps"]["rows"]) == len(gaps) == 8  # 2 definitions × 4 windows
    for row, (_, r) in zip(k["timetable_gaps"]["rows"], gaps.iterrows(), strict=True):
        assert (row["definition"], row["window"]) == (r["definition"], r["window"])
        assert all(same(row[c], r[c]) for c in ("demand", "gap", "gap_share_pct", "gap_cells"))
    scenarios = csv(folder, "scenarios")
    assert len(k["scenarios"]) == len(scenarios) == 27  # 3 scenarios × (2 definitions × 4 windows + walking distance)
    for row, (_, r) in zip(k["scenarios"], scenarios.iterrows(), strict=True):
        assert all(same(row[c], r[c]) for c in scenarios.columns), row
    areas = csv(folder, "areas").iloc[0]
    values = {i["key"]: i["value"] for i in k["population"]["items"]}
    assert same(values["ageing_rate"], areas["ageing_rate"]) and same(values["pop_change"], areas["pop_change"])
    # the ageing rate shown is the census one: 65+ over persons of known age (independent arithmetic)
    assert same(values["ageing_rate"], 100 * areas["pop_65plus_2020"] / (areas["pop_0_14_2020"] +
                                                                       areas["pop_15_64_2020"] + areas["pop_65plus_2020"]))  # fmt: skip
    assert k["map"]["kind"] == "grades" and sum(k["map"]["counts"]) == len(
        csv(folder, "service_cells").query("muni_code == '21206'"))  # fmt: skip
    assert {c["name"] for c in k["sources"]["citations"]} >= {"handbook-rural", "plateau-toshi-kozo"}
    assert any("SSDSE" in c for c in k["sources"]["credits"])


def test_map_classes_are_shared_across_the_set(runs: dict[str, Path]) -> None:
    folder = runs["yamanashi"]
    gaps = csv(folder, "gaps_by_area").set_index("muni_code")
    all_kartes = kartes(folder)
    first = next(iter(all_kartes.values()))["map"]
    assert first["kind"] == "gap_cells" and len(first["breaks"]) == 5
    for code, k in all_kartes.items():
        assert {x: k["map"][x] for x in ("breaks", "labels", "colors", "title")} == \
               {x: first[x] for x in ("breaks", "labels", "colors", "title")}  # fmt: skip
        assert sum(k["map"]["counts"]) == gaps.loc[code, "gap_cells"]  # every gap cell is in one class
    # the breaks are fitted on the gap cells of the whole set: the top break is the set's largest cell
    cells = csv(folder, "gaps")
    assert same(first["breaks"][-1], float(cells["pop_2020"].max()))
    counts = pd.Series(0, index=range(5))
    for k in all_kartes.values():
        counts += pd.Series(k["map"]["counts"])
    assert counts.sum() == len(cells[cells["muni_code"].isin(all_kartes)])


def test_index_ranks_by_gap_share(runs: dict[str, Path]) -> None:
    folder = runs["yamanashi"]
    index = csv(folder / "report", "index")
    gaps = csv(folder, "gaps_by_area").sort_values(["gap_share_pct", "muni_code"], ascending=[False, True])
    assert list(index["muni_code"]) == list(gaps["muni_code"])
    assert list(index["rank"]) == list(range(1, 28))
    k = kartes(folder)[index["muni_code"].iloc[0]]
    assert k["rank"]["position"] == 1 and k["rank"]["of"] == 27


def test_pdf_pages_are_a4(runs: dict[str, Path]) -> None:
    for path in [runs["nakatsugawa"] / "report/21206.pdf", *sorted((runs["yamanashi"] / "report").glob("*.pdf"))[:3]]:
        reader = PdfReader(path)
        assert 1 <= len(reader.pages) <= 3
        for page in reader.pages:
            box = page.mediabox
            assert (round(float(box.width)), round(float(box.height))) == (595, 842), path
        text = reader.pages[0].extract_text()
        assert "カルテ" in text  # the font is embedded as text, not outlines


def test_config_cli_and_api_give_the_same_files(runs: dict[str, Path], tmp_path: Path) -> None:
    folder = runs["nakatsugawa"]
    api = write_karte(folder, municipalities=["21206"], out=tmp_path / "api")
    done = CliRunner().invoke(cli, ["report", str(folder), "--municipality", "中津川市", "-o", str(tmp_path / "cli")])
    assert done.exit_code == 0, done.output
    for name in ("21206.json", "21206.html", "21206.pdf", "index.html", "index.csv"):
        config_bytes = (folder / "report" / name).read_bytes()
        assert (tmp_path / "api" / name).read_bytes() == config_bytes, name
        assert (tmp_path / "cli" / name).read_bytes() == config_bytes, name
    assert api.figures["21206"] == json.loads((folder / "report/21206.json").read_text(encoding="utf-8"))


def test_unknown_municipality_is_named_with_what_the_run_holds(runs: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as exc:
        write_karte(runs["nakatsugawa"], municipalities=["19201"], out=tmp_path)
    text = str(exc.value)
    assert "'19201' is not in the run 'nakatsugawa'" in text and "21206 中津川市" in text
    with pytest.raises(ValidationError, match=r"no run\.json"):
        write_karte(tmp_path, out=tmp_path / "x")
    result = CliRunner().invoke(cli, ["report", str(runs["nakatsugawa"]), "--prefecture", "山梨県",
                                       "-o", str(tmp_path / "y")])  # fmt: skip
    assert result.exit_code != 0 and isinstance(result.exception, ValidationError)  # geo's main prints it, no trace
    assert "山梨県" in str(result.exception) and "21206 中津川市" in str(result.exception)


def test_html_escapes_every_text(runs: dict[str, Path]) -> None:
    k = kartes(runs["nakatsugawa"])["21206"]
    probe = '<img src=x onerror="alert(1)">'
    k = {**k, "muni_name": probe, "regions": [{"title": probe, "region": "<b>r</b>", "via": "x"}]}
    page = render.page_html(k, "<svg></svg>")
    assert probe not in page and "<b>r</b>" not in page and html.escape(probe) in page


def test_report_section_needs_the_csv_tables(tmp_path: Path) -> None:
    text = DEMO["nakatsugawa"].read_text(encoding="utf-8") + "\n[outputs]\ncsv = false\n"
    config = tmp_path / "c.toml"
    text = text.replace('add_zones = "nakatsugawa_demand_zones.geojson"', 'add_zones = "{}"'.format(
        (DEMO["nakatsugawa"].parent / "nakatsugawa_demand_zones.geojson").as_posix()))  # fmt: skip
    config.write_text(text, encoding="utf-8")
    with pytest.raises(ValidationError, match=r"line \d+: report: the カルテ are built from the run's CSV tables"):
        geo.run(config, progress=False, output_root=tmp_path)
    assert ReportParams().formats == ("html", "pdf")


@pytest.mark.browser
def test_html_renders_offline_in_chromium(runs: dict[str, Path], tmp_path: Path) -> None:
    from browser import Browser, find_chromium

    assert find_chromium(), "Debian chromium is required for the HTML tests (apt-get install chromium)"
    folder = tmp_path / "report"
    shutil.copytree(runs["nakatsugawa"] / "report", folder)
    with Browser(width=1000, height=1400) as b:
        for name in ("21206.html", "index.html"):
            page = b.open(folder / name)
            assert page.console_errors == []
            assert page.external_requests == []
            assert [u for u in page.requests if u.startswith("file:")] == [page.url]  # no second file: self-contained
        b.open(folder / "21206.html")
        text = b.evaluate("document.body.innerText")
        assert "中津川市" in text and "交通空白" in text
        assert b.evaluate("document.querySelectorAll('svg path').length") > 100  # the map is drawn inline
        assert re.search(r"88\.0%", text)  # handbook-rural 09-17, as in gaps_by_area.csv (87.97 %)


def test_remedies_and_the_curve_on_the_karte_equal_the_run_tables(runs: dict[str, Path]) -> None:
    """The 中津川 demo ranks remedies: each one's gap removed per objective pair, the chosen set and the joint figure,
    and the coverage curve, as remedies*.csv hold them."""
    folder = runs["nakatsugawa"]
    k = kartes(folder)["21206"]
    table, joint, chosen = csv(folder, "remedies"), csv(folder, "remedies_joint"), csv(folder, "remedies_chosen")
    rem = k["remedies"]
    pairs = list(zip(joint["definition"], joint["window"], strict=True))
    assert [(p["definition"], p["window"]) for p in rem["pairs"]] == pairs == [("handbook-rural", "17-19"),
        ("handbook-rural", "19-22"), ("plateau-toshi-kozo", "17-19"), ("plateau-toshi-kozo", "19-22")]  # fmt: skip
    assert sorted(r["remedy"] for r in rem["ranking"]) == sorted(set(table["remedy"]))
    for r in rem["ranking"]:
        for (d, w), shown in zip(pairs, r["gap_removed"], strict=True):
            row = table[(table["remedy"] == r["remedy"]) & (table["definition"] == d) & (table["window"] == w)]
            assert same(shown, float(row["gap_removed"].iloc[0])) and r["chosen"] == bool(row["chosen"].iloc[0])
    assert rem["chosen"] == records_of(chosen) and rem["joint"] == records_of(joint)
    assert [r["remedy"] for r in rem["chosen"]] == ["夜間デマンド", "落合巡回線 夜間増便"]
    assert k["curves"]["remedies"] == records_of(csv(folder, "remedies_curve")) and "hubs" not in k["curves"]
    page = (folder / "report/21206.html").read_text(encoding="utf-8")
    assert "選定した対策の組合せ" in page and "夜間デマンド" in page and "最適（MCLP）" in page


def records_of(frame: pd.DataFrame) -> list[dict]:
    return json.loads(frame.to_json(orient="records", force_ascii=False, double_precision=15))


def test_region_memberships_and_nearby_good_practices(runs: dict[str, Path]) -> None:
    # 山梨県 is in the 首都圏 of the 広域地方計画 (国土形成計画法施行令), 岐阜県 in the 中部圏 and in 昇龍道
    for k in kartes(runs["yamanashi"]).values():
        assert {"title": "広域地方計画区域", "region": "首都圏", "via": "都道府県"} in [
            {x: r[x] for x in ("title", "region", "via")} for r in k["regions"]]  # fmt: skip
    k = kartes(runs["nakatsugawa"])["21206"]
    assert {(r["title"], r["region"]) for r in k["regions"]} >= {("広域地方計画区域", "中部圏"), ("昇龍道", "昇龍道")}
    places = k["good_practices"]["rows"]
    assert places and all(0 <= p["distance_km"] <= 30 for p in places)
    assert [p["distance_km"] for p in places] == sorted(p["distance_km"] for p in places)
    # the distances again, in another projection (UTM zone 53N) from the run's own municipal polygon
    area = gpd.read_file(runs["nakatsugawa"] / "layers.gpkg", layer="areas").to_crs(6690).union_all()
    all_places = geo.read_good_practices().set_index("id").to_crs(6690)
    for p in places:
        assert abs(all_places.loc[p["id"], "geometry"].distance(area) / 1000 - p["distance_km"]) < 0.15, p["id"]
    far = all_places[all_places.distance(area) > 30_500]
    assert not set(far.index) & {p["id"] for p in places}
    assert len(places) == int((all_places.distance(area) <= 30_000).sum())


def test_timetable_stops_and_departures_equal_the_run_table_and_the_raw_feed(runs: dict[str, Path],
                                                                             shared_data: Path) -> None:  # fmt: skip
    """The カルテ's stops and departures are the run's stops.csv for 中津川, and that table's departures are the raw
    feed counted with the csv module (stop_times ⨝ trips ⨝ services on 2020-11-10, boarding calls only)."""
    import datetime as dt

    from raw_gtfs import independent_counts

    folder = runs["nakatsugawa"]
    stops = csv(folder, "stops").astype({"stop_id": str})
    shown = kartes(folder)["21206"]["transit"]["timetable"]
    inside = stops[stops["muni_code"] == "21206"]
    assert len(inside) > 100 and shown and sum(x["stops"] for x in shown) == len(inside)
    for x in shown:
        rows = inside[(inside["service_date"] == x["service_date"]) & (inside["mode"] == x["mode"])]
        assert x["dep_day"] == rows["dep_day"].sum() and x["stops_served"] == (rows["dep_day"] > 0).sum()
        assert x["dep_windows"] == {c.removeprefix("dep_"): int(rows[c].sum()) for c in rows.columns
                                    if c.startswith("dep_") and c != "dep_day"}  # fmt: skip
    feed = shared_data / "gtfs-jp-nakatsugawa-toyota" / "nakatsugawa_GTFS.zip"
    whole, morning = independent_counts(feed, dt.date(2020, 11, 10), start_h=7, end_h=9)
    assert sum(whole.values()) == stops["dep_day"].sum() > 0
    assert dict(zip(stops["stop_id"], stops["dep_day"], strict=True)) == {s: whole.get(s, 0) for s in stops["stop_id"]}
    assert dict(zip(stops["stop_id"], stops["dep_07-09"], strict=True)) == {
        s: morning.get(s, 0) for s in stops["stop_id"]
    }


def test_the_hub_curve_is_the_run_table_and_exact_is_never_below_greedy(runs: dict[str, Path]) -> None:
    folder = runs["yamanashi"]
    curve = csv(folder, "hubs_curve")
    shown = kartes(folder)["19201"]["curves"]["hubs"]
    assert shown == records_of(curve) and sorted(set(curve["k"])) == list(range(1, 9))
    wide = curve.pivot(index="k", columns="method", values="covered")
    assert (wide["exact"] >= wide["greedy"] - 1e-6).all() and wide["exact"].is_monotonic_increasing
    assert "拠点数とカバー人口" in (folder / "report/19201.html").read_text(encoding="utf-8")
