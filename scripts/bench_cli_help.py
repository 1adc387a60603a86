"""Benchmark: ``geo --help`` against ``import geopandas``, each in a fresh process, interleaved (issue #24).

Run:  python scripts/bench_cli_help.py [--repeat 7]

``geo --help`` lists the subcommands from a table of short help (geo.cli.SHORT_HELP, checked against the real
commands by tests/test_cli.py) and imports none of them; the target is at most half the time of importing
geopandas, which every subcommand needs. Wall time of the whole process, Python start-up included on both sides.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    geo = str(Path(sys.executable).parent / "geo")
    commands = {"geo --help": [geo, "--help"], "import geopandas": [sys.executable, "-c", "import geopandas"]}
    times: dict[str, list[float]] = {name: [] for name in commands}
    outputs: dict[str, str] = {}
    for _ in range(args.repeat):
        for name, cmd in commands.items():
            t = time.perf_counter()
            done = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
            times[name].append(time.perf_counter() - t)
            outputs[name] = done.stdout
    assert "Commands:" in outputs["geo --help"] and "boundaries" in outputs["geo --help"]
    g, b = statistics.median(times["geo --help"]), statistics.median(times["import geopandas"])
    print(f"fresh processes, median of {args.repeat}, interleaved")
    print(f"  geo --help        {g:.3f} s")
    print(f"  import geopandas  {b:.3f} s")
    print(f"  geo --help / import geopandas = {g / b:.2f}× (target ≤ 0.5×): {'ok' if g / b <= 0.5 else 'MISSED'}")
    return 0 if g / b <= 0.5 else 1


if __name__ == "__main__":
    raise SystemExit(main())
