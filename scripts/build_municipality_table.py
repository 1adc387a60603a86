"""Rebuild geo/data/municipalities.csv, the code ↔ name table behind geo.codes.

The table holds public facts (全国地方公共団体コード and names as of 2021-01-01), compiled from the pinned N03
boundaries so codes and names agree with the boundaries exactly. Run after changing the boundary vintage:

    GEO_DATA_MIRROR=../shared/data python scripts/build_municipality_table.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo.codes import DESIGNATED_CITIES, normalize_pref_code

OUT = Path(__file__).resolve().parents[1] / "geo" / "data" / "municipalities.csv"


def build(path: Path) -> pd.DataFrame:
    raw = gpd.read_file(path, columns=["N03_001", "N03_003", "N03_004", "N03_007"], ignore_geometry=True)
    raw = raw.dropna(subset=["N03_007"]).drop_duplicates("N03_007")
    city_by_name = {(code[:2], name): code for code, name in DESIGNATED_CITIES.items()}
    rows = []
    for r in raw.itertuples(index=False):
        code = r.N03_007
        city_code = city_by_name.get((code[:2], r.N03_003)) if isinstance(r.N03_003, str) else None
        is_ward = city_code is not None
        rows.append(
            {
                "pref_code": normalize_pref_code(r.N03_001),
                "pref_name": r.N03_001,
                "muni_code": code,
                "muni_name": f"{r.N03_003}{r.N03_004}" if is_ward else r.N03_004,
                "city_code": city_code if is_ward else code,
                "city_name": r.N03_003 if is_ward else r.N03_004,
                "county": r.N03_003 if isinstance(r.N03_003, str) and r.N03_003.endswith("郡") else "",
            }
        )
    return pd.DataFrame(rows).sort_values("muni_code", ignore_index=True)


def main() -> int:
    if len(sys.argv) > 1:
        path = Path(sys.argv[1])
    else:
        from geo.sources import fetch

        path = fetch("n03-2021-s0010")
    table = build(path)
    table.to_csv(OUT, index=False, lineterminator="\n")
    print(f"wrote {len(table)} municipalities to {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
