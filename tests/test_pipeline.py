"""The main job from the user's side: the demo map set, config runs, reproducibility, bad configs, PostGIS."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from browser import Browser, find_chromium
from click.testing import CliRunner
from PIL import Image

import geo
from geo import ValidationError
from geo.cli import cli
from geo.demo import demo_config_paths
from geo.store import read_layers

pytest_plugins = ["postgis_fixture"]

READY = "document.documentElement.dataset.geoReady === '1'"
YAMANASHI = next(p for p in demo_config_paths() if p.stem == "yamanashi")


# `demo` (the demo map set, run once per session) comes from tests/conftest.py


def test_demo_set_is_complete(demo):
    root, results = demo
    assert [r.manifest["run"] for r in results] == ["japan", "yamanashi", "nakatsugawa"]
    index = (root / "index.html").read_text(encoding="utf-8")
    links = re.findall(r'href="([^"]+)"', index)
    assert links and all((root / link).is_file() for link in links)
    names = {p.name for r in results for p in r.output_dir.iterdir()}
    for expected in ("muni_pop_change.html", "muni_ageing.png", "pref_ageing.html", "regions_ageing.png",
                     "gap_share.html", "hub_coverage.png", "layers.gpkg", "run.json"):  # fmt: skip
        assert expected in names
    japan = read_layers(results[0].output_dir / "layers.gpkg")
    assert {"areas", "regions", "good_practices"} <= set(japan)
    assert len(japan["areas"]) == 1751 and len(japan["regions"]) == 8
    # national population survives the whole pipeline exactly (SSDSE-A total, 2020 census)
    assert japan["areas"]["pop_2020"].sum() == 126_146_099
    # the policy document's good-practice places: one switchable layer per pillar (1)-(5)
    page = (results[0].output_dir / "muni_pop_change.html").read_text(encoding="utf-8")
    assert all(f"好事例（{pillar}）" in page for pillar in range(1, 6))
    assert sorted(japan["good_practices"]["pillar"].unique()) == [1, 2, 3, 4, 5]
    yamanashi = read_layers(results[1].output_dir / "layers.gpkg")
    assert {"gaps", "buffers", "chosen_hubs"} <= set(yamanashi)
    # 16 border cells of the Yamanashi mesh fall inside a neighbour on the simplified boundaries: reported
    assert results[1].manifest["reports"]["points.mesh"]["outside"] == 16
    assert yamanashi["areas"]["demand_population"].sum() == pytest.approx(809_974, rel=1e-3)


def test_run_json_lists_every_input_with_its_checksum(demo):
    _, results = demo
    for result in results:
        manifest = json.loads((result.output_dir / "run.json").read_text(encoding="utf-8"))
        assert manifest["inputs"]
        for entry in manifest["inputs"].values():
            digest = hashlib.sha256(Path(entry["path"]).read_bytes()).hexdigest()
            assert entry["sha256"] == digest
        assert manifest["versions"]["geopandas"] and manifest["timings_s"]["total"] > 0
        assert sorted(manifest["outputs"]) == sorted(
            str(p.relative_to(result.output_dir)) for p in result.output_dir.rglob("*") if p.is_file()
            and p.name != "run.json"
        )  # fmt: skip
    gaps = results[1].manifest["analyses"]["gaps"]
    assert gaps["crs_name"] == "JGD2011 / Japan Plane Rectangular CS VIII"


def test_every_png_is_not_blank(demo):
    root, _ = demo
    pngs = sorted(root.glob("*/*.png"))
    assert len(pngs) >= 7
    for png in pngs:
        img = Image.open(png).convert("RGB").resize((200, 200))
        colours = img.getcolors(maxcolors=200 * 200)
        assert len(colours) > 30 and max(colours)[0] / (200 * 200) < 0.9, png.name


@pytest.mark.browser
def test_every_html_opens_offline(demo):
    root, _ = demo
    assert find_chromium(), "Debian chromium is needed for the browser tests (make system-deps)"
    pages = sorted(root.glob("*/*.html"))
    assert len(pages) >= 7
    with Browser() as browser:
        for page in pages:
            load = browser.open(page, ready=READY)
            assert load.ready and load.console_errors == [] and load.external_requests == [], page.name
            shapes = browser.evaluate(
                "document.querySelectorAll('path.geo-area').length || "  # SVG maps
                "Number(document.documentElement.dataset.geoShapes || 0)"
            )  # canvas pages
            assert shapes > 0, page.name
            assert "国土数値情報" in browser.evaluate("document.body.innerText")
        index = browser.open(root / "index.html")
        assert index.console_errors == [] and index.external_requests == []


def test_same_config_twice_gives_identical_outputs(demo, tmp_path):
    first = demo[1][1]  # the demo set ran this same config once already
    assert first.manifest["run"] == "yamanashi"
    second = geo.run(YAMANASHI, progress=False, output_root=tmp_path / "b")
    csvs = sorted(p.name for p in first.output_dir.glob("*.csv"))
    assert csvs
    for name in csvs:
        assert (first.output_dir / name).read_bytes() == (second.output_dir / name).read_bytes(), name
    a, b = read_layers(first.output_dir / "layers.gpkg"), read_layers(second.output_dir / "layers.gpkg")
    assert a.keys() == b.keys()
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name])


def _config(tmp_path: Path, edit) -> Path:
    text = edit(YAMANASHI.read_text(encoding="utf-8"))
    path = tmp_path / "run.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace("choose = 5", "choose = 5\nradius = 3"), r"line \d+: hubs.radius: unknown key"),
        (lambda t: t.replace('path = "mesh1km-yamanashi"', 'path = "mesh.csv"'), r"line \d+: points\[1\].path"),
        (
            lambda t: t.replace('"pop_15_64_2020", "pop_65plus_2020"]', '"pop_15_64_2020", "pop_2025"]', 1),
            r"line \d+: indicators\[0\].columns: \['pop_2025'\] not in ssdse-a",
        ),
        (lambda t: t.replace('column = "pop_2020"', 'column = "population"'), r"line \d+: maps\[1\].column"),
    ],
)
def test_bad_config_fails_before_work_and_leaves_nothing(tmp_path, edit, message):
    config = _config(tmp_path, edit)
    with pytest.raises(ValidationError, match=message):
        geo.run(config, progress=False)
    assert not (tmp_path / "outputs").exists() or not any((tmp_path / "outputs").iterdir())


def test_failure_mid_run_keeps_previous_output(demo, tmp_path, monkeypatch, shared_data):
    previous = tmp_path / "outputs" / "yamanashi"  # a finished earlier run of the same config: the demo's
    shutil.copytree(demo[1][1].output_dir, previous)
    before = sorted(p.name for p in previous.iterdir())
    assert "run.json" in before

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("geo.analyses.hub_analysis.choose_hubs", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        geo.run(YAMANASHI, progress=False, output_root=previous.parent)
    assert sorted(p.name for p in previous.iterdir()) == before
    assert [p.name for p in previous.parent.iterdir()] == ["yamanashi"]  # no staging folder left


def test_cli_run_check_and_exit_codes(tmp_path):
    runner = CliRunner()
    ok = runner.invoke(cli, ["run", str(YAMANASHI), "--check"])
    assert ok.exit_code == 0 and "valid" in ok.output
    bad = _config(tmp_path, lambda t: t.replace("[gaps]", "[gapz]"))
    from geo.cli import main

    for args, code in ((["run", str(bad)], 1), (["run"], 2), (["nosuchcommand"], 2), (["run", "--help"], 0)):
        with pytest.raises(SystemExit) as exit_:
            monkey_argv(["geo", *args], main)
        assert exit_.value.code == code, args


def monkey_argv(argv, main):
    import sys

    saved = sys.argv
    sys.argv = argv
    try:
        main()
    finally:
        sys.argv = saved


@pytest.mark.postgis
def test_postgis_round_trip(tmp_path, postgis_url, shared_data):
    result = geo.run(YAMANASHI, progress=False, output_root=tmp_path, db=postgis_url)
    back = read_layers(postgis_url, ["areas", "gaps", "chosen_hubs"])
    local = read_layers(result.output_dir / "layers.gpkg", ["areas", "gaps", "chosen_hubs"])
    for name in local:
        assert len(back[name]) == len(local[name]), name
        assert back[name].crs.to_epsg() == 6668
    a = back["areas"].sort_values("muni_code").reset_index(drop=True)
    b = local["areas"].sort_values("muni_code").reset_index(drop=True)
    assert a["muni_code"].tolist() == b["muni_code"].tolist()
    assert np.allclose(a["gap_population"], b["gap_population"])
    assert a.geometry.geom_equals(b.geometry).all()  # the GeoPackage stores MultiPolygon for mixed layers
    assert result.manifest["database"] == postgis_url.split("@")[-1]  # no user or password in run.json


def test_tables_a_section_names_are_inputs_with_their_credit(tmp_path: Path) -> None:
    """A population table spread over the grid ([gaps], [hubs]) is an input like any other: run.json records its
    SHA-256 and credit, and the layers built on it credit it (it was used but not credited)."""
    config = tmp_path / "run.toml"
    config.write_text(f"""
[run]
name = "credited"
output_dir = "{tmp_path / 'out'}"
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
supply = ["stations"]
[hubs]
candidates = "stations"
demand = "grid"
population_table = "ssdse-a"
population_column = "pop_2020"
radii_m = [5000]
""", encoding="utf-8")  # fmt: skip
    result = geo.run(config, progress=False)
    ssdse = geo.sources.get_source("ssdse-a")
    for role in ("gaps.population_table", "hubs.population_table"):
        entry = result.manifest["inputs"][role]
        assert entry["credit"] == ssdse.credit and len(entry["sha256"]) == 64
    with sqlite3.connect(result.output_dir / "layers.gpkg") as db:
        described = dict(db.execute("select table_name, description from gpkg_contents").fetchall())
    for layer in ("gaps", "gaps_by_area", "hubs", "buffers"):
        assert ssdse.credit in described[layer], layer
