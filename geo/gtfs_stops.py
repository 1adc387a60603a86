"""GTFS ``stops.txt``: the one ``location_type`` rule that maps each row to the place a passenger boards.

Both the stop counts (:func:`geo.read_points`) and the timetable departures (:func:`geo.stop_departures`)
use it, so a station without platforms is no place in either.
"""

from __future__ import annotations

import pandas as pd

GTFS_KINDS = {0: "stop", 1: "station", 2: "entrance", 3: "node", 4: "boarding_area"}
"""GTFS ``location_type`` → kind. Only 0–2 must have coordinates; 3 and 4 may lack them."""


def stop_id_problems(stops: pd.DataFrame) -> list[str]:
    """Empty or repeated ``stop_id`` in a raw ``stops.txt`` (strings, default index = file line − 2): the one
    check :func:`geo.read_points` and :func:`geo.read_feed` both apply, so neither accepts what the other refuses.
    """
    rows = stops.index.to_numpy() + 2  # header is line 1
    ids = stops["stop_id"].astype("string").str.strip()
    problems = []
    empty = (ids.isna() | (ids == "")).to_numpy()
    if empty.any():
        problems.append(f"stops.txt rows {_listed(rows[empty])}, column stop_id: empty id; give every stop an id")
    dup = ids.duplicated(keep=False).to_numpy() & ~empty
    if dup.any():
        repeated = sorted(set(ids[dup]))[:5]
        problems.append(
            f"stops.txt rows {_listed(rows[dup])}, column stop_id: duplicate stop_id {repeated}: each stop needs "
            "its own id (rename or delete the repeated rows)"
        )
    return problems


def _listed(rows: object) -> str:
    values = [int(r) for r in rows]  # type: ignore[attr-defined]
    more = f" and {len(values) - 10} more" if len(values) > 10 else ""
    return ", ".join(map(str, values[:10])) + more


def gtfs_boarding_stops(stops: pd.DataFrame, *, fold_stations: bool = True) -> pd.DataFrame:
    """The places where riders board, from GTFS ``stops.txt`` rows: the one ``location_type`` rule.

    * ``location_type`` 0 or empty: a stop or platform, where riders board;
    * 1, a station: not itself boarded, but with ``fold_stations`` (default) a station and its child platforms
      (rows whose ``parent_station`` is the station) count as ONE place, at the station's coordinates, with
      ``n_platforms`` = number of children (a station without platforms is no place); without it only the
      platforms count;
    * 2 (entrance/exit), 3 (generic node), 4 (boarding area): never stops, never supply.

    Parameters
    ----------
    stops
        ``stops.txt`` as a table or GeoDataFrame with ``stop_id``, ``location_type`` (int or text; missing =
        0) and optionally ``parent_station``. Not modified.
    fold_stations
        Fold platforms into their station (count places), or keep the platforms (exact boarding points).

    Returns
    -------
    DataFrame or GeoDataFrame (same type as ``stops``)
        The boarding rows in input order, with ``n_platforms`` (int; 1 for a standalone stop).

    Examples
    --------
    >>> t = pd.DataFrame({"stop_id": ["S", "S_1", "S_2", "E", "B"], "location_type": ["1", "0", "0", "2", ""],
    ...                   "parent_station": ["", "S", "S", "S", ""]})
    >>> gtfs_boarding_stops(t)[["stop_id", "n_platforms"]].values.tolist()
    [['S', 2], ['B', 1]]
    >>> gtfs_boarding_stops(t, fold_stations=False)["stop_id"].tolist()
    ['S_1', 'S_2', 'B']
    """
    of = gtfs_boarding_of(stops, fold_stations=fold_stations)
    counts = of.value_counts()
    ids = stops["stop_id"].astype("string").str.strip()
    keep = ids.isin(counts.index).fillna(False).to_numpy(dtype=bool)
    out = stops.loc[keep].copy()
    out["n_platforms"] = ids[keep].map(counts).astype(int).to_numpy()
    return out


def gtfs_boarding_of(stops: pd.DataFrame, *, fold_stations: bool = True) -> pd.Series:
    """The boarding place each ``stops.txt`` row counts as: the one ``location_type`` rule, as a mapping.

    Used by :func:`gtfs_boarding_stops` (which places count) and by :func:`geo.stop_departures` (under which
    place a platform's departures are counted), so stop counts and timetables agree.

    Returns
    -------
    Series of str, indexed like ``stops``
        The ``stop_id`` a row counts under: its own for a stop (0/empty), its station's for a platform when
        ``fold_stations``; ``<NA>`` for stations themselves (1: they exist through their platforms) and for
        entrances, generic nodes and boarding areas (2–4).
    """
    kind = stops["location_type"] if "location_type" in stops.columns else pd.Series(0, index=stops.index)
    code = pd.to_numeric(kind.astype("string").str.strip().replace("", "0"), errors="coerce").fillna(0).astype(int)
    ids = stops["stop_id"].astype("string").str.strip()
    out = ids.where(code == 0)
    if fold_stations and "parent_station" in stops.columns:
        stations = set(ids[code == 1].dropna())
        parent = stops["parent_station"].astype("string").fillna("").str.strip()
        fold = (code == 0) & parent.isin(stations)
        out = out.mask(fold, parent)
    return out
