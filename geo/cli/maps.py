"""``geo map``: a choropleth of one indicator, as offline HTML or a static PNG/SVG/PDF."""

from __future__ import annotations

from pathlib import Path

import click

SCHEME_CHOICES = ("quantiles", "fisher_jenks", "natural_breaks", "equal_interval", "user_defined")
LEVEL_CHOICES = ("municipality", "designated_city", "prefecture")


def _breaks(value: str | None) -> list[float] | None:
    if not value:
        return None
    try:
        return [float(v) for v in value.replace("、", ",").split(",") if v.strip()]
    except ValueError as exc:
        raise click.BadParameter(f"{value!r}: give numbers separated by commas, e.g. 1000,5000,10000") from exc


def _read_areas(
    boundaries: str,
    *,
    level: str,
    prefectures: tuple[str, ...],
    column: str,
    table: str | None,
    code_column: str | None,
    encoding: str | None,
    quiet: bool,
):
    import geopandas as gpd

    import geo

    areas = geo.read_boundaries(boundaries, level=level, prefectures=list(prefectures) or None)
    if table:
        rows = geo.read_indicators(table, code_column=code_column, encoding=encoding)
        joined, report = geo.join_indicators(areas, rows)
        if not quiet:
            click.echo(str(report), err=True)
        return joined
    if column in areas.columns:
        return areas
    # a file written by `geo join` (canonical columns plus indicators): read_boundaries keeps only the canonical
    # columns, so take the indicator from the file itself
    path = Path(boundaries)
    if path.is_file() and path.suffix.lower() in (".gpkg", ".geojson", ".json", ".fgb"):
        raw = gpd.read_file(path)
        key = "muni_code" if "muni_code" in areas.columns and "muni_code" in raw.columns else "pref_code"
        if column in raw.columns and key in raw.columns:
            values = raw[[key, column]].astype({key: str}).drop_duplicates(key)
            return areas.merge(values, on=key, how="left")
    raise geo.ValidationError(
        [
            f"{boundaries}: column {column!r} not found; add the table with --table FILE "
            "(CSV/Excel keyed by code) or pass a file written by `geo join`"
        ]
    )


@click.command("map")
@click.argument("boundaries")
@click.option("--column", "-c", default=None, help="Indicator column to map (with --layer: default the layer's own).")
@click.option(
    "--layer", "layer", default=None,
    help="Map this layer of a GeoPackage the toolkit wrote (gaps, areas, buffers, chosen, regions …), with its "
    "title, units and credits.",
)  # fmt: skip
@click.option(
    "--areas",
    "areas_for_points",
    default=None,
    help="With --layer of points: areas to count them in (default national N03 municipalities).",
)
@click.option(
    "--table",
    "-t",
    type=click.Path(exists=True, dir_okay=False),
    help="Indicator table (CSV/Excel) joined by code (geo.read_indicators + geo.join_indicators).",
)
@click.option("--code-column", help="Code column of the table (default: detected).")
@click.option("--encoding", help="Encoding of the table (default: UTF-8 or CP932, detected).")
@click.option("--level", type=click.Choice(LEVEL_CHOICES), default="municipality", show_default=True)
@click.option("--prefecture", "prefectures", multiple=True, help="Keep only this prefecture; repeatable.")
@click.option("--scheme", type=click.Choice(SCHEME_CHOICES), default="quantiles", show_default=True)
@click.option(
    "-k",
    "--classes",
    "k",
    type=click.IntRange(1, 12),
    default=5,
    show_default=True,
    help="Number of classes.",
)
@click.option("--breaks", help="User class boundaries, comma separated (implies --scheme user_defined).")
@click.option(
    "--palette",
    default="YlOrRd",
    show_default=True,
    help="YlOrRd, Blues, Greens, RdBu (change)...; _r reverses.",
)
@click.option("--unit", help="Unit shown after every number (人, %, 人/km²).")
@click.option("--title", help="Map title.")
@click.option("--legend-title", help="Legend heading (default: the column name).")
@click.option("--labels/--no-labels", "labels", default=None, help="Area names on the map (default: up to 60 areas).")
@click.option("--gap-points", type=click.Path(exists=True), help="Transport-gap points (geo.read_points formats).")
@click.option("--hubs", type=click.Path(exists=True), help="Hub candidate points (geo.read_points formats).")
@click.option(
    "--regions",
    type=click.Path(exists=True, dir_okay=False),
    help="Region polygons to outline (GeoPackage/GeoJSON, e.g. from geo regions).",
)
@click.option("--attribution", multiple=True, help="Extra credit line (the N03 credit is always shown).")
@click.option(
    "--tiles",
    type=click.Choice(["gsi_pale", "gsi_std", "openstreetmap"]),
    help="Background tiles for HTML (needs internet; default none, works offline).",
)
@click.option("--dpi", type=int, default=150, show_default=True, help="Static maps only.")
@click.option("--page", type=click.Choice(["A4", "A3"]), help="Print sheet for .png/.svg/.pdf (default 1500×1500 px).")
@click.option(
    "--orientation",
    type=click.Choice(["portrait", "landscape"]),
    default="portrait",
    show_default=True,
    help="Orientation of --page.",
)
@click.option("--margins-mm", type=float, help="White margin around the page, mm (default 10 with --page).")
@click.option("--midpoint", type=float, help="Centre of a diverging palette (default 0): always a class boundary.")
@click.option(
    "-o", "--output", required=True, type=click.Path(dir_okay=False), help="Output .html, .png, .svg or .pdf."
)
@click.pass_context
def map_command(
    ctx: click.Context,
    boundaries: str,
    column: str | None,
    layer: str | None,
    areas_for_points: str | None,
    table: str | None,
    code_column: str | None,
    encoding: str | None,
    level: str,
    prefectures: tuple[str, ...],
    scheme: str,
    k: int,
    breaks: str | None,
    palette: str,
    unit: str | None,
    title: str | None,
    legend_title: str | None,
    labels: bool | None,
    gap_points: str | None,
    hubs: str | None,
    regions: str | None,
    attribution: tuple[str, ...],
    tiles: str | None,
    dpi: int,
    page: str | None,
    orientation: str,
    margins_mm: float | None,
    midpoint: float | None,
    output: str,
) -> None:
    """Map COLUMN over BOUNDARIES (N03 file, folder or pinned source name) and write OUTPUT.

    \b
    Examples:
      geo map n03-2021-s0010 --level designated_city \\
          --table "$GEO_DATA_MIRROR/ssdse-a-municipal-indicators/municipal_indicators.csv" \\
          --column pop_2020 --scheme fisher_jenks -k 6 --unit 人 --title 総人口 -o outputs/pop.html
      geo join n03-2021-s0010 ssdse-a --level designated_city -o outputs/joined.gpkg
      geo map outputs/joined.gpkg --column pop_65plus_2020 --unit 人 -o outputs/elderly.png
      geo map outputs/yamanashi/gaps.gpkg --layer areas -o outputs/gap_share.html
      geo map outputs/hubs.gpkg --layer chosen -o outputs/chosen.png
    """
    import geopandas as gpd

    import geo
    from geo.maps.layers import gap_points_layer, hubs_layer, region_outline_layer

    quiet = bool((ctx.obj or {}).get("quiet"))
    suffix = Path(output).suffix.lower()
    if suffix not in (".html", ".png", ".svg", ".pdf"):
        raise click.BadParameter(f"{output}: use .html, .png, .svg or .pdf", param_hint="--output")
    user_breaks = _breaks(breaks)
    if user_breaks is not None:
        scheme = "user_defined"
    if layer is not None:
        from geo.maps.from_layer import map_layer

        m = map_layer(
            boundaries, layer, column=column, areas=areas_for_points, attribution=attribution, title=title,
            unit=unit, legend_title=legend_title, scheme=scheme, k=k, breaks=user_breaks, palette=palette,
            show_labels=labels, tiles=tiles, midpoint=midpoint,
        )  # fmt: skip
        m.save(output, dpi=dpi, page=page, orientation=orientation, margins_mm=margins_mm)
        _describe(m, output, quiet=quiet)
        return
    if column is None:
        raise click.UsageError("give --column (or --layer NAME for a GeoPackage the toolkit wrote)")
    areas = _read_areas(
        boundaries,
        level=level,
        prefectures=prefectures,
        column=column,
        table=table,
        code_column=code_column,
        encoding=encoding,
        quiet=quiet,
    )
    layers = []
    if regions:
        layers.append(region_outline_layer(gpd.read_file(regions)))
    if gap_points:
        layers.append(gap_points_layer(geo.read_points(gap_points)))
    if hubs:
        layers.append(hubs_layer(geo.read_points(hubs)))
    m = geo.choropleth(
        areas,
        column,
        scheme=scheme,
        k=k,
        breaks=user_breaks,
        layers=layers,
        title=title,
        unit=unit,
        palette=palette,
        legend_title=legend_title,
        show_labels=labels,
        attribution=attribution,
        tiles=tiles,
        midpoint=midpoint,
    )
    m.save(output, dpi=dpi, page=page, orientation=orientation, margins_mm=margins_mm)
    _describe(m, output, quiet=quiet)


def _describe(m, output: str, *, quiet: bool) -> None:  # type: ignore[no-untyped-def]
    if not quiet:
        c = m.classes
        click.echo(f"{output}: {len(m.spec.areas)} areas, {c.title_ja}, no data {c.nodata_count}", err=True)
        for label, count in zip(c.labels, c.counts, strict=False):
            click.echo(f"  {label}\t{count}", err=True)
        for note in c.notes:
            click.echo(f"  note: {note}", err=True)
        click.echo(f"  credits: {' / '.join(m.spec.attribution)}", err=True)
    click.echo(output)
