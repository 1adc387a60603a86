"""Static maps for print: page sizes, embedded fonts, editable SVG text, labels over layers, groupings, hub rings."""

from __future__ import annotations

import re
import warnings
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner
from matplotlib.colors import to_hex
from pypdf import PdfReader

import geo
from geo.cli import cli
from geo.crs import area_km2
from geo.maps import static
from geo.maps.groupings import GROUPING_STYLES, OverlapWarning
from geo.maps.layers import RING_STYLES, hub_buffers_layer, hubs_layer

DEMO = Path(geo.__file__).parent / "data" / "demo" / "yamanashi.toml"


def _pdf_fonts(path: Path) -> dict[str, bool]:
    """Base font name -> whether the font file is embedded (FontFile2: TrueType), for every font of the PDF."""
    out = {}
    for page in PdfReader(path).pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            descendants = [d.get_object() for d in font.get("/DescendantFonts", [])] or [font]
            for d in descendants:
                desc = d["/FontDescriptor"].get_object()
                out[str(font["/BaseFont"]).split("+")[-1]] = "/FontFile2" in desc
    return out


@pytest.fixture(scope="module")
def gap_run(shared_data, tmp_path_factory) -> Path:
    """The 山梨 demo's gap map only (no hubs), as an A4 landscape PDF and an SVG, through `geo run`."""
    text = DEMO.read_text(encoding="utf-8")
    text = (
        text[: text.index("[hubs]")] + text[text.index("[[maps]]") : text.index("[[maps]]", text.index("[[maps]]") + 1)]
    )
    text += '\nformats = ["pdf", "svg"]\npage = "A4"\norientation = "landscape"\n'
    config = tmp_path_factory.mktemp("gap") / "gap.toml"
    config.write_text(text, encoding="utf-8")
    result = geo.run(config, output_root=config.parent)
    return Path(result.output_dir)


def test_a4_landscape_pdf_of_the_yamanashi_gap_map(gap_run) -> None:
    pdf = gap_run / "gap_share.pdf"
    box = PdfReader(pdf).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (842, 595)  # 297 × 210 mm
    fonts = _pdf_fonts(pdf)
    assert fonts and set(fonts) == {"IPAexGothic"} and all(fonts.values())  # embedded TrueType, nothing else


def test_svg_keeps_text_as_text(gap_run) -> None:
    svg = (gap_run / "gap_share.svg").read_text(encoding="utf-8")
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert {"甲府市", "北杜市", "笛吹市"} <= {t.strip() for t in texts}  # municipality names, editable
    assert any("交通空白人口の割合" in t for t in texts)
    assert "IPAexGothic" in svg and "<text" in svg


def test_page_and_margins_options(yamanashi, tmp_path) -> None:
    m = geo.choropleth(yamanashi, "面積", page="A3", orientation="portrait", margins_mm=(20, 10, 15, 15))
    box = PdfReader(m.save(tmp_path / "a3.pdf")).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (842, 1191)
    fig = static.build_figure(m.spec, page="A3", margins_mm=(20, 10, 15, 15))
    x0 = fig.axes[0].get_position().x0 * fig.get_figwidth() * 25.4
    assert x0 == pytest.approx(20, abs=0.5)  # the map starts at the left margin
    with pytest.raises(geo.ValidationError, match=r"(?s)page='B5'.*orientation='sideways'"):
        m.save(tmp_path / "x.pdf", page="B5", orientation="sideways")
    assert not (tmp_path / "x.pdf").exists()


def test_cli_map_page_a4_landscape(yamanashi_file, tmp_path) -> None:
    out = tmp_path / "y.pdf"
    res = CliRunner().invoke(
        cli, ["map", str(yamanashi_file), "-c", "面積", "--page", "A4", "--orientation", "landscape", "-o", str(out)]
    )
    assert res.exit_code == 0, res.output
    box = PdfReader(out).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (842, 595)


@pytest.fixture(scope="module")
def yamanashi(municipalities) -> gpd.GeoDataFrame:
    areas = municipalities[municipalities["pref_code"] == "19"].copy()
    areas["面積"] = area_km2(areas)
    return areas


@pytest.fixture(scope="module")
def yamanashi_file(yamanashi, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("y") / "yamanashi.gpkg"
    yamanashi.to_file(path)
    return path


def _visible_labels(ax) -> list:
    """The drawn label texts (not their halo copies, not hidden ones)."""
    return [t for t in ax.texts if t.get_visible() and t.get_color() != "#ffffff" and not t.get_path_effects()]


def test_labels_above_every_layer_and_apart(yamanashi) -> None:
    cells = gpd.GeoDataFrame(geometry=[yamanashi.union_all().envelope], crs=6668)  # a layer over everything
    m = geo.choropleth(yamanashi, "面積", layers=[geo.maps.Layer("polygons", cells, "覆い")], show_labels=True)
    fig = static.build_figure(m.spec)
    main = fig.axes[0]
    labels = _visible_labels(main)
    names = {t.get_text() for t in labels}
    assert {"甲府市", "北杜市", "笛吹市"} <= names
    top_layer = max(c.get_zorder() for c in main.collections)
    assert all(t.get_zorder() > top_layer for t in labels)
    r = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(r) for t in labels]
    for i, a in enumerate(boxes):  # no two drawn labels overlap
        assert not any(a.overlaps(b) for b in boxes[i + 1 :]), labels[i].get_text()
    legend = main.get_legend().get_window_extent(r)
    assert not any(b.overlaps(legend) for b in boxes)


def test_prefecture_labels_do_not_collide(prefectures) -> None:
    m = geo.choropleth(prefectures.assign(v=area_km2(prefectures)), "v")
    fig = static.build_figure(m.spec)
    r = fig.canvas.get_renderer()
    labels = _visible_labels(fig.axes[0])
    assert len(labels) >= 35  # most of the 47 names stay; the rest are left out, never piled up
    boxes = [t.get_window_extent(r) for t in labels]
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])


def test_hub_rings_distinct_named_sites_markers_on_top(yamanashi) -> None:
    hubs = gpd.GeoDataFrame(
        {"name": ["甲府駅", "大月駅"]},
        geometry=[shapely.Point(138.5688, 35.6666), shapely.Point(138.9406, 35.6108)],
        crs=6668,
    )
    rings = geo.buffer_hubs(hubs, [1000, 5000])
    m = geo.choropleth(yamanashi, "面積", layers=[hub_buffers_layer(rings), hubs_layer(hubs, label_column="name")])
    fig = static.build_figure(m.spec)
    main = fig.axes[0]
    by_colour = {}
    for c in main.collections:
        if len(c.get_paths()) == 2 and len(c.get_edgecolors()):
            by_colour[to_hex(c.get_edgecolors()[0])] = c
    inner, outer = by_colour[RING_STYLES[0].color], by_colour[RING_STYLES[1].color]
    assert inner.get_linestyle() != outer.get_linestyle() and inner.get_linewidth() != outer.get_linewidth()
    assert inner.get_zorder() > outer.get_zorder()  # the 1 km ring over the 5 km one
    markers = [c for c in main.collections if c.get_offsets().shape == (2, 2)]
    assert markers and min(c.get_zorder() for c in markers) > inner.get_zorder()
    assert {"甲府駅", "大月駅"} <= {t.get_text() for t in _visible_labels(main)}
    rows = [t.get_text() for t in main.get_legend().get_texts()]
    assert "拠点の圏域 1 km" in rows and "拠点の圏域 5 km" in rows


@pytest.fixture(scope="module")
def three_groupings(designated_cities) -> gpd.GeoDataFrame:
    areas = designated_cities.assign(v=np.arange(len(designated_cities)) % 9 - 4.0)
    frames = []
    for preset in ("kouiki-chihou-keikaku", "kansai-kouiki-rengo", "kyushu-chiiki-senryaku-kaigi"):
        shapes = geo.dissolve_regions(areas, geo.read_regions(preset), sum_columns=["v"], missing="skip")
        frames.append(shapes.assign(grouping=preset))
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=frames[0].crs)


def test_three_groupings_show_all_ten_regions(three_groupings) -> None:
    with pytest.warns(OverlapWarning, match="関西広域連合.*近畿圏"):
        m = geo.choropleth(three_groupings, "v", layers=[geo.maps.layer_for("regions", three_groupings)])
    fig = static.build_figure(m.spec)
    main = fig.axes[0]
    # the filled grouping: the eight regions of 広域地方計画, every one in the classes
    assert len(m.spec.areas) == 8 and sum(m.classes.counts) + m.classes.nodata_count == 8
    # every further grouping: its own outline style, one path per region
    for style, region in zip(GROUPING_STYLES, ("関西広域連合", "九州地域戦略会議"), strict=False):
        drawn = [
            c for c in main.collections if len(c.get_edgecolors()) and to_hex(c.get_edgecolors()[0]) == style.color
        ]
        assert len(drawn) == 1 and len(drawn[0].get_paths()) == 1, region
    names = {t.get_text().split(" ")[0] for t in _visible_labels(main)}
    expected = {
        "東北圏",
        "首都圏",
        "北陸圏",
        "中部圏",
        "近畿圏",
        "中国圏",
        "四国圏",
        "九州圏",
        "関西広域連合",
        "九州地域戦略会議",
    }
    assert expected <= names  # all ten groupings named on the map
    rows = [t.get_text() for t in main.get_legend().get_texts()]
    assert "関西広域連合" in rows and "九州地域戦略会議" in rows
    text = " ".join(t.get_text() for t in fig.texts)
    assert "北海道・沖縄県は広域地方計画区域に含まれない" in text


def test_one_grouping_notes_what_lies_outside(three_groupings) -> None:
    kouiki = three_groupings[three_groupings["grouping"] == "kouiki-chihou-keikaku"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overlap: no warning
        m = geo.choropleth(kouiki, "v")
    assert m.spec.notes == ("北海道・沖縄県は広域地方計画区域に含まれない",)


def _pixels(m) -> np.ndarray:
    fig = static.build_figure(m.spec, dpi=50, width_px=500, height_px=500)
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[..., :3].astype(int)


def test_gap_cells_leave_the_choropleth_readable(yamanashi) -> None:
    from geo.maps import Layer
    from geo.maps.style import LAYER_STYLES, PolygonStyle
    from geo.mesh import mesh_codes_covering, mesh_polygons

    codes = mesh_codes_covering(shapely.box(138.35, 35.45, 138.75, 35.85))  # a block of 1 km cells over 甲府
    cells = gpd.GeoDataFrame(geometry=mesh_polygons(codes).to_numpy(), crs=6668)

    def drawn(style=None):
        layer = Layer("polygons", cells, "交通空白地区", role="gap_cells", style=style)
        return _pixels(geo.choropleth(yamanashi, "面積", layers=[layer], show_labels=False, title="t"))

    base = _pixels(geo.choropleth(yamanashi, "面積", show_labels=False, title="t"))
    opaque = PolygonStyle(color="#a50f15", weight=0.8, fill_color="#000000", fill_opacity=1.0)
    under = np.abs(drawn(opaque) - base).sum(-1) > 30  # every pixel of the land under the cells
    assert under.sum() > 5000

    def hidden(style=None) -> float:
        return float((np.abs(drawn(style) - base).sum(-1) > 30)[under].mean())

    # the hatch (and one outline around touching cells) changes a minority of the pixels beneath
    assert hidden() < 0.5
    # a 45 % red fill, as the layer had before, changes every one of them
    old = replace(LAYER_STYLES["gap_cells"], hatch=None, fill_opacity=0.45)
    assert hidden(old) > 0.95
