"""One parameters type per question: the config section, the CLI's options and the API's keywords in one place.

Each question the toolkit answers has one frozen dataclass here. Its fields *are* the keys of the config
section (:mod:`geo.config` derives its schema from them), the options of the ``geo`` subcommand
(:mod:`geo.cli.options` derives them, help text included) and the keywords of the API function in
:mod:`geo.analyses`; there is one set of defaults. A key or option therefore cannot exist on one door only,
and the same question gets the same answer however it is asked (``tests/test_parity.py``).

What differs between doors is only how *inputs* are named — a file or pinned source on the command line and
in the API, a ``[[points]]`` layer name in a config — and where outputs go; both stay outside these types.

This module imports nothing heavy: ``geo --help`` builds its options from it.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from geo._errors import ValidationError


def param(default: Any = dataclasses.MISSING, *, help: str, example: Any = None, cli: str = "",
          metavar: str = "") -> Any:  # fmt: skip
    """A parameter field: its default, help (shown by ``--help`` and the config reference) and an example.

    ``cli`` overrides the option name derived from the field (``radii_m`` → ``--radius``, for a plural that
    reads as one value per repetition); ``metavar`` names the value in ``--help``.
    """
    meta = {"help": help, "example": example, "cli": cli, "metavar": metavar}
    if isinstance(default, (list, dict, set)):
        raise TypeError("use a tuple or a read-only mapping default: parameters are frozen")
    return field(default=default, metadata=meta)


Level = Literal["auto", "municipality", "designated_city", "prefecture"]

MAX_DISTANCE_M = 100_000.0
"""Largest walking or snapping distance accepted (100 km): beyond it a value is a typo, not a plan."""
MAX_REACH = 1_000_000.0
"""Largest hub reach accepted (1,000 km, or the cost matrix's unit): 1e308 would buffer to infinite coordinates."""


def check_range(name: str, value: float | None, *, low: float, high: float, low_open: bool = False) -> None:
    """Refuse a parameter outside ``[low, high]`` (``(low, high]`` with ``low_open``), NaN or infinite; the message
    starts with the field's name, so a config's line-numbered check points at its line."""
    if value is None:
        return
    number = float(value)
    below = number <= low if low_open else number < low
    if not math.isfinite(number) or below or number > high:
        bound = f"{'above' if low_open else 'from'} {low:g} up to {high:,.0f}"
        raise ValidationError(f"{name} = {value!r}: give a finite number {bound}")


@dataclass(frozen=True, kw_only=True)
class AreaParams:
    """Which areas a question is about (the selection every analysis places its demand in)."""

    level: Level = param(
        "auto",
        help="Unit of analysis: municipality (designated-city wards separate), designated_city (whole cities), "
        "prefecture; auto: the level of the first table joined, else municipality.",
        example="designated_city",
    )
    prefectures: tuple[str, ...] = param(
        (), help="Keep only these prefectures (names or 2-digit codes); empty: all of Japan.", example=("山梨県",),
        cli="--prefecture",
    )  # fmt: skip
    municipalities: tuple[str, ...] = param(
        (), help="Keep only these municipalities (5-digit codes); empty: all in the prefectures.",
        example=("21206",), cli="--municipality",
    )  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class JoinParams:
    """Join a statistics table to the areas by code (``geo join``, ``[[indicators]]``, :func:`geo.analyses.join`)."""

    columns: tuple[str, ...] = param(
        (), help="Columns to take from the table; empty: all (counts are summed at prefecture and region level).",
        example=("pop_2020", "pop_65plus_2020"), cli="--column",
    )  # fmt: skip
    code_column: str | None = param(None, help="Column holding the code; empty: detected.", example="code")
    encoding: str | None = param(None, help="Text encoding of the table; empty: detected (UTF-8 or CP932).",
                                 example="cp932")  # fmt: skip
    sheet: str | None = param(None, help="Excel sheet name or 0-based index; empty: the first sheet.",
                              example="市区町村")  # fmt: skip
    aggregate_wards: bool = param(
        False, help="Add ward rows up to their designated city first (when the areas are whole cities).", example=True
    )
    how: Literal["left", "inner"] = param("left", help="left: keep every area; inner: only areas with data.",
                                          example="inner")  # fmt: skip
    as_of: str | None = param(
        None, help="Date of the table's codes (YYYY-MM-DD): converted to the boundaries' date before joining.",
        example="2015-10-01",
    )  # fmt: skip
    boundaries_as_of: str | None = param(
        None, help="Date of the boundaries' codes (default: from the source name, e.g. n03-2021 → 2021-01-01).",
        example="2021-01-01",
    )  # fmt: skip
    intensive: tuple[str, ...] = param(
        (), help="With as_of: a rate to re-derive after conversion, NAME or NAME=NUM/DEN[*SCALE].",
        example=("ageing_rate=pop_65plus/pop*100",),
    )  # fmt: skip


WalkDemand = Literal["mesh", "points", "grid"]


@dataclass(frozen=True, kw_only=True)
class GapsParams:
    """Transport gaps (交通空白): by walking distance, or by usable timetabled service per time window.

    ``definitions`` (or a GTFS feed among the inputs) make the question the timetable one (:func:`geo.analyses.timetable_gaps`); otherwise it is the distance one
    (:func:`geo.analyses.gaps`).
    """

    weight: str | None = param(
        None, help="Demand column counted as people; empty: population/pop_2020/人口 when present, else counts.",
        example="pop_2020",
    )  # fmt: skip
    station_m: float = param(800.0, help="Walking distance to a railway station (m).", example=800)
    bus_m: float = param(300.0, help="Walking distance to a bus stop (m).", example=300)
    snap_m: float = param(
        1000.0, help="Demand in no area at all (a simplified coast) within this distance (m) counts in the nearest "
        "area; 0: never.", example=1000,
    )  # fmt: skip
    population_column: str | None = param(
        None, help="Grid demand: the column of the population table spread over the 1 km grid (default: detected).",
        example="pop_total",
    )  # fmt: skip
    definitions: tuple[str, ...] = param(
        (), help="Timetable gaps: 交通空白 definitions by name (geo.list_gap_definitions()) or .toml path, side by side.",
        example=("handbook-rural",), cli="--definition",
    )  # fmt: skip
    date: str | None = param(
        None, help="Timetable gaps: service date YYYY-MM-DD or day type 平日/土曜/日祝; empty: each definition's day "
        "type.", example="2020-11-10",
    )  # fmt: skip
    windows: tuple[str, ...] = param(
        (), help="Timetable gaps: time windows HH-HH overriding the definitions'.", example=("07-09", "19-22"),
        cli="--window",
    )  # fmt: skip
    maps: bool = param(True, help="Timetable gaps: draw the grade map and the per-window maps (png and html).",
                       example=True)  # fmt: skip

    def __post_init__(self) -> None:
        check_range("station_m", self.station_m, low=0, high=MAX_DISTANCE_M, low_open=True)
        check_range("bus_m", self.bus_m, low=0, high=MAX_DISTANCE_M, low_open=True)
        check_range("snap_m", self.snap_m, low=0, high=MAX_DISTANCE_M)

    @property
    def timetable(self) -> bool:
        return bool(self.definitions)

    def walk_m(self, kinds: Any) -> dict[str, float]:
        """Walking distance per supply kind present (``station``, ``bus``)."""
        walk = {"station": self.station_m, "bus": self.bus_m}
        return {k: walk[k] for k in kinds}


@dataclass(frozen=True, kw_only=True)
class ScenarioParams:
    """One scenario for 交通空白 (config ``[[scenarios]]``, ``geo scenarios --scenarios FILE``): a named set of
    changes to the baseline's supply and demand, evaluated with the same definitions, windows and demand as the
    baseline (:func:`geo.analyses.scenarios`), by timetable and by walking distance. On-demand zones and new
    stops are inputs (files), given beside these.

    The demand is scaled by ``demand_scale`` (one factor) or by a population projection
    (``projection`` with ``projection_year``: the scale of each area is its prefecture's or municipality's
    projected population in that year over that in ``projection_base_year``, :mod:`geo.projections`).
    """

    name: str = param(help="Name of the scenario (a row label of scenarios.csv).", example="no-kashimo")
    remove_routes: tuple[str, ...] = param((), help="GTFS route_ids whose trips are left out.", example=("40", "50"))
    remove_stops: tuple[str, ...] = param(
        (), help="Stops left out: GTFS stop_ids or stop names, and station/stop names or stop_ids of the untimed "
        "station and bus layers.", example=("落合事務所",),
    )  # fmt: skip
    demand_scale: float = param(
        1.0, help="Factor applied to the demand weights (e.g. a population projection over today's).", example=0.85
    )
    projection: str | None = param(
        None, help="Scale the demand by a population projection instead: a pinned source (ipss2018, prefectures) "
        "or a CSV keyed by prefecture or municipal codes with pop_<year> columns.", example="ipss2018",
    )  # fmt: skip
    projection_year: int | None = param(None, help="With projection: the projected year (a column of it).",
                                        example=2040)  # fmt: skip
    projection_base_year: int = param(
        2020, help="With projection: the year the demand describes (2020 census); scale = P(year) / P(base year).",
        example=2015,
    )  # fmt: skip

    def __post_init__(self) -> None:
        if not str(self.name).strip():
            raise ValidationError("name: give the scenario a name")
        check_range("demand_scale", self.demand_scale, low=0, high=1000)
        object.__setattr__(self, "remove_routes", tuple(str(r) for r in self.remove_routes))
        object.__setattr__(self, "remove_stops", tuple(str(r) for r in self.remove_stops))
        if self.projection is not None:  # a path given in the API reads as its text
            object.__setattr__(self, "projection", str(self.projection) or None)
        if self.projection and self.demand_scale != 1.0:
            raise ValidationError("projection: give demand_scale or a projection, not both")
        if bool(self.projection) != (self.projection_year is not None):
            raise ValidationError("projection_year: projection and projection_year go together "
                                  "(e.g. projection = 'ipss2018', projection_year = 2040)")  # fmt: skip
        if not self.projection and self.projection_base_year != 2020:
            raise ValidationError("projection_base_year: only with projection")


COVERAGE_METHODS = ("greedy", "swap", "exact")
Method = Literal["greedy", "swap", "exact", "p_median", "p_center", "p_median_swap"]
Access = Literal["2sfca", "2sfca_gaussian", "cumulative"]


@dataclass(frozen=True, kw_only=True)
class HubsParams:
    """Service-hub (地域くらしサービス拠点) candidates: catchment rings, coverage, siting and access."""

    radii_m: tuple[float, ...] = param(
        (), help="Reach in metres (or in the cost matrix's unit), one ring each; repeat for rings.",
        example=(1000, 5000), cli="--radius",
    )  # fmt: skip
    weight: str | None = param(
        None, help="Demand column counted as people; empty: population-like column, else each row counts 1.",
        example="pop_2020",
    )  # fmt: skip
    name_column: str | None = param(
        None, help="Candidate column used as the hub's name (default: name/station_name/道の駅名 …).", example="name",
        cli="--name",
    )  # fmt: skip
    choose: int | None = param(None, help="Choose this many candidates (beyond fixed ones); empty: no siting.",
                               example=5)  # fmt: skip
    target_share: float | None = param(
        None, help="Or choose the fewest candidates covering this share of demand (0-1].", example=0.8
    )
    choose_radius_m: float | None = param(
        None, help="Reach used for choosing; empty: the smallest radius for greedy/swap/exact, none for the "
        "p-median/p-center models.", example=1000, cli="--choose-radius",
    )  # fmt: skip
    method: Method = param(
        "greedy", help="Siting model: greedy/swap/exact (most demand within reach, MCLP), p_median (least total "
        "distance), p_center (least worst distance), p_median_swap (interchange heuristic).", example="p_median",
    )  # fmt: skip
    fixed: tuple[str, ...] = param(
        (), help="Existing sites (names or ids) kept open; choose adds more.", example=("道の駅とうべつ",)
    )
    capacity: str | None = param(
        None, help="Candidate column: demand each hub can serve (exact, p_median, p_center; 2SFCA supply).",
        example="capacity",
    )  # fmt: skip
    access: tuple[Access, ...] = param(
        (), help="Access measures per demand row and per area at the smallest radius.", example=("2sfca",)
    )
    population_column: str | None = param(
        None, help="Grid demand: the column of the population table spread over the 1 km grid (default: detected).",
        example="pop_total",
    )  # fmt: skip
    proxy_column: str | None = param(
        None, help="Grid demand: spread by this column of the proxy mesh table (e.g. an older census mesh) instead "
        "of by area.", example="pop_2015",
    )  # fmt: skip
    snap_m: float = param(
        1000.0, help="Demand in no area at all within this distance (m) counts in the nearest area; 0: never.",
        example=1000,
    )  # fmt: skip
    cost_hubs: Literal["auto", "origin", "destination"] = param(
        "auto", help="Cost matrix: the column holding the candidates, origin or destination; auto: the only reading "
        "whose ids all match (refused when hub and demand ids overlap so both do).", example="destination",
    )  # fmt: skip
    curve: int | None = param(
        None, help="Coverage curve (hubs_curve.csv): demand covered by k = 1 … this many sites beyond the fixed "
        "ones, greedy sequence and exact optimum per k, at the siting reach (capacities ignored).", example=5,
    )  # fmt: skip

    def __post_init__(self) -> None:
        radii = [float(r) for r in self.radii_m]
        if not radii or any(not r > 0 for r in radii):
            raise ValidationError(f"radii_m: give one or more radii, each > 0 (got {list(self.radii_m)})")
        for r in radii:
            check_range("radii_m", r, low=0, high=MAX_REACH, low_open=True)
        check_range("choose_radius_m", self.choose_radius_m, low=0, high=MAX_REACH, low_open=True)
        check_range("snap_m", self.snap_m, low=0, high=MAX_DISTANCE_M)
        check_range("target_share", self.target_share, low=0, high=1, low_open=True)
        object.__setattr__(self, "radii_m", tuple(dict.fromkeys(radii)))
        if self.choose is not None and self.target_share is not None:
            raise ValidationError("give at most one of choose and target_share")
        if self.choose is not None and self.choose < 1:
            raise ValidationError(f"choose must be a positive number of hubs, got {self.choose}")
        if self.fixed and not (self.choose or self.target_share):
            raise ValidationError("fixed sites need choose = N (the sites chosen beyond them)")
        if self.curve is not None and self.curve < 1:
            raise ValidationError(f"curve must be a positive number of sites, got {self.curve}")

    @property
    def siting(self) -> bool:
        return bool(self.choose or self.target_share)

    @property
    def siting_radius_m(self) -> float | None:
        """The one reach rule: the given one, else the smallest radius for the coverage models, else none."""
        if self.choose_radius_m is not None:
            return float(self.choose_radius_m)
        return min(self.radii_m) if self.method in COVERAGE_METHODS else None


@dataclass(frozen=True, kw_only=True)
class Measure:
    """A derived measure (config ``[[derived]]``, ``geo regions dissolve --rate``): computed by the one
    implementation, :func:`geo.indicators.derive`, at every level from summed parts, never averaged.

    ``rate`` = numerator / denominator × per; ``change`` = (after − before) / before × 100; ``density`` =
    column / km² (equal-area); ``sum`` = columns added. A zero or missing denominator gives a missing value.
    """

    name: str = param(help="Name of the new column.", example="ageing_rate")
    kind: Literal["rate", "change", "density", "sum"] = param(
        help="rate = numerator / denominator × per; change = (after − before) / before × 100; density = column / "
        "km²; sum = columns added.", example="rate",
    )  # fmt: skip
    columns: tuple[str, ...] = param((), help="sum: the columns added up.",
                                     example=("pop_0_14_2020", "pop_15_64_2020", "pop_65plus_2020"))  # fmt: skip
    numerator: str = param("", help="rate: the numerator column.", example="pop_65plus_2020")
    denominator: str = param("", help="rate: the denominator column (0 or missing gives a missing value).",
                             example="pop_age_known_2020")  # fmt: skip
    before: str = param("", help="change: the earlier column (the base of the change).", example="pop_2015")
    after: str = param("", help="change: the later column.", example="pop_2020")
    column: str = param("", help="density: the count column divided by the area in km².", example="pop_2020")
    per: float = param(100.0, help="rate: scale factor (100: percent, 1000: per 1,000).", example=100)
    unit: str = param("", help="Unit shown on maps and legends.", example="%")

    def inputs(self) -> list[str]:
        """The columns the measure is computed from."""
        return {"rate": [self.numerator, self.denominator], "change": [self.before, self.after],
                "density": [self.column], "sum": list(self.columns)}[self.kind]  # fmt: skip

    def definition(self) -> str:
        """The formula in words, written into the column's title (so two ``ageing_rate`` can be told apart)."""
        if self.kind == "rate":
            return f"{self.numerator} / {self.denominator} × {self.per:g}"
        if self.kind == "change":
            return f"({self.after} − {self.before}) / {self.before} × 100"
        if self.kind == "density":
            return f"{self.column} / km²"
        return " + ".join(self.columns)


_RATE = re.compile(r"^\s*([^=\s]+)\s*=\s*([^/\s]+)\s*/\s*([^*\s]+)\s*(?:\*\s*([0-9.eE+-]+))?\s*$")
_MEAN = re.compile(r"^\s*([^@\s]+)\s*@\s*([^@\s]+)\s*$")


@dataclass(frozen=True, kw_only=True)
class RegionsParams:
    """Wide-area regions (広域リージョン): areas dissolved into groupings, counts summed, rates recomputed."""

    sum_columns: tuple[str, ...] = param(
        (), help="Count columns summed per region; empty: every joined table column.", example=("pop_2020",),
        cli="--sum",
    )  # fmt: skip
    rates: Mapping[str, str] = param(
        (), help="Rates recomputed per region from the sums, NAME = NUMERATOR/DENOMINATOR[*PER] (per default 100).",
        example={"ageing_rate": "pop_65plus_2020/pop_2020*100"}, cli="--rate",
        metavar="NAME=NUMERATOR/DENOMINATOR[*PER]",
    )  # fmt: skip
    means: Mapping[str, str] = param(
        (), help="Weighted means per region, NAME = COLUMN@WEIGHT.", example={"income": "income_per_head@pop_2020"},
        cli="--mean", metavar="NAME=COLUMN@WEIGHT",
    )  # fmt: skip
    missing: Literal["raise", "skip", "propagate"] = param(
        "raise", help="Areas with missing values: stop, aggregate the others (n_missing says how many), or leave "
        "the region empty.", example="skip",
    )  # fmt: skip

    def __post_init__(self) -> None:
        for name, attr in (("rates", self.rates), ("means", self.means)):
            object.__setattr__(self, name, dict(attr) if attr else {})
        for name, text in self.rates.items():
            rate_parts(name, text)
        for name, text in self.means.items():
            if not _MEAN.match(text):
                raise ValidationError(f"means: {name} = {text!r}: write COLUMN@WEIGHT, e.g. income@pop_2020")

    def rate_columns(self) -> dict[str, tuple[str, str, float]]:
        return {name: rate_parts(name, text) for name, text in self.rates.items()}

    def mean_columns(self) -> dict[str, tuple[str, str]]:
        return {name: tuple(_MEAN.match(text).groups()) for name, text in self.means.items()}  # type: ignore[union-attr,misc]


def rate_parts(name: str, text: str) -> tuple[str, str, float]:
    """``"a/b*100"`` → ``("a", "b", 100.0)``; ``per`` defaults to 100 (percent)."""
    m = _RATE.match(f"{name}={text}")
    if not m:
        raise ValidationError(f"rates: {name} = {text!r}: write NUMERATOR/DENOMINATOR[*PER], e.g. pop_65/pop*100")
    per = float(m.group(4)) if m.group(4) else 100.0
    return m.group(2), m.group(3), per


def parse_pairs(values: Any, what: str, expected: str = "NAME=VALUE") -> dict[str, str]:
    """``("a=x", "b=y")`` (repeated CLI options) → ``{"a": "x", "b": "y"}``; a mapping passes through."""
    if isinstance(values, Mapping):
        return dict(values)
    out = {}
    for text in values or ():
        name, sep, value = str(text).partition("=")
        if not sep or not name.strip():
            raise ValidationError(f"{what}: write {expected}, got {text!r}")
        out[name.strip()] = value.strip()
    return out


@dataclass(frozen=True, kw_only=True)
class MapParams:
    """A choropleth map (``geo map``, ``[[maps]]``): classification, legend, labels and the page."""

    column: str | None = param(None, help="Column drawn as the choropleth.", example="ageing_rate", cli="-c --column")
    title: str | None = param(None, help="Title printed on the map.", example="市区町村別 高齢化率 2020（%）")
    scheme: Literal["quantiles", "fisher_jenks", "natural_breaks", "equal_interval", "user_defined"] = param(
        "quantiles", help="Classification of the values into colour classes (user_defined with breaks).",
        example="fisher_jenks",
    )  # fmt: skip
    k: int = param(5, help="Number of classes (1-12).", example=6, cli="-k --classes")
    breaks: tuple[float, ...] = param((), help="User class boundaries, increasing (implies scheme user_defined).",
                                      example=(-15, -10, -5, 0, 5))  # fmt: skip
    unit: str | None = param(None, help="Unit shown after every number (人, %, 人/km²).", example="%")
    legend: str | None = param(None, help="Legend heading; default: the column name.", example="高齢化率",
                               cli="--legend --legend-title")  # fmt: skip
    palette: str = param("YlOrRd", help="Colour palette: YlOrRd, Blues, Greens, RdBu (change)…; _r reverses.",
                         example="RdBu")  # fmt: skip
    midpoint: float | None = param(None, help="Centre of a diverging palette (default 0): always a class boundary.",
                                   example=0)  # fmt: skip
    labels: bool | None = param(None, help="Area names on the map; default: shown up to 60 areas.", example=True)
    tiles: Literal["gsi_pale", "gsi_std", "openstreetmap"] | None = param(
        None, help="Background tiles for HTML (needs internet; default none, works offline).", example="gsi_pale"
    )
    classes_with: tuple[str, ...] = param(
        (), help="Other columns fitted into one classification with column: the maps of all of them (years, "
        "windows, scenarios) share breaks, colours and labels, and their legends say so.",
        example=("pop_2015", "pop_2020"), metavar="COLUMN",
    )  # fmt: skip
    dpi: int = param(150, help="Static maps: resolution.", example=300)
    page: Literal["A4", "A3"] | None = param(None, help="Print sheet of the static formats; default 1500×1500 px.",
                                             example="A4")  # fmt: skip
    orientation: Literal["portrait", "landscape"] = param("portrait", help="Page orientation (with page).",
                                                          example="landscape")  # fmt: skip
    margins_mm: float | None = param(None, help="White margin around the page in mm (default 10 with page).",
                                     example=15.0)  # fmt: skip

    def __post_init__(self) -> None:
        breaks = tuple(float(b) for b in self.breaks)
        if any(b <= a for a, b in itertools.pairwise(breaks)):
            raise ValidationError(f"breaks must increase strictly, got {list(breaks)}")
        object.__setattr__(self, "breaks", breaks)
        if breaks:
            object.__setattr__(self, "scheme", "user_defined")
        elif self.scheme == "user_defined":
            raise ValidationError("scheme 'user_defined' needs breaks")
        if not 1 <= self.k <= 12:
            raise ValidationError(f"k must be 1-12 classes, got {self.k}")


# ------------------------------------------------------------------------------------------------ remedies
@dataclass(frozen=True, kw_only=True)
class RemedyParams:
    """Remedies for 交通空白 ranked, and the best ``choose`` chosen together (:func:`geo.analyses.remedies`).

    The candidates (new stops, on-demand zones, added frequency on GTFS routes) are inputs; the timetable gaps
    they are judged on (demand, definitions, windows, date) are those of :class:`GapsParams`. The objective is the
    baseline's gap population in the objective's (definition, window) pairs, summed over them.
    """

    choose: int = param(3, help="Choose this many remedies together (maximal covering of the gap population).",
                        example=2)  # fmt: skip
    objective_definitions: tuple[str, ...] = param(
        (), help="Definitions whose gaps the choice closes (summed); empty: every definition evaluated.",
        example=("plateau-toshi-kozo",), cli="--objective-definition",
    )  # fmt: skip
    objective_windows: tuple[str, ...] = param(
        (), help="Windows whose gaps the choice closes (summed); empty: every window evaluated.",
        example=("17-19", "19-22"), cli="--objective-window",
    )  # fmt: skip
    curve: int | None = param(
        None, help="Coverage curve (remedies_curve.csv) for k = 1 … this many remedies, greedy and exact; empty: "
        "every candidate; 0: none.", example=5,
    )  # fmt: skip

    def __post_init__(self) -> None:
        if self.choose < 1:
            raise ValidationError(f"choose must be a positive number of remedies, got {self.choose}")
        if self.curve is not None and self.curve < 0:
            raise ValidationError(f"curve must be 0 (none) or a positive number of remedies, got {self.curve}")
        object.__setattr__(self, "objective_definitions", tuple(str(x) for x in self.objective_definitions))
        object.__setattr__(self, "objective_windows", tuple(str(x) for x in self.objective_windows))


QUESTIONS: dict[str, type] = {
    "area": AreaParams,
    "join": JoinParams,
    "gaps": GapsParams,
    "hubs": HubsParams,
    "regions": RegionsParams,
    "maps": MapParams,
    "remedies": RemedyParams,
}
"""Question → its parameters type (the config section of the same name, the ``geo`` subcommand)."""


def fields_of(cls: type) -> list[dataclasses.Field]:
    """The parameter fields of a parameters type, in declaration order."""
    return [f for f in dataclasses.fields(cls) if "help" in f.metadata]


def make(cls: type, given: Mapping[str, Any] | None = None, /, **keywords: Any) -> Any:
    """Build a parameters object from keywords, refusing unknown names with the allowed ones listed."""
    values = {**(given or {}), **keywords}
    names = {f.name for f in fields_of(cls)}
    unknown = sorted(set(values) - names)
    if unknown:
        raise ValidationError(f"{cls.__name__}: unknown parameter(s) {unknown}; allowed: {', '.join(sorted(names))}")
    return cls(**values)


# ------------------------------------------------------------------------------------------- the カルテ


RankBy = Literal["gap_share", "gap_population", "population", "ageing_rate", "pop_change", "hub_share"]


@dataclass(frozen=True, kw_only=True)
class ReportParams:
    """The municipal カルテ (``geo report``, config ``[report]``): one page per municipality built from a finished
    run's output folder (:func:`geo.karte.write_karte`), with an index page ranking the set."""

    municipalities: tuple[str, ...] = param(
        (), help="Municipalities given a カルテ (5-digit codes or names as in the run); empty with no prefectures: "
        "every municipality of the run.", example=("19201", "19202"), cli="--municipality",
    )  # fmt: skip
    prefectures: tuple[str, ...] = param(
        (), help="Every municipality of the run in these prefectures (names or 2-digit codes).", example=("山梨県",),
        cli="--prefecture",
    )  # fmt: skip
    rank_by: RankBy = param(
        "gap_share", help="Figure the index page ranks by, largest first: gap_share (交通空白人口の割合), "
        "gap_population, population, ageing_rate, pop_change (smallest first) or hub_share (hub coverage, "
        "smallest first).", example="ageing_rate",
    )  # fmt: skip
    formats: tuple[Literal["html", "pdf"], ...] = param(
        ("html", "pdf"), help="Pages written beside report/<muni_code>.json (always written): html, pdf (A4).",
        example=("html",), cli="--format",
    )  # fmt: skip
    nearby_km: float = param(
        30.0, help="Good-practice places of the policy document listed within this distance of the municipality "
        "(km).", example=50.0,
    )  # fmt: skip

    def __post_init__(self) -> None:
        check_range("nearby_km", self.nearby_km, low=0, high=1000)
        object.__setattr__(self, "municipalities", tuple(str(m).strip() for m in self.municipalities))
        object.__setattr__(self, "prefectures", tuple(str(p).strip() for p in self.prefectures))
        object.__setattr__(self, "formats", tuple(dict.fromkeys(self.formats)))


QUESTIONS["report"] = ReportParams
