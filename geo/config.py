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

import dataclasses
import re
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from geo._errors import ValidationError

# ---------------------------------------------------------------------------------------------- sections


@dataclass(frozen=True)
class RunSection:
    name: str
    title: str = ""
    output_dir: str = "outputs"
    description: str = ""


@dataclass(frozen=True)
class AreaSection:
    boundaries: str = "n03-2021-s0010"
    level: Literal["municipality", "designated_city", "prefecture"] = "municipality"
    prefectures: list[str] = field(default_factory=list)
    municipalities: list[str] = field(default_factory=list)
    credit: str = ""  # credit line of a boundary file that is not a pinned source


@dataclass(frozen=True)
class IndicatorTable:
    table: str
    columns: list[str] = field(default_factory=list)
    code_column: str = ""
    encoding: str = ""
    sheet: str = ""
    aggregate_wards: bool = False
    credit: str = ""  # credit line of a user table (pinned sources carry their own)
    as_of: str = ""  # date of the table's codes (YYYY-MM-DD): converted to the boundaries' date before joining


@dataclass(frozen=True)
class Derived:
    name: str
    kind: Literal["rate", "change", "density", "sum"]
    columns: list[str] = field(default_factory=list)  # sum: the columns added up
    numerator: str = ""
    denominator: str = ""
    before: str = ""
    after: str = ""
    column: str = ""  # density: the count column
    per: float = 100.0  # rate: 100 → percent, 1000 → per 1,000
    unit: str = ""


@dataclass(frozen=True)
class PointLayer:
    name: str
    path: str
    lat: str = ""
    lon: str = ""
    kind: Literal["station", "bus", "candidate", "demand", "mesh", "other"] = "other"  # mesh: JIS X 0410 cells
    filter_prefectures: bool = True
    credit: str = ""  # credit line of a user point file (pinned sources carry their own)
    mesh_level: Literal["", "quarter", "100m"] = ""  # kind="mesh": what 10-digit codes are (geo.mesh.read_mesh level)
    mesh_overlaps: Literal["raise", "finest"] = "raise"  # kind="mesh": a cell listed with its own children


@dataclass(frozen=True)
class Supply:
    layer: str
    walk_m: float = 0.0  # required without definitions; with definitions the distance comes from each definition


@dataclass(frozen=True)
class GapsSection:
    demand: str  # a [[points]] layer, or "grid": the 1 km mesh cells covering the area (timetable gaps only)
    supply: list[Supply] = field(default_factory=list)
    weight: str = "pop_2020"
    # timetable gaps (geo.service_gaps): any of these switches the step to usable service by time window
    definitions: list[str] = field(default_factory=list)  # names (geo.list_gap_definitions()) or .toml paths
    gtfs: list[str] = field(default_factory=list)  # feeds: paths or pinned sources (gtfs-nakatsugawa)
    date: str = ""  # service date YYYY-MM-DD or day type 平日/土曜/日祝; "" = each definition's day type
    windows: list[str] = field(default_factory=list)  # override the definitions' windows, e.g. ["07-09", "19-22"]
    spread_population: str = ""  # demand "grid": an area column (from [[indicators]]) spread over cells by area
    maps: bool = True  # timetable gaps: draw the grade map and per-window maps (png and html)


@dataclass(frozen=True)
class HubsSection:
    candidates: str
    demand: str
    radii_m: list[float]
    weight: str = ""
    choose: int = 0
    method: Literal["greedy", "swap", "exact", "p_median", "p_center", "p_median_swap"] = "greedy"
    name_column: str = ""
    fixed: list[str] = field(default_factory=list)  # existing sites (names or ids) kept open; `choose` more
    capacity: str = ""  # candidate column: demand each hub can serve (exact, p_median, p_center)
    access: list[Literal["2sfca", "2sfca_gaussian", "cumulative"]] = field(default_factory=list)
    cost_matrix: str = ""  # origin-destination CSV (origin id, destination id, cost); radii in its unit
    population_table: str = ""  # demand = "grid": municipal population spread over the 1 km grid by area
    population_column: str = ""


@dataclass(frozen=True)
class RegionsSection:
    presets: list[str]
    sum_columns: list[str] = field(default_factory=list)
    rates: dict[str, list[str]] = field(default_factory=dict)  # name -> [numerator, denominator]


@dataclass(frozen=True)
class MapSpec:
    column: str
    name: str = ""
    title: str = ""
    scheme: Literal["quantiles", "fisher_jenks", "equal_interval", "user_defined"] = "quantiles"
    k: int = 5
    breaks: list[float] = field(default_factory=list)
    unit: str = ""
    legend: str = ""  # legend title; by default the column name
    palette: str = "YlOrRd"
    layers: list[str] = field(default_factory=list)
    level: Literal["", "municipality", "designated_city", "prefecture", "region"] = ""
    formats: list[Literal["html", "png", "svg", "pdf"]] = field(default_factory=lambda: ["html", "png"])
    page: Literal["", "A4", "A3"] = ""  # print sheet of the static formats; "" = 1500×1500 px
    orientation: Literal["portrait", "landscape"] = "portrait"
    margins_mm: float = 10.0  # white margin around a page (static formats with a page)


@dataclass(frozen=True)
class OutputsSection:
    gpkg: bool = True
    csv: bool = True
    db: str = ""


@dataclass(frozen=True)
class RunConfig:
    run: RunSection
    area: AreaSection = field(default_factory=AreaSection)
    indicators: list[IndicatorTable] = field(default_factory=list)
    derived: list[Derived] = field(default_factory=list)
    points: list[PointLayer] = field(default_factory=list)
    gaps: GapsSection | None = None
    hubs: HubsSection | None = None
    regions: RegionsSection | None = None
    good_practices: bool = False
    maps: list[MapSpec] = field(default_factory=list)
    outputs: OutputsSection = field(default_factory=OutputsSection)
    path: Path = Path(".")  # the config file (set by load_config, not a TOML key)
    text: str = ""

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    @property
    def output_dir(self) -> Path:
        out = Path(self.run.output_dir)
        return (out if out.is_absolute() else self.base_dir / out) / self.run.name


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
    text = _read_utf8(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValidationError(f"not valid TOML: {exc}", source=path) from None
    lines = _LineFinder(text)
    problems: list[str] = []
    values = _convert(RunConfig, data, (), problems, lines)
    if problems:
        raise ValidationError(problems, source=path)
    config = RunConfig(**values, path=path.resolve(), text=text)
    problems = _check_references(config, lines)
    if problems:
        raise ValidationError(problems, source=path)
    return config


def _read_utf8(path: Path) -> str:
    """The config text; TOML is UTF-8 by definition, so a Shift_JIS file is refused with the fix, not a traceback."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        try:
            data.decode("cp932")
            found = "it reads as Shift_JIS (CP932)"
        except UnicodeDecodeError:
            found = "nor is it Shift_JIS (CP932)"
        raise ValidationError(
            f"line {line}: the file is not UTF-8 ({found}); TOML config files must be UTF-8 — save it as UTF-8 "
            "(メモ帳: 名前を付けて保存 → 文字コード UTF-8; or `iconv -f cp932 -t utf-8 in.toml > out.toml`)",
            source=path,
        ) from None


class _LineFinder:
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


def _convert(cls: type, data: Any, where: tuple, problems: list[str], lines: _LineFinder) -> dict[str, Any]:
    """Check ``data`` (a TOML table) against dataclass ``cls``: unknown keys, missing keys, types."""
    if not isinstance(data, dict):
        problems.append(f"{lines.at(where)}: expected a table ([section]), got {type(data).__name__}")
        return {}
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if not (cls is RunConfig and f.name in _NOT_KEYS)}
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


def _value(hint: Any, value: Any, where: tuple, problems: list[str], lines: _LineFinder) -> Any:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):  # X | None: the TOML has the key, so X
        hint = next(a for a in args if a is not type(None))
        origin, args = typing.get_origin(hint), typing.get_args(hint)
    if dataclasses.is_dataclass(hint):
        if not isinstance(value, dict):
            return _bad("a table", value, where, problems, lines)
        before = len(problems)
        values = _convert(hint, value, where, problems, lines)
        return hint(**values) if len(problems) == before else None  # type: ignore[operator]
    if origin is list:
        if not isinstance(value, list):
            return _bad("a list [...]", value, where, problems, lines)
        return [_value(args[0], v, (*where, i), problems, lines) for i, v in enumerate(value)]
    if origin is dict:
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


def _bad(expected: str, value: Any, where: tuple, problems: list[str], lines: _LineFinder) -> Any:
    problems.append(f"{lines.at(where)}: expected {expected}, got {value!r}")
    return value


def _check_references(config: RunConfig, lines: _LineFinder) -> list[str]:
    """Problems between sections: names that must refer to layers, files that must exist, value ranges."""
    problems = []
    layers = {p.name for p in config.points}
    if len(layers) != len(config.points):
        problems.append(f"{lines.at(('points',))}: two [[points]] layers share a name")
    if config.gaps:
        problems += _check_gaps(config, config.gaps, layers, lines)
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
        if h.population_table:
            problems += _missing_file(config, h.population_table, lines.at(("hubs", "population_table")))
        if h.cost_matrix:
            problems += _missing_file(config, h.cost_matrix, lines.at(("hubs", "cost_matrix")))
        if h.fixed and not h.choose:
            problems.append(
                f"{lines.at(('hubs', 'fixed'))}: fixed sites need choose = N (the sites chosen beyond them)"
            )
        if h.demand == "gaps" and not config.gaps:
            problems.append(f"{lines.at(('hubs', 'demand'))}: demand 'gaps' needs a [gaps] section")
        if not h.radii_m or any(r <= 0 for r in h.radii_m):
            problems.append(f"{lines.at(('hubs', 'radii_m'))}: give one or more radii in metres, each > 0")
        if h.choose < 0:
            problems.append(f"{lines.at(('hubs', 'choose'))}: must be 0 (no siting) or a positive number")
    for i, m in enumerate(config.maps):
        for layer in m.layers:
            if layer not in MAP_LAYERS:
                problems.append(
                    f"{lines.at(('maps', i, 'layers'))}: unknown layer {layer!r}; one of {', '.join(MAP_LAYERS)}"
                )
        if m.level == "region" and not config.regions:
            problems.append(f"{lines.at(('maps', i, 'level'))}: level 'region' needs a [regions] section")
        if m.scheme == "user_defined" and not m.breaks:
            problems.append(f"{lines.at(('maps', i, 'breaks'))}: scheme 'user_defined' needs breaks = [...]")
        if any(b <= a for a, b in zip(m.breaks, m.breaks[1:], strict=False)):
            problems.append(f"{lines.at(('maps', i, 'breaks'))}: breaks must increase strictly, got {m.breaks}")
    names = [m.name or m.column for m in config.maps]
    if len(set(names)) != len(names):
        problems.append(f"{lines.at(('maps',))}: two maps would get the same name; set name = '...' on each")
    for i, t in enumerate(config.indicators):
        problems += _missing_file(config, t.table, lines.at(("indicators", i, "table")))
        if t.as_of:
            from geo.codes import as_date

            try:
                as_date(t.as_of, what="as_of")
            except ValidationError as exc:
                problems.append(f"{lines.at(('indicators', i, 'as_of'))}: {exc}")
    for i, p in enumerate(config.points):
        problems += _missing_file(config, p.path, lines.at(("points", i, "path")))
    out = config.output_dir
    blocking = next((p for p in [out, *out.parents] if p.exists()), None)
    if blocking is not None and not blocking.is_dir():
        problems.append(f"{lines.at(('run', 'output_dir'))}: {blocking} is a file, so {out} cannot be a folder")
    if not re.fullmatch(r"[\w.-]+", config.run.name):
        problems.append(f"{lines.at(('run', 'name'))}: use letters, digits, '-', '_' or '.' (it names a folder)")
    return problems


def _check_gaps(config: RunConfig, g: GapsSection, layers: set[str], lines: _LineFinder) -> list[str]:
    problems = []
    timetable = bool(g.definitions or g.gtfs)
    kinds = {p.name: p.kind for p in config.points}
    for i, s in enumerate(g.supply):
        if s.layer not in layers:
            problems.append(f"{lines.at(('gaps', 'supply', i, 'layer'))}: no [[points]] layer named {s.layer!r}")
        elif timetable and kinds[s.layer] not in ("station", "bus"):
            problems.append(
                f"{lines.at(('gaps', 'supply', i, 'layer'))}: with definitions a supply layer needs kind "
                f"'station' or 'bus' (its walking distance comes from each definition); {s.layer!r} is {kinds[s.layer]!r}"
            )
        if timetable and s.walk_m:
            problems.append(
                f"{lines.at(('gaps', 'supply', i, 'walk_m'))}: with definitions the walking distance comes from each "
                "definition's [walk_m]; remove walk_m here"
            )
        if not timetable and s.walk_m <= 0:
            problems.append(f"{lines.at(('gaps', 'supply', i, 'walk_m'))}: walking distance must be > 0 m")
    if not g.supply and not g.gtfs:
        problems.append(f"{lines.at(('gaps',))}: give supply = [...] and/or gtfs = [...]")
    if g.demand not in layers and not (timetable and g.demand == "grid"):
        extra = " or 'grid' (with definitions/gtfs)" if not timetable else " or 'grid'"
        problems.append(f"{lines.at(('gaps', 'demand'))}: no [[points]] layer named {g.demand!r}{extra}")
    if not timetable:
        for key in ("date", "windows", "spread_population"):
            if getattr(g, key):  # (maps defaults to true and only matters with definitions)
                problems.append(f"{lines.at(('gaps', key))}: needs definitions = [...] or gtfs = [...]")
    if g.spread_population and g.demand != "grid":
        problems.append(f"{lines.at(('gaps', 'spread_population'))}: only with demand = 'grid'")
    for i, feed in enumerate(g.gtfs):
        problems += _missing_file(config, feed, lines.at(("gaps", "gtfs", i)))
    if timetable:
        from geo.gap_definitions import read_gap_definition
        from geo.timetable import parse_windows

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
    from geo.sources import list_sources

    if value in {s.name for s in list_sources()}:
        return value
    return None
