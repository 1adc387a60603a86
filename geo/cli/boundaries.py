"""``geo boundaries``: fetch pinned N03 files, inspect them, write them in the canonical schema."""

from __future__ import annotations

import json

import click

from geo._inputs import credit_of
from geo.analyses import credits_with_n03
from geo.boundaries import LEVELS, describe, read_boundaries, simplify_boundaries
from geo.sources import fetch as fetch_source
from geo.store import LayerInfo, write_layers


@click.group()
def boundaries() -> None:
    """N03 administrative boundaries (国土数値情報 行政区域データ).

    \b
    Examples:
      geo boundaries fetch n03-2021-s0010
      geo boundaries info n03-2021-s0010 --level designated_city
      geo boundaries write n03-2021-s0010 --prefecture 山梨県 -o outputs/yamanashi.gpkg
    """


@boundaries.command()
@click.argument("names", nargs=-1, required=True)
def fetch(names: tuple[str, ...]) -> None:
    """Download (or take from GEO_DATA_MIRROR) pinned boundary sources, verify their SHA-256, print paths.

    \b
    Example:
      geo boundaries fetch n03-2021-s0010 n03-official-2024-19
    """

    for name in names:
        click.echo(f"{name}\t{fetch_source(name)}")


def _source_options(func):  # the options every reading subcommand shares
    func = click.option(
        "--prefecture", "prefectures", multiple=True, help="Keep only this prefecture (code or name); repeatable."
    )(func)
    func = click.option("--level", type=click.Choice(LEVELS), default="municipality", show_default=True)(func)
    return click.argument("source")(func)


@boundaries.command()
@_source_options
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def info(source: str, level: str, prefectures: tuple[str, ...], as_json: bool) -> None:
    """Read SOURCE (a file, folder or pinned source name) and print counts, CRS and repairs.

    \b
    Example:
      geo boundaries info n03-official-2024-19 --level designated_city
    """

    areas = read_boundaries(source, level=level, prefectures=prefectures or None)
    summary = describe(areas)
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    for key, value in summary.items():
        click.echo(f"{key:20s} {value}")


@boundaries.command()
@_source_options
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False),
    help="Output GeoPackage (.gpkg) or postgresql:// URL.",
)
@click.option("--simplify-m", type=float, default=None, help="Coverage-aware simplification tolerance in metres.")
def write(source: str, level: str, prefectures: tuple[str, ...], output: str, simplify_m: float | None) -> None:
    """Write SOURCE in the canonical schema (pref_code, pref_name, muni_code, muni_name; EPSG:6668).

    \b
    Example:
      geo boundaries write n03-2021-s0010 --prefecture 山梨県 --simplify-m 200 -o outputs/yamanashi.gpkg
    """

    areas = read_boundaries(source, level=level, prefectures=prefectures or None)
    if simplify_m:
        areas = simplify_boundaries(areas, tolerance_m=simplify_m)
    levels = {"municipality": "市区町村", "designated_city": "市区町村（政令市は市単位）", "prefecture": "都道府県"}
    info = LayerInfo(f"行政区域（{levels.get(level, level)}）", credits_with_n03(credit_of(source)),
                     description=f"{source}, level {level}" + (f", simplified {simplify_m:g} m" if simplify_m else ""))  # fmt: skip
    write_layers({level: areas}, output, overwrite=True, info={level: info})
    click.echo(f"wrote {len(areas)} {level} rows to {output}")
