"""Print the CLI reference (every `geo` subcommand's --help) as Markdown, for the README.

.venv/bin/python scripts/cli_reference.py > /tmp/cli.md
"""

from __future__ import annotations

import click
from click.testing import CliRunner

from geo.cli import cli


def _walk(group: click.Group, prefix: list[str]):
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        yield [*prefix, name]
        if isinstance(command, click.Group):
            yield from _walk(command, [*prefix, name])


def main() -> None:
    runner = CliRunner()
    print("```text\n" + runner.invoke(cli, ["--help"], terminal_width=100).output.rstrip() + "\n```\n")
    for path in _walk(cli, []):
        out = runner.invoke(cli, [*path, "--help"], terminal_width=100).output.rstrip()
        print(f"### geo {' '.join(path)}\n\n```text\n{out}\n```\n")


if __name__ == "__main__":
    main()
