"""Rebuild the dated municipal code table (geo/data/municipal_codes.csv) and its events (municipal_code_events.csv).

Both are compiled from the pinned e-Stat lists (source ``estat-code-changes`` and the two standard area code
lists, see boundaries/sources.toml): the 1970 list is the starting state, the 廃置分合 records are applied date by
date, and the result must equal the 2024 list code for code (the script stops if it does not). Run after a new
e-Stat release:

    GEO_DATA_MIRROR=../shared/data python scripts/build_code_table.py

Output columns
--------------
municipal_codes.csv
    ``muni_code, valid_from, valid_to, pref_code, pref_name, kind, muni_name, muni_name_kana, county, city_code,
    city_name`` - one row per code and period with constant name; ``valid_to`` is exclusive and empty while the
    code is still valid at the end of the lists. ``kind`` is ``municipality`` (cities, towns, villages and
    Tokyo's 23 special wards), ``designated_city``, ``ward`` (of a designated city), ``county`` (郡, 支庁 or
    振興局 rows) or ``aggregate`` (13100 特別区部). Ward names are written as ``札幌市中央区`` like the boundaries.
municipal_code_events.csv
    ``date, type, from_code, to_code`` - the e-Stat from → to pairs (a code may be empty: a code that enters
    the list, or a 郡 that is abolished).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from geo.sources import fetch

ROOT = Path(__file__).resolve().parents[1]
OUT_CODES = ROOT / "geo" / "data" / "municipal_codes.csv"
OUT_EVENTS = ROOT / "geo" / "data" / "municipal_code_events.csv"
START = "1970-04-01"
"""The date of the starting list (e-Stat 標準地域コード as of 1970-04-01)."""
ATTRS = ("pref_name", "desig", "desig_kana", "name", "name_kana")
CONTINUING_TYPES = {"分離"}
"""Event types after which the from-code still exists (a part leaves it)."""


def _state(frame: pd.DataFrame, prefix: str = "") -> pd.DataFrame:
    cols = {
        f"{prefix}city_code": "code",
        f"{prefix}pref_name": "pref_name",
        f"{prefix}city_desig_name": "desig",
        f"{prefix}city_desig_name_kana": "desig_kana",
        f"{prefix}city_name": "name",
        f"{prefix}city_name_kana": "name_kana",
    }
    return frame[list(cols)].rename(columns=cols).fillna("")


def simulate(start: pd.DataFrame, changes: pd.DataFrame) -> tuple[list[dict], dict[str, dict]]:
    """Apply the change pairs date by date; return closed periods and the final state."""
    state: dict[str, dict] = {r["code"]: dict(r) | {"valid_from": START} for r in _state(start).to_dict("records")}
    periods: list[dict] = []
    froms, tos = _state(changes, "from_"), _state(changes, "to_")
    for date, idx in changes.groupby("date", sort=True).groups.items():
        f, t, types = froms.loc[idx], tos.loc[idx], changes.loc[idx, "type"]
        # a code ends when it goes to another code (several events of one day chain: 十四山村 → 弥富町 → 弥富市)
        ending = {
            c for c, to, typ in zip(f["code"], t["code"], types, strict=True)
            if c and to != c and typ not in CONTINUING_TYPES
        }  # fmt: skip
        for code in sorted(ending):
            if code not in state:
                sys.exit(f"{date}: {code} ends but is not valid before")
            periods.append(state.pop(code) | {"valid_to": date})
        for r in t[(t["code"] != "") & ~t["code"].isin(ending)].drop_duplicates("code", keep="last").to_dict("records"):
            old = state.get(r["code"])
            if old is not None and all(old[a] == r[a] for a in ATTRS):
                continue
            if old is not None:
                periods.append(old | {"valid_to": date})
            state[r["code"]] = dict(r) | {"valid_from": date}
    return periods, state


def _kind(table: pd.DataFrame) -> pd.Series:
    """municipality / designated_city / ward / county / aggregate, from the name columns (see module docstring)."""
    city_desig = table["desig"].str.endswith("市")
    named = table["name"] != ""
    kind = pd.Series("municipality", index=table.index)
    kind[~named] = "county"
    kind[~named & city_desig] = "designated_city"
    kind[named & city_desig] = "ward"
    kind[table["code"] == "13100"] = "aggregate"
    return kind


def build(start: pd.DataFrame, end: pd.DataFrame, changes: pd.DataFrame) -> pd.DataFrame:
    """The dated code table (see the module docstring), checked against the end list."""
    periods, state = simulate(start, changes)
    expected = set(end["city_code"])
    if set(state) != expected:
        sys.exit(
            f"simulation ≠ 2024 list: extra {sorted(set(state) - expected)}, missing {sorted(expected - set(state))}"
        )
    final = _state(end).set_index("code")
    rows = periods + [
        # attributes without an event (支庁 → 振興局 2010) are taken from the end list
        dict(s) | {a: final.loc[c, a] for a in ATTRS} | {"valid_to": ""}
        for c, s in state.items()
    ]
    table = pd.DataFrame(rows)
    table["kind"] = _kind(table)
    pref_codes = dict(zip(end["pref_name"], end["city_code"].str[:2], strict=False))
    table["pref_code"] = table["pref_name"].map(pref_codes)
    city_codes = table[table["kind"] == "designated_city"][["desig", "pref_code", "code"]]
    city_of = {(r.pref_code, r.desig): r.code for r in city_codes.itertuples(index=False)}
    ward = table["kind"] == "ward"
    table["city_code"] = [
        city_of.get((p, d), "") if w else "" for p, d, w in zip(table["pref_code"], table["desig"], ward, strict=True)
    ]
    table["city_name"] = table["desig"].where(ward | (table["kind"] == "designated_city"), "")
    table["county"] = table["desig"].where(table["kind"] == "municipality", "")
    table["muni_name"] = table["name"].where(table["kind"] != "designated_city", table["desig"])
    table.loc[ward, "muni_name"] = table.loc[ward, "desig"] + table.loc[ward, "name"]
    table.loc[table["kind"] == "county", "muni_name"] = table["desig"]
    table["muni_name_kana"] = table["name_kana"].where(table["name_kana"] != "", table["desig_kana"])
    if (ward & (table["city_code"] == "")).any():
        sys.exit(f"wards without a city: {table.loc[ward & (table['city_code'] == ''), 'code'].tolist()}")
    table = table.rename(columns={"code": "muni_code"})
    cols = ["muni_code", "valid_from", "valid_to", "pref_code", "pref_name", "kind", "muni_name", "muni_name_kana",
            "county", "city_code", "city_name"]  # fmt: skip
    return table[cols].sort_values(["muni_code", "valid_from"]).reset_index(drop=True)


def clean_changes(changes: pd.DataFrame) -> pd.DataFrame:
    """Drop the cross product jpcity's parsing made of one 郡の区域変更 (2005-03-01 鳳至郡 穴水町 17421 and 門前町
    17422 → 鳳珠郡 17461 and 17462 gave four pairs, plus 鳳至郡 17420 → both towns): a town moving county keeps its
    name, so keep the same-name pairs; the 郡 itself ends by its own 郡の廃止 record."""
    named = changes["from_city_name"].notna() & changes["to_city_name"].notna()
    county_to_town = changes["from_city_name"].isna() & changes["to_city_name"].notna()
    moved = changes["type"] == "郡の区域変更"
    cross = moved & ((named & (changes["from_city_name"] != changes["to_city_name"])) | county_to_town)
    return changes[~cross].reset_index(drop=True)


def main() -> None:
    read = {"dtype": str, "keep_default_na": False, "na_values": ["NA"]}
    changes = clean_changes(pd.read_csv(fetch("estat-code-changes"), **read))
    start = pd.read_csv(fetch("estat-area-codes-1970"), **read)
    end = pd.read_csv(fetch("estat-area-codes-2024"), **read)
    table = build(start, end, changes)
    table.to_csv(OUT_CODES, index=False, lineterminator="\n")
    events = changes[["date", "type", "from_city_code", "to_city_code"]].rename(
        columns={"from_city_code": "from_code", "to_city_code": "to_code"}
    )
    events.to_csv(OUT_EVENTS, index=False, lineterminator="\n")
    print(f"wrote {OUT_CODES} ({len(table)} rows) and {OUT_EVENTS} ({len(events)} rows)")


if __name__ == "__main__":
    main()
