"""Static maps (PNG/SVG/PDF): real N03 boundaries end to end, tiny hand-made geometries for the pieces."""

from __future__ import annotations

import html
import io
import re
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from matplotlib import font_manager
from matplotlib.colors import to_hex
from pyproj import Transformer

import geo
from geo.crs import JAPAN_EQUAL_AREA, area_km2
from geo.maps import _static_parts, static
from geo.maps._static_parts import (
    Box,
    Placer,
    island_group_name,
    main_frame_bounds,
    nice_length,
    north_angle,
    polygon_paths,
    register_font,
    remote_groups,
)
from geo.maps.layers import hubs_layer, region_outline_layer
from geo.maps.style import ATTRIBUTION_N03

MAGIC = {".png": b"\x89PNG\r\n\x1a\n", ".pdf": b"%PDF-"}


# ----------------------------------------------------------------------------------------------- data
@pytest.fixture(scope="module")
def national(municipalities: gpd.GeoDataFrame) -> geo.maps.ChoroplethMap:
    areas = municipalities.copy()
    areas["面積"] = area_km2(areas)
    areas.loc[areas["muni_code"].isin(["01101", "13101", "47201"]), "面積"] = np.nan  # a no-data class
    return geo.choropleth(areas, "面積", unit="km²", title="市区町村の面積（全国）", k=6)


@pytest.fixture(scope="module")
def pref_map(prefectures: gpd.GeoDataFrame) -> geo.maps.ChoroplethMap:
    areas = prefectures.copy()
    areas["面積"] = area_km2(areas)
    areas.loc[areas["pref_code"] == "08", "面積"] = np.nan
    return geo.choropleth(areas, "面積", unit="km²", title="都道府県の面積", scheme="fisher_jenks", k=5)


@pytest.fixture(scope="module")
def yamanashi(municipalities: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    areas = municipalities[municipalities["pref_code"] == "19"].copy()
    areas["面積"] = area_km2(areas)
    return areas


def _texts(fig) -> list[str]:
    return [t.get_text() for t in fig.findobj(match=lambda a: hasattr(a, "get_text")) if t.get_text()]


def _legend_rows(fig) -> list[str]:
    legend = fig.axes[0].get_legend()
    return [t.get_text() for t in legend.get_texts()]


# ----------------------------------------------------------------------------------------------- files
@pytest.mark.parametrize("suffix", [".png", ".svg", ".pdf"])
def test_choropleth_save_writes_each_format(pref_map, tmp_path: Path, suffix: str) -> None:
    out = pref_map.save(tmp_path / f"map{suffix}")
    data = out.read_bytes()
    if suffix == ".svg":
        assert data.lstrip().startswith(b"<?xml") and b"<svg" in data[:2000]
        assert data.count(b"<path") > 100  # areas, text as paths
    else:
        assert data.startswith(MAGIC[suffix])
    assert len(data) > 20_000
    assert [p.name for p in tmp_path.iterdir()] == [f"map{suffix}"]  # no temporary file left


def test_png_is_not_blank_and_has_the_asked_size(pref_map, tmp_path: Path) -> None:
    from PIL import Image

    out = pref_map.save(tmp_path / "map.png", dpi=100, width_px=900, height_px=700)
    with Image.open(out) as img:
        assert img.size == (900, 700)
        px = np.asarray(img.convert("RGB"), dtype=float)
    assert px.std() > 20
    # the class colours appear as filled areas
    colours = {tuple(c) for c in px.reshape(-1, 3)[::7].astype(int)}
    assert len(colours) > 50


@pytest.mark.parametrize("suffix", [".png", ".svg", ".pdf"])
def test_same_spec_gives_same_bytes(pref_map, tmp_path: Path, suffix: str) -> None:
    a = pref_map.save(tmp_path / f"a{suffix}").read_bytes()
    b = pref_map.save(tmp_path / f"b{suffix}").read_bytes()
    assert a == b


def test_empty_areas_are_refused_with_every_problem(prefectures, tmp_path: Path) -> None:
    m = geo.choropleth(prefectures.iloc[:0].assign(v=[]), "v")
    with pytest.raises(geo.ValidationError, match=r"no rows to draw") as info:
        static.render_static(m.spec, tmp_path / "map.gif")
    assert len(info.value.problems) == 2  # the suffix too
    assert list(tmp_path.iterdir()) == []


def test_unsupported_suffix_writes_nothing(pref_map, tmp_path: Path) -> None:
    with pytest.raises(geo.ValidationError, match=r"\.jpg"):
        static.render_static(pref_map.spec, tmp_path / "map.jpg")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("kwargs", [{"dpi": 0}, {"width_px": 50}, {"height_px": 2.5}, {"dpi": True}])
def test_bad_size_is_refused(pref_map, tmp_path: Path, kwargs) -> None:
    with pytest.raises(geo.ValidationError):
        static.render_static(pref_map.spec, tmp_path / "map.png", **kwargs)
    assert list(tmp_path.iterdir()) == []


def test_failure_mid_render_leaves_old_file_and_no_partial(pref_map, tmp_path: Path, monkeypatch) -> None:
    from matplotlib.figure import Figure

    out = tmp_path / "map.pdf"
    out.write_bytes(b"old map")

    def broken(self, fh, **kwargs):
        fh.write(b"%PDF-1.4 half a map")
        raise RuntimeError("disk full")

    monkeypatch.setattr(Figure, "savefig", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        static.render_static(pref_map.spec, out)
    assert out.read_bytes() == b"old map"
    assert [p.name for p in tmp_path.iterdir()] == ["map.pdf"]


# ----------------------------------------------------------------------------------------------- legend
def test_legend_rows_are_the_classes_with_colours_and_counts(national) -> None:
    c = national.classes
    fig = static.build_figure(national.spec)
    items = c.legend_items()
    assert c.nodata_count == 3 and items[-1][1] == "データなし"
    assert _legend_rows(fig) == [static.legend_label(label, n) for _, label, n in items]
    legend = fig.axes[0].get_legend()
    drawn = [to_hex(h.get_facecolor(), keep_alpha=False) for h in legend.legend_handles]
    assert drawn == [color for color, _, _ in items]
    assert "面積（km²）" in legend.get_title().get_text()


def test_static_legend_equals_html_legend(pref_map) -> None:
    page = pref_map.to_html()
    legend_html = page[page.index('id="geo-legend"') :]
    row = r'background:(#[0-9a-f]{6})"></span><span class="geo-lab">(.*?)</span>'
    rows = re.findall(row + r'<span class="geo-n">([\d,]+)</span>', legend_html)
    assert len(rows) == pref_map.classes.k + 1  # + データなし (茨城県 set to NaN)
    expected = [static.legend_label(html.unescape(lab), int(n.replace(",", ""))) for _, lab, n in rows]
    fig = static.build_figure(pref_map.spec)
    assert _legend_rows(fig) == expected
    handles = fig.axes[0].get_legend().legend_handles
    assert [to_hex(h.get_facecolor()) for h in handles] == [c for c, _, _ in rows]


def test_area_colours_follow_the_classes(pref_map) -> None:
    fig = static.build_figure(pref_map.spec)
    main = fig.axes[0]
    faces = {to_hex(c) for coll in main.collections for c in coll.get_facecolors()}
    assert set(pref_map.classes.colors) <= faces
    assert pref_map.classes.nodata_color in faces


# ----------------------------------------------------------------------------------------------- font
def _glyph(char: str, family: list[str]) -> np.ndarray:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(0.6, 0.6), dpi=100)
    FigureCanvasAgg(fig)
    fig.text(0.5, 0.5, char, family=family, fontsize=28, ha="center", va="center")
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[..., 0].copy()


def test_japanese_text_is_drawn_with_ipaexgothic(national) -> None:
    font = register_font()
    fig = static.build_figure(national.spec)
    texts = [t for t in fig.findobj(match=lambda a: hasattr(a, "get_fontproperties")) if t.get_text()]
    japanese = [t for t in texts if re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", t.get_text())]
    assert len(japanese) >= 10  # title, legend title and rows, inset names, credit line
    for t in japanese:
        assert Path(font_manager.findfont(t.get_fontproperties(), fallback_to_default=False)) == font


def test_japanese_glyphs_are_not_tofu() -> None:
    chars = "北海道"
    with static.font_context():
        real = [_glyph(ch, static.FONT_FAMILY) for ch in chars]
    # the same characters without a Japanese font: matplotlib warns and draws the identical missing-glyph box
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tofu = [_glyph(ch, ["DejaVu Sans"]) for ch in chars]
    assert any("missing from font" in str(w.message) for w in caught)
    assert all(np.array_equal(tofu[0], t) for t in tofu[1:])  # the check below can fail
    for i in range(len(chars)):
        assert (real[i] < 128).sum() > 30  # ink
        assert not np.array_equal(real[i], tofu[i])
        for j in range(i + 1, len(chars)):
            assert not np.array_equal(real[i], real[j])


def test_rendering_does_not_change_global_matplotlib_font(pref_map, tmp_path: Path) -> None:
    import matplotlib

    before = list(matplotlib.rcParams["font.family"])
    pref_map.save(tmp_path / "m.png")
    assert list(matplotlib.rcParams["font.family"]) == before


# ----------------------------------------------------------------------------------------------- layout
def test_national_map_puts_okinawa_and_ogasawara_in_insets(national, municipalities) -> None:
    fig = static.build_figure(national.spec)
    main, *insets = fig.axes
    assert len(insets) >= 2
    to_map = Transformer.from_crs(6668, JAPAN_EQUAL_AREA, always_xy=True)

    def inside(ax, lon, lat) -> bool:
        x, y = to_map.transform(lon, lat)
        (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
        return x0 <= x <= x1 and y0 <= y <= y1

    assert not inside(main, 127.68, 26.21)  # 那覇
    assert not inside(main, 142.19, 27.09)  # 父島
    assert inside(main, 141.35, 43.06)  # 札幌
    assert inside(main, 130.56, 31.60)  # 鹿児島
    assert inside(main, 147.9, 45.0)  # 択捉島 (北方領土の村 01695–01700 belong to Hokkaido)
    names = [t.get_text() for ax in insets for t in ax.texts]
    assert any("沖縄県" in n for n in names) and any("小笠原村" in n for n in names)
    # every remote part is drawn in exactly one inset, with the colour of its municipality, except 南鳥島
    # (1.5 km², no layer on it): no empty box for it, a note instead
    geoms = national.spec.areas.geometry.values
    main_parts, _, groups = remote_groups(geoms)
    n_remote = sum(len(g.parts) for g in groups)
    n_inset_paths = sum(len(ax.collections[-1].get_paths()) for ax in insets)
    tiny = [g for g in groups if area_km2(gpd.GeoSeries(g.parts, crs=6668)).sum() < static.MIN_INSET_LAND_KM2]
    assert [static.island_group_name(g.parts) for g in tiny] == ["南鳥島"]
    assert n_inset_paths == n_remote - sum(len(g.parts) for g in tiny)
    assert not any("南鳥島" in n for n in names)
    assert any("南鳥島" in t and "は陸地が小さく挿入図を省略" in t for t in _texts(fig))
    okinawa = national.spec.areas["pref_code"] == "47"
    assert set(national.spec.classes.color_of(national.spec.values()[okinawa.to_numpy()])) <= {
        to_hex(c) for ax in insets for c in ax.collections[-1].get_facecolors()
    }
    # nothing lost: parts in the main frame plus parts in insets = all parts
    assert len(main_parts) + n_remote == len(shapely.get_parts(geoms))
    # insets and legend do not overlap each other
    boxes = [ax.get_window_extent() for ax in insets]
    boxes.append(main.get_legend().get_window_extent(fig.canvas.get_renderer()))
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not a.overlaps(b)


def test_one_prefecture_map_has_no_inset_and_uses_its_zone(yamanashi, tmp_path: Path) -> None:
    m = geo.choropleth(yamanashi, "面積", unit="km²", title="山梨県の市町村面積")
    fig = static.build_figure(m.spec)
    assert len(fig.axes) == 1
    texts = _texts(fig)
    assert any("EPSG:6676" in t and ATTRIBUTION_N03 in t for t in texts)
    labels = [t.get_text() for t in fig.axes[0].texts]
    assert "甲府市" in labels and "山梨県甲府市" not in labels  # one prefecture: 市町村名 only, as in HTML
    assert "山梨県の市町村面積" in texts
    out = m.save(tmp_path / "yamanashi.pdf")
    assert out.read_bytes().startswith(b"%PDF-")


def test_okinawa_map_puts_sakishima_and_daito_in_insets(municipalities) -> None:
    areas = municipalities[municipalities["pref_code"] == "47"].copy()
    areas["面積"] = area_km2(areas)
    fig = static.build_figure(geo.choropleth(areas, "面積").spec)
    main, *insets = fig.axes
    assert len(insets) == 2
    to_zone = Transformer.from_crs(6668, "EPSG:6683", always_xy=True)  # zone XV, Okinawa's main island
    (x0, x1), (y0, y1) = main.get_xlim(), main.get_ylim()
    naha, ishigaki = to_zone.transform(127.68, 26.21), to_zone.transform(124.16, 24.34)
    assert x0 <= naha[0] <= x1 and y0 <= naha[1] <= y1
    assert not (x0 <= ishigaki[0] <= x1 and y0 <= ishigaki[1] <= y1)
    inset_labels = {t.get_text() for ax in insets for t in ax.texts}
    assert {"石垣市", "宮古島市", "南大東村"} <= inset_labels


@pytest.fixture(scope="module")
def tokyo(municipalities: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    areas = municipalities[municipalities["pref_code"] == "13"].copy()
    areas["面積"] = area_km2(areas)
    return areas


def _wkb_sorted(parts) -> list[bytes]:
    return sorted(shapely.to_wkb(np.asarray(parts, dtype=object)))


def test_tokyo_map_shows_the_mainland_large_with_island_insets(tokyo) -> None:
    hubs = gpd.GeoDataFrame(
        {"name": ["羽田空港", "八丈島空港"]},
        geometry=[shapely.Point(139.7798, 35.5494), shapely.Point(139.7857, 33.1150)],
        crs=6668,
    )
    m = geo.choropleth(
        tokyo, "面積", unit="km²", title="東京都の市区町村面積", layers=[hubs_layer(hubs)], show_labels=True
    )
    fig = static.build_figure(m.spec)
    main, *insets = fig.axes
    to_zone = Transformer.from_crs(6668, "EPSG:6677", always_xy=True)  # zone IX, the map's CRS
    (x0, x1), (y0, y1) = main.get_xlim(), main.get_ylim()

    def inside(lon: float, lat: float) -> bool:
        x, y = to_zone.transform(lon, lat)
        return x0 <= x <= x1 and y0 <= y <= y1

    assert inside(139.7003, 35.6896) and inside(139.0942, 35.8096) and inside(139.7798, 35.5494)  # 新宿, 奥多摩
    assert not inside(139.3894, 34.7503) and not inside(139.7857, 33.1150)  # 大島, 八丈島
    # the frame is about the mainland's 90 km (it was 600 km with the 伊豆諸島 in it)
    assert (x1 - x0) < 130_000 and (y1 - y0) < 130_000
    titles = [ax.texts[-1].get_text() for ax in insets]
    assert len(titles) == len(set(titles)) == 2  # 南鳥島 (1.5 km², nothing on it): noted, no empty inset
    assert [t.split("（")[0] for t in titles] == ["伊豆諸島", "小笠原諸島"]
    assert "小笠原村" in titles[1]
    assert any(t.startswith("注：南鳥島（東京都小笠原村）は陸地が小さく") for t in _texts(fig))
    izu_labels = {t.get_text() for t in insets[0].texts}
    assert {"大島町", "八丈町", "青ヶ島村"} <= izu_labels and "大田区" not in izu_labels
    # every piece of land is drawn exactly once: in the main frame or in one inset
    geoms = m.spec.areas.geometry.values
    main_parts, _, groups = remote_groups(geoms)
    assert _wkb_sorted(np.concatenate([main_parts, *[g.parts for g in groups]])) == _wkb_sorted(
        shapely.get_parts(geoms)
    )
    assert len(main.collections[0].get_paths()) == len(main_parts)
    for ax, group in zip(insets, groups[:2], strict=True):
        land = [c for c in ax.collections if c.get_zorder() == 1]
        assert len(land) == 1 and len(land[0].get_paths()) == len(group.parts)

    # each hub once: 羽田 only in the main frame, the 八丈島 one in the 伊豆諸島 inset only
    def shown(ax) -> int:
        (a0, a1), (b0, b1) = ax.get_xlim(), ax.get_ylim()
        xy = np.concatenate([np.asarray(c.get_offsets()) for c in ax.collections if c.get_zorder() >= 5])
        return int(((a0 <= xy[:, 0]) & (xy[:, 0] <= a1) & (b0 <= xy[:, 1]) & (xy[:, 1] <= b1)).sum())

    assert [shown(ax) for ax in [main, *insets]] == [1, 1, 0]


def test_prefecture_maps_keep_near_islands_in_the_main_frame(municipalities) -> None:
    def groups_of(code: str):
        areas = municipalities[municipalities["pref_code"] == code]
        _, rows, groups = remote_groups(areas.geometry.values)
        names = areas["muni_name"].astype(str).to_numpy()
        return set(names[rows]), [(island_group_name(g.parts), set(names[g.rows])) for g in groups]

    # 北海道 (with the 北方領土), 長崎県 (対馬・五島・壱岐 are close enough), 山梨県: one frame
    for code in ("01", "42", "19"):
        assert groups_of(code)[1] == []
    main, groups = groups_of("46")  # 鹿児島県: 種子島・屋久島 stay, 奄美・トカラ (south of 30°N) in one inset
    assert {"屋久島町", "西之表市", "三島村"} <= main
    assert [g[0] for g in groups] == ["奄美群島・トカラ列島"] and {"奄美市", "十島村"} <= groups[0][1]
    main, groups = groups_of("47")
    assert [g[0] for g in groups] == ["先島諸島", "大東諸島"] and "久米島町" in main


def _same_with_and_without_far_step(geoms, monkeypatch: pytest.MonkeyPatch) -> bool:
    """remote_groups as is, and with step 3 switched off (its mask all False), give the same split."""
    with_step = remote_groups(geoms)
    with monkeypatch.context() as m:
        m.setattr(_static_parts, "_far_from_main_body", lambda metric, gap_km: np.zeros(len(metric), dtype=bool))
        without = remote_groups(geoms)
    return _wkb_sorted(with_step[0]) == _wkb_sorted(without[0]) and [_wkb_sorted(g.parts) for g in with_step[2]] == [
        _wkb_sorted(g.parts) for g in without[2]
    ]


def test_far_island_step_leaves_national_maps_unchanged(prefectures, monkeypatch: pytest.MonkeyPatch) -> None:
    # the national land (prefectures: the same land as the municipalities, in 734 parts instead of 2,606)
    assert _same_with_and_without_far_step(prefectures.geometry.values, monkeypatch)
    # hand-made: a large main body, an island > FAR_GAP_KM off its coast (moving it would not enlarge the main
    # frame FAR_MIN_GAIN times), a far southern chain (step 1's inset): the far step changes nothing, as on the
    # national map ...
    body = shapely.box(130.0, 31.0, 142.0, 41.0)
    near = shapely.box(139.0, 41.8, 139.2, 41.9)  # ~90 km north of the body
    south = shapely.box(127.6, 26.1, 128.0, 26.5)
    assert _same_with_and_without_far_step(np.array([shapely.MultiPolygon([body, near]), south]), monkeypatch)
    # ... and a check that the comparison can fail: a small body with far islands outside its pad moves them
    small = shapely.box(139.0, 35.5, 140.0, 35.9)
    far = shapely.box(139.45, 34.55, 139.55, 34.65)  # ~95 km south: one cluster for step 2, far for step 3
    assert not _same_with_and_without_far_step(np.array([shapely.MultiPolygon([small, far])]), monkeypatch)


def test_map_without_any_value_shows_only_the_no_data_row(yamanashi, tmp_path: Path) -> None:
    areas = yamanashi.assign(面積=np.nan)
    with pytest.warns(UserWarning, match="every area is drawn as データなし"):
        m = geo.choropleth(areas, "面積")
    fig = static.build_figure(m.spec)
    assert _legend_rows(fig) == [static.legend_label("データなし", len(areas))]
    assert m.save(tmp_path / "empty.png").stat().st_size > 10_000


def test_scale_bar_north_arrow_and_credits(national) -> None:
    fig = static.build_figure(national.spec)
    main = fig.axes[0]
    texts = [t.get_text() for t in main.texts]
    assert "N" in texts
    km = [t for t in texts if t.endswith(" km")]
    assert len(km) == 1
    length_m = float(km[0].split()[0]) * 1000
    assert length_m == nice_length(length_m)  # a round length
    width = main.get_xlim()[1] - main.get_xlim()[0]
    assert 0.05 * width < length_m <= 0.22 * width
    credit = [t for t in _texts(fig) if ATTRIBUTION_N03 in t]
    assert credit and "アルベルス正積" in credit[0]


def test_layers_are_drawn_and_listed(yamanashi) -> None:
    hubs = gpd.GeoDataFrame(
        {"name": ["甲府駅", "大月駅"]},
        geometry=[shapely.Point(138.5688, 35.6666), shapely.Point(138.9406, 35.6108)],
        crs=6668,
    )
    region = yamanashi.dissolve()[["geometry"]].assign(region="山梨")
    m = geo.choropleth(
        yamanashi,
        "面積",
        layers=[hubs_layer(hubs), region_outline_layer(region, label_column="region")],
        attribution=[ATTRIBUTION_N03, "拠点: 手作業で作成"],
    )
    fig = static.build_figure(m.spec)
    main = fig.axes[0]
    offsets = [c.get_offsets() for c in main.collections if len(c.get_offsets()) == 2]
    assert offsets, "hub markers not drawn"
    rows = _legend_rows(fig)
    assert rows[-2:] == ["拠点候補", "広域リージョン"]
    assert any("拠点: 手作業で作成" in t for t in _texts(fig))
    assert "山梨" in [t.get_text() for t in main.texts]


# ----------------------------------------------------------------------------------------------- pieces
def test_remote_groups_split_parts_by_latitude_and_distance() -> None:
    honshu = shapely.box(138, 35, 139, 36)
    okinawa = shapely.box(127.7, 26.1, 127.9, 26.3)
    miyako = shapely.box(125.2, 24.7, 125.4, 24.9)
    chichijima = shapely.box(142.1, 27.0, 142.2, 27.1)
    tokyo = shapely.MultiPolygon([honshu, chichijima])
    main, rows, groups = remote_groups(np.array([tokyo, shapely.MultiPolygon([okinawa, miyako])]))
    # Okinawa and Miyako (290 km apart) each in an inset of their own, then Ogasawara
    assert [len(g.parts) for g in groups] == [1, 1, 1]
    assert list(groups[2].rows) == [0] and set(groups[0].rows) == set(groups[1].rows) == {1}
    assert list(rows) == [0] and main[0].equals(honshu)
    # Okinawa alone: nothing north of 30°N; the main island's cluster stays, Miyako (290 km away) is an inset
    main_island = shapely.box(127.6, 26.0, 128.3, 26.9)
    kept, _, alone = remote_groups(np.array([main_island, okinawa, miyako]))
    assert len(kept) == 2 and [list(g.rows) for g in alone] == [[2]]
    # no cluster holding most of the land: one frame, no inset
    daito = shapely.box(131.2, 25.8, 131.4, 26.0)
    _, _, none = remote_groups(np.array([okinawa, miyako, daito]))
    assert none == []


def test_far_clusters_go_to_insets_only_when_the_main_body_gains() -> None:
    body = shapely.box(138.0, 35.5, 141.0, 36.5)  # about 270 × 110 km, north of 30°N
    near = shapely.box(139.3, 34.9, 139.4, 34.95)  # 61 km south: a cluster of its own, but near the body's box
    # a chain with steps under SPLIT_GAP_KM (150 km), so only the far-cluster step can act
    isle, islet = shapely.box(139.35, 33.9, 139.45, 34.0), shapely.box(139.5, 32.6, 139.6, 32.7)
    geoms = np.array([body, near, isle, islet])
    _, rows, groups = remote_groups(geoms)
    assert list(rows) == [0, 1] and [sorted(g.rows) for g in groups] == [[2, 3]]  # one group (< 500 km apart)
    assert main_frame_bounds(geoms) == (138.0, 34.9, 141.0, 36.5)
    # without the far islet the main body would gain too little (290 km against 270 km): one frame
    assert remote_groups(geoms[:3])[2] == []
    # a far islet that hardly widens the frame stays (男女群島 beside 長崎県)
    long_body = shapely.box(128.6, 32.5, 130.4, 34.7)
    islet = shapely.box(128.34, 31.99, 128.41, 32.05)
    assert remote_groups(np.array([long_body, islet]))[2] == []
    # no cluster holding half of the land (three alike, 77 km apart): one frame
    thirds = [shapely.box(138.0, lat, 139.0, lat + 0.5) for lat in (35.5, 34.3, 33.1)]
    assert remote_groups(np.array(thirds))[2] == []


def test_island_group_names() -> None:
    assert island_group_name(np.array([shapely.box(153.97, 24.28, 153.99, 24.30)])) == "南鳥島"
    chichijima, hachijo = shapely.box(142.15, 27.05, 142.22, 27.1), shapely.box(139.75, 33.05, 139.85, 33.15)
    assert island_group_name(np.array([chichijima])) == "小笠原諸島"
    assert island_group_name(np.array([chichijima, hachijo])) == "伊豆諸島・小笠原諸島"  # larger land first
    assert island_group_name(np.array([shapely.box(138, 35, 139, 36)])) is None  # not an island group


def test_polygon_paths_keep_holes_and_parts() -> None:
    from matplotlib.path import Path as MplPath

    ring = shapely.Polygon([(0, 0), (4, 0), (4, 4), (0, 4)], holes=[[(1, 1), (2, 1), (2, 2), (1, 2)]])
    multi = shapely.MultiPolygon([ring, shapely.box(10, 10, 11, 11)])
    paths = polygon_paths(np.array([ring, multi, shapely.box(0, 0, 1, 1)]))
    assert [int((p.codes == MplPath.MOVETO).sum()) for p in paths] == [2, 3, 1]
    # shell and hole turn opposite ways, so SVG/PDF viewers (non-zero fill rule) leave the hole empty too
    shell, hole = paths[0].vertices[:5], paths[0].vertices[5:]
    assert shapely.Polygon(shell).exterior.is_ccw != shapely.Polygon(hole).exterior.is_ccw
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.collections import PathCollection
    from matplotlib.figure import Figure

    fig = Figure(figsize=(1, 1), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, 4)
    ax.set_ylim(0, 4)
    ax.add_collection(PathCollection(paths[:1], facecolors="k", edgecolors="none"))
    fig.canvas.draw()
    red = np.asarray(fig.canvas.buffer_rgba())[..., 0]
    assert red[100 - 37, 37] == 255 and red[25, 75] == 0  # hole (1.5, 1.5) white, shell (3, 3) black


def test_nice_length_and_north_angle() -> None:
    assert [nice_length(v) for v in (183_000, 99_999, 2_600, 7)] == [100_000, 50_000, 2_000, 5]
    to_map = Transformer.from_crs(6668, JAPAN_EQUAL_AREA, always_xy=True)
    east = north_angle(JAPAN_EQUAL_AREA, *to_map.transform(145.0, 43.0))
    centre = north_angle(JAPAN_EQUAL_AREA, *to_map.transform(137.0, 36.0))
    west = north_angle(JAPAN_EQUAL_AREA, *to_map.transform(129.0, 32.0))
    assert abs(centre) < 1e-6
    assert 0.05 < east < 0.15 and -0.15 < west < -0.05  # meridians converge to the north: ≈ ±4.6°


def test_placer_avoids_land_and_other_boxes() -> None:
    grid = np.zeros((10, 10), dtype=bool)
    grid[:, :5] = True  # land on the left half
    placer = Placer(grid)
    a = placer.place(0.3, 0.3)
    b = placer.place(0.3, 0.3)
    assert placer.covered(a) == 0 and placer.covered(b) == 0
    assert a.x >= 0.5 and b.x >= 0.5 and not a.overlaps(b)
    assert Box(0.0, 0.0, 0.2, 0.2).overlaps(Box(0.1, 0.1, 0.2, 0.2))


def test_figure_builds_without_warnings_into_a_buffer(national) -> None:
    # filterwarnings=error turns any missing glyph into a failure; draw everything once to trigger them
    fig = static.build_figure(national.spec, dpi=100, width_px=1000, height_px=800)
    with static.font_context():
        fig.savefig(io.BytesIO(), format="png", dpi=100)


# ----------------------------------------------------------------------------------------------- points on their land
def _points_per_frame(fig) -> list[np.ndarray]:
    """Marker positions (in each frame's own CRS) drawn on each axes: main frame first, then the insets."""
    out = []
    for ax in fig.axes:
        offsets = [np.asarray(c.get_offsets()) for c in ax.collections if c.get_zorder() >= 12]
        out.append(np.concatenate(offsets) if offsets else np.empty((0, 2)))
    return out


def test_points_are_drawn_in_the_frame_of_the_land_they_stand_on(municipalities) -> None:
    areas = municipalities[~municipalities["pref_code"].isin(["01", "47"])].copy()  # a region map without 北海道, 沖縄
    areas["面積"] = area_km2(areas)
    points = gpd.GeoDataFrame(
        {"name": ["瀬戸内町", "新宿区", "札幌市", "那覇市"]},
        geometry=shapely.points([(129.3146, 28.1461), (139.7036, 35.6938), (141.3544, 43.0621), (127.6811, 26.2124)]),
        crs=6668,
    )
    layer = geo.maps.Layer("points", points, "好事例", role="good_practices")
    m = geo.choropleth(areas, "面積", unit="km²", layers=[layer])
    # nothing from outside the selection: 札幌 and 那覇 are left out of the map, and the map says so
    assert list(m.spec.layers[0].data["name"]) == ["瀬戸内町", "新宿区"]
    assert "好事例: 地図の範囲外の2地点は描いていません" in m.spec.notes
    page = m.to_html()  # the HTML map draws the same layer: no 札幌 or 那覇 marker stretching its view
    assert "瀬戸内町" in page and "札幌市" not in page and "那覇市" not in page
    fig = static.build_figure(m.spec)
    main = fig.axes[0]
    per_frame = _points_per_frame(fig)
    # 新宿 in the main frame only; 瀬戸内町 in the 南西諸島 (奄美) inset, where its island is, not in the sea
    assert [len(p) for p in per_frame if len(p)] == [1, 1]
    assert len(per_frame[0]) == 1
    amami = next(ax for ax, p in zip(fig.axes, per_frame, strict=True) if ax is not main and len(p))
    assert "瀬戸内町" in amami.texts[-1].get_text() or "奄美" in amami.texts[-1].get_text()
    # every point drawn lies inside the frame or inset it is drawn in
    for ax, xy in zip(fig.axes, per_frame, strict=True):
        (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
        assert ((x0 <= xy[:, 0]) & (xy[:, 0] <= x1) & (y0 <= xy[:, 1]) & (xy[:, 1] <= y1)).all()


def test_frame_of_assigns_points_to_the_nearest_land_within_reach() -> None:
    honshu, hachijo = shapely.box(139, 35.5, 140, 35.9), shapely.box(139.7, 33.05, 139.9, 33.15)
    main, _, groups = remote_groups(np.array([shapely.MultiPolygon([honshu, hachijo])]))
    pts = shapely.points([(139.5, 35.7), (139.95, 33.1), (139.8, 34.4), (np.nan, np.nan)])
    # a point 5 km off 八丈島 goes with it; one in the sea between (over 100 km from land) and an empty one nowhere
    assert _static_parts.frame_of(pts, main, groups).tolist() == [0, 1, -1, -1]


def test_no_data_is_grey_and_hatched_on_the_map_and_in_the_legend(pref_map) -> None:
    fig = static.build_figure(pref_map.spec)
    main = fig.axes[0]
    # 茨城県 (no data) only: one hatched part over the grey, nothing else hatched
    hatched = [c for c in main.collections if c.get_hatch() and c.get_zorder() < 2]
    nodata_parts = shapely.get_parts(pref_map.spec.areas.loc[pref_map.spec.areas["pref_code"] == "08"].geometry.values)
    assert len(hatched) == 1 and len(hatched[0].get_paths()) == len(nodata_parts)
    legend = main.get_legend()
    rows = dict(zip([t.get_text() for t in legend.get_texts()], legend.legend_handles, strict=True))
    nodata = [h for text, h in rows.items() if text.startswith("データなし")]
    assert len(nodata) == 1 and nodata[0].get_hatch() and to_hex(nodata[0].get_facecolor()) == "#d9d9d9"
    assert all(not h.get_hatch() for text, h in rows.items() if not text.startswith("データなし"))


def test_okinawa_main_island_is_drawn_large_enough_to_tell_its_municipalities_apart(national) -> None:
    from pyproj import Geod

    fig = static.build_figure(national.spec, page="A4", orientation="landscape", dpi=150)
    titles = {ax.texts[-1].get_text(): ax for ax in fig.axes[1:] if ax.texts}
    okinawa = [t for t in titles if "沖縄諸島" in t]
    assert len(okinawa) == 1 and "先島諸島" not in okinawa[0]  # 先島 (290 km away) has an inset of its own
    assert any(t.startswith("先島諸島") for t in titles)
    ax = titles[okinawa[0]]
    # 沖縄本島 across (127.65°E to 128.33°E at 26.5°N, about 68 km), at the inset's scale
    _, _, across_m = Geod(ellps="GRS80").inv(127.65, 26.5, 128.33, 26.5)
    (x0, x1), width_px = ax.get_xlim(), ax.get_window_extent().width
    span_px = across_m * width_px / (x1 - x0)
    assert span_px > 45  # now about 50 px; one 南西諸島 inset spanning 800 km drew it about 30 px wide


def test_outline_weights_follow_the_map_scale(prefectures, yamanashi) -> None:
    from geo.maps.style import LAYER_STYLES

    def outline_pt(areas, regions) -> float:
        m = geo.choropleth(areas, "面積", layers=[region_outline_layer(regions)], show_labels=False)
        fig = static.build_figure(m.spec, page="A4", orientation="landscape", dpi=100)
        (coll,) = [c for c in fig.axes[0].collections if c.get_zorder() >= 5]
        return float(coll.get_linewidths()[0])

    japan = prefectures.copy()
    japan["面積"] = area_km2(japan)
    japan["region"] = np.where(japan["pref_code"].astype(int) <= 7, "北海道・東北", "その他")
    national = outline_pt(japan, japan.dissolve("region").reset_index())
    yamanashi_pt = outline_pt(yamanashi, yamanashi.assign(g=1).dissolve("g").reset_index())
    # a prefecture keeps the style's weight (2.5 px = 1.875 pt times the sheet factor); the national map draws
    # it about half as heavy, so small islands stay islands
    s = min(11.69, 8.27) / 10  # the sheet factor of an A4 page
    assert yamanashi_pt == pytest.approx(LAYER_STYLES["region_outline"].weight * 0.75 * s, rel=1e-3)
    assert national < 0.6 * yamanashi_pt


def test_area_labels_sit_away_from_the_outlines(prefectures) -> None:
    japan = prefectures.to_crs(JAPAN_EQUAL_AREA)
    anchors, _ = static.label_anchors(japan.geometry.values)
    # each label stands inside its prefecture's largest part, at least 15 % of that part's size from its outline
    for anchor, geom in zip(anchors, japan.geometry.values, strict=True):
        main = max(shapely.get_parts(geom), key=lambda p: p.area)
        assert main.contains(anchor)
        # (a point on the surface came within 13 % of the outline for one of them)
        assert shapely.distance(anchor, main.exterior) > 0.15 * np.sqrt(main.area)
