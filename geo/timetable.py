"""Timetables (GTFS / GTFS-JP): which stops have usable service, on which day, at what time.

Reading lives in the edge module :mod:`geo.gtfs_feed` (``read_feed`` and ``Feed`` are re-exported here); it
delegates to `gtfs-kit <https://pypi.org/project/gtfs-kit/>`_ and adds what that does not do:

* the GTFS-JP extras ``agency_jp.txt`` / ``office_jp.txt`` (read as plain tables where present);
* validation at the edge, one :class:`~geo.ValidationError` naming file, row (the line in the file, header = 1)
  and column: duplicate ``stop_id``, stops without coordinates, unknown stop or trip ids, trips without
  ``stop_times``, unparseable times, a feed without ``calendar.txt`` and ``calendar_dates.txt``;
* (here) service on a date, or on a Japanese day type (平日 / 土曜 / 日祝, public holidays from ``jpholiday``),
  whose representative date is the day type's most common set of services (:func:`service_day`, with the reason);
* departures per stop and time window (vectorised: one ``numpy.bincount`` over all stop_times; about 0.1 s for
  a million stop_times, see ``scripts/bench_timetable.py``), mean headways, first and last departure.

Conventions
-----------
* Times are seconds after noon minus 12 h of the **service day** (GTFS): ``25:30:00`` is 91,800 s and belongs
  to the service day it was published for, never to the next calendar date. Windows are given in service-day
  hours and may pass 24 (``"22-26"``).
* A *departure* is a ``stop_times`` row where boarding is possible (``pickup_type`` ≠ 1); pass
  ``boarding_only=False`` to count every call. Frequency-based trips (``frequencies.txt``) are expanded into
  their runs (``end_time`` exclusive).
* Stop types (GTFS ``location_type``): 0 or empty are boarding stops; 1 (station) folds its children (rows with
  ``parent_station``) into one stop at the station's location; 2–4 (entrance, generic node, boarding area)
  are never stops. :func:`boarding_stops` is the rule; ``geo.points`` has the same rule for reading stops
  only (the lead merges the two).
* Missing times at non-timepoint stops are interpolated linearly within their trip (by ``stop_sequence``).

Examples
--------
>>> feed = read_feed("nakatsugawa_GTFS.zip")                                  # doctest: +SKIP
>>> deps = stop_departures(feed, date="2020-11-10", windows=["07-09", "19-22"])  # doctest: +SKIP
>>> deps[["stop_id", "dep_07-09", "dep_19-22", "first_departure"]].head()     # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from geo._errors import ValidationError
from geo.gtfs_feed import RAIL_ROUTE_TYPES, Feed, read_feed
from geo.gtfs_stops import gtfs_boarding_of

log = logging.getLogger(__name__)

__all__ = [
    "DAY_TYPES",
    "DEFAULT_WINDOWS",
    "RAIL_ROUTE_TYPES",
    "Feed",
    "ServiceDay",
    "Window",
    "boarding_stops",
    "day_type_of",
    "holiday_notes",
    "parse_windows",
    "read_feed",
    "resolve_service_date",
    "service_dates",
    "service_day",
    "services_on",
    "stop_departures",
]

DEFAULT_WINDOWS: tuple[str, ...] = ("07-09", "09-17", "17-19", "19-22")
"""Time windows (service-day hours, start inclusive, end exclusive): morning peak, day, evening peak, evening."""

DAY_TYPES: dict[str, str] = {
    "平日": "平日",
    "weekday": "平日",
    "土曜": "土曜",
    "土曜日": "土曜",
    "saturday": "土曜",
    "日祝": "日祝",
    "日曜・祝日": "日祝",
    "休日": "日祝",
    "sunday_holiday": "日祝",
    "holiday": "日祝",
}
"""Accepted names of the three day types of Japanese timetables → canonical name."""

_WINDOW = re.compile(r"^\s*(\d{1,2})(?::([0-5]\d))?\s*-\s*(\d{1,2})(?::([0-5]\d))?\s*$")


@dataclass(frozen=True)
class Window:
    """A time window of the service day: ``start_s`` ≤ t < ``end_s`` (seconds; may pass 24 h)."""

    label: str
    start_s: int
    end_s: int

    @property
    def minutes(self) -> float:
        """Length in minutes."""
        return (self.end_s - self.start_s) / 60.0


def boarding_stops(stops: pd.DataFrame, *, fold_stations: bool = True) -> pd.Series:
    """The boarding stop each ``stops.txt`` row counts as: :func:`geo.gtfs_stops.gtfs_boarding_of`, the one rule."""

    return gtfs_boarding_of(stops, fold_stations=fold_stations)


# ------------------------------------------------------------------------------------------------ service days
def day_type_of(day: dt.date) -> str:
    """The timetable day type of a date: 日祝 (Sunday or public holiday, via ``jpholiday``), 土曜 or 平日."""
    import jpholiday

    if day.weekday() == 6 or jpholiday.is_holiday(day):
        return "日祝"
    return "土曜" if day.weekday() == 5 else "平日"


def services_on(feed: Feed, day: dt.date) -> set[str]:
    """Service ids running on ``day`` (calendar weekday flags within its range, then calendar_dates exceptions)."""
    cal = feed._calendar
    active: set[str] = set()
    if len(cal):
        wd = day.weekday()
        for sid, flags, start, end in cal.itertuples(index=False):
            if start <= day <= end and flags[wd]:
                active.add(sid)
    cd = feed._calendar_dates
    if len(cd):
        today = cd[cd["date"] == day]
        active |= set(today.loc[today["exception_type"] == 1, "service_id"])
        active -= set(today.loc[today["exception_type"] == 2, "service_id"])
    return active


def service_dates(feed: Feed) -> pd.DataFrame:
    """Every date of the feed's range with its day type and number of trips running.

    Returns
    -------
    DataFrame
        ``date``, ``day_type`` (平日/土曜/日祝), ``trips``.
    """
    first, last = feed.service_range
    counts = np.bincount(feed._trip_service[feed._trip_service >= 0], minlength=len(feed._service_ids))
    per_service = dict(zip(feed._service_ids, counts, strict=True))
    rows = []
    day = first
    while day <= last:
        active = services_on(feed, day)
        rows.append((day, day_type_of(day), int(sum(per_service.get(s, 0) for s in active))))
        day += dt.timedelta(days=1)
    return pd.DataFrame(rows, columns=["date", "day_type", "trips"])


FEW_DATES_SHARE = 0.5
"""Below this share of its day type's dates, the chosen service pattern is reported as unrepresentative."""


@dataclass(frozen=True)
class ServiceDay:
    """The service date a run evaluates, and why (from :func:`service_day`).

    Attributes
    ----------
    date : date
        The service date used.
    day_type : str
        Its day type (平日 / 土曜 / 日祝).
    reason : str
        Why this date: given by the user, or the most common set of services of the day type (with counts).
    services : tuple of str
        The service ids running that day (empty: no service at all).
    trips : int
        Trips running that day.
    notes : tuple of str
        Warnings: the pattern covers few of the day type's dates; the feed encodes no public holidays.
    """

    date: dt.date
    day_type: str
    reason: str
    services: tuple[str, ...] = ()
    trips: int = 0
    notes: tuple[str, ...] = ()

    def record(self) -> dict[str, Any]:
        """JSON-ready: date, day_type, reason, services, trips, notes."""
        return {
            "date": str(self.date),
            "day_type": self.day_type,
            "reason": self.reason,
            "services": list(self.services),
            "trips": self.trips,
            "notes": list(self.notes),
        }


def _canonical_day_type(when: object) -> str | None:
    if not isinstance(when, str):
        return None
    key = when.strip().lower()
    return next((v for k, v in DAY_TYPES.items() if k.lower() == key), None)


def _trips_per_service(feed: Feed) -> dict[str, int]:
    counts = np.bincount(feed._trip_service[feed._trip_service >= 0], minlength=len(feed._service_ids))
    return {s: int(c) for s, c in zip(feed._service_ids, counts, strict=True)}


def _dates(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def _services_text(services: Iterable[str]) -> str:
    names = sorted(services)
    return "[" + ", ".join(names) + "]" if names else "no service"


def holiday_notes(feed: Feed) -> tuple[str, ...]:
    """Whether the feed encodes Japanese public holidays, judged on the holidays that fall on a weekday.

    A weekday holiday whose set of services runs on more ordinary weekdays than on holidays, and on no Sunday, runs
    the weekday timetable: the feed did not encode it. Many Japanese feeds
    encode no holiday at all; then 日祝 can only stand for Sundays.

    Returns
    -------
    tuple of str
        Empty when every weekday holiday in range has its own service; else one note saying which do not,
        or that the feed encodes no holidays, or that none falls in range.
    """
    first, last = feed.service_range
    holidays, plain = _weekday_holidays(feed)
    if not holidays:
        return (f"feed {feed.name}: no public holiday falls on a weekday between {first} and {last}, so whether it "
                "encodes holidays cannot be told",)  # fmt: skip
    if not plain:
        return ()
    listed = ", ".join(str(d) for d in plain[:8]) + (f" and {len(plain) - 8} more" if len(plain) > 8 else "")
    if len(plain) == len(holidays):
        return (f"feed {feed.name} encodes no public holidays: all {len(holidays)} weekday holidays in range "
                f"({listed}) run the same services as an ordinary weekday; 日祝 stands for Sundays only, and a "
                "holiday is evaluated with weekday service (add the holidays to calendar_dates.txt to change this)",)  # fmt: skip
    return (f"feed {feed.name}: {len(plain)} of {len(holidays)} weekday holidays run the weekday services "
            f"({listed}); they are left out of the choice of the 日祝 day",)  # fmt: skip


def service_day(feed: Feed, when: dt.date | str) -> ServiceDay:
    """The service date meant by ``when``, with the reason: a date, or a day type's representative date.

    For a day type (``"平日"``, ``"土曜"``, ``"日祝"`` or an alias in :data:`DAY_TYPES`) every date of that type in
    the feed's range is grouped by its set of active services; the most common set wins (on a tie, the set whose
    last date is later: the newer timetable), and its first date is used. The date with the most trips is
    never taken as such: it is exactly the anomaly (a moved holiday running the weekday timetable). Weekday
    holidays that run weekday services are left out of 日祝 (see :func:`holiday_notes`). A note warns when the
    chosen set covers fewer than :data:`FEW_DATES_SHARE` of the day type's dates.

    Raises
    ------
    ValidationError
        The date lies outside the feed's service range (the message gives the range), or a day type has no date
        in it, or ``when`` is neither a date nor a day type.

    Examples
    --------
    >>> service_day(read_feed("toyota_kikan_GTFS.zip"), "日祝").date       # doctest: +SKIP
    datetime.date(2020, 12, 13)
    """
    first, last = feed.service_range
    per_service = _trips_per_service(feed)
    kind = _canonical_day_type(when)
    if kind is None:
        day = _as_date(when)
        if not first <= day <= last:
            raise ValidationError(
                f"date {day} is outside the service range of feed {feed.name} ({first} to {last}): choose a date "
                "in that range or a day type (平日, 土曜, 日祝)"
            )
        active = services_on(feed, day)
        return ServiceDay(day, day_type_of(day), "date given", tuple(sorted(active)),
                          sum(per_service.get(s, 0) for s in active))  # fmt: skip
    notes = holiday_notes(feed) if kind == "日祝" else ()
    plain_holidays = set(_weekday_holidays(feed)[1]) if kind == "日祝" else set()
    dates = [d for d in _dates(first, last) if day_type_of(d) == kind and d not in plain_holidays]
    if not dates:
        raise ValidationError(
            f"feed {feed.name}: no {kind} date between {first} and {last}; pass a date in that range instead"
        )
    patterns: dict[frozenset[str], list[dt.date]] = {}
    for d in dates:
        patterns.setdefault(frozenset(services_on(feed, d)), []).append(d)
    ranked = sorted(patterns.items(), key=lambda kv: (len(kv[1]), kv[1][-1]), reverse=True)
    services, same = ranked[0]
    trips = sum(per_service.get(s, 0) for s in services)
    share = len(same) / len(dates)
    reason = (f"{kind}: the most common set of services, running on {len(same)} of the {len(dates)} {kind} dates "
              f"({share:.0%}) between {first} and {last}: {_services_text(services)}, {trips} trips")  # fmt: skip
    if len(ranked) > 1 and len(ranked[1][1]) == len(same):
        reason += f" (tied with {ranked[1][1][0]}'s set: the later timetable is taken; pass a date to choose)"
    if not services:
        reason += "; no bus runs on this day type"
    warn = list(notes)
    if share < FEW_DATES_SHARE:
        others = "; ".join(f"{len(ds)} dates like {ds[0]} ({_services_text(p)})" for p, ds in ranked[1:4])
        warn.append(f"feed {feed.name}: the {kind} day {same[0]} stands for only {len(same)} of {len(dates)} "
                    f"{kind} dates ({share:.0%}); the others differ: {others}. Pass a date to evaluate another")  # fmt: skip
    for text in warn:
        log.warning(text)
    return ServiceDay(same[0], kind, reason, tuple(sorted(services)), trips, tuple(warn))


def _weekday_holidays(feed: Feed) -> tuple[list[dt.date], list[dt.date]]:
    """Public holidays on a weekday in range, and those of them running weekday services.

    A holiday runs weekday services when its set of services runs on more ordinary weekdays (平日) than on
    holidays in the feed's range and never on a Sunday (e.g. the moved 2021 holidays running a summer weekday
    set; a year-end set that also runs on a Sunday is a holiday set).
    """
    import jpholiday

    first, last = feed.service_range
    counts: dict[frozenset[str], dict[str, int]] = {}
    holidays, pattern_of = [], {}
    for day in _dates(first, last):
        pattern = frozenset(services_on(feed, day))
        kind = "日曜" if day.weekday() == 6 else day_type_of(day)
        counts.setdefault(pattern, {}).setdefault(kind, 0)
        counts[pattern][kind] += 1
        if day.weekday() < 5 and jpholiday.is_holiday(day):
            holidays.append(day)
            pattern_of[day] = pattern
    seen = {d: counts[pattern_of[d]] for d in holidays}
    plain = [d for d in holidays if not seen[d].get("日曜") and seen[d].get("平日", 0) > seen[d].get("日祝", 0)]
    return holidays, plain


def resolve_service_date(feed: Feed, when: dt.date | str) -> dt.date:
    """The service date meant by ``when``: :attr:`ServiceDay.date` of :func:`service_day` (see there)."""
    return service_day(feed, when).date


def _as_date(when: object) -> dt.date:
    if isinstance(when, dt.datetime):
        return when.date()
    if isinstance(when, dt.date):
        return when
    text = str(when).strip()
    for fmt in ("%Y-%m-%d", "%Y%m%d", "%Y/%m/%d"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValidationError(
        f"date {when!r} is neither a date (YYYY-MM-DD or YYYYMMDD) nor a day type ({', '.join(sorted(DAY_TYPES))})"
    )


# ------------------------------------------------------------------------------------------------ departures
def parse_windows(windows: Sequence[str | tuple[float, float]] | None) -> list[Window]:
    """Windows from labels ``"07-09"`` / ``"7:30-9"`` or ``(start_h, end_h)`` pairs (service-day hours).

    Raises
    ------
    ValidationError
        A label is malformed, or a window ends before it starts or after 48 h.
    """
    out, problems = [], []
    for item in DEFAULT_WINDOWS if windows is None else windows:
        if isinstance(item, str):
            m = _WINDOW.match(item)
            if not m:
                problems.append(f"window {item!r}: write HH-HH or HH:MM-HH:MM in service-day hours, e.g. '07-09'")
                continue
            start = int(m.group(1)) * 3600 + int(m.group(2) or 0) * 60
            end = int(m.group(3)) * 3600 + int(m.group(4) or 0) * 60
            label = item.strip().replace(" ", "")
        else:
            start, end = round(float(item[0]) * 3600), round(float(item[1]) * 3600)
            label = f"{item[0]:02g}-{item[1]:02g}"
        if not 0 <= start < end <= 48 * 3600:
            problems.append(f"window {item!r}: needs 0 ≤ start < end ≤ 48 h")
            continue
        out.append(Window(label, start, end))
    if problems:
        raise ValidationError(problems)
    labels = [w.label for w in out]
    if len(set(labels)) != len(labels):
        raise ValidationError(f"windows repeat a label: {labels}")
    return out


def _hms(seconds: np.ndarray) -> list[str | None]:
    out: list[str | None] = []
    for s in seconds:
        if not np.isfinite(s):
            out.append(None)
            continue
        s = int(s)
        out.append(f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}")
    return out


def stop_departures(
    feed: Feed,
    *,
    date: dt.date | str,
    windows: Sequence[str | tuple[float, float]] | None = None,
    boarding_only: bool = True,
) -> pd.DataFrame:
    """Departures per boarding stop on one service day, per time window, with headways and first/last departure.

    Parameters
    ----------
    feed : Feed
        From :func:`read_feed`.
    date : date or str
        A date in the feed's service range, or a day type (平日 / 土曜 / 日祝; see :func:`resolve_service_date`).
    windows : sequence, optional
        Window labels ``"07-09"`` or ``(start_h, end_h)`` pairs in service-day hours; default
        :data:`DEFAULT_WINDOWS`. A departure at ``t`` is in a window when start ≤ t < end.
    boarding_only : bool
        Count only calls where boarding is possible (``pickup_type`` ≠ 1); False counts every call.

    Returns
    -------
    DataFrame
        One row per boarding stop (stations fold their platforms), in :attr:`Feed.stops` order: ``stop_id``,
        ``stop_name``, ``stop_lat``, ``stop_lon``, ``mode`` (station/bus), ``service_date``, ``day_type``, ``dep_day`` (the whole service
        day), and per window ``dep_<label>`` (int) and ``headway_<label>`` (mean headway in minutes = window
        length / departures; NaN without departures), then ``first_departure`` / ``last_departure``
        (``HH:MM:SS``, hours may pass 24; None without service).

    Raises
    ------
    ValidationError
        Date outside the service range (the message gives the range), a bad window label.

    Examples
    --------
    >>> deps = stop_departures(feed, date="平日", windows=["07-09", "19-22"])   # doctest: +SKIP
    """
    wins = parse_windows(windows)
    day = resolve_service_date(feed, date)
    active = services_on(feed, day)
    running = np.isin(np.asarray(feed._service_ids, dtype=object), list(active))
    trip_runs = running[feed._trip_service]
    mask = trip_runs[feed._event_trip] & (feed._event_stop >= 0)
    if boarding_only:
        mask &= feed._event_board
    stop = feed._event_stop[mask]
    secs = feed._event_seconds[mask]
    n = len(feed.stops)
    out = feed.stops[["stop_id", "stop_name", "stop_lat", "stop_lon", "mode"]].copy()
    out["service_date"] = day
    out["day_type"] = day_type_of(day)
    out["dep_day"] = np.bincount(stop, minlength=n).astype(np.int64)
    for w in wins:
        inside = (secs >= w.start_s) & (secs < w.end_s)
        count = np.bincount(stop[inside], minlength=n).astype(np.int64)
        out[f"dep_{w.label}"] = count
        with np.errstate(divide="ignore"):
            out[f"headway_{w.label}"] = np.where(count > 0, w.minutes / np.maximum(count, 1), np.nan)
    first = np.full(n, np.inf)
    last = np.full(n, -np.inf)
    if len(stop):
        _minmax(first, last, stop, secs)
    out["first_departure"] = _hms(first)
    out["last_departure"] = _hms(last)
    return out


def _minmax(first: np.ndarray, last: np.ndarray, stop: np.ndarray, secs: np.ndarray) -> None:
    """Per-stop min and max by one sort (faster than ``ufunc.at`` for large arrays)."""
    order = np.lexsort((secs, stop))
    s, t = stop[order], secs[order].astype(float)
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    ends = np.r_[starts[1:], len(s)] - 1
    first[s[starts]] = t[starts]
    last[s[ends]] = t[ends]
