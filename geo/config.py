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


@dataclass(frozen=True)
class IndicatorTable:
    table: str
    columns: list[str] = field(default_factory=list)
    code_column: str = ""
    encoding: str = ""
    sheet: str = ""
    aggregate_wards: bool = False


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


@dataclass(frozen=True)
class Supply:
    layer: str
    walk_m: float


@dataclass(frozen=True)
class GapsSection:
    demand: str
    supply: list[Supply]
    weight: str = "pop_2020"


@dataclass(frozen=True)
class HubsSection:
    candidates: str
    demand: str
    radii_m: list[float]
    weight: str = ""
    choose: int = 0
    method: Literal["greedy", "exact"] = "greedy"
    name_column: str = ""


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


@dataclass(frozen=True)
class OutputsSection:
    gpkg: bool = True
    csv: bool = True
    parquet: bool = False  # also write every spatial layer as GeoParquet in <output>/parquet/ (geo.store)
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
    text = path.read_text(encoding="utf-8")
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
        for i, s in enumerate(config.gaps.supply):
            if s.layer not in layers:
                problems.append(f"{lines.at(('gaps', 'supply', i, 'layer'))}: no [[points]] layer named {s.layer!r}")
            if s.walk_m <= 0:
                problems.append(f"{lines.at(('gaps', 'supply', i, 'walk_m'))}: walking distance must be > 0 m")
        if config.gaps.demand not in layers:
            problems.append(f"{lines.at(('gaps', 'demand'))}: no [[points]] layer named {config.gaps.demand!r}")
    if config.hubs:
        h = config.hubs
        if h.candidates not in layers:
            problems.append(f"{lines.at(('hubs', 'candidates'))}: no [[points]] layer named {h.candidates!r}")
        if h.demand not in layers | {"gaps"}:
            problems.append(f"{lines.at(('hubs', 'demand'))}: {h.demand!r} is neither a [[points]] layer nor 'gaps'")
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
    names = [m.name or m.column for m in config.maps]
    if len(set(names)) != len(names):
        problems.append(f"{lines.at(('maps',))}: two maps would get the same name; set name = '...' on each")
    for i, t in enumerate(config.indicators):
        problems += _missing_file(config, t.table, lines.at(("indicators", i, "table")))
    for i, p in enumerate(config.points):
        problems += _missing_file(config, p.path, lines.at(("points", i, "path")))
    if not re.fullmatch(r"[\w.-]+", config.run.name):
        problems.append(f"{lines.at(('run', 'name'))}: use letters, digits, '-', '_' or '.' (it names a folder)")
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
