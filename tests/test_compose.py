"""Commands feed each other: every layer `geo gaps` / `geo hubs` write can be mapped by `geo map --layer`, with
its legend title, unit and the credits of all its inputs; tables take pinned source names; credits add up."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from click.testing import CliRunner

import geo
from geo.cli import cli
from geo.maps.style import ATTRIBUTION_N03
from geo.store import read_layer_info

MESH_CREDIT = "令和2年国勢調査 地域メッシュ統計"
RAIL_CREDIT = "国土数値情報（鉄道データ）"


def invoke(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def gap_outputs(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    out = tmp_path_factory.mktemp("gaps")
    invoke("gaps", "--mesh", "mesh1km-yamanashi", "--stations", "stations-n02-2023-points", "--areas",
           "n03-2021-s0010", "--prefecture", "山梨県", "-o", str(out))  # fmt: skip
    return out / "layers.gpkg"


@pytest.fixture(scope="module")
def hub_outputs(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    out = tmp_path_factory.mktemp("hubs")
    stations = geo.read_points("stations-n02-2023-points")
    yamanashi = geo.assign_points(stations, geo.read_boundaries("n03-2021-s0010", prefectures=["19"]))
    path = out / "stations.gpkg"
    pyogrio.write_dataframe(yamanashi[yamanashi["pref_code"] == "19"], path)
    invoke("hubs", str(path), "--mesh", "mesh1km-yamanashi", "--radius", "1000", "--radius", "5000", "--choose",
           "3", "--credit", "山梨県 駅データ（加工）", "-o", str(out / "hubs"))  # fmt: skip
    return out / "hubs" / "layers.gpkg"


def test_every_layer_carries_title_units_and_credits(gap_outputs: Path, hub_outputs: Path) -> None:
    gaps = read_layer_info(gap_outputs)
    assert set(gaps) == {"gaps", "gaps_by_area"}
    for info in gaps.values():
        assert info.credits[0] == ATTRIBUTION_N03
        assert any(MESH_CREDIT in c for c in info.credits) and any(RAIL_CREDIT in c for c in info.credits)
    assert gaps["gaps_by_area"].units["gap_share_pct"] == "%" and gaps["gaps_by_area"].column == "gap_share_pct"
    hubs = read_layer_info(hub_outputs)
    assert {"hubs", "buffers", "chosen_hubs"} <= set(hubs)
    assert all("山梨県 駅データ（加工）" in info.credits for info in hubs.values())  # --credit travels


@pytest.mark.parametrize(("which", "layer", "legend"), [
    ("gaps", "gaps", "人口"), ("gaps", "gaps_by_area", "交通空白人口の割合"),
    ("hubs", "buffers", "圏域の半径"), ("hubs", "chosen_hubs", "選定した拠点の数"),
])  # fmt: skip
def test_geo_map_any_layer(which, layer, legend, gap_outputs, hub_outputs, tmp_path: Path) -> None:
    source = gap_outputs if which == "gaps" else hub_outputs
    out = tmp_path / f"{layer}.html"
    invoke("map", str(source), "--layer", layer, "-o", str(out))
    page = out.read_text(encoding="utf-8")
    # the hub candidates are a user file here: its --credit stands in for the rail credit
    source_credit = RAIL_CREDIT if which == "gaps" else "山梨県 駅データ（加工）"
    for text in (legend, "国土数値情報（行政区域データ）", source_credit, MESH_CREDIT):
        assert contains(page, text), text


def contains(page: str, text: str) -> bool:
    """Text as written, or as the page's JSON writes it (\\uXXXX escapes)."""
    return text in page or json.dumps(text)[1:-1] in page


def test_gap_share_is_shown_as_percent(gap_outputs: Path, tmp_path: Path) -> None:
    areas = gpd.read_file(gap_outputs, layer="gaps_by_area")
    assert areas["gap_share_pct"].max() > 1  # a percent, not a 0–1 fraction
    m = geo.map_layer(gap_outputs, "gaps_by_area")
    assert all(label.endswith("%") or "%" in label for label in m.classes.labels)
    assert m.classes.labels[-1].endswith("100%以下")  # 0–100, never "0.722%以上"


def test_unknown_layer_lists_the_layers(gap_outputs: Path) -> None:
    result = CliRunner().invoke(cli, ["map", str(gap_outputs), "--layer", "nope", "-o", "x.html"])
    assert result.exit_code == 1 and "layers are: gaps, gaps_by_area" in str(result.exception)


def test_tables_take_pinned_source_names(tmp_path: Path, shared_data: Path) -> None:
    output = invoke("join", "ssdse-a", "--prefecture", "19", "-o", str(tmp_path / "j"))
    assert "27 / 27" in output


def test_api_attribution_adds_to_the_boundary_credit(shared_data: Path) -> None:
    areas = geo.read_boundaries("n03-2021-s0010", level="prefecture")
    areas["x"] = range(len(areas))
    m = geo.choropleth(areas, "x", attribution=["自作データ"])
    assert m.spec.attribution[:2] == (ATTRIBUTION_N03, "自作データ")
