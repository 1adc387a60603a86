"""Timetables: departures per stop equal an independent count from the raw feed; day types; bad input."""

from __future__ import annotations

import csv
import datetime as dt
import io
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
from raw_gtfs import independent_counts

import geo
from geo.timetable import day_type_of, read_feed, resolve_service_date, stop_departures

FEEDS = "gtfs-jp-nakatsugawa-toyota"


@pytest.mark.parametrize(
    ("name", "day"),
    [("nakatsugawa_GTFS.zip", dt.date(2020, 11, 10)), ("toyota_kikan_GTFS.zip", dt.date(2020, 12, 10))],
)
def test_departures_equal_an_independent_count(shared_data, name, day):
    path = shared_data / FEEDS / name
    deps = geo.stop_departures(geo.read_feed(path), date=day, windows=["07-09", "19-22"]).set_index("stop_id")
    whole, morning = independent_counts(path, day, start_h=7, end_h=9)
    _, evening = independent_counts(path, day, start_h=19, end_h=22)
    assert sum(whole.values()) > 0
    for stop_id in deps.index:
        assert deps.at[stop_id, "dep_day"] == whole.get(stop_id, 0), stop_id
        assert deps.at[stop_id, "dep_07-09"] == morning.get(stop_id, 0), stop_id
        assert deps.at[stop_id, "dep_19-22"] == evening.get(stop_id, 0), stop_id
    assert set(whole) <= set(deps.index)


def test_every_call_equals_gtfs_kit_stop_stats(shared_data):
    import gtfs_kit

    feed = read_feed(shared_data / FEEDS / "toyota_kikan_GTFS.zip")
    ours = stop_departures(feed, date="2020-12-10", boarding_only=False).set_index("stop_id")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = gtfs_kit.compute_stop_stats(feed.gtfs, ["20201210"]).set_index("stop_id")
    assert ours.loc[theirs.index, "dep_day"].tolist() == theirs["num_trips"].astype(int).tolist()
    assert ours.loc[theirs.index, "first_departure"].tolist() == theirs["start_time"].tolist()
    assert (ours.drop(theirs.index)["dep_day"] == 0).all()


def test_day_types_follow_japanese_holidays(shared_data):
    feed = read_feed(shared_data / FEEDS / "nakatsugawa_GTFS.zip")
    assert day_type_of(dt.date(2020, 11, 3)) == "日祝"  # 文化の日, a Tuesday
    assert day_type_of(dt.date(2020, 11, 10)) == "平日"
    assert day_type_of(dt.date(2020, 11, 14)) == "土曜"
    weekday = resolve_service_date(feed, "平日")
    assert day_type_of(weekday) == "平日"
    holiday = stop_departures(feed, date="2020-11-03")
    tuesday = stop_departures(feed, date="2020-11-10")
    assert holiday["dep_day"].sum() < tuesday["dep_day"].sum()
    assert (holiday["day_type"] == "日祝").all()


def _write_feed(folder: Path, tables: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in tables.items():
        (folder / f"{name}.txt").write_text(text.strip() + "\n", encoding="utf-8")
    return folder


BASE = {
    "agency": "agency_id,agency_name,agency_url,agency_timezone\nA,テスト,http://example.jp,Asia/Tokyo",
    "routes": "route_id,agency_id,route_short_name,route_long_name,route_type\nR,A,1,線,3",
    "stops": (
        "stop_id,stop_name,stop_lat,stop_lon,location_type,parent_station\n"
        "S,駅,35.0,137.0,1,\nP1,1番のりば,35.0001,137.0,0,S\nP2,2番のりば,35.0002,137.0,0,S\n"
        "E,入口,35.0003,137.0,2,S\nB,バス停,35.01,137.01,0,"
    ),
    "trips": "route_id,service_id,trip_id\nR,WK,T1\nR,WK,T2\nR,WK,T3",
    "stop_times": (
        "trip_id,arrival_time,departure_time,stop_id,stop_sequence,pickup_type\n"
        "T1,07:00:00,07:00:00,P1,1,0\nT1,07:10:00,07:10:00,B,2,1\n"
        "T2,24:30:00,24:30:00,P2,1,0\nT2,,,B,2,0\nT2,25:30:00,25:30:00,P1,3,1\n"
        "T3,08:00:00,08:00:00,B,1,0\nT3,08:05:00,08:05:00,P1,2,0"
    ),
    "calendar_dates": "service_id,date,exception_type\nWK,20201110,1\nWK,20201111,1",
}


def test_calendar_dates_only_midnight_folding_and_interpolation(tmp_path):
    feed = read_feed(_write_feed(tmp_path / "f", BASE))
    assert feed.service_range == (dt.date(2020, 11, 10), dt.date(2020, 11, 11))
    deps = stop_departures(feed, date="2020-11-10", windows=["07-09", "24-26"]).set_index("stop_id")
    # platforms fold into their station; the entrance (type 2) is never a stop
    assert sorted(deps.index) == ["B", "S"]
    # S: 07:00 (T1), 24:30 (T2), 08:05 (T3); 25:30 has pickup_type 1 (drop-off only)
    assert deps.at["S", "dep_day"] == 3
    assert deps.at["S", "dep_07-09"] == 2
    assert deps.at["S", "dep_24-26"] == 1
    assert deps.at["S", "last_departure"] == "24:30:00"  # the service day's, not the next date's
    # B: T1 drop-off only; T2 interpolated (25:00) ; T3 08:00
    assert deps.at["B", "dep_day"] == 2
    assert deps.at["B", "dep_24-26"] == 1
    assert deps.at["B", "last_departure"] == "25:00:00"
    assert deps.at["S", "headway_07-09"] == pytest.approx(60.0)


def test_frequencies_expand_into_runs(tmp_path):
    tables = dict(BASE)
    tables["frequencies"] = "trip_id,start_time,end_time,headway_secs\nT3,08:00:00,09:00:00,600"
    deps = stop_departures(read_feed(_write_feed(tmp_path / "f", tables)), date="20201110", windows=["08-09"])
    deps = deps.set_index("stop_id")
    assert deps.at["B", "dep_08-09"] == 6  # 08:00, 08:10, … 08:50 (end exclusive)
    assert deps.at["S", "dep_08-09"] == 6  # 08:05 … 08:55


def _error(tmp_path: Path, **changes: str) -> str:
    tables = {**BASE, **changes}
    with pytest.raises(geo.ValidationError) as info:
        read_feed(_write_feed(tmp_path / "bad", tables))
    return str(info.value)


def test_bad_feeds_name_file_row_and_column(tmp_path):
    msg = _error(tmp_path, stops=BASE["stops"].replace("B,バス停,35.01,137.01", "B,バス停,,137.01"))
    assert "stops.txt" in msg and "rows 6" in msg and "stop_lat" in msg
    msg = _error(tmp_path, stops=BASE["stops"] + "\nB,重複,35.02,137.02,0,")
    assert "stops.txt" in msg and "rows 6, 7" in msg and "duplicate stop_id" in msg
    msg = _error(tmp_path, trips=BASE["trips"] + "\nR,WK,T9")
    assert "trips.txt" in msg and "rows 5" in msg and "without any stop_times" in msg and "T9" in msg
    msg = _error(tmp_path, stop_times=BASE["stop_times"].replace("08:00:00,08:00:00", "8時,8時"))
    assert "stop_times.txt" in msg and "rows 7," in msg and "departure_time" in msg and "unparseable" in msg
    msg = _error(tmp_path, stop_times=BASE["stop_times"] + "\nT3,08:09:00,08:09:00,ZZ,3,0")
    assert "stop_times.txt" in msg and "stop_id not in stops.txt" in msg
    (tmp_path / "bad" / "calendar_dates.txt").unlink()
    with pytest.raises(geo.ValidationError, match=r"neither calendar\.txt nor calendar_dates\.txt"):
        read_feed(tmp_path / "bad")


def test_date_outside_service_range_says_the_range(shared_data):
    feed = read_feed(shared_data / FEEDS / "nakatsugawa_GTFS.zip")
    with pytest.raises(geo.ValidationError, match=r"outside the service range .*2020-10-01 to 2021-03-31"):
        stop_departures(feed, date="2022-04-01")
    with pytest.raises(geo.ValidationError, match="neither a date"):
        stop_departures(feed, date="someday")


def test_feed_from_folder_equals_zip_and_keeps_gtfs_jp_extras(shared_data, tmp_path):
    with zipfile.ZipFile(shared_data / FEEDS / "nakatsugawa_GTFS.zip") as zf:
        zf.extractall(tmp_path / "naka")
    (tmp_path / "naka" / "office_jp.txt").write_text("office_id,office_name\n1,中津川営業所\n", encoding="utf-8")
    folder = read_feed(tmp_path / "naka")
    assert folder.extras["office_jp"]["office_name"].tolist() == ["中津川営業所"]
    a = stop_departures(folder, date="2020-11-10")
    b = stop_departures(read_feed(shared_data / FEEDS / "nakatsugawa_GTFS.zip"), date="2020-11-10")
    assert np.array_equal(a["dep_day"], b["dep_day"])


# ------------------------------------------------------------------ the representative day of a day type (issue 20)
TOYOTA = "toyota_kikan_GTFS.zip"
NAKA = "nakatsugawa_GTFS.zip"


def _rewrite_zip(source: Path, target: Path, edit: dict[str, object], *, encoding: str = "") -> Path:
    """A copy of a real feed with some tables edited: ``{name: function(list of rows) -> list of rows}`` (None
    leaves the table out); ``encoding`` re-encodes every table (e.g. ``"cp932"``)."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            name = Path(item.filename).stem
            if name in edit and edit[name] is None:
                continue
            if encoding:
                data = data.decode("utf-8-sig").encode(encoding)
            if name in edit:
                text = data.decode(encoding or "utf-8-sig")
                rows = list(csv.DictReader(io.StringIO(text)))
                fields = list(rows[0])
                out = io.StringIO()
                writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
                writer.writeheader()
                writer.writerows(edit[name](rows))  # type: ignore[operator]
                data = out.getvalue().encode(encoding or "utf-8")
            zout.writestr(item.filename, data)
    return target


def test_toyota_holiday_day_is_a_real_sunday_with_holiday_service(shared_data):
    import jpholiday

    from geo.timetable import service_day

    feed = read_feed(shared_data / FEEDS / TOYOTA)
    day = service_day(feed, "日祝")
    # not 2021-07-22, the Olympic-moved 海の日 that ran the weekday timetable (the day with the most trips)
    assert day.date == dt.date(2020, 12, 13)
    assert day.date.weekday() == 6 or jpholiday.is_holiday(day.date)
    assert "土日祝" in day.services and "平日" not in day.services
    assert day.trips == 340
    assert "59 of the 68 日祝 dates" in day.reason
    assert any("2021-07-22, 2021-07-23" in n and "weekday services" in n for n in day.notes)
    weekday = service_day(feed, "平日")
    assert weekday.trips > day.trips and not weekday.notes  # 210 of 265 weekdays: representative, no warning


def test_nakatsugawa_holiday_day_is_a_sunday_without_service(shared_data):
    from geo.timetable import service_day

    feed = read_feed(shared_data / FEEDS / NAKA)
    day = service_day(feed, "日祝")
    # not 2020-11-03 (文化の日, one of the 3 holidays with a bus): 30 of its 33 日祝 dates have no service
    assert day.date == dt.date(2020, 10, 4) and day.date.weekday() == 6
    assert day.services == () and day.trips == 0
    assert "30 of the 33 日祝 dates" in day.reason and "no bus runs" in day.reason
    deps = stop_departures(feed, date="日祝")
    assert deps["dep_day"].sum() == 0 and (deps["service_date"] == dt.date(2020, 10, 4)).all()


def test_a_pattern_covering_few_dates_is_warned(shared_data):
    from geo.timetable import service_day

    day = service_day(read_feed(shared_data / FEEDS / NAKA), "平日")  # each weekday runs its own set of lines
    assert len(day.notes) == 1
    assert "only 25 of 124 平日 dates (20%)" in day.notes[0] and "Pass a date" in day.notes[0]


def test_a_feed_spanning_a_timetable_change_uses_the_current_timetable(shared_data, tmp_path):
    """A ダイヤ改正 on 2021-04-01 drops the school-day trips: the weekday is the newer timetable's, not the busiest."""
    from geo.timetable import service_day

    def change(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        return [{**r, "end_date": "20210331"} if r["service_id"] == "平日登校日" else r for r in rows]

    path = _rewrite_zip(shared_data / FEEDS / TOYOTA, tmp_path / "toyota_kaisei.zip", {"calendar": change})
    day = service_day(read_feed(path), "平日")
    assert "平日登校日" not in day.services and day.trips == 484  # the busiest weekday ran 485 trips
    assert "174 of the 265 平日 dates" in day.reason


def test_a_feed_encoding_no_holidays_is_detected(shared_data, tmp_path):
    import jpholiday

    from geo.timetable import holiday_notes, service_day

    def drop_holidays(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        return [r for r in rows if not jpholiday.is_holiday(dt.datetime.strptime(r["date"], "%Y%m%d").date())]

    path = _rewrite_zip(shared_data / FEEDS / TOYOTA, tmp_path / "toyota_no_holidays.zip",
                        {"calendar_dates": drop_holidays})  # fmt: skip
    feed = read_feed(path)
    (note,) = holiday_notes(feed)
    assert "encodes no public holidays" in note and "2021-01-11" in note and "calendar_dates.txt" in note
    day = service_day(feed, "日祝")
    assert day.date.weekday() == 6 and note in day.notes
    assert holiday_notes(read_feed(shared_data / FEEDS / NAKA)) == ()  # 中津川 encodes its holidays


# ------------------------------------------------------------------ GTFS inputs that once broke or misled (issue 20)
def test_a_cp932_feed_reads_like_its_utf8_original(shared_data, tmp_path):
    path = _rewrite_zip(shared_data / FEEDS / NAKA, tmp_path / "naka_cp932.zip", {}, encoding="cp932")
    with zipfile.ZipFile(path) as zf, pytest.raises(UnicodeDecodeError):
        zf.read("stops.txt").decode("utf-8")
    ours = stop_departures(geo.read_feed(path), date="2020-11-10")
    original = stop_departures(geo.read_feed(shared_data / FEEDS / NAKA), date="2020-11-10")
    assert ours["stop_name"].tolist() == original["stop_name"].tolist()
    assert ours["dep_day"].tolist() == original["dep_day"].tolist() and ours["dep_day"].sum() > 0


def _refused(path: Path) -> str:
    with pytest.raises(geo.ValidationError) as info:
        geo.read_feed(path)
    return str(info.value)


def test_broken_feeds_are_refused_with_file_row_and_fix(shared_data, tmp_path):
    naka = shared_data / FEEDS / NAKA
    folder = tmp_path / "download"
    folder.mkdir()
    (folder / NAKA).write_bytes(naka.read_bytes())
    assert "holds ['nakatsugawa_GTFS.zip']: give the zip itself" in _refused(folder)

    no_calendar = _rewrite_zip(naka, tmp_path / "no_calendar.zip", {"calendar": None})
    message = _refused(no_calendar)
    assert "no calendar.txt and calendar_dates.txt only removes dates" in message and "add the feed's" in message

    no_trips = _rewrite_zip(naka, tmp_path / "no_trips.zip", {"trips": lambda rows: []})
    assert "trips.txt has a header but no rows" in _refused(no_trips)

    def unknown_service(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        return [{**r, "service_id": "運休"} if i == 4 else r for i, r in enumerate(rows)]

    message = _refused(_rewrite_zip(naka, tmp_path / "unknown_service.zip", {"trips": unknown_service}))
    assert "trips.txt rows 6, column service_id: ['運休']" in message and "would never run" in message

    def backwards(rows: list[dict[str, str]]) -> list[dict[str, str]]:  # the 2nd call of the first trip at 08:30
        return [{**r, "arrival_time": "08:30:00", "departure_time": "08:30:00"} if i == 1 else r
                for i, r in enumerate(rows)]  # fmt: skip

    message = _refused(_rewrite_zip(naka, tmp_path / "backwards.zip", {"stop_times": backwards}))
    assert "stop_times.txt rows 3, columns arrival_time/departure_time: earlier than the stop before it" in message
    assert "10福岡金_08時32分_系統641001" in message


def test_points_refuses_a_duplicated_stop_id_like_the_timetable_reader(shared_data, tmp_path):
    def twice(rows: list[dict[str, str]]) -> list[dict[str, str]]:  # stop 3 listed again 1 km away
        moved = {**rows[2], "stop_lat": str(float(rows[2]["stop_lat"]) + 0.009)}
        return [*rows, moved]

    path = _rewrite_zip(shared_data / FEEDS / NAKA, tmp_path / "dup.zip", {"stops": twice})
    with pytest.raises(geo.ValidationError, match=r"stops.txt rows 4, 371, column stop_id: duplicate stop_id"):
        geo.read_points(path)
    assert "duplicate stop_id" in _refused(path)


def test_times_parsed_once_per_distinct_text_match_parsing_every_cell():
    """read_feed parses each distinct H:MM:SS text once and spreads the answers back: the same seconds and the
    same unparseable cells as parsing every cell (empty, spaced, full-width, 25:00:00 and broken texts included)."""
    import pandas as pd

    from geo import gtfs_feed

    rng = np.random.default_rng(0)
    n = 20_000
    texts = [f"{h}:{m:02d}:{s:02d}" for h, m, s in zip(rng.integers(0, 30, n), rng.integers(0, 60, n),
                                                      rng.integers(0, 60, n), strict=True)]  # fmt: skip
    texts[:8] = [None, "", " 7:00:00", "bad", "7:0:00", "24:61:00", "１２:00:00", "125:00:00"]
    for dtype in (object, "string"):
        values = pd.Series(texts, dtype=dtype)
        once, every = gtfs_feed._seconds(values), gtfs_feed._parse_seconds(values)
        np.testing.assert_array_equal(once[0], every[0])
        np.testing.assert_array_equal(once[1], every[1])
        assert once[1][:8].tolist() == every[1][:8].tolist() and np.isnan(once[0][0])


def test_id_lookups_once_per_distinct_id_match_get_indexer():
    """stop_times' trip and stop ids are looked up once per distinct id: the same positions as get_indexer
    (ids missing from the index and missing cells give -1)."""
    import pandas as pd

    from geo import gtfs_feed

    rng = np.random.default_rng(1)
    ids = [f"t{i}" for i in range(500)]
    values = [ids[i] for i in rng.integers(0, 500, 20_000)]
    values[:2] = ["not-a-trip", None]
    index = pd.Index(np.array(ids, dtype=object))
    for dtype in (object, "string"):
        column = pd.Series(values, dtype=dtype).astype(str)
        np.testing.assert_array_equal(gtfs_feed._positions(index, column), index.get_indexer(column))
