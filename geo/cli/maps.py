"""``geo map``: a choropleth of one indicator, as offline HTML or a static PNG/SVG/PDF."""

from __future__ import annotations

from pathlib import Path

import click
import geopandas as gpd

from geo import analyses
from geo._errors import ValidationError
from geo._inputs import credit_of
from geo.cli.options import params_from, params_options, quiet
from geo.maps.choropleth import ChoroplethMap, map_from, save_map
from geo.maps.from_layer import map_layer
from geo.maps.layers import gap_points_layer, hubs_layer, region_outline_layer
from geo.params import AreaParams, JoinParams, MapParams
from geo.points import read_points


def _areas(boundaries: str, area: AreaParams, columns: list[str], table: str | None, join: JoinParams) -> tuple:
    """The areas to map (with ``columns``: the mapped one first, then those its classes are fitted with) and the
    credits of the table: with --table, joined exactly as ``geo join`` joins."""
    column = columns[0]
    if table:
        frame = analyses.read_table(table, join)
        selection = analyses.select(boundaries, area, table=frame)
        result = analyses.join(selection, frame, join, credits=credit_of(table))
        if not quiet():
            click.echo(str(result.report), err=True)
        return result.areas, credit_of(table)
    selection = analyses.select(boundaries, area)
    if all(c in selection.areas.columns for c in columns):
        return selection.areas, ()
    # a file written by `geo join` (canonical columns plus indicators): read_boundaries keeps only the canonical
    # columns, so take the indicator from the file itself
    path = Path(boundaries)
    if path.is_file() and path.suffix.lower() in (".gpkg", ".geojson", ".json", ".fgb"):
        raw = gpd.read_file(path)
        areas = selection.areas
        key = "muni_code" if "muni_code" in areas.columns and "muni_code" in raw.columns else "pref_code"
        if column in raw.columns and key in raw.columns:
            wanted = [c for c in dict.fromkeys(columns) if c in raw.columns and c not in areas.columns]
            values = raw[[key, *wanted]].astype({key: str}).drop_duplicates(key)
            return areas.merge(values, on=key, how="left"), credit_of(boundaries)
    raise ValidationError([f"{boundaries}: column {column!r} not found; add the table with --table FILE "
                           "(CSV/Excel keyed by code) or pass a layers.gpkg written by `geo join`"])  # fmt: skip


@click.command("map")
@click.argument("boundaries")
@click.option(
    "--layer", "layer", default=None,
    help="Map this layer of a GeoPackage the toolkit wrote (gaps, areas, buffers, chosen_hubs, regions …), with its "
    "title, units and credits.",
)  # fmt: skip
@click.option("--areas", "areas_for_points", default=None,
              help="With --layer of points: areas to count them in (default national N03 municipalities).")  # fmt: skip
@click.option("--table", "-t", default=None,
              help="Statistics table (CSV/Excel or pinned source) joined by code exactly as `geo join` does.")  # fmt: skip
@click.option("--code-column", help="Code column of the table (default: detected).")
@click.option("--encoding", help="Encoding of the table (default: UTF-8 or CP932, detected).")
@params_options(AreaParams)
@params_options(MapParams)
@click.option("--gap-points", type=click.Path(exists=True), help="Transport-gap points (geo.read_points formats).")
@click.option("--hubs", type=click.Path(exists=True), help="Hub candidate points (geo.read_points formats).")
@click.option("--regions", type=click.Path(exists=True, dir_okay=False),
              help="Region polygons to outline (GeoPackage/GeoJSON, e.g. from geo regions).")  # fmt: skip
@click.option("--attribution", multiple=True, help="Extra credit line (the N03 credit is always shown).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="Output .html, .png, .svg or .pdf.")  # fmt: skip
def map_command(boundaries: str, layer: str | None, areas_for_points: str | None, table: str | None,
                code_column: str | None, encoding: str | None, gap_points: str | None, hubs: str | None,
                regions: str | None, attribution: tuple[str, ...], output: str, **options: object) -> None:  # fmt: skip
    """Map COLUMN over BOUNDARIES (N03 file, folder, pinned source name, or a layers.gpkg the toolkit wrote)
    and write OUTPUT.

    \b
    Examples:
      geo map n03-2021-s0010 --level designated_city --table ssdse-a \\
          --column pop_2020 --scheme fisher_jenks -k 6 --unit 人 --title 総人口 -o outputs/pop.html
      geo join ssdse-a --level designated_city -o outputs/joined
      geo map outputs/joined/layers.gpkg --layer areas --column pop_65plus_2020 --unit 人 -o outputs/elderly.png
      geo map outputs/yamanashi_gaps/layers.gpkg --layer gaps_by_area -o outputs/gap_share.html
    """
    area, params = params_from(AreaParams, options), params_from(MapParams, options)
    suffix = Path(output).suffix.lower()
    if suffix not in (".html", ".png", ".svg", ".pdf"):
        raise click.BadParameter(f"{output}: use .html, .png, .svg or .pdf", param_hint="--output")
    if layer is not None:
        m = map_layer(
            boundaries, layer, column=params.column, areas=areas_for_points, attribution=attribution,
            title=params.title, unit=params.unit, legend_title=params.legend, scheme=params.scheme, k=params.k,
            breaks=list(params.breaks) or None, palette=params.palette, show_labels=params.labels,
            tiles=params.tiles, midpoint=params.midpoint, classes_with=params.classes_with,
        )  # fmt: skip
        save_map(m, output, params)
        _describe(m, output)
        return
    if not params.column:
        raise click.UsageError("give --column (or --layer NAME for a GeoPackage the toolkit wrote)")
    join = JoinParams(code_column=code_column, encoding=encoding)
    areas, credits = _areas(boundaries, area, [params.column, *params.classes_with], table, join)
    layers = []
    if regions:
        layers.append(region_outline_layer(gpd.read_file(regions)))
    if gap_points:
        layers.append(gap_points_layer(read_points(gap_points)))
    if hubs:
        layers.append(hubs_layer(read_points(hubs)))
    m = map_from(areas, params, layers=layers, attribution=(*credits, *attribution))
    save_map(m, output, params)
    _describe(m, output)


def _describe(m: ChoroplethMap, output: str) -> None:
    if not quiet():
        c = m.classes
        click.echo(f"{output}: {len(m.spec.areas)} areas, {c.title_ja}, no data {c.nodata_count}", err=True)
        for label, count in zip(c.labels, c.counts, strict=False):
            click.echo(f"  {label}\t{count}", err=True)
        for note in c.notes:
            click.echo(f"  note: {note}", err=True)
        click.echo(f"  credits: {' / '.join(m.spec.attribution)}", err=True)
    click.echo(output)
