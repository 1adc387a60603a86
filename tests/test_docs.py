"""Every example in the README and docs/ runs: each ``sh`` and ``python`` block, in order, page by page.

A page's examples run in one fresh working folder (its ``outputs/`` and a copy of the example configs), so a
later command may use what an earlier one wrote, as a reader following the page would. The shared data stands
in for the network (GEO_DATA_MIRROR). ``make`` lines are the two set-up commands themselves — ``.ci/run`` runs
``make test``, and ``make demo`` is ``geo demo``, which the ``demo`` fixture runs — and ``. .venv/bin/activate``
only changes the shell; neither is run here. Illustrative snippets that need what a test cannot have (a dask
cluster) are ``text`` blocks, not examples.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from geo.cli import cli

ROOT = Path(__file__).resolve().parents[1]
GENERATED = {"cli.md", "config.md"}  # written from the code (tests/test_cli.py, tests/test_config_reference.py)
PAGES = [ROOT / "README.md", *(p for p in sorted((ROOT / "docs").glob("*.md")) if p.name not in GENERATED)]
BLOCK = re.compile(r"^```(sh|python)\n(.*?)^```", re.M | re.S)
NOT_RUN = ("make ", ". .venv/bin/activate", "export ")


def examples(page: Path) -> list[tuple[str, str]]:
    return BLOCK.findall(page.read_text(encoding="utf-8"))


def shell_commands(text: str) -> list[list[str]]:
    """The commands of an ``sh`` block: continuation lines joined, comments dropped."""
    out = []
    for line in text.replace("\\\n", " ").splitlines():
        words = shlex.split(line, comments=True)
        if words:
            out.append(words)
    return out


@contextlib.contextmanager
def working_folder(path: Path):
    path.mkdir()
    shutil.copytree(ROOT / "scripts", path / "scripts", ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    before = Path.cwd()
    os.chdir(path)
    try:
        yield path
    finally:
        os.chdir(before)


def test_links_between_pages_resolve() -> None:
    assert examples(ROOT / "README.md"), "the README shows how to use the toolkit"
    for page in [*PAGES, *(ROOT / "docs" / n for n in GENERATED)]:
        for target in re.findall(r"\]\(([^)#:]+\.(?:md|png))(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            assert (page.parent / target).exists(), f"{page.name} links {target}, which does not exist"


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_examples_run(page: Path, tmp_path: Path, shared_data: Path) -> None:
    blocks = examples(page)
    namespace: dict[str, object] = {"__name__": "__docs__"}
    with working_folder(tmp_path / "work"):
        for kind, text in blocks:
            if kind == "python":
                exec(compile(text, f"{page.name} example", "exec"), namespace)  # the docs' own code, run as written
                continue
            for words in shell_commands(text):
                if " ".join(words).startswith(NOT_RUN):
                    continue
                assert words[0] == "geo", f"{page.name}: an sh example runs only geo, make or activate: {words}"
                result = CliRunner().invoke(cli, words[1:], prog_name="geo")
                assert result.exit_code == 0, f"{page.name}: {' '.join(words)}\n{result.output}"
