"""A run described by a config file: load → join → analyse → render → write, in one direction.

Each config section *is* a question's parameters (:mod:`geo.params`), so a run asks the same questions
through the same analyses (:mod:`geo.analyses`) as the ``geo`` subcommands and the API, and writes each
result's outputs — names, titles, units, credits decided by the result — through the one writer
(:func:`geo.store.write_outputs`). :func:`run` validates the whole config and every column it names before any
work starts, writes everything into a staging folder and moves it to ``outputs/<run-name>/`` only when all
steps succeeded, so a failed run never leaves a half-written output folder. ``run.json`` records each input
with its SHA-256, the parameters, the CRS used, package versions, timings and every analysis's report.
"""

from __future__ import annotations

import hashlib
import json
import logging
import platform
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from importlib import metadata
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geo import analyses
from geo._errors import ValidationError
from geo._inputs import credit_of, file_sha256
from geo._progress import progress_enabled
from geo.analyses import (
    GapsResult,
    HubsResult,
    RegionsResult,
    Result,
    TimetableGapsResult,
    credits_with_n03,
    read_table,
)
from geo.areas import AREA_ROW, AreaSelection, place
from geo.boundaries import dissolve_prefectures
from geo.config import Derived, LineFinder, RunConfig, load_config, resolve_input
from geo.crosswalk import read_weights
from geo.gap_definitions import read_gap_definition
from geo.good_practices import read_good_practices
from geo.hubs import NAME_COLUMNS
from geo.indicators import derive, measure_titles
from geo.karte import write_karte
from geo.maps import layer_for
from geo.maps.choropleth import map_from, save_map
from geo.maps.layers import good_practice_layers
from geo.mesh import read_mesh
from geo.points import read_points
from geo.sources import fetch, get_source
from geo.store import LayerInfo, Output, check_output_folder, staging_dir, write_outputs

log = logging.getLogger(__name__)

_VERSIONED = ("geo", "geopandas", "shapely", "pyogrio", "pyproj", "pandas", "numpy", "folium", "mapclassify",
              "matplotlib", "PuLP")  # fmt: skip
GAP_COLUMNS = ["demand_population", "gap_population", "gap_share_pct", "demand_cells", "gap_cells"]
"""Area columns a walking-distance gap run adds to the run's areas."""


@dataclass
class RunResult:
    """What :func:`run` returns: the output folder and the manifest written to ``run.json``."""

    output_dir: Path
    manifest: dict[str, Any]
    files: list[Path] = field(default_factory=list)
    summaries: dict[str, str] = field(default_factory=dict)
    """Question → the summary its result prints (``str(result.report)``), as the subcommands print it."""


@dataclass
class _State:
    """Everything a run holds in memory between steps (one direction: each step adds, none rewrites)."""

    config: RunConfig
    selection: AreaSelection | None = None  # the run's areas (joined, derived) and the boundary file
    tables: list[pd.DataFrame] = field(default_factory=list)
    base_columns: list[str] = field(default_factory=list)
    points: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)  # as read
    outputs: dict[str, Output] = field(default_factory=dict)  # the run's own layers (areas, points_*)
    results: dict[str, Result] = field(default_factory=dict)  # question → result
    reports: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)
    gap_inputs: dict[str, Any] = field(default_factory=dict)  # [gaps]' inputs, read and hashed once per run

    @property
    def areas(self) -> gpd.GeoDataFrame:
        assert self.selection is not None
        return self.selection.areas


def run(
    config_path: str | Path, *, progress: bool = True, db: str | None = None, output_root: str | Path | None = None
) -> RunResult:
    """Run the analysis a config file describes and write its outputs.

    Parameters
    ----------
    config_path
        A TOML run config (see :mod:`geo.config` and ``scripts/*.toml``).
    progress
        Show a progress bar of the steps on stderr (only for a person at a terminal).
    db
        Also write every layer to this PostGIS database (``postgresql://...``); overrides ``[outputs] db``.
    output_root
        Write into ``output_root/<run-name>/`` instead of the config's ``[run] output_dir``.

    Returns
    -------
    RunResult
        ``output_dir`` (``outputs/<run-name>/``), the ``manifest`` written to ``run.json`` and the files.

    Examples
    --------
    >>> result = run("scripts/tokyo_station_gaps.toml")     # doctest: +SKIP
    >>> sorted(p.name for p in result.files)[:2]              # doctest: +SKIP
    ['areas.csv', 'buffers.csv']
    """
    config = load_config(config_path)
    state = _State(config=config)
    steps = _steps(config)
    with _progress(len(steps) + 2, enabled=progress) as tick:
        _step(state, "load", _load, tick)  # reads inputs and checks every named column: fails before any work
        for name, func in steps:
            _step(state, name, func, tick)
        final = Path(output_root) / config.run.name if output_root else config.output_dir
        result = _write(state, final, db=db or config.outputs.db or None)
        tick("write")
    return result


def _steps(config: RunConfig) -> list[tuple[str, Callable[[_State], None]]]:
    steps: list[tuple[str, Callable[[_State], None]]] = [("join", _join), ("points", _place_points)]
    if config.gaps:
        steps.append(("gaps", _gaps))
    if config.gaps and config.scenarios:
        steps.append(("scenarios", _scenarios))
    if config.gaps and config.remedies:
        steps.append(("remedies", _remedies))
    if config.hubs:
        steps.append(("hubs", _hubs))
    if config.regions:
        steps.append(("regions", _regions))
    if config.good_practices:
        steps.append(("good_practices", _good_practices))
    return steps


def _step(state: _State, name: str, func: Callable[[_State], None], tick: Callable[[str], None]) -> None:
    t0 = time.perf_counter()
    func(state)
    state.timings[name] = round(time.perf_counter() - t0, 3)
    tick(name)


@contextmanager
def _progress(total: int, *, enabled: bool) -> Iterator[Callable[[str], None]]:
    from tqdm import tqdm  # a terminal nicety, imported only for a run

    # a bar only for a person at a terminal: never in logs, CI output or pipes (geo._progress)
    with tqdm(total=total, disable=not (enabled and progress_enabled()), unit="step", leave=False) as bar:

        def tick(name: str) -> None:
            bar.set_description(name)
            bar.update()

        yield tick


# ------------------------------------------------------------------------------------------------- load


def _load(state: _State) -> None:
    """Read boundaries, tables and point layers, and check every column the config names exists."""
    config = state.config
    lines = LineFinder(config.text)
    area = config.area
    source = resolve_input(config, area.boundaries)
    if source is None:
        raise ValidationError(f"{lines.at(('area', 'boundaries'))}: {area.boundaries!r} is neither a file nor a "
                              "pinned source")  # fmt: skip
    problems: list[str] = []
    for i, spec in enumerate(config.indicators):
        path = resolve_input(config, spec.table)
        table = read_table(_fetched(path), spec)
        _record_input(state, f"indicators[{i}]", path, credit=spec.credit)
        missing = [c for c in spec.columns if c not in table.columns]
        if missing:
            problems.append(
                f"{lines.at(('indicators', i, 'columns'))}: {missing} not in {spec.table} "
                f"(columns: {', '.join(map(str, table.columns[:40]))})"
            )
        state.tables.append(table)
    state.selection = analyses.select(_fetched(source), area, table=state.tables[0] if state.tables else None)
    state.selection = replace(state.selection, source=str(source))
    _record_input(state, "boundaries", source, credit=area.credit)
    for spec in config.points:
        path = resolve_input(config, spec.path)
        if spec.kind == "mesh":
            layer = read_mesh(_fetched(path), level=spec.mesh_level or None, overlaps=spec.mesh_overlaps)
        else:
            layer = read_points(_fetched(path), lat=spec.lat or None, lon=spec.lon or None)
        _record_input(state, f"points.{spec.name}", path, credit=spec.credit)
        state.points[spec.name] = layer
    problems += _column_problems(state, lines)
    if problems:
        raise ValidationError(problems, source=config.path)


def _column_problems(state: _State, lines: LineFinder) -> list[str]:
    """Every column a section names that its input lacks, with the config line."""
    config, problems = state.config, []
    layers = {spec.name: spec.path for spec in config.points}
    named = []
    if config.gaps and config.gaps.weight and config.gaps.demand in layers:
        named.append(("gaps", "weight", config.gaps.demand, config.gaps.weight))
    if config.hubs:
        h = config.hubs
        for key, layer, column in (("weight", h.demand, h.weight), ("name_column", h.candidates, h.name_column),
                                   ("capacity", h.candidates, h.capacity)):  # fmt: skip
            if column and layer in layers:
                named.append(("hubs", key, layer, column))
    for section, key, layer, column in named:
        if column not in state.points[layer].columns:
            problems.append(f"{lines.at((section, key))}: {column!r} is not a column of {layers[layer]} "
                            f"(columns: {', '.join(map(str, state.points[layer].columns[:30]))})")  # fmt: skip
    available = {c for spec in config.indicators for c in spec.columns} | {d.name for d in config.derived}
    if config.gaps:
        available |= set(GAP_COLUMNS) | (_service_columns(config) if config.gaps.timetable else set())
    if config.regions:
        r = config.regions
        for c in r.sum_columns:
            if c not in available:
                problems.append(f"{lines.at(('regions', 'sum_columns'))}: {c!r} is not an indicator or derived column")
        for name, (numerator, denominator, _) in r.rate_columns().items():
            for c in (numerator, denominator):
                if c not in available | set(r.sum_columns):
                    problems.append(f"{lines.at(('regions', 'rates', name))}: {c!r} is not an indicator column")
        available |= set(r.rates) | set(r.means)
    for j, d in enumerate(config.derived):
        for col in d.inputs():
            if col not in available:
                problems.append(f"{lines.at(('derived', j, 'name'))}: {d.name!r} uses {col!r}, which no table provides")
    for j, m in enumerate(config.maps):
        if m.column not in available:
            problems.append(
                f"{lines.at(('maps', j, 'column'))}: {m.column!r} is not an indicator, derived or analysis column"
            )
    return problems


def _service_columns(config: RunConfig) -> set[str]:
    """Area columns a timetable-gaps run adds: ``gap_pct_<definition>_<window>``."""
    g = config.gaps
    assert g is not None
    out = set()
    for name in g.definitions or ["plateau-toshi-kozo"]:
        d = read_gap_definition(str(config.base_dir / name) if name.endswith(".toml") else name)
        out |= {f"gap_pct_{d.name}_{w}" for w in (g.windows or d.windows)}
    return out


def _fetched(value: Path | str | None) -> Path:
    return value if isinstance(value, Path) else fetch(str(value))


def _record_input(state: _State, role: str, value: Path | str | None, *, credit: str = "") -> None:
    """Record an input's file, SHA-256 and credit (the config's ``credit``, else the pinned source's)."""
    path = _fetched(value)
    digest = file_sha256(path) if path.is_file() else None
    entry: dict[str, Any] = {"path": str(path), "sha256": digest, "bytes": path.stat().st_size}
    if isinstance(value, str):
        src = get_source(value)
        entry |= {"source": value, "url": src.url, "licence": src.licence, "credit": src.credit}
    found = credit_of(value, given=credit or None, sha256=digest)
    if found:
        entry["credit"] = found[0]
    state.inputs[role] = entry


def _table_input(state: _State, role: str, value: str) -> Path | None:
    """A table a section names (population, proxy mesh, cost matrix): fetched, and recorded with its SHA-256 and
    credit under ``role`` so the outputs built on it credit it; None when the key is empty."""
    if not value:
        return None
    found = resolve_input(state.config, value)
    _record_input(state, role, found)
    return _fetched(found)


def _credits(state: _State, *roles: str) -> tuple[str, ...]:
    """The credit lines of the inputs behind a result, the N03 boundaries first."""
    found = [state.inputs.get(r, {}).get("credit") for r in ("boundaries", *roles)]
    return credits_with_n03([c for c in found if c])


# ---------------------------------------------------------------------------------------------- analyses


def _join(state: _State) -> None:
    selection = state.selection
    assert selection is not None
    for i, (spec, table) in enumerate(zip(state.config.indicators, state.tables, strict=True)):
        weights = read_weights(_fetched(resolve_input(state.config, spec.weights))) if spec.weights else None
        result = analyses.join(selection, table, spec, weights=weights)
        selection = replace(selection, areas=result.areas)
        state.reports[f"indicators[{i}]"] = result.join_report.to_dict()
        log.info("join %s: %s", spec.table, result.join_report)
        state.base_columns += [c for c in spec.columns if c not in state.base_columns]
    state.selection = replace(selection, areas=derive(selection.areas, state.config.derived))


def _place_points(state: _State) -> None:
    """Each point layer placed in the run's areas with the one border rule (:func:`geo.areas.place`)."""
    for spec in state.config.points:
        layer = state.points[spec.name]
        if not spec.filter_prefectures:
            whole = replace(state.selection, areas=state.selection.all_areas)  # every area of the file
            placed, report = place(layer, whole, snap_m=None, name=spec.name)
        else:
            placed, report = place(layer, state.selection, name=spec.name)
        state.reports[f"points.{spec.name}"] = report.to_dict()
        info = LayerInfo(f"{spec.name}（{spec.kind}）", _credits(state, f"points.{spec.name}"),
                         description=str(report))  # fmt: skip
        state.outputs[f"points_{spec.name}"] = Output(placed.drop(columns=AREA_ROW), info)


def _gap_inputs(state: _State) -> dict[str, Any]:
    """What [gaps], [[scenarios]] and [remedies] ask about: demand, untimed supply, feeds, population, params,
    credit roles; gathered (files fetched and hashed) once, by the first of those steps."""
    if not state.gap_inputs:
        state.gap_inputs = _read_gap_inputs(state)
    return state.gap_inputs


def _read_gap_inputs(state: _State) -> dict[str, Any]:
    g = state.config.gaps
    assert g is not None
    kinds = {p.name: p.kind for p in state.config.points}
    supply: dict[str, list[gpd.GeoDataFrame]] = {}
    for layer in g.supply:  # stations across the border still serve the residents: the layers as read
        supply.setdefault(kinds[layer], []).append(state.points[layer])
    stops = {k: pd.concat(v, ignore_index=True) for k, v in supply.items()}
    demand = None if g.demand == "grid" else state.points[g.demand]
    population = _table_input(state, "gaps.population_table", g.population_table)
    roles = [f"points.{s}" for s in g.supply] + ([f"points.{g.demand}"] if demand is not None else [])
    roles += ["gaps.population_table"] if population is not None else []
    feeds = []
    for i, value in enumerate(g.gtfs):
        path = _fetched(resolve_input(state.config, value))
        _record_input(state, f"gaps.gtfs[{i}]", path)
        feeds.append(path)
        roles.append(f"gaps.gtfs[{i}]")
    definitions = tuple(str(state.config.base_dir / d) if d.endswith(".toml") and not Path(d).is_absolute()
                        else d for d in g.definitions)  # fmt: skip
    return {"demand": demand, "stops": stops, "params": replace(g, definitions=definitions), "feeds": feeds,
            "population": population, "roles": roles}  # fmt: skip


def _gaps(state: _State) -> None:
    i = _gap_inputs(state)
    result = analyses.transport_gaps(state.selection, i["demand"], i["stops"], i["params"], feeds=i["feeds"],
                                     population=i["population"], credits=_credits(state, *i["roles"]))  # fmt: skip
    if isinstance(result, TimetableGapsResult) and result.service.by_area is not None:
        areas = state.areas.copy()  # gap_pct_<definition>_<window> columns, for [[maps]]
        for (d, w), part in result.service.by_area.groupby(["definition", "window"], sort=False):
            areas[f"gap_pct_{d}_{w}"] = part["gap_share_pct"].to_numpy()
        state.selection = replace(state.selection, areas=areas)
    elif isinstance(result, GapsResult):
        key = "muni_code" if "muni_code" in state.areas.columns else "pref_code"
        merged = state.areas.merge(result.by_area[[key, *GAP_COLUMNS]], how="left", on=key)
        state.selection = replace(state.selection, areas=merged)
    state.results["gaps"] = result


def _scenarios(state: _State) -> None:
    i = _gap_inputs(state)
    files: dict[str, dict[str, Path]] = {"add_zones": {}, "add_stops": {}}
    scenarios, roles = [], list(i["roles"])
    for n, s in enumerate(state.config.scenarios):
        for key, found in files.items():
            if getattr(s, key):
                found[s.name] = _fetched(resolve_input(state.config, getattr(s, key)))
                _record_input(state, f"scenarios[{n}].{key}", found[s.name])
        if s.projection:  # a file relative to the config, or a pinned source name read as it is
            value = resolve_input(state.config, s.projection)
            _record_input(state, f"scenarios[{n}].projection", value)
            roles.append(f"scenarios[{n}].projection")
            s = replace(s, projection=str(value))
        scenarios.append(s)
    state.results["scenarios"] = analyses.scenarios(
        state.selection, i["demand"], i["params"], scenarios, feeds=i["feeds"], stops=i["stops"],
        zones=files["add_zones"], added_stops=files["add_stops"], population=i["population"],
        credits=_credits(state, *roles),
    )  # fmt: skip


def _remedies(state: _State) -> None:
    r = state.config.remedies
    assert r is not None
    i = _gap_inputs(state)
    files = {}
    for key in ("add_stops", "add_zones", "add_routes"):
        if getattr(r, key):
            files[key] = _fetched(resolve_input(state.config, getattr(r, key)))
            _record_input(state, f"remedies.{key}", files[key])
    state.results["remedies"] = analyses.remedies(
        state.selection, i["demand"], replace(i["params"], maps=False), r, feeds=i["feeds"], stops=i["stops"],
        population=i["population"], credits=_credits(state, *i["roles"]), **files,
    )  # fmt: skip


def _hubs(state: _State) -> None:
    h = state.config.hubs
    assert h is not None
    cost = _table_input(state, "hubs.cost_matrix", h.cost_matrix)
    population = _table_input(state, "hubs.population_table", h.population_table)
    proxy = _table_input(state, "hubs.proxy_table", h.proxy_table)
    tables = [f"hubs.{k}" for k, v in (("cost_matrix", cost), ("population_table", population),
                                       ("proxy_table", proxy)) if v is not None]  # fmt: skip
    if h.demand == "gaps":
        gaps = state.results["gaps"]
        demand = gaps.cells if isinstance(gaps, GapsResult) else gaps.gap_cells  # type: ignore[attr-defined]
        roles = [f"points.{state.config.gaps.demand}"] if state.config.gaps else []
    else:
        demand = None if h.demand == "grid" else state.points[h.demand]
        roles = [] if demand is None else [f"points.{h.demand}"]
    note = None
    if h.demand == "gaps" and demand is not None:
        note = f"the {len(demand):,} gap cells of [gaps] (demand beyond walking distance)"
    result = analyses.hubs(state.selection, state.points[h.candidates], demand, h, population=population,
                           proxy=proxy, cost=cost, credits=_credits(state, f"points.{h.candidates}", *roles, *tables),
                           demand_note=note)  # fmt: skip
    state.results["hubs"] = result


def _regions(state: _State) -> None:
    r = state.config.regions
    assert r is not None
    roles = [f"indicators[{i}]" for i in range(len(state.config.indicators))]
    state.results["regions"] = analyses.regions(state.areas, r.presets, r, measures=state.config.derived,
                                                counts=state.base_columns, credits=_credits(state, *roles))  # fmt: skip


def _good_practices(state: _State) -> None:
    places = read_good_practices()
    if state.config.area.prefectures:
        places = places[places["pref_code"].isin(state.areas["pref_code"].unique())]
    info = LayerInfo("地方創生2.0 基本構想の好事例", credits_with_n03(()), column="title")
    state.outputs["good_practices"] = Output(places, info)


def prefecture_view(areas: gpd.GeoDataFrame, base_columns: list[str], derived: list[Derived]) -> gpd.GeoDataFrame:
    """The areas dissolved to prefectures: counts summed, derived measures recomputed from the sums."""
    shapes = dissolve_prefectures(areas)
    sums = areas.groupby("pref_code")[base_columns].sum(min_count=1).reset_index()
    return derive(shapes.merge(sums, on="pref_code", how="left"), derived)


# ------------------------------------------------------------------------------------------------ write


def _all_outputs(state: _State) -> dict[str, Output]:
    """The run's areas and point layers, then each question's outputs as its result decides them."""
    config = state.config
    units = {d.name: d.unit for d in config.derived if d.unit}
    titles = measure_titles(config.derived) | {m.column: m.legend or m.title for m in config.maps
                                               if (m.legend or m.title) and m.column not in units}  # fmt: skip
    roles = [f"indicators[{i}]" for i in range(len(config.indicators))]
    if config.gaps:
        roles += [f"points.{s}" for s in config.gaps.supply] + [f"points.{config.gaps.demand}"]
    main = config.maps[0].column if config.maps else ""
    title = config.run.title or config.run.name
    info = LayerInfo(f"{title}: 区域", _credits(state, *roles), units, titles, main, config.run.description)
    out = {"areas": Output(state.areas, info), **state.outputs}
    for result in state.results.values():
        outputs = result.outputs()  # built once: a result's outputs may cost work (the union of the rings)
        clash = sorted(set(out) & set(outputs))
        if clash:  # names are decided once per question; two questions must not claim one
            raise ValidationError(f"two analyses write the output(s) {clash}")
        out |= outputs
    return out


def _write(state: _State, final: Path, *, db: str | None) -> RunResult:
    config = state.config
    check_output_folder(final)  # a folder of the user's with the run's name is never replaced
    final.parent.mkdir(parents=True, exist_ok=True)
    with staging_dir(final) as stage:
        t0 = time.perf_counter()
        outputs = _all_outputs(state)
        files = _render_maps(state, stage, outputs)
        for result in state.results.values():  # maps and records a result writes beside its layers
            files += result.extra_files(stage)
        state.timings["maps"] = round(time.perf_counter() - t0, 3)
        o = config.outputs
        files += write_outputs(outputs, stage, gpkg=o.gpkg, csv=o.csv, parquet=o.parquet, db=db)
        state.timings["total"] = round(time.perf_counter() - state.started, 3)
        manifest = _manifest(state, files, stage, db=db)
        (stage / "run.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        files.append(stage / "run.json")
        report = _report(state, stage)
        if report:  # run.json then lists the カルテ too (they read none of the fields that change)
            files += report
            manifest = _manifest(state, [f for f in files if f != stage / "run.json"], stage, db=db)
            (stage / "run.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    summaries = {name: str(r.report) for name, r in state.results.items()}
    return RunResult(output_dir=final, manifest=manifest, files=[final / f.relative_to(stage) for f in files],
                     summaries=summaries)  # fmt: skip


def _render_maps(state: _State, stage: Path, outputs: dict[str, Output]) -> list[Path]:
    files = []
    for spec in state.config.maps:
        areas, base = state.areas, "areas"
        if spec.level == "prefecture":
            areas = prefecture_view(state.areas, state.base_columns, state.config.derived)
        elif spec.level == "region":
            areas, base = state.results["regions"].regions, "regions"  # type: ignore[attr-defined]
        layers = [layer for name in spec.layers for layer in _map_layers(state, name)]
        credits = list(outputs[base].info.credits)
        for name in spec.layers:
            for key in _MAP_OUTPUTS.get(name, ()):
                credits += [c for c in (outputs[key].info.credits if key in outputs else ()) if c not in credits]
        m = map_from(areas, replace(spec, unit=spec.unit or _derived_unit(state, spec.column),
                                    title=spec.title or spec.column),
                     layers=layers, attribution=tuple(credits),
                     column_titles=_window_titles(areas.columns))  # fmt: skip
        for fmt in spec.formats:
            path = stage / f"{spec.name or spec.column}.{fmt}"
            save_map(m, path, spec)
            files.append(path)
    return files


_MAP_OUTPUTS = {"gaps": ("gaps",), "hubs": ("hubs", "chosen_hubs"), "buffers": ("buffers", "chosen_buffers"),
                "regions": ("regions",), "good_practices": ("good_practices",)}  # fmt: skip


def _map_layers(state: _State, name: str) -> list[Any]:
    """The map layers a config name stands for; with siting, hubs and buffers show the chosen hubs only."""
    if name == "labels":
        return [layer_for("labels", state.areas)]
    hubs = state.results.get("hubs")
    chosen = hubs.chosen if isinstance(hubs, HubsResult) else None
    if name == "hubs" and chosen is not None:
        label = next((c for c in NAME_COLUMNS if c in chosen.columns), None)  # the chosen sites are named
        return [replace(layer_for("hubs", chosen), name=f"選定した拠点（上位{len(chosen)}か所）", label_column=label)]
    if name == "buffers" and chosen is not None and hubs.chosen_buffers is not None:  # type: ignore[union-attr]
        return [replace(layer_for("buffers", hubs.chosen_buffers), name="選定した拠点の圏域")]  # type: ignore[union-attr]
    gaps = state.results.get("gaps")
    regions = state.results.get("regions")
    good = state.outputs.get("good_practices")
    data = {
        "hubs": hubs.candidates if isinstance(hubs, HubsResult) else None,
        "buffers": hubs.buffers if isinstance(hubs, HubsResult) else None,
        "gaps": gaps.cells if isinstance(gaps, GapsResult) else gaps.gap_cells if gaps is not None else None,  # type: ignore[attr-defined]
        "regions": regions.regions if isinstance(regions, RegionsResult) else None,
        "good_practices": good.frame if good is not None else None,
    }[name]
    if data is None or data.empty:
        log.info("map layer %s is empty in this run; left off the map", name)
        return []
    if name == "good_practices":
        return good_practice_layers(data)
    return [layer_for(name, data)]


def _window_titles(columns: Any) -> dict[str, str]:
    """Readable names of the per-window columns (``gap_pct_<definition>_<HH-HH>`` → 「07-09 時」, with the
    definition when a run has several), for the legends of maps that share classes across windows."""
    found = [(c, *m.groups()) for c in columns if (m := re.fullmatch(r"gap_pct_(.+)_(\d\d-\d\d)", str(c)))]
    several = len({d for _, d, _ in found}) > 1
    return {c: f"{d} {w} 時" if several else f"{w} 時" for c, d, w in found}


def _derived_unit(state: _State, column: str) -> str | None:
    return next((d.unit for d in state.config.derived if d.name == column and d.unit), None)


def _manifest(state: _State, files: list[Path], stage: Path, *, db: str | None) -> dict[str, Any]:
    config = state.config
    versions = {}
    for name in _VERSIONED:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    crs = {"at_rest": "EPSG:6668"}
    gaps, hubs = state.results.get("gaps"), state.results.get("hubs")
    if isinstance(gaps, GapsResult):
        crs["gaps"] = gaps.report.figures["crs_name"]
    elif isinstance(gaps, TimetableGapsResult):
        crs["gaps"] = gaps.service.info["crs_name"]
    if isinstance(hubs, HubsResult) and hubs.buffers is not None and len(hubs.buffers):
        crs["buffers"] = str(hubs.buffers["metric_crs"].iloc[0])
    return {
        "run": config.run.name,
        "title": config.run.title,
        "description": config.run.description,
        "config": {"path": str(config.path), "sha256": hashlib.sha256(config.text.encode()).hexdigest()},
        "parameters": _jsonable(asdict(config)),
        "inputs": state.inputs,
        "crs": crs,
        "reports": _jsonable(state.reports),
        "analyses": _jsonable({name: r.report.to_dict() for name, r in state.results.items()}),
        "outputs": sorted(str(f.relative_to(stage)) for f in files),
        "database": db.split("@")[-1] if db else None,  # never the password
        "versions": versions | {"python": platform.python_version()},
        "timings_s": dict(state.timings),
    }


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


def validate(config_path: str | Path, *, data: bool = True) -> RunConfig:
    """Check a config without running it: keys, types, files, output folder, map breaks and, with ``data``,
    every column it names (the inputs are read, no analysis is done).

    Raises
    ------
    ValidationError
        Every problem found, each with its config line.
    """
    config = load_config(config_path)
    if data:
        _load(_State(config=config))
    return config


# ----------------------------------------------------------------------------------------------- report


def _report(state: _State, stage: Path) -> list[Path]:
    """[report]: the municipal カルテ, the last step, built from the tables just written into the staging folder
    (the same function as ``geo report``), so they land in the run's folder atomically with the rest."""
    if state.config.report is None:
        return []
    t0 = time.perf_counter()
    files = write_karte(stage, state.config.report).files
    state.timings["report"] = round(time.perf_counter() - t0, 3)
    return files
