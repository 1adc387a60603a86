"""``geo scenarios``: 交通空白 for the baseline and named scenarios, through the same analysis as ``[[scenarios]]``."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import click

from geo import analyses
from geo.cli.gap_inputs import gap_input_options, read_gap_inputs
from geo.cli.options import area_options, finish, output_options, params_from, params_options
from geo.config import load_scenarios
from geo.params import AreaParams, GapsParams
from geo.store import check_output_folder


@click.command("scenarios")
@click.option("--scenarios", "scenarios_file", required=True, type=click.Path(dir_okay=False),
              help="TOML file of [[scenarios]] tables (name, remove_routes, remove_stops, add_zones, add_stops, "
              "demand_scale, projection, projection_year …: the keys of a run config); paths relative to it.")  # fmt: skip
@area_options
@gap_input_options
@params_options(GapsParams)
@output_options("outputs/scenarios")
def scenarios_command(scenarios_file: str, areas: str, output: str, credits: tuple[str, ...],
                      **options: object) -> None:  # fmt: skip
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
    scenarios = load_scenarios(scenarios_file)
    projections = tuple(s.projection for s in scenarios if s.projection)
    i = read_gap_inputs(options, params, areas=areas, credits=credits, extra=projections)
    check_output_folder(output)
    selection = analyses.select(areas, area)
    zones = {s.name: s.add_zones for s in scenarios if s.add_zones}
    added = {s.name: s.add_stops for s in scenarios if s.add_stops}
    result = analyses.scenarios(selection, i.demand, params, scenarios, feeds=i.feeds, stops=i.supply, zones=zones,
                                added_stops=added, population=i.population, credits=i.credits)  # fmt: skip
    record = {**i.record, "scenarios": str(Path(scenarios_file)),
              "scenario_params": [dataclasses.asdict(s) for s in scenarios]}  # fmt: skip
    finish(result, output, params=(area, params), inputs=record)
