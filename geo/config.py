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


@dataclass(frozen=True)
class AreaSection:
    boundaries: str = field(
        default="n03-2021-s0010",
        metadata={
            "help": "N03 boundaries: a pinned source name (geo sources list) or a file/folder.",
            "example": "n03-2021-s0010",
        },
    )
    level: Literal["municipality", "designated_city", "prefecture"] = field(
        default="municipality",
        metadata={
            "help": "Unit of analysis: municipalities with wards, designated cities whole, or prefectures.",
            "example": "designated_city",
        },
    )
    prefectures: list[str] = field(
        default_factory=list,
        metadata={
            "help": "Keep only these prefectures (names or 2-digit codes); empty: all of Japan.",
            "example": ["山梨県"],
        },
    )
    municipalities: list[str] = field(
        default_factory=list,
        metadata={
            "help": "Keep only these municipalities (5-digit codes); empty: all in the prefectures.",
            "example": ["21206"],
        },
    )
    credit: str = field(
        default="",
        metadata={
            "help": "Credit line printed on maps for a boundary file that is not a pinned source.",
            "example": "出典：〇〇市 町丁目境界（2024）",
        },
    )  # credit line of a boundary file that is not a pinned source


@dataclass(frozen=True)
class IndicatorTable:
    table: str = field(
        metadata={
            "help": "Statistics table joined onto the areas by code: a pinned source name or a CSV/TSV/Excel file.",
            "example": "ssdse-a",
        }
    )
    columns: list[str] = field(
        default_factory=list,
        metadata={
            "help": "Columns to take from the table (counts: summed at prefecture and region level).",
            "example": ["pop_2020", "pop_65plus_2020"],
        },
    )
    code_column: str = field(
        default="", metadata={"help": "Column holding the municipality code; empty: detected.", "example": "code"}
    )
    encoding: str = field(
        default="",
        metadata={"help": "Text encoding of the table; empty: detected (UTF-8 or CP932).", "example": "cp932"},
    )
    sheet: str = field(
        default="", metadata={"help": "Excel sheet name; empty: the first sheet.", "example": "市区町村"}
    )
    aggregate_wards: bool = field(
        default=False,
        metadata={
            "help": "Add ward rows up to their designated city when the areas are whole cities.",
            "example": True,
        },
    )
    credit: str = field(
        default="",
        metadata={
            "help": "Credit line printed on maps for a user table (pinned sources carry their own).",
            "example": "出典：〇〇市 統計書（2023）を加工して作成",
        },
    )  # credit line of a user table (pinned sources carry their own)
    as_of: str = field(
        default="",
        metadata={
            "help": "Date of the table's municipality codes (YYYY-MM-DD): converted to the boundaries' date before joining.",
            "example": "2015-10-01",
        },
    )  # date of the table's codes (YYYY-MM-DD): converted to the boundaries' date before joining


@dataclass(frozen=True)
class Derived:
    name: str = field(metadata={"help": "Name of the new column.", "example": "ageing_rate"})
    kind: Literal["rate", "change", "density", "sum"] = field(
        metadata={
            "help": "rate = numerator / denominator × per; change = (after − before) / before × 100; density = column / km²; sum = columns added.",
            "example": "rate",
        }
    )
    columns: list[str] = field(
        default_factory=list,
        metadata={
            "help": "sum: the columns added up.",
            "example": ["pop_0_14_2020", "pop_15_64_2020", "pop_65plus_2020"],
        },
    )  # sum: the columns added up
    numerator: str = field(default="", metadata={"help": "rate: the numerator column.", "example": "pop_65plus_2020"})
    denominator: str = field(
        default="",
        metadata={
            "help": "rate: the denominator column (0 or missing gives a missing value).",
            "example": "pop_age_known_2020",
        },
    )
    before: str = field(
        default="", metadata={"help": "change: the earlier column (the base of the change).", "example": "pop_2015"}
    )
    after: str = field(default="", metadata={"help": "change: the later column.", "example": "pop_2020"})
    column: str = field(
        default="", metadata={"help": "density: the count column divided by the area in km².", "example": "pop_2020"}
    )  # density: the count column
    per: float = field(
        default=100.0, metadata={"help": "rate: scale factor (100: percent, 1000: per 1,000).", "example": 100}
    )  # rate: 100 → percent, 1000 → per 1,000
    unit: str = field(default="", metadata={"help": "Unit shown on maps and legends.", "example": "%"})


@dataclass(frozen=True)
class PointLayer:
    name: str = field(
        metadata={
            "help": "Name other sections use for this layer ([gaps] supply, [hubs] candidates).",
            "example": "stations",
        }
    )
    path: str = field(
        metadata={
            "help": "Point file (CSV, GeoJSON, GeoPackage, GTFS zip, e-Stat mesh) or a pinned source name.",
            "example": "stations-n02-2023-points",
        }
    )
    lat: str = field(
        default="", metadata={"help": "Latitude column; empty: detected (lat, latitude, 緯度…).", "example": "緯度"}
    )
    lon: str = field(
        default="", metadata={"help": "Longitude column; empty: detected (lon, longitude, 経度…).", "example": "経度"}
    )
    kind: Literal["station", "bus", "candidate", "demand", "mesh", "other"] = field(
        default="other",
        metadata={
            "help": "What the points are; mesh: JIS X 0410 cells read as polygons with their population.",
            "example": "station",
        },
    )  # mesh: JIS X 0410 cells
    filter_prefectures: bool = field(
        default=True, metadata={"help": "Keep only the points near the run's area.", "example": True}
    )
    credit: str = field(
        default="",
        metadata={
            "help": "Credit line printed on maps for a user point file (pinned sources carry their own).",
            "example": "出典：〇〇バス 停留所一覧（2024）",
        },
    )
    mesh_level: Literal["", "quarter", "100m"] = field(
        default="",
        metadata={"help": "kind=mesh: what 10-digit codes are (quarter = 250 m, 100m); needed when ambiguous.",
                  "example": "quarter"},
    )  # fmt: skip
    mesh_overlaps: Literal["raise", "finest"] = field(
        default="raise",
        metadata={"help": "kind=mesh: a cell listed with its own children: refuse, or keep the finest cells.",
                  "example": "finest"},
    )  # fmt: skip


@dataclass(frozen=True)
class Supply:
    layer: str = field(
        metadata={"help": "A [[points]] layer that serves demand (stations, bus stops).", "example": "stations"}
    )
    walk_m: float = field(
        default=0.0,
        metadata={
            "help": "Walking distance in metres within which a point is served (required without timetable definitions).",
            "example": 800,
        },
    )  # required without definitions; with definitions the distance comes from each definition


@dataclass(frozen=True)
class GapsSection:
    demand: str = field(
        metadata={
            "help": "The [[points]] layer of demand (usually the population mesh), or 'grid': the 1 km mesh cells covering the area (timetable gaps only).",
            "example": "mesh",
        }
    )  # a [[points]] layer, or "grid": the 1 km mesh cells covering the area (timetable gaps only)
    supply: list[Supply] = field(
        default_factory=list,
        metadata={
            "help": "Serving layers, each with its walking distance.",
            "example": [{"layer": "stations", "walk_m": 800}],
        },
    )
    weight: str = field(
        default="pop_2020", metadata={"help": "Demand column counted as people.", "example": "pop_2020"}
    )
    # timetable gaps (geo.service_gaps): any of these switches the step to usable service by time window
    definitions: list[str] = field(
        default_factory=list,
        metadata={
            "help": "Timetable gaps: gap definitions by name (geo.list_gap_definitions()) or .toml path; any timetable key switches the step to usable service by time window.",
            "example": ["handbook-rural"],
        },
    )  # names (geo.list_gap_definitions()) or .toml paths
    gtfs: list[str] = field(
        default_factory=list,
        metadata={"help": "Timetable gaps: GTFS feeds, paths or pinned sources.", "example": ["gtfs-nakatsugawa"]},
    )  # feeds: paths or pinned sources (gtfs-nakatsugawa)
    date: str = field(
        default="",
        metadata={
            "help": "Timetable gaps: service date YYYY-MM-DD or day type 平日/土曜/日祝; empty: each definition's day type.",
            "example": "2020-11-10",
        },
    )  # service date YYYY-MM-DD or day type 平日/土曜/日祝; "" = each definition's day type
    windows: list[str] = field(
        default_factory=list,
        metadata={
            "help": "Timetable gaps: time windows overriding the definitions' windows.",
            "example": ["07-09", "19-22"],
        },
    )  # override the definitions' windows, e.g. ["07-09", "19-22"]
    spread_population: str = field(
        default="",
        metadata={
            "help": "Demand 'grid': an area column (from [[indicators]]) spread over the cells by area.",
            "example": "pop_2020",
        },
    )  # demand "grid": an area column (from [[indicators]]) spread over cells by area
    maps: bool = field(
        default=True,
        metadata={
            "help": "Timetable gaps: draw the grade map and the per-window maps (png and html).",
            "example": True,
        },
    )  # timetable gaps: draw the grade map and per-window maps (png and html)


@dataclass(frozen=True)
class HubsSection:
    candidates: str = field(metadata={"help": "The [[points]] layer of candidate hub sites.", "example": "stations"})
    demand: str = field(
        metadata={"help": "The [[points]] layer of demand, 'gaps' for the gap cells, or 'grid' (population_table "
                  "spread over the 1 km grid).", "example": "mesh"}
    )  # fmt: skip
    radii_m: list[float] = field(
        metadata={"help": "Coverage radii in metres, one buffer each.", "example": [1000, 5000]}
    )
    weight: str = field(
        default="",
        metadata={"help": "Demand column counted as people; empty: each point counts 1.", "example": "pop_2020"},
    )
    choose: int = field(
        default=0, metadata={"help": "How many hubs to choose (0: coverage only, no siting).", "example": 5}
    )
    method: Literal["greedy", "swap", "exact", "p_median", "p_center", "p_median_swap"] = field(
        default="greedy",
        metadata={"help": "Siting model: greedy/swap/exact (most demand within reach, MCLP), p_median (least total "
                  "distance), p_center (least worst distance), p_median_swap (heuristic).", "example": "p_median"},
    )  # fmt: skip
    name_column: str = field(
        default="", metadata={"help": "Candidate column used as the hub's name on maps and tables.", "example": "name"}
    )
    fixed: list[str] = field(
        default_factory=list,
        metadata={
            "help": "Existing sites (names or ids) kept open; `choose` more are added.",
            "example": ["道の駅とうべつ"],
        },
    )
    capacity: str = field(
        default="",
        metadata={"help": "Candidate column: demand each hub can serve (exact, p_median, p_center; 2SFCA supply).",
                  "example": "capacity"},
    )  # fmt: skip
    access: list[Literal["2sfca", "2sfca_gaussian", "cumulative"]] = field(
        default_factory=list,
        metadata={"help": "Access measures per demand row and per area at the smallest radius.", "example": ["2sfca"]},
    )
    cost_matrix: str = field(
        default="",
        metadata={"help": "Origin-destination CSV (origin id, destination id, cost); radii are then in its unit.",
                  "example": "od_minutes.csv"},
    )  # fmt: skip
    population_table: str = field(
        default="",
        metadata={"help": "demand = 'grid': municipal population table spread over the 1 km grid by area.",
                  "example": "census2020-wards"},
    )  # fmt: skip
    population_column: str = field(
        default="", metadata={"help": "Column of population_table (default: detected).", "example": "pop_total"}
    )


@dataclass(frozen=True)
class RegionsSection:
    presets: list[str] = field(
        metadata={
            "help": "Region groupings to dissolve the areas into (geo regions list).",
            "example": ["kouiki-chihou-keikaku"],
        }
    )
    sum_columns: list[str] = field(
        default_factory=list, metadata={"help": "Count columns summed per region.", "example": ["pop_2020"]}
    )
    rates: dict[str, list[str]] = field(
        default_factory=dict,
        metadata={
            "help": "Rates recomputed per region from the sums: name = [numerator, denominator].",
            "example": {"ageing_rate": ["pop_65plus_2020", "pop_2020"]},
        },
    )  # name -> [numerator, denominator]


@dataclass(frozen=True)
class MapSpec:
    column: str = field(metadata={"help": "Column drawn as the choropleth.", "example": "ageing_rate"})
    name: str = field(
        default="",
        metadata={"help": "File name of the map (without extension); default: the column.", "example": "muni_ageing"},
    )
    title: str = field(
        default="", metadata={"help": "Title printed on the map.", "example": "市区町村別 高齢化率 2020（%）"}
    )
    scheme: Literal["quantiles", "fisher_jenks", "equal_interval", "user_defined"] = field(
        default="quantiles",
        metadata={"help": "Classification of the values into colour classes.", "example": "fisher_jenks"},
    )
    k: int = field(default=5, metadata={"help": "Number of classes.", "example": 6})
    breaks: list[float] = field(
        default_factory=list,
        metadata={"help": "user_defined: the class upper bounds, increasing.", "example": [-15, -10, -5, 0, 5]},
    )
    unit: str = field(default="", metadata={"help": "Unit shown after the values in the legend.", "example": "%"})
    legend: str = field(
        default="", metadata={"help": "Legend title; default: the column name.", "example": "高齢化率"}
    )  # legend title; by default the column name
    palette: str = field(
        default="YlOrRd", metadata={"help": "Colour palette (a matplotlib colormap name).", "example": "RdBu"}
    )
    layers: list[str] = field(
        default_factory=list,
        metadata={
            "help": "Extra layers drawn on top: gaps, hubs, buffers, regions, good_practices, labels.",
            "example": ["gaps"],
        },
    )
    level: Literal["", "municipality", "designated_city", "prefecture", "region"] = field(
        default="",
        metadata={
            "help": "Draw at this level (prefecture, region: counts summed, rates recomputed); empty: the run's level.",
            "example": "prefecture",
        },
    )
    formats: list[Literal["html", "png", "svg", "pdf"]] = field(
        default_factory=lambda: ["html", "png"],
        metadata={"help": "Files written: interactive html, static png/svg/pdf.", "example": ["html", "png"]},
    )
    page: Literal["", "A4", "A3"] = field(
        default="", metadata={"help": "Print sheet of the static formats; empty: 1500×1500 px.", "example": "A4"}
    )
    orientation: Literal["portrait", "landscape"] = field(
        default="portrait", metadata={"help": "Page orientation (with page).", "example": "landscape"}
    )
    margins_mm: float = field(
        default=10.0, metadata={"help": "White margin around the page in mm (with page).", "example": 15.0}
    )


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
    from geo._tables import decode

    # the one encoding sniffer: UTF-8 with or without a BOM (Notepad, Excel), or CP932 (Shift_JIS)
    text, _ = decode(path.read_bytes(), path, encoding=None)
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
