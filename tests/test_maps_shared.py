"""Shared classes: one classification fitted on a set of maps (years, windows, scenarios) and reused by each,
through the API, the ``geo map`` CLI and ``[[maps]]`` in a run config."""

from __future__ import annotations

import textwrap
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from click.testing import CliRunner

import geo
from geo.cli import cli
from geo.config import load_config
from geo.maps import static
from geo.maps.choropleth import map_from
from geo.maps.style import classify, classify_together
from geo.params import MapParams


@pytest.fixture(scope="module")
def years(municipalities) -> gpd.GeoDataFrame:
    """山梨県 with a made-up indicator for two years: every 2020 value above every 2015 one."""
    areas = municipalities[municipalities["pref_code"] == "19"].copy().reset_index(drop=True)
    rng = np.random.default_rng(23)
    areas["v2015"] = rng.uniform(10, 100, len(areas)).round(1)
    areas["v2020"] = areas["v2015"] + 200
    areas.loc[0, "v2020"] = np.nan  # no data in one map only
    return areas


def _legend_rows(fig) -> list[str]:
    return [t.get_text() for t in fig.axes[0].get_legend().get_texts()] if fig.axes[0].get_legend() else []


def test_maps_of_a_set_share_breaks_colours_and_labels(years) -> None:
    a = geo.choropleth(years, "v2015", k=4, classes_with=["v2020"])
    b = geo.choropleth(years, "v2020", k=4, classes_with=["v2015"])
    own = geo.choropleth(years, "v2020", k=4)
    # one classification: the same breaks, colours and labels on both maps; each map counts its own areas
    assert a.classes.bins == b.classes.bins and a.classes.labels == b.classes.labels
    assert a.classes.colors == b.classes.colors
    assert a.classes.bins != own.classes.bins  # a map's own classes would differ
    assert sum(a.classes.counts) == len(years) and sum(b.classes.counts) == len(years) - 1
    assert b.classes.nodata_count == 1
    # the 2015 values all lie in the lower half of the shared range: the top class is empty on its map
    assert a.classes.counts[-1] == 0 and b.classes.counts[0] == 0
    # every class is in the legend, with its count on this map (0 too): the scale is the set's
    assert [row[2] for row in a.classes.legend_items()] == [*a.classes.counts]
    # the legends say so, on both renderers
    assert a.classes.title_ja == "分位数・4階級・共通区分"
    note = "階級区分は v2015・v2020 の値を合わせて設定（2図で共通）"
    assert note in a.spec.notes and note in b.spec.notes
    assert "共通区分" in a.to_html() and note in a.to_html()
    fig = static.build_figure(a.spec)
    texts = [t.get_text() for t in fig.findobj(lambda o: hasattr(o, "get_text"))]
    assert any("共通区分" in t for t in texts) and any(note in t for t in texts)


def test_fitted_classes_are_reused_as_they_are(years) -> None:
    together = classify_together({"2015年": years["v2015"], "2020年": years["v2020"]}, scheme="fisher_jenks", k=5)
    m = geo.choropleth(years, "v2020", classes=together)
    assert m.classes.bins == together.bins and m.classes.colors == together.colors
    assert m.classes.counts == together.recount(years["v2020"]).counts
    assert together.shared == ("2015年", "2020年")
    # a map's own classes are never marked as shared
    assert classify(years["v2015"]).shared == () and classify(years["v2015"]).shared_note is None


def test_classes_with_an_unknown_column_is_refused(years) -> None:
    with pytest.raises(geo.ValidationError, match=r"classes_with: column\(s\) \['v2030'\] not found"):
        geo.choropleth(years, "v2015", classes_with=["v2030"])


def test_cli_classes_with(years, tmp_path: Path) -> None:
    path = tmp_path / "years.gpkg"
    years.to_file(path)
    labels = []
    for column, other in (("v2015", "v2020"), ("v2020", "v2015")):
        res = CliRunner().invoke(
            cli, ["map", str(path), "-c", column, "--classes-with", other, "-k", "4", "-o", str(tmp_path / "m.png")]
        )
        assert res.exit_code == 0, res.output
        assert "共通区分" in res.output
        labels.append([line.split("\t")[0] for line in res.output.splitlines() if "\t" in line])
    assert labels[0] == labels[1] and len(labels[0]) == 4


def test_config_maps_share_classes_through_map_params(years, tmp_path: Path) -> None:
    text = """
    [run]
    name = "t"
    [area]
    boundaries = "n03-2021-s0010"
    prefectures = ["山梨県"]
    [[maps]]
    column = "v2015"
    classes_with = ["v2020"]
    [[maps]]
    column = "v2020"
    classes_with = ["v2015"]
    """
    config_path = tmp_path / "run.toml"
    config_path.write_text(textwrap.dedent(text), encoding="utf-8")
    specs = load_config(config_path).maps
    assert [s.classes_with for s in specs] == [("v2020",), ("v2015",)]
    assert isinstance(specs[0], MapParams)
    first, second = (map_from(years, s) for s in specs)  # the path a run draws through
    assert first.classes.labels == second.classes.labels and first.classes.shared == second.classes.shared
