"""``geo join``: join an indicator table to boundaries and write GeoPackage + CSV + the match report."""

from __future__ import annotations

import json
from pathlib import Path

import click

from geo._io import write_with
from geo.store import write_csv

LEVEL_CHOICES = ("auto", "municipality", "designated_city", "prefecture")


@click.command("join")
@click.argument("boundaries")
@click.argument("table", type=click.Path(dir_okay=False))
@click.option(
    "--level", type=click.Choice(LEVEL_CHOICES), default="auto", show_default=True,
    help="Boundary level; auto: prefecture for a prefecture table, designated_city for a table of whole "
    "designated cities, else municipality (wards).",
)  # fmt: skip
@click.option(
    "--prefecture", "prefectures", multiple=True, help="Keep only this prefecture (code or name); repeatable."
)
@click.option("--code-column", default=None, help="Header of the code column (default: detected).")
@click.option("--encoding", default=None, help="Table encoding (default: UTF-8, else CP932).")
@click.option("--sheet", default=None, help="Excel sheet name or 0-based index.")
@click.option("--how", type=click.Choice(["left", "inner"]), default="left", show_default=True,
              help="left: keep every area; inner: only areas with data.")  # fmt: skip
@click.option("--aggregate-wards", is_flag=True, help="Sum ward rows into whole designated cities first.")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), default="outputs/joined.gpkg", show_default=True,
    help="GeoPackage to write; the CSV (UTF-8 with BOM, opens in Excel) and the report JSON go beside it.",
)  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON instead of text.")
@click.option(
    "--as-of", default=None,
    help="Date of the table's codes (YYYY-MM-DD): convert them to the boundaries' date before joining.",
)  # fmt: skip
@click.option(
    "--boundaries-as-of", default=None,
    help="Date of the boundaries' codes (default: from the source name, e.g. n03-2021 → 2021-01-01, or the codes).",
)  # fmt: skip
@click.option("--weights", type=click.Path(dir_okay=False, exists=True), default=None,
              help="CSV apportioning split codes (see geo codes convert --help).")  # fmt: skip
@click.option("--intensive", multiple=True, help="A rate: NAME or NAME=NUM/DEN[*SCALE] (see geo codes convert).")
def join_command(
    boundaries: str, table: str, level: str, prefectures: tuple[str, ...], code_column: str | None,
    encoding: str | None, sheet: str | None, how: str, aggregate_wards: bool, output: str, as_json: bool,
    as_of: str | None = None, boundaries_as_of: str | None = None, weights: str | None = None,
    intensive: tuple[str, ...] = (),
) -> None:  # fmt: skip
    """Join TABLE (CSV/TSV/Excel keyed by municipal or prefecture codes) to BOUNDARIES (an N03 file,
    folder or pinned source name) and write OUTPUT.gpkg, OUTPUT.csv and OUTPUT.report.json.

    Every area without data and every table row without an area is reported, with a suggestion where a
    name matches (codes change when towns become cities).

    \b
    Examples:
      geo join n03-2021-s0010 ssdse-a-raw --level designated_city -o outputs/ssdse_a.gpkg
      geo join n03-2021-s0010 census2020-wards --level municipality
      geo join n03-2021-s0010 ssdse-e-raw --level prefecture -o outputs/prefs.gpkg
    """
    from geo import steps
    from geo.indicators import aggregate_wards as sum_wards
    from geo.indicators import read_indicators, table_level

    out = Path(output)
    if out.suffix.lower() != ".gpkg":
        raise click.BadParameter(f"{output}: the output must end in .gpkg", param_hint="-o/--output")
    frame = read_indicators(table, code_column=code_column, encoding=encoding, sheet=sheet)
    if aggregate_wards:
        frame = sum_wards(frame)
    if level == "auto":
        level = table_level(frame)
    selection = steps.select_areas(boundaries, level=level, prefectures=prefectures)
    extra = {}
    if as_of is not None or boundaries_as_of is not None:
        from geo.cli.codes import parse_intensive, read_weights

        extra = {"weights": read_weights(weights), "intensive": parse_intensive(intensive)}
    joined, report = steps.join(selection, frame, how=how, as_of=as_of, boundaries_as_of=boundaries_as_of, **extra)
    out.parent.mkdir(parents=True, exist_ok=True)
    csv_path, report_path = out.with_suffix(".csv"), out.with_suffix(".report.json")
    write_with(out, lambda tmp: joined.to_file(tmp, driver="GPKG", layer=out.stem))
    table_only = joined.drop(columns=joined.geometry.name)
    write_csv(table_only, csv_path)
    summary = report.to_dict() | {
        "boundaries": boundaries,
        "boundary_level": level,
        "outputs": [str(out), str(csv_path)],
    }
    write_with(
        report_path,
        lambda tmp: Path(tmp).write_text(json.dumps(summary, ensure_ascii=False, indent=2), "utf-8"),
    )
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
    elif not (click.get_current_context().find_root().obj or {}).get("quiet"):
        click.echo(str(report))
        click.echo(f"wrote {out}, {csv_path}, {report_path}")
