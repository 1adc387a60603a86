"""Benchmark: departures per stop and window for a feed of about 1 M stop_times, beside gtfs-kit's stop stats.

The feed is synthesised by replicating the 豊田市 基幹バス GTFS-JP feed (22,205 stop_times) with new trip ids
until it holds about a million stop_times; every figure is measured in the same run, on the same feed.

    GEO_DATA_MIRROR=../shared/data python scripts/bench_timetable.py [--target 1000000] [--repeat 3]

Prints the read times (gtfs-kit's read_feed, our read_feed = gtfs-kit + validation + preparation, and partridge's
load_feed when installed, for the library evaluation), then ``geo.stop_departures`` (five windows and the whole
day) against ``gtfs_kit.compute_stop_stats`` for one date, with the ratio and a check that the counts agree.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
import warnings
import zipfile
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DATE = "2020-12-10"


def synthesise(source: Path, target: int, out: Path) -> int:
    """Write a feed with the source's trips replicated until stop_times reach ``target`` rows."""
    with zipfile.ZipFile(source) as zf:
        tables = {Path(n).stem: zf.read(n) for n in zf.namelist() if n.endswith(".txt")}
    st = pd.read_csv(io.BytesIO(tables["stop_times"]), dtype=str, encoding="utf-8-sig")
    trips = pd.read_csv(io.BytesIO(tables["trips"]), dtype=str, encoding="utf-8-sig")
    copies = max(1, round(target / len(st)))
    st_all = pd.concat([st.assign(trip_id=st["trip_id"] + f"#{k}") for k in range(copies)], ignore_index=True)
    trips_all = pd.concat([trips.assign(trip_id=trips["trip_id"] + f"#{k}") for k in range(copies)], ignore_index=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, raw in tables.items():
            if name in ("stop_times", "trips", "fare_rules"):  # fare_rules: 30k rows irrelevant here
                continue
            zf.writestr(f"{name}.txt", raw)
        zf.writestr("stop_times.txt", st_all.to_csv(index=False))
        zf.writestr("trips.txt", trips_all.to_csv(index=False))
    return len(st_all)


def timed(func, repeat: int) -> tuple[float, object]:
    times, value = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        value = func()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    import gtfs_kit

    from geo.timetable import read_feed, stop_departures

    mirror = Path(os.environ.get("GEO_DATA_MIRROR", ROOT.parent / "shared" / "data"))
    source = mirror / "gtfs-jp-nakatsugawa-toyota" / "toyota_kikan_GTFS.zip"
    with tempfile.TemporaryDirectory() as tmp:
        feed_path = Path(tmp) / "synthetic.zip"
        n = synthesise(source, args.target, feed_path)
        print(f"feed: {n:,} stop_times (豊田市 基幹バス replicated), date {DATE}")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t_gk_read, gk_feed = timed(lambda: gtfs_kit.read_feed(feed_path, dist_units="km"), 1)
            t_read, feed = timed(lambda: read_feed(feed_path), 1)
            try:
                import partridge

                t_ptg, _ = timed(lambda: partridge.load_feed(str(feed_path)).stop_times.shape, 1)
            except ImportError:
                t_ptg = float("nan")
            t_ours, ours = timed(
                lambda: stop_departures(feed, date=DATE, windows=["06-07", "07-09", "09-17", "17-19", "19-22"]),
                args.repeat,
            )
            t_gk, theirs = timed(lambda: gtfs_kit.compute_stop_stats(gk_feed, [DATE.replace("-", "")]), 1)
    ours_all = stop_departures(feed, date=DATE, boarding_only=False).set_index("stop_id")["dep_day"]
    theirs = theirs.set_index("stop_id")["num_trips"].astype(int)
    agree = bool((ours_all.loc[theirs.index] == theirs).all())
    print(f"read    gtfs-kit read_feed             {t_gk_read:7.2f} s")
    print(f"read    geo.read_feed (gtfs-kit + prep) {t_read:7.2f} s  ({t_read / t_gk_read:.2f}× gtfs-kit's read)")
    print(f"read    partridge load_feed + stop_times {t_ptg:6.2f} s  (evaluation only; not a dependency)")
    print(f"count   geo.stop_departures (5 windows) {t_ours:7.3f} s  (median of {args.repeat}; target ≤ 2 s)")
    print(f"count   gtfs_kit.compute_stop_stats     {t_gk:7.3f} s")
    print(f"ratio   gtfs-kit / geo = {t_gk / t_ours:.1f}× ; per-stop counts agree with gtfs-kit num_trips: {agree}")
    print(f"stops {len(ours):,}, departures that day {int(ours['dep_day'].sum()):,}")


if __name__ == "__main__":
    main()
