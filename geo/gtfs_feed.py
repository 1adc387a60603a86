"""Reading a GTFS / GTFS-JP feed (the edge): validated tables and prepared departure events.

Reading is delegated to `gtfs-kit <https://pypi.org/project/gtfs-kit/>`_; this module adds the GTFS-JP extras
(``agency_jp.txt`` / ``office_jp.txt``), validation naming file, row and column, and the arrays
:mod:`geo.timetable` counts departures with (one entry per departure event, frequency trips expanded).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import re
import tempfile
import warnings
import zipfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from geo._errors import ValidationError
from geo._inputs import local_file
from geo._tables import decode, decode_to_utf8
from geo.gtfs_stops import gtfs_boarding_of, stop_id_problems

log = logging.getLogger(__name__)

__all__ = ["EXTRA_TABLES", "RAIL_ROUTE_TYPES", "Feed", "read_feed"]

EXTRA_TABLES = ("agency_jp", "office_jp")
"""GTFS-JP tables gtfs-kit does not read; kept as plain string tables in :attr:`Feed.extras`."""

_TIME = re.compile(r"^\s*(\d{1,3}):([0-5]\d):([0-5]\d)\s*$")


@dataclass(frozen=True)
class Feed:
    """A validated GTFS feed with its stop_times prepared for counting.

    Attributes
    ----------
    path : Path
        The zip or folder read.
    gtfs : gtfs_kit.Feed
        The library's feed object (all standard tables, typed by gtfs-kit; from :func:`read_feed`'s pyarrow
        path, ``stop_times`` holds only the columns geo counts with).
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


def _member_bytes(path: Path, member: str) -> bytes:
    if path.is_dir():
        return Path(member).read_bytes()
    with zipfile.ZipFile(path) as zf:
        return zf.read(member)


def _member_text(path: Path, member: str) -> tuple[str, str]:
    """A table's text through the one decoder (UTF-8 with or without BOM, CP932 …) and the encoding found."""
    return decode(_member_bytes(path, member), path / Path(member).name, encoding=None)


def _raw_table(path: Path, member: str) -> pd.DataFrame:
    """A table as strings (BOM dropped, any encoding the one decoder knows), empty cells as NaN."""
    text, _ = _member_text(path, member)
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_values=[""])
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


# stop_times as gtfs-kit reads it: these columns, these types, these cells missing (pandas' default NA texts
# and gtfs-kit's own)
_ST_COLUMNS = {"trip_id": "string", "arrival_time": "string", "departure_time": "string", "stop_id": "string",
               "stop_sequence": "Int32", "pickup_type": "Int32"}  # fmt: skip
_ST_CHECKED = {"drop_off_type": "Int32", "timepoint": "Int32", "shape_dist_traveled": "float"}
"""Typed stop_times columns geo does not need: read only to check that gtfs-kit would type them (else it refuses)."""
_NA_TEXTS = ("", " ", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
             "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null")  # fmt: skip


def _fast_stop_times(path: Path, member: str) -> pd.DataFrame | None:
    """stop_times.txt through pyarrow's CSV reader: the columns :data:`_ST_COLUMNS`, as gtfs-kit types them.

    The text goes through the one decoder (a CP932 table is read from its UTF-8 re-encoding). None where the
    table is not plain (header names with spaces or repeated, a ragged row, an integer column holding anything
    but digits): then gtfs-kit reads it as before, with the same answers and refusals.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv

    body, _ = decode_to_utf8(_member_bytes(path, member), path / Path(member).name, encoding=None)
    if body.startswith(b"\xef\xbb\xbf"):
        return None
    end = body.find(b"\n")
    head = body[: end if end >= 0 else len(body)].decode("utf-8").rstrip("\r")
    try:
        names = next(csv.reader([head]), [])
    except csv.Error:  # a lone carriage return (old Mac line ends) and the like: not plain
        return None
    if not names or any(n != n.strip() or not n for n in names) or len(set(names)) != len(names):
        return None
    wanted = [n for n in names if n in _ST_COLUMNS or n in _ST_CHECKED]
    try:
        table = pcsv.read_csv(
            pa.py_buffer(body),
            # one thread: this runs beside the small tables' read on a 2-core machine (measured 5 % faster)
            read_options=pcsv.ReadOptions(column_names=names, skip_rows=1, use_threads=False),
            parse_options=pcsv.ParseOptions(newlines_in_values=True),  # a quoted line break, as pandas reads it
            convert_options=pcsv.ConvertOptions(
                include_columns=wanted,
                column_types={n: pa.string() for n in wanted},
                null_values=list(_NA_TEXTS),
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
        columns = {}
        for name in wanted:
            column, kind = table[name], _ST_COLUMNS.get(name) or _ST_CHECKED[name]
            if kind == "string":
                columns[name] = pd.array(column, dtype=pd.StringDtype())
                continue
            if kind == "float":  # forms both pandas and pyarrow read; anything else: gtfs-kit decides
                if pc.all(pc.match_substring_regex(column, r"^-?([0-9]+\.?[0-9]*|\.[0-9]+)$")).as_py() is False:
                    return None
                continue
            if pc.all(pc.ascii_is_decimal(column)).as_py() is False:  # pyarrow would take "0x10", pandas not
                return None
            ints = pc.cast(column, pa.int32())  # out of range: ArrowInvalid, as pandas refuses it
            if name not in _ST_COLUMNS:
                continue
            values = pc.fill_null(ints, 0).to_numpy()
            columns[name] = pd.arrays.IntegerArray(values, pc.is_null(ints).to_numpy(zero_copy_only=False))
    except pa.ArrowException:
        return None
    return pd.DataFrame(columns)


def _utf8_copy(path: Path, members: dict[str, str], folder: Path, *, always: bool = False) -> Path | None:
    """Where a table is not UTF-8 (a CP932 feed), or ``always``, a UTF-8 copy of the tables in ``folder`` for
    gtfs-kit; else None."""
    texts = {name: _member_text(path, member) for name, member in members.items()}
    if not always and all(enc.startswith("utf-8") for _, enc in texts.values()):
        return None
    for name, (text, _) in texts.items():
        (folder / f"{name}.txt").write_text(text.lstrip("\ufeff"), encoding="utf-8")
    if all(enc.startswith("utf-8") for _, enc in texts.values()):
        return folder
    log.info("%s: tables in %s read as UTF-8 copies", path, sorted({e for _, e in texts.values()}))
    return folder


_EMPTY = "{name}.txt has a header but no rows: a feed without {what} has no service; give the complete feed"


def _empty_tables(path: Path, members: dict[str, str], names: tuple[str, ...]) -> list[str]:
    return [
        _EMPTY.format(name=name, what=name.replace("_", " "))
        for name in names
        if name in members and _raw_table(path, members[name]).empty
    ]


def _file_row(index: Iterable[int]) -> str:
    rows = [int(i) + 2 for i in index]  # header is line 1
    more = f" and {len(rows) - 10} more" if len(rows) > 10 else ""
    return ", ".join(map(str, rows[:10])) + more


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


def read_feed(path: str | Path, *, fast: bool = True) -> Feed:
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

    Notes
    -----
    ``stop_times.txt`` (the big table) is read with pyarrow: only the columns counting needs, typed as gtfs-kit
    types them, so ``feed.gtfs.stop_times`` holds those columns only. A table pyarrow cannot read plainly
    (an integer column with other text, a ragged row, odd header names) goes through gtfs-kit with the rest, as
    with ``fast=False`` (which always does), and is refused or read exactly as there.

    Examples
    --------
    >>> feed = read_feed("nakatsugawa_GTFS.zip")     # doctest: +SKIP
    >>> feed.service_range                           # doctest: +SKIP
    (datetime.date(2020, 10, 1), datetime.date(2021, 3, 31))
    """
    try:
        path = local_file(path, what="GTFS feed")
    except FileNotFoundError as exc:
        raise ValidationError(f"{exc}: give a .zip file, a folder of .txt tables or a pinned source name") from None
    try:
        members = _member_names(path)
    except zipfile.BadZipFile as exc:
        raise ValidationError(f"{path}: not a zip file ({exc}); give a GTFS .zip or a folder") from exc
    if not members and path.is_dir():
        inner = sorted(p.name for p in path.glob("*.zip"))
        hint = f"it holds {inner[:3]}: give the zip itself" if inner else "give the feed's .zip or its unpacked folder"
        raise ValidationError(f"the folder holds no GTFS tables (*.txt); {hint}", source=path)
    problems = [f"{name}.txt is missing (required)" for name in ("stops", "trips", "stop_times") if name not in members]
    if "calendar" not in members and "calendar_dates" not in members:
        problems.append(
            "neither calendar.txt nor calendar_dates.txt is present: which days the trips run cannot be known; "
            "add the feed's calendar.txt (or calendar_dates.txt)"
        )
    if problems:
        raise ValidationError(problems, source=path)
    if not fast:
        stops_raw = _raw_table(path, members["stops"])
        problems += _check_stops(stops_raw) + _empty_tables(path, members, ("trips", "stop_times"))
        if problems:  # gtfs-kit would fail or mislead on these; say them with their rows first
            raise ValidationError(problems, source=path)
        return _prepare(path, _gtfs_kit_feed(path, members), stops_raw, _extras(path, members))
    with ThreadPoolExecutor(max_workers=1) as pool:
        # stop_times is unzipped, checked and parsed in a thread (zlib and pyarrow let go of the GIL) while the
        # small tables are checked and read; problems and refusals are raised in the order the plain path has
        pending = pool.submit(_fast_stop_times, path, members["stop_times"])
        stops_raw = _raw_table(path, members["stops"])
        problems += _check_stops(stops_raw) + _empty_tables(path, members, ("trips",))
        small: object = None
        if not problems:
            try:
                small = _gtfs_kit_feed(path, members, without_stop_times=True)
            except ValidationError as exc:
                small = exc
        stop_times = pending.result()
    if stop_times is None:  # not plain: gtfs-kit reads every table, as with fast=False
        problems += _empty_tables(path, members, ("stop_times",))
    elif stop_times.empty:
        problems.append(_EMPTY.format(name="stop_times", what="stop times"))
    if problems:  # gtfs-kit would fail or mislead on these; say them with their rows first
        raise ValidationError(problems, source=path)
    if stop_times is None:
        return _prepare(path, _gtfs_kit_feed(path, members), stops_raw, _extras(path, members))
    if isinstance(small, ValidationError):
        raise small
    small.stop_times = stop_times  # type: ignore[attr-defined]
    return _prepare(path, small, stops_raw, _extras(path, members))


def _extras(path: Path, members: dict[str, str]) -> dict[str, pd.DataFrame]:
    return {name: _raw_table(path, members[name]) for name in EXTRA_TABLES if name in members}


def _gtfs_kit_feed(path: Path, members: dict[str, str], *, without_stop_times: bool = False) -> object:
    """gtfs-kit's feed of every table (the zip itself where all are UTF-8, else a UTF-8 copy), or of a UTF-8 copy
    of all but stop_times."""
    import gtfs_kit

    with tempfile.TemporaryDirectory(prefix="geo-gtfs-") as tmp:
        if without_stop_times:
            small = {k: v for k, v in members.items() if k != "stop_times"}
            readable = _utf8_copy(path, small, Path(tmp), always=True)
        else:
            readable = _utf8_copy(path, members, Path(tmp)) or path
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return gtfs_kit.read_feed(readable, dist_units="km")
        except Exception as exc:  # gtfs-kit raises ValueError/KeyError/… on malformed tables
            raise ValidationError(
                f"gtfs-kit could not read the feed: {type(exc).__name__}: {exc}", source=path
            ) from exc


def _check_stops(stops: pd.DataFrame) -> list[str]:
    problems: list[str] = []
    for column in ("stop_id", "stop_lat", "stop_lon"):
        if column not in stops.columns:
            problems.append(f"stops.txt has no column {column!r} (columns: {list(stops.columns)})")
    if problems:
        return problems
    problems += stop_id_problems(stops)
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
    board_of = gtfs_boarding_of(stops_raw)
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
    without = np.flatnonzero(np.bincount(st_trip[st_trip >= 0], minlength=len(trips)) == 0)  # = np.setdiff1d
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
    seq = st["stop_sequence"].to_numpy(dtype=float)
    if np.isnan(seconds).any():
        seconds = _interpolate(seconds, st_trip, seq, path)
    pickup = pd.to_numeric(st["pickup_type"], errors="coerce") if "pickup_type" in st.columns else None
    board = np.ones(len(st), dtype=bool) if pickup is None else (pickup.fillna(0).to_numpy() != 1)
    ev_trip, ev_raw, ev_sec, ev_board = _expand_frequencies(gfeed, trip_code, st_trip, st_raw, seconds, board, seq)
    stops["mode"] = _stop_modes(gfeed, trips, st_trip, raw_to_board[st_raw], len(stops))

    _check_order(seconds, st_trip, seq, trip_ids, path)

    # --- services
    service_ids = tuple(pd.unique(trips["service_id"].astype(str)))
    service_index = pd.Index(service_ids)
    trip_service = service_index.get_indexer(trips["service_id"].astype(str))
    calendar, cdates = _normal_calendars(calendar, cdates, path)
    _check_services(trips, calendar, cdates, path)
    first, last = _range(calendar, cdates, path)
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


def _range(cal: pd.DataFrame, cd: pd.DataFrame, path: Path) -> tuple[dt.date, dt.date]:
    dates = list(cal["start"]) + list(cal["end"]) + list(cd.loc[cd["exception_type"] == 1, "date"])
    if not dates:
        which = "calendar.txt has no rows" if len(cd) else "calendar.txt and calendar_dates.txt have no rows"
        if not len(cal) and len(cd):
            which = "there is no calendar.txt and calendar_dates.txt only removes dates (exception_type 2)"
        raise ValidationError(
            f"{which}: no day of service is defined; add the feed's calendar.txt (service_id, weekday flags, "
            "start_date, end_date)",
            source=path,
        )
    return min(dates), max(dates)


def _check_services(trips: pd.DataFrame, cal: pd.DataFrame, cd: pd.DataFrame, path: Path) -> None:
    """Trips whose service_id no calendar knows would never run: refused, not dropped without a word."""
    known = set(cal["service_id"]) | set(cd["service_id"])
    sid = trips["service_id"].astype(str)
    unknown = ~sid.isin(known).to_numpy()
    if unknown.any():
        ids = sorted(set(sid[unknown]))
        raise ValidationError(
            f"trips.txt rows {_file_row(np.flatnonzero(unknown))}, column service_id: {ids[:5]} are in neither "
            "calendar.txt nor calendar_dates.txt, so these trips would never run; add the services to the "
            "calendar or correct the trips' service_id",
            source=path,
        )


def _check_order(times: np.ndarray, trip: np.ndarray, seq: np.ndarray, trip_ids: np.ndarray, path: Path) -> None:
    """Times must not decrease along a trip's stop_sequence (a stop reached before the one before it)."""
    order = _trip_order(trip, seq)
    t, tr = times[order], trip[order]
    back = np.flatnonzero((tr[1:] == tr[:-1]) & (t[1:] < t[:-1])) + 1
    if back.size:
        rows = np.sort(order[back])
        sample = sorted(set(trip_ids[trip[rows]].tolist()))[:5]
        raise ValidationError(
            f"stop_times.txt rows {_file_row(rows)}, columns arrival_time/departure_time: earlier than the "
            f"stop before it along stop_sequence (trips {sample}); correct the times or the stop_sequence",
            source=path,
        )


def _trip_order(trip: np.ndarray, seq: np.ndarray) -> np.ndarray:
    """``np.lexsort((seq, trip))``, or where each trip's rows already stand together in stop_sequence order
    (as feeds write them) the rows as they are: the same neighbours along each trip, without the sort."""
    n = len(trip)
    if n:
        change = trip[1:] != trip[:-1]
        firsts = trip[np.concatenate(([0], np.flatnonzero(change) + 1))]
        in_blocks = firsts.min() >= 0 and np.bincount(firsts).max() <= 1
        if in_blocks and bool(np.all((seq[1:] >= seq[:-1]) | change)):  # NaN: sorted by lexsort
            return np.arange(n)
    return np.lexsort((seq, trip))


# ------------------------------------------------------------------------------------------------ changes
def without_service(feed: Feed, *, routes: Iterable[str] = (), stops: Iterable[str] = ()) -> Feed:
    """The feed with the trips of ``routes`` and the boarding ``stops`` left out (a scenario's cuts).

    ``routes`` are GTFS ``route_id``\\ s; ``stops`` are boarding ``stop_id``\\ s (a station's own id, or one of
    its platforms' ids, removes the station) or ``stop_name``\\ s (every boarding stop of that name). A removed
    stop's row leaves :attr:`Feed.stops`; a removed route's departures leave every stop, which stays (with
    fewer departures) and keeps its mode. Calendars are unchanged, so the service day chosen is the same.

    Raises
    ------
    ValidationError
        A route or stop the feed does not have (the message lists some that it has).
    """
    routes, stops = [str(r) for r in routes], [str(s) for s in stops]
    trips: pd.DataFrame = feed.gtfs.trips  # type: ignore[attr-defined]
    route_of_trip = trips["route_id"].astype(str).to_numpy()
    problems = []
    known_routes = set(route_of_trip)
    bad = [r for r in routes if r not in known_routes]
    if bad:
        problems.append(f"{feed.name}: remove_routes {bad} are not route_ids of trips.txt; some it has: "
                        f"{sorted(known_routes)[:12]}")  # fmt: skip
    ids = feed.stops["stop_id"].astype(str).to_numpy()
    names = feed.stops["stop_name"].astype(str).to_numpy()
    raw_index = {r: i for i, r in enumerate(feed._raw_stop_ids)}
    drop = np.zeros(len(ids), dtype=bool)
    for s in stops:
        hit = (ids == s) | (names == s)
        if s in raw_index:  # a platform's id: the boarding stop its departures count at
            hit[np.unique(feed._event_stop[feed._event_stop_raw == raw_index[s]])] = True
        if not hit.any():
            problems.append(f"{feed.name}: remove_stops {s!r} is neither a stop_id nor a stop_name; some it has: "
                            f"{list(dict.fromkeys(names))[:8]}")  # fmt: skip
        drop |= hit
    if problems:
        raise ValidationError(problems)
    keep_event = ~np.isin(route_of_trip[feed._event_trip], routes) & ~drop[feed._event_stop]
    new_code = np.cumsum(~drop) - 1
    return replace(
        feed,
        stops=feed.stops.loc[~drop].reset_index(drop=True),
        _event_trip=feed._event_trip[keep_event],
        _event_stop=new_code[feed._event_stop[keep_event]],
        _event_stop_raw=feed._event_stop_raw[keep_event],
        _event_seconds=feed._event_seconds[keep_event],
        _event_board=feed._event_board[keep_event],
    )


def feed_names(feed: Feed) -> tuple[set[str], set[str]]:
    """The route_ids of the feed's trips, and every name a stop can be removed by (:func:`without_service`):
    boarding stop_ids, platform stop_ids and stop_names."""
    routes = set(feed.gtfs.trips["route_id"].astype(str))  # type: ignore[attr-defined]
    stops = set(feed.stops["stop_id"].astype(str)) | set(feed.stops["stop_name"].astype(str))
    return routes, stops | set(feed._raw_stop_ids)
