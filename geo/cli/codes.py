"""``geo codes``: municipal codes through time (convert a table between dates, show a code's history)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from geo._io import write_with
from geo.codes import code_history
from geo.crosswalk import code_events, convert_codes, parse_intensive, read_weights
from geo.store import write_csv
from geo.tables import read_indicators

if TYPE_CHECKING:
    pass


@click.group("codes")
def codes() -> None:
    """Municipal codes through time (e-Stat 廃置分合等情報 1970-04-01 … 2024-01-01).

    \b
    Examples:
      geo codes convert "$GEO_DATA_MIRROR/juki-population-municipal-2016-2022/raw/juki_20160101.csv" \\
                --from 2016-01-01 --to 2021-01-01 -o outputs/juki_2016_as_2021.csv
      geo codes history 40305
    """


@codes.command("convert")
@click.argument("table", type=click.Path(dir_okay=False, exists=True))
@click.option("--from", "from_date", required=True, help="Date of the table's codes (YYYY-MM-DD).")
@click.option("--to", "to_date", required=True, help="Date of the wanted codes, e.g. the boundaries' 2021-01-01.")
@click.option(
    "--weights", type=click.Path(dir_okay=False, exists=True), default=None,
    help="CSV apportioning splits: muni_code,weight (a population or area per code) or from_code,to_code,weight.",
)  # fmt: skip
@click.option("--weights-label", default=None, help="How the weights were obtained (written to the report).")
@click.option("--code-column", default=None, help="Header of the code column (default: detected).")
@click.option("--encoding", default=None, help="Table encoding (default: UTF-8, else CP932).")
@click.option("--extensive", multiple=True, help="A column to sum over merges (default: every numeric column).")
@click.option(
    "--intensive", multiple=True,
    help="A rate or average, as NAME (refused where rows merge) or NAME=NUM/DEN[*SCALE] (recomputed); repeatable.",
)  # fmt: skip
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), required=True,
    help="CSV to write (UTF-8 with BOM); the report JSON goes beside it as OUTPUT.report.json.",
)  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON instead of text.")
def convert_command(
    table: str, from_date: str, to_date: str, weights: str | None, weights_label: str | None,
    code_column: str | None, encoding: str | None, extensive: tuple[str, ...], intensive: tuple[str, ...],
    output: str, as_json: bool,
) -> None:  # fmt: skip
    """Convert TABLE's municipal codes from one date to another and write OUTPUT.csv plus its report.

    Merges sum the extensive columns; splits are apportioned by --weights; rates are recomputed from
    --intensive NAME=NUM/DEN or refused. Every converted row is listed in the report with its event and date.
    """

    out = Path(output)
    frame = read_indicators(table, code_column=code_column, encoding=encoding)
    converted, report = convert_codes(
        frame, from_date=from_date, to_date=to_date, weights=read_weights(weights), weights_label=weights_label,
        extensive=list(extensive) or None, intensive=parse_intensive(intensive),
    )  # fmt: skip
    out.parent.mkdir(parents=True, exist_ok=True)
    report_path = out.with_suffix(".report.json")
    write_csv(converted, out)  # the one CSV writer (UTF-8 with BOM, formula cells protected)
    summary = report.to_dict() | {"table": table, "outputs": [str(out)]}
    text = json.dumps(summary, ensure_ascii=False, indent=2)
    write_with(report_path, lambda tmp: Path(tmp).write_text(text, "utf-8"))
    if as_json:
        click.echo(text)
    elif not (click.get_current_context().find_root().obj or {}).get("quiet"):
        click.echo(str(report))
        click.echo(f"wrote {out}, {report_path}")


@codes.command("history")
@click.argument("code")
def history_command(code: str) -> None:
    """Print every period of CODE (name, kind, designated city) and the events that ended it."""

    history = code_history(code.zfill(5))
    if history.empty:
        raise click.ClickException(f"{code} never existed as a municipal code 1970–2024 (e-Stat lists)")
    events = code_events()
    for r in history.itertuples(index=False):
        city = f" ({r.city_name} {r.city_code})" if r.city_code else ""
        click.echo(f"{r.valid_from} … {r.valid_to or '2024-01-01+'}  {r.muni_code} {r.muni_name} [{r.kind}]{city}")
    touched = events[
        (events["from_code"] == history["muni_code"].iloc[0]) | (events["to_code"] == history["muni_code"].iloc[0])
    ]
    for e in touched.itertuples(index=False):
        click.echo(f"  {e.date} {e.type}: {e.from_code or '-'} → {e.to_code or '-'}")
