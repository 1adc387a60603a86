"""The ``geo`` command. Subcommands live in their own modules and are imported only when used."""

from __future__ import annotations

import importlib
import logging
import sys
import warnings

import click

from geo._errors import CRSError, SourceError, ValidationError

# subcommand name -> "module:attribute" of a click command or group
SUBCOMMANDS: dict[str, str] = {
    "boundaries": "geo.cli.boundaries:boundaries",
    "map": "geo.cli.maps:map_command",
    "join": "geo.cli.join:join_command",
    "points": "geo.cli.points:points_command",
    "gaps": "geo.cli.points:gaps_command",
    "run": "geo.cli.run:run_command",
    "demo": "geo.cli.run:demo_command",
    "sources": "geo.cli.sources:sources",
    "regions": "geo.cli.regions:regions",
    "hubs": "geo.cli.hubs:hubs_command",
    "scenarios": "geo.cli.scenarios:scenarios_command",
    "codes": "geo.cli.codes:codes",
    "remedies": "geo.cli.remedies:remedies_command",
    "report": "geo.cli.report:report_command",
}

# subcommand name -> the first paragraph of its help, so ``geo --help`` lists the commands without importing
# their modules (which import geopandas); tests/test_cli.py checks it against the real commands
SHORT_HELP: dict[str, str] = {
    "boundaries": "N03 administrative boundaries (国土数値情報 行政区域データ).",
    "codes": "Municipal codes through time (e-Stat 廃置分合等情報 1970-04-01 … 2024-01-01).",
    "demo": "Build the planner's demo map set from the pinned sources (what `make demo` runs); then open "
    "outputs/demo/index.html in a browser.",
    "gaps": "Find demand beyond walking distance of every station and bus stop (交通空白), per municipality; "
    "with --gtfs or --definition, usable service per time window and definition.",
    "hubs": "Rings and demand coverage of service-hub CANDIDATES (地域くらしサービス拠点), optionally siting and access.",
    "join": "Join TABLE (CSV/TSV/Excel keyed by municipal or prefecture codes, or a pinned source name) to the "
    "boundaries (--areas) and write the joined areas with the match report.",
    "map": "Map COLUMN over BOUNDARIES (N03 file, folder, pinned source name, or a layers.gpkg the toolkit wrote) "
    "and write OUTPUT.",
    "points": "Read INPUT (CSV lat/lon, GeoJSON, GeoPackage, a GTFS feed or a pinned source name), place each point "
    "in an area with the border rule every analysis uses, and count them per area.",
    "regions": "Wide-area regions: preset groupings (広域地方計画, 関西広域連合, 昇龍道 …) and your own CSV/TOML files.",
    "run": "Run the analysis described by CONFIG (TOML) into outputs/<run-name>/.",
    "scenarios": "交通空白 for the baseline and each scenario of a --scenarios file, by timetable and by walking "
    "distance, per municipality (scenarios.csv: scenario, muni_code, definition, window, gap_pop, gap_pop_baseline, "
    "delta).",
    "sources": "Pinned open-data sources (boundaries/sources.toml): URL, SHA-256, licence, credit.",
    "remedies": "Rank candidate remedies for 交通空白 (new stops, on-demand zones, added frequency on a GTFS route) "
    "by the gap population each removes, and choose the best --choose together.",
    "report": "Write the municipal カルテ of a finished run (RUN_FOLDER, what `geo run` wrote): per municipality "
    "report/<muni_code>.json, .html and an A4 .pdf, and report/index.html ranking them.",
}


class LazyGroup(click.Group):
    """A group that imports a subcommand's module only when that subcommand runs or shows its own help.

    ``geo --help`` lists the commands from :data:`SHORT_HELP` and imports none of them.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *SUBCOMMANDS])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in SUBCOMMANDS:
            module_name, attr = SUBCOMMANDS[cmd_name].split(":")
            return getattr(importlib.import_module(module_name), attr)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list from :data:`SHORT_HELP`, shortened as click shortens a command's own help."""
        rows: list[tuple[str, click.Command]] = []
        for name in self.list_commands(ctx):
            if name in SHORT_HELP:
                rows.append((name, click.Command(name, help=SHORT_HELP[name])))
            else:
                cmd = super().get_command(ctx, name)
                if cmd is not None and not cmd.hidden:
                    rows.append((name, cmd))
        if rows:
            limit = formatter.width - 6 - max(len(name) for name, _ in rows)
            with formatter.section("Commands"):
                formatter.write_dl([(name, cmd.get_short_help_str(limit)) for name, cmd in rows])


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-q", "--quiet", is_flag=True, help="Only print errors.")
@click.option("-v", "--verbose", is_flag=True, help="Print what each step does (CRS chosen, files read).")
@click.version_option(package_name="geo")
def cli(quiet: bool, verbose: bool) -> None:
    """Geospatial toolkit for regional revitalisation planning in Japan (地方創生2.0).

    Boundaries (国土数値情報 N03), indicator joins, transport-gap (交通空白) analysis, service-hub
    (地域くらしサービス拠点) coverage, wide-area regions (広域リージョン) and maps.
    """
    level = logging.ERROR if quiet else logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    ctx = click.get_current_context()
    ctx.ensure_object(dict)
    ctx.obj["quiet"] = quiet


def _show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int, file=None,
                  line: str | None = None) -> None:  # fmt: skip
    """A warning for a person: its message, not the Python file and source line that raised it."""
    click.echo(f"warning: {message}", err=True)


def main() -> None:
    """Entry point: exit 0 on success, 1 when the work failed (bad data, missing file), 2 on wrong usage."""
    warnings.showwarning = _show_warning

    try:
        cli.main(prog_name="geo", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except (ValidationError, SourceError, CRSError, FileNotFoundError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except OSError as exc:  # a read-only folder, a path under a file, a full disk: say which file and why
        where = exc.filename or "output"
        click.echo(f"error: cannot write {where}: {exc.strerror or exc}; choose another output path", err=True)
        sys.exit(1)
    sys.exit(0)
