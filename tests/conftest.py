"""Shared fixtures: the real open data (through GEO_DATA_MIRROR) and boundaries read once per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The local mirror of the pinned sources (``../shared/data`` here). Missing data fails loudly, never skips."""
    value = os.environ.get("GEO_DATA_MIRROR")
    if not value:
        pytest.fail("GEO_DATA_MIRROR is not set: run the tests with `make test` (it points it at ../shared/data)")
    path = Path(value)
    if not (path / "japan-topography-n03-2021").is_dir():
        pytest.fail(f"GEO_DATA_MIRROR={path} does not hold the shared open data (japan-topography-n03-2021/ missing)")
    return path


@pytest.fixture(scope="session")
def n03_dir(shared_data: Path) -> Path:
    return shared_data / "japan-topography-n03-2021"


@pytest.fixture(scope="session")
def municipalities(n03_dir: Path):
    """National municipalities and wards (1 % TopoJSON), canonical schema. Do not modify: copy first."""
    import geo

    return geo.read_boundaries(n03_dir / "topojson/s0010/N03-21_210101.json")


@pytest.fixture(scope="session")
def designated_cities(n03_dir: Path):
    """National municipalities with designated cities whole (1 % TopoJSON), canonical schema."""
    import geo

    return geo.read_boundaries(n03_dir / "topojson/s0010/N03-21_210101.json", level="designated_city")


@pytest.fixture(scope="session")
def prefectures(n03_dir: Path):
    """The 47 prefectures dissolved from the national municipal file, canonical schema."""
    import geo

    return geo.read_boundaries(n03_dir / "topojson/s0010/N03-21_210101.json", level="prefecture")


@pytest.fixture(scope="session")
def demo(tmp_path_factory, shared_data: Path):
    """The README's demo map set (Japan, then 山梨県), run once per session: (output root, [RunResult, ...])."""
    from geo.demo import run_demo

    root = tmp_path_factory.mktemp("demo")
    return root, run_demo(root, progress=False)
