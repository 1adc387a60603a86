"""``geo report``: the municipal カルテ of a finished run."""

from __future__ import annotations

from typing import Any

import click

from geo.cli.options import params_from, params_options, quiet
from geo.karte import write_karte
from geo.params import ReportParams


@click.command("report")
@click.argument("run_folder", type=click.Path(file_okay=False, exists=True))
@params_options(ReportParams)
@click.option("-o", "--output", default=None, type=click.Path(file_okay=False),
              help="Folder receiving the カルテ; default RUN_FOLDER/report.")  # fmt: skip
def report_command(run_folder: str, output: str | None, **values: Any) -> None:
    """Write the municipal カルテ of a finished run (RUN_FOLDER, what `geo run` wrote): per municipality
    report/<muni_code>.json, .html and an A4 .pdf, and report/index.html ranking them.

    \b
    Examples:
      geo report outputs/yamanashi
      geo report outputs/yamanashi --municipality 19201 --municipality 19202 --format html
      geo report outputs/yamanashi --prefecture 山梨県 --rank-by ageing_rate
    """

    if not values.get("formats"):
        values.pop("formats", None)  # no --format given: the default pages (html and pdf)
    params = params_from(ReportParams, values)
    result = write_karte(run_folder, params, out=output)
    if not quiet():
        click.echo(str(result))
        for path in result.files:
            click.echo(f"  {path}")
