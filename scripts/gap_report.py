"""Transport-gap (交通空白) figures for 山梨県 (census mesh + stations) and 中津川市 (GTFS stops + stations).

Run:  GEO_DATA_MIRROR=../shared/data python scripts/gap_report.py [--walk-station 800] [--walk-bus 300]

Data (read through GEO_DATA_MIRROR; see each folder's SOURCE.md for credits):
  estat-mesh1km-census-yamanashi     2020 census population per 1 km mesh, Yamanashi (e-Stat)
  ksj-n02-2023-railway-stations      N02-23 railway stations (国土数値情報), as points
  gtfs-jp-nakatsugawa-toyota         中津川市 GTFS-JP feed (2020-10-01 timetable)
  japan-topography-n03-2021          N03-21 municipal boundaries (1 % simplification)

中津川市 lies entirely in 1st-level mesh 5337, and no population mesh for 5337 is in the shared data (only
Yamanashi and 5238/5338/5339). So its demand is the honest substitute: every 1 km mesh cell whose centre lies in
the city, unweighted — the figures are gap CELLS and the share of cells, not population. Pass
``--nakatsugawa-mesh tblT001100S5337.txt`` (e-Stat, 3次メッシュ 人口及び世帯, 1st mesh 5337) to get population.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo import analyses
from geo.mesh import mesh_codes_covering, read_mesh
from geo.points import read_points

N03 = "japan-topography-n03-2021/topojson/s0010/N03-21_210101.json"
STATIONS = "ksj-n02-2023-railway-stations/stations_points.csv"
YAMANASHI_MESH = "estat-mesh1km-census-yamanashi/yamanashi_mesh1km_2020.csv"
NAKATSUGAWA_GTFS = "gtfs-jp-nakatsugawa-toyota/nakatsugawa_GTFS.zip"
SHARED_MESH_FILES = (
    YAMANASHI_MESH,
    "estat-mesh1km-census-first-mesh-5238-5338-5339/mesh1km_2020_first_mesh_5238_5338_5339.csv",
)


def yamanashi(data: Path, stations: gpd.GeoDataFrame, walk_station: float) -> pd.DataFrame:
    """Gap cells and per-municipality gap population of 山梨県 (walking distance to a railway station only)."""
    selection = analyses.select(data / N03, prefectures=["19"])
    cells = read_mesh(data / YAMANASHI_MESH)
    result = analyses.gaps(selection, cells, {"station": stations}, station_m=walk_station)
    info = result.report.figures
    print(f"== 山梨県: 1 km census mesh 2020 (population) vs railway stations within {walk_station:g} m")
    print(f"   metric CRS {info['crs_name']}; demand {info['demand_rows']} cells, {info['demand_weight']:,.0f} people")
    print(f"   gap cells {info['gap_rows']}, gap population {info['gap_weight']:,.0f} ({info['gap_share_pct']:.1f}%)")
    for note in result.report.notes:  # the one border rule (geo.place): cells outside are reported
        print(f"   {note}")
    _print_table(result.by_area, population=True)
    return result.by_area


def nakatsugawa(data: Path, stations: gpd.GeoDataFrame, walk: dict[str, float], mesh: Path | None) -> pd.DataFrame:
    """Gap cells of 中津川市 (bus stops from its GTFS-JP feed and railway stations)."""
    selection = analyses.select(data / N03, prefectures=["21"], municipalities=["21206"])
    codes = mesh_codes_covering(selection.areas.geometry.iloc[0])
    first = sorted({c[:4] for c in codes})
    if mesh is not None:
        demand = read_mesh(mesh)
        demand = demand[demand["mesh_code"].isin(codes)]
        what = f"census mesh {mesh.name} (population)"
    else:
        covered = set()
        for name in SHARED_MESH_FILES:
            covered |= {c[:4] for c in pd.read_csv(data / name, usecols=["mesh_code"], dtype=str)["mesh_code"]}
        print(f"== 中津川市: its 1 km cells lie in 1st-level mesh {', '.join(first)}; the shared mesh data covers "
              f"{', '.join(sorted(covered))} only → no population, demand = unweighted cells")  # fmt: skip
        demand = None  # the one grid builder (geo.grid_demand): whole cells centred in the city, each counting 1
        what = "every 1 km mesh cell centred in the city (unweighted: cells, not people)"
    bus = read_points(data / NAKATSUGAWA_GTFS)
    result = analyses.gaps(selection, demand, {"station": stations, "bus": bus}, station_m=walk["station"],
                           bus_m=walk["bus"])  # fmt: skip
    info = result.report.figures
    print(f"   demand: {what}; supply: {len(bus)} GTFS stops (≤ {walk['bus']:g} m), stations (≤ {walk['station']:g} m)")
    print(f"   metric CRS {info['crs_name']}; demand {info['demand_rows']} cells")
    print(f"   gap cells {info['gap_rows']} of {info['demand_rows']} ({info['gap_share_pct']:.1f}%"
          f" of {'population' if info['weight_column'] else 'cells'})")  # fmt: skip
    _print_table(result.by_area, population=info["weight_column"] is not None)
    return result.by_area


def _print_table(table: pd.DataFrame, *, population: bool) -> None:
    columns = ["muni_code", "muni_name", "demand_cells", "gap_cells"]
    if population:
        columns[2:2] = ["demand_population", "gap_population", "gap_share_pct"]
    else:
        columns.append("gap_share_pct")
    shown = table[columns].copy()
    for c in ("demand_population", "gap_population"):
        if c in shown:
            shown[c] = shown[c].map(lambda v: f"{v:,.0f}")
    shown["gap_share_pct"] = shown["gap_share_pct"].map(lambda v: "" if pd.isna(v) else f"{v:.1f}%")
    print(shown.to_string(index=False))
    if population:
        print(
            f"   total gap population {table['gap_population'].sum():,.0f} of {table['demand_population'].sum():,.0f}"
        )
    print()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--walk-station", type=float, default=800.0, help="metres to a railway station (800)")
    parser.add_argument("--walk-bus", type=float, default=300.0, help="metres to a bus stop (300)")
    parser.add_argument("--nakatsugawa-mesh", type=Path, default=None, help="e-Stat 1 km mesh file for 5337")
    args = parser.parse_args(argv)
    mirror = os.environ.get("GEO_DATA_MIRROR")
    if not mirror:
        print("set GEO_DATA_MIRROR to the folder holding the shared data (e.g. ../shared/data)", file=sys.stderr)
        return 1
    data = Path(mirror)
    stations = read_points(data / STATIONS)
    yamanashi(data, stations, args.walk_station)
    nakatsugawa(data, stations, {"station": args.walk_station, "bus": args.walk_bus}, args.nakatsugawa_mesh)
    return 0


if __name__ == "__main__":
    sys.exit(main())
