"""Every row of the speed table of issue #24 in one run: each benchmark script, both sides in the same run.

Run:  GEO_DATA_MIRROR=../shared/data python scripts/bench_all.py [--quick] [--skip html,gtfs]

Each row comes from one of the project's benchmark scripts, run as a child process with sizes that finish in
a few minutes on a 2-core machine; each script measures geo and its baseline in the same run (alternating,
new inputs every round, the first call in fresh processes apart) and asserts identical answers. This script
only reads their printed figures and prints them as one table:

``workload | geo | baseline | ratio | target | met``

ratio = baseline time ÷ geo time (above 1: geo faster), except ``geo --help``, where it is geo's time ÷
``import geopandas`` (the target is at most 0.5) and the HTML size row (MB). The load average at the start
and end is printed: the machine is shared, so absolute times vary; rerun for current figures.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
NUMBER = r"([\d.]+)"


@dataclass
class Row:
    workload: str
    geo: str
    baseline: str
    ratio: float
    target: str
    met: bool


def run(script: str, *args: str) -> str:
    """A benchmark script's stdout (a failure raises with its stderr)."""
    env = {**os.environ, "PYTHONPATH": str(HERE.parent)}
    done = subprocess.run([sys.executable, str(HERE / script), *args], capture_output=True, text=True, env=env)
    if done.returncode not in (0, 1):  # 1: the script ran and reports a missed target
        raise RuntimeError(f"{script} {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return done.stdout


def section(text: str, header: str) -> str:
    """The lines after the line starting with ``header`` up to the next blank line."""
    start = text.index(header)
    end = text.find("\n\n", start)
    return text[start : end if end >= 0 else len(text)]


def table_row(text: str, n: int) -> tuple[float, float, float]:
    """(geo s, baseline s, ratio) of the row for ``n`` points in a bench_scale table."""
    match = re.search(rf"^\s*{n:,}\s+{NUMBER}\s+{NUMBER}\s+{NUMBER}", text, re.M)
    if match is None:
        raise RuntimeError(f"no row for {n:,} points in:\n{text}")
    g, b, r = (float(v) for v in match.groups())
    return g, b, r


def points_rows(quick: bool) -> list[Row]:
    sizes = [1_000, 1_000_000]
    out = run("bench_scale.py", "--only-points", "--quick", "--sizes", ",".join(map(str, sizes)))
    rows = []
    first = section(out, "FIRST CALL")
    warm = section(out, "WARM point")
    for n in sizes:
        target = 3.0 if n >= 1_000_000 else 1.0
        g, b, r = table_row(first, n)
        rows.append(Row(f"assign_points first call, fresh process, {n:,} points", f"{g:.3f} s", f"sjoin {b:.3f} s",
                        r, f"≥ {target:g}×", r >= target))  # fmt: skip
        g, b, r = table_row(warm, n)
        rows.append(Row(f"assign_points warm, new points, {n:,}", f"{g:.3f} s", f"sjoin {b:.3f} s", r, "—", True))
    return rows


def read_rows() -> list[Row]:
    out = run("bench_scale.py", "--only-read")
    rows = []
    for line in section(out, "READ N03").splitlines()[2:]:
        match = re.match(rf"(.+?)\s+{NUMBER}\s+{NUMBER}\s+{NUMBER}\s+\d+$", line)
        if match:
            label, base, g, r = match.group(1).strip(), *(float(v) for v in match.groups()[1:])
            rows.append(Row(f"read N03 cold: {label}", f"{g:.3f} s", f"read_file {base:.3f} s", r, "≥ 0.8×", r >= 0.8))
    return rows


def gtfs_row() -> list[Row]:
    out = run("bench_timetable.py", "--repeat", "3")
    m = re.search(rf"stop_departures {NUMBER} s; gtfs-kit read_feed \+ compute_stop_stats {NUMBER} s; "
                  rf"ratio gtfs-kit / geo = {NUMBER}×", out)  # fmt: skip
    if m is None:
        raise RuntimeError(f"no end-to-end line in bench_timetable output:\n{out}")
    g, b, r = (float(v) for v in m.groups())
    return [Row("GTFS zip → departures, ~1M stop_times", f"{g:.2f} s", f"gtfs-kit {b:.2f} s", r, "≥ 3×, ≤ 2 s",
                r >= 3 and g <= 2)]  # fmt: skip


def siting_rows(quick: bool) -> list[Row]:
    rows = []
    every = "4" if quick else "2"
    out = run("bench_pmedian.py", "--repeat", "3", "--k", "5", "--every", every, "--methods", "p_median")
    out += run("bench_pmedian.py", "--repeat", "3", "--k", "5", "--every", "8", "--methods", "p_center")
    for m in re.finditer(rf"(p_median|p_center) k=(\d+): geo {NUMBER} s, spopt {NUMBER} s, ratio {NUMBER}×.*gap (\S+)",
                         out):  # fmt: skip
        model, k, g, b, r, gap = m.groups()
        rows.append(Row(f"exact {model} k={k}, 山梨 stations × cells (same optimum, gap {gap})", f"{float(g):.2f} s",
                        f"spopt {float(b):.2f} s", float(r), "≥ 3×", float(r) >= 3))  # fmt: skip
    out = run("bench_hubs.py", "--siting", "--repeat", "5")
    m = re.search(rf"coverage ([\d,]+ × [\d,]+) at \d+ m: toolkit {NUMBER} s, numpy {NUMBER} s, ratio {NUMBER}×", out)
    if m is not None:
        size, g, b, r = m.group(1), *(float(v) for v in m.groups()[1:])
        rows.append(Row(f"hub coverage {size}", f"{g:.3f} s", f"ECEF cKDTree {b:.3f} s", r, "≥ 1×", r >= 1))
    return rows


def html_rows() -> list[Row]:
    out = run("bench_html_map.py", "--repeat", "3")
    rows = []
    for m in re.finditer(r"^(.+?)\s+geo\.choropleth\s+([\d.]+)\s+[\d.]+\s+([\d.]+)", out, re.M):
        label, size, load = m.group(1).strip(), float(m.group(2)), float(m.group(3))
        ratio = re.search(rf"{re.escape(label)}: size .*ratio folium / geo = {NUMBER}×", out)
        folium = re.search(rf"^{re.escape(label)}\s+folium offline\s+([\d.]+)\s+[\d.]+\s+([\d.]+)", out, re.M)
        rows.append(Row(f"HTML choropleth {label}", f"{size:.2f} MB, drawn {load:.2f} s",
                        f"folium offline {folium.group(1)} MB, {folium.group(2)} s" if folium else "—",
                        float(ratio.group(1)) if ratio else float("nan"), "≤ 1.2 MB, ≤ 0.6 s",
                        size <= 1.2 and load <= 0.6))  # fmt: skip
    return rows


def small_rows() -> list[Row]:
    rows = []
    out = run("bench_jenks.py", "--repeat", "21")
    m = re.search(rf"geo {NUMBER} ms; mapclassify {NUMBER} ms; ratio mapclassify / geo = {NUMBER}×", out)
    if m is not None:
        g, b, r = (float(v) for v in m.groups())
        rows.append(Row("Fisher–Jenks warm, 1,906 values", f"{g:.1f} ms", f"mapclassify {b:.1f} ms", r, "≥ 1×", r >= 1))
    out = run("bench_cli_help.py", "--repeat", "7")
    g = re.search(rf"geo --help\s+{NUMBER} s", out)
    b = re.search(rf"import geopandas\s+{NUMBER} s", out)
    if g and b:
        tg, tb = float(g.group(1)), float(b.group(1))
        rows.append(Row("geo --help, fresh process", f"{tg:.3f} s", f"import geopandas {tb:.3f} s", tg / tb,
                        "≤ 0.5× (geo / baseline)", tg / tb <= 0.5))  # fmt: skip
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller p-median instance")
    parser.add_argument("--skip", default="", help="comma-separated: points, read, gtfs, siting, html, small")
    args = parser.parse_args()
    if not os.environ.get("GEO_DATA_MIRROR"):
        print("set GEO_DATA_MIRROR to the shared data folder (e.g. ../shared/data)", file=sys.stderr)
        return 2
    skip = set(filter(None, args.skip.split(",")))
    parts = {
        "points": lambda: points_rows(args.quick),
        "read": read_rows,
        "gtfs": gtfs_row,
        "siting": lambda: siting_rows(args.quick),
        "html": html_rows,
        "small": small_rows,
    }
    load0, start = os.getloadavg()[0], time.perf_counter()
    rows: list[Row] = []
    for name, part in parts.items():
        if name in skip:
            continue
        try:
            rows += part()
        except (RuntimeError, ValueError, AttributeError) as exc:
            print(f"{name}: {exc}", file=sys.stderr)
            rows.append(Row(f"{name}: failed (see stderr)", "—", "—", float("nan"), "—", False))
    print(f"load average {load0:.1f} at the start, {os.getloadavg()[0]:.1f} at the end; "
          f"{time.perf_counter() - start:.0f} s; {os.cpu_count()} CPUs")  # fmt: skip
    print("| workload | geo | baseline | ratio | target | met |")
    print("| --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r.workload} | {r.geo} | {r.baseline} | {r.ratio:.2f}× | {r.target} | {'yes' if r.met else 'NO'} |")
    return 0 if all(r.met for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
