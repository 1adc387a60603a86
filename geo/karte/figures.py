"""The figures of a municipal カルテ, read from a finished run's output folder.

Every figure comes from a table the run wrote (:func:`geo.store.write_outputs`): ``areas.csv``,
``gaps_by_area.csv``, ``points_<layer>.csv``, ``coverage_per_area.csv``, ``chosen_hubs.csv``, ``hubs.csv``,
``scenarios.csv``, ``remedies*.csv``, ``hubs_curve.csv`` and ``run.json``, read back as written (the CSVs with
their 12 significant digits), so a カルテ cannot disagree with the run's own tables. What the run did not compute
is shown as missing ("—") with a note, never computed here. Region memberships, good-practice places and the
definitions' citations come from the project's reference data (:mod:`geo.regions`, :mod:`geo.good_practices`).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geo._errors import ValidationError
from geo.crs import prefecture_crs
from geo.gap_definitions import list_gap_definitions, read_gap_definition
from geo.hubs import NAME_COLUMNS
from geo.params import ReportParams
from geo.regions import list_regions, read_grouping
from geo.store import CSV_ENCODING

CODE_COLUMNS = ("pref_code", "muni_code", "station_code", "group_code", "mesh_code", "member_code")
"""Columns read back as text (codes keep their leading zeros)."""
TOP_CANDIDATES = 5
"""Best candidate hub sites listed per municipality (by population covered at the siting radius)."""
DAYTIME = "09-17"
"""The timetable window ranked by default (daytime service), the first window when a run has no 09-17."""
GOOD_PRACTICE_CITATION = ("内閣官房・国土交通省「地方創生2.0 基本構想」日本地図マッピング（～地方創生２．０ 好事例の普遍化に"
                          "向けて～, 2025）; 一覧は本プロジェクトが作成 (boundaries/good_practices.md)")  # fmt: skip


@dataclass(frozen=True)
class RunFolder:
    """A finished run's output folder, read once: its manifest and the tables a カルテ shows."""

    path: Path
    manifest: dict[str, Any]
    areas: pd.DataFrame
    tables: dict[str, pd.DataFrame | None] = field(default_factory=dict, repr=False, compare=False)

    def table(self, name: str) -> pd.DataFrame | None:
        """``<name>.csv`` as written (codes as text), or None when the run did not write it; read once per run
        folder (every カルテ of a set filters the same tables: callers must not change the frame)."""
        if name not in self.tables:
            path = self.path / f"{name}.csv"
            self.tables[name] = read_csv(path) if path.is_file() else None
        return self.tables[name]

    @property
    def parameters(self) -> dict[str, Any]:
        return self.manifest.get("parameters", {})

    @property
    def analyses(self) -> dict[str, Any]:
        return self.manifest.get("analyses", {})


def read_csv(path: Path) -> pd.DataFrame:
    """A CSV of :func:`geo.store.write_csv` read back: UTF-8 with BOM, code columns as text."""
    head = pd.read_csv(path, encoding=CSV_ENCODING, nrows=0)
    codes = {c: str for c in head.columns if c in CODE_COLUMNS}
    return pd.read_csv(path, encoding=CSV_ENCODING, dtype=codes, keep_default_na=True)


def open_run(folder: str | Path) -> RunFolder:
    """Read ``run.json`` and ``areas.csv`` of a run folder.

    Raises
    ------
    ValidationError
        The folder is not a finished run (no ``run.json``), has no ``areas.csv`` (a run with ``[outputs] csv =
        false``) or its areas are not municipalities.
    """
    path = Path(folder)
    manifest_path = path / "run.json"
    if not manifest_path.is_file():
        raise ValidationError(f"{path}: not a finished run's folder (no run.json); give the folder `geo run` wrote, "
                              "e.g. outputs/<run-name>")  # fmt: skip
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    if not (path / "areas.csv").is_file():
        raise ValidationError(f"{path}: no areas.csv; the カルテ read the run's CSV tables: run it with "
                              "[outputs] csv = true")  # fmt: skip
    areas = read_csv(path / "areas.csv")
    if "muni_code" not in areas.columns:
        raise ValidationError(f"{path / 'areas.csv'}: no muni_code column; the カルテ are per municipality (run the "
                              "config with [area] level = 'municipality' or 'designated_city')")  # fmt: skip
    return RunFolder(path, manifest, areas)


def select_municipalities(run: RunFolder, params: ReportParams) -> list[str]:
    """The municipal codes given a カルテ, in the run's order.

    Raises
    ------
    ValidationError
        A municipality or prefecture not in the run, naming it and listing what the run holds.
    """
    areas = run.areas
    codes = list(areas["muni_code"])
    names = dict(zip(areas["muni_name"], areas["muni_code"], strict=False))
    if not params.municipalities and not params.prefectures:
        return codes
    wanted: set[str] = set()
    problems = []
    for value in params.municipalities:
        code = value if value in codes else names.get(value)
        if code is None:
            problems.append(f"municipality {value!r} is not in the run {run.manifest.get('run', run.path.name)!r}")
        else:
            wanted.add(code)
    for value in params.prefectures:
        found = areas[(areas["pref_code"] == value.zfill(2)) | (areas["pref_name"] == value)]
        if found.empty:
            problems.append(f"prefecture {value!r} has no municipality in the run {run.manifest.get('run')!r}")
        wanted |= set(found["muni_code"])
    if problems:
        held = ", ".join(f"{c} {n}" for c, n in zip(areas["muni_code"], areas["muni_name"], strict=True))
        prefs = ", ".join(sorted(set(areas["pref_name"])))
        raise ValidationError([*problems, f"the run holds {len(codes)} municipalities ({prefs}): {held}"],
                              source=run.path / "areas.csv")  # fmt: skip
    return [c for c in codes if c in wanted]


# ----------------------------------------------------------------------------------------------- figures


def plain(value: Any) -> Any:
    """A table value as JSON: NaN → None, numpy scalars → int/float/bool/str."""
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def records(frame: pd.DataFrame, columns: list[str] | None = None) -> list[dict[str, Any]]:
    """Rows of a table as JSON objects (columns as the table has them)."""
    cols = [c for c in (columns or list(frame.columns)) if c in frame.columns and c != "geometry"]
    return [{c: plain(v) for c, v in zip(cols, row, strict=True)} for row in frame[cols].itertuples(index=False)]


def population(run: RunFolder, row: pd.Series) -> dict[str, Any]:
    """Population, 高齢化率 and change from the run's joined and derived columns (none computed here)."""
    counts = [c for spec in run.parameters.get("indicators", []) for c in spec.get("columns", [])]
    derived = run.parameters.get("derived", [])
    items: list[dict[str, Any]] = []
    years = sorted((int(m.group(1)), c) for c in counts if (m := re.fullmatch(r"pop_(\d{4})", c)))
    for year, column in reversed(years):
        items.append({"key": column, "label": f"人口（{year}年）", "value": plain(row.get(column)), "unit": "人"})
    for column in counts:
        if m := re.fullmatch(r"pop_65plus_(\d{4})", column):
            items.append({"key": column, "label": f"65歳以上人口（{m.group(1)}年）", "value": plain(row.get(column)),
                          "unit": "人"})  # fmt: skip
    ageing = next((d for d in derived if d.get("kind") == "rate" and "65" in str(d.get("numerator", ""))), None)
    change = next((d for d in derived if d.get("kind") == "change"), None)
    if ageing:
        items.append({"key": ageing["name"], "label": "高齢化率", "value": plain(row.get(ageing["name"])),
                      "unit": ageing.get("unit") or "%"})  # fmt: skip
    if change:
        label = f"人口増減率（{change['before'][-4:]}→{change['after'][-4:]}年）"
        items.append({"key": change["name"], "label": label, "value": plain(row.get(change["name"])),
                      "unit": change.get("unit") or "%"})  # fmt: skip
    notes = []
    if not years:
        notes.append("人口: この実行では人口表（SSDSE-A・国勢調査）を結合していません")
    if not ageing:
        notes.append("高齢化率: この実行では算出していません（[[derived]] kind = 'rate' で 65歳以上人口 ÷ 人口）")
    if not change:
        notes.append("人口増減率: この実行では算出していません（[[derived]] kind = 'change'）")
    return {"items": items, "notes": notes}


def distance_gaps(run: RunFolder, code: str) -> dict[str, Any] | None:
    """交通空白 by walking distance (``gaps_by_area.csv`` of an untimed gaps run)."""
    table = run.table("gaps_by_area")
    if table is None or "definition" in table.columns:
        return None
    row = table[table["muni_code"] == code]
    figures = {c: plain(row[c].iloc[0]) if len(row) else None
               for c in ("demand_population", "gap_population", "gap_share_pct", "demand_cells", "gap_cells")}  # fmt: skip
    gaps = run.analyses.get("gaps", {})
    return {**figures, "walk_m": gaps.get("walk_m", {}), "weight_column": gaps.get("weight_column")}


def timetable_gaps(run: RunFolder, code: str) -> dict[str, Any] | None:
    """交通空白 by timetable per definition and window (``gaps_by_area.csv`` of a timetable run)."""
    table = run.table("gaps_by_area")
    if table is None or "definition" not in table.columns:
        return None
    gaps = run.analyses.get("gaps", {})
    titles = {d["name"]: d.get("title", d["name"]) for d in gaps.get("definitions", [])}
    rows = table[table["muni_code"] == code]
    out = records(rows, ["definition", "window", "demand", "gap", "gap_share_pct", "gap_cells"])
    for r in out:
        r["title"] = titles.get(r["definition"], r["definition"])
    date = gaps.get("grade_date") or {}
    return {"rows": out, "date": date.get("date") or gaps.get("date_requested"), "day_type": date.get("day_type")}


def transit(run: RunFolder, code: str) -> dict[str, Any]:
    """Stations and stops in the municipality (the run's ``points_<layer>.csv`` of kind station / bus)."""
    layers = []
    for spec in run.parameters.get("points", []):
        if spec.get("kind") not in ("station", "bus"):
            continue
        table = run.table(f"points_{spec['name']}")
        if table is None or "muni_code" not in table.columns:
            continue
        inside = table[table["muni_code"] == code]
        name = next((c for c in NAME_COLUMNS if c in inside.columns), None)
        names = sorted(set(inside[name].astype(str))) if name else []
        layers.append({"layer": spec["name"], "kind": spec["kind"], "rows": len(inside), "names": names})
    return {"layers": layers, "timetable": timetable_stops(run, code)}


def timetable_stops(run: RunFolder, code: str) -> list[dict[str, Any]]:
    """Timed stops in the municipality and their departures (the run's ``stops.csv`` from the timetable gaps):
    per service date and mode, the stops, those with a departure, and departures over the day and per window."""
    table = run.table("stops")
    if table is None or "muni_code" not in table.columns:
        return []
    inside = table[table["muni_code"] == code]
    windows = [c for c in table.columns if c.startswith("dep_") and c != "dep_day"]
    out = []
    for (date, mode), rows in inside.groupby(["service_date", "mode"], sort=True):
        out.append({"service_date": str(date), "day_type": str(rows["day_type"].iloc[0]), "mode": str(mode),
                    "stops": len(rows), "stops_served": int((rows["dep_day"] > 0).sum()),
                    "dep_day": int(rows["dep_day"].sum()),
                    "dep_windows": {c.removeprefix("dep_"): int(rows[c].sum()) for c in windows}})  # fmt: skip
    return out


def hubs(run: RunFolder, code: str) -> dict[str, Any] | None:
    """Hub coverage of the municipality and the best candidate sites (the hubs outputs of the run)."""
    per_area = run.table("coverage_per_area")
    if per_area is None:
        return None
    coverage = records(per_area[per_area["muni_code"] == code],
                       ["radius_m", "total", "covered", "uncovered", "share"])  # fmt: skip
    chosen = run.table("chosen_hubs")
    siting = run.analyses.get("hubs", {}).get("siting") or {}
    out: dict[str, Any] = {"coverage": coverage, "chosen": None, "candidates": [], "siting": None}
    if chosen is not None:
        name = next((c for c in NAME_COLUMNS if c in chosen.columns), None)
        inside = chosen[chosen["muni_code"] == code]
        out["chosen"] = records(inside, [c for c in ("rank", name, "gain", "cumulative", "cumulative_share") if c])
        out["chosen_total"] = len(chosen)
        out["siting"] = {k: siting.get(k) for k in ("method", "k", "radius_m", "total", "covered", "share")}
    table = run.table("hubs")
    if table is not None:
        radii = sorted({int(m.group(1)) for c in table.columns if (m := re.fullmatch(r"covered_(\d+)m", c))})
        radius = int(siting.get("radius_m") or (radii[-1] if radii else 0))
        column = f"covered_{radius}m"
        if column in table.columns:
            name = next((c for c in NAME_COLUMNS if c in table.columns), None)
            inside = table[table["muni_code"] == code].sort_values([column, name] if name else [column],
                                                                    ascending=[False, True] if name else False)  # fmt: skip
            out["candidates"] = records(inside.head(TOP_CANDIDATES), [c for c in (name, column) if c])
            out["candidates_column"] = column
    return out


CURVES = {"hubs": "hubs_curve", "remedies": "remedies_curve"}
"""Coverage against count: the key on the カルテ → the run's table (:mod:`geo.analyses` hubs and remedies)."""


def curves(run: RunFolder) -> dict[str, list[dict[str, Any]]]:
    """Coverage against count of the run (``hubs_curve.csv``, ``remedies_curve.csv``), rows as written."""
    return {key: records(table) for key, name in CURVES.items() if (table := run.table(name)) is not None}


def scenarios(run: RunFolder, code: str) -> list[dict[str, Any]] | None:
    table = run.table("scenarios")
    if table is None:
        return None
    return records(table[table["muni_code"] == code])


def remedies(run: RunFolder) -> dict[str, Any] | None:
    """Remedies of the run (:func:`geo.analyses.remedies`), for the whole area the run asks about.

    ``pairs`` are the objective (definition, window) pairs (``remedies_joint.csv``); ``ranking`` has each remedy's
    ``gap_removed`` alone in each pair as ``remedies.csv`` has it (in its order of rank in the first pair);
    ``chosen`` and ``joint`` are ``remedies_chosen.csv`` and ``remedies_joint.csv`` as written.
    """
    table, joint, chosen = run.table("remedies"), run.table("remedies_joint"), run.table("remedies_chosen")
    if table is None or joint is None or chosen is None:
        return None
    pairs = list(zip(joint["definition"], joint["window"], strict=True))
    first = table[(table["definition"] == pairs[0][0]) & (table["window"] == pairs[0][1])].sort_values("rank")
    ranking = []
    for name, kind, picked in first[["remedy", "kind", "chosen"]].itertuples(index=False):
        mine = table[table["remedy"] == name].set_index(["definition", "window"])["gap_removed"]
        ranking.append({"remedy": name, "kind": kind, "chosen": bool(picked),
                        "gap_removed": [plain(mine.get(pair)) for pair in pairs]})  # fmt: skip
    return {"pairs": [{"definition": d, "window": w} for d, w in pairs], "ranking": ranking,
            "chosen": records(chosen), "joint": records(joint)}  # fmt: skip


def regions_of(code: str, pref_code: str, groupings: list[tuple[pd.DataFrame, dict[str, Any]]]) -> list[dict]:
    """The preset regions (:func:`geo.regions.list_regions`) holding the municipality or its prefecture."""
    out = []
    for frame, info in groupings:
        hit = frame[((frame["member_level"] == "municipality") & (frame["member_code"] == code))
                    | ((frame["member_level"] == "prefecture") & (frame["member_code"] == pref_code))]  # fmt: skip
        for region, level in dict.fromkeys(zip(hit["region"], hit["member_level"], strict=True)):
            out.append({"grouping": info["grouping"], "title": info["title"], "region": region,
                        "via": "市町村" if level == "municipality" else "都道府県"})  # fmt: skip
    return out


def preset_groupings() -> list[tuple[pd.DataFrame, dict[str, Any]]]:
    return [read_grouping(name, partition=False) for name in list_regions()]


def good_practices_near(shape: gpd.GeoDataFrame, places: gpd.GeoDataFrame, pref_code: str, km: float) -> list[dict]:
    """Good-practice places within ``km`` of the municipality's boundary (0 inside), nearest first.

    Distances are straight lines in the prefecture's plane rectangular CRS (:func:`geo.crs.prefecture_crs`),
    rounded to 0.1 km.
    """
    crs = prefecture_crs(pref_code)
    area = shape.to_crs(crs).union_all()
    metric = places.to_crs(crs)
    distance = metric.distance(area) / 1000.0
    near = places.assign(distance_km=distance.round(1).to_numpy())[distance.to_numpy() <= km]
    near = near.sort_values(["distance_km", "id"])
    return records(near, ["id", "title", "pillar", "pillar_name", "pref_name", "muni_name", "scope", "distance_km"])


def sources(run: RunFolder) -> dict[str, Any]:
    """Credits, inputs (with SHA-256), dates and the definitions' citations of the run."""
    inputs = []
    for role, entry in run.manifest.get("inputs", {}).items():
        inputs.append({"role": role, "source": entry.get("source") or Path(entry.get("path", "")).name,
                       "credit": entry.get("credit"), "licence": entry.get("licence"),
                       "sha256": (entry.get("sha256") or "")[:12]})  # fmt: skip
    credits = list(dict.fromkeys(i["credit"] for i in inputs if i["credit"]))
    gaps = run.analyses.get("gaps", {})
    citations = [{"name": d["name"], "title": d.get("title"), "source": d.get("source"), "url": d.get("url")}
                 for d in gaps.get("definitions", [])]  # fmt: skip
    if not citations and gaps.get("walk_m"):  # distance gaps: the published definitions using the same distances
        walk = gaps["walk_m"]
        for name in list_gap_definitions():
            d = read_gap_definition(name)
            if not d.own and all(d.walk_m.get(mode) == metres for mode, metres in walk.items()):
                citations.append({"name": f"{name}（同じ徒歩距離）", "title": d.title, "source": d.source,
                                  "url": d.url})  # fmt: skip
    grades = gaps.get("grades")
    if grades:
        citations.append({"name": grades.get("name"), "title": grades.get("title"), "source": grades.get("source"),
                          "url": grades.get("url")})  # fmt: skip
    return {"credits": credits, "inputs": inputs, "citations": citations,
            "versions": {k: run.manifest.get("versions", {}).get(k) for k in ("geo", "python")}}  # fmt: skip


def rank_value(karte: dict[str, Any], by: str) -> tuple[float | None, str, bool]:
    """The figure the index ranks by, its label and whether larger ranks first."""
    if by in ("gap_share", "gap_population"):
        column = "gap_share_pct" if by == "gap_share" else "gap_population"
        if karte["distance_gaps"]:
            label = "交通空白人口の割合（%）" if by == "gap_share" else "交通空白人口（人）"
            return karte["distance_gaps"][column], label, True
        if karte["timetable_gaps"]:
            rows = karte["timetable_gaps"]["rows"]
            if not rows:
                return None, "", True
            first = rows[0]["definition"]
            windows = [r for r in rows if r["definition"] == first]
            pick = next((r for r in windows if r["window"] == DAYTIME), windows[0])
            key = "gap_share_pct" if by == "gap_share" else "gap"
            unit = "%" if by == "gap_share" else "人"
            return pick[key], f"交通空白（{first} {pick['window']} 時, {unit}）", True
        return None, "交通空白", True
    if by == "hub_share":
        cov = (karte["hubs"] or {}).get("coverage") or []
        if not cov:
            return None, "拠点カバー率（%）", False
        last = cov[-1]  # the widest radius
        value = last["share"] * 100 if last["share"] is not None else None
        return value, f"拠点カバー率（{last['radius_m']:,.0f}m 圏, %）", False
    key = {"population": None, "ageing_rate": "高齢化率", "pop_change": "人口増減率"}[by]
    items = karte["population"]["items"]
    item = next((i for i in items if (i["label"].startswith("人口（") if key is None else i["label"].startswith(key))),
                None)  # fmt: skip
    return (item["value"] if item else None), (item["label"] if item else by), by != "pop_change"
