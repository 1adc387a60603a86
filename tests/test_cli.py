"""The ``geo`` command as a user runs it: exit codes (README: 0 success, 1 failure, 2 wrong usage)."""

from __future__ import annotations

import os
import re
import shlex
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from geo.cli import cli, main


def _exit_code(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    """Run ``geo ARGS`` through the console-script entry point (geo.cli:main) and return its exit code."""
    monkeypatch.setattr(sys, "argv", ["geo", *args])
    with pytest.raises(SystemExit) as stop:
        main()
    return stop.value.code


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "Usage: geo"),  # no subcommand: the usage text
        (("nosuchcommand",), "No such command 'nosuchcommand'"),
        (("--bogus",), "No such option '--bogus'"),
        (("map", "--bogus"), "No such option '--bogus'"),
        (("run",), "Missing argument 'CONFIG'"),
        (("join", "--areas", "n03-2021-s0010"), "Missing argument 'TABLE'"),
        (("sources", "fetch"), "Missing argument 'NAMES...'"),
        (("map", "n03-2021-s0010", "-c", "pop", "-o", "x.html", "--scheme", "bogus"), "Invalid value for '--scheme'"),
        (("gaps", "--areas", "n03-2021-s0010"), "give exactly one of --mesh, --demand or --grid"),
        (("gaps", "--areas", "n03-2021-s0010", "--grid"), "give at least one --stations or --bus-stops"),
    ],
)
def test_usage_errors_exit_2_with_the_usage_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], message: str
) -> None:
    assert _exit_code(monkeypatch, *args) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_failures_exit_1_and_help_exits_0(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path
) -> None:
    assert _exit_code(monkeypatch, "sources", "fetch", "no-such-source") == 1
    assert "error: unknown source 'no-such-source'" in capsys.readouterr().err
    assert _exit_code(monkeypatch, "run", str(tmp_path / "missing.toml")) == 1
    assert "no such config file" in capsys.readouterr().err
    assert _exit_code(monkeypatch, "run", "--help") == 0
    assert _exit_code(monkeypatch, "--version") == 0


# ---------------------------------------------------------------------------------------------- --help examples

ROOT = Path(__file__).resolve().parents[1]
FILE_SUFFIXES = (".csv", ".json", ".geojson", ".zip", ".toml", ".gpkg", ".txt", ".xlsx", ".html", ".png", ".pdf")
OUTPUT_OPTIONS = ("-o", "--output", "--output-dir")


def _commands(group: click.Group, prefix: tuple[str, ...] = ()):
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))


def _examples(path: tuple[str, ...]) -> list[list[str]]:
    """The example command lines of ``geo PATH --help``, continuation lines (ending in \\) joined, split as a shell."""
    text = CliRunner().invoke(cli, [*path, "--help"], terminal_width=200).output
    if "Example" not in text:
        return []
    block = text.split("Example", 1)[1].split("\nOptions:", 1)[0].replace("\\\n", " ")
    lines = [line.strip() for line in block.splitlines() if line.strip().startswith("geo ")]
    return [shlex.split(line.split(" && ")[0]) for line in lines]


def _files(argv: list[str]) -> tuple[list[str], list[str]]:
    """(input files, output files) an example command line names."""
    inputs, outputs = [], []
    for i, token in enumerate(argv):
        if not token.lower().endswith(FILE_SUFFIXES) or "://" in token:
            continue
        (outputs if i > 0 and argv[i - 1] in OUTPUT_OPTIONS else inputs).append(token)
    return inputs, outputs


def test_every_help_example_names_files_that_exist(shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Inputs exist in the checkout, under $GEO_DATA_MIRROR, or are written by another example (-o)."""
    from geo.sources import list_sources

    monkeypatch.setenv("GEO_DATA_MIRROR", str(shared_data))
    names = {s.name for s in list_sources()}
    examples = [(path, argv) for path in _commands(cli) for argv in _examples(path)]
    written = {out for _, argv in examples for out in _files(argv)[1]} | {
        argv[i + 1] for _, argv in examples for i, t in enumerate(argv[:-1]) if t in OUTPUT_OPTIONS
    }  # files and folders (geo gaps -o outputs/yamanashi) that some example writes
    missing, seen = [], 0
    for path, argv in examples:
        seen += 1
        for token in _files(argv)[0]:
            real = Path(os.path.expandvars(token))
            made = token in written or str(Path(token).parent) in written
            if not (real.is_absolute() and real.exists()) and not (ROOT / real).exists() and not made:
                missing.append(f"geo {' '.join(path)} --help: {' '.join(argv)}: {token}")
        assert argv[1] in cli.list_commands(click.Context(cli)), argv
        for token in argv[2:]:  # pinned names must be real ones
            if re.fullmatch(
                r"n03-[\w-]+|ssdse-[\w-]+|mesh1km-[\w-]+|stations-[\w-]+|gtfs-[\w-]+|census2020-[\w-]+", token
            ):
                assert token in names, f"{' '.join(argv)}: {token} is no pinned source"
    assert seen > 30
    assert missing == []


@pytest.mark.parametrize(
    "argv",
    [
        ["sources", "list"],
        ["sources", "info", "stations-n02-2023-points"],
        ["sources", "credit", "n03-2021-s0010", "ssdse-a"],
        ["regions", "list"],
        ["regions", "show", "昇龍道"],
        ["boundaries", "info", "n03-2021-s0010", "--level", "designated_city"],
    ],
)
def test_cheap_help_examples_run(argv: list[str], shared_data: Path) -> None:
    """The examples that only read run as printed (each also appears in some --help, checked here)."""
    line = " ".join(["geo", *argv])
    assert any(" ".join(ex) == line for path in _commands(cli) for ex in _examples(path)), line
    result = CliRunner().invoke(cli, argv)
    assert result.exit_code == 0, result.output


def test_help_example_configs_pass_check(monkeypatch: pytest.MonkeyPatch, shared_data: Path) -> None:
    configs = {a[2] for a in _examples(("run",)) if len(a) > 2 and a[2].endswith(".toml")}
    assert configs
    monkeypatch.chdir(ROOT)
    for config in sorted(configs):
        result = CliRunner().invoke(cli, ["run", config, "--check"])
        assert result.exit_code == 0, result.output


@pytest.mark.parametrize(("encoding", "bom"), [("cp932", b""), ("utf-8", b"\xef\xbb\xbf")])
def test_a_config_saved_as_shift_jis_or_with_a_bom_reads_like_utf8(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], encoding: str, bom: bytes
) -> None:
    """Notepad and Excel users save TOML as CP932 or UTF-8 with BOM: the one encoding sniffer reads both."""
    config = tmp_path / "run.toml"
    config.write_bytes(bom + '[run]\nname = "yamanashi"\ntitle = "山梨県の交通空白"\n'.encode(encoding))
    assert _exit_code(monkeypatch, "run", str(config), "--check") == 0
    assert "valid" in capsys.readouterr().out


def test_cli_reference_is_in_sync() -> None:
    """docs/cli.md is what the commands print (regenerate: scripts/cli_reference.py)."""
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "scripts" / "cli_reference.py"
    spec = importlib.util.spec_from_file_location("cli_reference", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    assert module.OUT.read_text(encoding="utf-8") == module.document(), "run: python scripts/cli_reference.py"


# ---------------------------------------------------------------------------------------------- light --help


def test_short_help_table_matches_the_real_commands() -> None:
    """``geo --help`` lists commands from SHORT_HELP: each entry shortens exactly as the real command's help."""
    from geo.cli import SHORT_HELP, SUBCOMMANDS

    assert set(SHORT_HELP) == set(SUBCOMMANDS)
    ctx = click.Context(cli)
    for name in SUBCOMMANDS:
        real = cli.get_command(ctx, name)
        assert real is not None and not real.hidden
        table = click.Command(name, help=SHORT_HELP[name])
        for limit in (20, 45, 70, 120, 400):
            assert table.get_short_help_str(limit) == real.get_short_help_str(limit), (name, limit)


def test_top_level_help_imports_no_subcommand_and_no_geopandas() -> None:
    """The listing comes from the table: no subcommand module, geopandas, pandas or shapely is imported."""
    import subprocess

    code = (
        "import sys\nfrom geo.cli import main\nsys.argv = ['geo', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in ('geopandas', 'pandas', 'shapely', 'pyogrio')"
        " or m.startswith('geo.cli.')]\nprint('HEAVY', heavy, file=sys.stderr)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert "HEAVY []" in done.stderr
    assert "boundaries  N03 administrative boundaries" in done.stdout
