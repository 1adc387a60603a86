"""Static maps compared with reference images: a map drawn wrongly fails, not only a blank one.

The scenes (tests/map_scenes.py) are tiny hand-made maps; the references in tests/reference/ come from
scripts/make_map_references.py. Images are compared block by block (8 × 8 px means of each channel), so a
sub-pixel change of anti-aliasing passes while a label hidden under a layer, an extra legend row or an extra
inset frame fails. Each "breaks" test puts one old fault back on purpose and checks that the comparison
catches it.
"""

from __future__ import annotations

import importlib
from dataclasses import replace
from pathlib import Path

import map_scenes  # pytest's default (prepend) import mode puts tests/ on sys.path
import numpy as np
import pytest
from PIL import Image

from geo.maps import static
from geo.maps.style import LAYER_STYLES, Classes

BLOCK = 8
#: largest allowed difference of a block mean (0–255): anti-aliasing noise stays far below, a missing glyph or
#: frame line far above
BLOCK_TOLERANCE = 6.0


def block_difference(a: Path, b: Path) -> float:
    """Largest difference between the 8 × 8-pixel block means of two equally sized RGB images (0–255).

    Raises
    ------
    AssertionError
        When the sizes differ (a size change is a failure in itself).
    """
    x = np.asarray(Image.open(a).convert("RGB"), dtype=float)
    y = np.asarray(Image.open(b).convert("RGB"), dtype=float)
    assert x.shape == y.shape, f"image size {x.shape[:2]} != reference {y.shape[:2]}"
    h, w = (x.shape[0] // BLOCK) * BLOCK, (x.shape[1] // BLOCK) * BLOCK
    d = np.abs(x[:h, :w] - y[:h, :w]).reshape(h // BLOCK, BLOCK, w // BLOCK, BLOCK, 3).mean(axis=(1, 3))
    return float(d.max())


def _matches(name: str, tmp_path: Path) -> float:
    out = map_scenes.render(name, tmp_path / f"{name}.png")
    return block_difference(out, map_scenes.REFERENCE_DIR / f"{name}.png")


@pytest.mark.parametrize("name", sorted(map_scenes.SCENES))
def test_scene_matches_its_reference(name: str, tmp_path: Path) -> None:
    ref = map_scenes.REFERENCE_DIR / f"{name}.png"
    assert ref.stat().st_size < 100_000
    assert _matches(name, tmp_path) <= BLOCK_TOLERANCE, (
        f"{name}: differs from tests/reference/{name}.png; if the change is intended, run "
        "scripts/make_map_references.py and look at the new image"
    )


def test_labels_under_layers_fail(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(static, "_LABEL_Z", 2)  # names under the layers, as before the fix
    assert _matches("labels", tmp_path) > 3 * BLOCK_TOLERANCE


def test_empty_legend_class_fails(tmp_path: Path, monkeypatch) -> None:
    shown = Classes.legend_items
    monkeypatch.setattr(Classes, "legend_items", lambda self, **kw: shown(self, include_empty=True))  # 「5以上（0）」
    assert _matches("legend", tmp_path) > 3 * BLOCK_TOLERANCE


def test_empty_inset_fails(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(static, "MIN_INSET_LAND_KM2", 0.0)  # an inset for the islet: an almost empty box
    assert _matches("inset", tmp_path) > 3 * BLOCK_TOLERANCE


def test_points_outside_the_selection_fail(tmp_path: Path, monkeypatch) -> None:
    module = importlib.import_module("geo.maps.choropleth")  # geo.maps.choropleth is also the function's name
    monkeypatch.setattr(module, "_points_on_the_map", lambda layers, areas: (layers, []))  # drawn as before
    monkeypatch.setattr(static._Sheet, "_homes", staticmethod(lambda layer, main, groups: None))
    assert _matches("points", tmp_path) > 3 * BLOCK_TOLERANCE


def test_unhatched_no_data_fails(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(static, "_NODATA_HATCH", None)  # grey only, as before
    assert _matches("nodata", tmp_path) > 3 * BLOCK_TOLERANCE


def test_filled_gap_cells_fail(tmp_path: Path, monkeypatch) -> None:
    old = replace(LAYER_STYLES["gap_cells"], hatch=None, fill_opacity=0.45)  # the 45 % red fill of before
    monkeypatch.setitem(LAYER_STYLES, "gap_cells", old)
    assert _matches("cells", tmp_path) > 3 * BLOCK_TOLERANCE


def test_block_difference_ignores_noise_and_sees_a_line(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    base = np.full((64, 64, 3), 200, dtype=np.uint8)
    noisy = np.clip(base + rng.integers(-3, 4, base.shape), 0, 255).astype(np.uint8)
    line = base.copy()
    line[30:32, 8:16] = 0  # a 2 × 8 px dark stroke
    paths = []
    for i, arr in enumerate((base, noisy, line)):
        paths.append(tmp_path / f"{i}.png")
        Image.fromarray(arr).save(paths[-1])
    assert block_difference(paths[0], paths[1]) <= 3
    assert block_difference(paths[0], paths[2]) > 3 * BLOCK_TOLERANCE
