"""Benchmark: exact p-median and p-center, ``geo.choose_hubs`` (HiGHS) vs spopt (CBC), same optimum asserted.

Run:  GEO_DATA_MIRROR=../shared/data python scripts/bench_pmedian.py [--repeat 3] [--k 5 10] [--box yamanashi]

Instance (real data): N02-23 railway stations (one per station group) as candidates × the 1,700 populated
1 km cells of 山梨県 (2020 census mesh, weight ``pop_2020``), all pairs (no reach cap). ``--box yamanashi``
takes the 143 station groups in a box around 山梨 (138.2–139.2° E, 35.2–35.95° N), ``--box wide`` the
191 within ~10 km of the cells; ``--every n`` keeps every n-th cell (spopt's p-center model is slow). Timed in the same run, alternating, medians of ``--repeat``:

* **geo**: ``geo.choose_hubs(stations, cells, k=k, method="p_median" | "p_center", weight="pop_2020")``, end
  to end (the cost matrix included).
* **spopt**: ``spopt.locate.PMedian`` / ``PCenter.from_cost_matrix`` on the same cost matrix (given to it,
  not timed) solved with CBC (PuLP's bundled binary, the same solver the toolkit used before).

The objective values must agree to 1e-6 (asserted); the gap geo reports is printed. ``--capacitated``: the
p-median with single-source capacities (each station serves at most total / (k − 0.5)), both sides.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

import geo
from geo.hub_siting import prepare_coverage

CELLS = "estat-mesh1km-census-yamanashi/yamanashi_mesh1km_2020.csv"
STATIONS = "ksj-n02-2023-railway-stations/stations_points.csv"


def instance(data: Path, box: str, every: int = 1):  # type: ignore[no-untyped-def]
    """(stations, cells (every ``every``-th), dense hub × cell cost matrix in metres as the toolkit measures it)."""
    cells = geo.read_mesh(data / CELLS).iloc[::every]
    stations = geo.read_points(data / STATIONS)
    if box == "yamanashi":
        stations = stations.cx[138.2:139.2, 35.2:35.95]
    else:
        minx, miny, maxx, maxy = cells.total_bounds
        stations = stations.cx[minx - 0.12 : maxx + 0.12, miny - 0.1 : maxy + 0.1]
    stations = stations.drop_duplicates("group_code")
    p = prepare_coverage(stations, cells, None, "pop_2020", None, None, None)
    cost = np.full((p.table.n_hubs, p.table.n_demand), np.inf)
    cost[p.table.hub, p.table.demand] = p.table.cost
    return stations, cells, cost, p.weights


def run_geo(stations, cells, k: int, method: str, cap: float | None = None) -> tuple[float, float | None]:  # type: ignore[no-untyped-def]
    capacity = None
    if cap is not None:
        stations, capacity = stations.assign(capacity=cap), "capacity"
    _, report = geo.choose_hubs(
        stations, cells, k=k, method=method, weight="pop_2020", time_limit=600, capacity=capacity
    )
    assert report.optimal, report.status
    return report.objective, report.gap


def run_spopt(cost: np.ndarray, w: np.ndarray, k: int, method: str, cap: float | None = None) -> tuple[float, None]:
    import pulp
    from spopt.locate import PCenter, PMedian

    solver = pulp.COIN_CMD(path=pulp.apis.coin_api.PULP_CBC_CMD.pulp_cbc_path, msg=False)
    active = w > 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # spopt 0.7 uses the PuLP 3 API PuLP 3.3 deprecates
        if method == "p_median":
            capacities = None if cap is None else np.full(cost.shape[0], cap)
            model = PMedian.from_cost_matrix(
                cost[:, active].T, w[active], p_facilities=k, facility_capacities=capacities
            ).solve(solver)
        else:
            model = PCenter.from_cost_matrix(cost[:, active].T, p_facilities=k).solve(solver)
    return float(model.problem.objective.value()), None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--k", type=int, nargs="+", default=[5, 10])
    parser.add_argument("--box", choices=["yamanashi", "wide"], default="yamanashi")
    parser.add_argument("--methods", nargs="+", default=["p_median", "p_center"])
    parser.add_argument("--every", type=int, default=1, help="every n-th cell only (spopt's p-center is slow)")
    parser.add_argument(
        "--capacitated", action="store_true", help="p-median with each station serving at most total / (k − 0.5)"
    )
    args = parser.parse_args()
    mirror = os.environ.get("GEO_DATA_MIRROR")
    if not mirror:
        print("set GEO_DATA_MIRROR to the shared data folder (e.g. ../shared/data)", file=sys.stderr)
        return 1
    stations, cells, cost, w = instance(Path(mirror), args.box, args.every)
    print(f"{len(stations)} station groups × {len(cells):,} cells ({args.box}), load {os.getloadavg()[0]:.1f}")
    for method in args.methods:
        for k in args.k:
            times: dict[str, list[float]] = {"geo": [], "spopt": []}
            values: dict[str, float] = {}
            gap = None
            cap = float(w.sum()) / (k - 0.5) if args.capacitated else None
            for _ in range(args.repeat):
                for name in ("geo", "spopt"):
                    start = time.perf_counter()
                    if name == "geo":
                        values[name], gap = run_geo(stations, cells, k, method, cap)
                    else:
                        values[name] = run_spopt(cost, w, k, method, cap)[0]
                    times[name].append(time.perf_counter() - start)
            assert abs(values["geo"] - values["spopt"]) <= 1e-6 * max(1.0, abs(values["spopt"])), values
            t_geo, t_sp = statistics.median(times["geo"]), statistics.median(times["spopt"])
            print(
                f"{method}{' capacitated' if cap else ''} k={k}: geo {t_geo:.2f} s, spopt {t_sp:.2f} s, ratio {t_sp / t_geo:.1f}× (median of "
                f"{args.repeat}); objective {values['geo']:,.2f} = {values['spopt']:,.2f}; gap {gap:.2g}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
