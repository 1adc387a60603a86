"""A run described by a config file: load → join → analyse → render → write, in one direction.

:func:`run` validates the whole config and every column it names before any work starts, does the work in
memory, writes everything into a staging folder and moves it to ``outputs/<run-name>/`` only when all
steps succeeded, so a failed run never leaves a half-written output folder. ``run.json`` records each input
with its SHA-256, the parameters, the CRS used, package versions, timings and the join reports.
"""

from __future__ import annotations

import hashlib
import json
import logging
import platform
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from importlib import metadata
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geo._errors import ValidationError
from geo.config import Derived, RunConfig, load_config, resolve_input
from geo.steps import DEMAND_SNAP_M, AreaSelection, select_areas

log = logging.getLogger(__name__)

_EXTENSIVE_KINDS = ("sum",)
_VERSIONED = ("geo", "geopandas", "shapely", "pyogrio", "pyproj", "pandas", "numpy", "folium", "mapclassify",
              "matplotlib", "PuLP")  # fmt: skip


@dataclass
class RunResult:
    """What :func:`run` returns: the output folder and the manifest written to ``run.json``."""

    output_dir: Path
    manifest: dict[str, Any]
    files: list[Path] = field(default_factory=list)


@dataclass
class _State:
    """Everything a run holds in memory between steps (one direction: each step adds, none rewrites)."""

    config: RunConfig
    areas: gpd.GeoDataFrame | None = None
    selection: AreaSelection | None = None  # the run's areas and the boundary file they come from
    tables: list[pd.DataFrame] = field(default_factory=list)
    base_columns: list[str] = field(default_factory=list)
    intensive_columns: list[str] = field(default_factory=list)
    points: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)  # in the run's area
    points_all: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)  # as read (supply beyond borders)
    layers: dict[str, gpd.GeoDataFrame | pd.DataFrame] = field(default_factory=dict)
    tables_out: dict[str, pd.DataFrame] = field(default_factory=dict)
    reports: dict[str, Any] = field(default_factory=dict)
    crs_used: dict[str, str] = field(default_factory=dict)
    inputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    analyses: dict[str, Any] = field(default_factory=dict)
    service: Any = None  # geo.service_gaps.ServiceGaps of a timetable-gaps run (maps drawn in _render_maps)
    started: float = field(default_factory=time.perf_counter)


def run(
    config_path: str | Path, *, progress: bool = True, db: str | None = None, output_root: str | Path | None = None
) -> RunResult:
    """Run the analysis a config file describes and write its outputs.

    Parameters
    ----------
    config_path
        A TOML run config (see :mod:`geo.config` and ``scripts/*.toml``).
    progress
        Show a progress bar of the steps on stderr.
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
    >>> result = run("scripts/yamanashi.toml")     # doctest: +SKIP
    >>> sorted(p.name for p in result.files)[:2]     # doctest: +SKIP
    ['areas.csv', 'coverage.csv']
    """
    config = load_config(config_path)
    state = _State(config=config)
    steps = _steps(config)
    with _progress(len(steps) + 1, enabled=progress) as tick:
        _step(state, "load", _load, tick)  # reads inputs and checks every named column: fails before any work
        for name, func in steps:
            _step(state, name, func, tick)
        final = Path(output_root) / config.run.name if output_root else config.output_dir
        result = _write(state, final, db=db or config.outputs.db or None)
        tick("write")
    return result


def _steps(config: RunConfig) -> list[tuple[str, Callable[[_State], None]]]:
    steps: list[tuple[str, Callable[[_State], None]]] = [("join", _join), ("points", _assign)]
    if config.gaps:
        steps.append(("gaps", _gaps))
    if config.hubs:
        steps.append(("hubs", _hubs))
    if config.regions:
        steps.append(("regions", _regions))
    if config.good_practices:
        steps.append(("good_practices", _good_practices))
    steps.append(("maps", lambda s: None))  # rendered into the staging folder in _write
    return steps


def _step(state: _State, name: str, func: Callable[[_State], None], tick: Callable[[str], None]) -> None:
    t0 = time.perf_counter()
    func(state)
    state.timings[name] = round(time.perf_counter() - t0, 3)
    tick(name)


@contextmanager
def _progress(total: int, *, enabled: bool) -> Iterator[Callable[[str], None]]:
    from tqdm import tqdm

    from geo._progress import progress_enabled

    # a bar only for a person at a terminal: never in logs, CI output or pipes (geo._progress)
    with tqdm(total=total, disable=not (enabled and progress_enabled()), unit="step", leave=False) as bar:

        def tick(name: str) -> None:
            bar.set_description(name)
            bar.update()

        yield tick


# ------------------------------------------------------------------------------------------------- load


def _load(state: _State) -> None:
    """Read boundaries, tables and point layers, and check every column the config names exists."""
    from geo.indicators import aggregate_wards, read_indicators
    from geo.mesh import read_mesh
    from geo.points import read_points

    config = state.config
    lines = _ConfigLines(config)
    area = config.area
    source = resolve_input(config, area.boundaries)
    if source is None:
        raise ValidationError(f"{lines.at('boundaries')}: {area.boundaries!r} is neither a file nor a pinned source")
    selection = select_areas(source, level=area.level, prefectures=area.prefectures,
                             municipalities=area.municipalities)  # fmt: skip
    state.selection = selection
    state.areas = selection.areas
    _record_input(state, "boundaries", source, credit=area.credit)
    problems: list[str] = []
    for i, spec in enumerate(config.indicators):
        path = resolve_input(config, spec.table)
        table = read_indicators(
            _fetched(path), code_column=spec.code_column or None, encoding=spec.encoding or None,
            sheet=spec.sheet or None,
        )  # fmt: skip
        if spec.aggregate_wards:  # ward rows summed into their designated city (never both counted)
            table = aggregate_wards(table)
        _record_input(state, f"indicators[{i}]", path, credit=spec.credit)
        missing = [c for c in spec.columns if c not in table.columns]
        if missing:
            problems.append(
                f"{lines.at('indicators', i, 'columns')}: {missing} not in {spec.table} "
                f"(columns: {', '.join(map(str, table.columns[:40]))})"
            )
        state.tables.append(table)
    for spec in config.points:
        path = resolve_input(config, spec.path)
        if spec.kind == "mesh":
            layer = read_mesh(_fetched(path), level=spec.mesh_level or None, overlaps=spec.mesh_overlaps)
        else:
            layer = read_points(_fetched(path), lat=spec.lat or None, lon=spec.lon or None)
        _record_input(state, f"points.{spec.name}", path, credit=spec.credit)
        state.points[spec.name] = layer
        if (
            config.gaps
            and spec.name == config.gaps.demand
            and config.gaps.weight
            and config.gaps.weight not in layer.columns
        ):
            problems.append(f"{lines.at('gaps', 'weight')}: {config.gaps.weight!r} is not a column of {spec.path}")
        hubs = config.hubs
        if hubs and spec.name == hubs.demand and hubs.weight and hubs.weight not in layer.columns:
            problems.append(f"{lines.at('hubs', 'weight')}: {hubs.weight!r} is not a column of {spec.path}")
        if hubs and spec.name == hubs.candidates and hubs.name_column and hubs.name_column not in layer.columns:
            problems.append(
                f"{lines.at('hubs', 'name_column')}: {hubs.name_column!r} is not a column of {spec.path} "
                f"(columns: {', '.join(map(str, layer.columns[:30]))})"
            )
    available = {c for spec in config.indicators for c in spec.columns} | {d.name for d in config.derived}
    available |= set(_GAP_COLUMNS) if config.gaps else set()
    if config.gaps and (config.gaps.definitions or config.gaps.gtfs):
        available |= _service_columns(config)
    if config.regions:
        regions = config.regions
        for c in regions.sum_columns:
            if c not in available:
                problems.append(f"{lines.at('regions', 'sum_columns')}: {c!r} is not an indicator or derived column")
        for name, pair in regions.rates.items():
            if len(pair) != 2 or any(c not in available | set(regions.sum_columns) for c in pair):
                problems.append(
                    f"{lines.at('regions', 'rates', name)}: give [numerator, denominator], two indicator columns "
                    f"(got {pair})"
                )
        available |= set(regions.rates)
    for j, d in enumerate(config.derived):
        for col in _derived_inputs(d):
            if col not in available:
                problems.append(f"{lines.at('derived', j, 'name')}: {d.name!r} uses {col!r}, which no table provides")
    for j, m in enumerate(config.maps):
        if m.column not in available:
            problems.append(
                f"{lines.at('maps', j, 'column')}: {m.column!r} is not an indicator, derived or analysis column"
            )
    if problems:
        raise ValidationError(problems, source=config.path)


def _fetched(value: Path | str | None) -> Path:
    if isinstance(value, Path):
        return value
    from geo.sources import fetch

    return fetch(str(value))


class _ConfigLines:
    def __init__(self, config: RunConfig) -> None:
        from geo.config import _LineFinder

        self.finder = _LineFinder(config.text)

    def at(self, *where: str | int) -> str:
        return self.finder.at(tuple(where))


def _record_input(state: _State, role: str, value: Path | str | None, *, credit: str = "") -> None:
    """Record an input's file, SHA-256 and credit (the config's ``credit``, else the pinned source's)."""
    from geo._inputs import credit_of, file_sha256

    path = _fetched(value)
    digest = file_sha256(path)
    entry: dict[str, Any] = {"path": str(path), "sha256": digest, "bytes": path.stat().st_size}
    if isinstance(value, str):
        from geo.sources import get_source

        src = get_source(value)
        entry |= {"source": value, "url": src.url, "licence": src.licence, "credit": src.credit}
    found = credit_of(value, given=credit or None, sha256=digest)
    if found:
        entry["credit"] = found[0]
    state.inputs[role] = entry


def _derived_inputs(d: Derived) -> list[str]:
    return {"rate": [d.numerator, d.denominator], "change": [d.before, d.after], "density": [d.column],
            "sum": list(d.columns)}[d.kind]  # fmt: skip


# ---------------------------------------------------------------------------------------------- analyses


def _join(state: _State) -> None:
    from geo import steps

    selection = state.selection
    for i, (spec, table) in enumerate(zip(state.config.indicators, state.tables, strict=True)):
        areas, report = steps.join(selection, table, columns=spec.columns, as_of=spec.as_of or None)
        selection = replace(selection, areas=areas)
        state.reports[f"indicators[{i}]"] = report.to_dict()
        log.info("join %s: %s", spec.table, report)
        state.base_columns += [c for c in spec.columns if c not in state.base_columns]
    state.areas = apply_derived(selection.areas, state.config.derived)


def apply_derived(frame: gpd.GeoDataFrame, derived: list[Derived]) -> gpd.GeoDataFrame:
    """Compute derived columns (rates, changes, densities, sums) from the base columns of ``frame``.

    Rates and changes are recomputed from sums at every level (municipality, prefecture, region), never
    averaged; a zero or missing denominator gives a missing value, not 0.
    """
    from geo.crs import area_km2

    out = frame.copy()
    for d in derived:
        if d.kind == "sum":
            out[d.name] = out[list(d.columns)].sum(axis=1, min_count=len(d.columns))
        elif d.kind == "rate":
            den = out[d.denominator].where(out[d.denominator] != 0)
            out[d.name] = out[d.numerator] / den * d.per
        elif d.kind == "change":
            before = out[d.before].where(out[d.before] != 0)
            out[d.name] = (out[d.after] - before) / before * 100
        elif d.kind == "density":
            out[d.name] = out[d.column] / area_km2(out)
    return out


def _assign(state: _State) -> None:
    """Place each point layer in the run's areas with the one border rule of :func:`geo.steps.place`."""
    from geo.points import assign_points
    from geo.steps import place

    restricted = bool(state.config.area.prefectures or state.config.area.municipalities)
    for name, layer in state.points.items():
        spec = next(p for p in state.config.points if p.name == name)
        state.points_all[name] = layer
        if spec.filter_prefectures and restricted:
            assigned, report = place(layer, state.selection, snap_m=DEMAND_SNAP_M, name=name)
            assigned = assigned.drop(columns="_area_row")
            state.reports[f"points.{name}"] = report.to_dict()
        else:
            placed = assign_points(gpd.GeoDataFrame(geometry=layer.representative_point(), crs=layer.crs), state.areas)
            assigned = layer.join(placed.drop(columns="geometry"))
            state.reports[f"points.{name}"] = {"rows": len(layer), "outside": int(assigned["muni_code"].isna().sum())}
        state.points[name] = assigned
        state.layers[f"points_{name}"] = assigned


def _gaps(state: _State) -> None:
    from geo import steps

    g = state.config.gaps
    assert g is not None
    if g.definitions or g.gtfs:
        _service_gaps(state)
        return
    # the demand as read: the gaps step places it with the same border rule as `geo gaps` and the API;
    # a station across the prefecture border still serves the residents, so the supply is used as read
    result = steps.gaps(
        state.selection, state.points_all[g.demand], {s.layer: state.points_all[s.layer] for s in g.supply},
        walk_m={s.layer: s.walk_m for s in g.supply}, weight=g.weight or None, snap_m=DEMAND_SNAP_M,
    )  # fmt: skip
    state.areas = state.areas.merge(
        result.by_area[["muni_code" if "muni_code" in state.areas.columns else "pref_code", *_GAP_COLUMNS]],
        how="left", on="muni_code" if "muni_code" in state.areas.columns else "pref_code",
    )  # fmt: skip
    state.layers["gaps"] = result.cells
    state.analyses["gaps"] = result.report.to_dict()
    state.crs_used["gaps"] = result.report.figures["crs_name"]


_GAP_COLUMNS = ["demand_population", "gap_population", "gap_share_pct", "demand_cells", "gap_cells"]


def _service_columns(config: RunConfig) -> set[str]:
    """Area columns a timetable-gaps run adds: ``gap_pct_<definition>_<window>``."""
    from geo.gap_definitions import read_gap_definition

    g = config.gaps
    assert g is not None
    out = set()
    for name in g.definitions or ["plateau-toshi-kozo"]:
        d = read_gap_definition(str(config.base_dir / name) if name.endswith(".toml") else name)
        out |= {f"gap_pct_{d.name}_{w}" for w in (g.windows or d.windows)}
    return out


def _service_gaps(state: _State) -> None:
    """Timetable gaps: several definitions by time window (geo.steps.timetable_gaps), grades, per-area shares."""
    from geo import steps

    g = state.config.gaps
    assert g is not None
    if g.spread_population and g.spread_population not in state.areas.columns:
        raise ValidationError(f"[gaps] spread_population: the areas have no column {g.spread_population!r}")
    kinds = {p.name: p.kind for p in state.config.points}
    untimed: dict[str, Any] = {}
    for s in g.supply:  # stations across the border still serve the residents: use the layer as read
        untimed.setdefault(kinds[s.layer], []).append(state.points_all[s.layer])
    feeds = []
    for i, value in enumerate(g.gtfs):
        path = _fetched(resolve_input(state.config, value))
        _record_input(state, f"gaps.gtfs[{i}]", path)
        feeds.append(path)
    definitions = [
        str(state.config.base_dir / d) if d.endswith(".toml") and not Path(d).is_absolute() else d
        for d in g.definitions or ["plateau-toshi-kozo"]
    ]
    result, report = steps.timetable_gaps(
        replace(state.selection, areas=state.areas),
        None if g.demand == "grid" else state.points_all[g.demand], definitions=definitions, feeds=feeds,
        stops={k: pd.concat(v, ignore_index=True) for k, v in untimed.items()}, date=g.date or None,
        windows=g.windows, weight=None if g.demand == "grid" else g.weight or None,
        spread=g.spread_population or None,
    )  # fmt: skip
    state.service = result
    state.layers["service_cells"] = result.cells
    first = result.definitions[0].name
    state.layers["gaps"] = result.cells[result.cells[f"n_served_{first}"] == 0]
    state.tables_out["gap_totals"] = result.totals
    if result.by_area is not None:
        state.tables_out["gap_by_area"] = result.by_area
        areas = state.areas.copy()
        for (d, w), part in result.by_area.groupby(["definition", "window"], sort=False):
            areas[f"gap_pct_{d}_{w}"] = part["gap_share_pct"].to_numpy()
        state.areas = areas
    state.analyses["gaps"] = {**result.record(), "placing": report.notes}
    state.crs_used["gaps"] = result.info["crs_name"]


def _hubs(state: _State) -> None:
    from geo import steps

    h = state.config.hubs
    assert h is not None
    if h.demand == "grid":  # municipal population spread over the 1 km grid by area, said in every output
        from geo.demand import grid_demand

        table = _fetched(resolve_input(state.config, h.population_table))
        demand, grid_report = grid_demand(state.areas, table, column=h.population_column or None, missing="zero")
        state.analyses["grid_demand"] = str(grid_report)
    else:
        demand = state.layers["gaps"] if h.demand == "gaps" else state.points[h.demand]
    cost = _fetched(resolve_input(state.config, h.cost_matrix)) if h.cost_matrix else None
    result = steps.hubs(
        state.points[h.candidates], demand, radii_m=h.radii_m, weight=h.weight or None, areas=state.areas,
        choose=h.choose or None, method=h.method, fixed=h.fixed, capacity=h.capacity or None, cost=cost,
        access=h.access, name_column=h.name_column or None, pref_code=state.selection.pref_code,
    )  # fmt: skip
    state.layers["hubs"] = result.candidates
    if result.buffers is not None:
        state.layers["buffers"] = result.buffers
        state.crs_used["buffers"] = str(result.buffers["metric_crs"].iloc[0]) if len(result.buffers) else ""
    state.tables_out["coverage"] = result.coverage
    for tag, table in result.per_hub.items():
        state.tables_out[f"coverage_per_hub_{tag}"] = table
    for tag, table in result.per_area.items():
        state.tables_out[f"coverage_per_area_{tag}"] = table
    for tag, layer in result.uncovered.items():
        state.layers[f"uncovered_{tag}"] = layer
    if result.chosen is not None:
        state.layers["chosen_hubs"] = result.chosen
        if result.chosen_buffers is not None:
            state.layers["chosen_buffers"] = result.chosen_buffers
        state.tables_out["chosen_per_hub"] = result.siting.per_hub.rename_axis("hub_index").reset_index()
    if result.access is not None:
        state.layers["access"] = result.access
        for kind, table in result.access_per_area.items():
            state.tables_out[f"access_{kind}_per_area"] = table
    state.analyses["hubs"] = result.report.to_dict()


def _regions(state: _State) -> None:
    from geo.regions import dissolve_regions, read_regions

    r = state.config.regions
    assert r is not None
    frames = []
    sums = list(r.sum_columns) or [c for c in state.base_columns if c in state.areas.columns]
    for numerator, denominator in r.rates.values():
        sums += [c for c in (numerator, denominator) if c not in sums]
    for preset in r.presets:
        regions = read_regions(preset)
        # missing="skip": e.g. the Northern Territories villages have boundaries but no statistics
        shapes = dissolve_regions(state.areas, regions, sum_columns=sums, missing="skip")
        shapes = apply_derived(shapes, state.config.derived)
        for name, (numerator, denominator) in r.rates.items():  # recomputed from the sums, never averaged
            shapes[name] = shapes[numerator] / shapes[denominator].where(shapes[denominator] != 0) * 100
        frames.append(shapes.assign(grouping=preset))
    state.layers["regions"] = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=frames[0].crs)


def _good_practices(state: _State) -> None:
    from geo.good_practices import read_good_practices

    places = read_good_practices()
    if state.config.area.prefectures:
        places = places[places["pref_code"].isin(state.areas["pref_code"].unique())]
    state.layers["good_practices"] = places


def prefecture_view(state: _State) -> gpd.GeoDataFrame:
    """The run's areas dissolved to prefectures: counts summed, derived columns recomputed from the sums."""
    from geo.boundaries import dissolve_prefectures

    areas = state.areas
    shapes = dissolve_prefectures(areas)
    sums = areas.groupby("pref_code")[state.base_columns].sum(min_count=1).reset_index()
    return apply_derived(shapes.merge(sums, on="pref_code", how="left"), state.config.derived)


# ------------------------------------------------------------------------------------------------ write


def _write(state: _State, final: Path, *, db: str | None) -> RunResult:
    from geo.store import staging_dir, write_csv, write_layers

    config = state.config
    final.parent.mkdir(parents=True, exist_ok=True)
    layers = {"areas": state.areas, **state.layers}
    with staging_dir(final) as stage:
        t0 = time.perf_counter()
        files = _render_maps(state, stage)
        state.timings["maps"] = round(time.perf_counter() - t0, 3)
        if config.outputs.gpkg:
            spatial = {k: v for k, v in layers.items() if isinstance(v, gpd.GeoDataFrame)}
            write_layers(spatial, stage / "layers.gpkg", info=_layer_info(state, list(spatial)))
            files.append(stage / "layers.gpkg")
        if config.outputs.parquet:
            from geo.store import write_geoparquet

            files += write_geoparquet(layers, stage / "parquet")
        if config.outputs.csv:
            for name, frame in {**layers, **state.tables_out}.items():
                path = stage / f"{name}.csv"
                table = frame.drop(columns="geometry") if "geometry" in frame.columns else frame
                write_csv(pd.DataFrame(table), path)
                files.append(path)
        if db:
            write_layers({k: v for k, v in layers.items() if isinstance(v, gpd.GeoDataFrame)}, db, overwrite=True)
        state.timings["total"] = round(time.perf_counter() - state.started, 3)
        manifest = _manifest(state, files, stage, db=db)
        (stage / "run.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        files.append(stage / "run.json")
    return RunResult(output_dir=final, manifest=manifest, files=[final / f.relative_to(stage) for f in files])


def _render_maps(state: _State, stage: Path) -> list[Path]:
    from geo.maps import choropleth

    files = []
    for spec in state.config.maps:
        areas = state.areas
        if spec.level == "prefecture":
            areas = prefecture_view(state)
        elif spec.level == "region":
            areas = state.layers["regions"]
        layers = [layer for name in spec.layers for layer in _map_layers(state, name)]
        m = choropleth(
            areas, spec.column, scheme=spec.scheme, k=spec.k, breaks=spec.breaks or None,
            layers=layers, title=spec.title or spec.column,
            unit=spec.unit or _derived_unit(state, spec.column), palette=spec.palette,
            attribution=_layer_credits(state, ["regions" if spec.level == "region" else "areas", *spec.layers]),
            legend_title=spec.legend or None,
            **({"page": spec.page, "orientation": spec.orientation, "margins_mm": spec.margins_mm} if spec.page else {}),
        )  # fmt: skip
        for fmt in spec.formats:
            path = stage / f"{spec.name or spec.column}.{fmt}"
            m.save(path)
            files.append(path)
    if state.service is not None and state.config.gaps is not None and state.config.gaps.maps:
        from geo.maps.service import grade_map, window_panels, window_switcher_html

        files.append(grade_map(state.service, stage / "service_grade.png", areas=state.areas))
        for d in state.service.definitions:
            files.append(window_panels(state.service, d.name, stage / f"gaps_{d.name}_windows.png", areas=state.areas))
            files.append(
                window_switcher_html(state.service, d.name, stage / f"gaps_{d.name}_windows.html", areas=state.areas)
            )
    return files


def _map_layers(state: _State, name: str) -> list[Any]:
    """The map layers a config name stands for; with siting, hubs and buffers show the chosen hubs only."""
    from dataclasses import replace

    from geo.maps import layer_for
    from geo.maps.layers import good_practice_layers

    if name == "labels":
        return [layer_for("labels", state.areas)]
    chosen = state.layers.get("chosen_hubs")
    if name == "hubs" and chosen is not None:
        from geo.hubs import NAME_COLUMNS

        label = next((c for c in NAME_COLUMNS if c in chosen.columns), None)  # the chosen sites are named
        return [replace(layer_for("hubs", chosen), name=f"選定した拠点（上位{len(chosen)}か所）", label_column=label)]
    if name == "buffers" and chosen is not None and "chosen_buffers" in state.layers:
        return [replace(layer_for("buffers", state.layers["chosen_buffers"]), name="選定した拠点の圏域")]
    data = {
        "hubs": state.points.get(state.config.hubs.candidates) if state.config.hubs else None,
        "buffers": state.layers.get("buffers"),
        "gaps": state.layers.get("gaps"),
        "regions": state.layers.get("regions"),
        "good_practices": state.layers.get("good_practices"),
    }[name]
    if data is None or data.empty:
        log.info("map layer %s is empty in this run; left off the map", name)
        return []
    if name == "good_practices":
        return good_practice_layers(data)
    return [layer_for(name, data)]


def _derived_unit(state: _State, column: str) -> str | None:
    return next((d.unit for d in state.config.derived if d.name == column and d.unit), None)


def _roles(state: _State, layer: str) -> list[str]:
    """The inputs (roles of ``state.inputs``) a layer was computed from."""
    config = state.config
    base = ["boundaries", *(f"indicators[{i}]" for i in range(len(config.indicators)))]
    gaps = (
        [] if not config.gaps else [f"points.{config.gaps.demand}", *(f"points.{s.layer}" for s in config.gaps.supply)]
    )
    if layer in ("areas", "regions"):
        return base + gaps
    if layer == "gaps":
        return ["boundaries", *gaps]
    if layer.startswith("points_"):
        return [f"points.{layer.removeprefix('points_')}"]
    if config.hubs and (layer in ("hubs", "buffers", "chosen_hubs", "chosen_buffers") or layer.startswith("uncovered")):
        demand = gaps if config.hubs.demand == "gaps" else [f"points.{config.hubs.demand}"]
        return ["boundaries", f"points.{config.hubs.candidates}", *demand]
    return ["boundaries"]


def _layer_credits(state: _State, layers: list[str]) -> tuple[str, ...]:
    """Every distinct credit line of the inputs behind ``layers``, the N03 boundaries first."""
    from geo.maps.style import ATTRIBUTION_N03

    credits = [ATTRIBUTION_N03]
    for role in (r for name in layers for r in _roles(state, name)):
        credit = state.inputs.get(role, {}).get("credit")
        if credit and credit not in credits:
            credits.append(credit)
    return tuple(credits)


def _layer_info(state: _State, names: list[str]) -> dict[str, Any]:
    from geo.store import LayerInfo

    units = {d.name: d.unit for d in state.config.derived if d.unit}
    units |= {"gap_share_pct": "%", "gap_population": "人", "demand_population": "人", "radius_m": "m"}
    titles = {m.column: m.legend or m.title for m in state.config.maps if m.legend or m.title}
    titles |= {"gap_share_pct": "交通空白人口の割合", "gap_population": "交通空白人口", "radius_m": "圏域の半径"}
    main = {"areas": state.config.maps[0].column if state.config.maps else "", "gaps": "dist_m",
            "buffers": "radius_m", "chosen_buffers": "radius_m"}  # fmt: skip
    return {name: LayerInfo(f"{state.config.run.title or state.config.run.name}: {name}",
                            _layer_credits(state, [name]), units, titles, main.get(name, ""))
            for name in names}  # fmt: skip


def _manifest(state: _State, files: list[Path], stage: Path, *, db: str | None) -> dict[str, Any]:
    config = state.config
    versions = {}
    for name in _VERSIONED:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "run": config.run.name,
        "title": config.run.title,
        "description": config.run.description,
        "config": {"path": str(config.path), "sha256": hashlib.sha256(config.text.encode()).hexdigest()},
        "parameters": _jsonable(asdict(config)),
        "inputs": state.inputs,
        "crs": {"at_rest": "EPSG:6668", **state.crs_used},
        "reports": _jsonable(state.reports),
        "analyses": _jsonable(state.analyses),
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
