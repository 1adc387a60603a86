"""``geo points`` (place and count a point layer) and ``geo gaps`` (交通空白 per municipality)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import click

from geo import analyses
from geo._inputs import credit_of
from geo.cli.gap_inputs import gap_input_options, read_gap_inputs
from geo.cli.options import area_options, finish, output_options, params_from, params_options
from geo.params import AreaParams, GapsParams, JoinParams
from geo.points import read_points
from geo.store import check_output_folder


@click.command("points")
@click.argument("input_path", metavar="INPUT")
@area_options
@click.option("--lat", default=None, help="Latitude column of a CSV (default: found by name, e.g. 緯度/lat/y).")
@click.option("--lon", default=None, help="Longitude column of a CSV (default: found by name, e.g. 経度/lon/x).")
@click.option("--crs", default=None, help="CRS of the CSV coordinates, e.g. EPSG:6677 for plane rectangular IX metres.")
@click.option("--encoding", default=None, help="CSV encoding (default UTF-8, else CP932).")
@click.option("--name", default="n_points", show_default=True, help="Name of the count column.")
@click.option("--snap-m", type=float, default=1000.0, show_default=True,
              help="Points in no area at all (a simplified coast) within this distance (m) count in the nearest "
              "area; 0: never.")  # fmt: skip
@click.option("--drop-invalid", is_flag=True, help="Leave out rows with bad coordinates (listed) instead of failing.")
@click.option("--population-table", default=None,
              help="Population by municipal code (file or pinned source), joined as `geo join` joins, for the "
              "per-10,000 rate.")  # fmt: skip
@click.option("--population-column", default="population", show_default=True, help="Column of --population-table.")
@click.option("--code-column", default=None, help="Code column of --population-table (default: detected).")
@output_options("outputs/points")
def points_command(input_path: str, areas: str, lat: str | None, lon: str | None, crs: str | None,
                   encoding: str | None, name: str, snap_m: float, drop_invalid: bool, population_table: str | None,
                   population_column: str, code_column: str | None, output: str, credits: tuple[str, ...],
                   **options: object) -> None:  # fmt: skip
    """Read INPUT (CSV lat/lon, GeoJSON, GeoPackage, a GTFS feed or a pinned source name), place each point in
    an area with the border rule every analysis uses, and count them per area.

    \b
    Writes into the output folder (STEM = input file name):
      layers.gpkg, points_STEM.csv           every point inside the areas, with pref_code / muni_code
      points_STEM_per_area.csv               count, per km² per area
      points_STEM_outside.csv                the points outside the selected areas

    \b
    Examples:
      geo points "$GEO_DATA_MIRROR/ksj-n02-2023-railway-stations/stations_points.csv" \\
               --prefecture 山梨県 -o outputs/yamanashi_stations
      geo points "$GEO_DATA_MIRROR/gtfs-jp-nakatsugawa-toyota/nakatsugawa_GTFS.zip" \\
               --municipality 21206 -o outputs/nakatsugawa_stops
    """
    area = params_from(AreaParams, options)
    check_output_folder(output)
    pts = read_points(input_path, lat=lat, lon=lon, crs=crs, encoding=encoding,
                      on_invalid="drop" if drop_invalid else "raise")  # fmt: skip
    selection = analyses.select(areas, area)
    population = None
    if population_table:
        params = JoinParams(columns=(population_column,), code_column=code_column)
        joined = analyses.join(selection, population_table, params, credits=credit_of(population_table))
        click.echo(str(joined.report))
        selection, population = replace(selection, areas=joined.areas), population_column
    result = analyses.points(selection, pts, name=Path(input_path).stem, count_column=name, snap_m=snap_m or None,
                             population=population, credits=(*credit_of(input_path), *credits))  # fmt: skip
    finish(result, output, params=(area,), inputs={"areas": areas, "points": input_path})


@click.command("gaps")
@area_options
@gap_input_options
@params_options(GapsParams)
@output_options("outputs/gaps")
def gaps_command(areas: str, output: str, credits: tuple[str, ...], **options: object) -> None:
    """Find demand beyond walking distance of every station and bus stop (交通空白), per municipality;
    with --gtfs or --definition, usable service per time window and definition.

    Demand is placed with the border rule every analysis uses: a cell in a neighbouring prefecture is outside
    (reported), a cell in no area within --snap-m goes to the nearest area.

    \b
    Writes into the output folder (layers.gpkg, one CSV each, report.json):
      gaps                  gap cells/points with their distances and muni_code
      gaps_by_area          per area: demand and gap population, gap_share_pct, gap cells
    and with timetables: service_cells (served_<definition>_<window>, grade A–F), gap_totals, gaps_by_area
    (per definition and window), definitions.json, and unless --no-maps service_grade.png and
    gaps_<definition>_windows.png / .html.

    \b
    Examples:
      geo gaps --mesh mesh1km-yamanashi --stations stations-n02-2023-points \\
               --prefecture 19 -o outputs/yamanashi_gaps
      geo gaps --grid --stations stations-n02-2023-points --bus-stops gtfs-nakatsugawa \\
               --municipality 21206 -o outputs/nakatsugawa_gaps
      geo gaps --grid --gtfs gtfs-nakatsugawa --stations stations-n02-2023-points --date 2020-11-10 \\
               --definition handbook-urban --definition frequency-30 --municipality 21206 -o outputs/naka_tt
    """
    area, params = params_from(AreaParams, options), params_from(GapsParams, options)
    i = read_gap_inputs(options, params, areas=areas, credits=credits)
    check_output_folder(output)
    selection = analyses.select(areas, area)
    result = analyses.transport_gaps(selection, i.demand, i.supply, params, feeds=i.feeds, population=i.population,
                                     credits=i.credits)  # fmt: skip
    finish(result, output, params=(area, params), inputs=i.record)
