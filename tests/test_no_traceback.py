"""Bad input ends in a clear message naming the file (and row/column/line) and the fix, never a traceback.

Each case runs the real `geo` command in a subprocess, as a user would, and checks the exit code (1 for bad data,
2 for wrong usage), that the message names the culprit, and that no Python traceback reaches the terminal.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

CASES = Path(__file__).resolve().parents[2] / "shared" / "cases" / "inputs"


def geo(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from geo.cli import main; main()", *args],
        capture_output=True, text=True, cwd=cwd, env=os.environ | {"PYTHONWARNINGS": "ignore"}, timeout=300,
    )  # fmt: skip


def assert_clean(result: subprocess.CompletedProcess[str], code: int, *needles: str) -> None:
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    assert result.returncode == code, output
    for needle in needles:
        assert needle in output, output


def test_output_folder_under_a_file(tmp_path: Path, shared_data: Path) -> None:
    (tmp_path / "afile").write_text("x")
    result = geo("gaps", "--mesh", "mesh1km-yamanashi", "--stations", "stations-n02-2023-points",
                 "--areas", "n03-2021-s0010", "--prefecture", "19", "-o", str(tmp_path / "afile" / "out"))  # fmt: skip
    assert_clean(result, 1, "afile", "is a file")


def test_output_gpkg_under_a_file(tmp_path: Path, shared_data: Path) -> None:
    (tmp_path / "afile").write_text("x")
    result = geo("join", "ssdse-a", "-o", str(tmp_path / "afile" / "j"))
    assert_clean(result, 1, "afile")


def test_unwritable_output_is_a_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A read-only folder (root ignores permission bits, so the refusal is simulated where it happens)."""
    import geo.store
    from geo.cli import main

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path / "ro" / "gaps.gpkg"))

    monkeypatch.setattr(geo.store, "write_layers", refuse)
    monkeypatch.setattr("sys.argv", ["geo", "gaps", "--mesh", "mesh1km-yamanashi", "--stations",
                                     "stations-n02-2023-points", "--areas", "n03-2021-s0010", "--prefecture", "19",
                                     "-o", str(tmp_path / "ro")])  # fmt: skip
    with pytest.raises(SystemExit) as stop:
        main()
    assert stop.value.code == 1


def test_usage_error_exits_2(shared_data: Path) -> None:
    assert_clean(geo("map", "n03-2021-s0010", "--no-such-option"), 2, "No such option")
    assert_clean(geo("gaps", "--areas", "n03-2021-s0010", "--grid"), 2, "--stations")


def test_config_with_bom_is_read(tmp_path: Path, shared_data: Path) -> None:
    config = tmp_path / "bom.toml"
    config.write_bytes(b'\xef\xbb\xbf[run]\nname = "bom"\n[area]\nprefectures = ["19"]\n')
    assert_clean(geo("run", str(config), "--check"), 0, "valid")


def test_check_refuses_output_under_a_file_and_bad_breaks(tmp_path: Path, shared_data: Path) -> None:
    (tmp_path / "afile").write_text("x")
    config = tmp_path / "run.toml"
    config.write_text(
        '[run]\nname = "x"\noutput_dir = "afile"\n[area]\nprefectures = ["19"]\n'
        '[[indicators]]\ntable = "ssdse-a"\ncolumns = ["pop_2020"]\n'
        '[[maps]]\ncolumn = "pop_2020"\nscheme = "user_defined"\nbreaks = [10, 5]\n',
        encoding="utf-8",
    )
    assert_clean(geo("run", str(config), "--check"), 1, "line 3: run.output_dir", "is a file",
                 "line 12: maps[0].breaks", "increase")  # fmt: skip


def test_check_reads_columns(tmp_path: Path, shared_data: Path) -> None:
    config = tmp_path / "run.toml"
    config.write_text(
        '[run]\nname = "x"\n[area]\nprefectures = ["19"]\n'
        '[[indicators]]\ntable = "ssdse-a"\ncolumns = ["no_such_column"]\n',
        encoding="utf-8",
    )
    assert_clean(geo("run", str(config), "--check"), 1, "no_such_column", "line 7: indicators[0].columns")
