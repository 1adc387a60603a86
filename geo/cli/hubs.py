"""``geo hubs``: catchment buffers, coverage of demand and optional siting of service-hub candidates."""

from __future__ import annotations

from pathlib import Path

import click

_VECTOR = {".gpkg", ".geojson", ".json", ".shp", ".fgb"}


def _read_demand(path: str, mesh: bool):  # type: ignore[no-untyped-def]
    """Demand layer: a mesh table (--mesh), a vector file of points or cells, or a CSV of points."""
    import pyogrio

    from geo.crs import require_crs
    from geo.mesh import read_mesh
    from geo.points import read_points

    if mesh:
        return read_mesh(path)
    if Path(path).suffix.lower() in _VECTOR:
        if not Path(path).exists():
            raise FileNotFoundError(f"{path}: no such demand file")
        frame = pyogrio.read_dataframe(path)
        require_crs(frame, f"demand file {path}")
        return frame
    return read_points(path)


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
@click.option("--method", type=click.Choice(["greedy", "swap", "exact"]), default="greedy", show_default=True)
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
    credits: tuple[str, ...],
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

    if (demand_path is None) == (mesh_path is None):
        raise click.UsageError("give exactly one of --demand and --mesh")
    if k is not None and target_share is not None:
        raise click.UsageError("give at most one of --choose and --target-share")
    out = Path(output)
    if out.suffix.lower() != ".gpkg":
        raise click.UsageError(f"--output must end in .gpkg, got {output}")
    check_output_dir(out.parent)
    hubs = read_points(candidates)
    demand = _read_demand(mesh_path or demand_path, mesh=mesh_path is not None)  # type: ignore[arg-type]
    areas = read_boundaries(areas_path) if areas_path else None
    result = steps.hubs(
        hubs, demand, radii_m=radii, weight=weight, areas=areas, choose=k, target_share=target_share,
        choose_radius_m=choose_radius or radii[0], method=method, name_column=name, pref_code=pref_code,
    )  # fmt: skip
    for row in result.coverage.itertuples():
        click.echo(f"{row.radius_m:g} m: {row.covered:,.0f} of {row.total:,.0f} covered ({row.share_pct:.1f}%)")
    layers: dict[str, object] = {"hubs": result.candidates, "buffers": result.buffers,
                                 "buffers_union": union_buffers(result.buffers)}  # fmt: skip
    layers |= {f"uncovered_{tag}": frame for tag, frame in result.uncovered.items()}
    if result.chosen is not None:
        layers["chosen"] = result.chosen
        siting = result.report.figures["siting"]
        click.echo(f"chosen ({method}, {siting['radius_m']:g} m): {len(result.chosen)} candidates cover "
                   f"{siting['covered']:,.0f} ({siting['share_pct']:.1f}%)")  # fmt: skip
        for rank, label in enumerate(siting["chosen"], start=1):
            row = result.chosen.iloc[rank - 1]
            click.echo(f"  {rank:>3}. {label}: +{row['gain']:,.0f} (cumulative {row['cumulative']:,.0f}, "
                       f"{row['cumulative_share']:.1%})")  # fmt: skip
    found = [c for v in (candidates, mesh_path or demand_path, areas_path) for c in credit_of(v)] + list(credits)
    credit_lines = tuple(dict.fromkeys(found))
    titles = {"hubs": "拠点候補", "buffers": "拠点の圏域", "buffers_union": "圏域の和", "chosen": "選定した拠点"}
    columns = {"buffers": "radius_m", "buffers_union": "radius_m"}
    info = {
        name: LayerInfo(titles.get(name, "圏域外の需要"), credit_lines, {"radius_m": "m"}, {"radius_m": "圏域の半径"},
                        columns.get(name, ""))
        for name in layers
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
    for path in written:
        click.echo(f"wrote {path}")
