"""``geo hubs``: catchment buffers, coverage of demand and optional siting of service-hub candidates."""

from __future__ import annotations

from pathlib import Path

import click

_VECTOR = {".gpkg", ".geojson", ".json", ".shp", ".fgb"}


def _read_demand(path: str, mesh: bool):  # type: ignore[no-untyped-def]
    """Demand layer: a mesh table (--mesh), a vector file of points or cells, or a CSV of points."""
    import pyogrio

    from geo.crs import assume_lonlat_crs, frame_to_jgd2011, require_crs
    from geo.mesh import read_mesh
    from geo.points import read_points

    if mesh:
        return read_mesh(path)
    if Path(path).suffix.lower() in _VECTOR:
        if not Path(path).exists():
            raise FileNotFoundError(f"{path}: no such demand file")
        frame = pyogrio.read_dataframe(path)
        frame, _ = assume_lonlat_crs(frame, source=path)  # no CRS: lon/lat-looking only, with a notice
        require_crs(frame, f"demand file {path}")
        return frame_to_jgd2011(frame)[0]  # the datum-aware path (Tokyo datum, JGD2000, WGS 84)
    return read_points(path)


def _table_column(value: str, option: str) -> tuple[str, str]:
    """``TABLE:COLUMN`` split at the last ``:`` (so Windows drive letters survive)."""
    table, sep, column = value.rpartition(":")
    if not sep or not table or not column:
        raise click.UsageError(f"{option} must be TABLE:COLUMN, e.g. census.csv:pop_total; got {value!r}")

    return table, column


def _grid(areas, population: str, proxy: str | None):  # type: ignore[no-untyped-def]
    """Grid demand from ``--population TABLE:COLUMN``, spread by area or by ``--proxy MESH:COLUMN``."""
    import pandas as pd

    from geo.demand import grid_demand
    from geo.mesh import read_mesh

    table, column = _table_column(population, "--population")
    weights = None
    if proxy is not None:
        mesh_path, proxy_column = _table_column(proxy, "--proxy")
        mesh = read_mesh(mesh_path)
        if proxy_column not in mesh.columns:
            raise click.UsageError(f"--proxy: no column {proxy_column!r} in {mesh_path}")
        values = pd.to_numeric(mesh[proxy_column], errors="coerce").fillna(0.0)
        weights = pd.Series(values.to_numpy(), index=mesh["mesh_code"], name=proxy_column)
    demand, report = grid_demand(areas, table, column=column, missing="zero", proxy=weights)
    click.echo(f"demand: {report}")
    if len(report.unmatched_rows):
        click.echo(f"  {len(report.unmatched_rows)} table rows match no area (totals, other prefectures): not spread")
    return demand


@click.command("hubs")
@click.argument("candidates")
@click.option(
    "--demand",
    "demand_path",
    help="Demand points/cells (CSV lat/lon, GeoPackage, GeoJSON).",
)
@click.option(
    "--mesh",
    "mesh_path",
    help="Demand as a mesh statistics table (e-Stat / CSV with mesh codes).",
)
@click.option(
    "--grid",
    is_flag=True,
    help="Demand: spread --population over the 1 km grid cells of each municipality of --areas, by area.",
)
@click.option(
    "--population",
    default=None,
    metavar="TABLE:COLUMN",
    help="With --grid: municipal population table (muni codes) and its column, e.g. census.csv:pop_total.",
)
@click.option(
    "--proxy",
    default=None,
    metavar="MESH:COLUMN",
    help="With --grid: spread by this mesh table's column (e.g. an older census mesh) instead of by area.",
)
@click.option(
    "--cost-matrix",
    "cost_matrix",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Origin-destination CSV (origin id, destination id, cost): replaces straight-line metres; "
    "--radius is then in the cost's unit.",
)
@click.option("--radius", "radii", type=float, multiple=True, required=True, help="Reach in metres; repeat for rings.")
@click.option("--weight", default=None, help="Demand weight column (default: population-like column, else counts).")
@click.option("--name", default=None, help="Candidate label column (default: name/station_name/道の駅名 …).")
@click.option(
    "--areas",
    "areas_path",
    default=None,
    help="Boundaries (N03) to total coverage per municipality.",
)
@click.option("--pref-code", default=None, help="Prefecture whose plane rectangular zone measures distances.")
@click.option("--choose", "k", type=int, default=None, help="Choose this many candidates covering the most demand.")
@click.option(
    "--target-share", type=float, default=None, help="Choose the fewest candidates covering this share (0-1]."
)
@click.option("--choose-radius", type=float, default=None, help="Radius for choosing (default: the first --radius).")
@click.option(
    "--method",
    type=click.Choice(["greedy", "swap", "exact", "p_median", "p_center", "p_median_swap"]),
    default="greedy",
    show_default=True,
    help="greedy/swap/exact: most demand within the radius; p_median: least total distance; p_center: least "
    "worst distance; p_median_swap: p-median by interchange heuristic, for large demand (the last three use "
    "--choose-radius only if given).",
)
@click.option("--fixed", "fixed", multiple=True, help="Existing site (name or id) that stays open; repeat.")
@click.option("--capacity", default=None, help="Candidate column with the demand each can serve (exact models).")
@click.option(
    "--access",
    "access",
    type=click.Choice(["2sfca", "2sfca_gaussian", "cumulative"]),
    multiple=True,
    help="Access scores per demand row and per area at the first --radius (with --capacity as supply); repeat.",
)
@click.option("-o", "--output", default="outputs/hubs.gpkg", show_default=True, type=click.Path(dir_okay=False))
@click.option("--credit", "credits", multiple=True, help="Credit line of a user input file; repeatable.")
def hubs_command(
    candidates: str,
    demand_path: str | None,
    mesh_path: str | None,
    radii: tuple[float, ...],
    weight: str | None,
    name: str | None,
    areas_path: str | None,
    pref_code: str | None,
    k: int | None,
    target_share: float | None,
    choose_radius: float | None,
    method: str,
    output: str,
    grid: bool = False,
    population: str | None = None,
    proxy: str | None = None,
    cost_matrix: str | None = None,
    fixed: tuple[str, ...] = (),
    capacity: str | None = None,
    access: tuple[str, ...] = (),
    credits: tuple[str, ...] = (),
) -> None:
    """Buffers and demand coverage of service-hub CANDIDATES (地域くらしサービス拠点), optionally siting.

    \b
    Writes OUTPUT (.gpkg) with layers
      hubs            candidates with covered/exclusive/shared demand per radius
      buffers         one buffer per candidate and radius (EPSG:6668; metric_crs column)
      buffers_union   the union per radius, with its area
      uncovered_Rm    demand rows no candidate reaches within R m
      chosen          (with --choose/--target-share) chosen candidates in order, gain, cumulative
    and next to it OUTPUT.csv (one summary row per radius), OUTPUT_per_hub.csv, OUTPUT_per_area.csv
    (with --areas or a muni_code in the demand) and OUTPUT_chosen.csv.

    \b
    Demand without a mesh: --grid --population census.csv:pop_total --areas N03.json spreads each
    municipality's population over its 1 km grid cells by area (every output names the method).
    --method p_median / p_center with --choose K; --fixed NAME keeps existing sites (K more are chosen);
    --capacity COLUMN caps what each serves (OUTPUT_chosen.csv: load, capacity, utilisation);
    --access 2sfca writes layer "access" and OUTPUT_access_2sfca_per_area.csv; --cost-matrix OD.csv uses
    travel costs instead of metres.

    \b
    Example:
      geo hubs stations-n02-2023-points --mesh mesh1km-yamanashi \\
               --radius 1000 --radius 5000 --choose 5 --method exact -o outputs/hubs.gpkg
    """
    import pandas as pd

    from geo import steps
    from geo._inputs import credit_of
    from geo.boundaries import read_boundaries
    from geo.hubs import union_buffers
    from geo.points import read_points
    from geo.store import LayerInfo, check_output_dir, write_csv, write_layers

    if (demand_path is not None) + (mesh_path is not None) + grid != 1:
        raise click.UsageError("give exactly one of --demand and --mesh (or --grid with --population and --areas)")
    if grid and (population is None or areas_path is None):
        raise click.UsageError("--grid needs --population TABLE:COLUMN and --areas (the municipalities to spread over)")
    if k is not None and target_share is not None:
        raise click.UsageError("give at most one of --choose and --target-share")
    out = Path(output)
    if out.suffix.lower() != ".gpkg":
        raise click.UsageError(f"--output must end in .gpkg, got {output}")
    check_output_dir(out.parent)
    hubs = read_points(candidates)
    areas = read_boundaries(areas_path) if areas_path else None
    path = mesh_path or demand_path
    demand = _grid(areas, population, proxy) if grid else _read_demand(path, mesh=mesh_path is not None)  # type: ignore[arg-type]
    result = steps.hubs(
        hubs, demand, radii_m=radii, weight=weight, areas=areas, choose=k, target_share=target_share,
        choose_radius_m=choose_radius or (radii[0] if method in steps.COVERAGE_METHODS else None), method=method,
        fixed=fixed, capacity=capacity, cost=cost_matrix, access=access, name_column=name, pref_code=pref_code,
    )  # fmt: skip
    for row in result.coverage.itertuples():
        click.echo(f"{row.radius_m:g}: {row.covered:,.0f} of {row.total:,.0f} covered ({row.share_pct:.1f}%)")
    layers: dict[str, object] = {"hubs": result.candidates}
    if result.buffers is not None:
        layers |= {"buffers": result.buffers, "buffers_union": union_buffers(result.buffers)}
    layers |= {f"uncovered_{tag}": frame for tag, frame in result.uncovered.items()}
    if result.chosen is not None:
        layers["chosen"] = result.chosen
        click.echo(str(result.siting))
        label = name or next((c for c in ("station_name", "name", "道の駅名", "P35_006") if c in result.chosen), None)
        for _, row in result.chosen.iterrows():
            click.echo(f"  {row['rank']:>3}. {row[label] if label else row.name}: +{row['gain']:,.0f} "
                       f"(cumulative {row['cumulative']:,.0f}, {row['cumulative_share']:.1%})")  # fmt: skip
    if result.access is not None:
        layers["access"] = result.access
    inputs = (candidates, path, population.rpartition(":")[0] if population else None, areas_path, cost_matrix)
    credit_lines = tuple(dict.fromkeys([c for v in inputs for c in credit_of(v)] + list(credits)))
    titles = {"hubs": "拠点候補", "buffers": "拠点の圏域", "buffers_union": "圏域の和", "chosen": "選定した拠点",
              "access": "アクセシビリティ"}  # fmt: skip
    columns = {"buffers": "radius_m", "buffers_union": "radius_m"}
    info = {
        name_: LayerInfo(titles.get(name_, "圏域外の需要"), credit_lines, {"radius_m": "m"},
                         {"radius_m": "圏域の半径"}, columns.get(name_, ""))
        for name_ in layers
    }  # fmt: skip
    write_layers(layers, out, overwrite=True, info=info)
    stem = out.with_suffix("")
    written = [out, write_csv(result.coverage, stem.with_suffix(".csv"))]
    per_hub = pd.concat([t.assign(radius_m=float(tag[:-1])) for tag, t in result.per_hub.items()])
    written.append(write_csv(per_hub.rename_axis("hub_index").reset_index(), Path(f"{stem}_per_hub.csv")))
    if result.per_area:
        per_area = pd.concat([t.assign(radius_m=float(tag[:-1])) for tag, t in result.per_area.items()])
        written.append(write_csv(per_area, Path(f"{stem}_per_area.csv")))
    if result.chosen is not None:
        written.append(write_csv(result.chosen, Path(f"{stem}_chosen.csv")))
        written.append(write_csv(pd.DataFrame([result.siting.summary()]), Path(f"{stem}_siting.csv")))
    for kind, table in result.access_per_area.items():
        written.append(write_csv(table, Path(f"{stem}_access_{kind}_per_area.csv")))
    click.echo(f"metric CRS: {result.coverage['metric_crs'].iloc[0]}")
    for written_path in written:
        click.echo(f"wrote {written_path}")
