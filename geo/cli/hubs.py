"""``geo hubs``: catchment rings, coverage of demand, siting and access of service-hub candidates."""

from __future__ import annotations

from pathlib import Path

import click
import pyogrio

from geo import analyses
from geo._inputs import credit_of
from geo.cli.options import area_options, finish, output_options, params_from, params_options
from geo.crs import assume_lonlat_crs, frame_to_jgd2011, require_crs
from geo.mesh import read_mesh
from geo.params import AreaParams, HubsParams
from geo.points import read_points
from geo.store import check_output_folder

_VECTOR = {".gpkg", ".geojson", ".json", ".shp", ".fgb"}


def read_demand(path: str):  # type: ignore[no-untyped-def]
    """Demand from a vector file of points or cells (GeoPackage, GeoJSON …), else a CSV of points."""
    if Path(path).suffix.lower() in _VECTOR:
        if not Path(path).exists():
            raise FileNotFoundError(f"{path}: no such demand file")
        frame = pyogrio.read_dataframe(path)
        frame, _ = assume_lonlat_crs(frame, source=path)  # no CRS: lon/lat-looking only, with a notice
        require_crs(frame, f"demand file {path}")
        return frame_to_jgd2011(frame)[0]  # the datum-aware path (Tokyo datum, JGD2000, WGS 84)
    return read_points(path)


@click.command("hubs")
@click.argument("candidates")
@area_options
@click.option("--demand", "demand_path", help="Demand points/cells (CSV lat/lon, GeoPackage, GeoJSON).")
@click.option("--mesh", "mesh_path", help="Demand as a mesh statistics table (e-Stat / CSV with mesh codes).")
@click.option("--grid", is_flag=True,
              help="Demand: --population-table spread over the 1 km grid of the selected municipalities.")  # fmt: skip
@click.option("--population-table", default=None,
              help="With --grid: municipal population table (file or pinned source, muni codes).")  # fmt: skip
@click.option("--proxy-table", default=None,
              help="With --grid: a mesh table whose --proxy-column guides the spreading instead of area.")  # fmt: skip
@click.option("--mesh-level", type=click.Choice(["quarter", "100m"]), default=None,
              help="What 10-digit mesh codes are: quarter (250 m) or 100m cells (asked when ambiguous).")  # fmt: skip
@click.option("--mesh-overlaps", type=click.Choice(["raise", "finest"]), default="raise", show_default=True,
              help="A mesh cell listed with its own children: refuse, or keep the children (finest).")  # fmt: skip
@click.option(
    "--cost-matrix", type=click.Path(exists=True, dir_okay=False), default=None,
    help="Origin-destination CSV (origin id, destination id, cost): replaces straight-line metres; --radius is "
    "then in the cost's unit.",
)  # fmt: skip
@params_options(HubsParams)
@output_options("outputs/hubs")
def hubs_command(candidates: str, areas: str, demand_path: str | None, mesh_path: str | None, grid: bool,
                 population_table: str | None, proxy_table: str | None, mesh_level: str | None, mesh_overlaps: str,
                 cost_matrix: str | None, output: str,
                 credits: tuple[str, ...], **options: object) -> None:  # fmt: skip
    """Rings and demand coverage of service-hub CANDIDATES (地域くらしサービス拠点), optionally siting and access.

    Candidates and demand are placed in the selected areas (--areas, --prefecture, --municipality) with the
    border rule every analysis uses, so coverage divides by the same population as `geo gaps`.

    \b
    Writes into the output folder (layers.gpkg, one CSV each, report.json):
      hubs, buffers, buffers_union   candidates with covered/exclusive/shared demand per radius; rings
      coverage, coverage_per_hub, coverage_per_area   one row per radius / per hub and radius / area and radius
      uncovered_<R>m                 demand rows no candidate reaches
      chosen_hubs, chosen_buffers, siting   with --choose/--target-share
      access, access_<measure>_per_area     with --access

    \b
    Demand without a mesh: --grid --population-table census2020-wards spreads each municipality's population
    over its 1 km grid cells by area (every output names the method). --method p_median / p_center with
    --choose K; --fixed NAME keeps existing sites (K more are chosen); --capacity COLUMN caps what each serves.

    \b
    Example:
      geo hubs stations-n02-2023-points --mesh mesh1km-yamanashi --prefecture 山梨県 \\
               --radius 1000 --radius 5000 --choose 3 --method exact -o outputs/yamanashi_hubs
    """
    area, params = params_from(AreaParams, options), params_from(HubsParams, options)
    if (demand_path is not None) + (mesh_path is not None) + grid != 1:
        raise click.UsageError("give exactly one of --demand, --mesh and --grid (with --population-table)")
    if grid != (population_table is not None):
        raise click.UsageError("--grid and --population-table go together")
    if (proxy_table is None) != (params.proxy_column is None):
        raise click.UsageError("--proxy-table and --proxy-column go together (with --grid)")
    check_output_folder(output)
    selection = analyses.select(areas, area)
    hubs = read_points(candidates)
    demand = None
    if mesh_path:
        demand = read_mesh(mesh_path, level=mesh_level, overlaps=mesh_overlaps)  # type: ignore[arg-type]
    elif demand_path:
        demand = read_demand(demand_path)
    inputs = (areas, candidates, demand_path or mesh_path, population_table, proxy_table, cost_matrix)
    found = (*(c for value in inputs for c in credit_of(value)), *credits)
    result = analyses.hubs(selection, hubs, demand, params, population=population_table, proxy=proxy_table,
                           cost=cost_matrix, credits=found)  # fmt: skip
    record = {"areas": areas, "candidates": candidates, "demand": demand_path or mesh_path or "grid",
              "population_table": population_table, "proxy_table": proxy_table, "cost_matrix": cost_matrix}  # fmt: skip
    finish(result, output, params=(area, params), inputs=record)
