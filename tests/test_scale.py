"""Speed work must not change answers: cached point index, numpy Fisher–Jenks, GeoParquet, dask partitions.

Every expected value is computed independently: point → area by brute force over every polygon with shapely,
class breaks by mapclassify, the dask results by the in-memory functions.
"""

from __future__ import annotations

import subprocess
import sys

import geopandas as gpd
import mapclassify
import numpy as np
import pandas as pd
import pytest
import shapely

import geo
from geo._point_index import STATE_AFTER
from geo.areas import area_index_xy
from geo.crs import area_km2
from geo.maps._jenks import fisher_jenks_bins, fisher_jenks_classes


@pytest.fixture(scope="module")
def yamanashi(municipalities) -> gpd.GeoDataFrame:
    return municipalities[municipalities["pref_code"] == "19"].reset_index(drop=True)


def _brute_force(x: np.ndarray, y: np.ndarray, areas: gpd.GeoDataFrame) -> np.ndarray:
    """Row of the smallest-coded area whose closed polygon holds each point, by testing every polygon."""
    out = np.full(len(x), -1)
    order = np.argsort(areas["muni_code"].to_numpy().astype(str), kind="stable")
    for row in order[::-1]:  # smallest code last, so it wins ties
        hit = shapely.intersects_xy(areas.geometry.iloc[row], x, y)
        out[hit] = row
    return out


def _sample(areas: gpd.GeoDataFrame, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Random points over the areas' box plus boundary vertices (the points on shared borders)."""
    rng = np.random.default_rng(seed)
    b = areas.total_bounds
    x, y = rng.uniform(b[0], b[2], n), rng.uniform(b[1], b[3], n)
    v = shapely.get_coordinates(areas.geometry.to_numpy())[::7]
    return np.concatenate([x, v[:, 0], [np.nan]]), np.concatenate([y, v[:, 1], [35.0]])


@pytest.mark.parametrize("n", [500, STATE_AFTER + 5_000])
def test_cached_index_matches_brute_force_on_both_paths(yamanashi, n):
    x, y = _sample(yamanashi, n, seed=n)
    expected = _brute_force(x, y, yamanashi)
    assert (expected >= 0).sum() > n // 3 and (expected == -1).sum() > 10
    first = area_index_xy(x, y, yamanashi)
    again = area_index_xy(x, y, yamanashi.copy())  # a copy keeps the geometry objects: the cache is reused
    np.testing.assert_array_equal(first, expected)
    np.testing.assert_array_equal(again, expected)


def test_answer_grid_is_built_once_the_points_asked_pay_for_it(yamanashi):
    """Small calls test points directly; the call that takes the total past STATE_AFTER builds the answer grid
    (each run of untouched cells settled by one centre test), and every call agrees with brute force."""
    from geo import _point_index

    areas = yamanashi.copy()
    areas["geometry"] = shapely.from_wkb(shapely.to_wkb(yamanashi.geometry.to_numpy()))  # new objects: no cache
    rank = np.empty(len(areas), dtype=np.int64)  # the tie rule's rank: smallest code first
    rank[np.argsort(areas["muni_code"].to_numpy().astype(str), kind="stable")] = np.arange(len(areas))
    index = _point_index.part_index(areas.geometry.to_numpy(), rank)  # the index area_index_xy will use
    assert index.state is None and index.asked == 0
    step = STATE_AFTER // 3 + 1
    for k in range(3):
        x, y = _sample(areas, step, seed=100 + k)
        np.testing.assert_array_equal(area_index_xy(x, y, areas), _brute_force(x, y, areas))
        assert (index.state is None) == (k < 2)
    assert (index.state >= -1).mean() > 0.9  # most cells answered when built, not one by one as points come
    x, y = _sample(areas, 50_000, seed=7)
    np.testing.assert_array_equal(area_index_xy(x, y, areas), _brute_force(x, y, areas))


def test_first_small_calls_without_an_index_match_brute_force(yamanashi):
    """A boundary set's first small calls go through a tree on the points (no index built); the call that takes
    them past SMALL_FIRST builds the index; the answers never change (boundary vertices and NaN included)."""
    from geo._point_index import SMALL_FIRST

    areas = yamanashi.copy()
    areas["geometry"] = shapely.from_wkb(shapely.to_wkb(yamanashi.geometry.to_numpy()))
    for k, n in enumerate([300, SMALL_FIRST // 2, SMALL_FIRST // 2, 300]):
        x, y = _sample(areas, n, seed=200 + k)
        np.testing.assert_array_equal(area_index_xy(x, y, areas), _brute_force(x, y, areas))


def test_cache_follows_new_geometries_and_codes(yamanashi):
    x, y = _sample(yamanashi, 3_000, seed=3)
    area_index_xy(x, y, yamanashi)
    moved = yamanashi.copy()
    moved["geometry"] = shapely.affinity.translate(moved.geometry.union_all(), 0.05, 0.0)  # one shifted shape
    moved = moved.iloc[:1].reset_index(drop=True)
    np.testing.assert_array_equal(area_index_xy(x, y, moved), _brute_force(x, y, moved))
    recoded = yamanashi.copy()
    recoded["muni_code"] = recoded["muni_code"].to_numpy()[::-1]  # the tie rank changes with the codes
    np.testing.assert_array_equal(area_index_xy(x, y, recoded), _brute_force(x, y, recoded))


def test_fisher_jenks_is_mapclassifys_partition(municipalities):
    rng = np.random.default_rng(0)
    cases = [
        np.asarray(area_km2(municipalities)),  # 1,906 real values, heavy-tailed
        rng.lognormal(size=400),
        rng.integers(0, 15, 300).astype(float),  # many duplicates
        np.array([1.0, 2.0, 3.0, 4.0, 5.0]),  # k=2: {1,2}|{3,4,5} and {1,2,3}|{4,5} cost the same
        np.repeat([0.0, 1.0, 2.0], [5, 3, 5]),  # a symmetric tie again, with duplicates
        np.round(rng.lognormal(11, 1.2, 600)),  # populations: float32 sums lose digits, as in mapclassify
    ]
    for values in cases:
        for k in (2, 3, 5, 7):
            if k > len(np.unique(values)):
                continue
            fitted = mapclassify.FisherJenks(values, k=k)
            np.testing.assert_array_equal(fisher_jenks_bins(values, k), fitted.bins)
            np.testing.assert_array_equal(fisher_jenks_classes(values, k), fitted.yb)


def test_fisher_jenks_map_needs_no_numba_in_a_fresh_process():
    code = (
        "import sys; from geo.maps.style import classify; "
        "c = classify([1, 2, 3, 10, 11, 12, 30, 31], scheme='fisher_jenks', k=3); "
        "print(c.counts, 'numba' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "(3, 3, 2) False"


def test_geoparquet_written_and_read_back_as_points(tmp_path, yamanashi):
    from geo.store import write_geoparquet

    x, y = _sample(yamanashi, 200, seed=5)
    keep = np.isfinite(x)
    points = gpd.GeoDataFrame(
        {"id": np.arange(keep.sum()), "grp": np.arange(keep.sum()) % 3},
        geometry=gpd.points_from_xy(x[keep], y[keep]),
        crs=yamanashi.crs,
    )
    files = write_geoparquet({"points": points, "table": pd.DataFrame({"a": [1]})}, tmp_path / "pq")
    assert [f.name for f in files] == ["points.parquet"]
    with pytest.raises(FileExistsError):
        write_geoparquet({"points": points}, tmp_path / "pq")
    back = geo.read_points(files[0])
    np.testing.assert_array_equal(
        shapely.get_coordinates(back.geometry.to_numpy()), np.column_stack([x[keep], y[keep]])
    )
    for grp, part in points.groupby("grp"):  # a hive-partitioned dataset folder, as Spark or dask write it
        (tmp_path / "dataset" / f"grp={grp}").mkdir(parents=True)
        part.drop(columns="grp").to_parquet(tmp_path / "dataset" / f"grp={grp}" / "part-0.parquet")
    parts = geo.read_points(tmp_path / "dataset")
    assert sorted(parts["id"]) == list(points["id"])


def test_dask_partitions_give_the_in_memory_answers(yamanashi, tmp_path):
    dask_geopandas = pytest.importorskip("dask_geopandas")  # pinned: present in a real install
    from distributed import Client, LocalCluster

    x, y = _sample(yamanashi, 6_000, seed=7)
    keep = np.isfinite(x)
    rng = np.random.default_rng(1)
    points = gpd.GeoDataFrame(
        {"population": rng.integers(0, 9, keep.sum())},
        geometry=gpd.points_from_xy(x[keep], y[keep]),
        crs=yamanashi.crs,
    )
    stops = points.iloc[::97][["geometry"]]
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0", scheduler_port=0
        ) as cluster,
        Client(cluster),
    ):
        lazy = dask_geopandas.from_geopandas(points, npartitions=3)
        pd.testing.assert_frame_equal(
            geo.assign_points(lazy, yamanashi).compute(), geo.assign_points(points, yamanashi)
        )
        counted = geo.count_points(lazy, yamanashi, weight="population")
        pd.testing.assert_frame_equal(counted, geo.count_points(points, yamanashi, weight="population"))
        (tmp_path / "pts").mkdir()
        points.iloc[:2_000].to_parquet(tmp_path / "pts" / "a.parquet")
        points.iloc[2_000:].to_crs(4326).to_parquet(tmp_path / "pts" / "b.parquet")  # another CRS: reprojected
        from_path = geo.count_points(tmp_path / "pts", yamanashi, weight="population")
        expected = geo.count_points(points, yamanashi, weight="population")
        pd.testing.assert_frame_equal(from_path, expected)
        gaps = geo.find_gaps(lazy, stops, walk_m=300, crs=6676).compute()
        pd.testing.assert_frame_equal(gaps, geo.find_gaps(points, stops, walk_m=300, crs=6676), check_like=True)
        coverage = geo.hub_coverage(stops.iloc[:15], lazy, radius_m=1500, crs=6676)
        memory = geo.hub_coverage(stops.iloc[:15], points, radius_m=1500, crs=6676)
        assert coverage.total == memory.total and coverage.covered == memory.covered
        assert coverage.multi_covered == memory.multi_covered and coverage.share == memory.share
        np.testing.assert_allclose(coverage.per_hub_covered.to_numpy(), memory.per_hub["covered"].to_numpy())


def test_chunked_assignment_equals_one_pass(yamanashi, monkeypatch):
    import geo.areas

    x, y = _sample(yamanashi, 12_000, seed=13)
    whole = area_index_xy(x, y, yamanashi)
    monkeypatch.setattr(geo.areas, "_CHUNK", 5_000)
    np.testing.assert_array_equal(area_index_xy(x, y, yamanashi), whole)


def test_progress_bars_only_on_a_terminal(monkeypatch, capsys):
    import io

    from geo._progress import progress, progress_enabled

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert not progress_enabled()  # pytest captures stderr: not a terminal, so no bar in logs
    assert list(progress(range(3), desc="x")) == [0, 1, 2]
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert progress_enabled()
    assert list(progress(range(3), desc="counting")) == [0, 1, 2]
    assert "counting" in terminal.getvalue()
    monkeypatch.setenv("GEO_PROGRESS", "0")
    assert not progress_enabled()


def test_run_writes_geoparquet_beside_the_geopackage_when_asked(tmp_path, shared_data):
    from geo.demo import demo_config_paths
    from geo.store import read_layers

    config = next(p for p in demo_config_paths() if p.stem == "yamanashi")
    text = config.read_text(encoding="utf-8") + "\n[outputs]\nparquet = true\n"
    path = tmp_path / "run.toml"
    path.write_text(text, encoding="utf-8")
    result = geo.run(path, progress=False, output_root=tmp_path / "out")
    written = sorted(p.name for p in (result.output_dir / "parquet").glob("*.parquet"))
    layers = read_layers(result.output_dir / "layers.gpkg")
    assert written == sorted(f"{name}.parquet" for name in layers)
    assert "parquet/areas.parquet" in result.manifest["outputs"]
    areas = gpd.read_parquet(result.output_dir / "parquet" / "areas.parquet")
    pd.testing.assert_frame_equal(
        pd.DataFrame(areas.drop(columns="geometry")),
        pd.DataFrame(layers["areas"].drop(columns="geometry")),
        check_dtype=False,
    )


@pytest.mark.parametrize("extra", [0, STATE_AFTER])
def test_points_on_the_outermost_vertices_are_found(extra):
    squares = gpd.GeoDataFrame(
        {"muni_code": ["00002", "00001"]},
        geometry=[shapely.box(1, 0, 2.3, 0.7), shapely.box(0, 0, 1, 1)],
        crs=6668,
    )
    corners = shapely.get_coordinates(squares.geometry.to_numpy())
    rng = np.random.default_rng(2)
    x = np.concatenate([corners[:, 0], rng.uniform(-0.1, 2.4, extra)])
    y = np.concatenate([corners[:, 1], rng.uniform(-0.1, 1.1, extra)])
    found = area_index_xy(x, y, squares)
    np.testing.assert_array_equal(found, _brute_force(x, y, squares))
    assert (found[: len(corners)] >= 0).all()  # (2.3, 0.7), the far corner, included
