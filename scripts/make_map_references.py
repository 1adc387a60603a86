"""Regenerate the reference images of the static-map tests (tests/reference/*.png).

Run from the repository root after an intended change of how static maps look, then LOOK at every image
(they are small PNGs) before committing them:

    python scripts/make_map_references.py

The scenes are defined in tests/map_scenes.py (tiny hand-made maps, see its docstring); the tests in
tests/test_maps_reference.py compare fresh renderings with these files block by block, with a tolerance.
Each image must stay under 100 kB.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

import map_scenes  # noqa: E402


def main() -> None:
    map_scenes.REFERENCE_DIR.mkdir(exist_ok=True)
    for name in map_scenes.SCENES:
        path = map_scenes.render(name, map_scenes.REFERENCE_DIR / f"{name}.png")
        size = path.stat().st_size
        print(f"{path.relative_to(ROOT)}: {size / 1000:.1f} kB")
        if size >= 100_000:
            raise SystemExit(f"{path}: {size} bytes, keep reference images under 100 kB")


if __name__ == "__main__":
    main()
