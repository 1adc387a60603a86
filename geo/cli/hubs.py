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
@click.argument("candidates", type=click.Path(exists=True, dir_okay=True))
@click.option(
    "--demand",
    "demand_path",
    type=click.Path(exists=True),
    help="Demand points/cells (CSV lat/lon, GeoPackage, GeoJSON).",
)
@click.option(
    "--mesh",
    "mesh_path",
    type=click.Path(exists=True),
    help="Demand as a mesh statistics table (e-Stat / CSV with mesh codes).",
)
@click.option("--radius", "radii", type=float, multiple=True, required=True, help="Reach in metres; repeat for rings.")
@click.option("--weight", default=None, help="Demand weight column (default: population-like column, else counts).")
@click.option("--name", default=None, help="Candidate label column (default: name/station_name/道の駅名 …).")
@click.option(
    "--areas",
    "areas_path",
    type=click.Path(exists=True),
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
      geo hubs "$GEO_DATA_MIRROR/ksj-n02-2023-railway-stations/stations_points.csv" \\
               --mesh "$GEO_DATA_MIRROR/estat-mesh1km-census-yamanashi/yamanashi_mesh1km_2020.csv" \\
               --radius 1000 --radius 5000 --choose 5 --method exact -o outputs/hubs.gpkg
    """
    import pandas as pd

    from geo.boundaries import read_boundaries
    from geo.hubs import buffer_hubs, choose_hubs, hub_coverage, union_buffers
    from geo.points import read_points, write_table
    from geo.store import write_layers

    if (demand_path is None) == (mesh_path is None):
        raise click.UsageError("give exactly one of --demand and --mesh")
    if k is not None and target_share is not None:
        raise click.UsageError("give at most one of --choose and --target-share")
    out = Path(output)
    if out.suffix.lower() != ".gpkg":
        raise click.UsageError(f"--output must end in .gpkg, got {output}")
    hubs = read_points(candidates)
    demand = _read_demand(mesh_path or demand_path, mesh=mesh_path is not None)  # type: ignore[arg-type]
    areas = read_boundaries(areas_path) if areas_path else None
    radii = tuple(dict.fromkeys(radii))

    hub_layer = hubs.copy()
    layers: dict[str, object] = {}
    summary, per_hub, per_area = [], [], []
    for r in radii:
        res = hub_coverage(hubs, demand, radius_m=r, weight=weight, areas=areas, name=name, pref_code=pref_code)
        summary.append(res.summary())
        for col in ("covered", "exclusive", "shared"):
            hub_layer[f"{col}_{r:g}m"] = res.per_hub[col].to_numpy()
        per_hub.append(res.per_hub.assign(radius_m=r))
        if res.per_area is not None:
            per_area.append(res.per_area.assign(radius_m=r))
        layers[f"uncovered_{r:g}m"] = res.uncovered
        click.echo(str(res))
    buffers = buffer_hubs(hubs, radii, pref_code=pref_code)
    layers = {"hubs": hub_layer, "buffers": buffers, "buffers_union": union_buffers(buffers), **layers}
    chosen = None
    if k is not None or target_share is not None:
        r = choose_radius or radii[0]
        chosen = choose_hubs(
            hubs,
            demand,
            k=k,
            target_share=target_share,
            radius_m=r,
            weight=weight,
            method=method,
            pref_code=pref_code,
        )
        layers["chosen"] = chosen
        info = chosen.attrs["siting"]
        click.echo(
            f"chosen ({method}, {r:g} m): {len(chosen)} candidates cover {info['covered']:,.0f} of "
            f"{info['total']:,.0f} ({info['covered'] / max(info['total'], 1e-12):.1%}); "
            f"optimal={info['optimal']}"
        )
        label = name or next((c for c in ("station_name", "name", "道の駅名", "P29_004") if c in chosen.columns), None)
        for _, row in chosen.iterrows():
            click.echo(
                f"  {row['rank']:>3}. {row[label] if label else row.name}: +{row['gain']:,.0f} "
                f"(cumulative {row['cumulative']:,.0f}, {row['cumulative_share']:.1%})"
            )
    write_layers(layers, out, overwrite=True)
    stem = out.with_suffix("")
    written = [out, write_table(pd.DataFrame(summary), stem.with_suffix(".csv"))]
    written.append(write_table(pd.concat(per_hub).rename_axis("hub_index").reset_index(), Path(f"{stem}_per_hub.csv")))
    if per_area:
        written.append(write_table(pd.concat(per_area, ignore_index=True), Path(f"{stem}_per_area.csv")))
    if chosen is not None:
        written.append(write_table(chosen, Path(f"{stem}_chosen.csv")))
    click.echo(f"metric CRS: {summary[0]['metric_crs']}")
    for path in written:
        click.echo(f"wrote {path}")
