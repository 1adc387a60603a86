"""Service-hub coverage (地域くらしサービス拠点), 山梨県: people within 1 / 5 km of a station, and siting.

Run:  GEO_DATA_MIRROR=../shared/data python scripts/hub_coverage_report.py [--k 5] [--target-share 0.8]

Data (read through GEO_DATA_MIRROR; see each folder's SOURCE.md for credits):
  estat-mesh1km-census-yamanashi     2020 census population per 1 km mesh, Yamanashi (e-Stat)
  ksj-n02-2023-railway-stations      N02-23 railway stations (国土数値情報), as points
  japan-topography-n03-2021          N03-21 municipal boundaries (1 % simplification)

Stations are taken within about 10 km of Yamanashi's populated cells, so stations across the prefecture border
(Nagano, Shizuoka, Tokyo, Kanagawa) serve Yamanashi residents as they do in reality. A station served by
several lines is one N02 feature per line: coverage totals are unions and do not double count, and for siting
the features are merged by ``group_code`` (one candidate per physical station). Cells are judged by their
centre; distances are straight lines in plane rectangular zone VIII (EPSG:6676), geodesic near the radius.

Printed: the coverage figures per radius and per municipality; ``k`` stations chosen greedily and exactly
(MCLP) with the marginal gain of each; the fewest stations reaching ``--target-share`` (LSCP) both ways; and
the same siting for the transport-gap cells (beyond 800 m of a station) with populated cell centres as
candidates (where would new hubs reach the most people without rail).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd

import geo
from geo.mesh import mesh_centroids

N03 = "japan-topography-n03-2021/topojson/s0010/N03-21_210101.json"
STATIONS = "ksj-n02-2023-railway-stations/stations_points.csv"
MESH = "estat-mesh1km-census-yamanashi/yamanashi_mesh1km_2020.csv"
CREDIT = (
    "出典：政府統計の総合窓口(e-Stat)、令和2年国勢調査 地域メッシュ統計; "
    "国土数値情報（鉄道データ・行政区域データ）"
    "（国土交通省）を加工して作成"
)


def coverage(cells: gpd.GeoDataFrame, stations: gpd.GeoDataFrame, areas: gpd.GeoDataFrame) -> None:
    for radius in (1000.0, 5000.0):
        res = geo.hub_coverage(stations, cells, radius_m=radius, weight="pop_2020", areas=areas)
        print(f"\n== population within {radius / 1000:g} km of a railway station ({res.metric_crs})")
        print(f"   total       {res.total:>10,.0f}")
        print(f"   covered     {res.covered:>10,.0f}  ({res.share:.1%})")
        print(f"   by 2+ hubs  {res.multi_covered:>10,.0f}  ({res.multi_covered / res.total:.1%})")
        print(f"   left out    {res.total - res.covered:>10,.0f}  in {len(res.uncovered)} of {len(cells)} cells")
        table = res.per_area.sort_values("share")
        print("   municipalities, lowest share first:")
        for _, row in table.iterrows():
            print(
                f"     {row['muni_code']} {_name(row.get('muni_name')):<10} "
                f"{row['covered']:>9,.0f} / {row['total']:>9,.0f}  {row['share']:6.1%}"
            )


def _name(value: object) -> str:
    return "(outside every municipal polygon)" if pd.isna(value) else str(value)


def _print_choice(label: str, chosen: gpd.GeoDataFrame, report: geo.SitingReport, name: str, seconds: float) -> None:
    print(
        f"   {label}: {len(chosen)} sites, {report.covered:,.0f} of {report.total:,.0f} "
        f"({report.share:.1%}); optimal={report.optimal}; {seconds:.2f} s"
    )
    for _, row in chosen.iterrows():
        print(
            f"     {row['rank']:>3}. {row[name]:<14} +{row['gain']:>8,.0f}  "
            f"cumulative {row['cumulative']:>9,.0f} ({row['cumulative_share']:.1%})"
        )


def siting(
    candidates: gpd.GeoDataFrame, demand: gpd.GeoDataFrame, *, name: str, radius: float, k: int, target: float
) -> None:
    results = {}
    for method in ("greedy", "swap", "exact"):
        start = time.perf_counter()
        chosen, report = geo.choose_hubs(candidates, demand, k=k, radius_m=radius, weight="pop_2020", method=method)
        _print_choice(f"choose {k} ({method})", chosen, report, name, time.perf_counter() - start)
        results[method] = report.covered
    print(
        f"   greedy reaches {results['greedy'] / results['exact']:.2%} of the exact optimum, "
        f"greedy + swaps {results['swap'] / results['exact']:.2%}"
    )
    # set covering: the fewest sites reaching `target` of what all candidates together can reach
    reach = geo.hub_coverage(candidates, demand, radius_m=radius, weight="pop_2020").share
    share = target * reach
    for method in ("greedy", "exact"):
        start = time.perf_counter()
        chosen, report = geo.choose_hubs(
            candidates, demand, target_share=share, radius_m=radius, weight="pop_2020", method=method
        )
        print(
            f"   fewest sites for {target:.0%} of the {reach:.1%} all {len(candidates)} candidates reach "
            f"({method}): {len(chosen)} sites, {chosen['cumulative_share'].iloc[-1]:.1%} of all demand; "
            f"optimal={report.optimal}; {time.perf_counter() - start:.2f} s"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, default=5, help="sites to choose (default 5)")
    parser.add_argument("--target-share", type=float, default=0.8, help="set-covering target (default 0.8)")
    args = parser.parse_args()
    mirror = os.environ.get("GEO_DATA_MIRROR")
    if not mirror:
        print("set GEO_DATA_MIRROR to the shared data folder (e.g. ../shared/data)", file=sys.stderr)
        return 1
    data = Path(mirror)
    cells = geo.read_mesh(data / MESH)
    areas = geo.read_boundaries(data / N03, prefectures=["19"])
    all_stations = geo.read_points(data / STATIONS)
    minx, miny, maxx, maxy = cells.total_bounds
    stations = all_stations.cx[minx - 0.12 : maxx + 0.12, miny - 0.1 : maxy + 0.1]
    print(f"山梨県: {len(cells)} populated 1 km cells, {cells['population'].sum():,.0f} people (2020 census)")
    print(f"stations within ~10 km of them: {len(stations)} N02 features, {stations['group_code'].nunique()} stations")
    coverage(cells, stations, areas)

    merged = stations.drop_duplicates("group_code").copy()
    merged["label"] = merged["station_name"] + "駅"
    print(f"\n== siting among {len(merged)} stations, 1 km (who lives within walking range)")
    siting(merged, cells, name="label", radius=1000.0, k=args.k, target=args.target_share)
    print(f"\n== siting among {len(merged)} stations, 5 km (who lives within a short drive or bus ride)")
    siting(merged, cells, name="label", radius=5000.0, k=args.k, target=args.target_share)

    gaps = geo.find_gaps(cells, {"station": stations}, walk_m={"station": 800})
    candidates = cells[cells["population"] >= 500].copy()
    candidates["geometry"] = mesh_centroids(candidates["mesh_code"]).to_numpy()
    candidates["label"] = "mesh " + candidates["mesh_code"]
    print(
        f"\n== transport-gap cells (beyond 800 m of a station): {len(gaps)} cells, "
        f"{gaps['population'].sum():,.0f} people; candidates: {len(candidates)} cells with >= 500 people, "
        "3 km"
    )
    siting(candidates, gaps, name="label", radius=3000.0, k=args.k, target=args.target_share)
    print(f"\n{CREDIT}")
    return 0


if __name__ == "__main__":
    pd.set_option("display.width", 140)
    sys.exit(main())
