"""The run configuration: one TOML file that describes a whole analysis, validated before any work starts.

A config has a fixed set of sections and keys (:class:`RunConfig`); an unknown key, a wrong type, a missing
file or a bad value is reported with the config line it is on, all problems at once, in one
:class:`~geo.ValidationError`. Paths are relative to the config file; a value that is not a path may name a
pinned source (``geo sources list``).

Example
-------
.. code-block:: toml

    [run]
    name = "yamanashi"
    title = "山梨県 交通空白と拠点カバー"

    [area]
    boundaries = "n03-2021-s0010"
    level = "municipality"
    prefectures = ["山梨県"]

    [[indicators]]
    table = "ssdse-a"
    columns = ["pop_2020", "pop_65plus_2020"]

    [[maps]]
    column = "pop_2020"
    formats = ["html", "png"]
"""

from __future__ import annotations

import collections.abc
import dataclasses
import re
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from geo._errors import ValidationError
from geo._tables import decode
from geo.codes import as_date
from geo.gap_definitions import read_gap_definition
from geo.params import (
    AreaParams,
    GapsParams,
    HubsParams,
    JoinParams,
    MapParams,
    Measure,
    RegionsParams,
    RemedyParams,
    ReportParams,
    ScenarioParams,
)
from geo.sources import list_sources
from geo.store import check_output_dir
from geo.timetable import parse_windows

# ---------------------------------------------------------------------------------------------- sections


@dataclass(frozen=True)
class RunSection:
    name: str = field(
        metadata={
            "help": "Name of the run: the output folder under output_dir (letters, digits, '-', '_', '.').",
            "example": "yamanashi",
        }
    )
    title: str = field(
        default="",
        metadata={"help": "Title shown on the index page and in run.json.", "example": "山梨県 交通空白と拠点カバー"},
    )
    output_dir: str = field(
        default="outputs",
        metadata={
            "help": "Folder (relative to the config file) that receives <name>/ with every output.",
            "example": "outputs",
        },
    )
    description: str = field(
        default="",
        metadata={
            "help": "Longer description, kept in run.json.",
            "example": "2020年国勢調査による人口増減率と高齢化率",
        },
    )


def key(default: Any = dataclasses.MISSING, *, help: str, example: Any = None) -> Any:
    """A config key that names an input (a file, a pinned source or a ``[[points]]`` layer): the inputs are
    where the doors differ (files on the command line, layer names here); every other key is a parameter of
    the question (:mod:`geo.params`) and reads the same everywhere."""
    meta = {"help": help, "example": example, "input": True}
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True, kw_only=True)
class AreaSection(AreaParams):
    boundaries: str = key(
        "n03-2021-s0010", help="N03 boundaries: a pinned source name (geo sources list) or a file/folder.",
        example="n03-2021-s0010",
    )  # fmt: skip
    credit: str = key("", help="Credit line printed on maps for a boundary file that is not a pinned source.",
                      example="出典：〇〇市 町丁目境界（2024）")  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class IndicatorTable(JoinParams):
    table: str = key(
        help="Statistics table joined onto the areas by code: a pinned source name or a CSV/TSV/Excel file.",
        example="ssdse-a",
    )  # fmt: skip
    weights: str = key("", help="With as_of: CSV apportioning split codes (see geo codes convert --help).",
                       example="split_weights.csv")  # fmt: skip
    credit: str = key("", help="Credit line printed on maps for a user table (pinned sources carry their own).",
                      example="出典：〇〇市 統計書（2023）を加工して作成")  # fmt: skip


Derived = Measure
"""A ``[[derived]]`` entry is a :class:`geo.params.Measure`: computed by the one implementation at every level."""


@dataclass(frozen=True, kw_only=True)
class PointLayer:
    name: str = key(help="Name other sections use for this layer ([gaps] supply, [hubs] candidates).",
                    example="stations")  # fmt: skip
    path: str = key(
        help="Point file (CSV, GeoJSON, GeoPackage, GTFS zip, e-Stat mesh) or a pinned source name.",
        example="stations-n02-2023-points",
    )  # fmt: skip
    lat: str = key("", help="Latitude column; empty: detected (lat, latitude, 緯度…).", example="緯度")
    lon: str = key("", help="Longitude column; empty: detected (lon, longitude, 経度…).", example="経度")
    kind: Literal["station", "bus", "candidate", "demand", "mesh", "other"] = key(
        "other", help="What the points are: station and bus layers serve [gaps]; mesh: JIS X 0410 cells read as "
        "polygons with their population.", example="station",
    )  # fmt: skip
    filter_prefectures: bool = key(
        True, help="Keep only the points in the run's areas (placed with the one border rule; those outside are "
        "counted in run.json).", example=True,
    )  # fmt: skip
    credit: str = key("", help="Credit line printed on maps for a user point file (pinned sources carry their own).",
                      example="出典：〇〇バス 停留所一覧（2024）")  # fmt: skip
    mesh_level: Literal["", "quarter", "100m"] = key(
        "", help="kind=mesh: what 10-digit codes are (quarter = 250 m, 100m); needed when ambiguous.",
        example="quarter",
    )  # fmt: skip
    mesh_overlaps: Literal["raise", "finest"] = key(
        "raise", help="kind=mesh: a cell listed with its own children: refuse, or keep the finest cells.",
        example="finest",
    )  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class GapsSection(GapsParams):
    demand: str = key(
        help="The [[points]] layer of demand (usually the population mesh), or 'grid': the 1 km mesh cells "
        "covering the areas (unweighted, or population_table spread over them).", example="mesh",
    )  # fmt: skip
    supply: list[str] = key(
        [], help="[[points]] layers that serve demand, of kind 'station' or 'bus' (walking distances station_m, "
        "bus_m; with definitions, each definition's).", example=["stations"],
    )  # fmt: skip
    gtfs: list[str] = key([], help="Timetable gaps: GTFS feeds, paths or pinned sources.",
                          example=["gtfs-nakatsugawa"])  # fmt: skip
    population_table: str = key(
        "", help="demand = 'grid': municipal population table spread over the 1 km grid by area.",
        example="census2020-wards",
    )  # fmt: skip

    @property
    def timetable(self) -> bool:
        return bool(super().timetable or self.gtfs)


@dataclass(frozen=True, kw_only=True)
class ScenarioSection(ScenarioParams):
    add_zones: str = key(
        "", help="On-demand (デマンド交通) service areas: a polygon file with name, start, end (HH:MM) and days "
        "(平日/土曜/日祝); everyone inside a zone is served in the windows its hours overlap.",
        example="demand_zones.geojson",
    )  # fmt: skip
    add_stops: str = key(
        "", help="New stops: a point file with name and departures per window (dep_07-09 …) or headway_min with "
        "start and end (HH:MM); optional mode (bus/station) and days.", example="new_stops.geojson",
    )  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class HubsSection(HubsParams):
    candidates: str = key(help="The [[points]] layer of candidate hub sites.", example="stations")
    demand: str = key(
        help="The [[points]] layer of demand, 'gaps' for the gap cells, or 'grid' (population_table spread over "
        "the 1 km grid).", example="mesh",
    )  # fmt: skip
    cost_matrix: str = key(
        "", help="Origin-destination CSV (origin id, destination id, cost); radii are then in its unit.",
        example="od_minutes.csv",
    )  # fmt: skip
    population_table: str = key(
        "", help="demand = 'grid': municipal population table spread over the 1 km grid by area.",
        example="census2020-wards",
    )  # fmt: skip
    proxy_table: str = key(
        "", help="demand = 'grid': mesh table whose proxy_column guides the spreading (dasymetric).",
        example="mesh1km-2015.csv",
    )  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class RegionsSection(RegionsParams):
    presets: list[str] = key(help="Region groupings to dissolve the areas into (geo regions list) or files.",
                             example=["kouiki-chihou-keikaku"])  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class MapSpec(MapParams):
    column: str = field(metadata={"help": "Column drawn as the choropleth (required here).", "example": "ageing_rate"})
    name: str = key("", help="File name of the map (without extension); default: the column.", example="muni_ageing")
    layers: list[str] = key(
        [], help="Extra layers drawn on top: gaps, hubs, buffers, regions, good_practices, labels.", example=["gaps"]
    )
    level: Literal["", "municipality", "designated_city", "prefecture", "region"] = key(
        "", help="Draw at this level (prefecture, region: counts summed, rates recomputed); empty: the run's level.",
        example="prefecture",
    )  # fmt: skip
    formats: list[Literal["html", "png", "svg", "pdf"]] = key(
        ["html", "png"], help="Files written: interactive html, static png/svg/pdf.", example=["html", "png"]
    )


@dataclass(frozen=True, kw_only=True)
class RemedySection(RemedyParams):
    add_stops: str = key(
        "", help="Candidate new stops: a point file with name (or remedy: rows of one remedy) and departures per "
        "window (dep_07-09 …) or headway_min with start and end (HH:MM); optional mode and days.",
        example="remedy_stops.geojson",
    )  # fmt: skip
    add_zones: str = key(
        "", help="Candidate on-demand (デマンド交通) zones: a polygon file with name, start, end (HH:MM) and days "
        "(平日/土曜/日祝).", example="remedy_zones.geojson",
    )  # fmt: skip
    add_routes: str = key(
        "", help="Candidate added frequency: a CSV with name, route_id (GTFS of [gaps]) and extra departures per "
        "window (dep_19-22 …) or headway_min with start and end, added at every stop of the route.",
        example="remedy_routes.csv",
    )  # fmt: skip


@dataclass(frozen=True)
class OutputsSection:
    gpkg: bool = field(default=True, metadata={"help": "Write every layer into layers.gpkg.", "example": True})
    csv: bool = field(
        default=True, metadata={"help": "Write every table as CSV (UTF-8 with BOM, for Excel).", "example": True}
    )
    parquet: bool = field(
        default=False,
        metadata={"help": "Also write every spatial layer as GeoParquet into <output>/parquet/.", "example": True},
    )
    db: str = field(
        default="",
        metadata={
            "help": "Also write the layers to this PostGIS database URL.",
            "example": "postgresql://geo@localhost/geo",
        },
    )


@dataclass(frozen=True, kw_only=True)
class ReportSection(ReportParams):
    """[report]: the municipal カルテ; every key is a parameter (:class:`geo.params.ReportParams`)."""


@dataclass(frozen=True)
class RunConfig:
    run: RunSection = field(metadata={"help": "[run]: the run's name, title and output folder (required)."})
    area: AreaSection = field(
        default_factory=AreaSection, metadata={"help": "[area]: the boundaries and the part of Japan analysed."}
    )
    indicators: list[IndicatorTable] = field(
        default_factory=list, metadata={"help": "[[indicators]]: statistics tables joined onto the areas."}
    )
    derived: list[Derived] = field(
        default_factory=list,
        metadata={"help": "[[derived]]: columns computed from others (rates, changes, densities, sums)."},
    )
    points: list[PointLayer] = field(
        default_factory=list, metadata={"help": "[[points]]: point layers (stations, bus stops, candidates, mesh)."}
    )
    gaps: GapsSection | None = field(
        default=None, metadata={"help": "[gaps]: transport-gap analysis (demand beyond walking distance)."}
    )
    scenarios: list[ScenarioSection] = field(
        default_factory=list,
        metadata={"help": "[[scenarios]]: named changes to the baseline's supply and demand, each evaluated like "
                  "[gaps], by timetable and by walking distance (scenarios.csv)."},
    )  # fmt: skip
    hubs: HubsSection | None = field(default=None, metadata={"help": "[hubs]: hub coverage and siting."})
    regions: RegionsSection | None = field(
        default=None, metadata={"help": "[regions]: wide-area regions dissolved from the areas."}
    )
    good_practices: bool = field(
        default=False,
        metadata={"help": "Add the policy document's good-practice places as a map layer.", "example": True},
    )
    maps: list[MapSpec] = field(default_factory=list, metadata={"help": "[[maps]]: one choropleth map per entry."})
    outputs: OutputsSection = field(
        default_factory=OutputsSection, metadata={"help": "[outputs]: which files (and database) receive the results."}
    )
    remedies: RemedySection | None = field(
        default=None,
        metadata={"help": "[remedies]: candidate stops, zones and added frequency ranked by the 交通空白 of [gaps] "
                  "each removes, the best choose chosen together (remedies.csv, remedies_curve.csv)."},
    )  # fmt: skip
    report: ReportSection | None = field(
        default=None,
        metadata={"help": "[report]: the municipal カルテ (report/<muni_code>.html|.pdf|.json, report/index.html), "
                  "written last from the run's own tables."},
    )  # fmt: skip
    path: Path = Path(".")  # the config file (set by load_config, not a TOML key)
    text: str = ""

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    @property
    def output_dir(self) -> Path:
        out = Path(self.run.output_dir)
        return ((out if out.is_absolute() else self.base_dir / out) / self.run.name).resolve()


MAP_LAYERS = ("gaps", "hubs", "buffers", "regions", "good_practices", "labels")
_NOT_KEYS = {"path", "text"}

# --------------------------------------------------------------------------------------------- loading


def load_config(path: str | Path) -> RunConfig:
    """Read and validate a run config; raise one ValidationError listing every problem with its line.

    Checks here need no data: keys, types, allowed values, references between sections and that every
    file exists (or names a pinned source). Column checks need the tables: :func:`geo.pipeline.plan`.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such config file")

    # the one encoding sniffer: UTF-8 with or without a BOM (Notepad, Excel), or CP932 (Shift_JIS)
    text, _ = decode(path.read_bytes(), path, encoding=None)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValidationError(f"not valid TOML: {exc}", source=path) from None
    lines = LineFinder(text)
    problems: list[str] = []
    values = _convert(RunConfig, data, (), problems, lines)
    if problems:
        run = data.get("run") if isinstance(data.get("run"), dict) else {}
        problems += _output_problems(path.resolve().parent, run, lines)  # said at once with the others
        raise ValidationError(problems, source=path)
    config = RunConfig(**values, path=path.resolve(), text=text)
    problems = _check_references(config, lines)
    if problems:
        raise ValidationError(problems, source=path)
    return config


class LineFinder:
    """Finds the line of a key in the TOML text, so messages can say 'line 12: [hubs] radius_m …'."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def find(self, where: tuple[str | int, ...]) -> int | None:
        keys = [w for w in where if isinstance(w, str)]
        if not keys:
            return None
        start = 0
        for section in keys[:-1]:  # walk section headers ([hubs], [[maps]]) down to the key
            pattern = re.compile(rf"^\s*\[\[?\s*([\w.]+\.)?{re.escape(section)}\s*\]\]?")
            idx = [i for i, line in enumerate(self.lines) if i >= start and pattern.match(line)]
            ordinal = next((w for w in where[where.index(section) + 1 :][:1] if isinstance(w, int)), 0)
            if idx:
                start = idx[min(ordinal, len(idx) - 1)]
        key = re.compile(rf"^\s*(\[\[?\s*)?{re.escape(keys[-1])}\b")
        for i in range(start, len(self.lines)):
            if key.match(self.lines[i]):
                return i + 1
        return start + 1 if start else None

    def at(self, where: tuple[str | int, ...]) -> str:
        line = self.find(where)
        name = ".".join(str(w) if isinstance(w, str) else f"[{w}]" for w in where).replace(".[", "[")
        return f"line {line}: {name}" if line else name


def _convert(cls: type, data: Any, where: tuple, problems: list[str], lines: LineFinder) -> dict[str, Any]:
    """Check ``data`` (a TOML table) against dataclass ``cls``: unknown keys, missing keys, types."""
    if not isinstance(data, dict):
        problems.append(f"{lines.at(where)}: expected a table ([section]), got {type(data).__name__}")
        return {}
    hints = typing.get_type_hints(cls)
    # the keys naming inputs first (candidates, demand …), then the question's parameters
    ordered = sorted(dataclasses.fields(cls), key=lambda f: not f.metadata.get("input"))
    fields = {f.name: f for f in ordered if not (cls is RunConfig and f.name in _NOT_KEYS)}
    out: dict[str, Any] = {}
    for key in data:
        if key not in fields:
            allowed = ", ".join(fields)
            problems.append(f"{lines.at((*where, key))}: unknown key {key!r}; allowed here: {allowed}")
    for name, f in fields.items():
        if name not in data:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                problems.append(f"{lines.at(where) if where else 'top level'}: missing required key {name!r}")
            continue
        out[name] = _value(hints[name], data[name], (*where, name), problems, lines)
    return out


def _value(hint: Any, value: Any, where: tuple, problems: list[str], lines: LineFinder) -> Any:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):  # X | None: the TOML has the key, so X ("" means none)
        if value == "" and type(None) in args:
            return None
        hint = next(a for a in args if a is not type(None))
        origin, args = typing.get_origin(hint), typing.get_args(hint)
    if dataclasses.is_dataclass(hint):
        if not isinstance(value, dict):
            return _bad("a table", value, where, problems, lines)
        before = len(problems)
        values = _convert(hint, value, where, problems, lines)
        if len(problems) != before:
            return None
        try:
            return hint(**values)  # type: ignore[operator]
        except ValidationError as exc:  # a parameters type's own checks (radii > 0, choose with fixed …)
            first = re.split(r"[\s:]", str(exc), maxsplit=1)[0]
            named = first in {f.name for f in dataclasses.fields(hint)}
            problems.append(f"{lines.at((*where, first) if named else where)}: {exc}")
            return None
    if origin in (list, tuple):
        if not isinstance(value, list):
            return _bad("a list [...]", value, where, problems, lines)
        items = [_value(args[0], v, (*where, i), problems, lines) for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if origin in (dict, collections.abc.Mapping):
        if not isinstance(value, dict):
            return _bad("a table {...}", value, where, problems, lines)
        return {k: _value(args[1], v, (*where, k), problems, lines) for k, v in value.items()}
    if origin is Literal:
        if value not in args:
            allowed = ", ".join(repr(a) for a in args if a != "")
            problems.append(f"{lines.at(where)}: {value!r} is not one of {allowed}")
        return value
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if hint in (str, int, float, bool) and not (isinstance(value, hint) and not (hint is int and value is True)):
        return _bad(hint.__name__, value, where, problems, lines)
    return value


def _bad(expected: str, value: Any, where: tuple, problems: list[str], lines: LineFinder) -> Any:
    problems.append(f"{lines.at(where)}: expected {expected}, got {value!r}")
    return value


def _check_references(config: RunConfig, lines: LineFinder) -> list[str]:
    """Problems between sections: names that must refer to layers, files that must exist, value ranges."""
    problems = []
    layers = {p.name for p in config.points}
    if len(layers) != len(config.points):
        problems.append(f"{lines.at(('points',))}: two [[points]] layers share a name")
    if config.gaps:
        problems += _check_gaps(config, config.gaps, layers, lines)
    problems += _check_scenarios(config, lines)
    problems += _check_remedies(config, lines)
    if config.hubs:
        h = config.hubs
        if h.candidates not in layers:
            problems.append(f"{lines.at(('hubs', 'candidates'))}: no [[points]] layer named {h.candidates!r}")
        if h.demand not in layers | {"gaps", "grid"}:
            problems.append(
                f"{lines.at(('hubs', 'demand'))}: {h.demand!r} is neither a [[points]] layer, 'gaps' nor 'grid'"
            )
        if (h.demand == "grid") != bool(h.population_table):
            problems.append(
                f"{lines.at(('hubs', 'population_table'))}: demand = 'grid' and population_table go together "
                "(the municipal table whose population is spread over the 1 km grid)"
            )
        if bool(h.proxy_table) != bool(h.proxy_column) or (h.proxy_table and h.demand != "grid"):
            problems.append(
                f"{lines.at(('hubs', 'proxy_table'))}: proxy_table and proxy_column go together, with demand = 'grid'"
            )
        for name in ("population_table", "proxy_table", "cost_matrix"):
            if getattr(h, name):
                problems += _missing_file(config, getattr(h, name), lines.at(("hubs", name)))
        if h.demand == "gaps" and not config.gaps:
            problems.append(f"{lines.at(('hubs', 'demand'))}: demand 'gaps' needs a [gaps] section")
    for i, m in enumerate(config.maps):
        for layer in m.layers:
            if layer not in MAP_LAYERS:
                problems.append(
                    f"{lines.at(('maps', i, 'layers'))}: unknown layer {layer!r}; one of {', '.join(MAP_LAYERS)}"
                )
        if m.level == "region" and not config.regions:
            problems.append(f"{lines.at(('maps', i, 'level'))}: level 'region' needs a [regions] section")
    names = [m.name or m.column for m in config.maps]
    if len(set(names)) != len(names):
        problems.append(f"{lines.at(('maps',))}: two maps would get the same name; set name = '...' on each")
    for i, t in enumerate(config.indicators):
        problems += _missing_file(config, t.table, lines.at(("indicators", i, "table")))
        if t.as_of:
            try:
                as_date(t.as_of, what="as_of")
            except ValidationError as exc:
                problems.append(f"{lines.at(('indicators', i, 'as_of'))}: {exc}")
    for i, p in enumerate(config.points):
        problems += _missing_file(config, p.path, lines.at(("points", i, "path")))
    problems += _output_problems(config.base_dir, dataclasses.asdict(config.run), lines)
    problems += _check_report(config, lines)
    return problems


def _output_problems(base: Path, run: dict[str, Any], lines: LineFinder) -> list[str]:
    """The output folder must be creatable and writable (:func:`geo.store.check_output_dir`); the run's name must
    name a folder."""
    problems = []
    name = str(run.get("name", ""))
    if name and not re.fullmatch(r"[\w.-]+", name):
        problems.append(f"{lines.at(('run', 'name'))}: use letters, digits, '-', '_' or '.' (it names a folder)")
    folder = Path(str(run.get("output_dir", "outputs")))
    out = (folder if folder.is_absolute() else base / folder) / (name or "run")
    try:  # the one rule every command applies before any work: not a file, not under a file, writable
        check_output_dir(out)
    except ValidationError as exc:
        problems.append(f"{lines.at(('run', 'output_dir'))}: {exc}")
    return problems


def _check_gaps(config: RunConfig, g: GapsSection, layers: set[str], lines: LineFinder) -> list[str]:
    problems = []
    kinds = {p.name: p.kind for p in config.points}
    for i, layer in enumerate(g.supply):
        if layer not in layers:
            problems.append(f"{lines.at(('gaps', 'supply', i))}: no [[points]] layer named {layer!r}")
        elif kinds[layer] not in ("station", "bus"):
            problems.append(
                f"{lines.at(('gaps', 'supply', i))}: a supply layer needs kind 'station' or 'bus' in its [[points]] "
                f"entry (its walking distance is station_m or bus_m); {layer!r} is {kinds[layer]!r}"
            )
    if not g.supply and not g.gtfs:
        problems.append(f"{lines.at(('gaps',))}: give supply = [...] and/or gtfs = [...]")
    if g.demand not in layers | {"grid"}:
        problems.append(f"{lines.at(('gaps', 'demand'))}: no [[points]] layer named {g.demand!r} (or 'grid')")
    if not g.timetable:
        for name in ("date", "windows"):
            if getattr(g, name):  # (maps defaults to true and only matters with definitions)
                problems.append(f"{lines.at(('gaps', name))}: needs definitions = [...] or gtfs = [...]")
        if not g.supply:
            problems.append(f"{lines.at(('gaps', 'supply'))}: walking-distance gaps need supply = [...]")
    if (g.population_table or g.population_column) and g.demand != "grid":
        problems.append(f"{lines.at(('gaps', 'population_table'))}: only with demand = 'grid'")
    if g.population_table:
        problems += _missing_file(config, g.population_table, lines.at(("gaps", "population_table")))
    for i, feed in enumerate(g.gtfs):
        problems += _missing_file(config, feed, lines.at(("gaps", "gtfs", i)))
    for name in g.definitions:
        path = Path(name) if Path(name).is_absolute() else config.base_dir / name
        try:
            read_gap_definition(path if path.suffix == ".toml" else name)
        except ValidationError as exc:
            problems.append(f"{lines.at(('gaps', 'definitions'))}: {exc}")
    try:
        parse_windows(g.windows or None)
    except ValidationError as exc:
        problems.append(f"{lines.at(('gaps', 'windows'))}: {exc}")
    return problems


def _check_scenarios(config: RunConfig, lines: LineFinder) -> list[str]:
    if not config.scenarios:
        return []
    problems = []
    if not config.gaps:
        problems.append(f"{lines.at(('scenarios',))}: scenarios need a [gaps] section (the baseline they change)")
    problems += scenario_problems(config.scenarios, config.base_dir, lines,
                                  timetable=bool(config.gaps and config.gaps.timetable))  # fmt: skip
    return problems


def scenario_problems(scenarios: list[ScenarioSection], base_dir: Path, lines: LineFinder, *,
                      timetable: bool) -> list[str]:  # fmt: skip
    """Problems of ``[[scenarios]]`` tables: repeated names, routes without timetables, files that are missing
    (paths relative to ``base_dir``; a projection may name a pinned source)."""
    problems = []
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        problems.append(f"{lines.at(('scenarios',))}: two [[scenarios]] share a name: {names}")
    for i, s in enumerate(scenarios):
        if s.remove_routes and not timetable:
            problems.append(f"{lines.at(('scenarios', i, 'remove_routes'))}: removing GTFS routes needs timetable "
                            "gaps: gtfs = [...] in [gaps]")  # fmt: skip
        for name in ("add_zones", "add_stops", "projection"):
            value = getattr(s, name)
            if value and _input_path(base_dir, value) is None:
                problems.append(f"{lines.at(('scenarios', i, name))}: {value!r} is neither a file (relative to the "
                                "config) nor a pinned source name")  # fmt: skip
    return problems


def _input_path(base_dir: Path, value: str) -> Path | str | None:
    path = Path(value) if Path(value).is_absolute() else base_dir / value
    if path.exists():
        return path
    return value if value in {s.name for s in list_sources()} else None


def load_scenarios(path: str | Path) -> list[ScenarioSection]:
    """Read a scenarios file: TOML with ``[[scenarios]]`` tables, the keys of a run config's ``[[scenarios]]``
    (``geo scenarios --scenarios FILE``). Paths (``add_zones``, ``add_stops``, a projection file) are made
    absolute, relative to the file; a pinned source name stays a name.

    Raises
    ------
    ValidationError
        Unknown keys, wrong types, bad values, repeated names, missing files: all at once, each with its line.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such scenarios file")
    text, _ = decode(path.read_bytes(), path, encoding=None)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValidationError(f"not valid TOML: {exc}", source=path) from None
    lines, problems = LineFinder(text), []
    unknown = sorted(set(data) - {"scenarios"})
    if unknown or not isinstance(data.get("scenarios"), list) or not data["scenarios"]:
        problems.append(f"give [[scenarios]] tables (name, remove_routes, remove_stops, add_zones, add_stops, "
                        f"demand_scale, projection …){f'; unknown: {unknown}' if unknown else ''}")  # fmt: skip
        raise ValidationError(problems, source=path)
    scenarios = _value(list[ScenarioSection], data["scenarios"], ("scenarios",), problems, lines)
    if problems:
        raise ValidationError(problems, source=path)
    base = path.resolve().parent
    problems = scenario_problems(scenarios, base, lines, timetable=True)
    if problems:
        raise ValidationError(problems, source=path)
    out = []
    for s in scenarios:
        found = {k: _input_path(base, getattr(s, k)) for k in ("add_zones", "add_stops", "projection")
                 if getattr(s, k)}  # fmt: skip
        out.append(dataclasses.replace(s, **{k: str(v) for k, v in found.items()}))
    return out


def _check_remedies(config: RunConfig, lines: LineFinder) -> list[str]:
    r = config.remedies
    if r is None:
        return []
    problems = []
    if not (config.gaps and config.gaps.timetable):
        problems.append(f"{lines.at(('remedies',))}: remedies need timetable gaps: a [gaps] section with "
                        "definitions = [...] or gtfs = [...]")  # fmt: skip
    files = ("add_stops", "add_zones", "add_routes")
    if not any(getattr(r, name) for name in files):
        problems.append(f"{lines.at(('remedies',))}: give candidates: add_stops, add_zones and/or add_routes")
    if r.add_routes and not (config.gaps and config.gaps.gtfs):
        problems.append(f"{lines.at(('remedies', 'add_routes'))}: route remedies need the GTFS feeds: [gaps] gtfs")
    for name in files:
        if getattr(r, name):
            problems += _missing_file(config, getattr(r, name), lines.at(("remedies", name)))
    return problems


def _missing_file(config: RunConfig, value: str, where: str) -> list[str]:
    if resolve_input(config, value) is not None:
        return []
    return [f"{where}: {value!r} is neither a file (relative to the config) nor a pinned source name"]


def resolve_input(config: RunConfig, value: str) -> Path | str | None:
    """A config value as an existing path (relative to the config file), a pinned source name, or None."""
    path = Path(value)
    path = path if path.is_absolute() else config.base_dir / path
    if path.exists():
        return path

    if value in {s.name for s in list_sources()}:
        return value
    return None


def _check_report(config: RunConfig, lines: LineFinder) -> list[str]:
    """[report] reads the run's CSV tables and its areas: it needs them written and a municipal level."""
    if config.report is None:
        return []
    problems = []
    if not config.outputs.csv or not config.outputs.gpkg:
        problems.append(f"{lines.at(('report',))}: the カルテ are built from the run's CSV tables and layers.gpkg; "
                        "keep [outputs] csv = true and gpkg = true")  # fmt: skip
    if config.area.level == "prefecture":
        problems.append(f"{lines.at(('report',))}: the カルテ are per municipality; [area] level = 'prefecture' "
                        "has none (use municipality or designated_city)")  # fmt: skip
    return problems
