"""Timetables (GTFS / GTFS-JP): which stops have usable service, on which day, at what time.

Reading is delegated to `gtfs-kit <https://pypi.org/project/gtfs-kit/>`_ (a well-kept library that reads a zip or
a folder and types every standard table); this module adds what it does not do:

* the GTFS-JP extras ``agency_jp.txt`` / ``office_jp.txt`` (read as plain tables where present);
* validation at the edge, one :class:`~geo.ValidationError` naming file, row (the line in the file, header = 1)
  and column: duplicate ``stop_id``, stops without coordinates, unknown stop or trip ids, trips without
  ``stop_times``, unparseable times, a feed without ``calendar.txt`` and ``calendar_dates.txt``;
* service on a date, or on a Japanese day type (平日 / 土曜 / 日祝, public holidays from ``jpholiday``);
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
import io
import logging
import re
import warnings
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from geo._errors import ValidationError
from geo._inputs import local_file
from geo.gtfs_stops import gtfs_boarding_of

log = logging.getLogger(__name__)

__all__ = [
    "DAY_TYPES",
    "DEFAULT_WINDOWS",
    "Feed",
    "Window",
    "boarding_stops",
    "day_type_of",
    "parse_windows",
    "read_feed",
    "resolve_service_date",
    "service_dates",
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

EXTRA_TABLES = ("agency_jp", "office_jp")
"""GTFS-JP tables gtfs-kit does not read; kept as plain string tables in :attr:`Feed.extras`."""

_TIME = re.compile(r"^\s*(\d{1,3}):([0-5]\d):([0-5]\d)\s*$")
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


@dataclass(frozen=True)
class Feed:
    """A validated GTFS feed with its stop_times prepared for counting.

    Attributes
    ----------
    path : Path
        The zip or folder read.
    gtfs : gtfs_kit.Feed
        The library's feed object (all standard tables, typed by gtfs-kit).
    stops : DataFrame
        Boarding stops after folding (one row each): ``stop_id``, ``stop_name``, ``stop_lat``, ``stop_lon``
        (WGS84 degrees), ``n_platforms`` (children folded in, 0 for a plain stop), ``mode`` (``"station"``
        when a rail trip calls there, see :data:`RAIL_ROUTE_TYPES`, else ``"bus"``).
    extras : dict of DataFrame
        GTFS-JP tables present in the feed (``agency_jp``, ``office_jp``), as strings.
    service_range : tuple of date
        First and last date any service runs (calendar and calendar_dates together).
    """

    path: Path
    gtfs: object
    stops: pd.DataFrame
    extras: dict[str, pd.DataFrame]
    service_range: tuple[dt.date, dt.date]
    # prepared arrays (one entry per departure event, frequency trips expanded)
    _event_trip: np.ndarray = field(repr=False)
    _event_stop: np.ndarray = field(repr=False)
    _event_stop_raw: np.ndarray = field(repr=False)
    _event_seconds: np.ndarray = field(repr=False)
    _event_board: np.ndarray = field(repr=False)
    _trip_service: np.ndarray = field(repr=False)
    _service_ids: tuple[str, ...] = field(repr=False)
    _raw_stop_ids: tuple[str, ...] = field(repr=False)
    _calendar: pd.DataFrame = field(repr=False)
    _calendar_dates: pd.DataFrame = field(repr=False)

    @property
    def name(self) -> str:
        """The feed's file or folder name."""
        return self.path.name


# ------------------------------------------------------------------------------------------------ reading
def _member_names(path: Path) -> dict[str, str]:
    """GTFS table name → member (zip) or file (folder) name; tolerates one level of folder inside a zip."""
    if path.is_dir():
        return {p.stem: str(p) for p in path.glob("*.txt")}
    with zipfile.ZipFile(path) as zf:
        return {Path(n).stem: n for n in zf.namelist() if n.endswith(".txt") and not n.startswith("__MACOSX")}


def _raw_table(path: Path, member: str) -> pd.DataFrame:
    """A table as strings (BOM dropped), empty cells as NaN."""
    if path.is_dir():
        raw = Path(member).read_bytes()
    else:
        with zipfile.ZipFile(path) as zf:
            raw = zf.read(member)
    frame = pd.read_csv(io.BytesIO(raw), dtype=str, encoding="utf-8-sig", keep_default_na=False, na_values=[""])
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _file_row(index: Iterable[int]) -> str:
    rows = [int(i) + 2 for i in index]  # header is line 1
    more = f" and {len(rows) - 10} more" if len(rows) > 10 else ""
    return ", ".join(map(str, rows[:10])) + more


def boarding_stops(stops: pd.DataFrame, *, fold_stations: bool = True) -> pd.Series:
    """The boarding stop each ``stops.txt`` row counts as: :func:`geo.gtfs_stops.gtfs_boarding_of`, the one rule."""

    return gtfs_boarding_of(stops, fold_stations=fold_stations)


def _positions(index: pd.Index, values: pd.Series) -> np.ndarray:
    """``index.get_indexer(values)``, looked up once per distinct value (stop_times repeat their trip and stop
    ids: a million rows hold a few tens of thousands), 0.5 → 0.1 s per million rows."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    return index.get_indexer(uniques)[codes]


def _seconds(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """GTFS ``H:MM:SS`` strings → float seconds (NaN where empty) and a mask of unparseable cells.

    A timetable repeats its times (a million stop_times hold a few tens of thousands of distinct ones), so each
    distinct text is parsed once (:func:`_parse_seconds`) and the answers spread back: 1.0 → 0.15 s per million.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    # the None appended last answers the missing cells (code -1): no time, and not unparseable
    u_secs, u_bad = _parse_seconds(pd.Series([*np.asarray(uniques, dtype=object), None], dtype=object))
    return u_secs[codes], u_bad[codes]


def _parse_seconds(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_seconds` on every cell, one by one in numpy.

    Vectorised on the characters' code points (a regex per row costs about 20 s per million rows); cells that
    are not plain ``H:MM:SS``/``HH:MM:SS``/``HHH:MM:SS`` (e.g. with spaces) go through the regex.
    """
    text = values.astype(object).where(values.notna(), "").to_numpy()
    codes = np.asarray(text, dtype="U12")
    n = len(codes)
    chars = codes.view(np.uint32).reshape(n, 12).astype(np.int64) if n else np.zeros((0, 12), np.int64)
    length = (chars != 0).sum(axis=1)
    secs = np.full(n, np.nan)
    ok = (length >= 7) & (length <= 9)
    rows = np.flatnonzero(ok)
    last = length[rows]

    def at(k: int) -> np.ndarray:
        return chars[rows, last - k]

    digit = [at(k) - 48 for k in (1, 2, 4, 5)]
    good = (at(3) == 58) & (at(6) == 58)
    good &= np.all([(d >= 0) & (d <= 9) for d in digit], axis=0) & (digit[1] <= 5) & (digit[3] <= 5)
    hours = np.zeros(len(rows), dtype=np.int64)
    for pos in range(3):
        inside = pos < last - 6
        d = chars[rows, pos] - 48
        good &= ~inside | ((d >= 0) & (d <= 9))
        hours = np.where(inside, hours * 10 + d, hours)
    value = hours * 3600 + (digit[3] * 10 + digit[2]) * 60 + digit[1] * 10 + digit[0]
    secs[rows[good]] = value[good]
    rest = np.flatnonzero((length > 0) & np.isnan(secs))
    bad = np.zeros(n, dtype=bool)
    for i in rest:  # rare: spaces or odd widths; the regex decides
        m = _TIME.match(str(text[i]))
        if m:
            secs[i] = int(m.group(1)) * 3600 + int(m.group(2)) * 60 + int(m.group(3))
        else:
            bad[i] = True
    return secs, bad


def read_feed(path: str | Path) -> Feed:
    """Read and validate a GTFS or GTFS-JP feed (zip file or folder).

    Parameters
    ----------
    path : str or Path
        A ``.zip`` or a folder holding ``stops.txt``, ``trips.txt``, ``stop_times.txt`` and at least one of
        ``calendar.txt`` / ``calendar_dates.txt`` (a feed with calendar_dates only is valid), or a pinned
        source name (``gtfs-nakatsugawa``).

    Returns
    -------
    Feed
        The gtfs-kit feed plus the prepared departure events and the GTFS-JP extras.

    Raises
    ------
    ValidationError
        Listing every problem with file, row (line in the file, header = 1) and column: duplicate ``stop_id``,
        stops without coordinates, unknown ids in ``stop_times.txt``, trips without stop_times, unparseable times,
        no calendar at all.

    Examples
    --------
    >>> feed = read_feed("nakatsugawa_GTFS.zip")     # doctest: +SKIP
    >>> feed.service_range                           # doctest: +SKIP
    (datetime.date(2020, 10, 1), datetime.date(2021, 3, 31))
    """
    import gtfs_kit

    try:
        path = local_file(path, what="GTFS feed")
    except FileNotFoundError as exc:
        raise ValidationError(f"{exc}: give a .zip file, a folder of .txt tables or a pinned source name") from None
    try:
        members = _member_names(path)
    except zipfile.BadZipFile as exc:
        raise ValidationError(f"{path}: not a zip file ({exc}); give a GTFS .zip or a folder") from exc
    problems = [f"{name}.txt is missing (required)" for name in ("stops", "trips", "stop_times") if name not in members]
    if "calendar" not in members and "calendar_dates" not in members:
        problems.append("neither calendar.txt nor calendar_dates.txt is present: no service day can be known")
    if problems:
        raise ValidationError(problems, source=path)
    stops_raw = _raw_table(path, members["stops"])
    problems += _check_stops(stops_raw)
    if problems:  # gtfs-kit would fail or mislead on these; say them with their rows first
        raise ValidationError(problems, source=path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gfeed = gtfs_kit.read_feed(path, dist_units="km")
    except Exception as exc:  # gtfs-kit raises ValueError/KeyError/… on malformed tables
        raise ValidationError(f"gtfs-kit could not read the feed: {type(exc).__name__}: {exc}", source=path) from exc
    extras = {name: _raw_table(path, members[name]) for name in EXTRA_TABLES if name in members}
    return _prepare(path, gfeed, stops_raw, extras)


def _check_stops(stops: pd.DataFrame) -> list[str]:
    problems: list[str] = []
    for column in ("stop_id", "stop_lat", "stop_lon"):
        if column not in stops.columns:
            problems.append(f"stops.txt has no column {column!r} (columns: {list(stops.columns)})")
    if problems:
        return problems
    missing_id = stops["stop_id"].isna()
    if missing_id.any():
        problems.append(f"stops.txt rows {_file_row(stops.index[missing_id])}, column stop_id: empty id")
    dup = stops["stop_id"].duplicated(keep=False) & ~missing_id
    if dup.any():
        ids = sorted(set(stops.loc[dup, "stop_id"]))[:5]
        problems.append(
            f"stops.txt rows {_file_row(stops.index[dup])}, column stop_id: duplicate stop_id {ids}: "
            "each stop needs its own id (rename or delete the repeated rows)"
        )
    kind = pd.to_numeric(stops.get("location_type", pd.Series(index=stops.index, dtype=object)), errors="coerce")
    needs_xy = kind.fillna(0).isin([0, 1, 2]).to_numpy()
    for column, lo, hi in (("stop_lat", -90, 90), ("stop_lon", -180, 180)):
        values = pd.to_numeric(stops[column], errors="coerce")
        bad = needs_xy & ~(values.between(lo, hi)).to_numpy()
        if bad.any():
            problems.append(
                f"stops.txt rows {_file_row(stops.index[bad])}, column {column}: missing or not a number in "
                f"[{lo}, {hi}] (WGS84 degrees); give the stop's coordinates or remove the stop"
            )
    return problems


def _prepare(path: Path, gfeed: object, stops_raw: pd.DataFrame, extras: dict[str, pd.DataFrame]) -> Feed:
    problems: list[str] = []
    trips: pd.DataFrame = gfeed.trips  # type: ignore[attr-defined]
    st: pd.DataFrame = gfeed.stop_times  # type: ignore[attr-defined]
    calendar = gfeed.calendar if gfeed.calendar is not None else pd.DataFrame()  # type: ignore[attr-defined]
    cdates = gfeed.calendar_dates if gfeed.calendar_dates is not None else pd.DataFrame()  # type: ignore[attr-defined]

    # --- stops: which boarding stop each stops.txt row counts as
    board_of = boarding_stops(stops_raw)
    raw_ids = stops_raw["stop_id"].astype(str).to_numpy()
    kind = pd.to_numeric(stops_raw.get("location_type", pd.Series(index=stops_raw.index, dtype=object)), "coerce")
    kind = kind.fillna(0).astype(int).to_numpy()
    boarding_ids = pd.unique(board_of.dropna().to_numpy())
    stop_code = {s: i for i, s in enumerate(boarding_ids)}
    raw_to_board = np.array([stop_code.get(b, -1) if isinstance(b, str) else -1 for b in board_of], dtype=np.int64)
    lat = pd.to_numeric(stops_raw["stop_lat"], errors="coerce").to_numpy()
    lon = pd.to_numeric(stops_raw["stop_lon"], errors="coerce").to_numpy()
    name_col = stops_raw["stop_name"] if "stop_name" in stops_raw.columns else pd.Series("", index=stops_raw.index)
    loc = {s: i for i, s in enumerate(raw_ids)}
    stop_rows = [loc[s] for s in boarding_ids]
    n_children = np.bincount(raw_to_board[raw_to_board >= 0], minlength=len(boarding_ids))
    own = np.array([kind[loc[s]] == 0 for s in boarding_ids])
    stops = pd.DataFrame(
        {
            "stop_id": pd.array(boarding_ids, dtype="string"),
            "stop_name": name_col.iloc[stop_rows].astype("string").to_numpy(),
            "stop_lat": lat[stop_rows],
            "stop_lon": lon[stop_rows],
            "n_platforms": np.where(own, 0, n_children),
        }
    )

    # --- stop_times: ids, times, boarding
    trip_ids = trips["trip_id"].astype(str).to_numpy()
    trip_code = pd.Index(trip_ids)
    dup_trip = trip_code.duplicated()
    if dup_trip.any():
        problems.append(f"trips.txt rows {_file_row(np.flatnonzero(dup_trip))}, column trip_id: duplicate trip_id")
    st_trip = _positions(trip_code, st["trip_id"].astype(str)) if not dup_trip.any() else np.zeros(len(st), int)
    unknown = st_trip < 0
    if unknown.any():
        problems.append(
            f"stop_times.txt rows {_file_row(np.flatnonzero(unknown))}, column trip_id: trip_id not in trips.txt"
        )
    st_raw = _positions(pd.Index(raw_ids), st["stop_id"].astype(str))
    if (st_raw < 0).any():
        problems.append(
            f"stop_times.txt rows {_file_row(np.flatnonzero(st_raw < 0))}, column stop_id: stop_id not in stops.txt"
        )
    not_boarding = (st_raw >= 0) & (kind[np.clip(st_raw, 0, None)] != 0)
    if not_boarding.any():
        problems.append(
            f"stop_times.txt rows {_file_row(np.flatnonzero(not_boarding))}, column stop_id: refers to a station, "
            "entrance or node (location_type 1–4); stop_times must name a stop or platform (location_type 0)"
        )
    without = np.setdiff1d(np.arange(len(trips)), st_trip[st_trip >= 0])
    if without.size:
        problems.append(
            f"trips.txt rows {_file_row(without)}, column trip_id: trips without any stop_times "
            f"({list(trip_ids[without][:5])}); remove them or add their stop_times"
        )
    dep, bad_dep = _seconds(st["departure_time"]) if "departure_time" in st.columns else (None, None)
    arr, bad_arr = _arrival_seconds(st, dep, bad_dep) if "arrival_time" in st.columns else (None, None)
    for column, bad in (("departure_time", bad_dep), ("arrival_time", bad_arr)):
        if bad is not None and bad.any():
            sample = st[column].astype("string").to_numpy()[bad][:3].tolist()
            problems.append(
                f"stop_times.txt rows {_file_row(np.flatnonzero(bad))}, column {column}: unparseable time "
                f"{sample}; write HH:MM:SS (hours may pass 24, e.g. 25:30:00)"
            )
    if problems:
        raise ValidationError(problems, source=path)
    seconds = dep if dep is not None else arr
    if arr is not None:
        seconds = np.where(np.isnan(seconds), arr, seconds)
    if np.isnan(seconds).any():
        seconds = _interpolate(seconds, st_trip, st["stop_sequence"].to_numpy(dtype=float), path)
    pickup = pd.to_numeric(st["pickup_type"], errors="coerce") if "pickup_type" in st.columns else None
    board = np.ones(len(st), dtype=bool) if pickup is None else (pickup.fillna(0).to_numpy() != 1)
    ev_trip, ev_raw, ev_sec, ev_board = _expand_frequencies(
        gfeed, trip_code, st_trip, st_raw, seconds, board, st["stop_sequence"].to_numpy(dtype=float)
    )
    stops["mode"] = _stop_modes(gfeed, trips, st_trip, raw_to_board[st_raw], len(stops))

    # --- services
    service_ids = tuple(pd.unique(trips["service_id"].astype(str)))
    service_index = pd.Index(service_ids)
    trip_service = service_index.get_indexer(trips["service_id"].astype(str))
    calendar, cdates = _normal_calendars(calendar, cdates, path)
    first, last = _range(calendar, cdates)
    feed = Feed(
        path=path,
        gtfs=gfeed,
        stops=stops,
        extras=extras,
        service_range=(first, last),
        _event_trip=ev_trip.astype(np.int64),
        _event_stop=raw_to_board[ev_raw].astype(np.int64),
        _event_stop_raw=ev_raw.astype(np.int64),
        _event_seconds=ev_sec.astype(np.int64),
        _event_board=ev_board,
        _trip_service=trip_service.astype(np.int64),
        _service_ids=service_ids,
        _raw_stop_ids=tuple(raw_ids),
        _calendar=calendar,
        _calendar_dates=cdates,
    )
    log.info(
        "feed %s: %d boarding stops, %d trips, %d departure events", path.name, len(stops), len(trips), len(ev_sec)
    )
    return feed


RAIL_ROUTE_TYPES = frozenset({0, 1, 2, 5, 7, 12, *range(100, 200), *range(400, 500), 900})
"""GTFS ``route_type`` values of rail (tram, metro, rail, cable tram, funicular, monorail; extended rail/urban
rail/tram): their stops follow a definition's ``station`` distance, all others its ``bus`` distance."""


def _stop_modes(gfeed: object, trips: pd.DataFrame, st_trip: np.ndarray, st_stop: np.ndarray, n: int) -> np.ndarray:
    """``"station"`` for boarding stops any rail trip calls at, else ``"bus"``."""
    routes = getattr(gfeed, "routes", None)
    rail = np.zeros(n, dtype=bool)
    if routes is None or "route_type" not in routes.columns or "route_id" not in trips.columns:
        return np.where(rail, "station", "bus")
    kind = pd.to_numeric(routes["route_type"], errors="coerce")
    rail_routes = set(routes.loc[kind.isin(RAIL_ROUTE_TYPES), "route_id"].astype(str))
    if rail_routes:
        trip_rail = trips["route_id"].astype(str).isin(rail_routes).to_numpy()
        hit = trip_rail[st_trip] & (st_stop >= 0)
        rail[st_stop[hit]] = True
    return np.where(rail, "station", "bus")


def _arrival_seconds(
    st: pd.DataFrame, dep: np.ndarray | None, bad_dep: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Arrival seconds, parsing only the cells that differ from the departure (usually none: half the work)."""
    if dep is None or bad_dep is None:
        return _seconds(st["arrival_time"])
    same = (st["arrival_time"] == st["departure_time"]).fillna(False).to_numpy(dtype=bool)
    arr = dep.copy()
    bad = bad_dep.copy()
    rows = np.flatnonzero(~same)
    if rows.size:
        arr[rows], bad[rows] = _seconds(st["arrival_time"].iloc[rows])
    return arr, bad


def _interpolate(seconds: np.ndarray, trip: np.ndarray, seq: np.ndarray, path: Path) -> np.ndarray:
    frame = pd.DataFrame({"t": trip, "q": seq, "s": seconds, "i": np.arange(len(seconds))}).sort_values(["t", "q"])
    frame["s"] = frame.groupby("t")["s"].transform(lambda s: s.interpolate(limit_area="inside"))
    out = frame.sort_values("i")["s"].to_numpy()
    still = np.isnan(out)
    if still.any():
        raise ValidationError(
            f"stop_times.txt rows {_file_row(np.flatnonzero(still))}, columns arrival_time/departure_time: no time, "
            "and none to interpolate from (the first and last stop of a trip need times)",
            source=path,
        )
    return out


def _expand_frequencies(
    gfeed: object,
    trip_code: pd.Index,
    st_trip: np.ndarray,
    st_raw: np.ndarray,
    seconds: np.ndarray,
    board: np.ndarray,
    seq: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Replace the template stop_times of frequency-based trips by one copy per run."""
    freq = getattr(gfeed, "frequencies", None)
    if freq is None or len(freq) == 0:
        return st_trip, st_raw, seconds, board
    start, bad_s = _seconds(freq["start_time"])
    end, bad_e = _seconds(freq["end_time"])
    headway = pd.to_numeric(freq["headway_secs"], errors="coerce").to_numpy(dtype=float)
    codes = trip_code.get_indexer(freq["trip_id"].astype(str))
    bad = bad_s | bad_e | np.isnan(start) | np.isnan(end) | ~(headway > 0) | (codes < 0)
    if bad.any():
        raise ValidationError(
            f"frequencies.txt rows {_file_row(np.flatnonzero(bad))}: need a known trip_id, start_time and "
            "end_time as HH:MM:SS and headway_secs > 0"
        )
    templated = np.isin(st_trip, codes)
    keep = ~templated
    parts = [(st_trip[keep], st_raw[keep], seconds[keep], board[keep])]
    for code, s0, s1, h in zip(codes, start, end, headway, strict=True):
        rows = np.flatnonzero(st_trip == code)
        rows = rows[np.argsort(seq[rows], kind="stable")]
        offset = seconds[rows] - seconds[rows[0]]
        runs = np.arange(s0, s1, h)
        parts.append(
            (
                np.repeat(np.full(len(rows), code), len(runs)),
                np.tile(st_raw[rows], len(runs)),
                (runs[:, None] + offset[None, :]).ravel(),
                np.tile(board[rows], len(runs)),
            )
        )
    return tuple(np.concatenate(p) for p in zip(*parts, strict=True))  # type: ignore[return-value]


def _normal_calendars(calendar: pd.DataFrame, cdates: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    problems = []
    cal = pd.DataFrame(columns=["service_id", "days", "start", "end"])
    if len(calendar):
        days = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
        start = pd.to_datetime(calendar["start_date"].astype(str), format="%Y%m%d", errors="coerce")
        end = pd.to_datetime(calendar["end_date"].astype(str), format="%Y%m%d", errors="coerce")
        bad = (start.isna() | end.isna()).to_numpy()
        if bad.any():
            problems.append(f"calendar.txt rows {_file_row(np.flatnonzero(bad))}, start_date/end_date: not YYYYMMDD")
        flags = np.column_stack([pd.to_numeric(calendar[d], errors="coerce").fillna(0).to_numpy() == 1 for d in days])
        cal = pd.DataFrame(
            {
                "service_id": calendar["service_id"].astype(str).to_numpy(),
                "days": list(flags),
                "start": start.dt.date.to_numpy(),
                "end": end.dt.date.to_numpy(),
            }
        )
    cd = pd.DataFrame(columns=["service_id", "date", "exception_type"])
    if len(cdates):
        date = pd.to_datetime(cdates["date"].astype(str), format="%Y%m%d", errors="coerce")
        kind = pd.to_numeric(cdates["exception_type"], errors="coerce")
        bad = (date.isna() | ~kind.isin([1, 2])).to_numpy()
        if bad.any():
            problems.append(
                f"calendar_dates.txt rows {_file_row(np.flatnonzero(bad))}, columns date/exception_type: "
                "date must be YYYYMMDD and exception_type 1 (added) or 2 (removed)"
            )
        cd = pd.DataFrame(
            {
                "service_id": cdates["service_id"].astype(str).to_numpy(),
                "date": date.dt.date.to_numpy(),
                "exception_type": kind.to_numpy(),
            }
        )
    if problems:
        raise ValidationError(problems, source=path)
    return cal, cd


def _range(cal: pd.DataFrame, cd: pd.DataFrame) -> tuple[dt.date, dt.date]:
    dates = list(cal["start"]) + list(cal["end"]) + list(cd.loc[cd["exception_type"] == 1, "date"])
    if not dates:
        raise ValidationError("the feed's calendar.txt and calendar_dates.txt define no service day")
    return min(dates), max(dates)


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


def resolve_service_date(feed: Feed, when: dt.date | str) -> dt.date:
    """The service date meant by ``when``: a date (``date``, ``"2020-11-10"``, ``"20201110"``) or a day type.

    A day type (``"平日"``, ``"土曜"``, ``"日祝"`` or an alias in :data:`DAY_TYPES`) stands for the date of that
    type in the feed's range on which the most trips run (the earliest such date on a tie): a representative
    day, skipping school holidays or year-end dates the feed thins out.

    Raises
    ------
    ValidationError
        The date lies outside the feed's service range (the message gives the range), or a day type has no date
        in it, or ``when`` is neither a date nor a day type.
    """
    first, last = feed.service_range
    if isinstance(when, str) and when.strip().lower() in {k.lower() for k in DAY_TYPES}:
        kind = next(v for k, v in DAY_TYPES.items() if k.lower() == when.strip().lower())
        table = service_dates(feed)
        table = table[(table["day_type"] == kind) & (table["trips"] > 0)]
        if table.empty:
            raise ValidationError(f"feed {feed.name}: no {kind} with service between {first} and {last}")
        return table.sort_values(["trips", "date"], ascending=[False, True]).iloc[0]["date"]
    day = _as_date(when)
    if not first <= day <= last:
        raise ValidationError(
            f"date {day} is outside the service range of feed {feed.name} ({first} to {last}): choose a date in "
            "that range or a day type (平日, 土曜, 日祝)"
        )
    return day


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
