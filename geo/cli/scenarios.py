"""``geo scenarios``: 交通空白 for the baseline and named scenarios, through the same analysis as ``[[scenarios]]``."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import click
import pandas as pd

from geo import analyses
from geo._inputs import credit_of
from geo.cli.options import area_options, finish, output_options, params_from, params_options
from geo.config import load_scenarios
from geo.mesh import read_mesh
from geo.params import AreaParams, GapsParams
from geo.points import read_points
from geo.store import check_output_folder


@click.command("scenarios")
@click.option("--scenarios", "scenarios_file", required=True, type=click.Path(dir_okay=False),
              help="TOML file of [[scenarios]] tables (name, remove_routes, remove_stops, add_zones, add_stops, "
              "demand_scale, projection, projection_year …: the keys of a run config); paths relative to it.")  # fmt: skip
@area_options
@click.option("--mesh", "mesh_path", default=None, help="Demand: mesh statistics (CSV or e-Stat tblT*.txt / zip).")
@click.option("--demand", "demand_path", default=None, help="Demand: any point file (read like geo points).")
@click.option("--grid", is_flag=True,
              help="Demand: the 1 km grid of the areas, unweighted or with --population-table spread by area.")  # fmt: skip
@click.option("--population-table", default=None,
              help="With --grid: population by municipal code (file or pinned source), spread over the grid.")  # fmt: skip
@click.option("--stations", multiple=True, help="Railway station points (file or pinned source name); repeatable.")
@click.option("--bus-stops", multiple=True, help="Bus stops (CSV or GTFS feed); repeatable.")
@click.option("--gtfs", multiple=True,
              help="GTFS/GTFS-JP feed (zip, folder or pinned source name) whose timetables decide usable service; "
              "repeatable.")  # fmt: skip
@click.option("--mesh-level", type=click.Choice(["quarter", "100m"]), default=None,
              help="What 10-digit mesh codes are: quarter (250 m) or 100m cells (asked when ambiguous).")  # fmt: skip
@click.option("--mesh-overlaps", type=click.Choice(["raise", "finest"]), default="raise", show_default=True,
              help="A mesh cell listed with its own children: refuse, or keep the children (finest).")  # fmt: skip
@params_options(GapsParams)
@output_options("outputs/scenarios")
def scenarios_command(scenarios_file: str, areas: str, mesh_path: str | None, demand_path: str | None, grid: bool,
                      population_table: str | None, stations: tuple[str, ...], bus_stops: tuple[str, ...],
                      gtfs: tuple[str, ...], mesh_level: str | None, mesh_overlaps: str, output: str,
                      credits: tuple[str, ...], **options: object) -> None:  # fmt: skip
    """交通空白 for the baseline and each scenario of a --scenarios file, by timetable and by walking distance, per
    municipality (scenarios.csv: scenario, muni_code, definition, window, gap_pop, gap_pop_baseline, delta).

    The baseline is the question `geo gaps` asks with the same options; each scenario changes its supply (routes
    and stops removed, on-demand zones and new stops added) or its demand (a factor or a population projection)
    and is judged on the same demand, definitions, windows and service day. Walking-distance rows have
    definition "distance" and window "all-day".

    \b
    Writes into the output folder (layers.gpkg, one CSV each, report.json):
      scenarios             per scenario, area, definition and window: the gap and its change
    and unless --no-maps, with two or more areas, scenario_delta_<n>_<window>.png: one map of the change per
    scenario and window, all with one shared classification.

    \b
    Examples:
      geo scenarios --scenarios scripts/nakatsugawa_scenario_list.toml --grid --population-table ssdse-a \\
               --population-column pop_2020 --gtfs gtfs-nakatsugawa --stations stations-n02-2023-points \\
               --date 2020-11-10 --definition handbook-rural --municipality 21206 -o outputs/naka_scenarios
      geo scenarios --scenarios scripts/yamanashi_scenarios.toml --mesh mesh1km-yamanashi \\
               --stations stations-n02-2023-points --prefecture 山梨県 --weight pop_2020 -o outputs/yamanashi_sc
    """
    area, params = params_from(AreaParams, options), params_from(GapsParams, options)
    if sum(bool(x) for x in (mesh_path, demand_path, grid)) != 1:
        raise click.UsageError("give exactly one of --mesh, --demand or --grid")
    if population_table and not grid:
        raise click.UsageError("--population-table goes with --grid (the population spread over the grid)")
    if not (params.timetable or gtfs) and (params.date or params.windows):
        raise click.UsageError("--date and --window need --gtfs or --definition")
    if not (params.timetable or gtfs) and not stations and not bus_stops:
        raise click.UsageError("give at least one --stations or --bus-stops file")
    scenarios = load_scenarios(scenarios_file)
    check_output_folder(output)
    selection = analyses.select(areas, area)
    if mesh_path:
        demand = read_mesh(mesh_path, level=mesh_level, overlaps=mesh_overlaps)  # type: ignore[arg-type]
    else:
        demand = read_points(demand_path) if demand_path else None
    supply = {}
    if stations:
        supply["station"] = pd.concat([read_points(p) for p in stations], ignore_index=True)
    if bus_stops:
        supply["bus"] = pd.concat([read_points(p) for p in bus_stops], ignore_index=True)
    zones = {s.name: s.add_zones for s in scenarios if s.add_zones}
    added = {s.name: s.add_stops for s in scenarios if s.add_stops}
    projections = [s.projection for s in scenarios if s.projection]
    inputs = [areas, mesh_path or demand_path or population_table, *stations, *bus_stops, *gtfs, *projections]
    found = (*(c for value in inputs for c in credit_of(value)), *credits)
    result = analyses.scenarios(selection, demand, params, scenarios, feeds=gtfs, stops=supply, zones=zones,
                                added_stops=added, population=population_table, credits=found)  # fmt: skip
    record = {"areas": areas, "demand": mesh_path or demand_path or population_table or "grid",
              "stations": list(stations), "bus_stops": list(bus_stops), "gtfs": list(gtfs),
              "scenarios": str(Path(scenarios_file))}  # fmt: skip
    record["scenario_params"] = [dataclasses.asdict(s) for s in scenarios]
    finish(result, output, params=(area, params), inputs=record)
