"""Interactive HTML maps, opened in headless Chromium with all network disabled (real N03 data)."""

from __future__ import annotations

import base64
import hashlib
import importlib
import json
import re
import sys
import zlib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from browser import Browser, find_chromium
from click.testing import CliRunner
from PIL import Image

import geo
from geo import CRSError, ValidationError
from geo.cli import cli
from geo.crs import JAPAN_EQUAL_AREA, area_km2, to_metric
from geo.maps.layers import (
    gap_points_layer,
    hub_buffers_layer,
    hubs_layer,
    labels_layer,
    region_outline_layer,
)
from geo.maps.style import ATTRIBUTION_N03, NODATA_COLOR

pytestmark = pytest.mark.browser

XSS = "<img src=x onerror=alert(1)>"
READY = "document.documentElement.dataset.geoReady === '1'"
VENDORED = {  # sha256 of the files taken from npm (geo/maps/static/VENDOR.md)
    "leaflet.js": "db49d009c841f5ca34a888c96511ae936fd9f5533e90d8b2c4d57596f4e5641a",
    "leaflet.css": "a7837102824184820dfa198d1ebcd109ff6d0ff9a2672a074b9a1b4d147d04c6",
    "leaflet.markercluster.js": "1e4e1d22972a3926f48598e0caf14e3fe7049835d428a344fed4f9e3665b3508",
    "MarkerCluster.css": "614dea0a98ff3f4ead74f04918f6b1d1b9ba435c25b5fc23b21a394d1e3e4d87",
    "MarkerCluster.Default.css": "61258232d98d64dc2a7b1e02130d67421bc5b9bda5994eef70228ff97570c170",
    "topojson-client.min.js": "25cd02ae486cc5063e0215a4e4cfb15de83700c87ac48bac4d57dc6aaf3ebb89",
    "layers.png": "1dbbe9d028e292f36fcba8f8b3a28d5e8932754fc2215b9ac69e4cdecf5107c6",
    "layers-2x.png": "066daca850d8ffbef007af00b06eac0015728dee279c51f3cb6c716df7c42edf",
    "marker-icon.png": "574c3a5cca85f4114085b6841596d62f00d7c892c7b03f28cbfa301deb1dc437",
}


@pytest.fixture(scope="module")
def browser():
    assert find_chromium(), "Debian chromium is required for the HTML map tests (apt-get install chromium)"
    with Browser(width=1200, height=900) as b:
        yield b


@pytest.fixture(scope="module")
def national(municipalities):
    areas = municipalities.copy()
    areas["area_km2"] = area_km2(areas)
    areas.loc[areas["muni_code"].isna(), "area_km2"] = np.nan  # 所属未定地: no data
    return areas


@pytest.fixture(scope="module")
def national_html(national, tmp_path_factory):
    path = tmp_path_factory.mktemp("maps") / "national.html"
    m = geo.choropleth(national, "area_km2", scheme="fisher_jenks", k=6, unit="km²", title="市区町村の面積")
    m.save(path)
    return path, m


def _open_clean(browser: Browser, path: Path):
    page = browser.open(path, ready=READY)
    assert page.ready, "the map never signalled it was ready"
    assert page.console_errors == []
    assert page.external_requests == []  # nothing left the machine
    assert [u for u in page.requests if u.startswith("file:")] == [page.url]  # no second file either
    return page


def _not_blank(png: Path) -> None:
    img = Image.open(png).convert("RGB").resize((300, 225))
    colours = img.getcolors(maxcolors=300 * 225)
    assert len(colours) > 50, "screenshot is (nearly) one colour"
    background = max(colours)[0] / (300 * 225)
    assert background < 0.95


def test_national_municipal_map_offline(browser, national_html, national, tmp_path):
    path, m = national_html
    assert path.stat().st_size < 3_000_000
    _open_clean(browser, path)
    n_paths = browser.evaluate("document.querySelectorAll('path.geo-area').length")
    assert n_paths == len(national) == 1906  # one shape per feature
    legend = browser.evaluate("document.querySelector('#geo-legend.leaflet-control').innerText")
    for label, count in zip(m.classes.labels, m.classes.counts, strict=False):
        assert label in legend and f"{count:,}" in legend
    assert "データなし" in legend and "area_km2（km²）" in legend
    assert ATTRIBUTION_N03 in browser.evaluate("document.querySelector('.leaflet-control-attribution').innerText")
    # no-data areas are grey, others take their class colour
    fills = browser.evaluate("Array.from(document.querySelectorAll('path.geo-area')).map(p => p.getAttribute('fill'))")
    expected = m.classes.color_of(national["area_km2"])
    assert fills == expected and fills.count(NODATA_COLOR) == 4
    _not_blank(browser.screenshot(tmp_path / "national.png"))


def test_html_is_self_contained_and_reproducible(national_html, national, tmp_path):
    path, _ = national_html
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"<(script|link|img|iframe|source)\b[^>]*\b(src|href)\s*=", text)  # no file to fetch
    assert not re.search(r"url\((?!\s*['\"]?(data:|#))", text)  # CSS images are inlined
    again = tmp_path / "again.html"
    geo.choropleth(national, "area_km2", scheme="fisher_jenks", k=6, unit="km²", title="市区町村の面積").save(again)
    assert again.read_bytes() == path.read_bytes()  # same input, same bytes
    assert path.stat().st_size < 1_200_000  # issue #24: the national page ≤ 1.2 MB (1.59 MB uncompressed)


def _shipped_topology(text: str) -> dict:
    """The TopoJSON a page carries, decoded here with Python's zlib (independently of the page's inflater)."""
    b64 = re.search(r'<script type="application/octet-stream" id="geo-topo"[^>]*>([A-Za-z0-9+/=]*)</script>', text)
    assert b64, "no compressed geometry element in the page"
    return json.loads(zlib.decompress(base64.b64decode(b64.group(1), validate=True)))


def test_shipped_geometry_is_the_encoded_topology(national_html, national):
    from geo.maps._topojson import encode_topology
    from geo.maps.interactive import _display_geometry

    path, m = national_html
    topo = _shipped_topology(path.read_text(encoding="utf-8"))
    shown = _display_geometry(m.spec.areas, "auto").geometry.values
    assert topo == json.loads(json.dumps(encode_topology({"areas": list(shown)})))  # lossless: same look
    assert len(topo["objects"]["areas"]["geometries"]) == len(national)


def test_hidden_area_names_are_built_when_switched_on(browser, national_html, national):
    path, _ = national_html
    _open_clean(browser, path)
    count = "document.querySelectorAll('.geo-label').length"
    toggle = """Array.from(document.querySelectorAll('.leaflet-control-layers-overlays label'))
        .filter(l => l.innerText.trim() === '地域名').forEach(l => l.querySelector('input').click())"""
    assert browser.evaluate(count) == 0  # more than 60 areas: names hidden, and not built at load
    for shown in (len(national), 0, len(national)):  # on, off, on again: built once, never doubled
        browser.evaluate(toggle)
        assert browser.evaluate(count) == shown
    names = browser.evaluate("Array.from(document.querySelectorAll('.geo-label span')).map(s => s.textContent)")
    assert sorted(names) == sorted(national_html[1].spec.names().tolist())


def test_browser_without_decompression_stream_gets_a_message(browser, prefectures, tmp_path):
    path = tmp_path / "old_browser.html"
    geo.choropleth(prefectures.assign(v=np.arange(47.0)), "v").save(path)
    script = browser.add_init_script("delete window.DecompressionStream;")  # as in Chrome < 80, Firefox < 113
    try:
        page = browser.open(path, ready="document.documentElement.dataset.geoUnsupported === '1'", timeout=60)
        assert page.ready and page.console_errors == [] and page.external_requests == []
        message = browser.evaluate("document.querySelector('#map .geo-unsupported[role=alert]').innerText")
        for needed in ("Microsoft Edge 80 以降", "Google Chrome 80 以降", "Firefox 113 以降", "Safari 16.4 以降"):
            assert needed in message
        assert browser.evaluate("document.documentElement.dataset.geoReady") is None  # nothing drawn, never ready
        assert browser.evaluate("document.querySelectorAll('path.geo-area').length") == 0
    finally:
        browser.remove_init_script(script)
    _open_clean(browser, path)  # the same page in a current browser draws every area
    assert browser.evaluate("document.querySelectorAll('path.geo-area').length") == 47
    assert browser.evaluate("document.querySelectorAll('.geo-unsupported').length") == 0


def test_tooltip_name_value_rank(browser, national_html, national):
    path, _ = national_html
    _open_clean(browser, path)
    i = int(np.flatnonzero(national["muni_code"].eq("19201").to_numpy())[0])  # 甲府市
    text = browser.evaluate(f"""(() => {{
        let hit = null; geoMap.eachLayer(l => {{ if (l.feature && l.feature.properties.i === {i}) hit = l; }});
        hit.fire('mouseover', {{latlng: hit.getCenter()}}, true);  // as a pointer entering the area would
        return document.querySelector('.leaflet-tooltip').innerText; }})()""")
    value = float(national["area_km2"].iloc[i])
    rank = int((national["area_km2"] > value).sum()) + 1
    assert text.splitlines() == ["山梨県甲府市", f"area_km2：{value:,.1f}km²", f"1,902中 {rank:,}位"]


def test_xss_probe_is_text(browser, prefectures, tmp_path):
    areas = prefectures.copy()
    areas["<b>v</b>"] = np.arange(len(areas), dtype=float)
    areas.loc[areas.index[12], "pref_name"] = XSS
    points = gpd.GeoDataFrame(
        {"name": [XSS, "ok"]}, geometry=gpd.points_from_xy([139.7, 135.5], [35.7, 34.7]), crs=6668
    )
    m = geo.choropleth(
        areas,
        "<b>v</b>",
        title=XSS,
        unit=XSS,
        show_labels=True,
        attribution=[ATTRIBUTION_N03, XSS],
        layers=[hubs_layer(points, name=XSS, tooltip=["name"])],
    )
    path = tmp_path / "xss.html"
    m.save(path)
    assert XSS not in path.read_text(encoding="utf-8")  # escaped or \u003c-encoded everywhere
    _open_clean(browser, path)
    body = browser.evaluate("document.body.innerText")
    assert body.count(XSS) >= 5  # title, unit in legend, label, layer name (control + legend), attribution
    assert "<b>v</b>" in body
    assert browser.evaluate("document.querySelectorAll('img, b').length") == 0
    tip = browser.evaluate("""(() => { let hit = null;
        geoMap.eachLayer(l => { if (l.getLatLng && l.getTooltip && l.getTooltip()) hit = hit || l; });
        hit.openTooltip(); return document.querySelector('.leaflet-tooltip').innerText; })()""")
    assert tip == f"name：{XSS}"
    assert browser.evaluate("document.documentElement.dataset.geoErrors") is None


def test_layers_switch_on_and_off(browser, prefectures, tmp_path):
    areas = prefectures.copy()
    areas["v"] = area_km2(areas)
    rng = np.random.default_rng(1)
    honshu = areas[areas["pref_code"].between("08", "14")]
    cloud = honshu.sample_points(2000, rng=rng).explode(index_parts=False)
    gaps = gpd.GeoDataFrame({"weight": rng.integers(1, 50, len(cloud))}, geometry=cloud.values, crs=6668)
    hubs = gpd.GeoDataFrame(
        {"hub": ["A", "B", "C"]},
        geometry=gpd.points_from_xy([139.69, 139.35, 140.1], [35.69, 35.9, 36.35]),
        crs=6668,
    )
    metric = to_metric(hubs)
    buffers = gpd.GeoDataFrame({"hub": hubs["hub"]}, geometry=metric.buffer(10_000).to_crs(6668).values, crs=6668)
    kanto = areas[areas["pref_code"].between("08", "14")].dissolve().assign(region="関東")
    m = geo.choropleth(
        areas,
        "v",
        unit="km²",
        layers=[
            region_outline_layer(kanto, label_column="region"),
            hub_buffers_layer(buffers),
            gap_points_layer(gaps, tooltip=["weight"], attribution="テスト用の点"),
            hubs_layer(hubs, tooltip=["hub"]),
            labels_layer(hubs, "hub", name="拠点名"),
        ],
    )
    path = tmp_path / "layers.html"
    m.save(path)
    _open_clean(browser, path)
    names = browser.evaluate(
        "Array.from(document.querySelectorAll('.leaflet-control-layers-overlays label')).map(l => l.innerText.trim())"
    )
    assert names == [
        "塗り分け：v",
        "広域リージョン",
        "拠点の圏域",
        "交通空白地点",
        "拠点候補",
        "拠点名",
        "地域名",
    ]
    count = "document.querySelectorAll('{}').length".format
    assert browser.evaluate(count("path.geo-area")) == 47
    assert browser.evaluate(count("path.geo-outline")) == 1
    assert browser.evaluate(count("path.geo-polygons")) == 3
    assert browser.evaluate(count(".marker-cluster")) > 0  # 2,000 gap points are clustered
    assert browser.evaluate(count("path.geo-point")) < 2000
    assert browser.evaluate(count(".geo-label")) == 47 + 3 + 1  # prefecture names (≤60 areas), hubs, region
    attribution = browser.evaluate("document.querySelector('.leaflet-control-attribution').innerText")
    assert ATTRIBUTION_N03 in attribution and "テスト用の点" in attribution
    # switch the buffers off and the area labels off: their shapes leave the map
    browser.evaluate("""Array.from(document.querySelectorAll('.leaflet-control-layers-overlays label'))
        .filter(l => ['拠点の圏域', '地域名'].includes(l.innerText.trim()))
        .forEach(l => l.querySelector('input').click())""")
    assert browser.evaluate(count("path.geo-polygons")) == 0
    assert browser.evaluate(count(".geo-label")) == 3 + 1
    legend = browser.evaluate("document.getElementById('geo-legend').innerText")
    assert "交通空白地点" in legend and "拠点の圏域" in legend
    _not_blank(browser.screenshot(tmp_path / "layers.png"))


def test_designated_city_level_and_tiles_option(browser, designated_cities, tmp_path):
    areas = designated_cities[designated_cities["pref_code"].isin(["14", "19"])].copy()
    areas["v"] = area_km2(areas)
    path = tmp_path / "kanagawa.html"
    geo.choropleth(areas, "v", scheme="equal_interval", k=4).save(path)
    _open_clean(browser, path)
    assert browser.evaluate("document.querySelectorAll('path.geo-area').length") == len(areas)
    assert "cyberjapandata" not in path.read_text(encoding="utf-8")  # tiles only when asked for
    tiled = tmp_path / "tiled.html"
    geo.choropleth(areas, "v", tiles="gsi_pale").save(tiled)
    assert "地理院タイル" in tiled.read_text(encoding="utf-8")
    # the harness sees what would leave the machine: tiles are asked for, and fail, while the map still draws
    page = browser.open(tiled, ready=READY)
    assert page.ready and page.external_requests
    assert all("cyberjapandata.gsi.go.jp" in u for u in page.external_requests)
    assert page.console_errors  # failed tile loads are reported
    assert browser.evaluate("document.querySelectorAll('path.geo-area').length") == len(areas)
    assert "地理院タイル" in browser.evaluate("document.querySelector('.leaflet-control-attribution').innerText")
    assert "背景：地理院タイル" in browser.evaluate("document.querySelector('.leaflet-control-layers').innerText")


def test_bad_input_is_refused(national):
    with pytest.raises(ValidationError, match=r"'pop' not found.*area_km2"):
        geo.choropleth(national, "pop")
    named = national.assign(name=national["muni_name"].astype(str))
    with pytest.raises(ValidationError, match="not numeric"):
        geo.choropleth(named, "name")
    with pytest.raises(CRSError, match="no CRS"):
        geo.choropleth(national.set_crs(None, allow_override=True), "area_km2")
    holes = national.head(3).copy()
    holes.loc[holes.index[1], "geometry"] = None
    with pytest.raises(ValidationError, match="1 row"):
        geo.choropleth(holes, "area_km2")
    pts = gpd.GeoDataFrame({"v": [1.0]}, geometry=[shapely.Point(139, 35)], crs=6668)
    with pytest.raises(ValidationError, match="polygons"):
        geo.choropleth(pts.assign(pref_name="x"), "v")
    with pytest.raises(ValidationError, match=r"\.html, \.png"):
        geo.choropleth(national.head(3), "area_km2").save("x.txt")
    with pytest.raises(ValidationError, match="not found"):
        geo.choropleth(national.head(3), "area_km2", layers=[hubs_layer(pts, tooltip=["nope"])])


def test_input_not_modified_and_other_crs(national):
    before = national.copy()
    projected = to_metric(national.head(20))
    m = geo.choropleth(projected, "area_km2")
    assert m.spec.areas.crs.to_epsg() == 6668
    assert national.equals(before)


def test_static_formats_go_through_render_static(national, tmp_path, monkeypatch):
    module = importlib.import_module("geo.maps.choropleth")  # geo.maps.choropleth is also the function's name
    calls = []
    fake = lambda spec, path, **kw: calls.append((spec, Path(path), kw))  # noqa: E731
    monkeypatch.setattr(module, "render_static", fake)
    m = geo.choropleth(national.head(50), "area_km2", title="t")
    m.save(tmp_path / "x.png", dpi=200, width_px=800)
    spec, path, kw = calls[0]
    assert spec is m.spec and path.suffix == ".png" and kw == {"dpi": 200, "width_px": 800}
    assert spec.classes.counts and spec.attribution == (ATTRIBUTION_N03,)


def test_vendored_assets_unmodified_with_licences():
    static = Path(geo.__file__).parent / "maps" / "assets"
    for name, digest in VENDORED.items():
        assert hashlib.sha256((static / name).read_bytes()).hexdigest() == digest, name
    for lic in ("LICENSE-leaflet.txt", "LICENSE-leaflet.markercluster.txt", "LICENSE-topojson-client.txt"):
        assert (static / lic).stat().st_size > 500


def test_cli_map_with_table(browser, shared_data, tmp_path):
    out = tmp_path / "pop.html"
    table = shared_data / "ssdse-a-municipal-indicators" / "municipal_indicators.csv"
    n03 = shared_data / "japan-topography-n03-2021" / "topojson" / "s0010" / "N03-21_210101.json"
    result = CliRunner().invoke(
        cli,
        [
            "map",
            str(n03),
            "--level",
            "designated_city",
            "--table",
            str(table),
            "--column",
            "pop_2020",
            "--scheme",
            "fisher_jenks",
            "-k",
            "6",
            "--unit",
            "人",
            "--title",
            "総人口 2020",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "以上" in result.output and "1,741" in result.output  # class table and the join report
    _open_clean(browser, out)
    assert browser.evaluate("document.querySelectorAll('path.geo-area').length") == 1751
    assert "総人口 2020" in browser.evaluate("document.body.innerText")
    bad = CliRunner().invoke(cli, ["map", str(n03), "--column", "pop", "-o", str(tmp_path / "x.html")])
    assert bad.exit_code != 0 and "--table" in str(bad.exception)
    assert not (tmp_path / "x.html").exists()


def _decode(topo: dict, name: str) -> list:
    """TopoJSON -> shapely, written independently of the encoder (the format's own rules)."""
    scale, shift = np.array(topo["transform"]["scale"]), np.array(topo["transform"]["translate"])
    arcs = [np.cumsum(np.array(a, dtype=float), axis=0) * scale + shift for a in topo["arcs"]]

    def ring(refs):
        pts: list = []
        for r in refs:
            c = arcs[r] if r >= 0 else arcs[~r][::-1]
            pts.extend(c[1:] if pts else c)
        return pts

    out = []
    for g in topo["objects"][name]["geometries"]:
        if g["type"] is None:
            out.append(None)
            continue
        polys = [g["arcs"]] if g["type"] == "Polygon" else g["arcs"]
        out.append(shapely.MultiPolygon([shapely.Polygon(ring(p[0]), [ring(h) for h in p[1:]]) for p in polys]))
    return out


def test_topojson_shares_borders_and_round_trips():
    from geo.maps._topojson import encode_topology

    outer = shapely.box(0, 0, 4, 4).difference(shapely.box(1, 1, 2, 2))  # with a hole ...
    enclave = shapely.box(1, 1, 2, 2)  # ... filled by another area
    right = shapely.box(4, 0, 6, 4)
    speck = shapely.box(10, 10, 10.00001, 10.00001)  # below one grid cell: becomes a null geometry
    topo = encode_topology({"a": [outer, enclave, right, speck]}, quantization=1001)
    decoded = _decode(topo, "a")
    step = topo["transform"]["scale"][0]
    for original, back in zip([outer, enclave, right], decoded, strict=False):
        assert back.equals_exact(shapely.MultiPolygon([original]).normalize(), tolerance=step) or (
            shapely.hausdorff_distance(back, original) < step and abs(back.area - original.area) < 0.01
        )
    assert decoded[3] is None
    hole_arc = topo["objects"]["a"]["geometries"][0]["arcs"][1][0]
    enclave_arc = topo["objects"]["a"]["geometries"][1]["arcs"][0][0]
    assert hole_arc in (enclave_arc, ~enclave_arc)  # the enclave's border is stored once
    assert len(topo["arcs"]) == 4  # enclave ring, shared edge x=4, rest of outer, rest of right


def test_topojson_of_real_areas(municipalities):
    from geo.maps._topojson import encode_topology

    geoms = municipalities.geometry.values
    topo = encode_topology({"areas": list(geoms)})
    back = shapely.make_valid(np.array(_decode(topo, "areas"), dtype=object))
    step = topo["transform"]["scale"][0]
    assert shapely.hausdorff_distance(back, shapely.make_valid(geoms)).max() < 2 * step
    stored = sum(len(a) for a in topo["arcs"])
    assert stored < 0.7 * shapely.get_num_coordinates(geoms).sum()  # shared borders stored once


def test_pipeline_layers_and_region_level(browser, prefectures, tmp_path):
    from geo.maps import layer_for

    regions = prefectures.assign(region=np.where(prefectures["pref_code"] <= "07", "北海道・東北", "その他"))
    regions = regions.dissolve("region", as_index=False)[["region", "geometry"]]
    regions["v"] = [1.0, 2.0]
    hubs = gpd.GeoDataFrame(geometry=gpd.points_from_xy([140.0], [40.0]), crs=6668)
    m = geo.choropleth(regions, "v", layers=[layer_for("labels", regions), layer_for("hubs", hubs)])
    assert m.spec.show_area_labels and [x.name for x in m.spec.layers] == ["拠点候補"]
    path = tmp_path / "regions.html"
    m.save(path)
    _open_clean(browser, path)
    body = browser.evaluate("document.body.innerText")
    assert "北海道・東北" in body and "その他" in body
    assert browser.evaluate("document.querySelectorAll('.geo-mk').length") == 1  # hubs are squares
    with pytest.raises(ValidationError, match="gaps, hubs"):
        layer_for("stations", hubs)


def test_same_input_same_bytes_across_processes(shared_data, tmp_path):
    import os
    import subprocess

    n03 = shared_data / "japan-topography-n03-2021" / "topojson" / "s0010" / "N03-21_210101.json"
    code = (
        "import sys, geo; from geo.crs import area_km2\n"
        f"a = geo.read_boundaries({str(n03)!r}, prefectures='山梨県')\n"
        "a['v'] = area_km2(a)\n"
        "geo.choropleth(a, 'v', scheme='quantiles', k=4, title='山梨').save(sys.argv[1])\n"
    )
    outs = [tmp_path / "a.html", tmp_path / "b.html"]
    for out in outs:  # separate interpreters: no shared id counter or cache can hide randomness
        subprocess.run(
            [sys.executable, "-c", code, str(out)], check=True, env={**os.environ, "PYTHONHASHSEED": "random"}
        )
    assert outs[0].read_bytes() == outs[1].read_bytes()
    text = outs[0].read_text(encoding="utf-8")
    assert '"text":["甲府市"' in text  # one prefecture: labels without the prefecture name


def test_cli_map_from_joined_file_with_breaks(municipalities, tmp_path):
    areas = municipalities[municipalities["pref_code"] == "19"].copy()
    areas["v"] = area_km2(areas)
    src = tmp_path / "joined.gpkg"
    areas.to_file(src)
    out = tmp_path / "v.html"
    result = CliRunner().invoke(
        cli, ["map", str(src), "--column", "v", "--breaks", "50,100,200", "--unit", "km²", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "50km²未満" in result.output and "200km²以上" in result.output
    text = out.read_text(encoding="utf-8")
    assert "任意区分・4階級" in text and text.count('class="geo-sw"') == 4
    bad = CliRunner().invoke(cli, ["map", str(src), "--column", "v", "--breaks", "a,b", "-o", str(out)])
    assert bad.exit_code == 2 and "comma" in bad.output


def test_one_prefecture_map_opens_on_its_main_body(browser, municipalities, tmp_path):
    tokyo = municipalities[municipalities["pref_code"] == "13"].copy()
    tokyo["area_km2"] = area_km2(tokyo)
    path = tmp_path / "tokyo.html"
    geo.choropleth(tokyo, "area_km2", unit="km²", title="東京都").save(path)
    _open_clean(browser, path)
    view = browser.evaluate(
        "(() => { const b = geoMap.getBounds(); return [b.getSouth(), b.getWest(), b.getNorth(), b.getEast()]; })()"
    )
    south, west, north, east = view

    def shown(lat: float, lon: float) -> bool:
        return south <= lat <= north and west <= lon <= east

    assert shown(35.6896, 139.7003) and shown(35.8096, 139.0942) and shown(35.5494, 139.7798)  # 新宿, 奥多摩, 羽田
    assert not shown(34.7503, 139.3894) and not shown(27.0944, 142.1919)  # 大島, 父島: not in the first view
    assert north - south < 1.5  # the mainland (0.4° tall) fills the view, not 35.9°N–24.3°N
    # the islands are drawn and a pan away (no maxBounds keeps the view on the mainland)
    assert browser.evaluate("document.querySelectorAll('path.geo-area').length") == len(tokyo)
    assert browser.evaluate("geoMap.options.maxBounds") is None
    centre = browser.evaluate(
        "(() => { geoMap.setView([33.11, 139.79], 10, {animate: false}); const c = geoMap.getCenter();"
        " return [c.lat, c.lng]; })()"
    )
    assert abs(centre[0] - 33.11) < 0.01 and abs(centre[1] - 139.79) < 0.01  # 八丈島


def _rects(browser: Browser, selectors: list[str]) -> dict[str, list[float]]:
    js = (
        "("
        + json.dumps(selectors)
        + """).reduce((o, s) => { const e = document.querySelector(s);
        if (e) { const r = e.getBoundingClientRect(); o[s] = [r.left, r.top, r.right, r.bottom]; } return o; }, {})"""
    )
    return browser.evaluate(js)


def _apart(a: list[float], b: list[float]) -> bool:
    return a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]


def test_controls_free_titles_and_hub_names_beside_markers(browser, municipalities, tmp_path):
    areas = municipalities[municipalities["pref_code"] == "19"].copy()
    areas["gap_share"] = np.linspace(10, 90, len(areas))
    hubs = gpd.GeoDataFrame(
        {"name": ["甲府駅", "大月駅"]}, geometry=gpd.points_from_xy([138.5688, 138.9406], [35.6666, 35.6108]), crs=6668
    )
    credits = [ATTRIBUTION_N03, "独立行政法人統計センター SSDSE（教育用標準データセット）を加工して作成",
               "出典：国土数値情報（鉄道データ）（国土交通省）を加工して作成", "出典：政府統計の総合窓口(e-Stat)"]  # fmt: skip
    m = geo.choropleth(
        areas, "gap_share", unit="%", column_titles={"gap_share": "交通空白人口の割合"}, attribution=credits,
        layers=[hub_buffers_layer(geo.buffer_hubs(hubs, [1000, 5000])), hubs_layer(hubs, label_column="name")],
    )  # fmt: skip
    path = tmp_path / "yamanashi.html"
    m.save(path)
    _open_clean(browser, path)
    legend = browser.evaluate("document.getElementById('geo-legend').innerText")
    assert legend.startswith("交通空白人口の割合（%）") and "gap_share" not in legend
    assert "拠点の圏域 1 km" in legend and "拠点の圏域 5 km" in legend
    # credits (four long lines) never cover the scale bar, the legend, the layer switcher or the zoom buttons
    boxes = _rects(browser, [".leaflet-control-attribution", ".leaflet-control-scale", "#geo-legend",
                             ".leaflet-control-layers", ".leaflet-control-zoom"])  # fmt: skip
    assert len(boxes) == 5
    names = list(boxes)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            assert _apart(boxes[a], boxes[b]), f"{a} overlaps {b}"
    # each hub's name sits beside its marker, not on it
    pairs = browser.evaluate("""(() => {
        const marks = Array.from(document.querySelectorAll('.geo-mk')).map(e => e.getBoundingClientRect());
        const labs = Array.from(document.querySelectorAll('.geo-label span')).filter(e => e.textContent.endsWith('駅'))
            .map(e => e.getBoundingClientRect());
        return [marks.map(r => [r.left, r.top, r.right, r.bottom]), labs.map(r => [r.left, r.top, r.right, r.bottom])];
    })()""")
    marks, labels = pairs
    assert len(marks) == 2 and len(labels) == 2
    assert all(_apart(mk, lab) for mk in marks for lab in labels)
    # the two radii are drawn in two styles
    strokes = browser.evaluate(
        "new Set(Array.from(document.querySelectorAll('path.geo-polygons')).map(p => p.getAttribute('stroke'))).size"
    )
    assert strokes == 2


def test_three_groupings_outlined_in_html(browser, designated_cities, tmp_path):
    import pandas as pd

    from geo.maps.groupings import OverlapWarning

    areas = designated_cities.assign(v=np.arange(len(designated_cities)) % 9 - 4.0)
    frames = [
        geo.dissolve_regions(areas, geo.read_regions(p), sum_columns=["v"], missing="skip").assign(grouping=p)
        for p in ("kouiki-chihou-keikaku", "kansai-kouiki-rengo", "kyushu-chiiki-senryaku-kaigi")
    ]
    regions = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=frames[0].crs)
    with pytest.warns(OverlapWarning):
        m = geo.choropleth(regions, "v", layers=[geo.maps.layer_for("regions", regions)], unit="%")
    path = tmp_path / "groupings.html"
    m.save(path)
    _open_clean(browser, path)
    assert browser.evaluate("document.querySelectorAll('path.geo-area').length") == 8
    strokes = browser.evaluate(
        "Array.from(document.querySelectorAll('path.geo-outline')).map(p => p.getAttribute('stroke'))"
    )
    assert len(strokes) == 10 and len(set(strokes)) == 3  # 8 + 関西広域連合 + 九州地域戦略会議, three styles
    legend = browser.evaluate("document.getElementById('geo-legend').innerText")
    assert (
        "関西広域連合" in legend
        and "九州地域戦略会議" in legend
        and "北海道・沖縄県は広域地方計画区域に含まれない" in legend
    )


_VISIBLE_LABELS = """(() => Array.from(document.querySelectorAll('.geo-label span'))
    .filter(e => e.style.visibility !== 'hidden' && e.getBoundingClientRect().width > 0)
    .map(e => { const r = e.getBoundingClientRect(); return [e.textContent, [r.left, r.top, r.right, r.bottom]]; }))()"""


def test_hub_labels_never_collide_in_html(browser, municipalities, tmp_path):
    areas = municipalities[municipalities["pref_code"] == "01"].copy()
    areas["v"] = np.arange(len(areas), dtype=float)
    hubs = gpd.GeoDataFrame(
        {"name": ["とうべつ", "しんしのつ", "あさひかわ", "ひがしかわ"]},
        geometry=gpd.points_from_xy([141.517, 141.647, 142.365, 142.511], [43.224, 43.225, 43.771, 43.699]),
        crs=6668,
    )
    m = geo.choropleth(areas, "v", layers=[hubs_layer(hubs, label_column="name")], show_labels=False)
    path = tmp_path / "hokkaido.html"
    m.save(path)
    _open_clean(browser, path)

    def check() -> set[str]:
        shown = browser.evaluate(_VISIBLE_LABELS)
        marks = browser.evaluate(
            "Array.from(document.querySelectorAll('.geo-mk')).map(e => { const r = e.getBoundingClientRect();"
            " return [r.left, r.top, r.right, r.bottom]; })"
        )
        for i, (a, ra) in enumerate(shown):
            assert all(_apart(ra, mk) for mk in marks), f"{a} covers a marker"
            for b, rb in shown[i + 1 :]:
                assert _apart(ra, rb), f"{a} overlaps {b}"
        return {text for text, _ in shown}

    # the whole of 北海道: no name over another or over a marker; at least one name of each close pair
    names = check()
    assert names & {"とうべつ", "しんしのつ"} and names & {"あさひかわ", "ひがしかわ"}
    # one step closer: とうべつ moves left of its marker, and all four names are shown apart
    browser.evaluate("window.geoMap.setView([43.5, 142.0], 8, {animate: false}), 0")
    assert check() == {"とうべつ", "しんしのつ", "あさひかわ", "ひがしかわ"}
    left = browser.evaluate(
        "(() => { const s = Array.from(document.querySelectorAll('.geo-label span'))"
        ".find(e => e.textContent === 'とうべつ'); return s.style.transform; })()"
    )
    assert left.startswith("translate(calc(-100%")


def test_html_area_labels_sit_away_from_the_outlines(prefectures):
    from geo.maps import interactive

    m = geo.choropleth(prefectures.assign(v=1.0), "v")
    labels = interactive._area_labels(m.spec)
    pts = gpd.GeoSeries(gpd.points_from_xy(labels["lon"], labels["lat"]), crs=6668).to_crs(JAPAN_EQUAL_AREA)
    areas = m.spec.areas.to_crs(JAPAN_EQUAL_AREA).geometry.to_numpy()
    for pt, geom in zip(pts, areas, strict=True):
        main = max(shapely.get_parts(geom), key=lambda p: p.area)
        assert main.contains(pt)
        assert shapely.distance(pt, main.exterior) > 0.15 * np.sqrt(main.area)  # as on print maps
