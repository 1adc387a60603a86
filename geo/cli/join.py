"""``geo join``: join a statistics table to boundaries (:func:`geo.analyses.join`) and write the result."""

from __future__ import annotations

import json

import click

from geo import analyses
from geo._inputs import credit_of
from geo.cli.options import area_options, finish, output_options, params_from, params_options
from geo.crosswalk import read_weights
from geo.params import AreaParams, JoinParams
from geo.store import check_output_folder


@click.command("join")
@click.argument("table")
@area_options
@params_options(JoinParams)
@click.option("--weights", type=click.Path(dir_okay=False, exists=True), default=None,
              help="With --as-of: CSV apportioning split codes (see geo codes convert --help).")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON instead of text.")
@output_options("outputs/join")
def join_command(table: str, areas: str, weights: str | None, as_json: bool, output: str,
                 credits: tuple[str, ...], **options: object) -> None:  # fmt: skip
    """Join TABLE (CSV/TSV/Excel keyed by municipal or prefecture codes, or a pinned source name) to the
    boundaries (--areas) and write the joined areas with the match report.

    Every area without data and every table row without an area is reported, with a suggestion where a
    name matches (codes change when towns become cities). --level auto joins at the table's level.

    \b
    Examples:
      geo join ssdse-a-raw --level designated_city -o outputs/ssdse_a
      geo join census2020-wards --level municipality --prefecture 山梨県 -o outputs/yamanashi_census
      geo join ssdse-e-raw --level prefecture -o outputs/prefs
    """
    area, params = params_from(AreaParams, options), params_from(JoinParams, options)
    check_output_folder(output)
    frame = analyses.read_table(table, params)
    selection = analyses.select(areas, area, table=frame)
    result = analyses.join(selection, frame, params, weights=read_weights(weights),
                           credits=(*credit_of(table), *credits))  # fmt: skip
    finish(result, output, params=(area, params), inputs={"areas": areas, "table": table}, summary=not as_json)
    if as_json:
        click.echo(json.dumps(result.report.to_dict(), ensure_ascii=False, indent=2, default=str))
