"""No data is its own class, distinct from zero: 伊豆諸島 beyond the first meshes of the mesh data are no data."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import geo
from geo.areas import AreaSelection
from geo.maps import static
from geo.maps.style import NODATA_COLOR, NODATA_LABEL
from geo.mesh import read_mesh

FIRST_MESHES = "estat-mesh1km-census-first-mesh-5238-5338-5339/mesh1km_2020_first_mesh_5238_5338_5339.csv"
STATIONS = "ksj-n02-2023-railway-stations/stations_points.csv"
IZU = ["大島町", "利島村", "新島村", "神津島村", "三宅村", "御蔵島村", "八丈町", "青ヶ島村", "小笠原村"]


@pytest.fixture(scope="module")
def tokyo_gaps(shared_data: Path, municipalities):
    tokyo = municipalities[municipalities["pref_code"] == "13"].reset_index(drop=True)
    cells = read_mesh(shared_data / FIRST_MESHES)  # whole first meshes 5238, 5338, 5339: the mainland, no island
    stations = geo.read_points(shared_data / STATIONS)
    return geo.analyses.gaps(AreaSelection(tokyo, municipalities, "n03"), cells, {"station": stations}).by_area


def test_areas_beyond_the_mesh_data_are_no_data_not_zero(tokyo_gaps) -> None:
    t = tokyo_gaps.set_index("muni_name")
    assert t.loc[IZU, "demand_population"].isna().all() and t.loc[IZU, "gap_population"].isna().all()
    assert (t.loc[IZU, "demand_cells"] == 0).all()  # no cell there: a count, still 0
    # the mainland keeps its people, and a ward inside the first meshes is never no data
    assert t.loc["世田谷区", "demand_population"] > 800_000
    mainland = t.drop(index=[*IZU, "所属未定地"])
    assert mainland["demand_population"].notna().all()


def test_the_map_shows_them_as_no_data(tokyo_gaps) -> None:
    m = geo.choropleth(tokyo_gaps, "demand_population", unit="人")
    rows = m.classes.legend_items()
    assert rows[-1] == (NODATA_COLOR, NODATA_LABEL, len(IZU))
    assert all(not label.startswith("データなし") for _, label, _ in rows[:-1])
    colors = dict(zip(tokyo_gaps["muni_name"], m.classes.color_of(tokyo_gaps["demand_population"]), strict=True))
    assert {colors[name] for name in IZU} == {NODATA_COLOR}
    assert colors["所属未定地"] != NODATA_COLOR  # inside a first mesh of the data, without cells: 0 people
    fig = static.build_figure(m.spec)
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any(t.startswith(NODATA_LABEL) and "9" in t for t in legend)
    assert np.isnan(tokyo_gaps.loc[tokyo_gaps["muni_name"] == "八丈町", "gap_share_pct"]).all()


def test_a_column_with_no_value_at_all_is_drawn_as_no_data_and_said(tokyo_gaps, tmp_path) -> None:
    """A column empty in every area is drawn as データなし with a warning (it used to stop with "not numeric (0
    non-number values)" when the table's cells were blank)."""
    empty = tokyo_gaps.assign(v=np.nan)
    with pytest.warns(UserWarning, match=r"column 'v' has no value in any of the \d+ areas"):
        geo.choropleth(empty, "v")
    table = tmp_path / "t.csv"
    table.write_text("muni_code,v\n19201,\n19202,\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "geo", "map", "n03-2021-s0010", "-c", "v", "-t", str(table),
                           "--prefecture", "山梨県", "-o", str(tmp_path / "out.png")],
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode == 0 and "column 'v' has no value in any of the 27 areas" in done.stderr
    assert "Traceback" not in done.stderr and (tmp_path / "out.png").exists()
