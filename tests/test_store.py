"""Output store: GeoPackage and PostGIS round trips, atomic writes, deterministic CSV, staged folders."""

from __future__ import annotations

import hashlib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import geo
from geo import store
from geo.store import read_layers, staging_dir, write_csv, write_layers

pytest_plugins = ["postgis_fixture"]  # the postgis_url and pg_schema fixtures (tests/postgis_fixture.py)


@pytest.fixture(scope="module")
def yamanashi(municipalities) -> gpd.GeoDataFrame:
    """Real municipalities of one prefecture plus a few attribute types, including missing values."""
    areas = municipalities[municipalities["pref_code"] == "19"].reset_index(drop=True)
    n = len(areas)
    out = areas.assign(
        pop=np.arange(n, dtype="int64") * 1000 + 7,
        share=np.linspace(0, 1, n) / 3,
        flag=np.arange(n) % 2 == 0,
        comment=pd.Series(["a,b", None, '引用"符"', *["x"] * (n - 3)], dtype="str"),
    )
    return out[[c for c in out.columns if c != "geometry"] + ["geometry"]]  # stores keep geometry last


@pytest.fixture(scope="module")
def tokyo_codes() -> pd.DataFrame:
    """A table without geometry whose codes would lose their leading zeros if read as numbers."""
    return pd.DataFrame({"muni_code": ["01101", "13101", "47382"], "value": [1.5, np.nan, 3.25]})


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _assert_same(read: pd.DataFrame, written: pd.DataFrame) -> None:
    assert list(read.columns) == list(written.columns)
    for column in written.columns:
        if column == "geometry":
            # a GeoPackage layer mixing Polygon and MultiPolygon is stored as MultiPolygon: same shapes
            assert read.geometry.geom_equals(written.geometry).all()
            assert (read.geometry.get_coordinates() == written.geometry.get_coordinates()).all().all()
        else:
            pd.testing.assert_series_equal(read[column], written[column], check_dtype=False, check_names=False)


# --- GeoPackage ---------------------------------------------------------------------------------------------


def test_geopackage_round_trip(tmp_path, yamanashi, tokyo_codes):
    path = write_layers({"areas": yamanashi, "table": tokyo_codes}, tmp_path / "run.gpkg")
    layers = read_layers(path)
    assert list(layers) == ["areas", "table"]
    areas = layers["areas"]
    assert isinstance(areas, gpd.GeoDataFrame) and areas.crs.to_epsg() == 6668
    assert set(areas.geom_type) == {"MultiPolygon"}
    _assert_same(areas, yamanashi)
    assert areas["muni_code"].str.fullmatch(r"\d{5}").all()
    table = layers["table"]
    assert not isinstance(table, gpd.GeoDataFrame)
    assert list(table["muni_code"]) == ["01101", "13101", "47382"]  # leading zeros kept
    assert read_layers(path, ["table"]).keys() == {"table"}


def test_geopackage_is_byte_identical_across_runs(tmp_path, yamanashi, tokyo_codes):
    layers = {"areas": yamanashi, "table": tokyo_codes}
    first = write_layers(layers, tmp_path / "a.gpkg")
    second = write_layers(layers, tmp_path / "b.gpkg")
    assert _digest(first) == _digest(second)


def test_existing_geopackage_needs_overwrite(tmp_path, tokyo_codes, yamanashi):
    path = write_layers({"table": tokyo_codes}, tmp_path / "run.gpkg")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        write_layers({"areas": yamanashi}, path)
    write_layers({"areas": yamanashi}, path, overwrite=True)
    assert list(read_layers(path)) == ["areas"]  # replaced, not appended to


def test_failure_mid_write_keeps_the_old_file(tmp_path, tokyo_codes, yamanashi, monkeypatch):
    path = write_layers({"table": tokyo_codes}, tmp_path / "run.gpkg")
    before = _digest(path)
    real = store.pyogrio.write_dataframe
    calls = []

    def failing(frame, target, **kwargs):
        calls.append(target)
        if len(calls) == 2:  # the first layer is already in the temporary file
            raise OSError("disk full")
        return real(frame, target, **kwargs)

    monkeypatch.setattr(store.pyogrio, "write_dataframe", failing)
    with pytest.raises(OSError, match="disk full"):
        write_layers({"areas": yamanashi, "table": tokyo_codes}, path, overwrite=True)
    assert _digest(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.gpkg"]  # no temporary file left
    with pytest.raises(OSError, match="disk full"):
        calls.clear()
        write_layers({"areas": yamanashi, "table": tokyo_codes}, tmp_path / "new.gpkg")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.gpkg"]  # no half-written new file


def test_bad_targets_and_layers(tmp_path, yamanashi, tokyo_codes):
    with pytest.raises(geo.ValidationError, match=r"\.gpkg file or a postgresql:// URL"):
        write_layers({"t": tokyo_codes}, tmp_path / "run.shp")
    with pytest.raises(geo.ValidationError, match="no layers"):
        write_layers({}, tmp_path / "run.gpkg")
    with pytest.raises(geo.CRSError, match="'raw' has no CRS"):
        write_layers({"raw": yamanashi.set_crs(None, allow_override=True)}, tmp_path / "run.gpkg")
    (tmp_path / "afile").write_text("x")
    with pytest.raises(FileExistsError, match="is a file"):
        write_layers({"t": tokyo_codes}, tmp_path / "afile" / "run.gpkg")
    assert write_layers({"t": tokyo_codes}, tmp_path / "new" / "run.gpkg").is_file()  # folder created
    path = write_layers({"t": tokyo_codes}, tmp_path / "run.gpkg")
    with pytest.raises(geo.ValidationError, match="no layer 'areas'; layers are: t"):
        read_layers(path, ["areas"])
    assert not list(tmp_path.glob(".*")) and not list((tmp_path / "new").glob(".*"))


# --- CSV ----------------------------------------------------------------------------------------------------


def test_csv_is_byte_identical_and_readable(tmp_path, yamanashi):
    first = write_csv(yamanashi, tmp_path / "a.csv")
    second = write_csv(yamanashi.copy(), tmp_path / "b.csv")
    assert first.read_bytes() == second.read_bytes()
    raw = first.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfpref_code,pref_name,muni_code,muni_name,pop,share,flag,comment\n")
    assert b"\r" not in raw
    back = pd.read_csv(first, dtype={"pref_code": str, "muni_code": str})
    assert list(back.columns) == [c for c in yamanashi.columns if c != "geometry"]
    assert back["muni_code"].tolist() == yamanashi["muni_code"].tolist()
    assert np.allclose(back["share"], yamanashi["share"], rtol=1e-11)
    assert back["comment"].iloc[2] == '引用"符"' and pd.isna(back["comment"].iloc[1])


def test_csv_float_noise_does_not_change_bytes(tmp_path):
    a = pd.DataFrame({"v": [0.1 + 0.2, 1 / 3]})
    b = pd.DataFrame({"v": [0.3, 1 / 3 + 1e-17]})
    assert write_csv(a, tmp_path / "a.csv").read_bytes() == write_csv(b, tmp_path / "b.csv").read_bytes()


def test_csv_wkt_geometry_and_atomic_replace(tmp_path, monkeypatch):
    points = gpd.GeoDataFrame({"id": ["a"]}, geometry=[shapely.Point(139.123456789, 35.5)], crs=6668)
    path = write_csv(points, tmp_path / "p.csv", geometry="wkt")
    assert path.read_text(encoding="utf-8-sig") == "id,geometry\na,POINT (139.1234568 35.5)\n"
    monkeypatch.setattr(store.Path, "write_bytes", lambda self, data: (_ for _ in ()).throw(OSError("boom")))
    with pytest.raises(OSError, match="boom"):
        write_csv(points, path)
    assert path.read_text(encoding="utf-8-sig").startswith("id,geometry")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.csv"]


# --- staging_dir --------------------------------------------------------------------------------------------


def test_staging_dir_replaces_on_success(tmp_path):
    final = tmp_path / "run"
    final.mkdir()
    (final / "old.txt").write_text("old")
    with staging_dir(final) as out:
        assert out.parent == tmp_path and out != final
        (out / "new.txt").write_text("new")
        assert (final / "old.txt").exists()  # the old output stays readable during the run
    assert sorted(p.name for p in final.iterdir()) == ["new.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_staging_dir_failure_leaves_no_partial_output(tmp_path):
    final = tmp_path / "run"
    with pytest.raises(RuntimeError), staging_dir(final) as out:
        (out / "half.csv").write_text("x")
        raise RuntimeError("analysis failed")
    assert list(tmp_path.iterdir()) == []  # neither the final folder nor the staging folder
    final.mkdir()
    (final / "keep.txt").write_text("keep")
    with pytest.raises(RuntimeError), staging_dir(final) as out:
        raise RuntimeError("again")
    assert [p.name for p in tmp_path.iterdir()] == ["run"]
    assert (final / "keep.txt").read_text() == "keep"


# --- PostGIS ------------------------------------------------------------------------------------------------


@pytest.mark.postgis
def test_postgis_round_trip(postgis_url, pg_schema, yamanashi, tokyo_codes):
    target = write_layers({"areas": yamanashi, "table": tokyo_codes}, postgis_url, schema=pg_schema)
    assert target == postgis_url
    layers = read_layers(postgis_url, schema=pg_schema)
    assert sorted(layers) == ["areas", "table"]
    areas = layers["areas"]
    assert areas.crs.to_epsg() == 6668
    _assert_same(areas, yamanashi)
    assert areas["pop"].dtype == "int64" and areas["flag"].dtype == bool
    assert list(layers["table"]["muni_code"]) == ["01101", "13101", "47382"]
    assert np.isnan(layers["table"]["value"].iloc[1])


@pytest.mark.postgis
def test_postgis_srid_and_replace_in_one_transaction(postgis_url, pg_schema, yamanashi, tokyo_codes):
    import psycopg

    write_layers({"areas": yamanashi}, postgis_url, schema=pg_schema)
    with psycopg.connect(postgis_url) as conn:
        srid, kind = conn.execute(
            "SELECT srid, type FROM geometry_columns WHERE f_table_schema = %s AND f_table_name = 'areas'",
            [pg_schema],
        ).fetchone()
        code_type = conn.execute(
            "SELECT data_type FROM information_schema.columns "
            "WHERE table_schema = %s AND table_name = 'areas' AND column_name = 'muni_code'",
            [pg_schema],
        ).fetchone()[0]
    assert (srid, kind, code_type) == (6668, "GEOMETRY", "text")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        write_layers({"areas": yamanashi}, postgis_url, schema=pg_schema)
    # a failure on the second table rolls back the replacement of the first one
    small = yamanashi.head(2)
    clash = tokyo_codes.rename(columns={"value": "fid"})  # refused only when its turn comes
    with pytest.raises(geo.ValidationError, match="not 'fid'"):
        write_layers({"areas": small, "clash": clash}, postgis_url, schema=pg_schema, overwrite=True)
    assert len(read_layers(postgis_url, ["areas"], schema=pg_schema)["areas"]) == len(yamanashi)
    write_layers({"areas": small}, postgis_url, schema=pg_schema, overwrite=True)
    assert len(read_layers(postgis_url, ["areas"], schema=pg_schema)["areas"]) == 2
