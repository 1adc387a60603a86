"""Every config key changes what a step receives: no key can be validated and then ignored.

The test walks the config schema (the dataclasses of :mod:`geo.config`), and for every key runs a small real
config twice: as is, and with that one key changed. The arguments each analysis step, reader and writer
receives are recorded (frames by a hash of their content); the two recordings must differ. A key added to the
schema without an entry in ``VARIANTS`` fails the test, so the table cannot fall behind the schema.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import typing
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
import shapely

import geo
from geo.config import RunConfig

# key path (section.key; list sections by their first item) → a changed value that is still valid
VARIANTS: dict[str, Any] = {
    "run.name": "other-name",
    "run.title": "別の題",
    "run.output_dir": "elsewhere",
    "run.description": "説明",
    "area.boundaries": "n03-2021-s0001",
    "area.level": "designated_city",
    "area.prefectures": ["19", "20"],
    "area.municipalities": ["19201", "19202", "19204", "19205"],
    "area.credit": "自作境界",
    "indicators.table": "TABLE2",
    "indicators.columns": ["a", "b"],
    "indicators.code_column": "code",
    "indicators.encoding": "cp932",
    "indicators.sheet": "1",
    "indicators.aggregate_wards": True,
    "indicators.credit": "自作表",
    "indicators.as_of": "2015-01-01",
    "indicators.how": "inner",
    "indicators.boundaries_as_of": "2021-01-01",
    "indicators.intensive": ["c"],
    "indicators.weights": "WEIGHTS",
    "derived.name": "ratio2",
    "derived.kind": "sum",
    "derived.columns": ["a", "b"],
    "derived.numerator": "c",
    "derived.denominator": "a",
    "derived.before": "b",
    "derived.after": "c",
    "derived.column": "b",
    "derived.per": 1000.0,
    "derived.unit": "‰",
    "points.name": "pts2",
    "points.path": "MESH_POINTS2",
    "points.lat": "lat_c",
    "points.lon": "lon_c",
    "points.kind": "mesh",
    "points.filter_prefectures": False,
    "points.credit": "自作メッシュ",
    "points.mesh_level": "quarter",
    "points.mesh_overlaps": "finest",
    "gaps.demand": "stations",
    "gaps.weight": "households_2020",
    "gaps.definitions": ["handbook-rural"],
    "gaps.gtfs": ["gtfs-nakatsugawa"],
    "gaps.date": "2020-11-10",
    "gaps.windows": ["07-09"],
    "gaps.maps": False,
    "gaps.supply": ["stations", "pts"],
    "gaps.station_m": 500.0,
    "gaps.bus_m": 500.0,
    "gaps.snap_m": 0.0,
    "gaps.population_table": "TABLE",
    "gaps.population_column": "b",
    "hubs.candidates": "stations",
    "hubs.demand": "stations",
    "hubs.radii_m": [2000.0],
    "hubs.weight": "households_2020",
    "hubs.choose": 1,
    "hubs.method": "exact",
    "hubs.name_column": "mesh_code",
    "hubs.fixed": ["52386339"],
    "hubs.capacity": "households_2020",
    "hubs.access": ["2sfca"],
    "hubs.cost_matrix": "OD",
    "hubs.population_table": "TABLE",
    "hubs.population_column": "b",
    "hubs.target_share": 0.5,
    "hubs.choose_radius_m": 2000.0,
    "hubs.proxy_table": "MESH",
    "hubs.proxy_column": "households_2020",
    "hubs.snap_m": 0.0,
    "hubs.cost_hubs": "destination",
    "regions.presets": ["REGIONS2"],
    "regions.sum_columns": ["a", "b"],
    "regions.rates": {"r": "a/b*100"},
    "regions.means": {"m": "a@b"},
    "regions.missing": "skip",
    "good_practices": True,
    "maps.column": "b",
    "maps.name": "named",
    "maps.title": "題",
    "maps.scheme": "equal_interval",
    "maps.k": 3,
    "maps.breaks": [1.0, 2.0],
    "maps.unit": "人",
    "maps.legend": "凡例",
    "maps.palette": "Blues",
    "maps.layers": ["gaps", "buffers"],
    "maps.level": "prefecture",
    "maps.formats": ["png"],
    "maps.page": "A4",
    "maps.orientation": "landscape",
    "maps.margins_mm": 15.0,
    "maps.midpoint": 2.0,
    "maps.labels": True,
    "maps.tiles": "gsi_pale",
    "maps.dpi": 100,
    "maps.classes_with": ["b"],
    "scenarios.name": "other-scenario",
    "scenarios.remove_routes": ["40"],
    "scenarios.remove_stops": ["落合事務所"],
    "scenarios.demand_scale": 0.5,
    "scenarios.add_zones": "ZONES",
    "scenarios.add_stops": "STOPS",
    "scenarios.projection": "ipss2018",
    "scenarios.projection_year": 2040,
    "scenarios.projection_base_year": 2015,
    "outputs.gpkg": True,
    "outputs.csv": True,
    "outputs.parquet": True,
    "outputs.db": "postgresql://nobody@127.0.0.1:9/none",
    # remedies (issue 22): the base has [remedies] add_stops = STOPS (see REMEDY_KEYS)
    "remedies.choose": 1,
    "remedies.objective_definitions": ["plateau-toshi-kozo"],
    "remedies.objective_windows": ["07-09"],
    "remedies.curve": 1,
    "remedies.add_stops": "STOPS2",
    "remedies.add_zones": "ZONES",
    "remedies.add_routes": "ROUTES",
    "hubs.curve": 2,
}
# [report] (the カルテ): each key changes the parameters write_karte receives, on one municipality (fast)
VARIANTS |= {
    "report.municipalities": ["19202"],
    "report.prefectures": ["19"],
    "report.rank_by": "population",
    "report.formats": ["html"],
    "report.nearby_km": 50.0,
}
# keys whose variant needs other keys changed with it to stay a valid config
COMPANIONS: dict[str, dict[str, Any]] = {
    "indicators.sheet": {"indicators.table": "TABLE.xlsx"},
    "indicators.encoding": {"indicators.table": "TABLE_CP932"},
    "indicators.code_column": {"indicators.table": "TABLE_CODE"},
    "indicators.table": {},
    "points.name": {"hubs.candidates": "pts2"},
    "points.kind": {"hubs.candidates": "stations"},
    "hubs.fixed": {"hubs.choose": 1, "hubs.name_column": "mesh_code"},
    "hubs.capacity": {"hubs.choose": 1, "hubs.method": "exact"},
    "hubs.population_table": {"hubs.demand": "grid", "hubs.population_column": "a", "hubs.weight": ""},
    "hubs.population_column": {
        "hubs.demand": "grid",
        "hubs.population_table": "TABLE",
        "hubs.weight": "",
    },  # kind "mesh": read as cells by read_mesh, no longer hub points
    "scenarios.projection": {"scenarios.projection_year": 2040},
    "derived.name": {"maps.column": "ratio2"},
    "gaps.demand": {"gaps.weight": ""},
    "derived.kind": {"derived.columns": ["a", "b"]},
    "derived.columns": {"derived.kind": "sum"},
    "derived.before": {"derived.kind": "change", "derived.after": "a"},
    "derived.after": {"derived.kind": "change", "derived.before": "a"},
    "derived.column": {"derived.kind": "density"},
    "area.municipalities": {"area.prefectures": ["19"]},
    "area.level": {},
    "indicators.boundaries_as_of": {"indicators.as_of": "2015-01-01"},
    "indicators.intensive": {"indicators.as_of": "2015-01-01"},
    "indicators.weights": {"indicators.as_of": "2015-01-01"},
    "gaps.supply": {"points.kind": "bus"},
    "gaps.bus_m": {"gaps.supply": ["stations", "pts"], "points.kind": "bus"},
    "gaps.population_table": {"gaps.demand": "grid", "gaps.population_column": "a", "gaps.weight": ""},
    "gaps.population_column": {"gaps.demand": "grid", "gaps.population_table": "TABLE", "gaps.weight": ""},
    "hubs.target_share": {"hubs.method": "greedy"},
    "hubs.choose_radius_m": {"hubs.choose": 1},
    "hubs.proxy_table": {
        "hubs.demand": "grid",
        "hubs.population_table": "TABLE",
        "hubs.population_column": "a",
        "hubs.proxy_column": "households_2020",
        "hubs.weight": "",
    },
    "hubs.proxy_column": {
        "hubs.demand": "grid",
        "hubs.population_table": "TABLE",
        "hubs.population_column": "a",
        "hubs.proxy_table": "MESH",
        "hubs.weight": "",
    },
    "maps.midpoint": {"maps.palette": "RdBu"},
    "gaps.definitions": {},
    "gaps.gtfs": {"gaps.definitions": ["handbook-rural"]},
    "gaps.date": {"gaps.definitions": ["handbook-rural"]},
    "gaps.windows": {"gaps.definitions": ["handbook-rural"]},
    "gaps.maps": {"gaps.definitions": ["handbook-rural"]},
    "maps.breaks": {"maps.scheme": "user_defined"},
    "maps.orientation": {"maps.page": "A4"},
    "maps.margins_mm": {"maps.page": "A4"},
    "maps.level": {},
    "hubs.demand": {},
    # candidates and demand are the same points here: the table's direction is ambiguous and must be told
    "hubs.cost_matrix": {"hubs.cost_hubs": "origin"},
    "hubs.cost_hubs": {"hubs.cost_matrix": "OD"},
}


def schema_keys(cls: type = RunConfig, prefix: str = "") -> list[str]:
    """Every key of the config schema as 'section.key' (list sections by their item type)."""
    keys = []
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if cls is RunConfig and f.name in ("path", "text"):
            continue
        hint = hints[f.name]
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        inner = typing.get_args(args[0])[0] if args and typing.get_origin(args[0]) is list else None
        target = (
            hint if dataclasses.is_dataclass(hint) else args[0] if args and dataclasses.is_dataclass(args[0]) else inner
        )
        if target is not None and dataclasses.is_dataclass(target):
            keys += schema_keys(target, f"{f.name}.")
        else:
            keys.append(prefix + f.name)
    return keys


def test_every_schema_key_has_a_variant() -> None:
    assert set(schema_keys()) == set(VARIANTS), "add the new key to VARIANTS (and prove a step reads it)"


# ------------------------------------------------------------------------------------------ the recorder


def digest(value: Any) -> Any:
    if isinstance(value, gpd.GeoDataFrame):
        geoms = hashlib.sha256(shapely.to_wkb(value.geometry.to_numpy()).astype(bytes).tobytes()).hexdigest()
        return [
            "gdf",
            list(map(str, value.columns)),
            len(value),
            digest(pd.DataFrame(value.drop(columns=value.geometry.name))),
            geoms,
        ]
    if isinstance(value, pd.DataFrame):
        return [
            "df",
            list(map(str, value.columns)),
            int(pd.util.hash_pandas_object(value.astype(str), index=False).sum() % 2**61),
        ]
    if isinstance(value, pd.Series):
        return ["s", int(pd.util.hash_pandas_object(value.astype(str), index=False).sum() % 2**61)]
    if isinstance(value, dict):
        return {str(k): digest(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [digest(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return digest({f.name: getattr(value, f.name) for f in dataclasses.fields(value)})
    if isinstance(value, Path):
        return value.name
    if hasattr(value, "spec"):  # a ChoroplethMap
        return digest(value.spec)
    return repr(value)


# (module the caller looks the name up in, name): what the analyses hand the domain, the readers and the writer
RECORDED = [
    ("geo.analyses.base", "select_areas"), ("geo.analyses.base", "place"), ("geo.analyses.base", "grid_demand"),
    ("geo.analyses.join_analysis", "read_indicators"), ("geo.analyses.join_analysis", "aggregate_wards"),
    ("geo.analyses.join_analysis", "join_indicators"), ("geo.analyses.join_analysis", "derive"), ("geo.analyses.join_analysis", "read_regions"),
    ("geo.analyses.join_analysis", "dissolve_regions"), ("geo.analyses.gap_analysis", "find_in_memory"),
    ("geo.analyses.gap_analysis", "service_gaps"), ("geo.analyses.gap_analysis", "grade_map"), ("geo.analyses.hub_analysis", "place"),
    ("geo.analyses.hub_analysis", "coverage_in_memory"), ("geo.analyses.hub_analysis", "choose_hubs"),
    ("geo.analyses.hub_analysis", "buffer_hubs"), ("geo.analyses.hub_analysis", "read_cost_matrix"),
    ("geo.analyses.hub_analysis", "access_2sfca"), ("geo.pipeline", "read_points"), ("geo.pipeline", "read_mesh"),
    ("geo.pipeline", "read_table"), ("geo.pipeline", "read_weights"), ("geo.pipeline", "derive"),
    ("geo.pipeline", "place"), ("geo.pipeline", "read_good_practices"), ("geo.maps.choropleth", "choropleth"),
    ("geo.maps.choropleth.ChoroplethMap", "save"), ("geo.pipeline", "write_outputs"), ("geo.store", "write_layers"),
    ("geo.store", "write_csv"), ("geo.pipeline", "staging_dir"), ("geo.pipeline", "_manifest"),
    ("geo.analyses.scenario_analysis", "service_gaps"), ("geo.analyses.scenario_analysis", "without_service"),
    ("geo.analyses.remedy_analysis", "read_remedies"), ("geo.analyses.remedy_analysis", "choose_remedies"),
    ("geo.analyses.remedy_analysis", "coverage_curve"),
]  # fmt: skip
RECORDED.append(("geo.pipeline", "write_karte"))


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch):
    import importlib

    calls: list[Any] = []
    cache: dict[str, Any] = {}
    for module_name, attr in RECORDED:
        owner_name, _, cls_name = (
            module_name.rpartition(".") if module_name.endswith("ChoroplethMap") else (module_name, "", "")
        )
        owner = (
            getattr(importlib.import_module(owner_name), cls_name) if cls_name else importlib.import_module(module_name)
        )
        original = getattr(owner, attr)

        def wrapper(*args, __name=f"{module_name}.{attr}", __original=original, **kwargs):
            calls.append(
                [__name, digest([a for a in args if not hasattr(a, "spec") or __name.endswith("save")]), digest(kwargs)]
            )
            if __name.endswith("write_layers") and str(args[1]).startswith("postgresql://"):
                return args[1]  # no database here: what it would receive is recorded
            if __name.endswith("service_gaps") and "service" in cache:
                return cache["service"]  # the timetable analysis is proved in test_service_gaps; reuse the base run's
            result = __original(*args, **kwargs)
            if __name.endswith("service_gaps"):
                cache["service"] = result
            return result

        monkeypatch.setattr(owner, attr, wrapper)
    return calls


# ------------------------------------------------------------------------------------------ the configs


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> dict[str, str]:
    root = tmp_path_factory.mktemp("coverage")
    areas = geo.read_boundaries("n03-2021-s0010", prefectures=["19", "20", "27"])
    codes = areas["muni_code"].dropna().tolist()
    table = pd.DataFrame({"muni_code": codes, "a": range(1, len(codes) + 1), "b": range(2, len(codes) + 2),
                          "c": range(3, len(codes) + 3)})  # fmt: skip
    table.to_csv(root / "table.csv", index=False)
    (table.assign(b=table["b"] * 2)).to_csv(root / "table2.csv", index=False)
    table.rename(columns={"muni_code": "code"}).to_csv(root / "table_code.csv", index=False)
    table.to_csv(root / "table_cp932.csv", index=False, encoding="cp932")
    with pd.ExcelWriter(root / "table.xlsx") as xl:
        table.to_excel(xl, sheet_name="first", index=False)
        table.assign(a=table["a"] * 3).to_excel(xl, sheet_name="second", index=False)
    pd.DataFrame({"region": ["国中", "国中", "郡内"], "member": ["19201", "19202", "19204"]}).to_csv(
        root / "regions.csv", index=False
    )
    pd.DataFrame({"region": ["国中", "郡内", "郡内"], "member": ["19201", "19202", "19204"]}).to_csv(
        root / "regions2.csv", index=False
    )
    mesh = pd.read_csv(shared_data / "estat-mesh1km-census-yamanashi/yamanashi_mesh1km_2020.csv", dtype=str).iloc[::40]
    mesh.to_csv(root / "mesh.csv", index=False)
    mesh.iloc[::2].to_csv(root / "mesh2.csv", index=False)
    points = mesh[["mesh_code", "pop_2020", "households_2020", "lat_center", "lon_center"]]
    points = points.assign(lat_c=points["lat_center"], lon_c=points["lon_center"])
    points.to_csv(root / "mesh_points.csv", index=False)
    points.iloc[::2].to_csv(root / "mesh_points2.csv", index=False)
    od = [
        (h, d, abs(i - j) * 100.0) for i, h in enumerate(points["mesh_code"]) for j, d in enumerate(mesh["mesh_code"])
    ]
    pd.DataFrame(od, columns=["origin", "destination", "minutes"]).to_csv(root / "od.csv", index=False)
    pd.DataFrame({"from_code": ["19201"], "to_code": ["19201"], "weight": [1.0]}).to_csv(
        root / "weights.csv", index=False
    )
    zone = gpd.GeoDataFrame({"name": ["z"], "start": ["08:00"], "end": ["18:00"], "days": ["平日"]},
                            geometry=[shapely.box(138.4, 35.5, 138.7, 35.8)], crs=6668)  # fmt: skip
    zone.to_file(root / "zones.geojson", driver="GeoJSON")
    stop = gpd.GeoDataFrame({"name": ["s"], "headway_min": [30], "start": ["07:00"], "end": ["19:00"]},
                            geometry=[shapely.Point(138.57, 35.66)], crs=6668)  # fmt: skip
    stop.to_file(root / "stops.geojson", driver="GeoJSON")
    stop.assign(name="s2", headway_min=60).to_file(root / "stops2.geojson", driver="GeoJSON")
    pd.DataFrame({"name": ["r"], "route_id": ["20"], "dep_19-22": [2]}).to_csv(root / "routes.csv", index=False)
    return {"TABLE": str(root / "table.csv"), "TABLE2": str(root / "table2.csv"), "TABLE_CODE": str(root / "table_code.csv"),
            "TABLE_CP932": str(root / "table_cp932.csv"), "TABLE.xlsx": str(root / "table.xlsx"), "MESH": str(root / "mesh.csv"),
            "MESH2": str(root / "mesh2.csv"), "MESH_POINTS": str(root / "mesh_points.csv"),
            "MESH_POINTS2": str(root / "mesh_points2.csv"), "OD": str(root / "od.csv"),
            "REGIONS": str(root / "regions.csv"), "REGIONS2": str(root / "regions2.csv"),
            "WEIGHTS": str(root / "weights.csv"), "ZONES": str(root / "zones.geojson"),
            "STOPS": str(root / "stops.geojson"), "STOPS2": str(root / "stops2.geojson"),
            "ROUTES": str(root / "routes.csv")}  # fmt: skip


def base_config(files: dict[str, str]) -> dict[str, Any]:
    return {
        "run": {"name": "coverage", "title": "題", "output_dir": "out", "description": ""},
        "area": {"boundaries": "n03-2021-s0010", "level": "municipality", "prefectures": ["19"]},
        "indicators": [{"table": files["TABLE"], "columns": ["a", "b", "c"]}],
        "derived": [{"name": "ratio", "kind": "rate", "numerator": "a", "denominator": "b", "per": 100.0}],
        "points": [
            {"name": "pts", "path": files["MESH_POINTS"], "kind": "demand", "lat": "lat_center", "lon": "lon_center"},
            {"name": "mesh", "path": files["MESH"], "kind": "mesh"},
            {"name": "stations", "path": "stations-n02-2023-points", "kind": "station"},
        ],
        "gaps": {"demand": "mesh", "supply": ["stations"]},
        "hubs": {"candidates": "pts", "demand": "mesh", "radii_m": [1000.0], "weight": "pop_2020"},
        "regions": {"presets": [files["REGIONS"]]},
        "good_practices": False,  # the slow parts are off in the base and switched on by their variant
        "maps": [{"column": "ratio", "formats": ["html"], "layers": ["hubs"]}],
        "outputs": {"gpkg": False, "csv": False},
    }


def vary(config: dict[str, Any], key: str, value: Any, files: dict[str, str]) -> dict[str, Any]:
    out = copy.deepcopy(config)
    for k, v in {key: value, **COMPANIONS.get(key, {})}.items():
        section, _, name = k.partition(".")
        v = files.get(v, v) if isinstance(v, str) else [files.get(x, x) for x in v] if isinstance(v, list) else v
        if not name:
            out[section] = v
        elif isinstance(out.get(section), list):
            item = 1 if k in ("points.mesh_level", "points.mesh_overlaps") else 0  # the [[points]] mesh layer
            out[section][item][name] = v
        else:
            out.setdefault(section, {})[name] = v
    if key.startswith("gaps.") and out["gaps"].get("definitions"):
        out["gaps"].setdefault("gtfs", ["gtfs-nakatsugawa"])
        if key != "gaps.date":
            out["gaps"]["date"] = "2020-11-12"
    if key == "gaps.demand" or key == "hubs.demand":
        out["hubs"]["weight"] = ""
    if key == "gaps.weight":
        out["hubs"]["weight"] = "households_2020"
    if key in ("maps.level", "area.level"):
        out["maps"][0]["layers"] = []
    return out


def toml(config: dict[str, Any]) -> str:
    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return repr(v)
        if isinstance(v, str):
            return json.dumps(v, ensure_ascii=False)
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{ " + ", ".join(f"{json.dumps(k)} = {value(x)}" for k, x in v.items()) + " }"
        raise TypeError(v)

    lines = []
    for section, body in config.items():
        if isinstance(body, dict):
            lines.append(f"[{section}]")
            lines += [f"{k} = {value(v)}" for k, v in body.items()]
        elif isinstance(body, list):
            for item in body:
                lines.append(f"[[{section}]]")
                lines += [f"{k} = {value(v)}" for k, v in item.items()]
        else:
            lines.insert(0, f"{section} = {value(body)}")
    return "\n".join(lines) + "\n"


def recording(config: dict[str, Any], path: Path, calls: list[Any]) -> list[Any]:
    calls.clear()
    path.write_text(toml(config), encoding="utf-8")
    geo.run(path, progress=False)
    return json.loads(json.dumps(calls, default=str))


SCENARIO_KEYS = {"scenarios.name", "scenarios.remove_routes", "scenarios.remove_stops", "scenarios.demand_scale",
                 "scenarios.add_zones", "scenarios.add_stops", "scenarios.projection", "scenarios.projection_year",
                 "scenarios.projection_base_year"}  # fmt: skip
# the scenario a key's base run holds (a projection already there, so only the one key changes)
SCENARIO_BASES = {"scenarios.projection_year": {"projection": "ipss2018", "projection_year": 2030},
                  "scenarios.projection_base_year": {"projection": "ipss2018", "projection_year": 2040}}  # fmt: skip
REMEDY_KEYS = {k for k in VARIANTS if k.startswith("remedies.")}
TIMETABLE = {"gaps.definitions", "gaps.gtfs", "gaps.date", "gaps.windows", "gaps.maps", *SCENARIO_KEYS, *REMEDY_KEYS}
# the sections a key's run needs (fewer sections, faster runs); the others are left out of both runs
NEEDS = {"points": {"points", "hubs"}, "gaps": {"points", "gaps"}, "scenarios": {"points", "gaps", "scenarios"},
         "hubs": {"points", "hubs"}, "regions": {"regions"}, "remedies": {"points", "gaps", "remedies"}}  # fmt: skip
OPTIONAL = {"points", "gaps", "hubs", "regions", "scenarios", "remedies"}
_BASES: dict[tuple, list[Any]] = {}


def trim(config: dict[str, Any], key: str) -> dict[str, Any]:
    needed = NEEDS.get(key.partition(".")[0], set())
    out = {k: v for k, v in config.items() if k not in OPTIONAL or k in needed}
    if "hubs" not in out:
        out["maps"] = [{**m, "layers": [x for x in m["layers"] if x not in ("hubs", "buffers")]} for m in out["maps"]]
    if "gaps" not in out:
        out["maps"] = [{**m, "layers": [x for x in m["layers"] if x != "gaps"]} for m in out["maps"]]
    return out


@pytest.mark.parametrize("key", sorted(VARIANTS))
def test_key_changes_what_a_step_receives(key: str, files, recorder, tmp_path: Path) -> None:
    timetable = key in TIMETABLE
    base = base_config(files)
    if timetable:
        base = vary(base, "gaps.definitions", ["plateau-toshi-kozo"], files)
    if key in SCENARIO_KEYS:  # a scenario that changes nothing, then the one key changed
        base["scenarios"] = [{"name": "unchanged", **SCENARIO_BASES.get(key, {})}]
    if key in REMEDY_KEYS:  # one candidate stop, then the one key changed
        base["remedies"] = {"add_stops": files["STOPS"]}
    if key.startswith("report."):
        base = with_report(base, key)
    changed = vary(base, key, VARIANTS[key], files)
    if key != "maps.layers":  # map layers need the analyses that make them
        changed, base = trim(changed, key), trim(base, key)
    assert changed != base
    tag = (timetable, tuple(sorted(base)), json.dumps(base.get("scenarios"), ensure_ascii=False))
    if tag not in _BASES:
        _BASES[tag] = recording(base, tmp_path / "base.toml", recorder)
    after = recording(changed, tmp_path / "changed.toml", recorder)
    assert after != _BASES[tag], f"{key} = {VARIANTS[key]!r} changed nothing any step received"


def with_report(config: dict[str, Any], key: str) -> dict[str, Any]:
    """The base with a [report] of one municipality (JSON only when a key makes it 27), and the CSV/GPKG it reads."""
    out = {**config, "outputs": {"gpkg": True, "csv": True}}
    out["report"] = (
        {"formats": []} if key == "report.prefectures" else {"municipalities": ["19201"], "formats": ["pdf"]}
    )
    return out
