"""``geo points`` (assign and count point layers) and ``geo gaps`` (transport-gap cells per municipality)."""

from __future__ import annotations

from pathlib import Path

import click

from geo.steps import DEMAND_SNAP_M


def _areas_options(func):  # the boundary options both commands share
    func = click.option(
        "--municipality",
        "municipalities",
        multiple=True,
        help="Keep only this municipality code; repeatable.",
    )(func)
    func = click.option(
        "--prefecture",
        "prefectures",
        multiple=True,
        help="Keep only this prefecture (code or name); repeatable.",
    )(func)
    func = click.option(
        "--level", type=click.Choice(["municipality", "designated_city", "prefecture"]), default="municipality",
        show_default=True,
    )(func)  # fmt: skip
    func = click.option(
        "--areas",
        required=True,
        help="Boundaries: an N03 file/folder or a pinned source name (geo sources list).",
    )(func)
    return click.option(
        "-o", "--output-dir", type=click.Path(file_okay=False), default="outputs", show_default=True,
        help="Folder for the GeoPackage and CSV outputs.",
    )(func)  # fmt: skip


def _credit_option(func):  # a user file's credit line, shown on every map made from the outputs
    return click.option(
        "--credit", "credits", multiple=True,
        help="Credit line of a user input file (e.g. 「○○市 バス停データ」); repeatable. Pinned sources carry their own.",
    )(func)  # fmt: skip


def _select(areas: str, level: str, prefectures: tuple[str, ...], municipalities: tuple[str, ...]):
    from geo.steps import select_areas

    return select_areas(areas, level=level, prefectures=prefectures, municipalities=municipalities)


def _join_population(areas, table_path: str, column: str, code_column: str | None):
    """Join a population column by code with the same join (and report) as ``geo join``."""
    from geo._errors import ValidationError
    from geo.indicators import join_indicators, read_indicators

    table = read_indicators(table_path, code_column=code_column)
    if column not in table.columns:
        raise ValidationError(
            f"--population-column {column!r} is not a column of the table; columns: {list(table.columns)[:20]}",
            source=table_path,
        )
    key = "muni_code" if "muni_code" in table.columns else "pref_code"
    joined, report = join_indicators(areas, table[[key, column]])
    return joined.rename(columns={column: "population"}), report


@click.command("points")
@click.argument("input_path", metavar="INPUT", type=click.Path(exists=True))
@_areas_options
@click.option("--lat", default=None, help="Latitude column of a CSV (default: found by name, e.g. 緯度/lat/y).")
@click.option("--lon", default=None, help="Longitude column of a CSV (default: found by name, e.g. 経度/lon/x).")
@click.option("--crs", default=None, help="CRS of the CSV coordinates, e.g. EPSG:6677 for plane rectangular IX metres.")
@click.option("--encoding", default=None, help="CSV encoding (default UTF-8, else CP932).")
@click.option("--name", default="n_points", show_default=True, help="Name of the count column.")
@click.option(
    "--population-table",
    default=None,
    type=click.Path(exists=True),
    help="CSV with population by municipal code (for per-10,000 rates).",
)
@click.option("--population-column", default="population", show_default=True)
@click.option(
    "--code-column",
    default=None,
    help="Code column of the population table (default: muni_code/code/地域コード).",
)
@click.option("--drop-invalid", is_flag=True, help="Leave out rows with bad coordinates (listed) instead of failing.")
def points_command(
    input_path: str, output_dir: str, areas: str, level: str, prefectures: tuple[str, ...],
    municipalities: tuple[str, ...], lat: str | None, lon: str | None, crs: str | None, encoding: str | None,
    name: str, population_table: str | None, population_column: str, code_column: str | None, drop_invalid: bool,
) -> None:  # fmt: skip
    """Read INPUT (CSV lat/lon, GeoJSON, GeoPackage or a GTFS feed), assign each point to an area, count.

    \b
    Writes into the output folder (STEM = input file name):
      STEM_points.gpkg / .csv   every point with pref_code / muni_code (empty outside every area)
      STEM_per_area.gpkg / .csv count, per km² and (with --population-table) per 10,000 people
      STEM_outside.csv          the points that fall in no area

    \b
    Examples:
      geo points "$GEO_DATA_MIRROR/ksj-n02-2023-railway-stations/stations_points.csv" \\
               --areas n03-2021-s0010 --prefecture 山梨県
      geo points "$GEO_DATA_MIRROR/gtfs-jp-nakatsugawa-toyota/nakatsugawa_GTFS.zip" \\
               --areas n03-2021-s0010 --municipality 21206
    """
    from geo.points import assign_points, count_points, read_points, write_table

    pts = read_points(input_path, lat=lat, lon=lon, crs=crs, encoding=encoding,
                      on_invalid="drop" if drop_invalid else "raise")  # fmt: skip
    frame = _select(areas, level, prefectures, municipalities).areas
    report = None
    if population_table:
        frame, report = _join_population(frame, population_table, population_column, code_column)
    assigned = assign_points(pts, frame)
    counts = count_points(pts, frame, name=name)
    key = "muni_code" if "muni_code" in assigned.columns else "pref_code"
    outside = assigned[assigned[key].isna()]
    stem = Path(input_path).stem
    out = Path(output_dir)
    written = [
        write_table(assigned, out / f"{stem}_points.gpkg"),
        write_table(assigned, out / f"{stem}_points.csv"),
        write_table(counts, out / f"{stem}_per_area.gpkg"),
        write_table(counts, out / f"{stem}_per_area.csv"),
        write_table(outside, out / f"{stem}_outside.csv"),
    ]
    dropped = pts.attrs["points"].get("dropped", [])
    click.echo(
        f"{len(pts)} points read from {input_path}" + (f" ({len(dropped)} problems, rows left out)" if dropped else "")
    )
    click.echo(f"{len(assigned) - len(outside)} in {len(frame)} areas, {len(outside)} in no area")
    if report is not None:
        click.echo(f"population table: {report}")
    for path in written:
        click.echo(f"wrote {path}")


@click.command("gaps")
@_areas_options
@click.option(
    "--mesh",
    "mesh_path",
    default=None,
    help="Demand: mesh statistics (CSV or e-Stat tblT*.txt / zip).",
)
@click.option(
    "--demand",
    "demand_path",
    default=None,
    help="Demand: any point file (read like geo points).",
)
@click.option(
    "--grid",
    is_flag=True,
    help="Demand: unweighted 1 km mesh cells covering the areas (when no statistics exist).",
)
@click.option(
    "--weight",
    default=None,
    help="Demand weight column (default: population / pop_2020 / 人口; else counts).",
)
@click.option("--stations", multiple=True, help="Railway station points (file or pinned source name); repeatable.")
@click.option(
    "--bus-stops",
    multiple=True,
    help="Bus stops (CSV or GTFS feed); repeatable.",
)
@click.option("--station-m", type=float, default=800.0, show_default=True, help="Walking distance to a station (m).")
@click.option("--bus-m", type=float, default=300.0, show_default=True, help="Walking distance to a bus stop (m).")
@click.option(
    "--snap-m",
    type=float,
    default=DEMAND_SNAP_M,
    show_default=True,
    help="Demand in no area at all (simplified coast) within this distance (m) counts in the nearest area; 0: never.",
)
@click.option("--prefix", default="gaps", show_default=True, help="Output file name prefix.")
@click.option(
    "--gtfs", multiple=True,
    help="GTFS/GTFS-JP feed (zip, folder or pinned source name) whose timetables decide usable service; repeatable.",
)  # fmt: skip
@click.option("--date", "service_date", default=None, help="Service date (2020-11-10) or day type 平日/土曜/日祝.")
@click.option(
    "--definition", "definitions", multiple=True,
    help="交通空白 definition: a name (geo.list_gap_definitions()) or a .toml file; repeatable (side by side).",
)  # fmt: skip
@click.option("--window", "windows", multiple=True, help="Time window HH-HH overriding the definitions'; repeatable.")
@click.option(
    "--spread-population", default=None,
    help="With --grid: table of population by municipal code, spread over the grid cells by area.",
)  # fmt: skip
@click.option("--population-column", default="population", show_default=True, help="Column of --spread-population.")
@click.option("--maps/--no-maps", default=True, show_default=True, help="Write the grade map and window maps.")
@click.option("--mesh-level", type=click.Choice(["quarter", "100m"]), default=None,
              help="What 10-digit mesh codes are: quarter (250 m) or 100m cells (asked when ambiguous).")  # fmt: skip
@click.option("--mesh-overlaps", type=click.Choice(["raise", "finest"]), default="raise", show_default=True,
              help="A mesh cell listed with its own children: refuse, or keep the children (finest).")  # fmt: skip
@_credit_option
def gaps_command(
    output_dir: str, areas: str, level: str, prefectures: tuple[str, ...], municipalities: tuple[str, ...],
    mesh_path: str | None, demand_path: str | None, grid: bool, weight: str | None, stations: tuple[str, ...],
    bus_stops: tuple[str, ...], station_m: float, bus_m: float, snap_m: float, prefix: str, credits: tuple[str, ...],
    gtfs: tuple[str, ...] = (), service_date: str | None = None, definitions: tuple[str, ...] = (),
    windows: tuple[str, ...] = (), spread_population: str | None = None, population_column: str = "population",
    maps: bool = True,
    mesh_level: str | None = None, mesh_overlaps: str = "raise",
) -> None:  # fmt: skip
    """Find demand beyond walking distance of every station and bus stop (交通空白), per municipality.

    Demand is placed with the same border rule as `geo run` and geo.steps.gaps: a cell in a neighbouring
    prefecture is outside (reported), a cell in no area within --snap-m goes to the nearest area.

    \b
    Writes into the output folder:
      PREFIX.gpkg           layers `gaps` (gap cells/points, distances, muni_code) and `areas`
                            (per area: demand and gap population, gap_share_pct, gap cells), with
                            titles, units and credits for `geo map PREFIX.gpkg --layer …`
      PREFIX_cells.csv      the gap cells as a table
      PREFIX_by_area.csv    the per-area table

    \b
    Examples:
      geo gaps --mesh mesh1km-yamanashi --stations stations-n02-2023-points \\
               --areas n03-2021-s0010 --prefecture 19 -o outputs/yamanashi
      geo gaps --grid --stations stations-n02-2023-points --bus-stops gtfs-nakatsugawa \\
               --areas n03-2021-s0010 --municipality 21206 -o outputs/nakatsugawa

    \b
    With timetables (--gtfs and/or --definition), cells are judged per time window and definition:
      PREFIX_cells.gpkg / .csv     every cell: served_<definition>_<window>, grade A–F, grade_<window>
      PREFIX_totals.csv            gap population (or cells) per definition and window
      PREFIX_by_area.csv           the same per municipality
      PREFIX_definitions.json      each definition with its source, the service date, the grade table
      PREFIX_grade.png, PREFIX_<definition>_windows.png / .html   maps (unless --no-maps)
      geo gaps --grid --gtfs gtfs-nakatsugawa --stations stations-n02-2023-points --date 2020-11-10 \\
               --definition handbook-urban --definition frequency-30 --areas n03-2021-s0010 \\
               --municipality 21206
    """
    import geopandas as gpd
    import pandas as pd

    from geo import steps
    from geo._errors import ValidationError
    from geo._inputs import credit_of
    from geo.mesh import mesh_codes_covering, mesh_polygons, read_mesh
    from geo.points import read_points
    from geo.store import check_output_dir, write_csv, write_layers

    if sum(bool(x) for x in (mesh_path, demand_path, grid)) != 1:
        raise click.UsageError("give exactly one of --mesh, --demand or --grid")
    if gtfs or definitions:
        _timetable_gaps(
            output_dir=output_dir, selection=_select(areas, level, prefectures, municipalities), snap_m=snap_m,
            mesh_path=mesh_path,
            demand_path=demand_path, weight=weight, stations=stations, bus_stops=bus_stops, prefix=prefix, gtfs=gtfs,
            service_date=service_date, definitions=definitions or ("plateau-toshi-kozo",), windows=windows,
            spread_population=spread_population, population_column=population_column, maps=maps,
            credits=credits, mesh_level=mesh_level, mesh_overlaps=mesh_overlaps,
        )  # fmt: skip
        return
    if service_date or windows or spread_population:
        raise click.UsageError("--date, --window and --spread-population need --gtfs or --definition")
    if not stations and not bus_stops:
        raise click.UsageError("give at least one --stations or --bus-stops file")
    out = Path(output_dir)
    check_output_dir(out)
    selection = _select(areas, level, prefectures, municipalities)
    frame = selection.areas
    if mesh_path:
        demand = read_mesh(mesh_path, population=weight, level=mesh_level, overlaps=mesh_overlaps)  # type: ignore[arg-type]
    elif demand_path:
        demand = read_points(demand_path)
    else:
        codes = sorted({c for g in frame.geometry for c in mesh_codes_covering(g)})
        if not codes:
            raise ValidationError("no 1 km mesh cell has its centre inside the selected areas")
        demand = gpd.GeoDataFrame({"mesh_code": codes}, geometry=mesh_polygons(codes).to_numpy(), crs=frame.crs)
    supply = {}
    if stations:
        supply["station"] = pd.concat([read_points(p) for p in stations], ignore_index=True)
    if bus_stops:
        supply["bus"] = pd.concat([read_points(p) for p in bus_stops], ignore_index=True)
    walk = {"station": station_m, "bus": bus_m}
    result = steps.gaps(selection, demand, supply, walk_m={k: walk[k] for k in supply}, weight=weight, snap_m=snap_m)
    inputs = [areas, mesh_path or demand_path, *stations, *bus_stops]
    found = [c for value in inputs for c in credit_of(value)] + list(credits)
    info = gap_layer_info(result, credits=tuple(dict.fromkeys(found)))
    gpkg = out / f"{prefix}.gpkg"
    written = [
        write_layers({"gaps": result.cells, "areas": result.by_area}, gpkg, overwrite=True, info=info),
        write_csv(result.cells, out / f"{prefix}_cells.csv"),
        write_csv(result.by_area, out / f"{prefix}_by_area.csv"),
    ]
    figures = result.report.figures
    unit = figures["weight_column"] or "cells (unweighted)"
    click.echo(f"walking distances {figures['walk_m']} measured in {figures['crs_name']}")
    click.echo(
        f"gaps: {figures['gap_rows']} of {figures['demand_rows']} demand rows; {unit}: "
        f"{figures['gap_weight']:,.0f} of {figures['demand_weight']:,.0f} ({figures['gap_share_pct']:.1f}%)"
    )
    for note in result.report.notes:
        click.echo(note)
    for path in written:
        click.echo(f"wrote {path}")


def gap_layer_info(result, *, credits: tuple[str, ...]):  # type: ignore[no-untyped-def]
    """Titles, units and credits of the two layers a gap analysis writes (see geo.store.LayerInfo)."""
    from geo.store import LayerInfo

    figures = result.report.figures
    walk = ", ".join(f"{k} {v:g} m" for k, v in (figures["walk_m"] or {}).items())
    weight = figures["weight_column"]
    units = {"demand_population": "人", "gap_population": "人", "gap_share_pct": "%", "dist_m": "m"}
    titles = {"demand_population": "人口", "gap_population": "交通空白人口", "gap_share_pct": "交通空白人口の割合",
              "gap_cells": "交通空白セル数", "dist_m": "最寄りの駅・停留所までの距離"}  # fmt: skip
    if weight:
        units[weight], titles[weight] = "人", "人口"
    return {
        "gaps": LayerInfo(f"交通空白（{walk}）", credits, units, titles, weight or "dist_m"),
        "areas": LayerInfo(f"交通空白人口の割合（{walk}）", credits, units, titles, "gap_share_pct"),
    }


def _timetable_gaps(
    *, output_dir: str, selection, snap_m: float, mesh_path: str | None, demand_path: str | None, weight: str | None,
    stations: tuple[str, ...], bus_stops: tuple[str, ...], prefix: str, gtfs: tuple[str, ...],
    service_date: str | None, definitions: tuple[str, ...], windows: tuple[str, ...],
    spread_population: str | None, population_column: str, maps: bool, credits: tuple[str, ...] = (),
    mesh_level: str | None = None, mesh_overlaps: str = "raise",
) -> None:  # fmt: skip
    """``geo gaps`` with timetables: several definitions by time window, grades, maps."""
    import json
    from dataclasses import replace

    import pandas as pd

    from geo import steps
    from geo._inputs import credit_of
    from geo._io import write_text_atomic
    from geo.mesh import read_mesh
    from geo.points import read_points, write_table
    from geo.store import check_output_dir

    frame = selection.areas
    demand, spread = None, None
    if mesh_path:
        demand = read_mesh(mesh_path, population=weight, level=mesh_level, overlaps=mesh_overlaps)
    elif demand_path:
        demand = read_points(demand_path)
    elif spread_population:
        frame, report = _join_population(frame, spread_population, population_column, None)
        unmatched = int(frame["population"].isna().sum())
        if unmatched:
            raise click.UsageError(f"{unmatched} areas have no population in {spread_population}: {report}")
        spread = "population"
    untimed = {}
    if stations:
        untimed["station"] = pd.concat([read_points(p) for p in stations], ignore_index=True)
    if bus_stops:
        untimed["bus"] = pd.concat([read_points(p) for p in bus_stops], ignore_index=True)
    out = Path(output_dir)
    check_output_dir(out)
    result, step_report = steps.timetable_gaps(
        replace(selection, areas=frame), demand, definitions=definitions, feeds=gtfs, stops=untimed,
        date=service_date, windows=windows, weight=weight, spread=spread, snap_m=snap_m,
    )  # fmt: skip
    note = step_report.figures["demand"]
    for line in step_report.notes:
        click.echo(line)
    written = [
        write_table(result.cells, out / f"{prefix}_cells.gpkg"),
        write_table(result.cells, out / f"{prefix}_cells.csv"),
        write_table(result.totals, out / f"{prefix}_totals.csv"),
    ]
    if result.by_area is not None:
        written.append(write_table(result.by_area, out / f"{prefix}_by_area.csv"))
    found = [c for value in (mesh_path or demand_path, *stations, *bus_stops, *gtfs) for c in credit_of(value)]
    record = json.dumps(
        {**result.record(), "credits": list(dict.fromkeys([*found, *credits]))},
        ensure_ascii=False,
        indent=2,
        default=str,
    )
    written.append(write_text_atomic(out / f"{prefix}_definitions.json", record))
    if maps:
        from geo.maps.service import grade_map, window_panels, window_switcher_html

        written.append(grade_map(result, out / f"{prefix}_grade.png", areas=frame))
        for d in result.definitions:
            written.append(window_panels(result, d.name, out / f"{prefix}_{d.name}_windows.png", areas=frame))
            written.append(window_switcher_html(result, d.name, out / f"{prefix}_{d.name}_windows.html", areas=frame))
    click.echo(f"demand: {note}; distances in {result.info['crs_name']}")
    for d in result.definitions:
        day = result.service_dates[d.name]
        click.echo(f"{d.name} ({day['date']} {day['day_type']}): {d.title} — source: {d.source}")
    unit = result.info["demand_unit"]
    for row in result.totals.itertuples(index=False):
        click.echo(
            f"  {row.definition:<22} {row.window:>6}: gap {row.gap:,.0f} of {row.demand:,.0f} {unit} ({row.gap_share_pct:.1f}%)"
        )
    for path in written:
        click.echo(f"wrote {path}")
