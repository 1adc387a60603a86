"""Coverage against count (issue 22, part 4): the covered population as the number of hubs or remedies grows.

For hubs (stations of 甲府市 as candidates, the 山梨 population spread over the 1 km grid) and for the 中津川
remedies: each curve never falls, the exact optimum is never below greedy, the exact point at k is the answer
of the existing siting with ``choose = k``, and one point is checked against brute force over every subset
with distances measured here.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from pyproj import Transformer

import geo
from geo import analyses
from geo.areas import AREA_ROW
from geo.cli import cli
from geo.remedies import choose_remedies

RADIUS = 2000.0
K = 4
SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


@pytest.fixture(scope="module")
def hubs(shared_data):
    selection = analyses.select("n03-2021-s0010", prefectures=["山梨県"])
    stations = geo.read_points("stations-n02-2023-points")
    kofu = selection.areas.loc[selection.areas["muni_code"] == "19201"].to_crs(stations.crs).union_all()
    candidates = stations[stations.within(kofu)].drop_duplicates("station_name").reset_index(drop=True)
    demand, _, _, _ = analyses.place_demand(selection, None, population="ssdse-a", population_column="pop_2020")
    demand = demand.drop(columns=AREA_ROW)
    result = analyses.hubs(selection, candidates, demand, radii_m=(RADIUS,), name_column="station_name", curve=K)
    return {"selection": selection, "candidates": candidates, "demand": demand, "result": result}


def _curve_rules(curve: pd.DataFrame, top: int) -> None:
    greedy = curve[curve["method"] == "greedy"].set_index("k")["covered"]
    exact = curve[curve["method"] == "exact"].set_index("k")["covered"]
    assert list(greedy.index) == list(exact.index) == list(range(1, top + 1))
    assert greedy.is_monotonic_increasing and exact.is_monotonic_increasing
    assert (exact >= greedy - 1e-6).all()
    assert (curve["share"].between(0, 1)).all()
    assert curve.loc[curve["method"] == "exact", "optimal"].all()


def test_the_hub_curve_rises_and_exact_is_never_below_greedy(hubs):
    curve = hubs["result"].curve
    assert list(curve.columns) == ["k", "method", "covered", "share", "site_added", "sites", "optimal"]
    assert 5 <= len(hubs["candidates"]) <= 20
    _curve_rules(curve, K)
    greedy = curve[curve["method"] == "greedy"]
    for k in range(1, K + 1):  # the greedy sequence: each k adds its site_added to the sites of k - 1
        sites = greedy.iloc[k - 1]["sites"].split("、")
        assert sites[-1] == greedy.iloc[k - 1]["site_added"] and len(sites) == k


@pytest.mark.parametrize("k", [2, K])
def test_the_exact_point_at_k_is_the_sitings_choose_k_answer(hubs, k):
    siting = analyses.hubs(hubs["selection"], hubs["candidates"], hubs["demand"], radii_m=(RADIUS,),
                           name_column="station_name", choose=k, method="exact")  # fmt: skip
    row = hubs["result"].curve.query("method == 'exact' and k == @k").iloc[0]
    assert row["covered"] == pytest.approx(siting.siting.covered)
    assert set(row["sites"].split("、")) == set(siting.chosen["station_name"])


def test_one_point_against_brute_force_over_every_subset(hubs):
    """k = 3: every subset of the candidates, coverage counted from straight-line distances measured here."""
    result, demand, candidates = hubs["result"], hubs["demand"], hubs["candidates"]
    crs = result.coverage["metric_crs"].iloc[0]
    centres = demand.to_crs(crs).geometry.centroid
    to_metric = Transformer.from_crs(candidates.crs, crs, always_xy=True)
    hx, hy = to_metric.transform(candidates.geometry.x.to_numpy(), candidates.geometry.y.to_numpy())
    reach = np.hypot(centres.x.to_numpy()[None, :] - np.asarray(hx)[:, None],
                     centres.y.to_numpy()[None, :] - np.asarray(hy)[:, None]) <= RADIUS  # fmt: skip
    w = demand["population"].to_numpy(dtype=float)
    best = max(w[reach[list(s)].any(axis=0)].sum() for s in itertools.combinations(range(len(candidates)), 3))
    row = result.curve.query("method == 'exact' and k == 3").iloc[0]
    assert row["covered"] == pytest.approx(best)
    assert best > 0


def test_the_hub_curve_is_written_by_geo_hubs(hubs, tmp_path):
    path = tmp_path / "candidates.geojson"
    hubs["candidates"].to_file(path, driver="GeoJSON")
    args = ["hubs", str(path), "--prefecture", "山梨県", "--radius", "2000", "--name", "station_name",
            "--curve", "2", "--grid", "--population-table", "ssdse-a", "--population-column", "pop_2020", "-o",
            str(tmp_path / "out")]  # fmt: skip
    out = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert out.exit_code == 0, out.output
    written = pd.read_csv(tmp_path / "out" / "hubs_curve.csv", encoding="utf-8-sig")
    expected = hubs["result"].curve[hubs["result"].curve["k"] <= 2].reset_index(drop=True)
    assert np.allclose(written["covered"], expected["covered"])


# ------------------------------------------------------------------------------------------ remedies


@pytest.fixture(scope="module")
def remedies(shared_data):
    selection = analyses.select("n03-2021-s0010", prefectures=["岐阜県"], municipalities=["21206"])
    return analyses.remedies(
        selection, None, definitions=("handbook-rural", "plateau-toshi-kozo"), date="2020-11-10",
        population_column="pop_2020", population="ssdse-a", feeds=["gtfs-nakatsugawa"],
        stops={"station": geo.read_points("stations-n02-2023-points")},
        add_stops=SCRIPTS / "nakatsugawa_remedies.geojson", add_zones=SCRIPTS / "nakatsugawa_remedy_zones.geojson",
        add_routes=SCRIPTS / "nakatsugawa_remedy_routes.csv", choose=2,
    )  # fmt: skip


def test_the_remedy_curve_rises_and_meets_the_choice_at_every_k(remedies):
    curve = remedies.curve
    _curve_rules(curve, 7)  # default: up to every candidate
    exact = curve[curve["method"] == "exact"].set_index("k")
    for k in range(1, 8):
        assert exact.loc[k, "covered"] == pytest.approx(choose_remedies(remedies.evaluation, k).covered_model)
    assert exact.loc[2, "covered"] == pytest.approx(remedies.choice.covered_model)
    total = remedies.choice.total
    assert exact.loc[7, "share"] == pytest.approx(exact.loc[7, "covered"] / total)
