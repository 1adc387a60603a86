"""The demand and supply options of the 交通空白 commands (``geo gaps``, ``geo scenarios``, ``geo remedies``).

The three commands ask questions of one baseline, so they take its inputs with the same options, check them
with the same rules and read them the same way; only what each adds (scenarios, candidate remedies) differs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import click
import geopandas as gpd
import pandas as pd

from geo._inputs import credit_of
from geo.mesh import read_mesh
from geo.params import GapsParams
from geo.points import read_points

OPTION_NAMES = ("mesh_path", "demand_path", "grid", "population_table", "stations", "bus_stops", "gtfs",
                "mesh_level", "mesh_overlaps")  # fmt: skip


def gap_input_options(func: Callable) -> Callable:
    """The demand (``--mesh``/``--demand``/``--grid``, ``--population-table``) and supply (``--stations``,
    ``--bus-stops``, ``--gtfs``) options of the 交通空白 commands."""
    options = [
        click.option("--mesh", "mesh_path", default=None, help="Demand: mesh statistics (CSV or e-Stat tblT*.txt / zip)."),
        click.option("--demand", "demand_path", default=None, help="Demand: any point file (read like geo points)."),
        click.option("--grid", is_flag=True,
                     help="Demand: the 1 km grid of the areas, unweighted or with --population-table spread by area."),
        click.option("--population-table", default=None,
                     help="With --grid: population by municipal code (file or pinned source), spread over the grid."),
        click.option("--stations", multiple=True,
                     help="Railway station points (file or pinned source name); repeatable."),
        click.option("--bus-stops", multiple=True, help="Bus stops (CSV or GTFS feed); repeatable."),
        click.option("--gtfs", multiple=True,
                     help="GTFS/GTFS-JP feed (zip, folder or pinned source name) whose timetables decide usable "
                     "service; repeatable."),
        click.option("--mesh-level", type=click.Choice(["quarter", "100m"]), default=None,
                     help="What 10-digit mesh codes are: quarter (250 m) or 100m cells (asked when ambiguous)."),
        click.option("--mesh-overlaps", type=click.Choice(["raise", "finest"]), default="raise", show_default=True,
                     help="A mesh cell listed with its own children: refuse, or keep the children (finest)."),
    ]  # fmt: skip
    for option in reversed(options):
        func = option(func)
    return func


@dataclass(frozen=True)
class GapInputs:
    """The baseline's inputs as read: ``demand`` (None: the grid), untimed ``supply`` layers by kind, the GTFS
    ``feeds`` and the ``population`` table (as given), the credits found, and the ``record`` for report.json."""

    demand: gpd.GeoDataFrame | None
    supply: dict[str, gpd.GeoDataFrame]
    feeds: tuple[str, ...]
    population: str | None
    credits: tuple[str, ...]
    record: dict[str, Any] = field(default_factory=dict)


def read_gap_inputs(options: dict[str, Any], params: GapsParams, *, areas: str, credits: tuple[str, ...] = (),
                    extra: tuple[str | None, ...] = (), timetable: bool = False) -> GapInputs:  # fmt: skip
    """Pop the options of :func:`gap_input_options` from a command's keywords, check them and read the inputs.

    ``extra`` are the command's further input files (their credits are kept); ``timetable`` requires GTFS or
    a definition (questions only timetables answer).

    Raises
    ------
    click.UsageError
        Not exactly one demand, --population-table without --grid, --date/--window without timetables, no
        supply at all.
    """
    o = {name: options.pop(name) for name in OPTION_NAMES}
    timed = bool(params.timetable or o["gtfs"])
    if sum(bool(o[x]) for x in ("mesh_path", "demand_path", "grid")) != 1:
        raise click.UsageError("give exactly one of --mesh, --demand or --grid")
    if o["population_table"] and not o["grid"]:
        raise click.UsageError("--population-table goes with --grid (the population spread over the grid)")
    if timetable and not timed:
        raise click.UsageError("give --gtfs feeds (or --definition): this question is about timetables")
    if not timed and (params.date or params.windows):
        raise click.UsageError("--date and --window need --gtfs or --definition")
    if not timed and not o["stations"] and not o["bus_stops"]:
        raise click.UsageError("give at least one --stations or --bus-stops file")
    if o["mesh_path"]:
        demand = read_mesh(o["mesh_path"], level=o["mesh_level"], overlaps=o["mesh_overlaps"])
    else:
        demand = read_points(o["demand_path"]) if o["demand_path"] else None
    supply = {}
    for kind, paths in (("station", o["stations"]), ("bus", o["bus_stops"])):
        if paths:
            supply[kind] = pd.concat([read_points(p) for p in paths], ignore_index=True)
    demand_name = o["mesh_path"] or o["demand_path"] or o["population_table"]
    files = [areas, demand_name, *o["stations"], *o["bus_stops"], *o["gtfs"], *extra]
    found = (*(c for value in files if value for c in credit_of(value)), *credits)
    record = {"areas": areas, "demand": demand_name or "grid", "stations": list(o["stations"]),
              "bus_stops": list(o["bus_stops"]), "gtfs": list(o["gtfs"])}  # fmt: skip
    return GapInputs(demand, supply, tuple(o["gtfs"]), o["population_table"], found, record)
