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
    "codes": "geo.cli.codes:codes",
}


class LazyGroup(click.Group):
    """A group that imports a subcommand's module only when that subcommand runs (fast ``geo --help``)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *SUBCOMMANDS])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in SUBCOMMANDS:
            module_name, attr = SUBCOMMANDS[cmd_name].split(":")
            return getattr(importlib.import_module(module_name), attr)
        return super().get_command(ctx, cmd_name)


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
