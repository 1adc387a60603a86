"""``geo points`` (assign and count point layers) and ``geo gaps`` (transport-gap cells per municipality)."""

from __future__ import annotations

from pathlib import Path

import click


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


def _read_areas(areas: str, level: str, prefectures: tuple[str, ...], municipalities: tuple[str, ...]):
    from geo._errors import ValidationError
    from geo.boundaries import read_boundaries
    from geo.codes import normalize_muni_code

    frame = read_boundaries(areas, level=level, prefectures=prefectures or None)
    if municipalities:
        if level == "prefecture":
            raise ValidationError("--municipality needs --level municipality or designated_city")
        codes = {normalize_muni_code(c) for c in municipalities}
        missing = sorted(codes - set(frame["muni_code"].dropna()))
        if missing:
            raise ValidationError(f"municipality code(s) {missing} not in {areas}")
        frame = frame[frame["muni_code"].isin(codes)].reset_index(drop=True)
    return frame


def _join_population(areas, table_path: str, column: str, code_column: str | None):
    """Attach a population column from a CSV keyed by municipal code (normalised; unmatched rows reported)."""
    import pandas as pd

    from geo._errors import ValidationError
    from geo.codes import normalize_muni_codes
    from geo.points import _read_text_table

    path = Path(table_path)
    table = _read_text_table(path.read_bytes(), path, encoding=None)
    code_column = code_column or next(
        (c for c in ("muni_code", "code", "地域コード", "団体コード", "市区町村コード") if c in table.columns),
        None,
    )
    if code_column is None or code_column not in table.columns or column not in table.columns:
        raise ValidationError(
            f"need a code column and {column!r}; columns are {list(table.columns)[:15]} (use --code-column)",
            source=path,
        )
    codes = normalize_muni_codes(table[code_column])
    values = pd.to_numeric(table[column].str.replace(",", ""), errors="coerce")
    lookup = pd.Series(values.to_numpy(), index=codes["code"].to_numpy())
    lookup = lookup[lookup.index.notna() & ~lookup.index.duplicated()]
    out = areas.copy()
    out["population"] = out["muni_code"].map(lookup).astype(float)
    return out, int(out["population"].isna().sum())


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
      geo points "$GEO_DATA_MIRROR/ksj-n02-2023-railway-stations/stations_points.csv" --areas n03-2021-s0010 --prefecture 山梨県
      geo points "$GEO_DATA_MIRROR/gtfs-jp-nakatsugawa-toyota/nakatsugawa_GTFS.zip" --areas n03-2021-s0010 --municipality 21206
    """
    from geo.points import assign_points, count_points, read_points, write_table

    pts = read_points(input_path, lat=lat, lon=lon, crs=crs, encoding=encoding,
                      on_invalid="drop" if drop_invalid else "raise")  # fmt: skip
    frame = _read_areas(areas, level, prefectures, municipalities)
    unmatched = 0
    if population_table:
        frame, unmatched = _join_population(frame, population_table, population_column, code_column)
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
    if population_table:
        click.echo(f"population: {len(frame) - unmatched} areas matched, {unmatched} without population")
    for path in written:
        click.echo(f"wrote {path}")


@click.command("gaps")
@_areas_options
@click.option(
    "--mesh",
    "mesh_path",
    default=None,
    type=click.Path(exists=True),
    help="Demand: mesh statistics (CSV or e-Stat tblT*.txt / zip).",
)
@click.option(
    "--demand",
    "demand_path",
    default=None,
    type=click.Path(exists=True),
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
@click.option("--stations", multiple=True, type=click.Path(exists=True), help="Railway station points; repeatable.")
@click.option(
    "--bus-stops",
    multiple=True,
    type=click.Path(exists=True),
    help="Bus stops (CSV or GTFS feed); repeatable.",
)
@click.option("--station-m", type=float, default=800.0, show_default=True, help="Walking distance to a station (m).")
@click.option("--bus-m", type=float, default=300.0, show_default=True, help="Walking distance to a bus stop (m).")
@click.option(
    "--snap-m",
    type=float,
    default=None,
    help="Count demand just outside the (simplified) boundaries in the nearest area within this distance (m).",
)
@click.option("--prefix", default="gaps", show_default=True, help="Output file name prefix.")
def gaps_command(
    output_dir: str, areas: str, level: str, prefectures: tuple[str, ...], municipalities: tuple[str, ...],
    mesh_path: str | None, demand_path: str | None, grid: bool, weight: str | None, stations: tuple[str, ...],
    bus_stops: tuple[str, ...], station_m: float, bus_m: float, snap_m: float | None, prefix: str,
) -> None:  # fmt: skip
    """Find demand beyond walking distance of every station and bus stop (交通空白), per municipality.

    \b
    Writes into the output folder:
      PREFIX_cells.gpkg / .csv    gap cells/points with population, distances and muni_code
      PREFIX_by_area.gpkg / .csv  per area: demand and gap population, gap share, gap cells

    \b
    Examples:
      geo gaps --mesh "$GEO_DATA_MIRROR/estat-mesh1km-census-yamanashi/yamanashi_mesh1km_2020.csv" \\
               --stations "$GEO_DATA_MIRROR/ksj-n02-2023-railway-stations/stations_points.csv" \\
               --areas n03-2021-s0010 --prefecture 19 --snap-m 1000
      geo gaps --grid --stations "$GEO_DATA_MIRROR/ksj-n02-2023-railway-stations/stations_points.csv" \\
               --bus-stops "$GEO_DATA_MIRROR/gtfs-jp-nakatsugawa-toyota/nakatsugawa_GTFS.zip" \\
               --areas n03-2021-s0010 --municipality 21206
    """
    import geopandas as gpd
    import pandas as pd

    from geo._errors import ValidationError
    from geo.gaps import find_gaps, gaps_by_area
    from geo.mesh import mesh_codes_covering, mesh_polygons, read_mesh
    from geo.points import assign_points, read_points, write_table

    if sum(bool(x) for x in (mesh_path, demand_path, grid)) != 1:
        raise click.UsageError("give exactly one of --mesh, --demand or --grid")
    if not stations and not bus_stops:
        raise click.UsageError("give at least one --stations or --bus-stops file")
    frame = _read_areas(areas, level, prefectures, municipalities)
    if mesh_path:
        demand = read_mesh(mesh_path, population=weight)
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
    pref = frame["pref_code"].iloc[0] if frame["pref_code"].nunique() == 1 else None
    gaps = find_gaps(demand, supply, walk_m={k: walk[k] for k in supply}, weight=weight, pref_code=pref)
    table = gaps_by_area(gaps, demand, frame, weight=weight, snap_m=snap_m)
    cells = gaps.copy()
    centres = cells.geometry.to_crs(gaps.attrs["gaps"]["crs"]).centroid.to_crs(frame.crs)
    placed = assign_points(gpd.GeoDataFrame(geometry=centres, crs=frame.crs), frame)
    for column in ("muni_code", "muni_name"):
        if column in placed.columns:
            cells[column] = placed[column].to_numpy()
    out = Path(output_dir)
    written = [
        write_table(cells, out / f"{prefix}_cells.gpkg"),
        write_table(cells, out / f"{prefix}_cells.csv"),
        write_table(table, out / f"{prefix}_by_area.gpkg"),
        write_table(table, out / f"{prefix}_by_area.csv"),
    ]
    info = gaps.attrs["gaps"]
    unit = info["weight_column"] or "cells (unweighted)"
    click.echo(f"walking distances {info['walk_m']} measured in {info['crs_name']}")
    click.echo(
        f"gaps: {info['gap_rows']} of {info['demand_rows']} demand rows; {unit}: "
        f"{info['gap_weight']:,.0f} of {info['demand_weight']:,.0f} ({info['gap_weight'] / max(info['demand_weight'], 1e-12):.1%})"
    )
    outside = table.attrs["gaps_by_area"].get("demand_outside_rows", 0)
    if outside:
        click.echo(f"{outside} demand rows lie outside the selected areas (not in the per-area table)")
    for path in written:
        click.echo(f"wrote {path}")
