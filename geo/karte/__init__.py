"""The municipal カルテ: one page per municipality built from a finished run's output folder.

:func:`write_karte` reads what the run wrote (``run.json``, its CSV tables and ``layers.gpkg``), builds each
municipality's figures as JSON first (``report/<muni_code>.json``, :mod:`geo.karte.figures`) and renders the HTML
page and the A4 PDF from that JSON (:mod:`geo.karte.render`), so every figure shown is a figure of the run's own
tables. The maps of a set share one classification, and ``report/index.html`` (with ``report/index.csv``) ranks the
set. ``geo run`` with ``[report]`` calls it last on the run's staging folder; ``geo report RUN_FOLDER`` calls it on
a finished folder; both give byte-identical files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from pyogrio import list_layers

from geo._io import write_text_atomic
from geo.analyses.base import resolve_params
from geo.good_practices import read_good_practices
from geo.karte import figures as fig
from geo.karte import render
from geo.maps.service import GRADE_COLORS, GRADE_NAMES, NO_GRADE_COLOR
from geo.maps.style import classify_together
from geo.params import ReportParams
from geo.store import read_layers, write_csv

__all__ = ["KarteResult", "write_karte"]

GAP_CLASSES = {"scheme": "fisher_jenks", "k": 5, "palette": "YlOrRd", "unit": "人"}
"""Classes of the gap cells' population, fitted once on every cell of the set (shared across the カルテ)."""


@dataclass
class KarteResult:
    """What :func:`write_karte` wrote: the folder, each municipality's files and figures, and the ranking."""

    folder: Path
    files: list[Path] = field(default_factory=list)
    figures: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Municipal code → the カルテ's JSON (as written to ``report/<code>.json``)."""
    ranking: pd.DataFrame | None = None

    def __str__(self) -> str:
        return f"{len(self.figures)} カルテ in {self.folder} (index.html)"


def write_karte(
    run_folder: str | Path, params: ReportParams | None = None, *, out: str | Path | None = None, **keywords: Any
) -> KarteResult:
    """Write the カルテ of a finished run: ``report/<muni_code>.json`` (every figure), ``.html``, ``.pdf`` (A4).

    Parameters
    ----------
    run_folder
        A folder ``geo run`` wrote (``outputs/<run-name>/``: ``run.json``, the CSVs, ``layers.gpkg``).
    params
        :class:`geo.params.ReportParams`, or its fields as keywords (``municipalities=["19201"]``,
        ``prefectures=["山梨県"]``, ``rank_by``, ``formats``, ``nearby_km``).
    out
        Folder receiving the files; default ``<run_folder>/report``.

    Returns
    -------
    KarteResult
        The files, each municipality's figures and the ranking (``report/index.csv``).

    Raises
    ------
    ValidationError
        Not a run folder, no CSV tables, or a municipality / prefecture not in the run (the message lists what
        the run holds).

    Example
    -------
    >>> r = write_karte("outputs/yamanashi", prefectures=["山梨県"])     # doctest: +SKIP
    >>> sorted(p.name for p in r.files)[:3]                             # doctest: +SKIP
    ['19201.html', '19201.json', '19201.pdf']
    """
    params = resolve_params(ReportParams, params, keywords)
    run = fig.open_run(run_folder)
    codes = fig.select_municipalities(run, params)
    folder = Path(out) if out is not None else run.path / "report"
    folder.mkdir(parents=True, exist_ok=True)
    layers = _layers(run, codes)
    groupings = fig.preset_groupings()
    places = read_good_practices()
    source = fig.sources(run)
    curves, remedies = fig.curves(run), fig.remedies(run)  # the run's whole area: the same on every カルテ
    kartes: dict[str, dict[str, Any]] = {}
    for code in codes:
        row = run.areas[run.areas["muni_code"] == code].iloc[0]
        shape = layers["areas"][layers["areas"]["muni_code"] == code]
        kartes[code] = {
            "muni_code": code, "muni_name": row["muni_name"], "pref_code": row["pref_code"],
            "pref_name": row["pref_name"],
            "run": {"name": run.manifest.get("run") or run.path.name, "title": run.manifest.get("title") or "",
                    "description": run.manifest.get("description") or ""},
            "population": fig.population(run, row),
            "distance_gaps": fig.distance_gaps(run, code),
            "timetable_gaps": fig.timetable_gaps(run, code),
            "transit": fig.transit(run, code),
            "hubs": fig.hubs(run, code),
            "curves": curves,
            "scenarios": fig.scenarios(run, code),
            "remedies": remedies,
            "regions": fig.regions_of(code, row["pref_code"], groupings),
            "good_practices": {"within_km": params.nearby_km, "citation": fig.GOOD_PRACTICE_CITATION,
                               "rows": fig.good_practices_near(shape, places, row["pref_code"], params.nearby_km)},
            "sources": source,
        }  # fmt: skip
    classes, cells = _shared_classes(run, layers, codes)
    for code, k in kartes.items():
        k["map"] = {**{key: classes[key] for key in ("kind", "title", "labels", "colors", "breaks")},
                    "counts": _counts(classes, cells.get(code))}  # fmt: skip
    ranking = _rank(kartes, params.rank_by)
    result = KarteResult(folder=folder, figures=kartes, ranking=ranking)
    for code, k in kartes.items():
        path = folder / f"{code}.json"
        write_text_atomic(path, json.dumps(k, ensure_ascii=False, indent=2, sort_keys=False) + "\n")
        result.files.append(path)
        frames = _frames(layers, code, cells.get(code), classes["colors"])
        if "html" in params.formats:
            with render.font_context():
                svg = render.svg_of(render.map_figure(k, frames, classes))
            result.files.append(write_text_atomic(folder / f"{code}.html", render.page_html(k, svg)))
        if "pdf" in params.formats:
            path = folder / f"{code}.pdf"
            render.write_pdf(k, frames, classes, path)
            result.files.append(path)
    title = run.manifest.get("title") or run.manifest.get("run") or run.path.name
    label = next((k["rank"]["label"] for k in kartes.values() if k["rank"]["label"]), params.rank_by)
    index_rows = ranking.to_dict("records")
    result.files.append(write_text_atomic(folder / "index.html",
                                          render.index_html(title, index_rows, label, params.formats,
                                                            descending=bool(ranking.attrs["descending"]))))  # fmt: skip
    result.files.append(write_csv(ranking, folder / "index.csv"))
    return result


def _layers(run: fig.RunFolder, codes: list[str]) -> dict[str, gpd.GeoDataFrame]:
    """The geometry a カルテ map draws, read once from ``layers.gpkg``: areas, cells, stations, chosen hubs."""
    gpkg = run.path / "layers.gpkg"
    params = run.parameters
    names = ["areas", "gaps", "service_cells", "chosen_hubs"]
    gaps = params.get("gaps") or {}
    if gaps.get("demand") and gaps["demand"] != "grid":
        names.append(f"points_{gaps['demand']}")
    names += [f"points_{p['name']}" for p in params.get("points", []) if p.get("kind") == "station"]
    present = set(list_layers(gpkg)[:, 0]) if gpkg.is_file() else set()
    out = read_layers(gpkg, [n for n in dict.fromkeys(names) if n in present])
    out["demand"] = out.get(f"points_{gaps.get('demand')}")
    stations = [out[n] for n in names if n.startswith("points_") and n in out and n != f"points_{gaps.get('demand')}"]
    out["stations"] = pd.concat(stations, ignore_index=True) if stations else None
    return out


def _shared_classes(run: fig.RunFolder, layers: dict[str, Any], codes: list[str]) -> tuple[dict[str, Any], dict]:
    """One classification for the whole set: service grades A–F (fixed), or the gap cells' population fitted on
    every cell of the set (Fisher–Jenks, 5 classes)."""
    service = layers.get("service_cells")
    if service is not None and "grade" in service.columns:
        grades = [*GRADE_COLORS]
        cells = {c: service[service["muni_code"] == c] for c in codes}
        for part in cells.values():
            part["_class"] = [grades.index(g) if g in grades else len(grades) for g in part["grade"]]
        window = (run.analyses.get("gaps", {}).get("grades") or {}).get("window", "")
        return {"kind": "grades", "title": f"サービス水準（{window} 時; A 最良 … F 最低）", "legend": "サービス水準",
                "labels": [*(GRADE_NAMES[g] for g in grades), "等級なし"],
                "colors": [*GRADE_COLORS.values(), NO_GRADE_COLOR], "breaks": []}, cells  # fmt: skip
    gaps = layers.get("gaps")
    weight = run.analyses.get("gaps", {}).get("weight_column") or "population"
    if gaps is None or weight not in gaps.columns:
        return {"kind": "none", "title": "区域", "labels": [], "colors": [], "breaks": []}, {}
    cells = {c: gaps[gaps["muni_code"] == c] for c in codes}
    values = {c: part[weight].to_numpy(float) for c, part in cells.items() if len(part)}
    if not values:
        return {
            "kind": "gap_cells",
            "title": "交通空白メッシュ（なし）",
            "labels": [],
            "colors": [],
            "breaks": [],
        }, cells
    classes = classify_together(values, **GAP_CLASSES)
    for part in cells.values():
        part["_class"] = classes.class_of(part[weight].to_numpy(float)) if len(part) else []
    walk = "・".join(f"{'駅' if m == 'station' else 'バス停'}{v:,.0f}m"
                     for m, v in run.analyses.get("gaps", {}).get("walk_m", {}).items())  # fmt: skip
    return {"kind": "gap_cells", "title": f"交通空白メッシュの人口（{walk}圏外; {classes.title_ja}）",
            "legend": "交通空白メッシュの人口",
            "labels": list(classes.labels), "colors": list(classes.colors), "breaks": list(classes.bins)}, cells  # fmt: skip


def _counts(classes: dict[str, Any], cells: pd.DataFrame | None) -> list[int]:
    n = len(classes["labels"])
    if cells is None or not len(cells):
        return [0] * n
    found = pd.Series(cells["_class"]).value_counts()
    return [int(found.get(i, 0)) for i in range(n)]


def _frames(layers: dict[str, Any], code: str, cells: pd.DataFrame | None, colors: list[str]) -> dict[str, Any]:
    """The geometry of one municipality's map, each cell coloured by its shared class."""
    areas = layers["areas"]
    area = areas[areas["muni_code"] == code]
    if cells is not None and len(cells):
        cells = cells.copy()
        cells["_color"] = [colors[i] for i in cells["_class"]]
    demand = layers.get("demand")
    hubs = layers.get("chosen_hubs")
    stations = layers.get("stations")
    return {"area": area, "neighbours": areas[areas["muni_code"] != code], "cells": cells,
            "demand": demand[demand["muni_code"] == code] if demand is not None else None,
            "stations": stations[stations["muni_code"] == code] if stations is not None else None,
            "hubs": hubs[hubs["muni_code"] == code] if hubs is not None else None}  # fmt: skip


def _rank(kartes: dict[str, dict[str, Any]], by: str) -> pd.DataFrame:
    """The set ranked by one figure (ties and missing values last, by code); writes ``rank`` into each カルテ."""
    rows = []
    for code, k in kartes.items():
        value, label, descending = fig.rank_value(k, by)
        rows.append({"muni_code": code, "pref_name": k["pref_name"], "muni_name": k["muni_name"], "value": value,
                     "_label": label, "_desc": descending})  # fmt: skip
    frame = pd.DataFrame(rows)
    descending = bool(frame["_desc"].iloc[0]) if len(frame) else True
    frame = frame.sort_values(["value", "muni_code"], ascending=[not descending, True], na_position="last")
    frame["rank"] = [i + 1 if pd.notna(v) else None for i, v in enumerate(frame["value"])]
    for rank, (code, value) in zip(frame["rank"], zip(frame["muni_code"], frame["value"], strict=True), strict=True):
        label = frame.loc[frame["muni_code"] == code, "_label"].iloc[0]
        kartes[code]["rank"] = {"by": by, "label": label, "value": fig.plain(value),
                                "position": int(rank) if pd.notna(rank) else None, "of": len(frame)}  # fmt: skip
    out = frame[["rank", "muni_code", "pref_name", "muni_name", "value"]].reset_index(drop=True)
    out.attrs["descending"] = descending  # the order the index states
    return out
