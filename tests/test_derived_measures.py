"""The demo's derived measures, recomputed independently from the raw SSDSE-A files.

The Japan demo (``geo/data/demo/japan.toml``) maps the ageing rate (65+ / population of known age), the population
change 2015→2020, and both again per prefecture and per 広域地方計画 region. Here every number is recomputed with
the ``csv`` module straight from the original CP932 files in ``ssdse-a-municipal-indicators/raw/`` (not the
processed table geo reads, and none of geo's readers), and compared with what the run wrote: counts exactly, rates
to the last bit (the same three float operations on the same integers). Region membership is typed here from the
law (国土形成計画法施行令), not taken from geo's preset file.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from pathlib import Path

import pytest

from geo.config import load_config
from geo.demo import demo_config_paths
from geo.pipeline import prefecture_view

JAPAN = next(p for p in demo_config_paths() if p.stem == "japan")
BASE = ["pop_2015", "pop_2020", "pop_0_14_2020", "pop_15_64_2020", "pop_65plus_2020"]

# 広域地方計画区域 (国土形成計画法施行令 第1条): the eight regions; 北海道 and 沖縄県 have their own plans
REGIONS = {
    "東北圏": ["青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県", "新潟県"],
    "首都圏": ["茨城県", "栃木県", "群馬県", "埼玉県", "千葉県", "東京都", "神奈川県", "山梨県"],
    "北陸圏": ["富山県", "石川県", "福井県"],
    "中部圏": ["長野県", "岐阜県", "静岡県", "愛知県", "三重県"],
    "近畿圏": ["滋賀県", "京都府", "大阪府", "兵庫県", "奈良県", "和歌山県"],
    "中国圏": ["鳥取県", "島根県", "岡山県", "広島県", "山口県"],
    "四国圏": ["徳島県", "香川県", "愛媛県", "高知県"],
    "九州圏": ["福岡県", "佐賀県", "長崎県", "熊本県", "大分県", "宮崎県", "鹿児島県"],
}


def _raw_rows(path: Path) -> dict[str, dict[str, str]]:
    """SSDSE-A as published: CP932, three header rows (item code, year, name); keyed by the 5-digit code."""
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("cp932"))))
    header = rows[0]
    return {r[0].removeprefix("R"): dict(zip(header, r, strict=True)) for r in rows[3:] if r and r[0]}


@pytest.fixture(scope="module")
def raw(shared_data: Path) -> dict[str, dict[str, object]]:
    """Per municipality code: prefecture name and the five base counts, from the two raw editions."""
    folder = shared_data / "ssdse-a-municipal-indicators" / "raw"
    now, then = _raw_rows(folder / "SSDSE-A-2026.csv"), _raw_rows(folder / "SSDSE-A-2021.csv")
    out: dict[str, dict[str, object]] = {}
    for code, r in now.items():
        out[code] = {
            "prefecture": r["Prefecture"],
            "pop_2015": int(then[code]["A1101"]),  # the 2021 edition holds the 2015 census
            "pop_2020": int(r["A1101"]),
            "pop_0_14_2020": int(r["A1301"]),
            "pop_15_64_2020": int(r["A1302"]),
            "pop_65plus_2020": int(r["A1303"]),
        }
    return out


def _ageing(c: dict) -> float:
    return c["pop_65plus_2020"] / (c["pop_0_14_2020"] + c["pop_15_64_2020"] + c["pop_65plus_2020"]) * 100


def _change(c: dict) -> float:
    return (c["pop_2020"] - c["pop_2015"]) / c["pop_2015"] * 100


def _totals(raw: dict, key) -> dict[str, dict[str, int]]:
    sums: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(BASE, 0))
    for c in raw.values():
        for col in BASE:
            sums[key(c)][col] += c[col]
    return dict(sums)


@pytest.fixture(scope="module")
def japan(demo):
    """The Japan demo run's municipal layer (geometry and columns as written to layers.gpkg)."""
    from geo.store import read_layers

    result = demo[1][0]
    assert result.manifest["run"] == "japan"
    return result, read_layers(result.output_dir / "layers.gpkg")


def test_raw_files_hold_the_census_totals(raw) -> None:
    assert len(raw) == 1741
    assert sum(c["pop_2020"] for c in raw.values()) == 126_146_099  # 2020 census, final count
    assert sum(c["pop_2015"] for c in raw.values()) == 127_094_745  # 2015 census


def test_municipal_ageing_rate_and_change_equal_the_raw_recomputation(japan, raw) -> None:
    _, layers = japan
    areas = layers["areas"].set_index("muni_code")
    assert set(raw) <= set(areas.index)
    for code, c in raw.items():
        row = areas.loc[code]
        assert [int(row[col]) for col in BASE] == [c[col] for col in BASE], code
        if c["pop_0_14_2020"] + c["pop_15_64_2020"] + c["pop_65plus_2020"]:
            assert row["ageing_rate"] == _ageing(c), code
        if c["pop_2015"]:
            assert row["pop_change"] == _change(c), code
    # 双葉町 (07546) had 0 people in 2020 (evacuation zone): its ageing rate is missing, not 0 or an error
    assert (
        areas.loc["07546", "pop_2020"] == 0 and areas.loc["07546", "ageing_rate"] != areas.loc["07546", "ageing_rate"]
    )


def test_prefecture_sums_and_rates_equal_the_raw_recomputation(japan, raw) -> None:
    """The prefecture maps' numbers: counts summed over municipalities, rates recomputed from the sums."""
    _, layers = japan
    prefs = prefecture_view(layers["areas"], BASE, load_config(JAPAN).derived).set_index("pref_name")
    expected = _totals(raw, lambda c: c["prefecture"])
    assert sorted(prefs.index) == sorted(expected)
    for name, sums in expected.items():
        row = prefs.loc[name]
        assert [int(row[col]) for col in BASE] == [sums[col] for col in BASE], name
        assert row["ageing_rate"] == _ageing(sums), name
        assert row["pop_change"] == _change(sums), name
    assert prefs.loc["東京都", "pop_2020"] == 14_047_594  # SOURCE.md's check


def test_region_sums_and_rates_equal_the_raw_recomputation(japan, raw) -> None:
    _, layers = japan
    regions = layers["regions"].set_index("region")
    region_of = {pref: region for region, prefs in REGIONS.items() for pref in prefs}
    expected = _totals(
        {k: c for k, c in raw.items() if c["prefecture"] in region_of}, lambda c: region_of[c["prefecture"]]
    )
    assert sorted(regions.index) == sorted(expected)
    for name, sums in expected.items():
        row = regions.loc[name]
        assert [int(row[col]) for col in BASE] == [sums[col] for col in BASE], name
        assert row["ageing_rate"] == _ageing(sums), name
        assert row["pop_change"] == _change(sums), name
