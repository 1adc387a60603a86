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
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geo._errors import ValidationError
from geo.config import Derived, RunConfig, load_config, resolve_input

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
    all_areas: gpd.GeoDataFrame | None = None  # the boundary file unfiltered (what lies outside the area)
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

    with tqdm(total=total, disable=not enabled, unit="step", leave=False) as bar:

        def tick(name: str) -> None:
            bar.set_description(name)
            bar.update()

        yield tick


# ------------------------------------------------------------------------------------------------- load


def _load(state: _State) -> None:
    """Read boundaries, tables and point layers, and check every column the config names exists."""
    from geo.boundaries import read_boundaries
    from geo.codes import normalize_muni_code
    from geo.indicators import read_indicators
    from geo.mesh import read_mesh
    from geo.points import read_points

    config = state.config
    lines = _ConfigLines(config)
    area = config.area
    source = resolve_input(config, area.boundaries)
    if source is None:
        raise ValidationError(f"{lines.at('boundaries')}: {area.boundaries!r} is neither a file nor a pinned source")
    areas = read_boundaries(source, level=area.level, prefectures=area.prefectures or None)
    state.all_areas = read_boundaries(source, level=area.level) if area.prefectures else areas
    if area.municipalities:
        codes = {normalize_muni_code(m, pref=area.prefectures[0] if len(area.prefectures) == 1 else None)
                 for m in area.municipalities}  # fmt: skip
        areas = areas[areas["muni_code"].isin(codes)].reset_index(drop=True)
    state.areas = areas
    _record_input(state, "boundaries", source)
    problems: list[str] = []
    for i, spec in enumerate(config.indicators):
        path = resolve_input(config, spec.table)
        table = read_indicators(
            _fetched(path), code_column=spec.code_column or None, encoding=spec.encoding or None,
            sheet=spec.sheet or None,
        )  # fmt: skip
        _record_input(state, f"indicators[{i}]", path)
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
            layer = read_mesh(_fetched(path))
        else:
            layer = read_points(_fetched(path), lat=spec.lat or None, lon=spec.lon or None)
        _record_input(state, f"points.{spec.name}", path)
        state.points[spec.name] = layer
        if config.gaps and spec.name == config.gaps.demand and config.gaps.weight not in layer.columns:
            problems.append(f"{lines.at('gaps', 'weight')}: {config.gaps.weight!r} is not a column of {spec.path}")
        hubs = config.hubs
        if hubs and spec.name == hubs.demand and hubs.weight and hubs.weight not in layer.columns:
            problems.append(f"{lines.at('hubs', 'weight')}: {hubs.weight!r} is not a column of {spec.path}")
    available = {c for spec in config.indicators for c in spec.columns} | {d.name for d in config.derived}
    available |= {"gap_population", "gap_share", "gap_share_pct", "gap_cells", "demand_population", "demand_cells"}
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


def _record_input(state: _State, role: str, value: Path | str | None) -> None:
    path = _fetched(value)
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    entry: dict[str, Any] = {"path": str(path), "sha256": digest.hexdigest(), "bytes": path.stat().st_size}
    if isinstance(value, str):
        from geo.sources import get_source

        src = get_source(value)
        entry |= {"source": value, "url": src.url, "licence": src.licence, "credit": src.credit}
    state.inputs[role] = entry


def _derived_inputs(d: Derived) -> list[str]:
    return {"rate": [d.numerator, d.denominator], "change": [d.before, d.after], "density": [d.column],
            "sum": list(d.columns)}[d.kind]  # fmt: skip


# ---------------------------------------------------------------------------------------------- analyses


def _join(state: _State) -> None:
    from geo.indicators import join_indicators

    areas = state.areas
    for i, (spec, table) in enumerate(zip(state.config.indicators, state.tables, strict=True)):
        code = "muni_code" if "muni_code" in table.columns else "pref_code"
        if state.config.area.prefectures or state.config.area.municipalities:
            # rows of other prefectures are outside the run's area, not unmatched: count them, don't list them
            inside = table[code].str[:2].isin(areas["pref_code"].unique())
            state.reports[f"indicators[{i}].rows_outside_area"] = int((~inside & table[code].notna()).sum())
            table = table[inside | table[code].isna()]
        keep = [code, *(["source_row"] if "source_row" in table.columns else []), *spec.columns]
        areas, report = join_indicators(areas, table[keep])
        state.reports[f"indicators[{i}]"] = report.to_dict()
        log.info("join %s: %s", spec.table, report)
        state.base_columns += [c for c in spec.columns if c not in state.base_columns]
    state.areas = apply_derived(areas, state.config.derived)


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


_MESH_SNAP_M = 1000.0


def _near(layer: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, distance_m: float) -> pd.Series:
    """Rows of ``layer`` within ``distance_m`` of any area (measured in the areas' metric CRS)."""
    from geo.crs import to_metric

    metric_areas = to_metric(areas)
    outline = metric_areas.geometry.union_all(method="coverage")
    points = layer.geometry.representative_point().to_crs(metric_areas.crs)
    return pd.Series(points.dwithin(outline, distance_m).to_numpy(), index=layer.index)


def _assign(state: _State) -> None:
    from geo.points import assign_points

    for name, layer in state.points.items():
        spec = next(p for p in state.config.points if p.name == name)
        if layer.geom_type.isin(["Point"]).all():
            assigned = assign_points(layer, state.areas)
        else:  # mesh cells are placed by a point inside them, then keep their polygon
            placed = assign_points(gpd.GeoDataFrame(geometry=layer.representative_point(), crs=layer.crs), state.areas)
            assigned = layer.join(placed.drop(columns="geometry"))
        inside = assigned["muni_code"].notna()
        if spec.kind == "mesh":  # cells on a simplified coast: kept when within 1 km and in no other area
            elsewhere = assign_points(
                gpd.GeoDataFrame(geometry=assigned.representative_point(), crs=assigned.crs), state.all_areas
            )
            inside |= _near(assigned, state.areas, _MESH_SNAP_M) & elsewhere["muni_code"].isna().to_numpy()
        state.reports[f"points.{name}"] = {"rows": len(layer), "outside_area": int((~inside).sum())}
        if spec.filter_prefectures and (state.config.area.prefectures or state.config.area.municipalities):
            assigned = assigned[inside].reset_index(drop=True)
            if not inside.all():
                log.info("points %s: %d of %d outside the run's area, left out", name, int((~inside).sum()), len(layer))
        state.points_all[name] = layer
        state.points[name] = assigned
        state.layers[f"points_{name}"] = assigned


def _gaps(state: _State) -> None:
    from geo.gaps import find_gaps, gaps_by_area

    g = state.config.gaps
    assert g is not None
    demand = state.points[g.demand]
    # a station across the prefecture border still serves the residents: use the supply as read
    supply = {s.layer: state.points_all[s.layer] for s in g.supply}
    walk = {s.layer: s.walk_m for s in g.supply}
    prefs = state.areas["pref_code"].unique()
    pref = str(prefs[0]) if len(prefs) == 1 else None
    gaps = find_gaps(demand, supply, walk_m=walk, weight=g.weight, pref_code=pref)
    # cells on a simplified coast or border go to the nearest area within 1 km instead of being left out
    areas = gaps_by_area(gaps, demand, state.areas, weight=g.weight, snap_m=_MESH_SNAP_M)
    areas["gap_share_pct"] = areas["gap_share"] * 100
    state.areas = areas
    state.layers["gaps"] = gaps
    state.analyses["gaps"] = {**gaps.attrs["gaps"], "by_area": areas.attrs.get("gaps_by_area")}
    state.crs_used["gaps"] = gaps.attrs["gaps"]["crs_name"]


def _hubs(state: _State) -> None:
    from geo.hubs import buffer_hubs, choose_hubs, hub_coverage

    h = state.config.hubs
    assert h is not None
    hubs = state.points[h.candidates]
    demand = state.layers["gaps"] if h.demand == "gaps" else state.points[h.demand]
    weight = h.weight or None
    buffers = buffer_hubs(hubs, h.radii_m)
    state.layers["buffers"] = buffers
    state.crs_used["buffers"] = str(buffers.attrs.get("metric_crs", ""))
    summary = []
    for radius in h.radii_m:
        cov = hub_coverage(hubs, demand, radius_m=radius, weight=weight)
        summary.append({"radius_m": radius, "total": cov.total, "covered": cov.covered, "share": cov.share})
        tag = f"{int(radius)}m"
        state.tables_out[f"coverage_per_hub_{tag}"] = cov.per_hub
        if cov.per_area is not None:
            state.tables_out[f"coverage_per_area_{tag}"] = cov.per_area
        state.layers[f"uncovered_{tag}"] = cov.uncovered
    state.tables_out["coverage"] = pd.DataFrame(summary)
    state.analyses["hubs"] = {"radii_m": h.radii_m, "coverage": summary}
    if h.choose:
        chosen = choose_hubs(hubs, demand, k=h.choose, radius_m=max(h.radii_m), weight=weight, method=h.method)
        state.layers["chosen_hubs"] = chosen
        state.layers["chosen_buffers"] = buffer_hubs(chosen, h.radii_m)
        state.analyses["hubs"]["chosen"] = chosen.drop(columns="geometry").to_dict("records")


def _regions(state: _State) -> None:
    from geo.regions import dissolve_regions, read_regions

    r = state.config.regions
    assert r is not None
    frames = []
    for preset in r.presets:
        regions = read_regions(preset)
        sums = [c for c in state.base_columns if c in state.areas.columns]
        # missing="skip": e.g. the Northern Territories villages have boundaries but no statistics
        shapes = dissolve_regions(state.areas, regions, sum_columns=sums, missing="skip")
        frames.append(apply_derived(shapes, state.config.derived).assign(grouping=preset))
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
            write_layers({k: v for k, v in layers.items() if isinstance(v, gpd.GeoDataFrame)}, stage / "layers.gpkg")
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
            unit=spec.unit or None, palette=spec.palette, attribution=_credits(state),
            legend_title=spec.legend or None,
        )  # fmt: skip
        for fmt in spec.formats:
            path = stage / f"{spec.name or spec.column}.{fmt}"
            m.save(path)
            files.append(path)
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
        return [replace(layer_for("hubs", chosen), name=f"選定した拠点（上位{len(chosen)}か所）")]
    if name == "buffers" and chosen is not None:
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


def _credits(state: _State) -> str:
    from geo.maps.style import ATTRIBUTION_N03

    credits = [ATTRIBUTION_N03]
    for entry in state.inputs.values():
        credit = entry.get("credit")
        if credit and credit not in credits:
            credits.append(credit)
    return " / ".join(credits)


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


def validate(config_path: str | Path) -> RunConfig:
    """Load and validate a config (keys, types, files) without running it; see :func:`run`."""
    return load_config(config_path)
