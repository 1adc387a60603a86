"""The parity matrix: one question, one answer through every door.

For each question — join, walking-distance gaps, timetable gaps, hubs (two radii, with and without a prefecture),
regions with a rate, and `geo map -t` against `geo join` — the command line, a config run and the API are given
the same inputs, and must write the same tables (byte for byte), under the same layer names, with the same report
figures. And every parameter is an option of the command and a key of the config section (geo.params).
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import textwrap
from pathlib import Path

import pyogrio
import pytest
from click.testing import CliRunner

import geo
from geo import analyses
from geo._inputs import credit_of
from geo.cli import cli
from geo.config import AreaSection, GapsSection, HubsSection, IndicatorTable, MapSpec, RegionsSection
from geo.params import AreaParams, GapsParams, HubsParams, JoinParams, MapParams, RegionsParams, fields_of
from geo.store import read_layer_info

YAMANASHI = ["--prefecture", "山梨県"]


def invoke(*args: str) -> CliRunner:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def run(tmp_path: Path, body: str, name: str = "same") -> Path:
    config = tmp_path / f"{name}.toml"
    config.write_text(f'[run]\nname = "{name}"\n' + textwrap.dedent(body), encoding="utf-8")
    return geo.run(config, progress=False, output_root=tmp_path / "run").output_dir


def layers(folder: Path) -> set[str]:
    """The layer names of the folder's GeoPackage — after checking each one is titled for QGIS and credited."""
    with sqlite3.connect(folder / "layers.gpkg") as db:
        contents = db.execute("SELECT table_name, identifier, description FROM gpkg_contents").fetchall()
    infos = read_layer_info(folder / "layers.gpkg")
    for name, title, description in contents:
        assert title and title != name, f"{name}: no title in gpkg_contents"
        assert description and "出典: 「国土数値情報（行政区域データ）」" in description, f"{name}: {description!r}"
        assert infos[name].credits and infos[name].title == title, name
    return {str(n) for n, _ in pyogrio.list_layers(folder / "layers.gpkg")}


def report(folder: Path, question: str | None = None) -> dict:
    if question is None:
        return json.loads((folder / "report.json").read_text(encoding="utf-8"))
    return json.loads((folder / "run.json").read_text(encoding="utf-8"))["analyses"][question]


def same_tables(names: list[str], *folders: Path) -> None:
    """Every table is the same bytes in every folder."""
    for name in names:
        first = (folders[0] / f"{name}.csv").read_bytes()
        for other in folders[1:]:
            assert (other / f"{name}.csv").read_bytes() == first, f"{name}.csv differs: {folders[0]} vs {other}"


def figures(data: dict, drop: tuple[str, ...] = ("credits", "parameters", "inputs")) -> dict:
    return {k: v for k, v in data.items() if k not in drop}


# ------------------------------------------------------------------------------------------ one definition


@pytest.mark.parametrize(
    ("params", "section", "command"),
    [(AreaParams, AreaSection, "gaps"), (JoinParams, IndicatorTable, "join"), (GapsParams, GapsSection, "gaps"),
     (HubsParams, HubsSection, "hubs"), (RegionsParams, RegionsSection, "regions dissolve"),
     (MapParams, MapSpec, "map")],
)  # fmt: skip
def test_every_parameter_is_a_key_and_an_option(params, section, command) -> None:
    """A key or option cannot exist on one door only: both are derived from the parameters type."""
    names = {f.name for f in fields_of(params)}
    keys = {f.name for f in dataclasses.fields(section)}
    assert names <= keys
    ctx = cli.make_context("geo", [], resilient_parsing=True)
    group, cmd = cli, None
    for part in command.split():
        cmd = group.get_command(ctx, part)
        group = cmd
    options = {p.name for p in cmd.params}
    assert names <= options, names - options
    defaults = {p.name: p.default for p in cmd.params}
    for f in fields_of(params):  # one set of defaults: a value given by default is the parameter's own
        if not isinstance(f.default, tuple) and f.default not in (None, ""):
            assert defaults[f.name] == f.default, f.name


# ----------------------------------------------------------------------------------------------- join


def test_join_three_ways(tmp_path: Path) -> None:
    invoke("join", "ssdse-a", *YAMANASHI, "--column", "pop_2020", "-o", str(tmp_path / "cli"))
    ran = run(tmp_path, """
        [area]
        prefectures = ["山梨県"]
        [[indicators]]
        table = "ssdse-a"
        columns = ["pop_2020"]
    """)  # fmt: skip
    selection = analyses.select("n03-2021-s0010", prefectures=["山梨県"])
    analyses.join(selection, "ssdse-a", columns=("pop_2020",), credits=credit_of("ssdse-a")).write(tmp_path / "api")
    same_tables(["areas"], tmp_path / "cli", ran, tmp_path / "api")
    assert layers(tmp_path / "cli") == layers(tmp_path / "api") == {"areas"} <= layers(ran)
    assert figures(report(tmp_path / "cli")) == figures(report(tmp_path / "api"))


def test_map_table_joins_as_geo_join(tmp_path: Path) -> None:
    """`geo map -t` joins through the same analysis: the same selection, the same report, the same rows."""
    joined = invoke("join", "ssdse-a", *YAMANASHI, "-o", str(tmp_path / "join")).output
    mapped = CliRunner().invoke(cli, ["map", "n03-2021-s0010", "-t", "ssdse-a", *YAMANASHI, "-c", "pop_2020", "-o",
                                      str(tmp_path / "m.html")])  # fmt: skip
    assert mapped.exit_code == 0, mapped.output
    join_report = joined.split("wrote")[0].strip()
    assert join_report and join_report in mapped.output  # rows of other prefectures: outside, not unmatched
    assert "選択外の行 rows outside the selected areas (not joined): 1,714" in join_report


# ----------------------------------------------------------------------------------------------- gaps


GAPS_CONFIG = """
    [area]
    prefectures = ["山梨県"]
    [[points]]
    name = "mesh"
    path = "mesh1km-yamanashi"
    kind = "mesh"
    [[points]]
    name = "stations"
    path = "stations-n02-2023-points"
    kind = "station"
    [gaps]
    demand = "mesh"
    weight = "pop_2020"
    supply = ["stations"]
"""


@pytest.fixture(scope="module")
def gap_doors(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("gaps")
    invoke("gaps", "--mesh", "mesh1km-yamanashi", "--stations", "stations-n02-2023-points", *YAMANASHI, "--weight",
           "pop_2020", "-o", str(tmp / "cli"))  # fmt: skip
    ran = run(tmp, GAPS_CONFIG)
    selection = analyses.select("n03-2021-s0010", prefectures=["山梨県"])
    credits = (*credit_of("mesh1km-yamanashi"), *credit_of("stations-n02-2023-points"))
    result = analyses.gaps(selection, geo.read_mesh(geo.fetch("mesh1km-yamanashi")),
                           {"station": geo.read_points("stations-n02-2023-points")}, weight="pop_2020",
                           credits=credits)  # fmt: skip
    result.write(tmp / "api")
    return {"cli": tmp / "cli", "run": ran, "api": tmp / "api"}


def test_gaps_three_ways(gap_doors: dict[str, Path]) -> None:
    cli_dir, ran, api = gap_doors["cli"], gap_doors["run"], gap_doors["api"]
    same_tables(["gaps", "gaps_by_area"], cli_dir, ran, api)
    assert layers(cli_dir) == layers(api) == {"gaps", "gaps_by_area"} <= layers(ran)
    assert figures(report(cli_dir)) == figures(report(api)) == figures(report(ran, "gaps"))
    f = report(cli_dir)
    assert (f["demand_weight"], f["gap_weight"], f["outside_weight"]) == (809_298, 638_155, 676)


def test_timetable_gaps_three_ways(tmp_path: Path) -> None:
    args = ["gaps", "--grid", "--gtfs", "gtfs-nakatsugawa", "--stations", "stations-n02-2023-points", "--date",
            "2020-11-10", "--definition", "handbook-rural", "--prefecture", "岐阜県", "--municipality", "21206",
            "--population-table", "ssdse-a", "--population-column", "pop_2020", "--no-maps"]  # fmt: skip
    invoke(*args, "-o", str(tmp_path / "cli"))
    ran = run(tmp_path, """
        [area]
        prefectures = ["岐阜県"]
        municipalities = ["21206"]
        [[points]]
        name = "stations"
        path = "stations-n02-2023-points"
        kind = "station"
        [gaps]
        demand = "grid"
        population_table = "ssdse-a"
        population_column = "pop_2020"
        gtfs = ["gtfs-nakatsugawa"]
        date = "2020-11-10"
        definitions = ["handbook-rural"]
        supply = ["stations"]
        maps = false
    """)  # fmt: skip
    selection = analyses.select("n03-2021-s0010", prefectures=["岐阜県"], municipalities=["21206"])
    result = analyses.timetable_gaps(
        selection, None, definitions=("handbook-rural",), date="2020-11-10", population_column="pop_2020", maps=False,
        feeds=["gtfs-nakatsugawa"], stops={"station": geo.read_points("stations-n02-2023-points")},
        population="ssdse-a",
    )  # fmt: skip
    result.write(tmp_path / "api")
    same_tables(["service_cells", "gaps", "gap_totals", "gaps_by_area"], tmp_path / "cli", ran, tmp_path / "api")
    assert layers(tmp_path / "cli") == layers(tmp_path / "api") <= layers(ran)
    assert report(tmp_path / "cli")["totals"] == report(tmp_path / "api")["totals"] == report(ran, "gaps")["totals"]


# ----------------------------------------------------------------------------------------------- hubs


HUB_TABLES = ["hubs", "coverage", "coverage_per_hub", "coverage_per_area", "uncovered_1000m", "uncovered_5000m",
              "chosen_hubs", "siting"]  # fmt: skip


@pytest.mark.parametrize("prefecture", [True, False], ids=["山梨県", "all-of-Japan"])
def test_hubs_three_ways_pick_the_same_sites(tmp_path: Path, gap_doors: dict[str, Path], prefecture: bool) -> None:
    """山梨 stations as candidates, mesh demand, radii 1 km and 5 km, choose 3, exact: one answer."""
    area = YAMANASHI if prefecture else []
    invoke("hubs", "stations-n02-2023-points", "--mesh", "mesh1km-yamanashi", *area, "--radius", "1000", "--radius",
           "5000", "--choose", "3", "--method", "exact", "--weight", "pop_2020", "-o", str(tmp_path / "cli"))  # fmt: skip
    ran = run(tmp_path, ("""
        [area]
        prefectures = ["山梨県"]
        """ if prefecture else "") + """
        [[points]]
        name = "mesh"
        path = "mesh1km-yamanashi"
        kind = "mesh"
        [[points]]
        name = "stations"
        path = "stations-n02-2023-points"
        kind = "candidate"
        [hubs]
        candidates = "stations"
        demand = "mesh"
        weight = "pop_2020"
        radii_m = [1000, 5000]
        choose = 3
        method = "exact"
    """)  # fmt: skip
    selection = analyses.select("n03-2021-s0010", prefectures=["山梨県"] if prefecture else [])
    result = analyses.hubs(selection, geo.read_points("stations-n02-2023-points"),
                           geo.read_mesh(geo.fetch("mesh1km-yamanashi")), radii_m=(1000, 5000), choose=3,
                           method="exact", weight="pop_2020")  # fmt: skip
    result.write(tmp_path / "api")
    same_tables(HUB_TABLES, tmp_path / "cli", ran, tmp_path / "api")
    assert layers(tmp_path / "cli") == layers(tmp_path / "api") <= layers(ran)
    assert figures(report(tmp_path / "cli")) == figures(report(tmp_path / "api")) == figures(report(ran, "hubs"))
    chosen = result.chosen["station_name"].tolist()
    assert chosen == ["善光寺", "月江寺", "南甲府"]  # the smallest radius (1 km) decides, through every door
    if prefecture:  # the denominators of hubs and gaps agree: the same demand placed by the same rule
        assert result.coverage["total"].tolist() == [report(gap_doors["cli"])["demand_weight"]] * 2 == [809_298] * 2


# --------------------------------------------------------------------------------------------- regions


def test_regions_with_a_rate_three_ways(tmp_path: Path) -> None:
    rate = "pop_65plus_2020/pop_2020*100"
    invoke("regions", "dissolve", "kouiki-chihou-keikaku", "--table", "ssdse-a", "--level", "designated_city",
           "--column", "pop_2020", "--column", "pop_65plus_2020", "--rate", f"ageing_rate={rate}", "--missing",
           "skip", "-o", str(tmp_path / "cli"))  # fmt: skip
    ran = run(tmp_path, f"""
        [area]
        level = "designated_city"
        [[indicators]]
        table = "ssdse-a"
        columns = ["pop_2020", "pop_65plus_2020"]
        [regions]
        presets = ["kouiki-chihou-keikaku"]
        rates = {{ ageing_rate = "{rate}" }}
        missing = "skip"
    """)  # fmt: skip
    joined = analyses.join(analyses.select("n03-2021-s0010", level="designated_city"), "ssdse-a",
                           columns=("pop_2020", "pop_65plus_2020"))  # fmt: skip
    result = analyses.regions(joined.areas, ["kouiki-chihou-keikaku"], rates={"ageing_rate": rate}, missing="skip",
                              counts=["pop_2020", "pop_65plus_2020"])  # fmt: skip
    result.write(tmp_path / "api")
    same_tables(["regions"], tmp_path / "cli", ran, tmp_path / "api")
    shapes = result.regions.set_index("region")
    assert shapes.loc["首都圏", "ageing_rate"] == pytest.approx(25.3428, abs=1e-4)
    # the definition travels in the column's title, so two ageing rates can be told apart
    titles = geo.store.read_layer_info(ran / "layers.gpkg", "regions")["regions"].column_titles
    assert titles["ageing_rate"] == "ageing_rate = pop_65plus_2020 / pop_2020 × 100"
