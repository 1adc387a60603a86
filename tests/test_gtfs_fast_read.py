"""stop_times read with pyarrow (issue 24) gives the same Feed as gtfs-kit reading every table, and falls back
to gtfs-kit (same answers, same refusals) where the table is not plain."""

from __future__ import annotations

import itertools
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import geo
from geo import gtfs_feed
from geo._tables import decode, decode_to_utf8

FEEDS = "gtfs-jp-nakatsugawa-toyota"


def _assert_same_feed(a: gtfs_feed.Feed, b: gtfs_feed.Feed) -> None:
    for name in a.__dataclass_fields__:
        x, y = getattr(a, name), getattr(b, name)
        if name in ("gtfs", "path"):
            continue
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype and np.array_equal(x, y), name
        elif isinstance(x, pd.DataFrame):
            pd.testing.assert_frame_equal(x, y)
        elif isinstance(x, dict):
            assert x.keys() == y.keys()
            for key in x:
                pd.testing.assert_frame_equal(x[key], y[key])
        else:
            assert x == y, name
    full, fast = a.gtfs.stop_times, b.gtfs.stop_times  # type: ignore[attr-defined]
    assert list(fast.columns) == [c for c in full.columns if c in gtfs_feed._ST_COLUMNS]
    pd.testing.assert_frame_equal(full[list(fast.columns)], fast)
    for table in ("trips", "stops", "routes", "calendar", "calendar_dates"):
        x, y = getattr(a.gtfs, table), getattr(b.gtfs, table)
        assert (x is None and y is None) or x.equals(y), table


def _recode(source: Path, target: Path, encoding: str, *, bom: bool = False) -> Path:
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename).decode("utf-8-sig").encode(encoding)
            zout.writestr(item.filename, (b"\xef\xbb\xbf" if bom else b"") + data)
    return target


@pytest.mark.parametrize("name", ["toyota_kikan_GTFS.zip", "nakatsugawa_GTFS.zip"])
def test_fast_stop_times_give_the_same_feed_on_the_real_feeds(shared_data, tmp_path, name):
    path = shared_data / FEEDS / name
    assert gtfs_feed._fast_stop_times(path, gtfs_feed._member_names(path)["stop_times"]) is not None
    _assert_same_feed(gtfs_feed.read_feed(path, fast=False), gtfs_feed.read_feed(path))
    cp932 = _recode(path, tmp_path / "cp932.zip", "cp932")
    with zipfile.ZipFile(cp932) as zf, pytest.raises(UnicodeDecodeError):
        zf.read("stop_times.txt").decode("utf-8") if name.startswith("toyota") else zf.read("stops.txt").decode()
    _assert_same_feed(gtfs_feed.read_feed(cp932, fast=False), gtfs_feed.read_feed(cp932))
    _assert_same_feed(gtfs_feed.read_feed(path), gtfs_feed.read_feed(cp932))
    bom = _recode(path, tmp_path / "bom.zip", "utf-8", bom=True)
    _assert_same_feed(gtfs_feed.read_feed(path), gtfs_feed.read_feed(bom))


HEAD = "trip_id,arrival_time,departure_time,stop_id,stop_sequence,pickup_type\n"
BASE = {
    "agency": "agency_id,agency_name,agency_url,agency_timezone\nA,テスト,http://example.jp,Asia/Tokyo",
    "routes": "route_id,agency_id,route_short_name,route_long_name,route_type\nR,A,1,線,3",
    "stops": "stop_id,stop_name,stop_lat,stop_lon\nA,甲,35.0,137.0\nB,乙,35.01,137.01\nNA,丙,35.02,137.02",
    "trips": "route_id,service_id,trip_id\nR,WK,T1\nR,WK,T2",
    "calendar_dates": "service_id,date,exception_type\nWK,20201110,1",
}


def _feed(folder: Path, stop_times: str, tables: dict[str, str] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in {**(tables or BASE), "stop_times": stop_times}.items():
        (folder / f"{name}.txt").write_text(text.strip() + "\n", encoding="utf-8")
    return folder


def _outcome(path: Path, *, fast: bool) -> object:
    try:
        feed = gtfs_feed.read_feed(path, fast=fast)
    except Exception as exc:  # a refusal (or a parser's own error) must be the same either way
        return f"{type(exc).__name__}: {exc}"
    return feed


@pytest.mark.parametrize(
    "rows, plain",
    [
        (HEAD + "T1,07:00:00,07:00:00,A,1,0\nT1,,,B,2,\nT1,07:20:00,07:20:00,A,3,1\nT2,08:00:00,08:00:00,B,1,0", True),
        (HEAD + 'T1,07:00:00,"07:00:00",A,1,0\nT2,NA,08:00:00,B,01,0\n\nT2,08:10:00,08:10:00,A,2,null', True),
        (HEAD + 'T1,"",07:00:00,A,1,"NA"\nT1,07:05:00,07:05:00,"NA",2,""\nT2,08:00:00,08:00:00,B,1,0', True),
        (HEAD + "T1,07:00:00,07:00:00,A,1,0\nT2,08:00:00,08:00:00,B,4294967296,0", False),
        (HEAD + "T1,07:00:00,07:00:00,A,1,0\nT2,08:00:00,08:00:00,B,-1,0", False),
        (HEAD + "T1,07:00:00,07:00:00,A,1,0\nT2,08:00:00,08:00:00,B,0x10,0", False),
        (HEAD + "T1,07:00:00,07:00:00,A,1.0,0\nT2,08:00:00,08:00:00,B,1,0", False),
        (HEAD + "T1,07:00:00,07:00:00,A,x,0\nT2,08:00:00,08:00:00,B,1,0", False),
        (HEAD + "T1,07:00:00,07:00:00,A,1,0\nT2,08:00:00,08:00:00,B,1", False),
        (HEAD + "T1,07:00:00,07:00:00,A,1,0\nT2,08:00:00,08:00:00,B,1,0,9", False),
        (
            HEAD.replace("stop_sequence", " stop_sequence") + "T1,07:00:00,07:00:00,A,1,0\nT2,8:00:00,8:00:00,B,1,0",
            False,
        ),
        (HEAD + "T1,07:00:00,07:00:00,ZZ,1,0\nT2,8時,8時,B,1,0", True),
        (HEAD, True),
        (
            HEAD.replace("\n", ",stop_headsign\n")
            + 'T1,07:00:00,07:00:00,A,1,0,"two\nlines"\nT2,08:00:00,08:00:00,B,1,0,x',
            True,
        ),
        (HEAD.replace("\n", "\r") + "T1,07:00:00,07:00:00,A,1,0\rT2,08:00:00,08:00:00,B,1,0", False),
        (
            HEAD.replace("\n", ",timepoint,shape_dist_traveled\n")
            + "T1,07:00:00,07:00:00,A,1,0,1,0.5\nT2,8:00:00,8:00:00,B,1,0,,.5",
            True,
        ),
        (HEAD.replace("\n", ",timepoint\n") + "T1,07:00:00,07:00:00,A,1,0,x\nT2,08:00:00,08:00:00,B,1,0,1", False),
        (
            HEAD.replace("\n", ",shape_dist_traveled\n")
            + "T1,07:00:00,07:00:00,A,1,0,1km\nT2,08:00:00,08:00:00,B,1,0,1",
            False,
        ),
        (
            HEAD.replace("\n", ",drop_off_type,stop_headsign\n")
            + "T1,07:00:00,07:00:00,A,1,0,9999999999,x\nT2,08:00:00,08:00:00,B,1,0,1,y",
            False,
        ),
    ],
)
def test_plain_tables_read_fast_and_the_rest_like_gtfs_kit(tmp_path, rows, plain):
    path = _feed(tmp_path / "f", rows)
    assert (gtfs_feed._fast_stop_times(path, str(path / "stop_times.txt")) is not None) == plain
    old, new = _outcome(path, fast=False), _outcome(path, fast=True)
    if isinstance(old, str):
        assert new == old
    else:
        _assert_same_feed(old, new)


def test_trips_in_blocks_skip_the_sort_with_the_same_neighbours():
    """_check_order compares each stop_time with the one before it along its trip: rows already grouped by trip in
    stop_sequence order (ties included) keep their order and give the same neighbours as the sort."""
    rng = np.random.default_rng(2)
    blocks = [np.sort(rng.integers(0, 5, rng.integers(1, 9))).astype(float) for _ in range(50)]
    trip = np.concatenate([np.full(len(b), t) for t, b in zip(rng.permutation(50), blocks, strict=True)])
    seq = np.concatenate(blocks)
    shuffled = rng.permutation(len(trip))
    split = np.concatenate([trip[5:], trip[:5]])  # the first trip's rows in two places

    def neighbours(order: np.ndarray, t: np.ndarray) -> set[tuple[int, int]]:
        return {(int(a), int(b)) for a, b in itertools.pairwise(order) if t[a] == t[b]}

    for t, s in ((trip, seq), (trip[shuffled], seq[shuffled]), (trip, seq[::-1].copy()), (split, seq)):
        assert neighbours(gtfs_feed._trip_order(t, s), t) == neighbours(np.lexsort((s, t)), t)
    assert np.array_equal(gtfs_feed._trip_order(trip, seq), np.arange(len(trip)))
    assert not np.array_equal(gtfs_feed._trip_order(trip[shuffled], seq[shuffled]), np.arange(len(trip)))


@pytest.mark.parametrize(
    "data",
    [
        b"a,b\n1,2\n",
        "停留所,時刻\n中津川,07:00\n".encode(),
        "\ufeff停留所\n中津川\n".encode(),
        "停留所,時刻\n中津川,07:00\n".encode("cp932"),
        "停留所\n".encode("utf-16"),
        "a\n\u0085b\n".encode(),  # a C1 control: not read as UTF-8
        "a\n\uf8f1\n".encode(),  # cp932's 0xFD as Python maps it
        b"a\n\xed\xa0\x80\n",  # a surrogate: not UTF-8
        b"a\n\xc0\xaf\n",  # overlong: not UTF-8
        b"a\n\xff\xfe\xfd\n",  # neither
        ("停留所,\uff08北\uff09\n" * 100_000).encode(),  # over 1 MB: the numpy search for the lead bytes
        ("停留所,\uff08北\uff09\n" * 100_000 + "\uf8f2").encode(),
    ],
)
def test_decode_to_utf8_reads_as_the_one_decoder(data):
    try:
        text, encoding = decode(data, Path("t.csv"), encoding=None)
    except geo.ValidationError as exc:
        with pytest.raises(geo.ValidationError) as info:
            decode_to_utf8(data, Path("t.csv"), encoding=None)
        assert str(info.value) == str(exc)
        return
    assert decode_to_utf8(data, Path("t.csv"), encoding=None) == (text.encode("utf-8"), encoding)


@pytest.mark.parametrize(
    "changes",
    [
        {"stops": "stop_id,stop_name,stop_lat,stop_lon\nA,甲,,137.0\nB,乙,35.01,137.01", "stop_times": HEAD},
        {"trips": "route_id,service_id,trip_id", "stop_times": HEAD},
        {"trips": "route_id,service_id,trip_id\nR,WK,T1\nR,WK,T2\nR,WK,T3"},
        {"calendar_dates": "service_id,date,exception_type\nWK,2020-11-10,1"},
        {"routes": "route_id,agency_id,route_type\nR,A,bus"},
    ],
)
def test_refusals_come_in_the_same_order(tmp_path, changes):
    base = {**BASE, **changes}
    stop_times = base.pop("stop_times", HEAD + "T1,07:00:00,07:00:00,A,1,0\nT2,08:00:00,08:00:00,B,1,0")
    path = _feed(tmp_path / "f", stop_times, base)
    old = _outcome(path, fast=False)
    assert isinstance(old, str) and old == _outcome(path, fast=True)


def test_byte_pair_search_across_chunk_edges():
    from geo._tables import _has_pair

    for pos in (0, 4094, 4095, 4096, 8190, 3 * 4096 - 2):
        data = bytearray(b"x" * (3 * 4096))
        data[pos], data[pos + 1] = 0xEF, 0xA3
        assert _has_pair(bytes(data), 0xEF, 0xA3, chunk=4096)
        data[pos + 1] = 0xA4
        assert not _has_pair(bytes(data), 0xEF, 0xA3, chunk=4096)
