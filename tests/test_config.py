"""Run configs are validated before any work starts, with the config line named for every problem."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from geo import ValidationError
from geo.config import load_config

GOOD = """
[run]
name = "t"

[area]
boundaries = "n03-2021-s0010"
prefectures = ["山梨県"]

[[points]]
name = "stations"
path = "stations-n02-2023-points"
kind = "station"

[[points]]
name = "mesh"
path = "mesh1km-yamanashi"
kind = "demand"

[gaps]
demand = "mesh"
supply = ["stations"]

[hubs]
candidates = "stations"
demand = "mesh"
radii_m = [1000, 5000]
choose = 3

[[maps]]
column = "gap_share_pct"
layers = ["gaps"]
"""


def _write(tmp_path, text):
    path = tmp_path / "run.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_good_config_loads(tmp_path):
    config = load_config(_write(tmp_path, GOOD))
    assert config.hubs.radii_m == (1000.0, 5000.0) and config.gaps.station_m == 800.0
    assert config.output_dir == tmp_path / "outputs" / "t"


def test_every_problem_is_reported_with_its_line(tmp_path):
    bad = GOOD.replace("choose = 3", "choose = 3\nradius = 5") \
              .replace('kind = "station"', 'kind = "railway"') \
              .replace("radii_m = [1000, 5000]", 'radii_m = "5 km"') \
              .replace('layers = ["gaps"]', 'layers = ["gaps", "roads"]')  # fmt: skip
    with pytest.raises(ValidationError) as err:
        load_config(_write(tmp_path, bad))
    message = str(err.value)
    lines = bad.splitlines()
    assert f"line {lines.index('radius = 5') + 1}: hubs.radius: unknown key 'radius'" in message
    assert "allowed here: candidates, demand, " in message and "radii_m" in message
    railway = lines.index('kind = "railway"') + 1
    assert f"line {railway}: points[0].kind: 'railway' is not one of" in message
    assert "hubs.radii_m: expected a list" in message
    assert "run.toml" in message


def test_missing_file_and_unknown_layer(tmp_path):
    bad = GOOD.replace('path = "mesh1km-yamanashi"', 'path = "data/mesh.csv"').replace(
        'supply = ["stations"]', 'supply = ["busstops"]'
    )
    with pytest.raises(ValidationError) as err:
        load_config(_write(tmp_path, bad))
    message = str(err.value)
    assert "'data/mesh.csv' is neither a file" in message
    assert "no [[points]] layer named 'busstops'" in message


def test_not_toml(tmp_path):
    with pytest.raises(ValidationError, match="not valid TOML"):
        load_config(_write(tmp_path, "[run\nname = 1"))
    with pytest.raises(FileNotFoundError):
        load_config(tmp_path / "nope.toml")


@pytest.mark.parametrize(
    ("old", "new", "line"),
    [
        ("radii_m = [1000, 5000]", "radii_m = [1000, 1e308]", "hubs.radii_m: radii_m = 1e+308"),
        ('supply = ["stations"]', 'supply = ["stations"]\nstation_m = inf', "gaps.station_m: station_m = inf"),
        ('supply = ["stations"]', 'supply = ["stations"]\nbus_m = -300', "gaps.bus_m: bus_m = -300"),
    ],
)
def test_check_refuses_distances_out_of_range_before_any_work(tmp_path, old, new, line):
    """A radius of 1e308 once ran, wrote Infinity coordinates, and --check called it valid."""
    from click.testing import CliRunner

    from geo.cli import cli

    path = _write(tmp_path, GOOD.replace(old, new))
    result = CliRunner().invoke(cli, ["run", str(path), "--check"])
    assert result.exit_code != 0
    message = str(result.exception) + result.output
    assert line in message and "give a finite number" in message and "line " in message


def test_check_finds_an_output_folder_that_cannot_be_written(tmp_path, monkeypatch):
    """--check once called valid an output_dir that the run only found unwritable at the end. (The suite runs as
    root, for whom every folder is writable: the permission is denied through os.access, as for another uid.)"""
    import os

    from click.testing import CliRunner

    from geo.cli import cli

    locked = tmp_path / "shared_outputs"
    locked.mkdir()
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p) == locked else real_access(p, mode))
    path = _write(tmp_path, GOOD.replace('name = "t"', f'name = "t"\noutput_dir = "{locked.as_posix()}"', 1))
    result = CliRunner().invoke(cli, ["run", str(path), "--check"])
    assert result.exit_code != 0
    message = str(result.exception) + result.output
    assert f"cannot write in {locked} (permission denied)" in message and "run.output_dir" in message
