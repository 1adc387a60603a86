"""The demo: the planner's map set built from the pinned sources (what ``make demo`` runs).

The demo is a set of ordinary run configs (``geo/data/demo/*.toml``, readable examples of every feature),
run one after the other into ``outputs/demo/``, plus an ``index.html`` that links every map.
"""

from __future__ import annotations

import html
from importlib import resources
from pathlib import Path

from geo._io import write_text_atomic
from geo.pipeline import RunResult, run

DEMO_CONFIGS = ("japan", "yamanashi", "nakatsugawa")


def demo_config_paths() -> list[Path]:
    """The packaged demo configs, in run order."""
    folder = resources.files("geo").joinpath("data/demo")
    return [Path(str(folder.joinpath(f"{name}.toml"))) for name in DEMO_CONFIGS]


def run_demo(output_root: str | Path = "outputs/demo", *, progress: bool = True) -> list[RunResult]:
    """Run every demo config into ``output_root`` and write ``output_root/index.html``."""
    root = Path(output_root)
    results = [run(path, progress=progress, output_root=root) for path in demo_config_paths()]
    write_index(results, root / "index.html")
    return results


def write_index(results: list[RunResult], path: Path) -> Path:
    """A small self-contained page linking every map of the runs (opens offline, no scripts)."""
    sections = []
    for result in results:
        title = result.manifest["parameters"]["run"]["title"] or result.manifest["run"]
        items = []
        for spec in result.manifest["parameters"]["maps"]:
            name = spec["name"] or spec["column"]
            links = " ・ ".join(
                f'<a href="{html.escape(result.output_dir.name)}/{html.escape(name)}.{fmt}">{fmt.upper()}</a>'
                for fmt in spec["formats"]
            )
            items.append(f"<li>{html.escape(spec['title'] or name)} — {links}</li>")
        tables = f'<a href="{html.escape(result.output_dir.name)}/layers.gpkg">GeoPackage</a>'
        if result.manifest["parameters"].get("report"):  # the municipal カルテ of the run, ranked
            karte = f"{html.escape(result.output_dir.name)}/report/index.html"
            items.append(f'<li><a href="{karte}">市町村カルテ（一覧・HTML・A4 PDF）</a></li>')
        sections.append(
            f"<h2>{html.escape(title)}</h2>\n<ul>\n{''.join(items)}\n<li>{tables} ・ "
            f'<a href="{html.escape(result.output_dir.name)}/run.json">run.json</a></li>\n</ul>'
        )
    page = f"""<!DOCTYPE html>
<html lang="ja"><head><meta charset="utf-8"><title>地方創生2.0 デモ地図</title>
<style>
body{{font-family:sans-serif;max-width:52em;margin:2em auto;line-height:1.6}}
h2{{border-bottom:1px solid #ccc}}
</style>
</head><body>
<h1>地方創生2.0 地図セット（デモ）</h1>
<p>各地図はオフラインで開ける単一の HTML ファイルです。印刷用に PNG も用意しています。</p>
{chr(10).join(sections)}
</body></html>
"""
    return write_text_atomic(path, page)
