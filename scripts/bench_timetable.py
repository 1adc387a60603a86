"""Benchmark: departures per stop and window for a feed of about 1 M stop_times, beside gtfs-kit's stop stats.

The feed is synthesised by replicating the 豊田市 基幹バス GTFS-JP feed (22,205 stop_times) with new trip ids
until it holds about a million stop_times; every figure is measured in the same run, on the same feed.

    GEO_DATA_MIRROR=../shared/data python scripts/bench_timetable.py [--target 1000000] [--repeat 3]

The headline is END TO END FROM THE ZIP, both sides timed alike and interleaved (median of ``--repeat``):

- geo: ``geo.read_feed(zip)`` + ``geo.stop_departures`` (five windows and the whole day);
- gtfs-kit: ``gtfs_kit.read_feed(zip)`` + ``gtfs_kit.compute_stop_stats`` for the same date;

with the per-stop day counts asserted equal. Then the parts: the reads alone (and partridge's load_feed when
installed, for the library evaluation) and the counts from a feed already read (the "warm" figure, which leaves
out where geo parses the times: never quote it alone).
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
    windows = ["06-07", "07-09", "09-17", "17-19", "19-22"]

    def geo_end_to_end() -> pd.Series:
        feed = read_feed(feed_path)
        stop_departures(feed, date=DATE, windows=windows)
        return stop_departures(feed, date=DATE, boarding_only=False).set_index("stop_id")["dep_day"]

    def gtfs_kit_end_to_end() -> pd.Series:
        gk = gtfs_kit.read_feed(feed_path, dist_units="km")
        stats = gtfs_kit.compute_stop_stats(gk, [DATE.replace("-", "")])
        return stats.set_index("stop_id")["num_trips"].astype(int)

    with tempfile.TemporaryDirectory() as tmp:
        feed_path = Path(tmp) / "synthetic.zip"
        n = synthesise(source, args.target, feed_path)
        print(f"feed: {n:,} stop_times (豊田市 基幹バス replicated), date {DATE}")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            e2e: dict[str, list[float]] = {"geo": [], "gtfs-kit": []}
            results: dict[str, pd.Series] = {}
            for _ in range(args.repeat):  # interleaved, each from the zip
                for name, func in (("geo", geo_end_to_end), ("gtfs-kit", gtfs_kit_end_to_end)):
                    t0 = time.perf_counter()
                    results[name] = func()
                    e2e[name].append(time.perf_counter() - t0)
            ours_all, theirs = results["geo"], results["gtfs-kit"]
            agree = bool((ours_all.loc[theirs.index] == theirs).all())
            assert agree, "geo and gtfs-kit disagree on departures per stop"
            t_geo_e2e, t_gk_e2e = statistics.median(e2e["geo"]), statistics.median(e2e["gtfs-kit"])

            t_gk_read, gk_feed = timed(lambda: gtfs_kit.read_feed(feed_path, dist_units="km"), 1)
            t_read, feed = timed(lambda: read_feed(feed_path), 1)
            try:
                import partridge

                t_ptg, _ = timed(lambda: partridge.load_feed(str(feed_path)).stop_times.shape, 1)
            except ImportError:
                t_ptg = float("nan")
            t_ours, ours = timed(lambda: stop_departures(feed, date=DATE, windows=windows), args.repeat)
            t_gk, _ = timed(lambda: gtfs_kit.compute_stop_stats(gk_feed, [DATE.replace("-", "")]), 1)
    print(f"END TO END from the zip (median of {args.repeat}, interleaved): geo read_feed + stop_departures "
          f"{t_geo_e2e:.2f} s; gtfs-kit read_feed + compute_stop_stats {t_gk_e2e:.2f} s; "
          f"ratio gtfs-kit / geo = {t_gk_e2e / t_geo_e2e:.2f}× (target ≥ 3×, ≤ 2 s); per-stop counts equal: {agree}")  # fmt: skip
    print(f"read    gtfs-kit read_feed             {t_gk_read:7.2f} s")
    print(f"read    geo.read_feed (gtfs-kit + prep) {t_read:7.2f} s  ({t_read / t_gk_read:.2f}× gtfs-kit's read)")
    print(f"read    partridge load_feed + stop_times {t_ptg:6.2f} s  (evaluation only; not a dependency)")
    print(f"warm    geo.stop_departures (5 windows) {t_ours:7.3f} s  (feed already read; median of {args.repeat})")
    print(f"warm    gtfs_kit.compute_stop_stats     {t_gk:7.3f} s  (feed already read)")
    print(f"warm ratio gtfs-kit / geo = {t_gk / t_ours:.1f}× (leaves the read out: not the user's view)")
    print(f"stops {len(ours):,}, departures that day {int(ours['dep_day'].sum()):,}")


if __name__ == "__main__":
    main()
