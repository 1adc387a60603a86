"""One spine: the same question asked through `geo gaps`, `geo run` and the API gives the same numbers, and
those numbers equal an independent computation with plain geopandas from the raw shared files."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import geo
import geo.areas
from geo.cli import cli

MESH = "estat-mesh1km-census-yamanashi/yamanashi_mesh1km_2020.csv"
STATIONS = "ksj-n02-2023-railway-stations/stations_points.csv"
N03 = "japan-topography-n03-2021/topojson/s0010/N03-21_210101.json"


@pytest.fixture(scope="module")
def independent(shared_data: Path) -> dict[str, float]:
    """山梨 stations 800 m by plain geopandas: mesh centres from the raw CSV, sjoin, sjoin_nearest."""
    raw = pd.read_csv(shared_data / MESH, dtype={"mesh_code": str})
    centres = gpd.GeoDataFrame(raw, geometry=gpd.points_from_xy(raw.lon_center, raw.lat_center), crs=6668)
    areas = gpd.read_file(shared_data / N03).set_crs(6668, allow_override=True)  # N03 attributes, no toolkit reader
    areas["pref"] = areas["N03_007"].astype("string").str.zfill(5).str[:2]
    hit = gpd.sjoin(centres, areas[["pref", "geometry"]], how="left", predicate="within")
    hit = hit[~hit.index.duplicated()]
    in_pref = hit["pref"] == "19"
    nowhere = hit["pref"].isna()
    yamanashi = areas[areas["pref"] == "19"].to_crs(6676)
    near = centres[nowhere].to_crs(6676).distance(yamanashi.union_all()) <= 1000
    keep = in_pref | (nowhere & near.reindex(centres.index, fill_value=False))
    kept = centres[keep].to_crs(6676)
    stations = pd.read_csv(shared_data / STATIONS)
    lon = next(c for c in stations.columns if c.lower() in ("lon", "longitude", "経度"))
    lat = next(c for c in stations.columns if c.lower() in ("lat", "latitude", "緯度"))
    st = gpd.GeoDataFrame(geometry=gpd.points_from_xy(stations[lon], stations[lat]), crs=6668).to_crs(6676)
    nearest = gpd.sjoin_nearest(kept[["pop_2020", "geometry"]], st, distance_col="d")
    nearest = nearest[~nearest.index.duplicated()]
    gap = nearest["d"] > 800
    return {
        "demand": float(nearest["pop_2020"].sum()),
        "gap": float(nearest.loc[gap, "pop_2020"].sum()),
        "outside": float(raw.loc[~keep.to_numpy(), "pop_2020"].sum()),
    }


def test_yamanashi_stations_800m_three_ways(shared_data: Path, tmp_path: Path, independent: dict) -> None:
    # 1. the API step
    selection = geo.analyses.select("n03-2021-s0010", prefectures=["山梨県"])
    cells = geo.read_mesh(shared_data / MESH)
    api = geo.analyses.gaps(selection, cells, {"station": geo.read_points(shared_data / STATIONS)}, station_m=800)
    # 2. the command line
    out = CliRunner().invoke(
        cli, ["gaps", "--mesh", "mesh1km-yamanashi", "--stations", "stations-n02-2023-points",
              "--areas", "n03-2021-s0010", "--prefecture", "山梨県", "-o", str(tmp_path / "cli")],
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    cli_areas = pd.read_csv(tmp_path / "cli" / "gaps_by_area.csv", encoding="utf-8-sig")
    # 3. a config run
    config = tmp_path / "run.toml"
    config.write_text(textwrap.dedent("""
        [run]
        name = "same"
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
    """), encoding="utf-8")  # fmt: skip
    run = geo.run(config, progress=False, output_root=tmp_path / "run")
    manifest = json.loads((run.output_dir / "run.json").read_text(encoding="utf-8"))["analyses"]["gaps"]
    run_areas = pd.read_csv(run.output_dir / "areas.csv", encoding="utf-8-sig")

    figures = api.report.figures
    assert figures["demand_weight"] == independent["demand"] == 809_298
    assert figures["gap_weight"] == independent["gap"] == 638_155
    assert figures["outside_weight"] == independent["outside"] == 676
    assert manifest["demand_weight"] == figures["demand_weight"] and manifest["gap_weight"] == figures["gap_weight"]
    assert cli_areas["gap_population"].sum() == run_areas["gap_population"].sum() == figures["gap_weight"]
    assert cli_areas["demand_population"].sum() == run_areas["demand_population"].sum() == figures["demand_weight"]
    assert "population: 638,155 of 809,298 (78.9%)" in out.output
    np.testing.assert_allclose(cli_areas["gap_share_pct"], run_areas["gap_share_pct"])
    assert api.by_area["gap_share_pct"].between(0, 100).all()  # a percent, one way everywhere


def test_place_rule_on_hand_made_shapes() -> None:
    """Inside → its area; in no area within snap_m → nearest selected area; in an unselected area → outside."""
    import shapely

    squares = gpd.GeoDataFrame(
        {"pref_code": ["19", "20"], "muni_code": ["19201", "20201"], "muni_name": ["甲", "乙"]},
        geometry=[shapely.box(138.0, 35.0, 138.1, 35.1), shapely.box(138.1, 35.0, 138.2, 35.1)], crs=6668,
    )  # fmt: skip
    selection = geo.areas.AreaSelection(squares.iloc[[0]].reset_index(drop=True), squares, "hand-made")
    pts = gpd.GeoDataFrame(
        {"w": [1.0, 2.0, 4.0, 8.0]},
        geometry=gpd.points_from_xy([138.05, 138.15, 137.995, 137.9], [35.05, 35.05, 35.05, 35.05]), crs=6668,
    )  # fmt: skip
    placed, report = geo.place(pts, selection, snap_m=1000, weight="w")
    assert placed["w"].tolist() == [1.0, 4.0]  # inside; 450 m west of the square (snapped)
    assert report.figures == {"rows": 4, "inside": 2, "snapped": 1, "outside": 2, "outside_weight": 10.0}
    assert placed["muni_code"].tolist() == ["19201", "19201"]
