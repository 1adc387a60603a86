"""``geo run`` and ``geo demo``: config-driven runs."""

from __future__ import annotations

import click

from geo.demo import run_demo
from geo.pipeline import run, validate


@click.command("run")
@click.argument("config", type=click.Path(dir_okay=False))
@click.option("--db", default=None, help="Also write every layer to PostGIS (postgresql://user@host/db).")
@click.option(
    "--check", is_flag=True,
    help="Only validate: keys, types, files, output folder, map breaks and every column named (inputs are read).",
)  # fmt: skip
@click.option(
    "-o",
    "--output-root",
    default=None,
    type=click.Path(file_okay=False),
    help="Write into OUTPUT_ROOT/<run-name>/ instead of the config's output_dir.",
)
@click.pass_context
def run_command(ctx: click.Context, config: str, db: str | None, check: bool, output_root: str | None) -> None:
    """Run the analysis described by CONFIG (TOML) into outputs/<run-name>/.

    \b
    Examples:
      geo run scripts/tokyo_station_gaps.toml --check
      geo run scripts/tokyo_station_gaps.toml
      geo run scripts/regions_compare.toml --db postgresql://geo@localhost/geo
    """

    if check:
        cfg = validate(config)
        click.echo(f"{config}: valid (run {cfg.run.name!r})")
        return
    quiet = (ctx.find_root().obj or {}).get("quiet", False)
    result = run(config, db=db, progress=not quiet, output_root=output_root)
    if not quiet:
        for name, summary in result.summaries.items():  # what each question found, as its command prints it
            click.echo(f"== {name}\n{summary}")
        click.echo(f"wrote {len(result.files)} files to {result.output_dir}")


@click.command("demo")
@click.option("-o", "--output-root", default="outputs/demo", show_default=True, type=click.Path(file_okay=False))
@click.pass_context
def demo_command(ctx: click.Context, output_root: str) -> None:
    """Build the planner's demo map set from the pinned sources (what `make demo` runs); then open
    outputs/demo/index.html in a browser.

    \b
    Example:
      geo demo
    """

    quiet = (ctx.find_root().obj or {}).get("quiet", False)
    results = run_demo(output_root, progress=not quiet)
    if not quiet:
        for r in results:
            click.echo(f"{r.manifest['run']}: {len(r.files)} files in {r.output_dir}")
        click.echo(f"open {output_root}/index.html")
