"""Departures counted from a raw GTFS zip with the csv module only: the independent count timetable figures are
checked against (no geo, no pandas)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections import Counter
from pathlib import Path


def _rows(zip_path: Path, name: str) -> list[dict[str, str]]:
    with zipfile.ZipFile(zip_path) as zf:
        text = zf.read(name).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def independent_counts(zip_path: Path, day: dt.date, *, start_h: float, end_h: float) -> tuple[Counter, Counter]:
    """stop_times ⨝ trips ⨝ services on ``day``, with the csv module only: (whole day, window) per stop_id."""
    weekday = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"][day.weekday()]
    ymd = day.strftime("%Y%m%d")
    services = {
        r["service_id"]
        for r in _rows(zip_path, "calendar.txt")
        if r["start_date"] <= ymd <= r["end_date"] and r[weekday] == "1"
    }
    for r in _rows(zip_path, "calendar_dates.txt"):
        if r["date"] == ymd:
            (services.add if r["exception_type"] == "1" else services.discard)(r["service_id"])
    trips = {r["trip_id"] for r in _rows(zip_path, "trips.txt") if r["service_id"] in services}
    day_count: Counter = Counter()
    window: Counter = Counter()
    for r in _rows(zip_path, "stop_times.txt"):
        if r["trip_id"] not in trips or r.get("pickup_type", "") == "1":
            continue
        day_count[r["stop_id"]] += 1
        h, m, s = (int(x) for x in r["departure_time"].split(":"))
        if start_h * 3600 <= h * 3600 + m * 60 + s < end_h * 3600:
            window[r["stop_id"]] += 1
    return day_count, window
