"""The conda environment and the pip install must stay the same package set at the same versions."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pip_pins() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = {}
    for spec in [*project["dependencies"], *project["optional-dependencies"]["test"]]:
        name, version = spec.split("==")
        pins[_norm(name.split("[")[0])] = version
    return pins


def _conda_pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "environment.yml").read_text().splitlines():
        m = re.fullmatch(r"\s*-\s+([A-Za-z0-9_.-]+)\s*==?\s*([0-9][^\s#]*)\s*", line)
        if m and m.group(1) != "python":
            pins[_norm(m.group(1))] = m.group(2)
    return pins


def test_environment_yml_equals_pip_dependencies():
    assert _conda_pins() == _pip_pins()


def test_lock_file_agrees_with_direct_pins():
    locked = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==")
            locked[_norm(name)] = version.strip()
    for name, version in _pip_pins().items():
        assert locked.get(name) == version, f"{name}: pyproject {version}, requirements.lock {locked.get(name)}"
