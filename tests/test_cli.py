"""The ``geo`` command as a user runs it: exit codes (README: 0 success, 1 failure, 2 wrong usage)."""

from __future__ import annotations

import sys

import pytest

from geo.cli import main


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
        (("join", "n03-2021-s0010"), "Missing argument 'TABLE'"),
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
