"""Benchmark: national choropleth HTML — geo.choropleth vs folium (``explore()``) drawn offline, size and draw time.

Run:  GEO_DATA_MIRROR=../shared/data python scripts/bench_html_map.py [--repeat 3] [--out outputs/bench_html]

Both maps are built in the same run from the shared 1 % N03 TopoJSON: the municipalities (1,906 features,
wards separate, coloured by area) and the designated-city level (1,751) joined to the SSDSE-A 2020 population.
Each HTML file is opened in headless Chromium with every network request refused (host resolver mapped to
nothing, dead proxy), ``--repeat`` times in a fresh tab each:

- geo: time from navigation until the page says it is interactive (the geometry inflated from its zlib stream by
  the browser's ``DecompressionStream``, all shapes drawn and painted, tooltips and layer switch bound:
  ``data-geo-ready``), the page's own ``performance.now()`` at that moment, and the SVG paths drawn;
- baseline: ``GeoDataFrame.explore()`` (folium) made to draw offline: Leaflet 1.9.4 (geo's vendored copy; folium
  asks for 1.9.3) and jQuery (Debian's copy, when present) inlined, every other CDN file (bootstrap,
  font-awesome, awesome-markers, d3 for the legend) removed and listed, no tiles. Timed from navigation until all
  its shapes are drawn (``path.leaflet-interactive`` count = features). Without d3 it draws no legend: the
  baseline does a little less than geo, never more. explore() as shipped (CDN) is printed too: offline it draws
  nothing, so it is no baseline.

Targets (issue #24): each page ≤ 1.2 MB and drawn in ≤ 0.6 s (median of ``--repeat`` loads, wall time) on this
machine kind; the last lines say whether each was met, with the slowest and fastest load.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from pathlib import Path

import geo
from geo.crs import area_km2
from geo.maps._offline import inline_css, inline_js

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the test-only DevTools client
from browser import Browser

READY = "document.documentElement.dataset.geoReady === '1'"
PATHS = "document.querySelectorAll('path.leaflet-interactive, path.geo-area').length"
TARGET_MB, TARGET_S = 1.2, 0.6  # issue #24


JQUERY = Path("/usr/share/javascript/jquery/jquery.min.js")
_TAG = re.compile(r'<script src="(https?://[^"]+)"></script>|<link rel="stylesheet" href="(https?://[^"]+)"/>')


def offline_folium(html: str) -> tuple[str, list[str]]:
    """folium's page with Leaflet (and jQuery) inlined and every other CDN file removed; the removed URLs."""
    dropped: list[str] = []

    def swap(match: re.Match[str]) -> str:
        url = match.group(1) or match.group(2)
        name = url.rsplit("/", 1)[-1]
        if "/leaflet@" in url and name == "leaflet.js":
            return inline_js("leaflet.js")
        if "/leaflet@" in url and name == "leaflet.css":
            return inline_css("leaflet.css")
        if "jquery" in name and JQUERY.exists():
            return f"<script>{JQUERY.read_text(encoding='utf-8')}</script>"
        dropped.append(url)
        return ""

    out = _TAG.sub(swap, html)
    left = re.findall(r'(?:src|href)="(https?://[^"]+\.(?:js|css))"', out)
    assert not left, f"CDN files left in the baseline page: {left}"
    return out, dropped


def _load(browser: Browser, path: Path, ready: str | None, repeat: int) -> dict[str, object]:
    walls, own, paths, errors = [], [], 0, 0
    for _ in range(repeat):
        page = browser.open(path, ready=ready, timeout=60)
        walls.append(page.load_s)
        if ready == READY:  # geo's page records its own time to interactive
            own.append(int(browser.evaluate("document.documentElement.dataset.geoReadyMs")) / 1000)
        paths = browser.evaluate(PATHS)
        errors = len(page.console_errors)
    return {
        "wall": statistics.median(walls),
        "walls": walls,
        "own": statistics.median(own) if own else None,
        "paths": paths,
        "errors": errors,
        "ready": page.ready,
        "external": len(page.external_requests),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("outputs/bench_html"))
    args = parser.parse_args()
    mirror = os.environ.get("GEO_DATA_MIRROR")
    if not mirror:
        sys.exit("set GEO_DATA_MIRROR to the shared data folder (../shared/data)")
    n03 = Path(mirror) / "japan-topography-n03-2021" / "topojson" / "s0010" / "N03-21_210101.json"
    table = Path(mirror) / "ssdse-a-municipal-indicators" / "municipal_indicators.csv"
    args.out.mkdir(parents=True, exist_ok=True)

    munis = geo.read_boundaries(n03)
    munis["area_km2"] = area_km2(munis)
    cities, _ = geo.join_indicators(geo.read_boundaries(n03, level="designated_city"), geo.read_indicators(table))
    cases = [
        ("municipal area (1,906)", munis, "area_km2", "km²"),
        ("designated-city population (1,751)", cities, "pop_2020", "人"),
    ]

    rows = []
    with Browser(width=1200, height=900) as browser:
        for label, frame, column, unit in cases:
            stem = column
            t = time.perf_counter()
            m = geo.choropleth(frame, column, scheme="fisher_jenks", k=6, unit=unit, title=label)
            ours = args.out / f"geo_{stem}.html"
            m.save(ours)
            build = time.perf_counter() - t
            t = time.perf_counter()
            shipped_path = args.out / f"explore_cdn_{stem}.html"
            frame[[column, "pref_name", "muni_name", "geometry"]].explore(
                column, scheme="FisherJenks", k=6, tiles=None
            ).save(shipped_path)
            html, dropped = offline_folium(shipped_path.read_text(encoding="utf-8"))
            explore_path = args.out / f"explore_offline_{stem}.html"
            explore_path.write_text(html, encoding="utf-8")
            build_explore = time.perf_counter() - t
            print(
                f"{label}: baseline page without {len(dropped)} CDN files: {', '.join(u.rsplit('/', 1)[-1] for u in dropped)}"
            )
            drawn = f"document.querySelectorAll('path.leaflet-interactive').length >= {frame.geometry.notna().sum()}"
            rows.append((label, "geo.choropleth", ours.stat().st_size, build, _load(browser, ours, READY, args.repeat)))
            rows.append((label, "folium offline", explore_path.stat().st_size, build_explore,
                         _load(browser, explore_path, drawn, args.repeat)))  # fmt: skip
            rows.append((label, "explore() CDN", shipped_path.stat().st_size, build_explore,
                         _load(browser, shipped_path, None, 1)))  # fmt: skip

    print(
        f"{'map':36s} {'renderer':15s} {'size MB':>8s} {'build s':>8s} {'load s':>7s} {'page s':>7s} "
        f"{'paths':>6s} {'errors':>6s}"
    )
    for label, who, size, build, r in rows:
        own = f"{r['own']:.2f}" if r["own"] is not None else "-"
        print(
            f"{label:36s} {who:15s} {size / 1e6:8.2f} {build:8.2f} {r['wall']:7.2f} {own:>7s} "
            f"{r['paths']:6d} {r['errors']:6d}"
        )
    for i in range(0, len(rows), 3):
        (label, _, s1, _, r1), (_, _, s2, _, r2), (_, _, _, _, r3) = rows[i : i + 3]
        assert r1["ready"] and r2["ready"], f"{label}: a map did not finish drawing offline"
        assert r1["external"] == 0, f"{label}: geo's page asked the network"
        print(
            f"{label}: size geo / folium offline = {s1 / s2:.2f}; drawn: geo {r1['wall']:.2f} s, folium offline "
            f"{r2['wall']:.2f} s, ratio folium / geo = {r2['wall'] / r1['wall']:.2f}× (both: all {r1['paths']} / "
            f"{r2['paths']} shapes); explore() as shipped draws {r3['paths']} shapes offline"
        )
        met = s1 / 1e6 <= TARGET_MB and r1["wall"] <= TARGET_S
        print(
            f"{label}: target ≤ {TARGET_MB} MB and ≤ {TARGET_S} s: {'met' if met else 'NOT met'} "
            f"({s1 / 1e6:.2f} MB, drawn {r1['wall']:.2f} s median, {min(r1['walls']):.2f}–{max(r1['walls']):.2f} s "
            f"over {len(r1['walls'])} loads)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
